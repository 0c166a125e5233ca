"""Article and audio lessons as learners meet them: the page shows the article or the audio
mini-player to those who may read or listen (free previews for everyone, the rest for enrolled
learners), the audio is served only to them, and progress goes through the same doors as a
video's (the page's endpoint and the API), so completion and "continue learning" work."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from commerce.selectors import continue_learning_for
from courses.models import Lesson
from tests.api.conftest import client_for
from tests.commerce.factories import EnrollmentFactory
from tests.factories import LessonFactory, UserFactory
from tests.media.audio import tone

pytestmark = pytest.mark.django_db

ARTICLE = (
    "<h2>第一节</h2><p>" + "学" * 590 + "</p><ul><li>要点一</li><li>要点二</li></ul>"
    '<p><a href="javascript:alert(1)">坏</a><img src="https://evil.example/x.png"></p>'
)


@pytest.fixture
def article():
    return LessonFactory(kind=Lesson.Kind.ARTICLE, body_html=ARTICLE, video_url="")


@pytest.fixture
def audio_lesson(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lesson = LessonFactory(kind=Lesson.Kind.AUDIO, video_url="", duration_seconds=0)
    lesson.audio = ContentFile(tone("mp3", 3), name="talk.mp3")
    lesson.save()
    return lesson


def _enrolled(lesson):
    learner = UserFactory()
    EnrollmentFactory(user=learner, course=lesson.course)
    return learner


def test_an_enrolled_learner_reads_the_sanitised_article(client, article):
    client.force_login(_enrolled(article))
    page = client.get(reverse("web:lesson", args=[article.pk])).content.decode()
    assert "<h2>第一节</h2>" in page and "<li>要点二</li>" in page
    assert "javascript:" not in page and "evil.example" not in page
    assert "data-reader" in page and "js/lesson-reader" in page
    assert 'data-duration="90"' in page  # 600 characters (the 坏 link's text kept) at 400 a minute
    assert "<video" not in page


def test_a_paid_article_is_behind_the_paywall_for_others(client, article):
    for user in (None, UserFactory()):
        if user:
            client.force_login(user)
        page = client.get(reverse("web:lesson", args=[article.pk])).content.decode()
        assert "要点一" not in page and "paywall" in page


def test_a_free_preview_article_is_for_everyone(client, article):
    article.is_free_preview = True
    article.save()
    page = client.get(reverse("web:lesson", args=[article.pk])).content.decode()
    assert "要点一" in page


def test_reading_progress_through_the_page_completes_the_article(client, article):
    learner = _enrolled(article)
    client.force_login(learner)
    url = reverse("web:lesson_progress", args=[article.pk])
    halfway = client.post(url, {"position_seconds": 45, "duration_seconds": 90}).json()
    assert halfway == {"position_seconds": 45, "percent_watched": 50, "completed": False}
    [entry] = continue_learning_for(user=learner)
    assert entry.course == article.course
    page = client.get(reverse("web:lesson", args=[article.pk])).content.decode()
    assert 'data-resume="45"' in page
    done = client.post(url, {"position_seconds": 85, "duration_seconds": 1}).json()
    assert done["completed"] and done["percent_watched"] == 94


def test_reading_progress_through_the_api(article):
    learner = _enrolled(article)
    client = client_for(learner)
    recorded = client.post("/api/v1/progress/", {"lesson": article.pk, "position_seconds": 90})
    assert recorded.status_code == 200
    assert recorded.json()["percent_watched"] == 100 and recorded.json()["completed_at"]
    entry = client.get("/api/v1/continue-learning/").json()[0]
    assert entry["last_lesson"]["id"] == article.pk and entry["lessons_completed"] == 1


def test_the_api_gives_the_kind_and_the_content_only_to_those_who_may_have_it(
    article, audio_lesson
):
    learner = _enrolled(article)
    EnrollmentFactory(user=learner, course=audio_lesson.course)

    def lessons(user, course):
        body = client_for(user).get(f"/api/v1/courses/{course.pk}/").json()
        return {lesson["id"]: lesson for ch in body["chapters"] for lesson in ch["lessons"]}

    mine = lessons(learner, article.course)[article.pk]
    assert mine["kind"] == "article" and "<li>要点一</li>" in mine["article_html"]
    assert mine["duration_seconds"] == 90 and mine["audio_url"] is None
    assert lessons(None, article.course)[article.pk]["article_html"] is None
    heard = lessons(learner, audio_lesson.course)[audio_lesson.pk]
    assert heard["kind"] == "audio" and heard["duration_seconds"] == 3
    assert heard["audio_url"].endswith(f"/lessons/{audio_lesson.pk}/audio/")
    assert lessons(UserFactory(), audio_lesson.course)[audio_lesson.pk]["audio_url"] is None


def test_the_audio_of_a_paid_lesson_is_served_only_to_enrolled_learners(client, audio_lesson):
    url = reverse("web:lesson_audio", args=[audio_lesson.pk])
    assert client.get(url).status_code == 403
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(_enrolled(audio_lesson))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg" and response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == tone("mp3", 3)
    assert "private" in response["Cache-Control"]


def test_the_audio_is_served_by_ranges_for_seeking(client, audio_lesson):
    client.force_login(_enrolled(audio_lesson))
    url = reverse("web:lesson_audio", args=[audio_lesson.pk])
    data = tone("mp3", 3)
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert b"".join(tail.streaming_content) == data[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416


def test_a_free_preview_audio_is_for_everyone_and_public_media_never_serve_it(client, audio_lesson):
    audio_lesson.is_free_preview = True
    audio_lesson.save()
    assert client.get(reverse("web:lesson_audio", args=[audio_lesson.pk])).status_code == 200
    assert client.get(f"/media/{audio_lesson.audio.name}").status_code == 404


def test_a_lesson_without_audio_has_no_audio_address(client, article):
    client.force_login(_enrolled(article))
    assert client.get(reverse("web:lesson_audio", args=[article.pk])).status_code == 404


def test_the_audio_page_has_the_mini_player_resuming_at_the_saved_position(client, audio_lesson):
    learner = _enrolled(audio_lesson)
    client.force_login(learner)
    url = reverse("web:lesson_progress", args=[audio_lesson.pk])
    saved = client.post(url, {"position_seconds": 2, "duration_seconds": 3}).json()
    assert saved["percent_watched"] == 66 and not saved["completed"]
    page = client.get(reverse("web:lesson", args=[audio_lesson.pk])).content.decode()
    assert "data-audio-player" in page and 'data-resume="2"' in page
    assert f'src="/lessons/{audio_lesson.pk}/audio/"' in page and "audio-bar" in page
    assert client.post(url, {"position_seconds": 3}).json()["completed"]
    blocked = UserFactory()
    client.force_login(blocked)
    assert client.post(url, {"position_seconds": 3}).status_code == 403
    assert (
        "data-audio-player"
        not in client.get(reverse("web:lesson", args=[audio_lesson.pk])).content.decode()
    )
