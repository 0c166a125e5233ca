"""Serving uploaded media (covers, avatars) safely, when the site serves them itself (in
development, or ``DJANGO_SERVE_MEDIA=true`` with no web server in front; production's nginx does
the same, see ``platform/nginx.conf``).

- Only the folders that hold public uploads are served (``MEDIA_PUBLIC_FOLDERS``): the rest of
  the media storage (the recommender's artefacts: factors, the interaction matrix) is not public.
- The content type comes from the extension, and only for the image types uploads may have;
  anything else is a download (``application/octet-stream``, attachment).
- ``X-Content-Type-Options: nosniff`` and a sandboxing Content-Security-Policy with no source
  at all: a file opened on its own runs no script and loads nothing. An SVG is also sent as an
  attachment, so opening its address downloads it rather than showing it as a document of the
  site (as an ``<img>`` it shows as usual).
"""

import posixpath

from django.conf import settings
from django.http import Http404
from django.utils.http import content_disposition_header
from django.views.static import serve

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
MEDIA_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def media_headers(response, path: str):
    """Set the safe headers of a media file at ``path`` on ``response``."""
    extension = posixpath.splitext(path)[1].lower()
    content_type = IMAGE_TYPES.get(extension)
    filename = posixpath.basename(path)
    if content_type is None or extension == ".svg":
        response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Type"] = content_type or "application/octet-stream"
    response.headers.pop("Content-Encoding", None)  # never an encoding guessed from the name
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-site"
    return response


def serve_media(request, path: str):
    """A public upload under ``MEDIA_ROOT``, with ``media_headers``."""
    normalised = posixpath.normpath(path).lstrip("/")
    if not normalised.startswith(tuple(settings.MEDIA_PUBLIC_FOLDERS)):
        raise Http404("Not a public upload.")
    response = serve(request, normalised, document_root=settings.MEDIA_ROOT)
    return media_headers(response, normalised)
