"""The demo broadcaster (``manage.py live_broadcast``) publishes a generated stream for a live
session: HLS in its live folder while it runs, through the same services as the ingest
server's callback, then a replay (HLS VOD) recorded from it; ``manage.py live_replay`` makes a
recording from nginx-rtmp the replay."""

import os
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from courses import live as live_streams
from courses.models import LiveSession, new_stream_key
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def live_root(settings, tmp_path):
    settings.LIVE_ROOT = tmp_path / "live"
    return settings.LIVE_ROOT


@pytest.fixture
def session():
    now = timezone.now()
    return LiveSessionFactory(
        title="三秒直播",
        scheduled_start=now - timedelta(minutes=1),
        scheduled_end=now + timedelta(hours=1),
    )


def test_a_three_second_broadcast_goes_live_then_leaves_a_replay(session):
    seen = []
    done = threading.Event()

    def watch():  # what the status endpoint would report, while the broadcast runs
        try:
            while not done.is_set():
                row = LiveSession.objects.get(pk=session.pk)
                seen.append((row.status, live_streams.live_stream_state(live_session=row)))
                time.sleep(0.3)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        call_command("live_broadcast", session.slug, "--seconds", "3", "--size", "320x180")
    finally:
        done.set()
        watcher.join()

    assert any(status == "live" and state.state == "live" for status, state in seen)
    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED
    playlist = (live_streams.stream_dir(session) / "index.m3u8").read_text()
    assert playlist.count("#EXTINF") >= 2 and "#EXT-X-ENDLIST" in playlist
    assert live_streams.live_stream_state(live_session=session).state == "ended"

    assert session.recording == f"replays/{session.pk}/index.m3u8"
    replay = (live_streams.replay_dir(session) / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in replay and "#EXT-X-ENDLIST" in replay
    duration = sum(float(line[8:].rstrip(",")) for line in replay.splitlines() if "EXTINF" in line)
    assert 2.5 <= duration <= 4.0
    assert not list(live_streams.recordings_dir().glob("*.ts"))  # the recording was used up
    assert LiveSession.objects.with_replay().filter(pk=session.pk).exists()


def test_a_session_that_is_over_is_not_broadcast(session):
    session.status = LiveSession.Status.ENDED
    session.save()
    with pytest.raises(CommandError):
        call_command("live_broadcast", str(session.pk), "--seconds", "1")
    with pytest.raises(CommandError):
        call_command("live_broadcast", "no-such-live", "--seconds", "1")


def test_an_nginx_recording_becomes_the_replay(session, live_root):
    """nginx-rtmp records FLV and runs ``live_replay -- <key> <path>`` when the recording is
    done; a key from before keys were kept from a leading "-" gets there too."""
    session.stream_key = "-" + session.stream_key[1:]
    session.save()
    recording = live_root / "recordings" / f"{session.stream_key}-1.flv"
    recording.parent.mkdir(parents=True)
    subprocess.run(
        [
            live_streams.ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-f", "lavfi"),
            *("-i", "testsrc2=size=160x90:rate=10", "-f", "lavfi", "-i", "sine"),
            *("-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"),
            *("-f", "flv", str(recording)),
        ],
        check=True,
    )
    live_streams.live_publish_authorise(stream_key=session.stream_key)
    call_command("live_replay", "--", session.stream_key, str(recording))  # as nginx runs it
    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED and session.recording
    assert "#EXT-X-ENDLIST" in (live_streams.replay_dir(session) / "index.m3u8").read_text()

    elsewhere = live_root.parent / "outside.flv"
    shutil.copy(recording, elsewhere)
    with pytest.raises(CommandError):  # only recordings under LIVE_ROOT
        call_command("live_replay", session.stream_key, str(elsewhere))
    with pytest.raises(CommandError):
        call_command("live_replay", "not-the-key-0000000000", str(recording))


def test_a_stream_key_never_starts_like_a_command_line_option(monkeypatch):
    """New keys never start with "-"; nginx ends the options with ``--`` for older ones."""
    drawn = iter(["-" + "a" * 31, "b" * 32])
    monkeypatch.setattr("courses.models.secrets.token_urlsafe", lambda n: next(drawn))
    assert new_stream_key() == "b" * 32
    conf = (Path(__file__).resolve().parents[1] / "platform" / "nginx-rtmp.conf").read_text()
    assert "live_replay -- $name $path;" in conf


# A publisher that vanished without a word -------------------------------------------------------


def _stalled_playlist(session, age: float):
    folder = live_streams.stream_dir(session)
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / live_streams.PLAYLIST
    playlist.write_text("#EXTM3U\n#EXTINF:1.0,\nseg00001.ts\n")
    stamp = time.time() - age
    os.utime(playlist, (stamp, stamp))


def test_a_killed_broadcaster_leaves_a_session_that_the_periodic_task_ends_with_its_replay(
    session, settings
):
    """The demo broadcaster killed with SIGKILL never calls ``live_publish_done``: the session
    would say "live" forever. After LIVE_ABANDONED_SECONDS of a still playlist it ends, and the
    recording it left becomes the replay."""
    settings.LIVE_ABANDONED_SECONDS = 60
    live_streams.live_publish_authorise(stream_key=session.stream_key)
    recording = live_streams.recordings_dir() / f"{session.pk}-20261206-050000.ts"
    recording.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            live_streams.ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-f", "lavfi"),
            *("-i", "testsrc2=size=160x90:rate=10", "-f", "lavfi", "-i", "sine"),
            *("-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"),
            *("-f", "mpegts", str(recording)),
        ],
        check=True,
    )
    _stalled_playlist(session, age=30)
    assert live_streams.live_sessions_abandoned_end() == []  # a reconnect may still come
    session.refresh_from_db()
    assert session.status == LiveSession.Status.LIVE

    _stalled_playlist(session, age=61)
    assert [live.pk for live in live_streams.live_sessions_abandoned_end()] == [session.pk]
    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED and session.recording
    assert "#EXT-X-ENDLIST" in (live_streams.replay_dir(session) / "index.m3u8").read_text()
    assert not recording.exists()
    assert live_streams.live_sessions_abandoned_end() == []  # nothing twice


def test_a_session_marked_live_with_no_stream_ends_once_well_past_its_schedule(settings):
    settings.LIVE_ABANDONED_SECONDS = 600
    now = timezone.now()
    running = LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(hours=1),
        scheduled_end=now - timedelta(minutes=5),
    )
    over = LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(hours=2),
        scheduled_end=now - timedelta(minutes=11),
    )
    from courses.tasks import live_sessions_abandoned_end_task

    assert live_sessions_abandoned_end_task() == [over.pk]
    running.refresh_from_db()
    over.refresh_from_db()
    assert running.status == LiveSession.Status.LIVE and over.status == LiveSession.Status.ENDED
    assert not over.recording


def test_a_recording_that_cannot_be_replayed_still_ends_the_session(session, settings, caplog):
    settings.LIVE_ABANDONED_SECONDS = 60
    live_streams.live_publish_authorise(stream_key=session.stream_key)
    broken = live_streams.recordings_dir() / f"{session.pk}-20261206-050000.ts"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not a stream")
    _stalled_playlist(session, age=120)
    assert [live.pk for live in live_streams.live_sessions_abandoned_end()] == [session.pk]
    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED and not session.recording
    assert "could not be replayed" in caplog.text
    assert broken.exists()  # kept for someone to look at


def test_the_task_runs_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["courses-live-abandoned"]
    assert entry["task"] == "courses.tasks.live_sessions_abandoned_end_task"
    assert entry["schedule"] == 60.0
