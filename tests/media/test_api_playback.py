"""The apps play the site's own video through the API: a lesson or short video carries signed HLS
addresses that are themselves the credential (a native player sends no cookie and no token),
issued only to learners who may watch, and as short-lived as the pages' addresses."""

import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

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


def app_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def lessons_of(client, course) -> dict:
    body = client.get(f"/api/v1/courses/{course.pk}/").json()
    return {lesson["id"]: lesson for chapter in body["chapters"] for lesson in chapter["lessons"]}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def first_address(text: str) -> str:
    return next(line for line in text.splitlines() if line and not line.startswith("#"))


def test_an_enrolled_learners_app_plays_a_paid_lesson_without_a_cookie(lessons):
    paid, _free = lessons
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=paid.course)

    playback = lessons_of(app_for(learner), paid.course)[paid.pk]["playback"]

    assert playback["ready"] is True and playback["paid"] is True
    assert playback["src"].startswith(f"http://testserver/stream/{paid.media.pk}/master.m3u8?t=")
    assert playback["watermark"] == learner.username
    assert playback["duration"] == round(paid.media.duration_seconds)
    assert time.time() < playback["expires"] <= time.time() + 2 * 60 * 60 + 5
    player = Client()  # a native player: no session, no Authorization header
    master = player.get(path_of(playback["src"]))
    assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.content.decode()
    rendition = player.get(first_address(master.content.decode()))
    assert rendition.status_code == 200
    segment = player.get(first_address(rendition.content.decode()))
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert player.get(path_of(playback["poster"]))["Content-Type"] == "image/jpeg"


def test_others_get_no_playback_and_cannot_reuse_a_page_address(client, lessons):
    paid, free = lessons
    outsider = lessons_of(app_for(UserFactory()), paid.course)
    anonymous = lessons_of(app_for(), paid.course)
    assert outsider[paid.pk]["playback"] is None and anonymous[paid.pk]["playback"] is None
    # a free preview plays for anyone, signed for anyone, with no watermark
    preview = anonymous[free.pk]["playback"]
    assert preview["ready"] and preview["paid"] is False and preview["watermark"] == ""
    assert Client().get(path_of(preview["src"])).status_code == 200


def test_a_tampered_or_expired_app_address_is_refused(lessons):
    paid, _free = lessons
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=paid.course)
    src = lessons_of(app_for(learner), paid.course)[paid.pk]["playback"]["src"]
    assert Client().get(path_of(src).replace("master", "poster")).status_code in (403, 404)
    expired = media.media_token(
        asset=paid.media, name=media.MASTER_NAME, user_id=learner.pk, expires=1, bearer=True
    )
    address = media.media_address(asset_id=paid.media.pk, name=media.MASTER_NAME, token=expired)
    assert Client().get(address).status_code == 403
    # a page's address (not a bearer one) still needs its learner's session
    page_token = media.media_token(asset=paid.media, name=media.MASTER_NAME, user_id=learner.pk)
    page_address = media.media_address(
        asset_id=paid.media.pk, name=media.MASTER_NAME, token=page_token
    )
    assert Client().get(page_address).status_code == 403


def test_a_video_still_processing_says_so_and_a_hosted_video_has_none(ready_asset):
    processing = MediaAsset.objects.create(
        instructor=ready_asset.instructor, title="new", status=MediaAsset.Status.PROCESSING
    )
    video = ShortVideoFactory(media=processing)
    hosted = ShortVideoFactory(media=None)
    api = app_for()
    assert api.get(f"/api/v1/videos/{video.pk}/").json()["playback"] == {
        "ready": False,
        "status": "processing",
    }
    assert api.get(f"/api/v1/videos/{hosted.pk}/").json()["playback"] is None
    video.media = ready_asset
    video.save()
    listed = {item["id"]: item for item in api.get("/api/v1/videos/").json()["results"]}
    playback = listed[video.pk]["playback"]
    assert playback["ready"] and playback["watermark"] == ""
    assert Client().get(path_of(playback["src"])).status_code == 200


def test_an_audio_or_article_lesson_has_no_video_playback(lessons):
    paid, _free = lessons
    paid.kind = paid.Kind.ARTICLE
    paid.body_html = "<p>text</p>"
    paid.save()
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=paid.course)
    assert lessons_of(app_for(learner), paid.course)[paid.pk]["playback"] is None
