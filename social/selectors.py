"""Reads of social: a course's reviews, a learner's own review, who may write one.

Whether a learner may review a course is answered once (``review_may_write``), from commerce's
enrolment (``commerce.selectors.course_enrolled``), for the page, the API and the services.
"""

from django.db.models import QuerySet
from django.http import Http404

from commerce.selectors import course_enrolled
from courses.models import Course
from social.models import Review


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
