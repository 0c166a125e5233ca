"""Reads of the catalog. Every "may this user see or change it" answer comes from here."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from courses.commerce import price_in_force
from courses.models import (
    Category,
    Chapter,
    Course,
    Enrollment,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    Product,
    ShortVideo,
    Tag,
)


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


# Reads for the public catalog (the REST API's lists and details) ------------------------------


def course_list_for_catalog() -> QuerySet[Course]:
    """Published courses with what a catalog list shows: instructor, category and tags."""
    return course_list_published().prefetch_related("tags")


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
    lessons = Prefetch("lessons", queryset=Lesson.objects.order_by("position", "id"))
    chapters = Prefetch(
        "chapters", queryset=Chapter.objects.order_by("position", "id").prefetch_related(lessons)
    )
    try:
        course = course_list_for_catalog().prefetch_related(chapters).get(pk=course_id)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    enrolled = (
        user.is_authenticated and Enrollment.objects.filter(user=user, course=course).exists()
    )
    playable = frozenset(
        lesson.pk
        for chapter in course.chapters.all()
        for lesson in chapter.lessons.all()
        if enrolled or lesson.is_free_preview
    )
    return CourseDetail(course=course, enrolled=enrolled, playable_lesson_ids=playable)


def live_session_list_visible() -> QuerySet[LiveSession]:
    """Live sessions learners may see: scheduled, live and ended (for replays), not cancelled."""
    return (
        LiveSession.objects.exclude(status=LiveSession.Status.CANCELLED)
        .select_related("instructor", "course")
        .prefetch_related("tags")
        .order_by("-scheduled_start", "-id")
    )


@dataclass(frozen=True)
class ShelfOffer:
    """A product on a live session's shelf with the price in force there now."""

    item: LiveShelfItem
    price: Decimal
    is_flash_price: bool


@dataclass(frozen=True)
class LiveSessionDetail:
    live_session: LiveSession
    shelf: list[ShelfOffer]


def live_session_detail(*, live_session_id, at: datetime | None = None) -> LiveSessionDetail:
    """A visible live session and its current shelf (products on sale, pinned first, then by
    position), each at ``price_in_force`` bought from this session: the flash price inside its
    window, the product's price outside it. 404 for cancelled sessions and unknown ids."""
    at = at or timezone.now()
    try:
        live = live_session_list_visible().get(pk=live_session_id)
    except LiveSession.DoesNotExist:
        raise Http404("No such live session.") from None
    items = (
        LiveShelfItem.objects.filter(live_session=live, product__is_active=True)
        .select_related("product")
        .order_by("-is_pinned", "position", "id")
    )
    shelf = [
        ShelfOffer(
            item=item,
            price=price_in_force(product=item.product, live_session=live, at=at),
            is_flash_price=item.flash_active(at),
        )
        for item in items
    ]
    return LiveSessionDetail(live_session=live, shelf=shelf)


def short_video_list_published() -> QuerySet[ShortVideo]:
    """Published short videos with their instructor, linked course, products on sale and tags."""
    return (
        ShortVideo.objects.filter(is_published=True, published_at__lte=timezone.now())
        .select_related("instructor", "course")
        .prefetch_related(
            "tags",
            Prefetch("products", queryset=Product.objects.filter(is_active=True).order_by("id")),
        )
        .order_by("-published_at", "-id")
    )


def product_list_on_sale() -> QuerySet[Product]:
    """Products on sale (also when out of stock: they show as sold out), newest first."""
    return (
        Product.objects.filter(is_active=True)
        .select_related("instructor")
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )


def category_tree() -> QuerySet[Category]:
    """Top-level categories, each with its sub-categories, in display order."""
    return Category.objects.filter(parent__isnull=True).prefetch_related(
        Prefetch("children", queryset=Category.objects.order_by("position", "name"))
    )


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def instructor_list_public() -> QuerySet[Instructor]:
    return Instructor.objects.order_by("display_name", "id")


def catalog_item_get(*, item_type: str, object_id: int):
    """A course, live session, short video or product that learners may see; 404 otherwise."""
    visible = {
        "course": course_list_published,
        "live": live_session_list_visible,
        "video": short_video_list_published,
        "product": product_list_on_sale,
    }
    try:
        return visible[item_type]().get(pk=object_id)
    except ObjectDoesNotExist:
        raise Http404(f"No such {item_type}.") from None


def lesson_list_published() -> QuerySet[Lesson]:
    """Lessons of published courses."""
    return Lesson.objects.filter(course__in=course_list_published().values("pk"))
