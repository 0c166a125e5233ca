"""Real video files for the media tests: tiny clips generated once per run by ffmpeg."""

import subprocess

import pytest

from config.celery_app import app
from courses.media import ffmpeg_exe


def make_clip(path, *, seconds=2, size="320x240", audio=True, faststart=True):
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        command += ["-c:a", "aac", "-shortest"]
    if faststart:
        command += ["-movflags", "+faststart"]
    command.append(str(path))
    subprocess.run(command, check=True, timeout=60)
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """A 2-second 320×240 H.264/AAC MP4."""
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test's uploads and renditions in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "media_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-media"},
        },
    }
    return tmp_path / "private-media"


@pytest.fixture
def eager_tasks(django_capture_on_commit_callbacks):
    """Queued tasks run in the test, when the transaction that queued them commits."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield django_capture_on_commit_callbacks
    app.conf.task_always_eager = before
