"""Who may fetch a video's playlists and segments: a paid lesson's only the enrolled learner the
addresses were signed for, free previews and short videos anyone; tampered, expired or another
learner's addresses answer 403."""

import re
import time

import pytest
from django.urls import reverse

from commerce.models import Enrollment
from courses import media
from courses.models import MediaAsset
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_asset(clip, eager_tasks):
    with eager_tasks(execute=True):
        asset = media.media_asset_import(instructor=InstructorFactory(), path=clip, title="clip")
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    return asset


@pytest.fixture
def lessons(ready_asset):
    course = CourseFactory(instructor=ready_asset.instructor)
    paid = LessonFactory(chapter__course=course, media=ready_asset, is_free_preview=False)
    free = LessonFactory(chapter=paid.chapter, media=ready_asset, is_free_preview=True)
    return paid, free


def player_src(client, lesson) -> str | None:
    html = client.get(reverse("web:lesson", args=[lesson.pk])).content.decode()
    found = re.search(r'data-hls-src="([^"]+)"', html)
    return found and found.group(1).replace("&amp;", "&")


def first_address(text: str) -> str:
    return next(line for line in text.splitlines() if line and not line.startswith("#"))


def fetch_all(client, master_url):
    """The master playlist, a rendition's playlist and its first segment."""
    master = client.get(master_url)
    rendition = (
        client.get(first_address(master.content.decode())) if master.status_code == 200 else None
    )
    segment = rendition and client.get(first_address(rendition.content.decode()))
    return master, rendition, segment


def test_an_enrolled_learner_plays_a_paid_lesson(client, lessons):
    paid, _free = lessons
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=paid.course)
    client.force_login(learner)
    src = player_src(client, paid)
    assert src
    master, rendition, segment = fetch_all(client, src)
    assert master.status_code == 200
    assert master["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "#EXT-X-STREAM-INF" in master.content.decode()
    assert rendition.status_code == 200 and "#EXT-X-ENDLIST" in rendition.content.decode()
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert b"".join(segment.streaming_content)[:1] == b"G"  # an MPEG-TS sync byte
    assert (
        "username" not in src
        and learner.username in client.get(reverse("web:lesson", args=[paid.pk])).content.decode()
    )  # the watermark


def test_others_get_403_on_a_paid_lessons_playlists_and_segments(client, lessons):
    paid, _free = lessons
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=paid.course)
    client.force_login(learner)
    src = player_src(client, paid)
    master, rendition, _segment = fetch_all(client, src)
    segment_url = first_address(rendition.content.decode())
    rendition_url = first_address(master.content.decode())

    outsider = UserFactory()  # not enrolled: the page offers no address, and the learner's fail
    client.force_login(outsider)
    assert player_src(client, paid) is None
    for url in (src, rendition_url, segment_url):
        assert client.get(url).status_code == 403
    client.logout()
    for url in (src, rendition_url, segment_url):
        assert client.get(url).status_code == 403


def test_tampered_expired_or_missing_signatures_get_403(client, lessons, ready_asset):
    paid, _free = lessons
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=paid.course)
    client.force_login(learner)
    url = reverse("web:media_file", args=[ready_asset.pk, media.MASTER_NAME])

    def token(**changes):
        claims = {"name": media.MASTER_NAME, "user_id": learner.pk} | changes
        return media.media_token(asset=ready_asset, **claims)

    assert client.get(f"{url}?t={token()}").status_code == 200
    expired = token(expires=int(time.time()) - 1)
    assert client.get(f"{url}?t={expired}").status_code == 403
    good = token()
    tampered = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    assert client.get(f"{url}?t={tampered}").status_code == 403
    assert client.get(url).status_code == 403
    other_file = reverse("web:media_file", args=[ready_asset.pk, media.POSTER_NAME])
    assert client.get(f"{other_file}?t={good}").status_code == 403  # signed for another file
    other_asset = reverse("web:media_file", args=[ready_asset.pk + 1, media.MASTER_NAME])
    assert client.get(f"{other_asset}?t={good}").status_code == 403
    escape = reverse("web:media_file", args=[ready_asset.pk, "../../sources/x"])
    assert client.get(f"{escape}?t={token(name='../../sources/x')}").status_code == 404


def test_a_free_preview_and_a_short_video_play_for_anyone(client, lessons, ready_asset):
    _paid, free = lessons
    src = player_src(client, free)  # signed out
    master, rendition, segment = fetch_all(client, src)
    assert (master.status_code, rendition.status_code, segment.status_code) == (200, 200, 200)
    assert (
        "data-watermark" not in client.get(reverse("web:lesson", args=[free.pk])).content.decode()
    )

    ShortVideoFactory(instructor=ready_asset.instructor, media=ready_asset)
    feed = client.get(reverse("web:videos")).content.decode()
    feed_src = re.search(r'data-hls-src="([^"]+)"', feed).group(1).replace("&amp;", "&")
    assert client.get(feed_src).status_code == 200


def test_a_lesson_still_processing_says_so(client, lessons, ready_asset):
    _paid, free = lessons
    MediaAsset.objects.filter(pk=ready_asset.pk).update(status=MediaAsset.Status.PROCESSING)
    html = client.get(reverse("web:lesson", args=[free.pk])).content.decode()
    assert "data-player-processing" in html and "data-hls-src" not in html


def test_segments_go_through_nginx_when_configured(client, lessons, settings):
    _paid, free = lessons
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    _master, _rendition, segment = fetch_all(client, player_src(client, free))
    assert segment.status_code == 200
    assert segment["X-Accel-Redirect"].startswith("/protected-media/hls/")
    assert segment["X-Accel-Redirect"].endswith(".ts")
    assert not segment.content
