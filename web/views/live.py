"""Live streams on the site: the ingest server's callback, a stream's state for the live page's
script, and the stream's and its replay's HLS files. The rules are in ``courses.live``.

- ``ingest_callback``: nginx-rtmp's ``on_publish`` / ``on_publish_done`` (a form with
  ``call`` and ``name=<stream key>``), or MediaMTX's HTTP authentication (JSON with ``action``
  and ``path`` ending in the key). 200 lets the publisher in, 403 refuses it.
- ``live_status``: ``{"state": "not_started" | "live" | "ended", ...}`` from the playlist.
- ``live_media``: playlists and segments, with their content types. Public lives are open to
  everyone, as their pages are.
"""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from config.json_input import JSONTooDeep, json_loads
from courses import live, selectors


def _ingest_request(request) -> tuple[str, str]:
    """(what happens, stream key) from nginx-rtmp's form or MediaMTX's JSON."""
    if request.content_type == "application/json":
        try:
            body = json_loads(request.body.decode("utf-8"))
        except (JSONTooDeep, ValueError):
            return "", ""
        if not isinstance(body, dict):
            return "", ""
        action = {"publish": "publish", "read": "read"}.get(body.get("action"), "")
        return action, str(body.get("path") or "").rstrip("/").rsplit("/", 1)[-1]
    return request.POST.get("call", "publish"), request.POST.get("name", "")


@csrf_exempt  # called by the ingest server, never by a browser; the stream key authorises
@require_POST
def ingest_callback(request):
    action, stream_key = _ingest_request(request)
    try:
        if action == "publish":
            live.live_publish_authorise(stream_key=stream_key)
        elif action in ("publish_done", "done"):
            live.live_publish_done(stream_key=stream_key)
        elif action == "read":
            live.live_session_for_key(stream_key=stream_key)
        else:
            return HttpResponse("Unknown call.", status=400, content_type="text/plain")
    except PermissionDenied:
        return HttpResponse("Refused.", status=403, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


def stream_urls(live_session) -> dict:
    """The addresses the live page's player uses: the live playlist, the replay, the state."""
    return {
        "stream_src": reverse("web:live_hls", args=[live_session.slug, live.PLAYLIST]),
        "replay_src": (
            reverse("web:live_replay", args=[live_session.slug, live.PLAYLIST])
            if live_session.recording
            else live_session.replay_url
        ),
        "status_url": reverse("web:live_status", args=[live_session.slug]),
    }


@require_GET
@never_cache
def live_status(request, slug):
    session = selectors.live_session_for_stream(slug=slug)
    state = live.live_stream_state(live_session=session)
    urls = stream_urls(session)
    return JsonResponse(
        {
            **state.as_dict(),
            "status": session.status,
            "stream_src": urls["stream_src"],
            "replay_src": urls["replay_src"] or None,
        }
    )


@require_safe
def live_media(request, slug, kind, name):
    session = selectors.live_session_for_stream(slug=slug)
    path = live.live_media_file(live_session=session, kind=kind, name=name)
    if path is None:
        raise Http404("No such file.")
    response = FileResponse(path.open("rb"), content_type=live.content_type_for(path))
    if path.suffix == ".m3u8" and kind == "stream":
        response["Cache-Control"] = "no-cache"  # a live playlist changes every second
    else:
        response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
