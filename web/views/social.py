"""Reviews from the course page (a learner's review, written or edited, and the instructor's
reply); likes, comments and shares from the short-video feed. Each is one call of
``social.services``; a refusal is shown on the form it came from, or as a message.

The feed's buttons are forms that work without script (the answer goes back to the video in the
feed); ``static/js/social.js`` sends them with ``fetch`` instead and gets JSON (``Accept:
application/json``), so the video keeps playing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import selectors
from social.selectors import comment_get, review_get, review_of, video_for_social
from social.services import (
    comment_create,
    comment_remove,
    instructor_follow,
    instructor_unfollow,
    review_create,
    review_reply,
    review_update,
    video_like,
    video_share,
    video_unlike,
)
from web.forms import CommentForm, ReviewForm, ReviewReplyForm
from web.navigation import next_url
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


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _in_feed(video, *, comments: bool = False) -> str:
    anchor = f"comments-{video.pk}" if comments else f"v-{video.slug}"
    return reverse("web:videos") + f"?v={video.slug}#{anchor}"


def _sign_in_first(request, video):
    if _wants_json(request):
        return JsonResponse({"error": _("Sign in first.")}, status=401)
    return redirect(reverse("web:login") + "?next=" + _in_feed(video).replace("#", "%23"))


@require_POST
def video_like_submit(request, video_id):
    """Like the video (``like=1``) or take the like back (``like=0``)."""
    video = video_for_social(video_id=video_id)
    if not request.user.is_authenticated:
        return _sign_in_first(request, video)
    wanted = request.POST.get("like") == "1"
    count = (video_like if wanted else video_unlike)(user=request.user, video=video)
    if _wants_json(request):
        return JsonResponse({"liked": wanted, "like_count": count})
    return redirect(_in_feed(video))


@require_POST
def video_share_submit(request, video_id):
    """The video's link (a signed-in learner's share is counted once)."""
    video = video_for_social(video_id=video_id)
    link, count = video_share(user=request.user, video=video)
    url = request.build_absolute_uri(link)
    if _wants_json(request):
        return JsonResponse({"url": url, "share_count": count})
    messages.success(request, _("Share this link: %(url)s") % {"url": url})
    return redirect(_in_feed(video))


@require_POST
def video_comment_submit(request, video_id):
    """A comment on the video, or a reply (``parent``) to one of its comments."""
    video = video_for_social(video_id=video_id)
    if not request.user.is_authenticated:
        return _sign_in_first(request, video)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment_create(user=request.user, video=video, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your comment was posted."))
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect(_in_feed(video, comments=True))


@require_POST
@login_required
def comment_remove_submit(request, comment_id):
    comment = comment_get(comment_id=comment_id)
    try:
        comment_remove(user=request.user, comment_id=comment.pk)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The comment was removed."))
    return redirect(_in_feed(comment.video, comments=True))


@require_POST
def follow_submit(request, slug):
    """Follow the instructor (``follow=1``) or stop (``follow=0``), back to the page it came
    from."""
    instructor = selectors.instructor_page(slug=slug)[0]
    back = next_url(request, reverse("web:instructor", args=[instructor.slug]))
    if not request.user.is_authenticated:
        return redirect(reverse("web:login") + "?" + urlencode({"next": back}))
    try:
        if request.POST.get("follow") == "1":
            instructor_follow(user=request.user, instructor=instructor)
            messages.success(request, _("You follow %(name)s.") % {"name": instructor})
        else:
            instructor_unfollow(user=request.user, instructor=instructor)
            messages.success(request, _("You no longer follow %(name)s.") % {"name": instructor})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)
