"""Which ffmpeg the site runs: the transcoder, the audio probe, the live broadcaster, the demo."""

import shutil


def ffmpeg_exe() -> str:
    """Debian's ffmpeg when installed, else the static one of imageio-ffmpeg (a wheel, so the
    embedded default needs nothing installed beside Python)."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()
