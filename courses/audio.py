"""Audio lessons: an uploaded file is accepted only when ffmpeg (the binary that the
``imageio-ffmpeg`` wheel ships) decodes it as audio; its duration becomes the lesson's.

Formats: MP3, M4A (AAC), Ogg (Vorbis, Opus) and WAV. The files are not public: the lesson page
plays them through a view that checks the learner may listen (``web.views.catalog``).
"""

import os
import re
import subprocess
import tempfile

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.ffmpeg import ffmpeg_exe

AUDIO_TYPES = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "wav": "audio/wav"}
ACCEPT = ".mp3,.m4a,.ogg,.wav,audio/mpeg,audio/mp4,audio/ogg,audio/wav"
MAX_BYTES = 200 * 1024 * 1024
MAX_SECONDS = 6 * 3600
DECODE_TIMEOUT = 120
TIME = re.compile(r"time=(\d+):(\d\d):(\d\d(?:\.\d+)?)")
HAS_AUDIO = re.compile(r"Stream #\d+:\d+.*: Audio:")

extension_validator = FileExtensionValidator(list(AUDIO_TYPES))


def _not_audio(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not an audio file that can be played (MP3, M4A, Ogg or WAV)."),
        code="invalid_audio",
        params={"name": name.rsplit("/", 1)[-1]},
    )


def audio_duration(*, name: str, data: bytes) -> int:
    """The duration in whole seconds (at least 1) of the audio file ``data`` named ``name``,
    decoded from start to end by ffmpeg; ``ValidationError`` for anything else."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("An audio file may be at most %(megabytes)d MB."),
            code="audio_too_large",
            params={"megabytes": MAX_BYTES // (1024 * 1024)},
        )
    extension_validator(ContentFile(b"", name=name))  # refuses other extensions, naming ours
    with tempfile.NamedTemporaryFile(suffix=f".{name.rsplit('.', 1)[-1].lower()}") as tmp:
        tmp.write(data)
        tmp.flush()
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", tmp.name]
        command += ["-map", "0:a:0", "-f", "null", os.devnull]
        try:
            done = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise _not_audio(name) from None
    log = done.stderr.decode("utf-8", "replace")
    times = TIME.findall(log)
    if done.returncode != 0 or not HAS_AUDIO.search(log) or not times:
        raise _not_audio(name)
    hours, minutes, seconds = times[-1]
    total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if total <= 0 or total > MAX_SECONDS:
        raise _not_audio(name)
    return max(1, round(total))


def _read(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def upload_duration(upload) -> int:
    """``audio_duration`` of an uploaded file, decoded once however many times it is asked."""
    seconds = getattr(upload, "_audio_seconds", None)
    if seconds is None:
        seconds = audio_duration(name=upload.name, data=_read(upload))
        upload._audio_seconds = seconds
    return seconds


def validate_audio_upload(value) -> None:
    """The form's check of an uploaded file (a file already stored is not read again)."""
    if not value or getattr(value, "_committed", True):
        return
    upload_duration(value.file)


class AudioUploadField(models.FileField):
    """A file field for lesson audio: an allowed extension and content ffmpeg decodes."""

    default_validators = [extension_validator, validate_audio_upload]

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.widget.attrs.setdefault("accept", ACCEPT)
        return field
