"""Serving a stored file to a browser's media element: whole, or the byte range it asks for
(``Range: bytes=start-end``), which audio players need to seek."""

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _chunks(file, start: int, length: int):
    try:
        file.seek(start)
        while length > 0:
            data = file.read(min(CHUNK, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        file.close()


def _private_headers(response, content_type: str):
    response["Content-Type"] = content_type
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def ranged_file_response(request, field_file, *, content_type: str):
    """A private response with the file of ``field_file``, or the part a ``Range`` asks for
    (206; 416 when the range is outside the file)."""
    size = field_file.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or match.groups() == ("", ""):
        field_file.open("rb")
        return _private_headers(FileResponse(field_file.file), content_type)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _private_headers(response, content_type)
    field_file.open("rb")
    response = StreamingHttpResponse(_chunks(field_file.file, start, end - start + 1), status=206)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return _private_headers(response, content_type)
