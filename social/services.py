"""Writes of social: reviews, likes, comments, shares and follows, and the counts every card
shows.

Reviews. Only a learner enrolled in a course (bought or free: ``commerce.selectors``) may review
it, once (a database constraint; a second attempt is refused on ``course``, saying to edit the
first). Its author may edit the rating and the text; the course's instructor may reply once. The
course's ``rating_count`` and ``rating_total`` change in the same transaction as the review, by
an UPDATE relative to the stored values, so concurrent reviews never lose one another's rating.

Likes, comments and shares of short videos. A like is a row per (learner, video) under a unique
constraint; the video's ``like_count`` moves only when a row was really inserted or deleted, by
an UPDATE relative to the stored value, so two simultaneous likes (by one learner or by many)
never count twice or lose one. Liking and unliking are idempotent (the API's POST and DELETE;
the page's button sends the state it wants). Comments are threaded one level: a reply to a reply
attaches to the top comment. Its author, the video's instructor or staff remove a comment (it
is hidden; ``comment_count`` counts visible ones). A share gives the feed's link to the video and
is counted once per signed-in learner (anonymous visitors get the link, uncounted).

Follows. Following an instructor is idempotent and counted like a like
(``Instructor.follower_count``). A follower gets the reservation's reminder e-mail
(``commerce.services.live_reminder_send``) when a live session of the instructor is about to
start (``follower_reminders_send_due``, every minute, with the reservations' lead time), once per
session, and not at all when they reserved it (the reservation's reminder goes out).

Feedback. Each act is announced once its transaction commits
(``commerce.signals.learner_acted``; the recommender records it as a server event), and the
learner's version changes (``accounts.versions``), so cached pages show it at once.
"""

import logging
from collections import Counter
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.versions import learner_changed
from commerce.models import LiveReservation
from commerce.services import LIVE_OPEN_STATUSES, live_reminder_send, reminder_lead_time
from commerce.signals import learner_acted
from courses.generations import catalog_changed
from courses.models import Course, Instructor, LiveSession, ShortVideo
from social.models import (
    COMMENT_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    REVIEW_MAX_LENGTH,
    Follow,
    FollowerReminder,
    Review,
    VideoComment,
    VideoLike,
    VideoShare,
)
from social.selectors import review_may_write


def _refusal(field: str, message: str, code: str) -> ValidationError:
    """A refusal of ``field``, its code kept (the API's problem names it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _require_learner(user) -> None:
    if user is None or not user.is_authenticated:
        raise ValidationError(_("Sign in first."), code="sign_in")


def _announce(*, user, event_type: str, targets: list[tuple[str, int]], value=None) -> None:
    """Tell the recommender once the transaction commits; a failing listener undoes nothing."""

    def announce():
        learner_acted.send_robust(
            sender=Review, user=user, event_type=event_type, targets=targets, value=value
        )

    transaction.on_commit(announce, robust=True)
    learner_changed(user)


def _text(value: str, *, field: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _refusal(field, _("Write a few words."), "required")
    if len(value) > limit:
        raise _refusal(field, _("At most %(limit)d characters.") % {"limit": limit}, "too_long")
    return value


def _rating(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise _refusal("rating", _("A rating goes from 1 to 5."), "invalid")
    return value


def _course_ratings_add(course_id: int, *, count: int, total: int) -> None:
    Course.objects.filter(pk=course_id).update(
        rating_count=F("rating_count") + count, rating_total=F("rating_total") + total
    )
    catalog_changed("course")  # the cards show the average


@transaction.atomic
def review_create(*, user, course: Course, rating: int, text: str) -> Review:
    """The learner's review of a course they are enrolled in; one per learner and course."""
    _require_learner(user)
    rating = _rating(rating)
    text = _text(text, field="text", limit=REVIEW_MAX_LENGTH, required=False)
    if not review_may_write(user=user, course_id=course.pk):
        raise _refusal(
            "course", _("Only learners enrolled in this course may review it."), "not_enrolled"
        )
    review = Review(course=course, user=user, rating=rating, text=text)
    review.full_clean()  # the constraint's message when the review exists already
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:  # a concurrent first review by the same learner won the race
        raise _refusal(
            "course",
            _("You have reviewed this course already; edit your review instead."),
            "duplicate_review",
        ) from None
    _course_ratings_add(course.pk, count=1, total=rating)
    _announce(user=user, event_type="rating", targets=[("course", course.pk)], value=rating)
    return review


def _review_locked(review_id: int) -> Review:
    try:
        return Review.objects.select_for_update().select_related("course").get(pk=review_id)
    except Review.DoesNotExist:
        raise ValidationError(_("No such review."), code="not_found") from None


@transaction.atomic
def review_update(*, user, review_id: int, rating: int | None = None, text: str | None = None):
    """Change the author's own review (its rating, its text or both); nobody else may."""
    _require_learner(user)
    review = _review_locked(review_id)
    if review.user_id != user.pk:
        raise PermissionDenied(_("Only its author may edit a review."))
    changed = []
    if text is not None:
        review.text = _text(text, field="text", limit=REVIEW_MAX_LENGTH, required=False)
        changed.append("text")
    old_rating = review.rating
    if rating is not None:
        review.rating = _rating(rating)
        changed.append("rating")
    if not changed:
        return review
    review.save(update_fields=[*changed, "updated_at"])
    if review.rating != old_rating:
        _course_ratings_add(review.course_id, count=0, total=review.rating - old_rating)
        _announce(
            user=user,
            event_type="rating",
            targets=[("course", review.course_id)],
            value=review.rating,
        )
    return review


@transaction.atomic
def review_reply(*, user, review_id: int, reply: str) -> Review:
    """The course's instructor answers a review, once (staff may too, for moderation)."""
    _require_learner(user)
    review = _review_locked(review_id)
    instructor = getattr(user, "instructor", None)
    owns = instructor is not None and review.course.instructor_id == instructor.pk
    if not owns and not user.is_superuser:
        raise PermissionDenied(_("Only the course's instructor may reply to its reviews."))
    if review.replied_at is not None:
        raise _refusal("reply", _("This review has a reply already."), "replied_already")
    review.reply = _text(reply, field="reply", limit=REPLY_MAX_LENGTH, required=True)
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_at", "updated_at"])
    return review


@transaction.atomic
def review_delete(*, review_id: int) -> None:
    """Remove a review (moderation, in the admin): the course's average forgets its rating."""
    review = _review_locked(review_id)
    if review.user_id is not None:
        learner_changed(review.user)
    review.delete()
    _course_ratings_add(review.course_id, count=-1, total=-review.rating)


def reviews_anonymise_for(*, user) -> int:
    """Before the account is deleted: its reviews lose their author and their words; their
    ratings stay in the courses' averages (a verified learner gave them). Returns how many."""
    return Review.objects.filter(user=user).update(user=None, text="", anonymised_at=timezone.now())


# Short videos: likes, comments, shares --------------------------------------------------------


def _video_counts(video_id: int, **deltas: int) -> dict:
    """Move the video's counters by ``deltas`` (relative to the stored values) and return them."""
    ShortVideo.objects.filter(pk=video_id).update(
        **{name: F(name) + delta for name, delta in deltas.items()}
    )
    return ShortVideo.objects.filter(pk=video_id).values(
        "like_count", "comment_count", "share_count"
    )[0]


def _require_published(video: ShortVideo) -> None:
    if not ShortVideo.objects.published().filter(pk=video.pk).exists():
        raise _refusal("video", _("This video is not available."), "not_available")


@transaction.atomic
def video_like(*, user, video: ShortVideo) -> int:
    """The learner likes the video (again: nothing changes). Returns the video's like count."""
    _require_learner(user)
    _require_published(video)
    try:
        with transaction.atomic():
            VideoLike.objects.create(user=user, video=video)
    except IntegrityError:  # liked already, or a simultaneous like by the same learner won
        return ShortVideo.objects.filter(pk=video.pk).values_list("like_count", flat=True)[0]
    _announce(user=user, event_type="like", targets=[("video", video.pk)])
    return _video_counts(video.pk, like_count=1)["like_count"]


@transaction.atomic
def video_unlike(*, user, video: ShortVideo) -> int:
    """The learner takes their like back (not liked: nothing changes). Returns the count."""
    _require_learner(user)
    deleted, _rows = VideoLike.objects.filter(user=user, video=video).delete()
    if not deleted:
        return ShortVideo.objects.filter(pk=video.pk).values_list("like_count", flat=True)[0]
    learner_changed(user)
    return _video_counts(video.pk, like_count=-1)["like_count"]


@transaction.atomic
def video_share(*, user, video: ShortVideo) -> tuple[str, int]:
    """The video's share link, and its share count after this share (counted once per signed-in
    learner; an anonymous visitor's share is not counted)."""
    _require_published(video)
    link = reverse("web:videos") + "?" + urlencode({"v": video.slug})
    if user is None or not user.is_authenticated:
        return link, ShortVideo.objects.filter(pk=video.pk).values_list("share_count", flat=True)[0]
    try:
        with transaction.atomic():
            VideoShare.objects.create(user=user, video=video)
    except IntegrityError:
        return link, ShortVideo.objects.filter(pk=video.pk).values_list("share_count", flat=True)[0]
    _announce(user=user, event_type="share", targets=[("video", video.pk)])
    return link, _video_counts(video.pk, share_count=1)["share_count"]


@transaction.atomic
def comment_create(
    *, user, video: ShortVideo, text: str, parent_id: int | None = None
) -> VideoComment:
    """A comment on the video, or a reply to one of its comments (a reply to a reply attaches
    to the top comment: one level of threads)."""
    _require_learner(user)
    _require_published(video)
    text = _text(text, field="text", limit=COMMENT_MAX_LENGTH, required=True)
    parent = None
    if parent_id is not None:
        parent = VideoComment.objects.filter(pk=parent_id, video=video).first()
        if parent is None:
            raise _refusal("parent", _("No such comment on this video."), "invalid")
        if parent.parent_id is not None:
            parent = parent.parent
    comment = VideoComment.objects.create(video=video, user=user, parent=parent, text=text)
    _video_counts(video.pk, comment_count=1)
    _announce(user=user, event_type="comment", targets=[("video", video.pk)])
    return comment


def comment_may_remove(*, user, comment: VideoComment) -> bool:
    """Its author, the video's instructor, and staff who may change comments."""
    if user is None or not user.is_authenticated:
        return False
    instructor = getattr(user, "instructor", None)
    return (
        comment.user_id == user.pk
        or (instructor is not None and comment.video.instructor_id == instructor.pk)
        or user.is_superuser
    )


@transaction.atomic
def comment_remove(*, user, comment_id: int) -> None:
    """Hide a comment (its replies stay under it); the video counts one visible comment less."""
    _require_learner(user)
    comment = (
        VideoComment.objects.select_for_update(of=("self",))
        .select_related("video")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        raise ValidationError(_("No such comment."), code="not_found")
    if not comment_may_remove(user=user, comment=comment):
        raise PermissionDenied(_("Only its author or the video's instructor may remove it."))
    if comment.is_hidden:
        return
    comment.is_hidden = True
    comment.save(update_fields=["is_hidden"])
    _video_counts(comment.video_id, comment_count=-1)


# Follows ----------------------------------------------------------------------------------------

logger = logging.getLogger(__name__)


def _follower_count(instructor_id: int, delta: int) -> int:
    Instructor.objects.filter(pk=instructor_id).update(follower_count=F("follower_count") + delta)
    return Instructor.objects.filter(pk=instructor_id).values_list("follower_count", flat=True)[0]


@transaction.atomic
def instructor_follow(*, user, instructor: Instructor) -> int:
    """The learner follows the instructor (again: nothing changes). Returns the follower count."""
    _require_learner(user)
    if instructor.user_id == user.pk:
        raise _refusal("instructor", _("You cannot follow yourself."), "self_follow")
    try:
        with transaction.atomic():
            Follow.objects.create(user=user, instructor=instructor)
    except IntegrityError:
        return _follower_count(instructor.pk, 0)
    _announce(user=user, event_type="follow", targets=[("instructor", instructor.pk)])
    return _follower_count(instructor.pk, 1)


@transaction.atomic
def instructor_unfollow(*, user, instructor: Instructor) -> int:
    """The learner stops following (not following: nothing changes). Returns the count."""
    _require_learner(user)
    deleted, _rows = Follow.objects.filter(user=user, instructor=instructor).delete()
    if not deleted:
        return _follower_count(instructor.pk, 0)
    learner_changed(user)
    return _follower_count(instructor.pk, -1)


def follower_reminders_send_due(*, now: datetime | None = None) -> int:
    """E-mail the followers of each instructor whose live session starts within the reminder
    lead time, once per (follower, session); not those who reserved it (commerce reminds them).

    Each reminder is claimed by inserting its row (unique per follower and session) before the
    e-mail goes out, so overlapping runs and redelivered tasks send nothing twice; a failed send
    deletes the claim and the next run tries again. Returns how many were sent."""
    now = now or timezone.now()
    lives = list(
        LiveSession.objects.filter(
            status__in=LIVE_OPEN_STATUSES,
            scheduled_start__gt=now,
            scheduled_start__lte=now + reminder_lead_time(),
        ).select_related("instructor")
    )
    sent = 0
    for live in lives:
        reserved = LiveReservation.objects.filter(
            live_session=live, cancelled_at__isnull=True
        ).values("user_id")
        reminded = FollowerReminder.objects.filter(live_session=live).values("user_id")
        follows = (
            Follow.objects.filter(instructor_id=live.instructor_id, user__is_active=True)
            .exclude(user__email="")
            .exclude(user_id__in=reserved)
            .exclude(user_id__in=reminded)
            .select_related("user")
        )
        for follow in follows:
            try:
                with transaction.atomic():
                    claim = FollowerReminder.objects.create(
                        user=follow.user, live_session=live, sent_at=now
                    )
            except IntegrityError:  # another run claimed it
                continue
            try:
                live_reminder_send(user=follow.user, live_session=live, followed=True)
            except Exception:
                logger.exception(
                    "Follower reminder of live %s to %s not sent", live.pk, follow.user_id
                )
                claim.delete()
                continue
            sent += 1
    return sent


# Privacy ----------------------------------------------------------------------------------------


@transaction.atomic
def social_account_forget(*, user) -> None:
    """Before the account is deleted: its reviews keep their ratings, anonymised
    (``reviews_anonymise_for``); its comments lose author and words (hidden, so replies to them
    keep their place); its likes and follows are taken back, and the counts follow. Shares stay
    counted (the video was shared), without the row saying by whom."""
    reviews_anonymise_for(user=user)
    visible = VideoComment.objects.filter(user=user, is_hidden=False)
    for video_id, count in Counter(visible.values_list("video_id", flat=True)).items():
        _video_counts(video_id, comment_count=-count)
    VideoComment.objects.filter(user=user).update(user=None, text="", is_hidden=True)
    likes = VideoLike.objects.filter(user=user)
    for video_id, count in Counter(likes.values_list("video_id", flat=True)).items():
        _video_counts(video_id, like_count=-count)
    likes.delete()
    follows = Follow.objects.filter(user=user)
    for instructor_id in list(follows.values_list("instructor_id", flat=True)):
        _follower_count(instructor_id, -1)
    follows.delete()
    VideoShare.objects.filter(user=user).delete()
