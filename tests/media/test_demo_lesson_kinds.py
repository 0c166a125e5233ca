"""The demo seeds a few article and audio lessons, ready to read and listen to."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.articles import article_clean
from courses.models import Lesson
from demo.lesson_kinds import AUDIO_NAME, AUDIO_SECONDS, build_lesson_kinds

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_seeding_makes_articles_and_audio_lessons_once(client):
    call_command("seed_demo", "--scale", "0.05", "--events-per-learner", "0", stdout=StringIO())
    articles = list(Lesson.objects.filter(kind=Lesson.Kind.ARTICLE))
    audio = list(Lesson.objects.filter(kind=Lesson.Kind.AUDIO))
    assert articles and audio
    for lesson in articles:
        assert lesson.body_html == article_clean(lesson.body_html)
        assert "<h3>本节要点</h3>" in lesson.body_html and "<li>" in lesson.body_html
        assert lesson.duration_seconds >= 30 and not lesson.video_url
    assert {(lesson.audio.name, lesson.duration_seconds) for lesson in audio} == {
        (AUDIO_NAME, AUDIO_SECONDS)
    }
    assert build_lesson_kinds(seed=42) == {"articles": 0, "audio": 0}  # nothing left to change

    preview = next(lesson for lesson in articles if lesson.is_free_preview)
    page = client.get(reverse("web:lesson", args=[preview.pk])).content.decode()
    assert "本节要点" in page
    heard = next(lesson for lesson in audio if lesson.is_free_preview)
    response = client.get(reverse("web:lesson_audio", args=[heard.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "audio/mp4"
