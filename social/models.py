"""Social proof: course reviews by enrolled learners, likes, comments and shares of short videos,
and learners following instructors.

Every write goes through ``social.services``, which keeps the counts shown on cards
(``Course.rating_count``/``rating_total``, ``ShortVideo.like_count``/``comment_count``/
``share_count``, ``Instructor.follower_count``) in step in the same transaction, and announces
each act as feedback for the recommender (``commerce.signals.learner_acted``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.constraints import ConstraintErrorsOnFields
from courses.models import Course, Instructor, LiveSession, OwnedQuerySet, ShortVideo

REVIEW_MAX_LENGTH = 2000
REPLY_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 500


class Review(ConstraintErrorsOnFields):
    """A learner's rating (1-5) and text about a course they are enrolled in; the course's
    instructor may reply once.

    When its author deletes their account the review stays as a rating, anonymised: the author
    and the text are removed (``anonymised_at`` set), so the course's average keeps counting
    what a verified learner said, and nothing identifies them."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="reviews"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="course_reviews",
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("review"), max_length=REVIEW_MAX_LENGTH, blank=True)
    reply = models.TextField(_("instructor's reply"), max_length=REPLY_MAX_LENGTH, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    owner_path = "course__instructor"
    objects = OwnedQuerySet.as_manager()

    constraint_error_fields = {
        "duplicate_review": "course",
        "rating_out_of_range": "rating",
    }

    class Meta:
        verbose_name = _("course review")
        verbose_name_plural = _("course reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "user"],
                name="review_once_per_learner",
                condition=Q(user__isnull=False),
                violation_error_code="duplicate_review",
                violation_error_message=_(
                    "You have reviewed this course already; edit your review instead."
                ),
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5),
                name="review_rating_1_to_5",
                violation_error_code="rating_out_of_range",
                violation_error_message=_("A rating goes from 1 to 5."),
            ),
        ]
        indexes = [models.Index(fields=["course", "-created_at"], name="review_course_newest")]

    def __str__(self):
        return f"{self.course} · {self.rating}★"


class VideoLike(ConstraintErrorsOnFields):
    """A learner likes a short video, at most once (``ShortVideo.like_count`` counts them)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="video_likes",
    )
    video = models.ForeignKey(
        ShortVideo, verbose_name=_("short video"), on_delete=models.CASCADE, related_name="likes"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    constraint_error_fields = {"duplicate_like": "video"}

    class Meta:
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "video"],
                name="video_like_once",
                violation_error_code="duplicate_like",
                violation_error_message=_("You like this video already."),
            )
        ]


class VideoShare(ConstraintErrorsOnFields):
    """A signed-in learner shared a short video's link; counted once per learner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="video_shares",
    )
    video = models.ForeignKey(
        ShortVideo, verbose_name=_("short video"), on_delete=models.CASCADE, related_name="shares"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    constraint_error_fields = {"duplicate_share": "video"}

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "video"],
                name="video_share_once",
                violation_error_code="duplicate_share",
                violation_error_message=_("You shared this video already."),
            )
        ]


class VideoComment(ConstraintErrorsOnFields):
    """A comment on a short video, threaded one level: a reply's ``parent`` is always a top
    comment (a reply to a reply attaches to the top comment). A removed comment is hidden, not
    deleted, so its replies keep their place; only visible comments are counted and shown."""

    video = models.ForeignKey(
        ShortVideo,
        verbose_name=_("short video"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="video_comments",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
    )
    text = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    is_hidden = models.BooleanField(_("removed"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    owner_path = "video__instructor"
    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("video comment")
        verbose_name_plural = _("video comments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["video", "parent", "-created_at"], name="comment_video_newest")
        ]

    def __str__(self):
        return self.text[:40]


class Follow(ConstraintErrorsOnFields):
    """A learner follows an instructor (``Instructor.follower_count`` counts them): the
    instructor's upcoming lives come first in their 即将开播, and they get a reminder when one
    is about to start."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("instructor"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    constraint_error_fields = {"duplicate_follow": "instructor"}

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "instructor"],
                name="follow_once",
                violation_error_code="duplicate_follow",
                violation_error_message=_("You follow this instructor already."),
            )
        ]


class FollowerReminder(models.Model):
    """The reminder of one live session sent to one follower of its instructor: a row claims it,
    so it is sent at most once (a failed send gives the claim back)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    live_session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("follower reminder")
        verbose_name_plural = _("follower reminders")
        constraints = [
            models.UniqueConstraint(fields=["user", "live_session"], name="follower_reminder_once")
        ]

    def __str__(self):
        return f"{self.user_id} · {self.live_session_id}"
