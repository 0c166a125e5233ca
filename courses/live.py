"""Live streams: who may broadcast, where a stream's HLS is, what state it is in, and how it
becomes the session's replay.

A live session has a secret stream key. A publisher (OBS, a phone app, or the demo
broadcaster) sends RTMP to ``LIVE_INGEST_URL/<stream key>``; the ingest server (nginx-rtmp,
``platform/nginx-rtmp.conf``) asks the site whether the key may publish (``live_publish_authorise``)
and tells it when publishing is done (``live_publish_done``). While it publishes it writes HLS
into ``LIVE_ROOT/hls/<stream key>/index.m3u8`` (a sliding list of one-second segments) and records
the stream to a file, which becomes the replay once it ends (``live_replay_from_recording``,
HLS VOD in ``LIVE_ROOT/replays/<session id>/``). The site serves both by session, so the key
never shows in a URL. The demo broadcaster (``live_broadcast``) writes the same files itself.

What a page shows comes from the files themselves (``live_stream_state``): a playlist updated
within ``LIVE_FRESH_SECONDS`` is live, one with ``#EXT-X-ENDLIST`` has ended. A session whose
publisher vanished without a word is ended by a periodic task (``live_sessions_abandoned_end``).
"""

import logging
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from courses import ffmpeg
from courses.generations import catalog_changed
from courses.models import LiveSession, new_stream_key
from courses.services import live_session_end, live_session_start

PLAYLIST = "index.m3u8"
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}\.(m3u8|ts)$")
CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}
STREAM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

logger = logging.getLogger(__name__)


def ffmpeg_exe() -> str:
    """The ffmpeg to broadcast and remux with: ``LIVE_FFMPEG``, else the site's own."""
    return settings.LIVE_FFMPEG or ffmpeg.ffmpeg_exe()


def stream_dir(live_session: LiveSession) -> Path:
    """Where the live HLS of ``live_session`` is written: ``LIVE_ROOT/hls/<stream key>/``, as
    nginx-rtmp does with ``hls_nested``. A folder of its own, as nginx's ``hls_cleanup`` deletes
    old playlists and segments anywhere below ``hls_path``."""
    return settings.LIVE_ROOT / "hls" / live_session.stream_key


def replay_dir(live_session: LiveSession) -> Path:
    return settings.LIVE_ROOT / "replays" / str(live_session.pk)


def recordings_dir() -> Path:
    return settings.LIVE_ROOT / "recordings"


def live_session_for_key(*, stream_key: str) -> LiveSession:
    """The live session of ``stream_key``; ``PermissionDenied`` for any other string."""
    if not STREAM_KEY.match(stream_key or ""):
        raise PermissionDenied("Not a stream key.")
    live = LiveSession.objects.filter(stream_key=stream_key).first()
    if live is None:
        raise PermissionDenied("No live session has this stream key.")
    return live


def live_publish_authorise(*, stream_key: str) -> LiveSession:
    """A publisher connects with ``stream_key``: the session it belongs to goes live. Refused
    (``PermissionDenied``) for an unknown key and for a session that ended or was cancelled."""
    live = live_session_for_key(stream_key=stream_key)
    if live.status not in (LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE):
        raise PermissionDenied("This live session is over.")
    return live_session_start(live_session=live)


def live_publish_done(*, stream_key: str) -> LiveSession:
    """The publisher of ``stream_key`` stopped: the session has ended."""
    return live_session_end(live_session=live_session_for_key(stream_key=stream_key))


def live_stream_key_regenerate(*, live_session: LiveSession) -> LiveSession:
    """A new secret key for ``live_session``; the old one no longer publishes."""
    live_session.stream_key = new_stream_key()
    live_session.save(update_fields=["stream_key", "updated_at"])
    return live_session


def ingest_server() -> str:
    """The RTMP server publishers send to (``LIVE_INGEST_URL``); the stream name is the key."""
    return settings.LIVE_INGEST_URL.rstrip("/")


@dataclass(frozen=True)
class StreamState:
    state: str  # "not_started", "live" or "ended"
    playlist: bool  # the live playlist exists
    updated_seconds_ago: float | None
    endlist: bool  # the playlist says the stream ended
    segments: int
    replay: bool  # a replay may be watched

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "playlist": self.playlist,
            "updated_seconds_ago": (
                None if self.updated_seconds_ago is None else round(self.updated_seconds_ago, 1)
            ),
            "endlist": self.endlist,
            "segments": self.segments,
            "replay": self.replay,
        }


def live_stream_state(*, live_session: LiveSession, now: float | None = None) -> StreamState:
    """The real state of the stream, from its playlist: live when it was updated within
    ``LIVE_FRESH_SECONDS`` and has segments, ended when it ends with ``#EXT-X-ENDLIST`` or the
    session has ended, not started otherwise (also while a publisher is away)."""
    path = stream_dir(live_session) / PLAYLIST
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        age = max(0.0, (now or time.time()) - path.stat().st_mtime)
    except OSError:
        text, age = None, None
    endlist = text is not None and "#EXT-X-ENDLIST" in text
    segments = text.count("#EXTINF") if text else 0
    over = live_session.status in (LiveSession.Status.ENDED, LiveSession.Status.CANCELLED)
    if endlist or over:
        state = "ended"
    elif text is not None and segments and age <= settings.LIVE_FRESH_SECONDS:
        state = "live"
    else:
        state = "not_started"
    return StreamState(
        state=state,
        playlist=text is not None,
        updated_seconds_ago=age,
        endlist=endlist,
        segments=segments,
        replay=bool(live_session.recording or live_session.replay_url),
    )


def live_media_file(*, live_session: LiveSession, kind: str, name: str) -> Path | None:
    """A file of the live stream (``kind`` "stream") or of its recorded replay ("replay") that
    may be served: a playlist or segment by its plain name, None for anything else."""
    if not FILE_NAME.match(name):
        return None
    if kind == "stream":
        folder = stream_dir(live_session)
    elif kind == "replay" and live_session.recording:
        folder = replay_dir(live_session)
    else:
        return None
    path = folder / name
    return path if path.is_file() else None


def content_type_for(path: Path) -> str:
    return CONTENT_TYPES[path.suffix]


def live_replay_from_recording(*, live_session: LiveSession, recording: Path) -> LiveSession:
    """Remux the recording of a live stream (FLV from nginx-rtmp, MPEG-TS from the demo
    broadcaster) into an HLS VOD playlist, the session's replay."""
    recording = Path(recording).resolve()
    if not recording.is_relative_to(settings.LIVE_ROOT) or not recording.is_file():
        raise ValueError(f"No recording at {recording} under LIVE_ROOT.")
    target = replay_dir(live_session)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{live_session.pk}-", dir=target.parent))
    try:
        subprocess.run(
            [
                ffmpeg_exe(),
                *("-hide_banner", "-loglevel", "error", "-y", "-i", str(recording)),
                *("-c", "copy", "-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod"),
                *("-hls_segment_filename", str(work / "part%05d.ts"), str(work / PLAYLIST)),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with transaction.atomic():
        live_session.recording = f"replays/{live_session.pk}/{PLAYLIST}"
        live_session.save(update_fields=["recording", "updated_at"])
        catalog_changed("live")
    return live_session


def live_replay_import(*, stream_key: str, recording: Path) -> LiveSession:
    """nginx-rtmp's ``exec_record_done``: the recording of ``stream_key`` becomes its replay."""
    live = live_session_for_key(stream_key=stream_key)
    live_session_end(live_session=live)
    return live_replay_from_recording(live_session=live, recording=recording)


def live_sessions_abandoned_end(*, now: float | None = None) -> list[LiveSession]:
    """End the sessions still marked live whose publisher vanished without saying so (a
    broadcaster killed, an ingest server that died before its ``on_publish_done``): their live
    playlist has not changed for ``LIVE_ABANDONED_SECONDS``, or they never had one and their
    scheduled end is that long past. A recording left behind becomes the replay. Safe to run
    at any moment: a stream that resumes within the grace period is left alone."""
    now = now or time.time()
    grace = settings.LIVE_ABANDONED_SECONDS
    ended = []
    for live in LiveSession.objects.filter(status=LiveSession.Status.LIVE):
        try:
            age = now - (stream_dir(live) / PLAYLIST).stat().st_mtime
        except OSError:
            age = None
        if age is None:
            abandoned = live.scheduled_end.timestamp() + grace < now
        else:
            abandoned = age > grace
        if not abandoned:
            continue
        live = live_session_end(live_session=live)
        recordings = sorted(
            (path for path in recordings_dir().glob(f"{live.pk}-*.ts") if path.stat().st_size),
            key=lambda path: path.stat().st_mtime,
        )
        if recordings and not live.recording:
            try:
                live = live_replay_from_recording(live_session=live, recording=recordings[-1])
            except (OSError, ValueError, subprocess.SubprocessError):
                logger.exception("The recording of live session %s could not be replayed", live.pk)
            else:
                recordings[-1].unlink(missing_ok=True)
        ended.append(live)
    return ended


# The demo broadcaster


def _has_fonts() -> bool:
    return any(Path(folder).is_dir() for folder in ("/usr/share/fonts", "/usr/local/share/fonts"))


def broadcast_command(
    *, title_file: Path, seconds: float, output: list[str], size: str = "640x360"
) -> list[str]:
    """ffmpeg generating a test card (testsrc2, a 440 Hz tone, the title and a clock) in real
    time for ``seconds``, encoded for low latency (a keyframe every second) to ``output``."""
    title = str(title_file).replace("\\", "\\\\").replace(":", "\\:")
    font = "font=Noto Sans CJK SC:fontcolor=white"
    video = [  # the title along the bottom, the clock at the top right, sized to the frame
        "drawbox=y=ih*5/6:w=iw:h=ih/6:color=black@0.6:t=fill",
        f"drawtext=textfile={title}:{font}:fontsize=h/16:x=h/24:y=h*11/12-th/2",
        f"drawtext=text=%{{localtime}}:{font}:fontsize=h/20:x=w-tw-h/24:y=h/24"
        ":box=1:boxcolor=black@0.6:boxborderw=6",
    ]
    return [
        ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-re"),
        *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"),
        *("-t", str(seconds), "-map", "0:v", "-map", "1:a"),
        *(["-vf", ",".join(video)] if _has_fonts() else []),
        *("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "600k"),
        *("-pix_fmt", "yuv420p", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0"),
        *("-c:a", "aac", "-b:a", "64k", "-ar", "44100"),
        *output,
    ]


def _title_file(live_session: LiveSession) -> Path:
    recordings_dir().mkdir(parents=True, exist_ok=True)
    path = recordings_dir() / f"{live_session.pk}-title.txt"
    path.write_text(f"知播 · {live_session.title}", encoding="utf-8")
    return path


def live_broadcast(
    *, live_session: LiveSession, seconds: float = 60, rtmp_url: str = "", size: str = "640x360"
) -> LiveSession:
    """Broadcast a generated stream for ``live_session``.

    With ``rtmp_url`` it is published to that ingest server (``<rtmp_url>/<stream key>``), which
    calls the site back as any publisher. Without, it plays the ingest server itself: the
    session goes live through ``live_publish_authorise``, HLS is written to its live folder
    while a recording is kept, and at the end ``live_publish_done`` and
    ``live_replay_from_recording`` make it ended with a replay."""
    title = _title_file(live_session)

    def command(output):
        return broadcast_command(title_file=title, seconds=seconds, output=output, size=size)

    if rtmp_url:
        url = f"{rtmp_url.rstrip('/')}/{live_session.stream_key}"
        subprocess.run(command(["-f", "flv", url]), check=True)
        live_session.refresh_from_db()
        return live_session

    live = live_publish_authorise(stream_key=live_session.stream_key)
    folder = stream_dir(live)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    recording = recordings_dir() / f"{live.pk}-{stamp}.ts"
    hls = (
        "[f=hls:hls_time=1:hls_list_size=6:hls_flags=delete_segments+independent_segments"
        f":hls_segment_filename={folder}/seg%05d.ts]{folder / PLAYLIST}"
    )
    process = subprocess.Popen(command(["-f", "tee", f"{hls}|[f=mpegts]{recording}"]))
    try:
        process.wait()
    except BaseException:  # Ctrl-C: stop ffmpeg cleanly, then end the session as usual
        process.terminate()
        process.wait(timeout=10)
        raise
    finally:
        live = live_publish_done(stream_key=live.stream_key)
        if recording.is_file() and recording.stat().st_size:
            live = live_replay_from_recording(live_session=live, recording=recording)
        recording.unlink(missing_ok=True)
    if process.returncode not in (0, 255):
        raise subprocess.CalledProcessError(process.returncode, "ffmpeg")
    return live
