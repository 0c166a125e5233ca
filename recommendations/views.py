"""The learner's side of the recommender: the privacy center, the page that explains how
recommendations work, "not interested", and the beacon the page script sends events to.

The law behind these pages: the Provisions on Algorithmic Recommendation (Art. 16: explain the
algorithm; Art. 17: a switch that turns personalisation off, and the tags used on the learner,
which they can delete) and the PIPL (export and deletion of personal data).
"""

import json
import uuid

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import PasswordConfirmForm
from courses.home import home_forget
from recommendations.services.events import BatchTooLarge, event_ingest_batch
from recommendations.services.privacy import account_delete, data_export, history_clear
from recommendations.services.profiles import (
    interest_tag_delete,
    interest_tags_for,
    learner_profile_for,
    personalization_set,
)


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
    if any(event.get("type") == "not_interested" for event in events if isinstance(event, dict)):
        home_forget(user=request.user)
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
    list; the CSRF token travels in the same form. Valid events are stored even when others are
    rejected; any rejection answers 400 with the index, field and reason of each."""
    try:
        events = json.loads(request.POST.get("events", ""))
    except ValueError:
        return JsonResponse(
            {"errors": [{"field": "events", "reason": "Must be a JSON list."}]}, status=400
        )
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
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect("courses:home")


def how_it_works(request):
    return render(request, "recommendations/how_it_works.html")


@login_required
def privacy_center(request):
    return render(
        request,
        "recommendations/privacy.html",
        {
            "profile": learner_profile_for(user=request.user),
            "interest_tags": interest_tags_for(user=request.user),
        },
    )


@require_POST
@login_required
def personalisation_switch(request):
    enabled = request.POST.get("enabled") == "on"
    personalization_set(user=request.user, enabled=enabled)
    home_forget(user=request.user)
    messages.success(
        request,
        _("Personalised recommendations are on.")
        if enabled
        else _("Personalised recommendations are off. You now see the same lists as everyone."),
    )
    return redirect("recommendations:privacy")


@require_POST
@login_required
def interest_tag_remove(request, tag_id):
    if interest_tag_delete(user=request.user, tag_id=tag_id):
        home_forget(user=request.user)
        messages.success(request, _("The tag was removed from your profile."))
    return redirect("recommendations:privacy")


@require_POST
@login_required
def history_clear_view(request):
    deleted = history_clear(user=request.user)
    home_forget(user=request.user)
    messages.success(
        request, _("Your history was cleared (%(count)s records deleted).") % {"count": deleted}
    )
    return redirect("recommendations:privacy")


@login_required
def data_export_view(request):
    response = JsonResponse(
        data_export(user=request.user), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="zhibo-my-data-{stamp}.json"'
    return response


@login_required
def account_delete_view(request):
    form = PasswordConfirmForm(
        request.POST if request.method == "POST" else None, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            account_delete(user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, _("Your account and your personal data were deleted."))
            return redirect("courses:home")
    return render(request, "recommendations/account_delete.html", {"form": form})
