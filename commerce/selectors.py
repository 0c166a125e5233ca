"""Reads of commerce: a learner's orders, delivery addresses, enrollments and where to continue
learning, and what they may watch.

Every function takes the user whose data it reads; nobody sees another learner's orders (an
order id that is not theirs is a 404, the same answer as an id that does not exist). Whether a
learner is enrolled in a course is answered here, once (``courses_enrolled``), for the pages,
the API, the orders and the player alike.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, DateTimeField, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from commerce.models import DeliveryAddress, Enrollment, LessonProgress, LiveReservation, Order
from courses.models import Chapter, Course, Lesson
from courses.selectors import course_list_for_catalog


def courses_enrolled(*, user, course_ids: Iterable[int]) -> set[int]:
    """Which of ``course_ids`` the learner is enrolled in (bought or free); one query."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        Enrollment.objects.filter(user=user, course_id__in=list(course_ids)).values_list(
            "course_id", flat=True
        )
    )


def course_enrolled(*, user, course_id: int) -> bool:
    """Whether the learner is enrolled in the course."""
    return course_id in courses_enrolled(user=user, course_ids=[course_id])


def lesson_access_for(*, user, lesson) -> bool:
    """Whether ``user`` may watch ``lesson``: free previews for everyone, the rest for enrolled
    learners."""
    return lesson.is_free_preview or course_enrolled(user=user, course_id=lesson.course_id)


def live_reserved_by(*, user, live_session) -> bool:
    """Whether the learner holds a standing reservation for the live session."""
    if not user.is_authenticated:
        return False
    return LiveReservation.objects.filter(
        user=user, live_session=live_session, cancelled_at__isnull=True
    ).exists()


@dataclass(frozen=True)
class CourseDetail:
    """A published course with its syllabus, and which lessons this user may play."""

    course: Course
    enrolled: bool
    playable_lesson_ids: frozenset[int]


def course_detail_for(*, user, course_id) -> CourseDetail:
    """The published course with chapters and lessons in order; 404 for any other id.

    A lesson's video may be played by learners enrolled in the course, and by everyone for free
    previews.
    """
    lessons = Prefetch(
        "lessons", queryset=Lesson.objects.select_related("media").order_by("position", "id")
    )
    chapters = Prefetch(
        "chapters", queryset=Chapter.objects.order_by("position", "id").prefetch_related(lessons)
    )
    try:
        course = course_list_for_catalog().prefetch_related(chapters).get(pk=course_id)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    enrolled = course_enrolled(user=user, course_id=course.pk)
    playable = frozenset(
        lesson.pk
        for chapter in course.chapters.all()
        for lesson in chapter.lessons.all()
        if enrolled or lesson.is_free_preview
    )
    return CourseDetail(course=course, enrolled=enrolled, playable_lesson_ids=playable)


def orders_for(*, user) -> QuerySet[Order]:
    """The user's orders, newest first, with their lines."""
    if not user.is_authenticated:
        return Order.objects.none()
    return (
        Order.objects.filter(user=user)
        .select_related("coupon", "bundle")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )


def order_get_for_user(*, user, order_id) -> Order:
    """The user's own order, or 404 (also for orders of other users)."""
    try:
        return orders_for(user=user).get(pk=order_id)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


def addresses_for(*, user) -> QuerySet[DeliveryAddress]:
    """The learner's delivery addresses, the default first, then the most recently changed."""
    if not user.is_authenticated:
        return DeliveryAddress.objects.none()
    return DeliveryAddress.objects.filter(user=user).order_by("-is_default", "-updated_at", "-id")


def address_get_for_user(*, user, address_id) -> DeliveryAddress:
    """The learner's own address, or 404 (also for other learners' addresses)."""
    try:
        return addresses_for(user=user).get(pk=address_id)
    except DeliveryAddress.DoesNotExist:
        raise Http404("No such address.") from None


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


def live_reserved_ids(*, user) -> list[int]:
    """The live sessions not over yet that the learner holds a reservation for: what their
    cards show as reserved rather than offering "remind me" again."""
    if not user.is_authenticated:
        return []
    return list(
        LiveReservation.objects.filter(
            user=user, cancelled_at__isnull=True, live_session__scheduled_end__gt=timezone.now()
        )
        .order_by("live_session_id")
        .values_list("live_session_id", flat=True)
    )


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
