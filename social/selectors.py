"""Reads of social: a course's reviews, a learner's own review, who may write one; the likes
and comments of short videos.

Whether a learner may review a course is answered once (``review_may_write``), from commerce's
enrolment (``commerce.selectors.course_enrolled``), for the page, the API and the services.
"""

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from commerce.selectors import course_enrolled
from courses.models import Course, Instructor, LiveSession, ShortVideo
from social.models import Follow, Review, VideoComment, VideoLike


def reviews_for_course(*, course_id: int) -> QuerySet[Review]:
    """The course's reviews, newest first, with their authors: one query. Anonymised ones are
    left out (they keep only their rating, in the course's average)."""
    return (
        Review.objects.filter(course_id=course_id, anonymised_at__isnull=True)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def review_of(*, user, course_id: int) -> Review | None:
    """The learner's own review of the course, if they wrote one."""
    if user is None or not user.is_authenticated:
        return None
    return Review.objects.filter(user=user, course_id=course_id).first()


def review_may_write(*, user, course_id: int) -> bool:
    """Whether ``user`` may review the course: signed in and enrolled (bought or free)."""
    return course_enrolled(user=user, course_id=course_id)


def review_get(*, review_id: int) -> Review:
    """A review by id with its course and instructor; 404 if there is none."""
    try:
        return Review.objects.select_related("course__instructor", "user").get(pk=review_id)
    except Review.DoesNotExist:
        raise Http404("No such review.") from None


def reviews_export_for(*, user) -> list[dict]:
    """The learner's reviews, for their personal-data export."""
    return [
        {
            "course_id": review.course_id,
            "course": review.course.title,
            "rating": review.rating,
            "text": review.text,
            "instructor_reply": review.reply,
            "created_at": review.created_at.isoformat(),
            "updated_at": review.updated_at.isoformat(),
        }
        for review in Review.objects.filter(user=user).select_related("course").order_by("id")
    ]


def course_for_reviews(*, course_id: int):
    """A published course whose reviews may be read and written; 404 for any other id."""
    try:
        return Course.objects.published().select_related("instructor").get(pk=course_id)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None


# Short videos ---------------------------------------------------------------------------------

COMMENTS_SHOWN = 10
"""Top comments each video of the feed shows (the API pages through all of them)."""


def videos_liked_by(*, user, video_ids) -> set[int]:
    """Which of ``video_ids`` the learner likes; one query (none for anonymous visitors)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        VideoLike.objects.filter(user=user, video_id__in=list(video_ids)).values_list(
            "video_id", flat=True
        )
    )


def video_for_social(*, video_id: int) -> ShortVideo:
    """A published short video by id; 404 for any other."""
    try:
        return ShortVideo.objects.published().select_related("instructor").get(pk=video_id)
    except ShortVideo.DoesNotExist:
        raise Http404("No such video.") from None


def _visible_replies() -> Prefetch:
    return Prefetch(
        "replies",
        queryset=VideoComment.objects.filter(is_hidden=False)
        .select_related("user")
        .order_by("created_at", "id"),
        to_attr="visible_replies",
    )


def comments_for_video(*, video_id: int) -> QuerySet[VideoComment]:
    """The video's top comments, newest first, each with its visible replies (oldest first)
    and authors: two queries however many. A removed top comment that has replies stays, so
    that they keep their place (the page shows it as removed)."""
    return (
        VideoComment.objects.filter(video_id=video_id, parent__isnull=True)
        .filter(Q(is_hidden=False) | Q(replies__is_hidden=False))
        .distinct()
        .select_related("user")
        .prefetch_related(_visible_replies())
        .order_by("-created_at", "-id")
    )


def comments_for_feed(*, video_ids) -> dict[int, list[VideoComment]]:
    """The newest top comments of each video of the feed (``COMMENTS_SHOWN`` each), with their
    replies: two queries for the whole feed."""
    video_ids = list(video_ids)
    if not video_ids:
        return {}
    newest = (
        VideoComment.objects.filter(video_id__in=video_ids, parent__isnull=True, is_hidden=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("video_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=COMMENTS_SHOWN)
        .select_related("user")
        .prefetch_related(_visible_replies())
        .order_by("-created_at", "-id")
    )
    by_video: dict[int, list[VideoComment]] = {pk: [] for pk in video_ids}
    for comment in newest:
        by_video[comment.video_id].append(comment)
    return by_video


def comment_get(*, comment_id: int) -> VideoComment:
    """A comment by id (visible or not); 404 if there is none."""
    try:
        return VideoComment.objects.select_related("video").get(pk=comment_id)
    except VideoComment.DoesNotExist:
        raise Http404("No such comment.") from None


# Follows --------------------------------------------------------------------------------------


def instructor_followed_by(*, user, instructor_id: int) -> bool:
    """Whether the learner follows the instructor."""
    if user is None or not user.is_authenticated:
        return False
    return Follow.objects.filter(user=user, instructor_id=instructor_id).exists()


def instructor_for_follow(*, instructor_id: int) -> Instructor:
    try:
        return Instructor.objects.get(pk=instructor_id)
    except Instructor.DoesNotExist:
        raise Http404("No such instructor.") from None


def upcoming_lives_followed_first(*, user, limit: int = 8) -> list[LiveSession] | None:
    """即将开播 for a learner who follows instructors: their upcoming sessions first (soonest
    first), then everyone else's, ``limit`` in all, each with its instructor and ``followed``
    set. None when the learner follows nobody with an upcoming session (everyone's list
    applies). Two queries."""
    if user is None or not user.is_authenticated:
        return None
    now = timezone.now()
    followed = Follow.objects.filter(user=user).values("instructor_id")
    upcoming = list(
        LiveSession.objects.select_related("instructor")
        .filter(status=LiveSession.Status.SCHEDULED, scheduled_start__gt=now, scheduled_end__gt=now)
        .annotate(
            followed=Exists(followed.filter(instructor_id=OuterRef("instructor_id"))),
        )
        .order_by("-followed", "scheduled_start", "id")[:limit]
    )
    if not upcoming or not upcoming[0].followed:
        return None
    return upcoming


def follows_export_for(*, user) -> list[dict]:
    """The instructors the learner follows, for their personal-data export."""
    return [
        {
            "instructor_id": follow.instructor_id,
            "instructor": follow.instructor.display_name,
            "followed_at": follow.created_at.isoformat(),
        }
        for follow in Follow.objects.filter(user=user).select_related("instructor").order_by("id")
    ]


def social_export_for(*, user) -> dict:
    """Everything social holds about the learner, for their personal-data export."""
    return {
        "course_reviews": reviews_export_for(user=user),
        "video_comments": [
            {
                "video_id": comment.video_id,
                "text": comment.text,
                "reply_to": comment.parent_id,
                "removed": comment.is_hidden,
                "created_at": comment.created_at.isoformat(),
            }
            for comment in VideoComment.objects.filter(user=user).order_by("id")
        ],
        "video_likes": list(
            VideoLike.objects.filter(user=user).order_by("id").values_list("video_id", flat=True)
        ),
        "follows": follows_export_for(user=user),
    }
