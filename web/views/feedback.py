"""The beacon the page script sends impressions, clicks and watches to, and "not interested".

Both store events through ``event_ingest_batch``, the service the API's batch endpoint calls.
"""

import uuid

from django.contrib import messages
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.json_input import JSONTooDeep, json_loads
from recommendations.services.events import BatchTooLarge, event_ingest_batch
from web.navigation import redirect_back


def _ingest(request, events) -> tuple[dict, int]:
    """Store a batch from the page script; the answer lists what was stored and rejected."""
    if not isinstance(events, list):
        return {"errors": [{"field": "events", "reason": "Must be a list of events."}]}, 400
    try:
        result = event_ingest_batch(
            events=events,
            client="web",
            user=request.user,
            visitor_id=getattr(request, "visitor_id", ""),
        )
    except (BatchTooLarge, ValueError) as error:
        return {"errors": [{"field": "events", "reason": str(error)}]}, 400
    body = {
        "stored": len(result.stored),
        "duplicates": len(result.duplicates),
        "rejected": [
            {"index": r.index, "field": r.field, "reason": r.reason} for r in result.rejected
        ],
    }
    return body, 400 if result.rejected else 200


@require_POST
def event_beacon(request):
    """Impressions, clicks and watches batched by the page script (also through
    ``navigator.sendBeacon`` when the page is hidden). The batch is the ``events`` field, a JSON
    list (nested at most ``config.json_input.MAX_DEPTH`` deep); the CSRF token travels in the
    same form. Valid events are stored even when others are rejected; any rejection answers 400
    with the index, field and reason of each. A body too large to read is a 413
    (``web.views.errors``)."""
    try:
        events = json_loads(request.POST.get("events", ""))
    except ValueError as error:
        reason = str(error) if isinstance(error, JSONTooDeep) else "Must be a JSON list."
        return JsonResponse({"errors": [{"field": "events", "reason": reason}]}, status=400)
    body, status = _ingest(request, events)
    return JsonResponse(body, status=status)


@require_POST
def not_interested(request):
    """Hide a recommended item for good: a not_interested event (JSON for the page script, a
    redirect back for the no-script form)."""
    try:
        object_id = int(request.POST.get("object_id", ""))
    except ValueError:
        object_id = request.POST.get("object_id")
    event = {
        "client_event_id": str(uuid.uuid4()),
        "type": "not_interested",
        "object_type": request.POST.get("object_type", ""),
        "object_id": object_id,
        "request_id": request.POST.get("request_id") or None,
        "page": request.POST.get("page", "")[:64],
        "client_ts": timezone.now().isoformat(),
    }
    body, status = _ingest(request, [event])
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(body, status=status)
    if status == 200:
        messages.success(request, _("Got it: we will not recommend this to you again."))
    else:
        messages.error(request, _("That item could not be hidden."))
    return redirect_back(request, reverse("web:home"))
