"""Video on demand: uploads, probing, HLS transcoding and signed playback addresses.

- **Upload** (``media_asset_create``, ``media_upload_receive``): the upload script (in the admin
  and on the instructor's studio page) sends the file in chunks with ``Content-Range``; each chunk
  is appended at the size the server holds, so an interrupted upload resumes from there. The last
  chunk closes the upload: the file is probed and refused (not a video, corrupt, too long; too
  large is refused before any byte is kept) or accepted and queued for transcoding on the
  ``media`` queue after commit.
- **Transcoding** (``media_transcode``, Celery task ``courses.tasks.media_transcode_task``):
  one ffmpeg run decodes once and encodes two H.264/AAC renditions (720p and 360p, or lower for
  a smaller source) into HLS with a master playlist, then a JPEG poster; the real duration goes
  into the lessons and short videos that use the asset. Idempotent: a ready asset is left
  alone, a redelivered one is transcoded again into a fresh folder swapped in at the end.
- **Playback** (``media_playback``, ``media_token``, ``media_token_check``,
  ``media_playlist_rewrite``): a file
  of a ready asset is reached only through a token signed with the site's key, naming the
  asset, the file, the learner (0 for free content) and an expiry. The doors decide who may
  watch (``commerce.selectors.lesson_access_for``) before asking for a token; playlists are
  rewritten so every address in them carries its own token.
"""

import logging
import posixpath
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from celery import current_app
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from courses import generations
from courses.ffmpeg import ffmpeg_exe
from courses.models import Lesson, MediaAsset, ShortVideo, private_media_storage

logger = logging.getLogger(__name__)

TRANSCODE_TASK = "courses.tasks.media_transcode_task"
SIGNING_SALT = "zhibo.media.playback"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
CONTENT_TYPES = {".m3u8": PLAYLIST_TYPE, ".ts": "video/mp2t", ".jpg": "image/jpeg"}
POSTER_NAME = "poster.jpg"
MASTER_NAME = "master.m3u8"


class UploadOffsetMismatch(Exception):
    """A chunk that does not start where the server's copy ends: the client resumes from
    ``received``."""

    def __init__(self, received: int):
        super().__init__(f"The upload continues at byte {received}.")
        self.received = received


# Probing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int
    height: int
    has_audio: bool


_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+).*?\b(\d{2,5})x(\d{2,5})\b")
_STILL_CODECS = {"mjpeg", "png", "gif", "bmp", "webp", "tiff"}


def media_probe(path: Path) -> Probe:
    """What ffmpeg reads in ``path``; ``ValidationError`` when it is not a playable video."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
    )
    output = result.stderr
    if "moov atom not found" in output or ("Invalid data found" in output and "Video:" in output):
        raise ValidationError(
            _("The video file is corrupt or incomplete: upload it again."), code="corrupt"
        )
    video = _VIDEO.search(output)
    duration = _DURATION.search(output)
    if video is None or duration is None or video.group(1) in _STILL_CODECS:
        raise ValidationError(
            _("This file is not a video (MP4, MOV, WebM, MKV… are accepted)."), code="not_video"
        )
    hours, minutes, seconds = duration.groups()
    seconds = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if seconds < 0.5:
        raise ValidationError(_("The video is too short to play."), code="too_short")
    if seconds > settings.MEDIA_MAX_DURATION_SECONDS:
        raise ValidationError(
            _("The video is too long: at most %(minutes)d minutes.")
            % {"minutes": settings.MEDIA_MAX_DURATION_SECONDS // 60},
            code="too_long",
        )
    return Probe(
        duration=seconds,
        width=int(video.group(2)),
        height=int(video.group(3)),
        has_audio=bool(re.search(r"Stream #\S+.*?: Audio: ", output)),
    )


# Uploading ---------------------------------------------------------------------------------------


def _storage_path(name: str) -> Path:
    return Path(private_media_storage().path(name))


def media_asset_create(*, instructor, title: str, size_bytes: int | None = None) -> MediaAsset:
    """A new asset waiting for its upload (of ``size_bytes`` bytes when known: too large a file
    is refused at once; otherwise the first chunk announces it)."""
    if size_bytes is not None:
        _check_size(size_bytes)
    asset = MediaAsset(instructor=instructor, title=title)
    asset.full_clean()
    asset.save()
    if size_bytes is None:
        return asset
    return media_upload_begin(asset=asset, size_bytes=size_bytes)


def _check_size(size_bytes: int) -> None:
    if size_bytes <= 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size_bytes > settings.MEDIA_UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is too large: at most %(megabytes)d MB.")
            % {"megabytes": settings.MEDIA_UPLOAD_MAX_BYTES // 1024**2},
            code="too_large",
        )


def media_upload_begin(*, asset: MediaAsset, size_bytes: int) -> MediaAsset:
    """Announce the size of the file about to be uploaded to ``asset`` (the admin's first
    chunk); a new file may replace one that failed or is not complete."""
    _check_size(size_bytes)
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        if asset.status == MediaAsset.Status.UPLOADING and asset.size_bytes == size_bytes:
            return asset  # resuming the same upload
        if asset.status not in (MediaAsset.Status.UPLOADING, MediaAsset.Status.FAILED):
            raise ValidationError(_("This video is already uploaded."), code="complete")
        if asset.source.name:
            private_media_storage().delete(asset.source.name)
        asset.source.name = f"sources/{asset.pk}/{uuid.uuid4().hex}.upload"
        asset.size_bytes, asset.received_bytes = size_bytes, 0
        asset.status, asset.failure_reason = MediaAsset.Status.UPLOADING, ""
        asset.save()
    return asset


def media_upload_chunk(*, asset: MediaAsset, offset: int, data: bytes) -> MediaAsset:
    """Append ``data`` at ``offset`` (which must be the size the server holds) and close the
    upload with its last byte: ``media_upload_finish``."""
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        if asset.status != MediaAsset.Status.UPLOADING:
            raise ValidationError(_("This upload is already complete."), code="complete")
        if offset != asset.received_bytes:
            raise UploadOffsetMismatch(asset.received_bytes)
        if offset + len(data) > asset.size_bytes:
            raise ValidationError(_("More bytes than the file announced."), code="too_many")
        path = _storage_path(asset.source.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "r+b" if path.exists() else "wb") as file:
            file.truncate(offset)  # a chunk written but not recorded is written again
            file.seek(offset)
            file.write(data)
        asset.received_bytes = offset + len(data)
        asset.save(update_fields=["received_bytes", "updated_at"])
    if asset.received_bytes == asset.size_bytes:
        asset = media_upload_finish(asset=asset)
    return asset


CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def media_upload_receive(*, asset: MediaAsset, content_range: str, data: bytes) -> MediaAsset:
    """One chunk as a door receives it: ``content_range`` is the request's ``Content-Range``
    (``bytes START-END/TOTAL``). A first chunk (or a new size) starts the upload afresh; each
    chunk must start at the size the server holds (``UploadOffsetMismatch`` says where to carry
    on). Refusals are ``ValidationError`` with the message to show."""
    found = CONTENT_RANGE.match(content_range or "")
    if found is None:
        raise ValidationError(_("A Content-Range header is needed."), code="range")
    start, end, total = map(int, found.groups())
    if end - start + 1 != len(data):
        raise ValidationError(_("The chunk is not the announced size."), code="chunk_size")
    if start == 0 or asset.size_bytes != total:
        asset = media_upload_begin(asset=asset, size_bytes=total)
    return media_upload_chunk(asset=asset, offset=start, data=data)


def media_upload_state(asset: MediaAsset) -> dict:
    """What an upload page shows and resumes from: bytes held, the size, the status and why a
    file was refused."""
    return {
        "received": asset.received_bytes,
        "size": asset.size_bytes,
        "status": asset.status,
        "status_label": asset.get_status_display(),
        "failure_reason": asset.failure_reason,
    }


def media_upload_finish(*, asset: MediaAsset, queue: bool = True) -> MediaAsset:
    """Probe the complete upload: a refused file is deleted and the asset fails with the reason
    (``ValidationError`` carries it to the door); an accepted one is queued for transcoding."""
    try:
        probe = media_probe(_storage_path(asset.source.name))
    except ValidationError as error:
        _fail(asset, " ".join(error.messages))
        private_media_storage().delete(asset.source.name)
        raise
    asset.duration_seconds = probe.duration
    asset.width, asset.height = probe.width, probe.height
    asset.status = MediaAsset.Status.UPLOADED
    asset.failure_reason = ""
    asset.save()
    if queue:
        media_transcode_queue(asset=asset)
    return asset


def media_asset_import(*, instructor, path: Path, title: str, queue: bool = True) -> MediaAsset:
    """A whole file on disk uploaded at once (the demo, benchmarks, the shell), as the admin's
    chunks would: refused or queued the same way (``queue=False``: the caller transcodes it
    with ``media_transcode``)."""
    path = Path(path)
    asset = media_asset_create(instructor=instructor, title=title, size_bytes=path.stat().st_size)
    target = _storage_path(asset.source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    MediaAsset.objects.filter(pk=asset.pk).update(received_bytes=asset.size_bytes)
    asset.received_bytes = asset.size_bytes
    return media_upload_finish(asset=asset, queue=queue)


def media_files_delete(*, asset_id: int) -> None:
    """Delete an asset's upload and renditions from the private storage (not the row)."""
    for folder in (f"sources/{asset_id}", f"hls/{asset_id}"):
        shutil.rmtree(_storage_path(folder), ignore_errors=True)


def media_transcode_queue(*, asset: MediaAsset) -> None:
    """Queue ``courses.tasks.media_transcode_task`` after commit, by name: the task module calls
    this one, so this one does not import it back."""
    transaction.on_commit(lambda: current_app.signature(TRANSCODE_TASK, args=(asset.pk,)).delay())


def media_attach(*, asset: MediaAsset, lessons=(), short_videos=()) -> None:
    """Let lessons and short videos play ``asset`` (the instructor's own), with its duration."""
    for item in [*lessons, *short_videos]:
        if item.__class__.objects.owned_by(asset.instructor.user).filter(pk=item.pk).exists():
            continue
        raise ValidationError(_("You can only attach your own videos."), code="not_owner")
    Lesson.objects.filter(pk__in=[item.pk for item in lessons]).update(media=asset)
    ShortVideo.objects.filter(pk__in=[item.pk for item in short_videos]).update(media=asset)
    if asset.is_ready:
        _durations_apply(asset)
    generations.catalog_changed("course", "video")


def media_duration_of(item) -> int | None:
    """The duration a lesson or short video takes from its video file, once that is ready."""
    asset = item.media if isinstance(item, Lesson | ShortVideo) else None
    if asset is None or not asset.is_ready:
        return None
    return max(1, round(asset.duration_seconds or 0))


def media_durations_follow(*, items) -> None:
    """Saved lessons or short videos that play a ready file take its real duration."""
    for item in items:
        seconds = media_duration_of(item)
        if seconds and item.duration_seconds != seconds:
            type(item).objects.filter(pk=item.pk).update(duration_seconds=seconds)
            item.duration_seconds = seconds


def _durations_apply(asset: MediaAsset) -> None:
    seconds = max(1, round(asset.duration_seconds or 0))
    Lesson.objects.filter(media=asset).update(duration_seconds=seconds)
    ShortVideo.objects.filter(media=asset).update(duration_seconds=seconds)


def _fail(asset: MediaAsset, reason: str) -> None:
    asset.status = MediaAsset.Status.FAILED
    asset.failure_reason = reason[:2000]
    asset.save(update_fields=["status", "failure_reason", "updated_at"])


# Transcoding -------------------------------------------------------------------------------------


def renditions_for(height: int) -> list[int]:
    """Two rendition heights, best first: 720p and 360p, or lower for a smaller source."""
    top = min(720, height) // 2 * 2
    low = 360 if top > 360 else max(72, top // 2 // 2 * 2)
    return [top, low] if low < top else [top]


def _bitrate_kbps(height: int) -> int:
    return max(200, round(height * 3.9)) if height >= 480 else max(120, round(height * 2.2))


def transcode_command(*, source: Path, out: Path, heights: list[int], has_audio: bool) -> list:
    """The one ffmpeg run that encodes every rendition of ``source`` as HLS into ``out``
    (``bench/bench_transcode.py`` runs the same command directly)."""
    count = len(heights)
    split = f"[0:v]split={count}" + "".join(f"[s{i}]" for i in range(count))
    scales = [f"[s{i}]scale=-2:{h}:flags=bicubic,setsar=1[v{i}]" for i, h in enumerate(heights)]
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    command += ["-i", str(source), "-filter_complex", ";".join([split, *scales])]
    stream_map = []
    for i, height in enumerate(heights):
        command += ["-map", f"[v{i}]"]
        if has_audio:
            command += ["-map", "0:a:0"]
        kbps = _bitrate_kbps(height)
        command += [
            f"-b:v:{i}",
            f"{kbps}k",
            f"-maxrate:v:{i}",
            f"{kbps * 3 // 2}k",
            f"-bufsize:v:{i}",
            f"{kbps * 2}k",
        ]
        stream_map.append(f"v:{i},a:{i},name:{height}p" if has_audio else f"v:{i},name:{height}p")
    command += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main"]
    command += ["-pix_fmt", "yuv420p", "-force_key_frames", "expr:gte(t,n_forced*2)"]
    if has_audio:
        command += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "44100"]
    command += [
        "-f",
        "hls",
        "-hls_time",
        "4",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(out / "%v" / "seg_%04d.ts"),
        "-master_pl_name",
        MASTER_NAME,
        "-var_stream_map",
        " ".join(stream_map),
        str(out / "%v" / "index.m3u8"),
    ]
    return command


def poster_command(*, source: Path, out: Path, duration: float, height: int) -> list:
    at = min(1.0, duration / 2)
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-ss",
        f"{at:.2f}",
        "-i",
        str(source),
        "-frames:v",
        "1",
        "-vf",
        f"scale=-2:{height}",
        "-q:v",
        "4",
        str(out / POSTER_NAME),
    ]


def _run(command: list, deadline: float) -> None:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=max(1.0, deadline - time.monotonic()),
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise ValidationError(
            _("The video could not be converted (%(detail)s).")
            % {"detail": " ".join(lines[-3:])[:500] or result.returncode},
            code="corrupt",
        )


def media_transcode(*, asset_id: int) -> MediaAsset | None:
    """Transcode the asset into HLS renditions and a poster; idempotent (see the module)."""
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().filter(pk=asset_id).first()
        if asset is None or asset.status not in (
            MediaAsset.Status.UPLOADED,
            MediaAsset.Status.PROCESSING,  # redelivered after a lost worker
        ):
            return asset
        asset.status = MediaAsset.Status.PROCESSING
        asset.save(update_fields=["status", "updated_at"])
    source = _storage_path(asset.source.name)
    folder = f"hls/{asset.pk}/{uuid.uuid4().hex[:12]}"
    out = _storage_path(folder)
    deadline = time.monotonic() + settings.MEDIA_TRANSCODE_TIME_LIMIT
    try:
        probe = media_probe(source)
        heights = renditions_for(probe.height)
        for height in heights:
            (out / f"{height}p").mkdir(parents=True, exist_ok=True)
        _run(
            transcode_command(source=source, out=out, heights=heights, has_audio=probe.has_audio),
            deadline,
        )
        _run(
            poster_command(source=source, out=out, duration=probe.duration, height=heights[0]),
            deadline,
        )
    except (ValidationError, subprocess.TimeoutExpired, OSError) as error:
        shutil.rmtree(out, ignore_errors=True)
        reason = (
            " ".join(error.messages)
            if isinstance(error, ValidationError)
            else _("Converting the video took too long.")
            if isinstance(error, subprocess.TimeoutExpired)
            else str(error)
        )
        logger.warning("media %s failed: %s", asset.pk, reason)
        _fail(asset, reason)
        return asset
    previous = asset.hls_folder
    asset.status = MediaAsset.Status.READY
    asset.failure_reason = ""
    asset.duration_seconds = probe.duration
    asset.width, asset.height = probe.width, probe.height
    asset.renditions = [f"{height}p" for height in heights]
    asset.hls_folder = folder
    asset.poster = posixpath.join(folder, POSTER_NAME)
    with transaction.atomic():
        asset.full_clean()
        asset.save()
        _durations_apply(asset)
        generations.catalog_changed("course", "video")
    if previous and previous != folder:
        shutil.rmtree(_storage_path(previous), ignore_errors=True)
    return asset


# Playback ----------------------------------------------------------------------------------------


def media_token(
    *, asset: MediaAsset, name: str, user_id: int, expires: int | None = None, bearer: bool = False
) -> str:
    """A token for the file ``name`` of ``asset`` (relative to its HLS folder), valid for
    ``user_id`` (0: anyone, for free content) until ``expires`` (Unix time). A ``bearer`` token
    is itself the credential (the apps' players send no cookie): it still names the learner it
    was issued to, and lives as briefly as any other."""
    if expires is None:
        expires = int(time.time()) + settings.MEDIA_SIGNED_URL_SECONDS
    claims = {"a": asset.pk, "p": name, "u": user_id, "e": expires}
    if bearer:
        claims["b"] = 1
    return signing.dumps(claims, salt=SIGNING_SALT)


def media_token_check(*, token: str, asset_id: int, name: str, user) -> dict | None:
    """The token's claims when it is genuine, unexpired, for this file and for this learner
    (or anyone, or a bearer token); ``None`` otherwise."""
    try:
        claims = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(claims, dict) or claims.get("a") != asset_id or claims.get("p") != name:
        return None
    if not isinstance(claims.get("e"), int) or claims["e"] < time.time():
        return None
    if claims.get("b") != 1 and claims.get("u") not in (
        0,
        user.pk if user.is_authenticated else 0,
    ):
        return None
    return claims


def media_address(*, asset_id: int, name: str, token: str) -> str:
    """The site's address of an asset's file, carrying its token."""
    return f"{reverse('web:media_file', args=[asset_id, name])}?t={quote(token)}"


def media_playback(*, asset: MediaAsset | None, user, paid: bool, bearer: bool = False):
    """What a player needs for ``asset``: its status, and when ready the addresses of its master
    playlist and poster, signed for ``user`` when the content is ``paid`` (for anyone when it is
    free), and for paid content the name to draw as a watermark. The caller has decided that
    ``user`` may watch. ``bearer``: the addresses are the credential (the apps)."""
    if asset is None:
        return None
    if not asset.is_ready:
        return {"ready": False, "status": asset.status}
    signed_for = user.pk if paid and user.is_authenticated else 0
    expires = int(time.time()) + settings.MEDIA_SIGNED_URL_SECONDS

    def address(name):
        token = media_token(
            asset=asset, name=name, user_id=signed_for, expires=expires, bearer=bearer
        )
        return media_address(asset_id=asset.pk, name=name, token=token)

    return {
        "ready": True,
        "status": asset.status,
        "src": address(MASTER_NAME),
        "poster": address(POSTER_NAME),
        "duration": round(asset.duration_seconds or 0),
        "paid": paid,
        "watermark": user.get_username() if signed_for else "",
        "expires": expires,
    }


def media_file_path(*, asset: MediaAsset, name: str) -> Path | None:
    """The file ``name`` of a ready asset's HLS folder; ``None`` for anything outside it."""
    normalised = posixpath.normpath(name)
    if (
        not asset.is_ready
        or normalised != name
        or normalised.startswith(("/", ".."))
        or posixpath.splitext(normalised)[1] not in CONTENT_TYPES
    ):
        return None
    path = _storage_path(posixpath.join(asset.hls_folder, normalised))
    return path if path.is_file() else None


def media_playlist_rewrite(*, text: str, name: str, address) -> str:
    """``text``, the playlist ``name``, with each address in it replaced by ``address(file)``
    (the door's signed URL of that file, relative to the HLS folder)."""
    folder = posixpath.dirname(name)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            target = posixpath.normpath(posixpath.join(folder, stripped))
            line = address(target)
        lines.append(line)
    return "\n".join(lines) + "\n"


def media_asset_for_playback(*, asset_id: int) -> MediaAsset | None:
    """The asset of that id, if it exists (the token says whether its files may be read)."""
    return MediaAsset.objects.filter(pk=asset_id).first()
