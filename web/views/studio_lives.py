"""The instructor's own live rooms (not the admin): the list of their lives, and a room page to
run one during the live: the chat with moderation (answer and pin, delete, mute: over the
WebSocket, ``static/js/live-room.js``), the viewers, the shelf (pin a product, start or end a
flash price) and the muted learners. Each write calls the service every other door calls; an
instructor reaches only their own lives (another's is a 404), a superuser every live."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courses import shelf
from courses.models import LiveSession, LiveShelfItem
from courses.selectors import instructor_for
from liveroom import services
from liveroom.models import Mute
from web.forms import FlashPriceForm


def _runs_rooms(user) -> None:
    if not (user.is_superuser or instructor_for(user) is not None):
        raise PermissionDenied(_("Only instructors run live rooms."))


def _own_live(user, live_id: int) -> LiveSession:
    live = (
        LiveSession.objects.owned_by(user).visible().select_related("instructor").filter(pk=live_id)
    ).first()
    if live is None:
        raise Http404(_("No such live session of yours."))
    return live


@login_required
def studio_lives(request):
    _runs_rooms(request.user)
    lives = (
        LiveSession.objects.owned_by(request.user)
        .visible()
        .select_related("instructor")
        .order_by("-scheduled_start", "-id")[:100]
    )
    return render(request, "liveroom/studio_lives.html", {"lives": lives})


def _shelf_action(request, live: LiveSession) -> None:
    action = request.POST.get("action", "")
    item_id = request.POST.get("item", "")
    if not item_id.isdigit() or not live.shelf_items.filter(pk=int(item_id)).exists():
        raise Http404(_("No such product on this shelf."))
    item_id = int(item_id)
    if action == "pin":
        shelf.shelf_item_pin(user=request.user, item_id=item_id)
        messages.success(request, _("Pinned: every viewer sees it now."))
    elif action == "unpin":
        shelf.shelf_item_unpin(user=request.user, item_id=item_id)
        messages.success(request, _("Unpinned."))
    elif action == "flash_end":
        shelf.shelf_flash_end(user=request.user, item_id=item_id)
        messages.success(request, _("The flash price has ended."))
    elif action == "flash_start":
        form = FlashPriceForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                [
                    f"{form.fields[name].label}: {' '.join(errors)}"
                    for name, errors in form.errors.items()
                ]
            )
        shelf.shelf_flash_start(user=request.user, item_id=item_id, **form.cleaned_data)
        messages.success(request, _("The flash price has started."))
    else:
        raise Http404(_("No such action."))


@login_required
@require_http_methods(["GET", "POST"])
def studio_live(request, live_id: int):
    _runs_rooms(request.user)
    live = _own_live(request.user, live_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "unmute":
                learner = request.POST.get("learner", "")
                if not learner.isdigit():
                    raise Http404(_("No such learner."))
                services.room_unmute(user=request.user, live_session=live, learner_id=int(learner))
                messages.success(request, _("Unmuted."))
            else:
                _shelf_action(request, live)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("web:studio_live", live_id=live.pk)
    items = LiveShelfItem.objects.filter(live_session=live).select_related("product")
    mutes = Mute.objects.filter(live_session=live).select_related("user").order_by("-id")
    return render(
        request,
        "liveroom/studio_live.html",
        {
            "live": live,
            "items": items,
            "mutes": mutes,
            "flash_form": FlashPriceForm(),
            "room_url": f"/ws/lives/{live.pk}/",
            "message_max_length": settings.LIVEROOM_MESSAGE_MAX_LENGTH,
            "studio": True,
        },
    )
