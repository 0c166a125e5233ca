"""The pages: the same discounted price on cards, the course page, the cart, the checkout and the
order; coupons on the checkout page; bundles on the campaigns page; the 活动 home section."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commerce.models import Enrollment, Order
from tests.commerce.factories import EnrollmentFactory
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def ana(client, learners):
    client.force_login(learners[0])
    return client


def prices_on(html: str) -> list[str]:
    return re.findall(r'class="price-now"><small>¥</small>([0-9.]+)', html)


def test_card_course_page_cart_and_checkout_show_the_same_discounted_price(
    ana, course, make_discount
):
    discount = make_discount([course])
    page = ana.get(reverse("web:course", args=[course.slug])).content.decode()
    assert prices_on(page)[0] == "80"
    assert '<s class="price-list">' in page and "¥100" in page
    assert discount.title in page
    ends = timezone.localtime(discount.ends_at).strftime("%Y-%m-%d %H:%M")
    assert f"Offer ends {ends}" in page or ends in page
    browse = ana.get(reverse("web:browse")).content.decode()
    assert "80" in prices_on(browse)
    ana.post(reverse("web:cart_add"), {"kind": "course", "object_id": course.pk})
    cart = ana.get(reverse("web:cart")).content.decode()
    assert prices_on(cart)[0] == "80"
    assert "¥100" in cart  # struck through
    confirm = ana.get(reverse("web:checkout"), {"items": f"course:{course.pk}:1"}).content.decode()
    assert "80" in prices_on(confirm)


def test_a_visitor_and_two_learners_see_the_same_price_on_the_course_page(
    client, learners, course, make_discount
):
    make_discount([course])
    url = reverse("web:course", args=[course.slug])
    seen = [prices_on(client.get(url).content.decode())[0]]
    for learner in learners:
        client.force_login(learner)
        seen.append(prices_on(client.get(url).content.decode())[0])
    assert seen == ["80", "80", "80"]


def confirm_url(course, coupon=""):
    query = {"items": f"course:{course.pk}:1"}
    if coupon:
        query["coupon"] = coupon
    return reverse("web:checkout"), query


def test_a_coupon_applied_on_the_checkout_page_is_paid_with_the_order(ana, course, make_coupon):
    make_coupon(code="SAVE10")
    path, query = confirm_url(course, "save10")
    page = ana.get(path, query)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Coupon SAVE10 applied" in html
    assert "−¥10" in html
    assert "Pay ¥90" in html
    paid = ana.post(
        reverse("web:checkout"),
        {"items": f"course:{course.pk}:1", "idempotency_key": uuid.uuid4(), "coupon": "save10"},
    )
    order = Order.objects.get()
    assert paid.url == reverse("web:order", args=[order.pk])
    assert (order.total, order.coupon.code) == (Decimal("90.00"), "SAVE10")
    receipt = ana.get(paid.url).content.decode()
    assert "Coupon SAVE10" in receipt and "−¥10" in receipt


def test_a_bad_code_is_a_message_on_the_coupon_field(ana, course):
    path, query = confirm_url(course, "NOPE")
    page = ana.get(path, query)
    html = page.content.decode()
    assert page.status_code == 400
    assert 'id="coupon-errors"' in html
    assert "There is no coupon with this code." in html
    assert "Pay ¥100" in html  # the order is quoted without it


def test_a_coupon_used_up_meanwhile_sends_back_to_the_checkout_page(ana, course, make_coupon):
    make_coupon(code="ONE", usage_limit=1)
    other = CourseFactory(instructor=course.instructor)
    ana.post(
        reverse("web:checkout"),
        {"items": f"course:{other.pk}:1", "idempotency_key": uuid.uuid4(), "coupon": "ONE"},
    )
    response = ana.post(
        reverse("web:checkout"),
        {"items": f"course:{course.pk}:1", "idempotency_key": uuid.uuid4(), "coupon": "ONE"},
        follow=True,
    )
    html = response.content.decode()
    assert "This coupon has been used up." in html
    assert response.redirect_chain[-1][0].startswith(reverse("web:checkout"))
    assert Order.objects.count() == 1


def test_the_cart_and_course_page_lead_to_the_coupon_field(ana, course):
    page = ana.get(reverse("web:course", args=[course.slug])).content.decode()
    assert 'data-testid="use-coupon"' in page
    ana.post(reverse("web:cart_add"), {"kind": "course", "object_id": course.pk})
    assert 'data-testid="use-coupon"' in ana.get(reverse("web:cart")).content.decode()


def test_the_campaigns_page_sells_a_bundle(ana, learners, teacher, course, make_bundle):
    other = CourseFactory(instructor=teacher, price=Decimal("50.00"))
    bundle = make_bundle([course, other], price=Decimal("120.00"))
    page = ana.get(reverse("web:campaigns")).content.decode()
    assert bundle.title in page and "Buy the bundle · ¥120" in page
    bought = ana.post(
        reverse("web:bundle_buy", args=[bundle.pk]), {"idempotency_key": uuid.uuid4()}
    )
    order = Order.objects.get()
    assert bought.url == reverse("web:order", args=[order.pk])
    assert order.status == Order.Status.PAID
    assert Enrollment.objects.filter(user=learners[0]).count() == 2
    page = ana.get(reverse("web:campaigns")).content.decode()
    assert "You own every course of this bundle" in page


def test_a_bundle_that_cannot_be_bought_says_why(ana, learners, teacher, course, make_bundle):
    bundle = make_bundle([course])
    EnrollmentFactory(user=learners[0], course=course)
    response = ana.post(
        reverse("web:bundle_buy", args=[bundle.pk]), {"idempotency_key": uuid.uuid4()}, follow=True
    )
    assert "You own every course" in response.content.decode()
    response = ana.post(reverse("web:bundle_buy", args=[bundle.pk]), {}, follow=True)
    assert "could not be bought" in response.content.decode()


def test_the_campaigns_page_without_offers_and_for_a_visitor(client, course, make_bundle):
    assert (
        "No offers are running right now." in client.get(reverse("web:campaigns")).content.decode()
    )
    make_bundle([course])
    assert "Sign in to buy" in client.get(reverse("web:campaigns")).content.decode()


def test_the_home_page_has_an_offers_section(client, course, make_discount, make_bundle):
    make_discount([course])
    make_bundle([course])
    html = client.get(reverse("web:home")).content.decode()
    assert 'data-section="offers"' in html
    assert course.title in html and "全家桶" in html


def test_the_cached_home_page_changes_price_when_the_discount_ends(
    client, course, make_discount, monkeypatch
):
    discount = make_discount([course], ends_at=timezone.now() + timedelta(seconds=30))
    assert 'data-section="offers"' in client.get(reverse("web:home")).content.decode()
    later = discount.ends_at + timedelta(seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    monkeypatch.setattr("web.home.time.time", lambda: later.timestamp())
    assert 'data-section="offers"' not in client.get(reverse("web:home")).content.decode()
