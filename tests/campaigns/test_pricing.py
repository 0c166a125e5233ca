"""Time-limited discounts change the one price everyone sees, at the same moment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from commerce.cart import items_quote
from commerce.services import order_checkout
from courses.models import Discount, price_after
from courses.pricing import (
    course_offer,
    discount_board,
    discount_board_forget,
    discounted_course_ids,
    price_changes_after,
    price_in_force,
)
from courses.services import discount_create
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "value", "price", "expected"),
    [
        ("percent", "20", "100.00", "80.00"),
        ("percent", "100", "100.00", "0.00"),
        ("percent", "33.33", "9.99", "6.66"),
        ("amount", "30", "100.00", "70.00"),
        ("amount", "300", "100.00", "0.00"),  # never below zero
    ],
)
def test_price_after_a_discount(kind, value, price, expected):
    assert price_after(Decimal(price), kind=kind, value=Decimal(value)) == Decimal(expected)


def test_two_learners_and_a_visitor_see_and_pay_the_same_discounted_price(
    course, make_discount, learners
):
    """Art. 21: no price depends on who is buying."""
    make_discount([course])
    ana, bo = learners
    at = timezone.now()
    quotes = {
        who: items_quote(items=[("course", course.pk, 1)]).total
        for who in ("ana", "bo", "anonymous")
    }
    assert set(quotes.values()) == {Decimal("80.00")}
    assert price_in_force(course=course, at=at) == Decimal("80.00")
    orders = [
        order_checkout(user=user, items=[("course", course.pk, 1)], idempotency_key="k")
        for user in (ana, bo)
    ]
    assert [o.total for o in orders] == [Decimal("80.00")] * 2
    assert {line.unit_price for o in orders for line in o.lines.all()} == {Decimal("80.00")}
    assert course_offer(course, at).regular == Decimal("100.00")
    assert not AnonymousUser().is_authenticated  # the offer took no user at all


def test_the_price_changes_exactly_when_the_discount_starts_and_ends(course, make_discount):
    start = timezone.now() + timedelta(hours=1)
    end = start + timedelta(hours=2)
    make_discount([course], starts_at=start, ends_at=end)
    before, during, after = start - timedelta(microseconds=1), start, end
    assert course_offer(course, before).price == Decimal("100.00")
    assert course_offer(course, during).price == Decimal("80.00")
    assert course_offer(course, during).ends_at == end
    assert course_offer(course, after).price == Decimal("100.00")
    assert price_changes_after(before) == start
    assert price_changes_after(start) == end
    assert price_changes_after(end) is None


def test_the_lowest_price_wins_when_two_discounts_run(course, make_discount):
    make_discount([course], kind="percent", value=Decimal("10"))
    best = make_discount([course], kind="amount", value=Decimal("25"))
    offer = course_offer(course)
    assert offer.price == Decimal("75.00")
    assert offer.discount.pk == best.pk
    assert offer.discounted
    assert discounted_course_ids() == [course.pk]


def test_a_course_without_a_discount_has_its_own_price(course):
    offer = course_offer(course)
    assert (offer.price, offer.regular, offer.discount, offer.ends_at) == (
        Decimal("100.00"),
        Decimal("100.00"),
        None,
        None,
    )
    assert not offer.discounted


def test_a_free_course_stays_free_and_is_not_shown_as_discounted(teacher, make_discount):
    free = CourseFactory(instructor=teacher, price=Decimal("0"))
    make_discount([free])
    assert not course_offer(free).discounted


def test_a_new_discount_shows_at_once_through_the_catalog_generation(course, make_discount):
    assert course_offer(course).price == Decimal("100.00")  # the board is read and kept
    make_discount([course])  # its commit renews the course generation
    assert course_offer(course).price == Decimal("80.00")


def test_the_board_is_read_again_after_its_time(course, make_discount, monkeypatch):
    board = discount_board()
    assert discount_board() is board
    Discount.objects.create(
        instructor=course.instructor,
        title="x",
        kind="amount",
        value=Decimal("1"),
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    ).courses.add(course)
    monkeypatch.setattr("courses.pricing.BOARD_SECONDS", 0)
    assert course_offer(course).price == Decimal("99.00")
    discount_board_forget()


def test_the_board_works_with_the_cache_away(course, make_discount, cache_away):
    make_discount([course])
    cache_away()
    discount_board_forget()
    assert course_offer(course).price == Decimal("80.00")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": "start"}, "ends_at", "A discount ends after it starts."),
        ({"value": Decimal("120")}, "value", "A percentage off is at most 100."),
        ({"value": Decimal("0")}, "value", "A discount takes something off: above 0."),
        ({"value": Decimal("-5"), "kind": "amount"}, "value", "above 0"),
    ],
)
def test_invalid_discounts_are_refused_on_their_field(
    course, make_discount, changes, field, message
):
    start = timezone.now()
    if changes.get("ends_at") == "start":
        changes = {"starts_at": start, "ends_at": start}
    with pytest.raises(ValidationError) as refused:
        make_discount([course], **changes)
    assert field in refused.value.message_dict
    assert any(message in m for m in refused.value.message_dict[field])


def test_a_discount_is_only_on_the_instructors_own_courses(course, other_teacher, make_discount):
    theirs = CourseFactory(instructor=other_teacher, title="别人的课")
    with pytest.raises(ValidationError) as refused:
        make_discount([course, theirs])
    assert "别人的课" in refused.value.message_dict["courses"][0]
    with pytest.raises(ValidationError) as refused:
        make_discount([])
    assert refused.value.message_dict["courses"] == ["Choose at least one course."]


def test_staff_may_create_a_discount_for_an_instructor(course, teacher, admin_user):
    start, end = timezone.now(), timezone.now() + timedelta(days=1)
    discount = discount_create(
        user=admin_user,
        instructor=teacher,
        title="平台大促",
        courses=[course],
        kind="amount",
        value=Decimal("5"),
        starts_at=start,
        ends_at=end,
    )
    assert discount.instructor == teacher
    assert str(discount) == "平台大促"
    assert discount.price_of(Decimal("10")) == Decimal("5.00")
