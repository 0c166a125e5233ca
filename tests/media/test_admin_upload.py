"""Instructors upload their videos in the admin, in chunks, resuming where the server's copy
ends; a refused file answers with the reason, and nobody reaches another instructor's files."""

import pytest
from django.conf import settings
from django.urls import reverse

from courses import media
from courses.models import MediaAsset
from tests.factories import InstructorFactory, LessonFactory
from tests.test_admin_scoping import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(client):
    instructor = InstructorFactory(user__is_staff=True)
    client.force_login(instructor.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages checked in English
    return instructor


def add_asset(client, title="第一课视频"):
    response = client.post(reverse("admin:courses_mediaasset_add"), {"title": title})
    assert response.status_code == 302, response.content[:2000]
    return MediaAsset.objects.get(title=title)


def post_chunk(client, asset, data, start, total):
    return client.post(
        reverse("web:studio_video_upload", args=[asset.pk]),
        data=data,
        content_type="application/octet-stream",
        headers={"content-range": f"bytes {start}-{start + len(data) - 1}/{total}"},
    )


def test_an_instructor_uploads_a_video_in_chunks_and_it_is_transcoded(
    client, instructor, clip, eager_tasks
):
    asset = add_asset(client)
    assert asset.instructor == instructor and asset.status == MediaAsset.Status.UPLOADING
    page = client.get(reverse("admin:courses_mediaasset_change", args=[asset.pk])).content
    assert b"data-media-upload" in page and b"js/media-upload.js" in page
    data = clip.read_bytes()
    half = len(data) // 2
    first = post_chunk(client, asset, data[:half], 0, len(data))
    assert first.status_code == 200 and first.json()["received"] == half
    # A chunk from the wrong place: the server says where to carry on.
    skipped = post_chunk(client, asset, data[half + 10 :], half + 10, len(data))
    assert skipped.status_code == 409 and skipped.json() == {"received": half}
    status = client.get(reverse("web:studio_video_upload", args=[asset.pk])).json()
    assert status["received"] == half and status["size"] == len(data)
    with eager_tasks(execute=True):
        last = post_chunk(client, asset, data[half:], half, len(data))
    assert last.status_code == 200
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    changelist = client.get(reverse("admin:courses_mediaasset_changelist")).content.decode()
    assert asset.title in changelist


def test_a_refused_file_answers_with_the_reason_shown_in_the_admin(client, instructor):
    asset = add_asset(client)
    data = b"just some text, no video here\n" * 50
    response = post_chunk(client, asset, data, 0, len(data))
    assert response.status_code == 400
    assert "not a video" in response.json()["error"]
    page = client.get(reverse("admin:courses_mediaasset_changelist")).content.decode()
    assert "not a video" in page  # the failure reason, in the list
    # A new file may replace the refused one.
    assert post_chunk(client, asset, b"x" * 10, 0, 20).status_code == 200


def test_a_file_too_large_is_refused_at_its_first_chunk(client, instructor, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 100
    asset = add_asset(client)
    response = post_chunk(client, asset, b"x" * 50, 0, 101)
    assert response.status_code == 400 and "too large" in response.json()["error"]


def test_nobody_reaches_another_instructors_video(client, instructor):
    theirs = MediaAsset.objects.create(instructor=InstructorFactory(), title="theirs")
    for url in (
        reverse("admin:courses_mediaasset_change", args=[theirs.pk]),
        reverse("web:studio_video_upload", args=[theirs.pk]),
    ):
        assert client.get(url).status_code == 404
    assert post_chunk(client, theirs, b"x", 0, 1).status_code == 404
    assert (
        "theirs" not in client.get(reverse("admin:courses_mediaasset_changelist")).content.decode()
    )


def test_a_lesson_given_a_ready_file_in_the_admin_takes_its_duration(
    client, instructor, clip, eager_tasks
):
    with eager_tasks(execute=True):
        asset = media.media_asset_import(instructor=instructor, path=clip, title="ready")
    lesson = LessonFactory(chapter__course__instructor=instructor, duration_seconds=600)
    change = reverse("admin:courses_lesson_change", args=[lesson.pk])
    data = form_data(client.get(change)) | {"media": str(asset.pk)}
    assert client.post(change, data).status_code == 302
    lesson.refresh_from_db()
    assert lesson.media == asset and lesson.duration_seconds == 2


def test_deleting_a_video_file_deletes_its_stored_files(client, instructor, clip, eager_tasks):
    with eager_tasks(execute=True):
        asset = media.media_asset_import(instructor=instructor, path=clip, title="gone")
    asset.refresh_from_db()
    folder = media._storage_path(f"hls/{asset.pk}")
    source = media._storage_path(asset.source.name)
    assert folder.exists() and source.exists()
    with eager_tasks(execute=True):
        response = client.post(
            reverse("admin:courses_mediaasset_delete", args=[asset.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not MediaAsset.objects.filter(pk=asset.pk).exists()
    assert not folder.exists() and not source.exists()
