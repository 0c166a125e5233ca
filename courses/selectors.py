"""Reads of the catalog. Every "may this user see or change it" answer comes from here."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from courses.models import Course, Instructor


def instructor_for(user) -> Instructor | None:
    """The instructor profile of ``user``, or None for learners and anonymous visitors."""
    if not user.is_authenticated:
        return None
    try:
        return user.instructor
    except Instructor.DoesNotExist:
        return None


def course_list_published() -> QuerySet[Course]:
    return (
        Course.objects.filter(status=Course.Status.PUBLISHED, published_at__lte=timezone.now())
        .select_related("instructor", "category")
        .order_by("-published_at", "-id")
    )


def course_get_for_instructor(*, user, course_id) -> Course:
    """The course if ``user`` may change it (its instructor, or a superuser); 404 otherwise."""
    try:
        return Course.objects.owned_by(user).get(pk=course_id)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None


def user_owns(user, obj) -> bool:
    """Whether ``user`` may change ``obj``, a row of any model with an ``owner_path``."""
    return type(obj).objects.owned_by(user).filter(pk=obj.pk).exists()
