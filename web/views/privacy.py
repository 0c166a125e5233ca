"""The learner's privacy center and the page that explains how recommendations work.

The law behind these pages: the Provisions on Algorithmic Recommendation (Art. 16: explain the
algorithm; Art. 17: a switch that turns personalisation off, and the tags used on the learner,
which they can delete) and the PIPL (export and deletion of personal data). Each action is one
call of the service the API calls too; the services change the learner's version, so every
cached page shows the change at once.
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from privacy.services import account_delete, data_export, history_clear
from recommendations.services.profiles import (
    interest_tag_delete,
    interest_tags_for,
    learner_profile_for,
    personalization_set,
)
from web.forms import PasswordConfirmForm


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
    messages.success(
        request,
        _("Personalised recommendations are on.")
        if enabled
        else _("Personalised recommendations are off. You now see the same lists as everyone."),
    )
    return redirect("web:privacy")


@require_POST
@login_required
def interest_tag_remove(request, tag_id):
    if interest_tag_delete(user=request.user, tag_id=tag_id):
        messages.success(request, _("The tag was removed from your profile."))
    return redirect("web:privacy")


@require_POST
@login_required
def history_clear_view(request):
    deleted = history_clear(user=request.user)
    messages.success(
        request, _("Your history was cleared (%(count)s records deleted).") % {"count": deleted}
    )
    return redirect("web:privacy")


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
            return redirect("web:home")
    return render(request, "recommendations/account_delete.html", {"form": form})
