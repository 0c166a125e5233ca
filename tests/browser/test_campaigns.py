"""A discounted course, the 活动 section and a checkout with a coupon, in the browser on a
desktop and a phone, with screenshots."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.campaigns import bundle_create, coupon_create
from commerce.models import Order
from courses.services import discount_create
from tests.browser.conftest import PHONE
from tests.browser.test_journeys import sign_in
from tests.factories import InstructorFactory, UserFactory
from tests.web.conftest import make_course


@pytest.fixture
def offers(transactional_db):
    teacher = InstructorFactory(display_name="王老师")
    course = make_course(instructor=teacher, title="Python 数据分析实战", price=Decimal("199.00"))
    others = [
        make_course(instructor=teacher, title=title, price=Decimal("99.00"))
        for title in ("Excel 高效办公", "SQL 从入门到精通")
    ]
    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=3)}
    discount_create(
        user=teacher.user,
        title="双十二限时八折",
        courses=[course, others[0]],
        kind="percent",
        value=Decimal("20"),
        **window,
    )
    coupon_create(
        user=teacher.user,
        code="ZHIBO20",
        kind="amount",
        value=Decimal("20"),
        minimum_amount=Decimal("99"),
        valid_from=window["starts_at"],
        valid_until=window["ends_at"],
    )
    bundle_create(
        user=teacher.user,
        title="数据技能全家桶",
        courses=[course, *others],
        price=Decimal("259.00"),
        **window,
    )
    return course


def test_a_discounted_course_and_a_coupon_at_checkout(page, shot, offers):
    learner = UserFactory(username="xiaohong")
    page.goto("/")
    assert page.locator("[data-section=offers]").is_visible()
    shot(page, "campaigns-home-desktop")
    page.goto(f"/courses/{offers.slug}/")
    buy_box = page.locator(".buy-box")
    assert "159.2" in buy_box.inner_text() and "199" in buy_box.inner_text()
    shot(page, "campaigns-course-desktop")
    sign_in(page, learner)
    page.goto(f"/courses/{offers.slug}/")
    page.get_by_test_id("use-coupon").click()
    page.fill("#coupon", "zhibo20")
    page.get_by_test_id("apply-coupon").click()
    page.wait_for_selector(".coupon-applied")
    assert "139.2" in page.get_by_test_id("confirm-pay").inner_text()
    shot(page, "campaigns-checkout-coupon-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "campaigns-checkout-coupon-phone")
    page.get_by_test_id("confirm-pay").click()
    page.wait_for_url("**/me/orders/*/")
    order = Order.objects.get(user=learner)
    assert (order.total, order.coupon.code) == (Decimal("139.20"), "ZHIBO20")
    shot(page, "campaigns-order-phone")
    page.goto(f"/courses/{offers.slug}/")
    page.goto("/campaigns/")
    shot(page, "campaigns-page-phone")
    page.goto("/")
    shot(page, "campaigns-home-phone")


def test_a_bad_code_on_a_phone(page, shot, offers):
    page.set_viewport_size(PHONE)
    sign_in(page, UserFactory(username="xiaoli"))
    page.goto(f"/courses/{offers.slug}/")
    shot(page, "campaigns-course-phone")
    page.get_by_test_id("use-coupon").click()
    page.fill("#coupon", "NOPE")
    page.get_by_test_id("apply-coupon").click()
    page.wait_for_selector("#coupon-errors")
    shot(page, "campaigns-checkout-bad-code-phone")


def test_every_target_of_the_offer_pages_is_big_enough_to_tap_on_a_phone(page, offers):
    from tests.browser.test_tap_targets import undersized

    page.set_viewport_size(PHONE)
    sign_in(page, UserFactory(username="xiaozhang"))
    pages = {
        "home": "/",
        "campaigns": "/campaigns/",
        "course": f"/courses/{offers.slug}/",
        "checkout": f"/checkout/?items=course:{offers.pk}:1&coupon=ZHIBO20",
    }
    failing = {name: found for name, url in pages.items() if (found := undersized(page, url))}
    assert failing == {}
