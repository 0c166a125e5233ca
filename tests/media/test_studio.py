"""The instructor's studio: add a video file, upload it in chunks, see it processed (or why it
was refused), and give it to lessons and short videos, without the admin. Nobody reaches another
instructor's files; learners have no studio."""

import pytest
from django.conf import settings
from django.urls import reverse

from courses.models import MediaAsset
from tests.factories import (
    InstructorFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(client):
    instructor = InstructorFactory(user__is_staff=True)
    client.force_login(instructor.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return instructor


def upload(client, asset, data, start, total):
    return client.post(
        reverse("web:studio_video_upload", args=[asset.pk]),
        data=data,
        content_type="application/octet-stream",
        headers={"content-range": f"bytes {start}-{start + len(data) - 1}/{total}"},
    )


def test_an_instructor_adds_uploads_and_attaches_a_video(client, instructor, clip, eager_tasks):
    response = client.post(reverse("web:studio_videos"), {"title": "第一课"})
    asset = MediaAsset.objects.get(title="第一课")
    assert response.status_code == 302 and response.url == f"/studio/videos/{asset.pk}/"
    assert asset.instructor == instructor and asset.status == MediaAsset.Status.UPLOADING
    page = client.get(response.url).content.decode()
    assert "data-media-upload" in page and "js/media-upload.js" in page
    assert f'data-url="/studio/videos/{asset.pk}/upload/"' in page

    data = clip.read_bytes()
    half = len(data) // 2
    assert upload(client, asset, data[:half], 0, len(data)).json()["received"] == half
    wrong = upload(client, asset, data[half + 1 :], half + 1, len(data))
    assert wrong.status_code == 409 and wrong.json() == {"received": half}
    state = client.get(reverse("web:studio_video_upload", args=[asset.pk])).json()
    assert state == {
        "received": half,
        "size": len(data),
        "status": "uploading",
        "status_label": "uploading",
        "failure_reason": "",
    }
    with eager_tasks(execute=True):
        assert upload(client, asset, data[half:], half, len(data)).status_code == 200
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY

    page = client.get(reverse("web:studio_video", args=[asset.pk])).content.decode()
    assert "data-media-upload" not in page and "poster.jpg" in page and ">ready<" in page

    lesson = LessonFactory(chapter__course__instructor=instructor, title="变量与类型")
    video = ShortVideoFactory(instructor=instructor)
    response = client.post(
        reverse("web:studio_video", args=[asset.pk]),
        {"lessons": [lesson.pk], "short_videos": [video.pk]},
    )
    assert response.status_code == 302
    lesson.refresh_from_db()
    video.refresh_from_db()
    assert lesson.media == asset and video.media == asset
    assert lesson.duration_seconds == round(asset.duration_seconds)
    listing = client.get(reverse("web:studio_videos")).content.decode()
    assert "第一课" in listing and "1 lesson" in listing and "1 short video" in listing
    # The admin shows the same file, uploaded and used.
    admin_page = client.get(reverse("admin:courses_mediaasset_change", args=[asset.pk]))
    assert "变量与类型" in admin_page.content.decode()


def test_a_refused_file_shows_its_reason_and_may_be_replaced(client, instructor):
    client.post(reverse("web:studio_videos"), {"title": "坏文件"})
    asset = MediaAsset.objects.get(title="坏文件")
    data = b"plain text, no video\n" * 40
    refused = upload(client, asset, data, 0, len(data))
    assert refused.status_code == 400 and "not a video" in refused.json()["error"]
    page = client.get(reverse("web:studio_video", args=[asset.pk])).content.decode()
    assert "not a video" in page and "data-media-upload" in page  # choose another file
    listing = client.get(reverse("web:studio_videos")).content.decode()
    assert "not a video" in listing


def test_bad_chunks_and_titles_are_refused_with_a_reason(client, instructor):
    response = client.post(reverse("web:studio_videos"), {"title": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not MediaAsset.objects.exists()
    asset = MediaAsset.objects.create(instructor=instructor, title="t")
    no_range = client.post(
        reverse("web:studio_video_upload", args=[asset.pk]),
        data=b"x",
        content_type="application/octet-stream",
    )
    assert no_range.status_code == 400 and "Content-Range" in no_range.json()["error"]
    short = client.post(
        reverse("web:studio_video_upload", args=[asset.pk]),
        data=b"xx",
        content_type="application/octet-stream",
        headers={"content-range": "bytes 0-9/10"},
    )
    assert short.status_code == 400 and "announced size" in short.json()["error"]


def test_only_own_files_lessons_and_videos(client, instructor):
    other = InstructorFactory()
    theirs = MediaAsset.objects.create(instructor=other, title="theirs")
    for name in ("web:studio_video", "web:studio_video_upload"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert upload(client, theirs, b"x", 0, 1).status_code == 404
    assert "theirs" not in client.get(reverse("web:studio_videos")).content.decode()

    mine = MediaAsset.objects.create(instructor=instructor, title="mine")
    their_lesson = LessonFactory(chapter__course__instructor=other)
    response = client.post(
        reverse("web:studio_video", args=[mine.pk]), {"lessons": [their_lesson.pk]}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    their_lesson.refresh_from_db()
    assert their_lesson.media is None
    # the form offers only the instructor's own video lessons
    LessonFactory(chapter__course__instructor=instructor, title="我的视频课")
    LessonFactory(chapter__course__instructor=instructor, title="我的文章", kind="article")
    page = client.get(reverse("web:studio_video", args=[mine.pk])).content.decode()
    assert "我的视频课" in page and "我的文章" not in page and their_lesson.title not in page


def test_learners_have_no_studio_and_visitors_sign_in_first(client):
    assert client.get(reverse("web:studio_videos")).status_code == 302
    learner = UserFactory()
    client.force_login(learner)
    assert client.get(reverse("web:studio_videos")).status_code == 403
    assert client.post(reverse("web:studio_videos"), {"title": "x"}).status_code == 403
    assert not MediaAsset.objects.exists()


def test_the_menu_links_the_studio_for_instructors(client, instructor):
    page = client.get("/").content.decode()
    assert reverse("web:studio_videos") in page
