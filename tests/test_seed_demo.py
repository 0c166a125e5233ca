"""``manage.py seed_demo`` and the demo catalog generator behind it."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO
from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from commerce.models import Enrollment, LessonProgress, Order, OrderLine
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
from courses.services import INSTRUCTORS_GROUP
from demo.catalog import build_catalog, delete_demo_data, plan_catalog
from demo.vocabulary import (
    ALL_TAGS,
    BOOK_VARIANTS,
    DIGITAL_VARIANTS,
    ENGLISH_VARIANTS,
    PRODUCT_VARIANTS,
    TITLE_VARIANTS,
    TOPICS,
    topic_for_tag,
)
from recommendations.models import Event
from tests.factories import UserFactory

SCALE = 0.05
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}svg"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "media_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-media"},
        },
    }
    return settings.MEDIA_ROOT


def seed(*args: str) -> str:
    out = StringIO()
    # The demo's video clips are tested in tests/media/test_demo_media.py.
    call_command("seed_demo", "--scale", str(SCALE), "--no-media", *args, stdout=out)
    return out.getvalue()


def catalog_dump(now: datetime) -> dict[str, list]:
    """Everything seeded, by natural keys, with times relative to ``now``."""

    def rel(value):
        return None if value is None else value - now

    def tags(rows, model):
        names = model.tags.through.objects.filter(**{f"{rows}__in": model.objects.all()})
        pairs = names.values_list(f"{rows}__slug", "tag__name")
        grouped: dict[str, list[str]] = {}
        for slug, name in pairs:
            grouped.setdefault(slug, []).append(name)
        return {slug: sorted(names) for slug, names in grouped.items()}

    course_tags = tags("course", Course)
    lessons = Lesson.objects.values_list(
        "course__slug",
        "chapter__position",
        "chapter__title",
        "position",
        "title",
        "duration_seconds",
        "video_url",
        "is_free_preview",
    )
    shelf = LiveShelfItem.objects.select_related("live_session", "product")
    videos = ShortVideo.objects.select_related("instructor__user", "course").prefetch_related(
        "tags", "products"
    )
    return {
        "instructors": sorted(
            Instructor.objects.values_list(
                "user__username", "display_name", "slug", "headline", "bio", "avatar"
            )
        ),
        "learners": sorted(
            (u.username, rel(u.date_joined), u.is_staff)
            for u in get_user_model().objects.filter(instructor__isnull=True)
        ),
        "courses": sorted(
            (
                c.instructor.user.username,
                c.slug,
                c.title,
                c.subtitle,
                c.description,
                c.category.slug,
                c.price,
                c.list_price,
                c.level,
                c.language,
                c.status,
                rel(c.published_at),
                c.cover.name,
                tuple(course_tags[c.slug]),
            )
            for c in Course.objects.select_related("instructor__user", "category")
        ),
        "lessons": sorted(lessons),
        "products": sorted(
            Product.objects.values_list(
                "instructor__user__username",
                "slug",
                "title",
                "description",
                "price",
                "list_price",
                "stock",
                "kind",
                "is_active",
                "cover",
            )
        ),
        "live_sessions": sorted(
            (
                live.slug,
                live.instructor.user.username,
                live.course.slug if live.course else None,
                live.title,
                live.status,
                rel(live.scheduled_start),
                rel(live.scheduled_end),
                live.stream_url,
                live.replay_url,
            )
            for live in LiveSession.objects.select_related("instructor__user", "course")
        ),
        "shelf": sorted(
            (
                item.live_session.slug,
                item.position,
                item.product.slug,
                item.is_pinned,
                item.flash_price,
                rel(item.flash_starts_at),
                rel(item.flash_ends_at),
            )
            for item in shelf
        ),
        "videos": sorted(
            (
                v.slug,
                v.instructor.user.username,
                v.course.slug if v.course else None,
                v.title,
                v.duration_seconds,
                v.is_published,
                rel(v.published_at),
                tuple(sorted(t.name for t in v.tags.all())),
                tuple(sorted(p.slug for p in v.products.all())),
            )
            for v in videos
        ),
    }


def svg_root(name: str) -> ElementTree.Element:
    with default_storage.open(name) as file:
        return ElementTree.fromstring(file.read())


def test_counts_follow_the_scale():
    summary = build_catalog(seed=1, scale=SCALE, now=NOW)
    expected = {
        "instructors": 2,
        "learners": 100,
        "courses": 15,
        "products": 10,
        "live_sessions": 5,
        "short_videos": 25,
    }
    assert {name: summary.counts[name] for name in expected} == expected
    stored = {
        "instructors": Instructor.objects.count(),
        "learners": get_user_model().objects.filter(username__startswith="learner").count(),
        "courses": Course.objects.count(),
        "products": Product.objects.count(),
        "live_sessions": LiveSession.objects.count(),
        "short_videos": ShortVideo.objects.count(),
    }
    assert stored == expected
    assert Chapter.objects.count() == summary.counts["chapters"]
    assert Lesson.objects.count() == summary.counts["lessons"]
    assert LiveShelfItem.objects.count() == summary.counts["shelf_items"]
    assert set(summary.course_appeal) == set(Course.objects.values_list("id", flat=True))


def test_vocabulary_has_two_level_topics_and_the_tags():
    build_catalog(seed=1, scale=SCALE, now=NOW)
    topics = Category.objects.filter(parent__isnull=True)
    assert sorted(topics.values_list("name", flat=True)) == sorted(t.name for t in TOPICS)
    assert len(TOPICS) >= 12
    children = topics.annotate(n=Count("children")).values_list("n", flat=True)
    assert all(2 <= n <= 4 for n in children)
    assert Category.objects.filter(parent__parent__isnull=False).count() == 0
    assert set(Tag.objects.values_list("name", flat=True)) == set(ALL_TAGS)
    assert 60 <= len(ALL_TAGS) <= 100


def test_the_same_seed_gives_the_same_catalog_and_another_seed_does_not():
    build_catalog(seed=7, scale=SCALE, now=NOW)
    first = catalog_dump(NOW)
    assert delete_demo_data() > 0
    assert not Course.objects.exists() and not get_user_model().objects.exists()
    later = NOW + timedelta(days=3, minutes=17)
    build_catalog(seed=7, scale=SCALE, now=later)
    assert catalog_dump(later) == first
    delete_demo_data()
    build_catalog(seed=8, scale=SCALE, now=NOW)
    other = catalog_dump(NOW)
    assert other["courses"] != first["courses"]
    assert other["instructors"] != first["instructors"]


def test_reset_removes_the_demo_media_files(media_root):
    build_catalog(seed=7, scale=SCALE, now=NOW)
    cover = Course.objects.first().cover.name
    avatar = Instructor.objects.first().avatar.name
    assert default_storage.exists(cover) and default_storage.exists(avatar)
    delete_demo_data()
    assert not default_storage.exists(cover) and not default_storage.exists(avatar)


def test_a_second_run_changes_nothing():
    first_output = seed()
    assert "created" in first_output and "admin" in first_output

    def state():
        return {
            model.__name__: model.objects.aggregate(n=Count("id"), last=Max("id"))
            for model in (Course, Lesson, Product, LiveSession, LiveShelfItem, ShortVideo, Tag)
        } | {"updated": Course.objects.aggregate(last=Max("updated_at"))["last"]}

    before = state()
    output = seed()
    assert "nothing changed" in output
    assert state() == before


def test_another_seed_without_reset_fails_and_with_reset_replaces_the_catalog():
    seed("--seed", "1")
    titles = set(Course.objects.values_list("title", flat=True))
    with pytest.raises(CommandError, match="another seed or scale"):
        seed("--seed", "2")
    assert set(Course.objects.values_list("title", flat=True)) == titles
    output = seed("--seed", "2", "--reset")
    assert "reset:" in output
    assert set(Course.objects.values_list("title", flat=True)) != titles
    assert Course.objects.count() == len(titles)


def test_existing_accounts_of_the_same_name_are_not_taken_over():
    UserFactory(username="admin", email="owner@example.com")
    with pytest.raises(CommandError, match=r"already exist \(admin\)"):
        seed()
    assert not Course.objects.exists()
    assert get_user_model().objects.get(username="admin").email == "owner@example.com"


def test_verbosity_zero_prints_nothing():
    out = StringIO()
    call_command("seed_demo", "--scale", str(SCALE), "--no-media", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert Course.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "0"], "--scale must be a positive number"),
        (["--scale", "-0.5"], "--scale must be a positive number"),
        (["--scale", "lots"], "--scale must be a positive number"),
        (["--scale", "nan"], "--scale must be a positive number"),
        (["--scale", "inf"], "--scale must be a positive number"),
        (["--seed", "1.5"], "--seed must be an integer"),
        (["--seed", "forty-two"], "--seed must be an integer"),
        (["--admin-password", ""], "--admin-password must not be empty"),
    ],
)
def test_invalid_arguments_fail_with_one_clear_line(args, message):
    with pytest.raises(CommandError, match=message) as error:
        call_command("seed_demo", *args, verbosity=0)
    assert "\n" not in str(error.value)
    assert not Course.objects.exists()


def test_every_course_is_complete_with_an_svg_cover():
    build_catalog(seed=3, scale=SCALE, now=NOW)
    courses = Course.objects.prefetch_related("chapters__lessons", "tags").select_related(
        "category"
    )
    for course in courses:
        chapters = list(course.chapters.all())
        assert 3 <= len(chapters) <= 6, course
        for chapter in chapters:
            lessons = list(chapter.lessons.all())
            assert 3 <= len(lessons) <= 6, chapter
            assert all(5 * 60 <= lesson.duration_seconds <= 40 * 60 for lesson in lessons)
            assert all(
                lesson.video_url.startswith("https://media.zhibo.local/") for lesson in lessons
            )
        assert chapters[0].lessons.all()[0].is_free_preview
        assert not any(lesson.is_free_preview for c in chapters[1:] for lesson in c.lessons.all())
        assert 2 <= course.tags.count() <= 5
        assert course.category.parent_id is not None
        assert course.cover.name.endswith(".svg")
        root = svg_root(course.cover.name)
        assert root.tag == SVG
        assert course.title[:5] in ElementTree.tostring(root, encoding="unicode")
        course.full_clean()
    assert all(svg_root(i.avatar.name).tag == SVG for i in Instructor.objects.all())


def test_live_sessions_in_all_three_states_with_valid_shelves():
    now = datetime.now(UTC)
    build_catalog(seed=5, scale=SCALE, now=now)
    lives = LiveSession.objects.prefetch_related("shelf_items__product")
    states = {live.status for live in lives}
    assert {"ended", "live", "scheduled"} <= states
    for live in lives:
        if live.status == "ended":
            assert live.scheduled_end < now and live.replay_url
        elif live.status == "live":
            assert live.scheduled_start < now < live.scheduled_end and live.stream_url
        else:
            assert now < live.scheduled_start < now + timedelta(days=14, hours=1)
        if live.course_id:
            assert live.course.instructor_id == live.instructor_id
        items = list(live.shelf_items.all())
        assert 1 <= len(items) <= 6
        assert sum(item.is_pinned for item in items) == 1
        assert sorted(item.position for item in items) == list(range(1, len(items) + 1))
        for item in items:
            assert item.product.instructor_id == live.instructor_id
            if item.flash_price is not None:
                assert item.flash_price <= item.product.price
                assert live.scheduled_start <= item.flash_starts_at < item.flash_ends_at
                assert item.flash_ends_at <= live.scheduled_end
            item.full_clean()
        live.full_clean()
    assert LiveShelfItem.objects.filter(flash_price__isnull=False).exists()


def test_videos_and_products_stay_with_their_instructor_and_topic():
    build_catalog(seed=5, scale=SCALE, now=NOW)
    for video in ShortVideo.objects.prefetch_related("products", "tags"):
        assert 15 <= video.duration_seconds <= 180
        if video.course_id:
            assert video.course.instructor_id == video.instructor_id
        assert len(video.products.all()) <= 2
        assert all(p.instructor_id == video.instructor_id for p in video.products.all())
        assert len({topic_for_tag(t.name) for t in video.tags.all()} - {None}) == 1
        video.full_clean()
    for product in Product.objects.prefetch_related("tags"):
        assert 0 <= product.stock <= 500
        assert product.list_price is None or product.list_price > product.price
        assert len({topic_for_tag(t.name) for t in product.tags.all()} - {None}) == 1
        assert svg_root(product.cover.name).tag == SVG


def test_instructors_are_staff_in_the_instructors_group():
    build_catalog(seed=1, scale=SCALE, now=NOW)
    for instructor in Instructor.objects.select_related("user"):
        assert instructor.user.is_staff and not instructor.user.is_superuser
        assert instructor.user.groups.filter(name=INSTRUCTORS_GROUP).exists()
        assert instructor.headline and instructor.bio
    learners = get_user_model().objects.filter(username__startswith="learner")
    assert not learners.filter(is_staff=True).exists()
    assert learners.values("password").distinct().count() == 1


def test_the_printed_accounts_can_log_in(client):
    output = seed("--admin-password", "s3cret-demo")
    assert "admin / s3cret-demo" in output
    instructor = Instructor.objects.order_by("user__username").first().user.username
    assert f"{instructor} / s3cret-demo" in output
    assert not client.login(username="admin", password="zhibo-admin")
    assert client.login(username="admin", password="s3cret-demo")
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert client.login(username=instructor, password="s3cret-demo")
    assert client.login(username="learner0001", password="s3cret-demo")


VARIANTS = sorted(
    {
        variant
        for variant in (
            *TITLE_VARIANTS,
            *ENGLISH_VARIANTS,
            *PRODUCT_VARIANTS,
            *BOOK_VARIANTS,
            *DIGITAL_VARIANTS,
        )
        if variant
    },
    key=len,
    reverse=True,
)


def variants_at_the_end(title: str) -> list[str]:
    """The variants ("（标准版）", " · 套装"…) a title ends with, last first."""
    title, found = re.sub(r"（\d+）$", "", title), []
    while variant := next((v for v in VARIANTS if title.endswith(v)), None):
        found.append(variant)
        title = title[: -len(variant)]
    return found


def test_stored_demo_titles_carry_at_most_one_variant():
    build_catalog(seed=0, scale=SCALE, now=NOW)
    titles = [
        *Course.objects.values_list("title", flat=True),
        *Product.objects.values_list("title", flat=True),
        *LiveSession.objects.values_list("title", flat=True),
        *ShortVideo.objects.values_list("title", flat=True),
    ]
    assert titles and [t for t in titles if len(variants_at_the_end(t)) > 1] == []


@pytest.mark.parametrize("seed_value, scale", [(0, 1), (1, 1), (0, 5)])
def test_demo_titles_never_double_their_suffix_at_any_size(seed_value, scale):
    """Titles that would repeat get another variant or a number, never a second suffix
    ("《聪明的投资者》（第3版）（第3版）" and "机械键盘 · 礼盒装（标准版）" were)."""
    plan = plan_catalog(seed=seed_value, scale=scale)
    titles = [
        item.title
        for items in (plan.courses, plan.products, plan.live_sessions, plan.short_videos)
        for item in items
    ]
    assert len(set(titles)) == len(titles)
    assert [t for t in titles if len(variants_at_the_end(t)) > 1] == []
    assert [t for t in titles if re.search(r"（[^（）]+）（[^（）]+）$", t)] == []


def test_the_simulated_past_is_orders_enrollments_and_progress_learner0001_can_see(client):
    seed()
    now = timezone.now()
    events = Event.objects.filter(page="demo")
    bought_courses = set(
        events.filter(event_type="purchase", object_type="course").values_list(
            "user_id", "object_id"
        )
    )
    bought_products = Counter(
        events.filter(event_type="purchase", object_type="product").values_list(
            "user_id", "object_id"
        )
    )
    assert bought_courses and bought_products
    lines = OrderLine.objects.select_related("order", "course", "product")
    assert all(line.order.status == Order.Status.PAID for line in lines)
    assert {(ln.order.user_id, ln.course_id) for ln in lines if ln.course_id} == bought_courses
    assert (
        Counter((ln.order.user_id, ln.product_id) for ln in lines if ln.product_id)
        == bought_products
    )
    enrolled_with_order = set(
        Enrollment.objects.filter(order__isnull=False).values_list("user_id", "course_id")
    )
    assert enrolled_with_order == bought_courses
    for line in lines:  # at the catalog's prices, paid when placed, in the simulated past
        item = line.course or line.product
        assert (line.title, line.unit_price, line.quantity) == (item.title, item.price, 1)
    for order in Order.objects.prefetch_related("lines__product"):
        assert order.total == sum(line.amount for line in order.lines.all())
        assert order.paid_at == order.created_at and now - timedelta(days=91) < order.paid_at < now
        assert order.payment_reference == f"SIM-{order.number}"
        physical = any(ln.product and ln.product.ships for ln in order.lines.all())
        assert order.ships == physical
        order.full_clean()
    watched: dict[tuple[int, int], float] = {}  # the furthest share of each lesson watched
    for user_id, lesson_id, share in events.filter(
        event_type="watch", object_type="lesson"
    ).values_list("user_id", "object_id", "value"):
        watched[(user_id, lesson_id)] = max(watched.get((user_id, lesson_id), 0.0), share)
    progress = {(row.user_id, row.lesson_id): row for row in LessonProgress.objects.all()}
    assert set(progress) == set(watched)
    for pair, row in progress.items():
        assert row.percent_watched == min(100, round(watched[pair] * 100))
        assert row.updated_at < now

    learner = get_user_model().objects.get(username="learner0001")
    assert client.login(username="learner0001", password="zhibo-admin")
    learning = client.get(reverse("web:learning")).content.decode()
    enrolled = Enrollment.objects.filter(user=learner).select_related("course")
    assert enrolled.filter(order__isnull=False).exists()
    assert all(escape(e.course.title) in learning for e in enrolled)
    orders_page = client.get(reverse("web:orders")).content.decode()
    mine = Order.objects.filter(user=learner).order_by("-created_at", "-id")
    assert mine.exists()
    assert all(order.number in orders_page for order in mine[:10])
    home = client.get(reverse("web:home")).content.decode()
    continue_section = home.split('data-section="continue"', 1)[1].split("</section>", 1)[0]
    assert any(escape(e.course.title) in continue_section for e in enrolled)
