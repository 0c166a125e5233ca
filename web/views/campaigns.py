"""The campaigns page (活动): courses at a time-limited discount and course bundles, the same
for everyone, and buying a bundle. Every write is one call of a service in ``commerce``, the
same the API makes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commerce.bundles import bundle_quote
from commerce.campaigns import campaigns_running
from commerce.services import bundle_checkout
from web.forms import BundleBuyForm

CAMPAIGNS_PAGE = 48


def campaigns(request):
    running = campaigns_running(limit=CAMPAIGNS_PAGE)
    now = timezone.now()
    bundles = []
    for bundle in running.bundles:
        try:
            quote = bundle_quote(bundle=bundle, user=request.user, at=now)
        except ValidationError:
            quote = None  # they own every course of it
        bundles.append((bundle, quote))
    return render(
        request,
        "courses/campaigns.html",
        {"campaigns": running, "bundles": bundles, "buy": BundleBuyForm.fresh()},
    )


@require_POST
@login_required
def bundle_buy(request, bundle_id):
    form = BundleBuyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That bundle could not be bought; please try again."))
        return redirect("web:campaigns")
    try:
        order = bundle_checkout(
            user=request.user,
            bundle_id=bundle_id,
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("web:campaigns")
    messages.success(request, _("Payment received. Thank you!"))
    return redirect("web:order", order_id=order.pk)
