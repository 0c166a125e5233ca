"""Video playback: the signed addresses of an asset's HLS files, and the view that serves them.

The pages and the API decide who may watch (``commerce.selectors.lesson_access_for``) and only
then hand out an address signed for the learner (paid lessons) or for anyone (free previews, short
videos), valid for ``MEDIA_SIGNED_URL_SECONDS`` (``courses.media.media_playback``; the apps get
bearer addresses, since their players send no cookie). ``media_file`` answers 403 to a missing,
tampered or expired token and to another learner's; playlists are rewritten so every segment and
rendition in them carries its own token. In production nginx sends the segments themselves
(``MEDIA_ACCEL_REDIRECT_PREFIX``, ``X-Accel-Redirect``; platform/README.md).
"""

import time

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET

from courses import media


@require_GET
def media_file(request, asset_id: int, name: str):
    asset = media.media_asset_for_playback(asset_id=asset_id)
    claims = asset and media.media_token_check(
        token=request.GET.get("t", ""), asset_id=asset_id, name=name, user=request.user
    )
    if not claims:
        return HttpResponseForbidden("This address is not valid for you, or it has expired.")
    path = media.media_file_path(asset=asset, name=name)
    if path is None:
        raise Http404("No such file.")
    content_type = media.CONTENT_TYPES[path.suffix]
    if content_type == media.PLAYLIST_TYPE:

        def address(target):
            token = media.media_token(
                asset=asset,
                name=target,
                user_id=claims["u"],
                expires=claims["e"],
                bearer=claims.get("b") == 1,
            )
            return media.media_address(asset_id=asset.pk, name=target, token=token)

        text = media.media_playlist_rewrite(
            text=path.read_text(encoding="utf-8"), name=name, address=address
        )
        response = HttpResponse(text, content_type=content_type)
        response["Cache-Control"] = "private, no-store"
    elif settings.MEDIA_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT_PREFIX.rstrip("/") + (
            f"/{asset.hls_folder}/{name}"
        )
    else:
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115
    if "Cache-Control" not in response:
        max_age = max(0, min(3600, claims["e"] - int(time.time())))
        response["Cache-Control"] = f"private, max-age={max_age}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
