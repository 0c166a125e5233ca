"""Browse and search, the course, lesson, live, short-video, product and instructor pages."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commerce.models import LessonProgress, LiveReservation
from courses.models import Course
from courses.search import search_index_items
from recommendations.models import Event
from tests.commerce.factories import EnrollmentFactory
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    InstructorFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    TagFactory,
)
from tests.web.conftest import make_course
from web.forms import TYPE_CHOICES

pytestmark = pytest.mark.django_db


# Browse ------------------------------------------------------------------------------------


def browse(client, **params):
    return client.get(reverse("web:browse"), params).content.decode()


def test_browse_filters_by_category_including_sub_categories(client):
    top = CategoryFactory(name="编程", slug="code")
    sub = CategoryFactory(name="Python", slug="python", parent=top)
    CourseFactory(title="Python 入门", category=sub)
    CourseFactory(title="插花艺术")
    page = browse(client, category="code")
    assert "Python 入门" in page and "插花艺术" not in page


def test_browse_filters_by_tag_price_and_level(client):
    tag = TagFactory(slug="ai")
    CourseFactory(title="免费AI课", price=Decimal("0"), tags=[tag], level="beginner")
    CourseFactory(title="付费AI课", price=Decimal("199"), tags=[tag], level="advanced")
    CourseFactory(title="无关课", price=Decimal("0"))
    assert "免费AI课" in browse(client, tag="ai", price="free")
    assert "付费AI课" not in browse(client, tag="ai", price="free")
    assert "无关课" not in browse(client, tag="ai")
    page = browse(client, level="advanced")
    assert "付费AI课" in page and "免费AI课" not in page


def test_search_finds_titles(client):
    courses = [CourseFactory(title="Excel 数据透视表"), CourseFactory(title="钢琴入门")]
    search_index_items("course", [c.pk for c in courses])  # as the catalog's services do on a save
    page = browse(client, q="透视")
    assert "Excel 数据<mark>透视</mark>表" in page and "钢琴入门" not in page


def test_browse_lists_other_types(client):
    ProductFactory(title="降噪耳机")
    ShortVideoFactory(title="一分钟学会快捷键")
    LiveSessionFactory(title="今晚直播答疑")
    assert "降噪耳机" in browse(client, type="product")
    assert "一分钟学会快捷键" in browse(client, type="video")
    assert "今晚直播答疑" in browse(client, type="live")


BROWSE_TABS = [value for value, _label in TYPE_CHOICES]
BROWSE_FILTERS = [
    {},
    {"category": "code"},
    {"tag": "python"},
    {"price": "free"},
    {"price": "paid"},
    *({"level": level} for level in Course.Level.values),
]


@pytest.mark.parametrize(
    "filters", BROWSE_FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none"
)
@pytest.mark.parametrize("tab", BROWSE_TABS)
def test_every_tab_with_every_filter_answers_a_search(client, tab, filters):
    tag = TagFactory(name="Python", slug="python")
    course = CourseFactory(
        title="Python 入门", category=CategoryFactory(slug="code"), tags=[tag], level="beginner"
    )
    ProductFactory(title="Python 手册", tags=[tag])
    ShortVideoFactory(title="Python 一分钟", course=course, tags=[tag])
    LiveSessionFactory(title="Python 直播", course=course, tags=[tag])
    response = client.get(reverse("web:browse"), {"type": tab, "q": "Python", **filters})
    assert response.status_code == 200
    assert "Python" in response.content.decode()


def test_searching_short_videos_finds_their_titles(client):
    videos = [ShortVideoFactory(title="Python 一分钟"), ShortVideoFactory(title="钢琴一分钟")]
    search_index_items("video", [v.pk for v in videos])  # as the catalog's services do on a save
    page = browse(client, type="video", q="Python")
    assert "<mark>Python</mark> 一分钟" in page and "钢琴一分钟" not in page


def test_browse_paginates(client):
    for i in range(14):
        CourseFactory(title=f"分页课程{i:02d}")
    first, second = browse(client), browse(client, page=2)
    assert "14 个结果" in first
    assert "第 1 / 2 页" in first
    assert first.count("分页课程") == 12 and second.count("分页课程") == 2


def test_unpublished_courses_are_not_listed_or_shown(client):
    draft = CourseFactory(title="草稿课", status=Course.Status.DRAFT, published_at=None)
    assert "草稿课" not in browse(client)
    assert client.get(reverse("web:course", args=[draft.slug])).status_code == 404


# Course ------------------------------------------------------------------------------------


def test_course_page_shows_syllabus_with_free_previews_instructor_and_price(client):
    course = make_course(
        title="产品经理实战", price=Decimal("299"), list_price=Decimal("399"), description="从0到1"
    )
    page = client.get(reverse("web:course", args=[course.slug])).content.decode()
    assert "产品经理实战" in page and "从0到1" in page
    assert "第一章 入门" in page and "免费试看" in page
    assert course.instructor.display_name in page
    assert "299" in page and "<s" in page and "399" in page
    assert "登录后购买" in page


def test_course_page_records_a_detail_view(client):
    course = make_course()
    client.get(reverse("web:course", args=[course.slug]))
    assert Event.objects.filter(
        event_type="view", object_type="course", object_id=course.pk
    ).exists()


def test_course_page_shows_similar_courses_and_linked_products(client):
    tag = TagFactory()
    course = make_course(tags=[tag])
    similar = make_course(title="相似的课", tags=[tag])
    product = ProductFactory(title="配套教材", instructor=course.instructor)
    ShortVideoFactory(instructor=course.instructor, course=course).products.add(product)
    page = client.get(reverse("web:course", args=[course.slug])).content.decode()
    assert similar.title in page and "相似课程" in page
    assert "配套教材" in page and "课程用到的好物" in page


def test_free_course_can_be_enrolled_in(signed_in, learner):
    course = make_course(price=Decimal("0"))
    response = signed_in.post(reverse("web:enroll", args=[course.slug]))
    assert response.status_code == 302
    assert learner.enrollments.filter(course=course).exists()


# Lessons -----------------------------------------------------------------------------------


def test_free_preview_plays_for_everyone(client):
    lesson = make_course().lessons.get(is_free_preview=True)
    page = client.get(reverse("web:lesson", args=[lesson.pk])).content.decode()
    assert "<video" in page and lesson.video_url in page


def test_paid_lesson_is_locked_until_enrolled(client, learner):
    course = make_course()
    lesson = course.lessons.get(is_free_preview=False)
    page = client.get(reverse("web:lesson", args=[lesson.pk])).content.decode()
    assert lesson.video_url not in page and "完整课程" in page
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    assert lesson.video_url in client.get(reverse("web:lesson", args=[lesson.pk])).content.decode()


def test_player_saves_progress(signed_in, learner):
    course = make_course()
    EnrollmentFactory(user=learner, course=course)
    lesson = course.lessons.get(is_free_preview=False)
    url = reverse("web:lesson_progress", args=[lesson.pk])
    response = signed_in.post(url, {"position_seconds": 300, "duration_seconds": 600})
    assert response.status_code == 200
    assert response.json()["percent_watched"] == 50
    assert LessonProgress.objects.get(user=learner, lesson=lesson).position_seconds == 300


def test_the_player_cannot_complete_a_lesson_by_reporting_it_one_second_long(signed_in, learner):
    course = make_course()
    EnrollmentFactory(user=learner, course=course)
    lesson = course.lessons.get(is_free_preview=False)
    lesson.duration_seconds = 912
    lesson.save()
    url = reverse("web:lesson_progress", args=[lesson.pk])
    response = signed_in.post(url, {"position_seconds": 1, "duration_seconds": 1})
    assert response.status_code == 200
    assert response.json() == {"position_seconds": 1, "percent_watched": 0, "completed": False}


def test_progress_needs_sign_in_valid_numbers_and_enrollment(client, learner):
    lesson = make_course().lessons.get(is_free_preview=False)
    url = reverse("web:lesson_progress", args=[lesson.pk])
    assert client.post(url, {"position_seconds": 10}).status_code == 401
    client.force_login(learner)
    bad = client.post(url, {"position_seconds": -5})
    assert bad.status_code == 400 and "position_seconds" in bad.json()["errors"]
    assert client.post(url, {"position_seconds": 10}).status_code == 403


# Live --------------------------------------------------------------------------------------


def test_live_page_shows_status_shelf_pinned_product_and_flash_price(client):
    now = timezone.now()
    live = LiveSessionFactory(
        status="live",
        scheduled_start=now - timedelta(minutes=5),
        scheduled_end=now + timedelta(hours=1),
        stream_url="https://live.zhibo.local/stream.m3u8",
    )
    LiveShelfItemFactory(
        live_session=live,
        product__title="置顶好物",
        product__price=Decimal("99"),
        is_pinned=True,
        flash_price=Decimal("59"),
        flash_starts_at=now - timedelta(minutes=1),
        flash_ends_at=now + timedelta(minutes=30),
    )
    page = client.get(reverse("web:live", args=[live.slug])).content.decode()
    assert "直播中" in page and "live.zhibo.local/stream.m3u8" in page
    assert "置顶好物" in page and "置顶" in page
    assert "秒杀价" in page and "59" in page and "data-countdown" in page


def test_upcoming_live_counts_down_and_can_be_reserved(signed_in, learner):
    live = LiveSessionFactory()
    page = signed_in.get(reverse("web:live", args=[live.slug])).content.decode()
    assert "data-countdown" in page and "开播提醒" in page
    signed_in.post(reverse("web:live_reserve", args=[live.slug]))
    assert LiveReservation.objects.filter(user=learner, live_session=live).exists()
    assert "已预约" in signed_in.get(reverse("web:live", args=[live.slug])).content.decode()


def test_reserving_needs_sign_in(client):
    live = LiveSessionFactory()
    response = client.post(reverse("web:live_reserve", args=[live.slug]))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


# Short videos, products, instructors -------------------------------------------------------


def test_short_video_feed_shows_linked_course_and_product(client):
    course = make_course(title="剪辑大师课")
    video = ShortVideoFactory(title="三秒转场", instructor=course.instructor, course=course)
    video.products.add(ProductFactory(title="手机稳定器"))
    page = client.get(reverse("web:videos")).content.decode()
    assert "三秒转场" in page and "剪辑大师课" in page and "手机稳定器" in page
    assert "data-feed-item" in page


def test_product_page_shows_price_and_records_a_view(client):
    product = ProductFactory(title="人体工学椅", price=Decimal("899"), list_price=Decimal("1299"))
    page = client.get(reverse("web:product", args=[product.slug])).content.decode()
    assert "人体工学椅" in page and "899" in page and "1299" in page
    assert Event.objects.filter(event_type="view", object_type="product").exists()


def test_instructor_page_lists_courses_and_products(client):
    instructor = InstructorFactory(display_name="王老师", headline="十年产品经验")
    CourseFactory(instructor=instructor, title="王老师的课")
    ProductFactory(instructor=instructor, title="王老师的书")
    page = client.get(reverse("web:instructor", args=[instructor.slug])).content.decode()
    assert "十年产品经验" in page and "王老师的课" in page and "王老师的书" in page


def test_missing_pages_use_the_sites_404_template(client):
    response = client.get("/courses/no-such-course/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/browse/", "课程"),
        ("/browse/?type=course&q=python", "课程"),
        ("/browse/?type=live", "直播"),
        ("/browse/?type=video&q=python", "短视频"),
        ("/videos/", "短视频"),
        ("/browse/?type=product&q=python", None),
    ],
)
def test_the_main_menu_marks_the_section_the_page_is_in(client, db, url, current):
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    menu = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)[0]
    marked = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]*)</a>', menu)
    assert marked == ([current] if current else [])
