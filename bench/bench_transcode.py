"""Transcoding speed: seconds of video per second through the media service, beside ffmpeg run
directly with the same command on the same file, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/bench_transcode.py [--seconds 20] [--size 1280x720] [--runs 3]

Generates a test clip (ffmpeg's testsrc2 and a tone; ``--seconds``, ``--size``), creates a
throw-away test database (``test_<name>``) and a temporary private media folder, then alternates
``--runs`` times: ``courses.media.media_transcode`` on an uploaded asset (probe, the one-run HLS
transcode into every rendition, poster, bookkeeping) and ``transcode_command`` run directly by
``subprocess``. Prints the best of each, in seconds of video per second, and their ratio
(service / direct: 1.0 means the service adds nothing).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
_private = tempfile.TemporaryDirectory(prefix="zhibo-bench-media-")
os.environ["MEDIA_PRIVATE_ROOT"] = _private.name

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402


def make_clip(path: Path, seconds: int, size: str) -> Path:
    from courses.media import ffmpeg_exe

    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    command += ["-shortest", "-movflags", "+faststart", str(path)]
    subprocess.run(command, check=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="clip length (default 20)")
    parser.add_argument("--size", default="1280x720", help="clip size (default 1280x720)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, alternating")
    args = parser.parse_args()
    if args.seconds < 1 or args.runs < 1:
        parser.error("--seconds and --runs must be at least 1")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        _private.cleanup()


def run(args) -> int:
    from courses import media
    from courses.models import MediaAsset
    from tests.factories import InstructorFactory

    work = Path(tempfile.mkdtemp(prefix="zhibo-bench-", dir=_private.name))
    clip = make_clip(work / "clip.mp4", args.seconds, args.size)
    instructor = InstructorFactory()
    asset = media.media_asset_import(instructor=instructor, path=clip, title="bench", queue=False)
    probe = media.media_probe(clip)
    heights = media.renditions_for(probe.height)
    print(
        f"clip: {probe.duration:.1f} s, {probe.width}x{probe.height}, renditions "
        f"{', '.join(f'{h}p' for h in heights)}, ffmpeg {media.ffmpeg_exe()}"
    )

    service_times, direct_times = [], []
    for index in range(args.runs):
        MediaAsset.objects.filter(pk=asset.pk).update(status=MediaAsset.Status.UPLOADED)
        started = time.perf_counter()
        done = media.media_transcode(asset_id=asset.pk)
        service_times.append(time.perf_counter() - started)
        if done.status != MediaAsset.Status.READY:
            print(f"the service failed: {done.failure_reason}")
            return 1

        out = work / f"direct-{index}"
        for height in heights:
            (out / f"{height}p").mkdir(parents=True, exist_ok=True)
        command = media.transcode_command(
            source=clip, out=out, heights=heights, has_audio=probe.has_audio
        )
        started = time.perf_counter()
        subprocess.run(command, check=True)
        direct_times.append(time.perf_counter() - started)

    service, direct = min(service_times), min(direct_times)
    print(f"service: {probe.duration / service:6.2f} s of video per s (best {service:.2f} s)")
    print(f"direct:  {probe.duration / direct:6.2f} s of video per s (best {direct:.2f} s)")
    print(f"ratio (service / direct speed): {direct / service:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
