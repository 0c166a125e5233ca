"""The demo seeds real video: a few generated clips, transcoded by the media services, shared by
every lesson and short video, each with the clip's real duration; a second run reuses them, and
``--reset`` deletes them with their files."""

from io import StringIO

import pytest
from django.core.management import call_command

from courses import media
from courses.models import Lesson, MediaAsset, ShortVideo
from demo import media as demo_media

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--scale", "0.02", "--events-per-learner", "0", *args, stdout=out)
    return out.getvalue()


def test_every_demo_lesson_and_short_video_plays_a_clip(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's covers
    output = seed()
    assert "clip 4 transcoded" in output
    assets = list(MediaAsset.objects.all())
    assert len(assets) == demo_media.CLIPS
    assert all(a.status == MediaAsset.Status.READY and len(a.renditions) == 2 for a in assets)
    assert all(a.duration_seconds == pytest.approx(demo_media.SECONDS, abs=0.2) for a in assets)
    assert not Lesson.objects.filter(media__isnull=True).exists()
    assert not ShortVideo.objects.filter(media__isnull=True).exists()
    videos = Lesson.objects.filter(kind=Lesson.Kind.VIDEO)  # articles and audio have their own
    assert set(videos.values_list("duration_seconds", flat=True)) == {demo_media.SECONDS}
    assert Lesson.objects.values("media").distinct().count() == demo_media.CLIPS

    assert "transcoded" not in seed()  # the second run reuses the clips
    assert MediaAsset.objects.count() == demo_media.CLIPS

    folders = [media._storage_path(f"hls/{a.pk}") for a in assets]
    assert all(folder.exists() for folder in folders)
    seed("--reset", "--no-media")
    assert not MediaAsset.objects.exists()
    assert not any(folder.exists() for folder in folders)
