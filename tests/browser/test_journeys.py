"""What a learner does in a real browser, end to end, with screenshots in var/screenshots/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from commerce.models import Enrollment, LessonProgress, LiveReservation, Order
from recommendations.models import Event
from recommendations.services.profiles import interests_declare
from tests.browser.conftest import PHONE
from tests.commerce.factories import EnrollmentFactory
from tests.factories import (
    PASSWORD,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)
from tests.web.conftest import make_catalog, make_course

RECOMMENDED = "[data-section=recommended-courses]"


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def learner_interested_in(tag):
    user = UserFactory()
    interests_declare(user=user, tags=[tag])
    return user


def test_sign_up_and_pick_interests_then_home_follows_them(page, shot):
    make_catalog(6)
    yoga = TagFactory(name="瑜伽")
    wanted = {make_course(title=f"瑜伽{n}日入门", tags=[yoga]).title for n in (7, 14, 21)}
    page.goto("/accounts/signup/")
    page.fill("#id_username", "xiaohong")
    page.fill("#id_email", "xiaohong@example.com")
    page.fill("#id_password1", "mountain-river-42")
    page.fill("#id_password2", "mountain-river-42")
    shot(page, "signup")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/onboarding/")
    page.get_by_text("#瑜伽").click()
    shot(page, "onboarding")
    page.get_by_role("button", name="查看我的推荐").click()
    page.wait_for_url("**/")
    titles = page.locator(f"{RECOMMENDED} .card-title").all_inner_texts()
    assert wanted <= set(titles)
    expect(page.locator(RECOMMENDED)).to_contain_text("因为你喜欢 #瑜伽")
    shot(page, "home-after-onboarding")


def test_watching_a_lesson_shows_in_continue_learning(page, shot):
    course = make_course(title="Python 数据分析")
    user = UserFactory()
    EnrollmentFactory(user=user, course=course)
    lesson = course.lessons.get(is_free_preview=False)
    sign_in(page, user)
    page.goto(f"/lessons/{lesson.pk}/")
    expect(page.locator("video")).to_be_attached()
    saved = page.evaluate("() => window.zhibo.saveProgress(true, 570)")
    assert saved["percent_watched"] == 95 and saved["completed"]
    expect(page.locator("[data-progress-label]")).to_contain_text("95%")
    shot(page, "lesson-player")
    assert LessonProgress.objects.get(user=user, lesson=lesson).position_seconds == 570
    page.goto("/")
    continue_section = page.locator("[data-section=continue]")
    expect(continue_section).to_contain_text("Python 数据分析")
    expect(continue_section.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "50")
    shot(page, "home-continue-learning")


def test_buying_a_course_puts_it_in_my_learning(page, shot):
    course = make_course(title="商业写作训练营", price=Decimal("199"), list_price=Decimal("299"))
    user = UserFactory()
    sign_in(page, user)
    page.goto(f"/courses/{course.slug}/")
    shot(page, "course-page")
    page.get_by_test_id("buy-now").click()
    page.wait_for_url("**/me/orders/*/")
    expect(page.locator(".receipt")).to_contain_text("已支付")
    shot(page, "order-paid")
    page.goto("/me/learning/")
    expect(page.locator("[data-section=learning]")).to_contain_text("商业写作训练营")
    shot(page, "my-learning")
    assert Enrollment.objects.filter(user=user, course=course).exists()


def test_not_interested_removes_the_card_for_good(page, shot):
    tag = TagFactory(name="摄影")
    for n in range(6):
        make_course(title=f"摄影课{n}", tags=[tag])
    sign_in(page, learner_interested_in(tag))
    first = page.locator(f"{RECOMMENDED} [data-rec]").first
    course_id = first.get_attribute("data-id")
    with page.expect_response("**/not-interested/"):
        first.get_by_role("button", name="不感兴趣").click()
    card = page.locator(f'{RECOMMENDED} [data-rec][data-id="{course_id}"]')
    expect(card).to_have_count(0)
    page.reload()
    expect(page.locator(f"{RECOMMENDED} [data-rec]").first).to_be_visible()
    expect(card).to_have_count(0)
    shot(page, "home-after-not-interested")


def test_turning_personalisation_off_changes_the_sections(page, shot):
    tag = TagFactory(name="理财")
    make_catalog(4)
    make_course(title="理财入门", tags=[tag])
    sign_in(page, learner_interested_in(tag))
    expect(page.locator("#rec-courses-title")).to_have_text("为你推荐")
    page.goto("/privacy/")
    shot(page, "privacy-center")
    page.get_by_test_id("personalisation-off").click()
    expect(page.locator(".message-success")).to_contain_text("已关闭个性化推荐")
    page.goto("/")
    expect(page.locator("#rec-courses-title")).to_have_text("热门推荐（未个性化）")
    expect(page.locator(RECOMMENDED)).not_to_contain_text("因为你喜欢")
    shot(page, "home-not-personalised")


def test_the_language_switch_changes_the_interface(page, shot):
    make_catalog(3)
    page.goto("/")
    expect(page.locator(".main-nav")).to_contain_text("首页")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator(".main-nav")).to_contain_text("Home")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "home-english")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_key_pages_render_on_desktop_and_phone(page, shot, viewport):
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    courses = make_catalog(6)
    now = timezone.now()
    live = LiveSessionFactory(
        title="周末直播：数据分析答疑",
        instructor=courses[0].instructor,
        course=courses[0],
        status="live",
        scheduled_start=now - timedelta(minutes=20),
        scheduled_end=now + timedelta(hours=1),
        stream_url="https://live.zhibo.local/demo.m3u8",
    )
    LiveShelfItemFactory(
        live_session=live,
        is_pinned=True,
        product__title="数据分析实战手册",
        product__price=Decimal("89"),
        flash_price=Decimal("59"),
        flash_starts_at=now - timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=25),
    )
    LiveShelfItemFactory(live_session=live, product__title="机械键盘")
    ShortVideoFactory(instructor=courses[0].instructor, course=courses[0])
    for name, url in [
        ("home", "/"),
        ("course", f"/courses/{courses[0].slug}/"),
        ("live", f"/live/{live.slug}/"),
        ("videos", "/videos/"),
        ("browse", "/browse/"),
    ]:
        page.goto(url)
        expect(page.locator("main")).to_be_visible()
        shot(page, f"{viewport}-{name}", full_page=name != "videos")
    page.goto(f"/live/{live.slug}/")
    expect(page.locator(".shelf-item.pinned")).to_contain_text("秒杀价")


def test_impressions_and_clicks_reach_the_beacon_with_the_request_id(page):
    tag = TagFactory(name="插画")
    make_course(title="iPad 插画入门", tags=[tag])
    user = learner_interested_in(tag)
    sign_in(page, user)
    card = page.locator(f"{RECOMMENDED} [data-rec]").first
    request_id = card.get_attribute("data-request-id")
    with page.expect_response("**/events/") as beacon:
        page.evaluate("() => window.zhibo.flush(false)")
    assert beacon.value.status == 200
    impression = Event.objects.get(user=user, event_type="impression", object_type="course")
    assert str(impression.request_id) == request_id and impression.client == "web"
    card.locator(".card-link").click()  # the click leaves with navigator.sendBeacon on page hide
    page.wait_for_url("**/courses/**")
    for _ in range(50):
        if Event.objects.filter(user=user, event_type="click").exists():
            break
        page.wait_for_timeout(100)
    click = Event.objects.get(user=user, event_type="click", object_type="course")
    assert str(click.request_id) == request_id


def test_remind_me_signed_out_signs_in_reserves_and_comes_back(page, shot):
    make_catalog(2)
    now = timezone.now()
    live = LiveSessionFactory(
        title="周五直播：高效阅读法",
        status="scheduled",
        scheduled_start=now + timedelta(minutes=30),
        scheduled_end=now + timedelta(hours=2),
    )
    user = UserFactory()
    page.goto("/")
    card = page.locator(".live-card", has_text="周五直播：高效阅读法")
    card.get_by_role("button", name="开播提醒").click()
    page.wait_for_url("**/accounts/login/?next=/")
    expect(page.locator(".message-info")).to_contain_text("周五直播：高效阅读法")
    shot(page, "remind-me-sign-in")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: url.endswith("/") and "accounts" not in url)
    expect(page.locator(".message-success")).to_contain_text("已预约，开播前会提醒你。")
    # The card now says so instead of offering the reminder again, in the shared rail too.
    reserved = page.locator(".live-card", has_text="周五直播：高效阅读法").locator(
        ".card-action button"
    )
    expect(reserved.first).to_have_text("✓ 已预约")
    expect(reserved.first).to_be_disabled()
    shot(page, "remind-me-reserved")
    assert LiveReservation.objects.filter(user=user, live_session=live).exists()
    page.goto("/browse/?type=live")
    expect(
        page.locator(".live-card", has_text="周五直播：高效阅读法").locator("button")
    ).to_have_text("✓ 已预约")


def test_buying_a_physical_book_from_the_live_shelf_asks_where_to_deliver_it(page, shot):
    now = timezone.now()
    live = LiveSessionFactory(
        title="周末直播：数据分析答疑",
        status="live",
        scheduled_start=now - timedelta(minutes=20),
        scheduled_end=now + timedelta(hours=1),
        stream_url="https://live.zhibo.local/demo.m3u8",
    )
    book = LiveShelfItemFactory(
        live_session=live,
        is_pinned=True,
        product__title="数据分析实战手册（纸质版）",
        product__kind="physical",
        product__price=Decimal("89"),
        flash_price=Decimal("59"),
        flash_starts_at=now - timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=25),
    ).product
    LiveShelfItemFactory(live_session=live, product__title="课程讲义 PDF", product__kind="digital")
    user = UserFactory()
    sign_in(page, user)
    page.goto(f"/live/{live.slug}/")
    expect(page.get_by_test_id("buy-digital")).to_contain_text("¥59")
    shot(page, "live-shelf-prices")
    page.get_by_test_id("buy-physical").click()
    page.wait_for_url("**/checkout/?**")
    expect(page.get_by_test_id("confirm-pay")).to_have_text("确认支付 ¥59")
    page.fill("#id_new-recipient", "王小明")
    page.fill("#id_new-phone", "138 0013 8000")
    page.fill("#id_new-region", "上海市 上海市 浦东新区")
    page.fill("#id_new-street", "世纪大道 100 号 8 楼")
    shot(page, "checkout-confirm-address")
    page.get_by_test_id("confirm-pay").click()
    page.wait_for_url("**/me/orders/*/")
    expect(page.locator(".receipt")).to_contain_text("已支付")
    expect(page.locator("[data-section=ship-to]")).to_contain_text("世纪大道 100 号 8 楼")
    shot(page, "order-shipped-to")
    order = Order.objects.get(user=user)
    assert (order.total, order.ship_recipient) == (Decimal("59.00"), "王小明")
    assert order.lines.get().product == book

    page.goto(f"/live/{live.slug}/")  # the next time, the saved address is offered
    page.get_by_test_id("buy-physical").click()
    expect(page.locator("[data-section=delivery]")).to_contain_text("王小明")
    shot(page, "checkout-saved-address")
    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("confirm-pay")).to_be_visible()
    shot(page, "phone-checkout-saved-address")
    page.goto("/me/addresses/")
    expect(page.locator("[data-section=addresses]")).to_contain_text("世纪大道 100 号 8 楼")
    shot(page, "address-book")
