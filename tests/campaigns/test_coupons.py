"""Coupons at checkout: one per order, on top of a running discount, never below zero, never
more than their limits, their uses given back by cancelled and refunded orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from commerce.cart import items_quote
from commerce.coupons import coupon_uses
from commerce.models import Order
from commerce.services import (
    order_cancel,
    order_checkout,
    order_create,
    order_refund,
    orders_cancel_expired,
)
from tests.factories import CourseFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def buy(user, courses, code="", key="k"):
    return order_checkout(
        user=user,
        items=[("course", c.pk, 1) for c in courses],
        idempotency_key=key,
        coupon_code=code,
    )


def refusal(error: ValidationError) -> str:
    return error.error_dict["coupon"][0].code


def test_an_amount_coupon_takes_its_amount_off_the_order(course, make_coupon, learners):
    make_coupon(code="SAVE10")
    order = buy(learners[0], [course], "save10")  # any letter case
    assert order.status == Order.Status.PAID
    assert (order.total, order.coupon_discount, order.coupon.code) == (
        Decimal("90.00"),
        Decimal("10.00"),
        "SAVE10",
    )


def test_a_coupon_applies_on_top_of_a_running_discount(
    course, make_coupon, make_discount, learners
):
    make_discount([course])  # 100 -> 80
    make_coupon(code="HALF", kind="percent", value=Decimal("50"))
    assert buy(learners[0], [course], "HALF").total == Decimal("40.00")


def test_a_coupon_never_takes_the_total_below_zero(course, make_coupon, learners):
    make_coupon(code="HUGE", value=Decimal("500"))
    order = buy(learners[0], [course], "HUGE")
    assert (order.total, order.coupon_discount) == (Decimal("0.00"), Decimal("100.00"))


def test_a_coupon_applies_only_to_its_instructors_courses(
    course, other_teacher, make_coupon, learners
):
    theirs = CourseFactory(instructor=other_teacher, price=Decimal("50.00"))
    product = ProductFactory(instructor=course.instructor, kind="digital", price=Decimal("30"))
    make_coupon(code="PCT", kind="percent", value=Decimal("10"))
    quote = items_quote(
        items=[("course", course.pk, 1), ("course", theirs.pk, 1), ("product", product.pk, 1)],
        coupon_code="PCT",
    )
    assert (quote.subtotal, quote.coupon_discount, quote.total) == (
        Decimal("180.00"),
        Decimal("10.00"),
        Decimal("170.00"),
    )
    with pytest.raises(ValidationError) as refused:
        buy(learners[0], [theirs], "PCT")
    assert refusal(refused.value) == "coupon_not_applicable"


def test_a_coupon_listing_courses_applies_to_those_only(teacher, course, make_coupon, learners):
    other = CourseFactory(instructor=teacher, price=Decimal("60.00"))
    make_coupon(code="ONLY", courses=[other], kind="percent", value=Decimal("50"))
    assert buy(learners[0], [course, other], "ONLY").total == Decimal("130.00")


def test_a_coupon_needs_its_minimum(course, make_coupon, learners):
    make_coupon(code="MIN200", minimum_amount=Decimal("200"))
    with pytest.raises(ValidationError) as refused:
        buy(learners[0], [course], "MIN200")
    assert refusal(refused.value) == "coupon_minimum"
    assert "¥200" in refused.value.message_dict["coupon"][0]


@pytest.mark.parametrize(
    ("code", "changes", "expected"),
    [
        ("NOPE", {}, "coupon_unknown"),
        ("", {}, None),
        ("x" * 40, {}, "coupon_unknown"),
        ("SAVE10", {"is_active": False}, "coupon_unknown"),
        ("SAVE10", {"valid_from": "future"}, "coupon_not_yet_valid"),
        ("SAVE10", {"valid_until": "past"}, "coupon_expired"),
    ],
)
def test_bad_codes_are_refused_on_the_coupon_field(
    course, make_coupon, learners, code, changes, expected
):
    coupon = make_coupon(code="SAVE10")
    now = timezone.now()
    if changes.get("valid_from") == "future":
        changes = {"valid_from": now + timedelta(hours=1), "valid_until": now + timedelta(hours=2)}
    if changes.get("valid_until") == "past":
        changes = {"valid_from": now - timedelta(hours=2), "valid_until": now - timedelta(hours=1)}
    for name, value in changes.items():
        setattr(coupon, name, value)
    coupon.save()
    if expected is None:  # no code: no coupon
        assert buy(learners[0], [course], code).coupon is None
        return
    with pytest.raises(ValidationError) as refused:
        buy(learners[0], [course], code)
    assert refusal(refused.value) == expected
    assert not Order.objects.exists()


def test_one_learner_uses_a_coupon_as_often_as_it_allows(teacher, make_coupon, learners):
    courses = [CourseFactory(instructor=teacher) for _ in range(3)]
    make_coupon(code="TWICE", per_learner_limit=2)
    ana, bo = learners
    buy(ana, [courses[0]], "TWICE", key="1")
    buy(ana, [courses[1]], "TWICE", key="2")
    with pytest.raises(ValidationError) as refused:
        buy(ana, [courses[2]], "TWICE", key="3")
    assert refusal(refused.value) == "coupon_used_by_you"
    assert buy(bo, [courses[2]], "TWICE").coupon_discount == Decimal("10.00")


def test_a_coupon_is_used_at_most_its_limit_in_all(course, make_coupon):
    coupon = make_coupon(code="TWO", usage_limit=2)
    buyers = UserFactory.create_batch(3)
    buy(buyers[0], [course], "TWO")
    buy(buyers[1], [course], "TWO")
    with pytest.raises(ValidationError) as refused:
        buy(buyers[2], [course], "TWO")
    assert refusal(refused.value) == "coupon_used_up"
    assert coupon_uses(coupon=coupon) == 2


def test_cancelled_expired_and_refunded_orders_give_their_use_back(course, make_coupon, settings):
    coupon = make_coupon(code="ONE", usage_limit=1)
    a, b, c, d = UserFactory.create_batch(4)
    pending = order_create(user=a, items=[(course, 1)], idempotency_key="p", coupon_code="ONE")
    assert coupon_uses(coupon=coupon) == 1
    order_cancel(order_id=pending.pk, user=a)
    assert coupon_uses(coupon=coupon) == 0
    again = order_create(user=b, items=[(course, 1)], idempotency_key="p", coupon_code="ONE")
    Order.objects.filter(pk=again.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert orders_cancel_expired() == 1
    assert coupon_uses(coupon=coupon) == 0
    paid = buy(c, [course], "ONE")
    order_refund(order_id=paid.pk)
    assert coupon_uses(coupon=coupon) == 0
    assert buy(d, [course], "ONE").coupon == coupon


def test_a_retried_checkout_returns_its_order_even_when_the_coupon_is_used_up(course, make_coupon):
    make_coupon(code="ONE", usage_limit=1)
    buyer = UserFactory()
    first = order_create(user=buyer, items=[(course, 1)], idempotency_key="same", coupon_code="ONE")
    again = order_create(user=buyer, items=[(course, 1)], idempotency_key="same", coupon_code="ONE")
    assert again.pk == first.pk


def test_a_quote_with_an_empty_cart_takes_no_coupon(make_coupon):
    make_coupon(code="SAVE10")
    assert items_quote(items=[], coupon_code="SAVE10").coupon is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "save10"}, "code"),  # taken, whatever the case
        ({"code": "a b"}, "code"),
        ({"value": Decimal("101"), "kind": "percent"}, "value"),
        ({"value": Decimal("0")}, "value"),
        ({"usage_limit": 0}, "usage_limit"),
        ({"per_learner_limit": 0}, "per_learner_limit"),
        ({"valid_until": "before"}, "valid_until"),
    ],
)
def test_invalid_coupons_are_refused_on_their_field(make_coupon, changes, field):
    make_coupon(code="SAVE10")
    if changes.get("valid_until") == "before":
        now = timezone.now()
        changes = {"code": "NEW1", "valid_from": now, "valid_until": now - timedelta(hours=1)}
    changes = {"code": "OTHER"} | changes
    with pytest.raises(ValidationError) as refused:
        make_coupon(**changes)
    assert field in refused.value.message_dict


def test_a_coupon_is_only_for_the_instructors_own_courses(make_coupon, other_teacher):
    theirs = CourseFactory(instructor=other_teacher)
    with pytest.raises(ValidationError) as refused:
        make_coupon(code="MINE", courses=[theirs])
    assert "courses" in refused.value.message_dict
