"""Reviews from the course page: a learner's review (written or edited) and the instructor's
reply. Each is one call of ``social.services``; a refusal is shown on the form it came from."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import selectors
from social.selectors import review_get, review_of
from social.services import review_create, review_reply, review_update
from web.forms import ReviewForm, ReviewReplyForm
from web.views.catalog import course_page_render


def _reviews_of(course) -> str:
    return reverse("web:course", args=[course.slug]) + "#reviews"


@require_POST
@login_required
def review_submit(request, slug):
    """Write the learner's review of the course, or change the one they wrote."""
    course = selectors.course_page(slug=slug)
    form = ReviewForm(request.POST)
    if form.is_valid():
        own = review_of(user=request.user, course_id=course.pk)
        try:
            if own is None:
                review_create(user=request.user, course=course, **form.cleaned_data)
            else:
                review_update(user=request.user, review_id=own.pk, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Thank you for your review.") if own is None else _("Your review was updated."),
            )
            return redirect(_reviews_of(course))
    return course_page_render(request, course, review_form=form, status=400)


@require_POST
@login_required
def review_reply_submit(request, review_id):
    """The course's instructor answers a review from the course page."""
    review = review_get(review_id=review_id)
    form = ReviewReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
        return redirect(_reviews_of(review.course))
    try:
        review_reply(user=request.user, review_id=review.pk, reply=form.cleaned_data["reply"])
    except PermissionDenied:
        messages.error(request, _("Only the course's instructor may reply to its reviews."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your reply was posted."))
    return redirect(_reviews_of(review.course))
