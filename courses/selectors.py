"""Reads of the catalog. Every "may this user see or change it" answer comes from here."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
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
    LiveReservation,
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


# Pages ---------------------------------------------------------------------------------------
# The reads behind the learner-facing pages. Each returns everything its page shows in a fixed
# number of queries, whatever the size of the catalog.

CATALOG_TYPES = ("course", "live", "video", "product")
PRICE_FILTERS = ("free", "paid")


def _published_courses() -> QuerySet[Course]:
    return Course.objects.filter(status=Course.Status.PUBLISHED, published_at__lte=timezone.now())


def catalog_search(
    *,
    item_type: str = "course",
    query: str = "",
    category: str = "",
    tag: str = "",
    price: str = "",
    level: str = "",
) -> QuerySet:
    """What the browse page lists: one type of item, filtered, newest first.

    ``category`` is a category slug (a top-level one includes its sub-categories), ``tag`` a tag
    slug, ``price`` "free" or "paid", ``level`` a course level (courses only). Filters that do not
    apply to the type are ignored.
    """
    now = timezone.now()
    if item_type == "live":
        items = LiveSession.objects.exclude(status=LiveSession.Status.CANCELLED).filter(
            Q(scheduled_end__gt=now) | (Q(status=LiveSession.Status.ENDED) & ~Q(replay_url=""))
        )
    elif item_type == "video":
        items = ShortVideo.objects.filter(is_published=True, published_at__lte=now)
    elif item_type == "product":
        items = Product.objects.filter(is_active=True)
    else:
        items = _published_courses()
        if category:
            items = items.filter(Q(category__slug=category) | Q(category__parent__slug=category))
        if level:
            items = items.filter(level=level)
    if query:
        items = items.filter(Q(title__icontains=query) | Q(description__icontains=query))
    if tag:
        items = items.filter(tags__slug=tag)
    if price in PRICE_FILTERS and item_type in ("course", "product"):
        items = items.filter(price=0) if price == "free" else items.filter(price__gt=0)
    return items.select_related("instructor").distinct()


def catalog_facets() -> dict:
    """The categories (top level with their children) and tags the browse filters offer."""

    return {
        "categories": list(
            Category.objects.filter(parent__isnull=True).prefetch_related(
                Prefetch("children", queryset=Category.objects.order_by("position", "name"))
            )
        ),
        "tags": list(Tag.objects.order_by("name")),
    }


def course_page(*, slug: str) -> Course:
    """A published course with its instructor, category, tags, chapters and lessons; 404
    otherwise. Four queries."""

    chapters = Chapter.objects.order_by("position", "id").prefetch_related(
        Prefetch("lessons", queryset=Lesson.objects.order_by("position", "id"))
    )
    try:
        return (
            _published_courses()
            .select_related("instructor", "category", "category__parent")
            .prefetch_related("tags", Prefetch("chapters", queryset=chapters))
            .get(slug=slug)
        )
    except Course.DoesNotExist:
        raise Http404("No such course.") from None


def products_for_course(*, course: Course, limit: int = 6):
    """Products sold with the course: shelved in its live sessions or linked by its short
    videos, on sale. One query."""

    return list(
        Product.objects.filter(is_active=True)
        .filter(Q(live_sessions__course=course) | Q(short_videos__course=course))
        .select_related("instructor")
        .distinct()
        .order_by("-created_at", "-id")[:limit]
    )


def lesson_for_player(*, lesson_id: int):
    """A lesson of a published course, with its course and the course's lessons in order."""

    try:
        return (
            Lesson.objects.filter(course__in=_published_courses())
            .select_related("course", "course__instructor", "chapter")
            .prefetch_related(
                Prefetch(
                    "course__lessons",
                    queryset=Lesson.objects.order_by("chapter__position", "position", "id"),
                )
            )
            .get(pk=lesson_id)
        )
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None


def lesson_access_for(*, user, lesson) -> bool:
    """Whether ``user`` may watch ``lesson``: free previews for everyone, the rest for enrolled
    learners."""

    if lesson.is_free_preview:
        return True
    if not user.is_authenticated:
        return False
    return Enrollment.objects.filter(user=user, course_id=lesson.course_id).exists()


def course_owned_by(*, user, course: Course) -> bool:
    """Whether the learner is enrolled in ``course`` (bought or free)."""

    if not user.is_authenticated:
        return False
    return Enrollment.objects.filter(user=user, course=course).exists()


def live_page(*, slug: str):
    """A live session (not cancelled) with its instructor, course and product shelf."""

    try:
        return (
            LiveSession.objects.exclude(status=LiveSession.Status.CANCELLED)
            .select_related("instructor", "course")
            .prefetch_related(
                "tags",
                Prefetch(
                    "shelf_items",
                    queryset=LiveShelfItem.objects.select_related("product").order_by(
                        "-is_pinned", "position", "id"
                    ),
                ),
            )
            .get(slug=slug)
        )
    except LiveSession.DoesNotExist:
        raise Http404("No such live session.") from None


def live_reserved_by(*, user, live_session) -> bool:

    if not user.is_authenticated:
        return False
    return LiveReservation.objects.filter(
        user=user, live_session=live_session, cancelled_at__isnull=True
    ).exists()


def live_now_and_upcoming(*, limit: int = 8) -> tuple[list, list]:
    """(live now, upcoming) sessions, each with its instructor. Two queries."""

    now = timezone.now()
    base = LiveSession.objects.select_related("instructor").filter(scheduled_end__gt=now)
    live = list(base.filter(status=LiveSession.Status.LIVE).order_by("scheduled_start")[:limit])
    upcoming = list(
        base.filter(status=LiveSession.Status.SCHEDULED, scheduled_start__gt=now).order_by(
            "scheduled_start", "id"
        )[:limit]
    )
    return live, upcoming


def short_video_feed(*, limit: int = 20, start_slug: str = "") -> list:
    """Published short videos, newest first (``start_slug`` first when given), each with its
    instructor, linked course and linked products. Three queries."""

    videos = (
        ShortVideo.objects.filter(is_published=True, published_at__lte=timezone.now())
        .select_related("instructor", "course")
        .prefetch_related(
            Prefetch("products", queryset=Product.objects.filter(is_active=True).order_by("id"))
        )
        .order_by("-published_at", "-id")
    )
    feed = list(videos[:limit])
    if start_slug and all(v.slug != start_slug for v in feed):
        feed = list(videos.filter(slug=start_slug)) + feed[: limit - 1]
    elif start_slug:
        feed.sort(key=lambda v: v.slug != start_slug)
    return feed


def product_page(*, slug: str):
    """A product on sale (or sold out) with its shop, tags and the live sessions selling it."""

    try:
        return (
            Product.objects.filter(is_active=True)
            .select_related("instructor")
            .prefetch_related("tags")
            .get(slug=slug)
        )
    except Product.DoesNotExist:
        raise Http404("No such product.") from None


def instructor_page(*, slug: str) -> tuple[Instructor, list, list, list]:
    """An instructor with their published courses, products on sale and upcoming or live
    sessions."""

    try:
        instructor = Instructor.objects.get(slug=slug)
    except Instructor.DoesNotExist:
        raise Http404("No such instructor.") from None
    courses = list(_published_courses().filter(instructor=instructor).select_related("instructor"))
    products = list(
        Product.objects.filter(instructor=instructor, is_active=True).select_related("instructor")
    )
    lives = list(
        LiveSession.objects.filter(
            instructor=instructor,
            status__in=[LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE],
            scheduled_end__gt=timezone.now(),
        )
        .select_related("instructor")
        .order_by("scheduled_start")
    )
    return instructor, courses, products, lives


def cart_items(*, course_ids, product_ids) -> tuple[list[Course], list]:
    """The courses and products of a cart, in one query each (missing ones left out)."""

    courses = list(Course.objects.filter(pk__in=list(course_ids)).select_related("instructor"))
    products = list(Product.objects.filter(pk__in=list(product_ids)).select_related("instructor"))
    return courses, products


def tags_for_onboarding() -> list:
    """The tags a new learner may pick from, the most used first."""

    return list(Tag.objects.annotate(n=Count("courses", distinct=True)).order_by("-n", "name")[:40])


def live_session_get(*, live_id: int) -> LiveSession | None:
    """A live session that is not cancelled, by id (None when there is none)."""
    return (
        LiveSession.objects.exclude(status=LiveSession.Status.CANCELLED).filter(pk=live_id).first()
    )


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
