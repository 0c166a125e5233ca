"""Reads of commerce: a learner's orders, enrollments and where to continue learning.

Every function takes the user whose data it reads; nobody sees another learner's orders (an
order id that is not theirs is a 404, the same answer as an id that does not exist).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, DateTimeField, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from courses.models import Course, Enrollment, Lesson, LessonProgress, LiveReservation, Order


def orders_for(*, user) -> QuerySet[Order]:
    """The user's orders, newest first, with their lines."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(user=user).prefetch_related("lines").order_by("-created_at", "-id")


def order_get_for_user(*, user, order_id) -> Order:
    """The user's own order, or 404 (also for orders of other users)."""
    try:
        return orders_for(user=user).get(pk=order_id)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


def enrollments_for(*, user) -> QuerySet[Enrollment]:
    """The courses the user may watch, most recently enrolled first."""
    if not user.is_authenticated:
        return Enrollment.objects.none()
    return (
        Enrollment.objects.filter(user=user)
        .select_related("course", "course__instructor")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class CourseInProgress:
    """One "continue learning" entry: the course, where the learner was, and how far they are."""

    course: Course
    last_lesson: Lesson | None
    last_watched_at: datetime | None
    lessons_completed: int
    lessons_total: int

    @property
    def percent_complete(self) -> int:
        if not self.lessons_total:
            return 0
        return self.lessons_completed * 100 // self.lessons_total


def _count(queryset, group_by: str) -> Subquery:
    return Subquery(queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1])


def continue_learning_for(*, user, limit: int = 6) -> list[CourseInProgress]:
    """The learner's enrolled courses, the most recently watched (or enrolled) first.

    Each comes with the lesson last watched (None before the first) and the share of lessons
    completed. Two queries, whatever the number of courses.
    """
    if not user.is_authenticated:
        return []
    progress = LessonProgress.objects.filter(user=user, lesson__course=OuterRef("course_id"))
    latest = progress.order_by("-updated_at", "-id")
    enrollments = list(
        Enrollment.objects.filter(user=user)
        .select_related("course", "course__instructor")
        .annotate(
            last_watched_at=Subquery(latest.values("updated_at")[:1]),
            last_lesson_id=Subquery(latest.values("lesson_id")[:1]),
            lessons_completed=Coalesce(
                _count(progress.filter(completed_at__isnull=False), "user"), 0
            ),
            lessons_total=Coalesce(
                _count(Lesson.objects.filter(course=OuterRef("course_id")), "course"), 0
            ),
            recency=Coalesce(F("last_watched_at"), F("created_at"), output_field=DateTimeField()),
        )
        .order_by("-recency", "-id")[:limit]
    )
    lessons = Lesson.objects.in_bulk(
        [e.last_lesson_id for e in enrollments if e.last_lesson_id is not None]
    )
    return [
        CourseInProgress(
            course=e.course,
            last_lesson=lessons.get(e.last_lesson_id),
            last_watched_at=e.last_watched_at,
            lessons_completed=e.lessons_completed,
            lessons_total=e.lessons_total,
        )
        for e in enrollments
    ]


def lesson_progress_by_lesson(*, user, lessons) -> dict[int, LessonProgress]:
    """The learner's progress rows for ``lessons``, by lesson id; one query."""
    if not user.is_authenticated:
        return {}
    return {
        row.lesson_id: row
        for row in LessonProgress.objects.filter(user=user, lesson__in=list(lessons))
    }


def order_get_by_idempotency_key(*, user, idempotency_key: str) -> Order | None:
    """The order the user already placed with this idempotency key, or None."""
    if not user.is_authenticated or not idempotency_key:
        return None
    return orders_for(user=user).filter(idempotency_key=idempotency_key).first()


def live_reservations_for(*, user) -> QuerySet[LiveReservation]:
    """The learner's standing reservations (not cancelled), most recent first."""
    if not user.is_authenticated:
        return LiveReservation.objects.none()
    return (
        LiveReservation.objects.filter(user=user, cancelled_at__isnull=True)
        .select_related("live_session")
        .order_by("-created_at", "-id")
    )


def live_reservation_get_for_user(*, user, reservation_id) -> LiveReservation:
    """The learner's own standing reservation, or 404 (also for other learners' reservations)."""
    try:
        return live_reservations_for(user=user).get(pk=reservation_id)
    except LiveReservation.DoesNotExist:
        raise Http404("No such reservation.") from None
