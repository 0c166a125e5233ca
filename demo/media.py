"""Real video for the demo: a handful of short clips (ffmpeg's test pattern and a tone, with a
title card), generated once, uploaded and transcoded by the catalog's own media services, and
shared by every demo lesson and short video, so that each of them plays.

A second run finds the clips ready and only attaches them to what has none; the whole step takes
a few seconds.
"""

import subprocess
import tempfile
from pathlib import Path

from django.db.models import F
from django.db.models.functions import Mod

from courses import media
from courses.models import Instructor, Lesson, MediaAsset, ShortVideo
from demo.catalog import DEMO_EMAIL_DOMAIN

CLIPS = 4
SECONDS = 4
SIZE = "640x360"
TITLE = "知播示例视频 {number}"
FREQUENCIES = [440, 523, 587, 659]


def _clip_command(path: Path, number: int, *, with_title: bool) -> list[str]:
    source = f"testsrc2=size={SIZE}:rate=25:duration={SECONDS}"
    command = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", source]
    tone = FREQUENCIES[(number - 1) % len(FREQUENCIES)]
    command += ["-f", "lavfi", "-i", f"sine=frequency={tone}:duration={SECONDS}"]
    if with_title:
        text = TITLE.format(number=number)
        command += [
            "-vf",
            f"drawtext=font='Noto Sans CJK SC':text='{text}':fontsize=40:fontcolor=white"
            ":box=1:boxcolor=black@0.6:boxborderw=16:x=(w-tw)/2:y=(h-th)/2",
        ]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    command += ["-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)]
    return command


def generate_clip(path: Path, number: int) -> Path:
    """A clip with its title card; without the card when drawtext finds no font."""
    result = subprocess.run(_clip_command(path, number, with_title=True), capture_output=True)
    if result.returncode != 0:
        subprocess.run(_clip_command(path, number, with_title=False), check=True)
    return path


def demo_media_assets(*, instructor: Instructor, progress=print) -> list[MediaAsset]:
    """The demo's ready clips, owned by ``instructor``: made (or made again) when missing."""
    assets = []
    with tempfile.TemporaryDirectory(prefix="zhibo-demo-clips-") as folder:
        for number in range(1, CLIPS + 1):
            title = TITLE.format(number=number)
            asset = MediaAsset.objects.filter(
                instructor=instructor, title=title, status=MediaAsset.Status.READY
            ).first()
            if asset is None:
                clip = generate_clip(Path(folder) / f"clip-{number}.mp4", number)
                asset = media.media_asset_import(
                    instructor=instructor, path=clip, title=title, queue=False
                )
                asset = media.media_transcode(asset_id=asset.pk)
                if asset.status != MediaAsset.Status.READY:
                    raise RuntimeError(f"demo clip {number}: {asset.failure_reason}")
                progress(f"media: clip {number} transcoded ({', '.join(asset.renditions)})")
            assets.append(asset)
    return assets


def seed_demo_media(*, instructor: Instructor, progress=print) -> int:
    """Give every lesson and short video without a video file one of the demo clips (by id, in
    turn) with its real duration; returns how many rows got one."""
    assets = demo_media_assets(instructor=instructor, progress=progress)
    attached = 0
    for model in (Lesson, ShortVideo):
        for index, asset in enumerate(assets):
            rows = model.objects.annotate(turn=Mod(F("id"), len(assets))).filter(
                media__isnull=True, turn=index
            )
            attached += rows.update(
                media=asset, duration_seconds=max(1, round(asset.duration_seconds))
            )
    progress(f"media: {attached:,} lessons and short videos got a demo clip")
    return attached


def delete_demo_media() -> int:
    """Delete the demo instructors' video files (rows and files), before the instructors."""
    assets = list(
        MediaAsset.objects.filter(instructor__user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    )
    deleted = MediaAsset.objects.filter(pk__in=[a.pk for a in assets]).delete()[0]
    for asset in assets:
        media.media_files_delete(asset_id=asset.pk)
    return deleted
