"""Reads of the catalog. Every "may this user see or change it" answer comes from here."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from courses.models import (
    Category,
    Chapter,
    Course,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    Product,
    ShortVideo,
    Tag,
)
from courses.pricing import shelf_price


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
        Course.objects.published()
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
    slug, ``price`` "free" or "paid", ``level`` a course level (courses only); ``query`` is looked
    for in titles and descriptions. Filters that do not apply to the type are ignored.
    """
    now = timezone.now()
    if item_type == "live":
        items = LiveSession.objects.findable(now)
    elif item_type == "video":
        items = ShortVideo.objects.published(now)
    elif item_type == "product":
        items = Product.objects.on_sale()
    else:
        items = Course.objects.published()
        if category:
            items = items.filter(Q(category__slug=category) | Q(category__parent__slug=category))
        if level:
            items = items.filter(level=level)
    if query:
        text = Q(title__icontains=query)
        if any(f.name == "description" for f in items.model._meta.fields):  # not short videos
            text |= Q(description__icontains=query)
        items = items.filter(text)
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
            Course.objects.published()
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
        Product.objects.on_sale()
        .filter(Q(live_sessions__course=course) | Q(short_videos__course=course))
        .select_related("instructor")
        .distinct()
        .order_by("-created_at", "-id")[:limit]
    )


def lesson_for_player(*, lesson_id: int):
    """A lesson of a published course, with its course and the course's lessons in order."""

    try:
        return (
            Lesson.objects.filter(course__in=Course.objects.published())
            .select_related("course", "course__instructor", "chapter", "media")
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


def short_video_feed(*, limit: int = 20) -> list:
    """The newest published short videos, each with its instructor, linked course and linked
    products (the home page's rail; the feed page itself is ``recommendations.services.feed``).
    Two queries."""
    return list(
        ShortVideo.objects.published()
        .select_related("instructor", "course", "media")
        .prefetch_related(Prefetch("products", queryset=Product.objects.on_sale().order_by("id")))
        .order_by("-published_at", "-id")[:limit]
    )


def product_page(*, slug: str):
    """A product on sale (or sold out) with its shop, tags and the live sessions selling it."""

    try:
        return (
            Product.objects.on_sale()
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
    courses = list(
        Course.objects.published().filter(instructor=instructor).select_related("instructor")
    )
    products = list(
        Product.objects.on_sale().filter(instructor=instructor).select_related("instructor")
    )
    lives = list(
        LiveSession.objects.open()
        .filter(instructor=instructor)
        .select_related("instructor")
        .order_by("scheduled_start")
    )
    return instructor, courses, products, lives


def tags_for_onboarding() -> list:
    """The tags a new learner may pick from, the most used first."""

    return list(Tag.objects.annotate(n=Count("courses", distinct=True)).order_by("-n", "name")[:40])


def live_session_get(*, live_id: int) -> LiveSession | None:
    """A live session that is not cancelled, by id (None when there is none)."""
    return LiveSession.objects.visible().filter(pk=live_id).first()


def live_session_by_id_or_slug(*, value: str) -> LiveSession | None:
    """Any live session by its id (digits) or slug, for commands (None when there is none)."""
    lookup = Q(slug=value) | (Q(pk=int(value)) if value.isdigit() else Q())
    return LiveSession.objects.filter(lookup).select_related("instructor").first()


def live_session_for_stream(*, slug: str) -> LiveSession:
    """A visible live session by slug, for its stream and status (404 otherwise). One query."""
    try:
        return LiveSession.objects.visible().get(slug=slug)
    except LiveSession.DoesNotExist:
        raise Http404("No such live session.") from None


# Reads for the public catalog (the REST API's lists and details) ------------------------------


def course_list_for_catalog() -> QuerySet[Course]:
    """Published courses with what a catalog list shows: instructor, category and tags."""
    return course_list_published().prefetch_related("tags")


def live_session_list_visible() -> QuerySet[LiveSession]:
    """Live sessions learners may see: scheduled, live and ended (for replays), not cancelled."""
    return (
        LiveSession.objects.visible()
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


def live_session_detail(
    *, live_session_id: int | None = None, slug: str = "", at: datetime | None = None
) -> LiveSessionDetail:
    """A visible live session (by id or slug) and its current shelf: products on sale, pinned
    first, then by position, each at the price in force bought from this session (the flash
    price inside its window, the product's price outside it). 404 for cancelled sessions and
    unknown ids. The live page and the API both show this shelf. Two queries."""
    at = at or timezone.now()
    lookup = {"pk": live_session_id} if live_session_id is not None else {"slug": slug}
    try:
        live = live_session_list_visible().get(**lookup)
    except LiveSession.DoesNotExist:
        raise Http404("No such live session.") from None
    items = (
        LiveShelfItem.objects.filter(live_session=live, product__in=Product.objects.on_sale())
        .select_related("product")
        .order_by("-is_pinned", "position", "id")
    )
    shelf = []
    for item in items:
        price, is_flash = shelf_price(item=item, live_session=live, at=at)
        shelf.append(ShelfOffer(item=item, price=price, is_flash_price=is_flash))
    return LiveSessionDetail(live_session=live, shelf=shelf)


def short_video_list_published() -> QuerySet[ShortVideo]:
    """Published short videos with their instructor, linked course, video file, products on sale
    and tags."""
    return (
        ShortVideo.objects.published()
        .select_related("instructor", "course", "media")
        .prefetch_related(
            "tags",
            Prefetch("products", queryset=Product.objects.on_sale().order_by("id")),
        )
        .order_by("-published_at", "-id")
    )


def product_list_on_sale() -> QuerySet[Product]:
    """Products on sale (also when out of stock: they show as sold out), newest first."""
    return (
        Product.objects.on_sale()
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
