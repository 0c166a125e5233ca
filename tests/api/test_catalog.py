"""The public catalog: only what learners may see, filtered, searched, ordered and paginated by
cursor, with lesson videos only for those who may play them, live shelves at the price in force,
and lists whose query count does not grow with their length."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Course, LiveSession
from tests.api.conftest import client_for
from tests.commerce.factories import (
    EnrollmentFactory,
    LessonProgressFactory,
    LiveReservationFactory,
    OrderLineFactory,
    ProductLineFactory,
)
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_course_list_shows_only_published_courses(anon):
    shown = CourseFactory()
    CourseFactory(status=Course.Status.DRAFT, published_at=None)
    CourseFactory(published_at=timezone.now() + timedelta(days=1))
    assert ids(anon.get("/api/v1/courses/")) == [shown.pk]


def test_draft_course_detail_is_404(anon):
    draft = CourseFactory(status=Course.Status.DRAFT, published_at=None)
    assert anon.get(f"/api/v1/courses/{draft.pk}/").status_code == 404


def test_courses_filter_by_category_including_sub_categories(anon):
    topic = CategoryFactory()
    sub = CategoryFactory(parent=topic)
    in_topic, in_sub = CourseFactory(category=topic), CourseFactory(category=sub)
    CourseFactory()
    assert set(ids(anon.get(f"/api/v1/courses/?category={topic.pk}"))) == {in_topic.pk, in_sub.pk}
    assert ids(anon.get(f"/api/v1/courses/?category={sub.pk}")) == [in_sub.pk]


def test_courses_filter_by_tag_price_and_level(anon):
    tag = TagFactory()
    free = CourseFactory(price=Decimal("0.00"), tags=[tag], level=Course.Level.ADVANCED)
    paid = CourseFactory(tags=[tag])
    CourseFactory()
    assert set(ids(anon.get(f"/api/v1/courses/?tag={tag.pk}"))) == {free.pk, paid.pk}
    assert ids(anon.get("/api/v1/courses/?price=free")) == [free.pk]
    assert free.pk not in ids(anon.get("/api/v1/courses/?price=paid"))
    assert ids(anon.get("/api/v1/courses/?level=advanced")) == [free.pk]


def test_courses_search_titles_and_order_by_price(anon):
    cheap = CourseFactory(title="Python 入门", price=Decimal("9.00"))
    dear = CourseFactory(title="Python 进阶", price=Decimal("199.00"))
    CourseFactory(title="烹饪")
    assert set(ids(anon.get("/api/v1/courses/?search=python"))) == {cheap.pk, dear.pk}
    assert ids(anon.get("/api/v1/courses/?search=python&ordering=-price")) == [dear.pk, cheap.pk]


def test_lists_page_by_cursor_without_repeating_or_skipping(anon):
    created = {CourseFactory().pk for _ in range(5)}
    seen, url = [], "/api/v1/courses/?page_size=2"
    while url:
        body = anon.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(created)


def test_an_invalid_cursor_is_404(anon):
    assert anon.get("/api/v1/courses/?cursor=bogus").status_code == 404


def test_lesson_videos_are_only_for_enrolled_learners_or_free_previews():
    course = CourseFactory()
    preview = LessonFactory(chapter__course=course, is_free_preview=True)
    locked = LessonFactory(chapter=preview.chapter, position=preview.position + 1)
    learner, stranger = UserFactory(), UserFactory()
    EnrollmentFactory(user=learner, course=course)

    def videos(user):
        body = client_for(user).get(f"/api/v1/courses/{course.pk}/").json()
        return {
            lesson["id"]: lesson["video_url"]
            for chapter in body["chapters"]
            for lesson in chapter["lessons"]
        }

    assert videos(learner) == {preview.pk: preview.video_url, locked.pk: locked.video_url}
    assert videos(stranger) == {preview.pk: preview.video_url, locked.pk: None}
    assert videos(None) == {preview.pk: preview.video_url, locked.pk: None}


def test_live_shelf_shows_the_flash_price_inside_its_window_only(anon):
    now = timezone.now()
    live = LiveSessionFactory(
        scheduled_start=now - timedelta(hours=1), status=LiveSession.Status.LIVE
    )
    product = ProductFactory(instructor=live.instructor, price=Decimal("100.00"))
    LiveShelfItemFactory(
        live_session=live,
        product=product,
        flash_price=Decimal("59.00"),
        flash_starts_at=now - timedelta(minutes=10),
        flash_ends_at=now + timedelta(minutes=10),
    )
    later = ProductFactory(instructor=live.instructor, price=Decimal("80.00"))
    LiveShelfItemFactory(
        live_session=live,
        product=later,
        flash_price=Decimal("40.00"),
        flash_starts_at=now + timedelta(minutes=20),
        flash_ends_at=now + timedelta(minutes=40),
    )
    body = anon.get(f"/api/v1/lives/{live.pk}/").json()
    shelf = {item["product"]["id"]: item for item in body["shelf"]}
    assert body["status"] == "live"
    assert (shelf[product.pk]["price"], shelf[product.pk]["is_flash_price"]) == ("59.00", True)
    assert (shelf[later.pk]["price"], shelf[later.pk]["is_flash_price"]) == ("80.00", False)
    assert shelf[later.pk]["flash_starts_at"] is not None


def test_a_live_session_names_its_stream_and_recorded_replay_on_the_site(anon):
    live = LiveSessionFactory(status="ended")
    body = anon.get(f"/api/v1/lives/{live.pk}/").json()
    assert body["hls_url"] == f"http://testserver/live/{live.slug}/hls/index.m3u8"
    assert body["recording_url"] is None
    assert "stream_key" not in body and live.stream_key not in str(body)
    live.recording = f"replays/{live.pk}/index.m3u8"
    live.save()
    body = anon.get(f"/api/v1/lives/{live.pk}/").json()
    assert body["recording_url"] == f"http://testserver/live/{live.slug}/replay/index.m3u8"


def test_cancelled_live_sessions_are_hidden(anon):
    cancelled = LiveSessionFactory(status=LiveSession.Status.CANCELLED)
    shown = LiveSessionFactory()
    assert ids(anon.get("/api/v1/lives/")) == [shown.pk]
    assert anon.get(f"/api/v1/lives/{cancelled.pk}/").status_code == 404
    assert ids(anon.get("/api/v1/lives/?status=scheduled")) == [shown.pk]


def test_videos_show_their_course_and_products_on_sale(anon):
    course = CourseFactory()
    on_sale = ProductFactory(instructor=course.instructor)
    off_sale = ProductFactory(instructor=course.instructor, is_active=False)
    video = ShortVideoFactory(instructor=course.instructor, course=course)
    video.products.set([on_sale, off_sale])
    ShortVideoFactory(is_published=False)
    body = anon.get("/api/v1/videos/").json()["results"]
    assert [row["id"] for row in body] == [video.pk]
    assert body[0]["course"]["id"] == course.pk
    assert [p["id"] for p in body[0]["products"]] == [on_sale.pk]


def test_products_list_only_those_on_sale_and_filter_by_stock(anon):
    in_stock = ProductFactory()
    sold_out = ProductFactory(stock=0)
    ProductFactory(is_active=False)
    assert set(ids(anon.get("/api/v1/products/"))) == {in_stock.pk, sold_out.pk}
    assert ids(anon.get("/api/v1/products/?in_stock=false")) == [sold_out.pk]


def test_categories_come_as_a_two_level_tree(anon):
    topic = CategoryFactory(name="编程")
    CategoryFactory(name="Python", parent=topic)
    body = anon.get("/api/v1/categories/").json()
    assert [(c["name"], [s["name"] for s in c["children"]]) for c in body] == [("编程", ["Python"])]


def test_tags_and_instructors_are_listed(anon):
    TagFactory(name="Python")
    InstructorFactory(display_name="王老师")
    assert [t["name"] for t in anon.get("/api/v1/tags/").json()["results"]] == ["Python"]
    assert [i["display_name"] for i in anon.get("/api/v1/instructors/").json()["results"]] == [
        "王老师"
    ]


# Query counts: the same for 3 rows as for 20 ----------------------------------------------------


def _course(n):
    tag = TagFactory()
    return [CourseFactory(tags=[tag]) for _ in range(n)]


def _live(n):
    return [LiveSessionFactory(tags=[TagFactory()], course=CourseFactory()) for _ in range(n)]


def _video(n):
    rows = []
    for _ in range(n):
        video = ShortVideoFactory(tags=[TagFactory()], course=CourseFactory())
        video.products.set([ProductFactory(), ProductFactory()])
        rows.append(video)
    return rows


def _product(n):
    return [ProductFactory(tags=[TagFactory()]) for _ in range(n)]


def _order(user, n):
    for _ in range(n):
        line = OrderLineFactory(order__user=user)
        ProductLineFactory(order=line.order)


def _enrollment(user, n):
    for _ in range(n):
        EnrollmentFactory(user=user)


def _reservation(user, n):
    for _ in range(n):
        LiveReservationFactory(user=user)


def _progress(user, n):
    for _ in range(n):
        lesson = LessonFactory()
        EnrollmentFactory(user=user, course=lesson.course)
        LessonProgressFactory(user=user, lesson=lesson)


PUBLIC_LISTS = [
    ("/api/v1/courses/", _course),
    ("/api/v1/lives/", _live),
    ("/api/v1/videos/", _video),
    ("/api/v1/products/", _product),
    ("/api/v1/tags/", lambda n: [TagFactory() for _ in range(n)]),
    ("/api/v1/instructors/", lambda n: [InstructorFactory() for _ in range(n)]),
    (
        "/api/v1/categories/",
        lambda n: [CategoryFactory(parent=CategoryFactory()) for _ in range(n)],
    ),
]
PRIVATE_LISTS = [
    ("/api/v1/orders/", _order),
    ("/api/v1/enrollments/", _enrollment),
    ("/api/v1/reservations/", _reservation),
    ("/api/v1/continue-learning/?limit=50", _progress),
]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("url", "make"), PUBLIC_LISTS, ids=[u for u, _ in PUBLIC_LISTS])
def test_public_list_queries_do_not_grow_with_rows(url, make, django_assert_max_num_queries):
    client = client_for(None)
    make(3)
    with_three = _queries(client, url)
    make(17)
    with django_assert_max_num_queries(with_three):
        response = client.get(url)
    rows = response.json()
    assert len(rows["results"] if isinstance(rows, dict) else rows) == 20


@pytest.mark.parametrize(("url", "make"), PRIVATE_LISTS, ids=[u for u, _ in PRIVATE_LISTS])
def test_personal_list_queries_do_not_grow_with_rows(url, make, django_assert_max_num_queries):
    user = UserFactory()
    client = client_for(user)
    make(user, 3)
    with_three = _queries(client, url)
    make(user, 17)
    with django_assert_max_num_queries(with_three):
        response = client.get(url)
    rows = response.json()
    assert len(rows["results"] if isinstance(rows, dict) else rows) == 20
