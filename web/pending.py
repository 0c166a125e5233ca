"""What a signed-out visitor asked for, done once they have signed in.

A visitor who clicks "remind me" on a live session (a POST, with its CSRF token) is sent to sign
in first. What they asked for is kept in their session, never in the sign-in link, and the link
carries only the page they were on (``next``). Signing in, or signing up, is itself a POST with
its CSRF token: it completes the reservation through the same service a signed-in click calls,
and the browser goes back to that page. Nothing is ever changed by a GET. A request left waiting
longer than ``PENDING_SECONDS`` is dropped, so signing in much later reserves nothing unasked.
"""

import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from commerce.services import live_reservation_create
from courses.selectors import live_session_get

PENDING_KEY = "pending_reservation"
PENDING_SECONDS = 30 * 60


def reservation_keep(request, live_session) -> None:
    """Remember that the signed-out visitor asked to be reminded of ``live_session``."""
    request.session[PENDING_KEY] = {"live": live_session.pk, "at": time.time()}
    messages.info(
        request,
        _("Sign in and we will remind you before “%(title)s” starts.")
        % {"title": live_session.title},
    )


def pending_complete(request, user) -> None:
    """Make the reservation the visitor asked for before signing in as ``user``, if any."""
    pending = request.session.pop(PENDING_KEY, None)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return
    live = live_session_get(live_id=pending.get("live"))
    if live is None:
        return
    try:
        live_reservation_create(user=user, live_session=live)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Reserved: we will remind you before it starts."))
