"""Small audio files for tests, made once with ffmpeg's lavfi sine source."""

import functools
import subprocess
import tempfile
from pathlib import Path

from imageio_ffmpeg import get_ffmpeg_exe


@functools.cache
def tone(extension: str = "mp3", seconds: int = 3) -> bytes:
    """``seconds`` of a 440 Hz tone encoded as ``extension`` (mp3, m4a, ogg, wav)."""
    codec = {"mp3": "libmp3lame", "m4a": "aac", "ogg": "libvorbis", "wav": "pcm_s16le"}[extension]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"tone.{extension}"
        subprocess.run(
            [
                *(get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
                *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
                *("-c:a", codec, str(out)),
            ],
            check=True,
        )
        return out.read_bytes()
