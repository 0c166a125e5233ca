"""An instructor's video, from upload to HLS: chunks appended and resumed, files refused with a
reason, and a good file transcoded by the ``media`` task into renditions, a master playlist and
a poster, with its real duration."""

import pytest
from django.core.exceptions import ValidationError

from courses import media
from courses.models import MediaAsset
from tests.factories import InstructorFactory, LessonFactory, ShortVideoFactory
from tests.media.conftest import make_clip

pytestmark = pytest.mark.django_db


def upload_in_chunks(asset, data, chunk=40_000):
    for offset in range(0, len(data), chunk):
        asset = media.media_upload_chunk(
            asset=asset, offset=offset, data=data[offset : offset + chunk]
        )
    return asset


def test_an_upload_in_chunks_is_transcoded_into_two_renditions_and_a_poster(clip, eager_tasks):
    instructor = InstructorFactory()
    lesson = LessonFactory(chapter__course__instructor=instructor, duration_seconds=600)
    video = ShortVideoFactory(instructor=instructor, duration_seconds=45)
    data = clip.read_bytes()
    with eager_tasks(execute=True):
        asset = media.media_asset_create(
            instructor=instructor, title="第一课", size_bytes=len(data)
        )
        media.media_attach(asset=asset, lessons=[lesson], short_videos=[video])
        upload_in_chunks(asset, data)

    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    assert asset.renditions == ["240p", "120p"]  # a 240-line source: no upscaling to 360p/720p
    assert asset.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert (asset.width, asset.height) == (320, 240)
    folder = media._storage_path(asset.hls_folder)
    master = (folder / "master.m3u8").read_text()
    assert master.count("#EXT-X-STREAM-INF") == 2
    assert "240p/index.m3u8" in master and "120p/index.m3u8" in master
    for rendition in asset.renditions:
        playlist = (folder / rendition / "index.m3u8").read_text()
        assert "#EXT-X-ENDLIST" in playlist and ".ts" in playlist
    assert (folder / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    lesson.refresh_from_db()
    video.refresh_from_db()
    assert lesson.duration_seconds == 2 and video.duration_seconds == 2


def test_a_larger_source_gets_720p_and_360p():
    assert media.renditions_for(1080) == [720, 360]
    assert media.renditions_for(720) == [720, 360]
    assert media.renditions_for(480) == [480, 360]
    assert media.renditions_for(360) == [360, 180]


def test_transcoding_twice_changes_nothing(clip, eager_tasks):
    with eager_tasks(execute=True):
        asset = media.media_asset_import(instructor=InstructorFactory(), path=clip, title="x")
    asset.refresh_from_db()
    folder = asset.hls_folder
    assert media.media_transcode(asset_id=asset.pk).hls_folder == folder  # ready: left alone
    # Redelivered while processing (a worker lost): done again into a fresh folder.
    MediaAsset.objects.filter(pk=asset.pk).update(status=MediaAsset.Status.PROCESSING)
    again = media.media_transcode(asset_id=asset.pk)
    assert again.status == MediaAsset.Status.READY and again.hls_folder != folder
    assert not media._storage_path(folder).exists()


def test_an_interrupted_upload_resumes_from_what_the_server_holds(clip, eager_tasks):
    data = clip.read_bytes()
    asset = media.media_asset_create(
        instructor=InstructorFactory(), title="x", size_bytes=len(data)
    )
    media.media_upload_chunk(asset=asset, offset=0, data=data[:10_000])
    with pytest.raises(media.UploadOffsetMismatch) as mismatch:
        media.media_upload_chunk(asset=asset, offset=20_000, data=data[20_000:30_000])
    assert mismatch.value.received == 10_000
    with eager_tasks(execute=True):
        media.media_upload_chunk(asset=asset, offset=10_000, data=data[10_000:])
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    assert media._storage_path(asset.source.name).read_bytes() == data


def refused(tmp_path, content: bytes, **settings_changes):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    instructor = InstructorFactory()
    with pytest.raises(ValidationError) as error:
        media.media_asset_import(instructor=instructor, path=path, title="bad")
    return error.value, MediaAsset.objects.filter(instructor=instructor).first()


def test_a_file_that_is_not_a_video_is_refused_with_the_reason(tmp_path):
    error, asset = refused(tmp_path, b"%PDF-1.4 not a video at all\n" * 100)
    assert error.code == "not_video"
    assert asset.status == MediaAsset.Status.FAILED
    assert "not a video" in asset.failure_reason
    assert not media._storage_path(asset.source.name).exists()  # not kept


def test_a_truncated_video_is_refused_as_corrupt(tmp_path):
    # Without faststart an MP4's index (moov) is at its end: an upload cut short has none.
    data = make_clip(tmp_path / "full.mp4", audio=False, faststart=False).read_bytes()
    error, asset = refused(tmp_path, data[: len(data) // 2])
    assert error.code == "corrupt"
    assert asset.status == MediaAsset.Status.FAILED and "corrupt" in asset.failure_reason


def test_a_video_too_long_is_refused(tmp_path, settings, clip):
    settings.MEDIA_MAX_DURATION_SECONDS = 1
    error, asset = refused(tmp_path, clip.read_bytes())
    assert error.code == "too_long"
    assert "too long" in asset.failure_reason


def test_a_file_too_large_is_refused_before_any_byte_is_kept(settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        media.media_asset_create(instructor=InstructorFactory(), title="x", size_bytes=1001)
    assert error.value.code == "too_large"
    assert not MediaAsset.objects.exists()
