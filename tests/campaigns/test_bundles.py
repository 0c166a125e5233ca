"""Bundles: the courses bought together at the bundle price, owned ones skipped."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from commerce.bundles import bundle_quote
from commerce.models import Enrollment, Order
from commerce.services import bundle_checkout, order_refund
from tests.commerce.factories import EnrollmentFactory
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(teacher):
    prices = ["100.00", "60.00", "40.00"]
    return [CourseFactory(instructor=teacher, price=Decimal(p)) for p in prices]


def test_buying_a_bundle_enrolls_in_its_courses_at_the_bundle_price(three, make_bundle, learners):
    bundle = make_bundle(three, price=Decimal("120.00"))
    order = bundle_checkout(user=learners[0], bundle_id=bundle.pk, idempotency_key="b")
    assert order.status == Order.Status.PAID
    assert order.bundle == bundle
    assert order.total == Decimal("120.00")
    prices = {line.course_id: line.unit_price for line in order.lines.all()}
    assert prices == {
        three[0].pk: Decimal("60.00"),
        three[1].pk: Decimal("36.00"),
        three[2].pk: Decimal("24.00"),
    }
    assert set(Enrollment.objects.filter(user=learners[0]).values_list("course", flat=True)) == {
        c.pk for c in three
    }
    again = bundle_checkout(user=learners[0], bundle_id=bundle.pk, idempotency_key="b")
    assert again.pk == order.pk


def test_owned_courses_are_skipped_and_the_price_shrinks_in_proportion(
    three, make_bundle, learners
):
    bundle = make_bundle(three, price=Decimal("120.00"))
    EnrollmentFactory(user=learners[0], course=three[0])
    quote = bundle_quote(bundle=bundle, user=learners[0], at=timezone.now())
    assert quote.skipped == [three[0]]
    assert quote.price == Decimal("60.00")  # 120 × (60 + 40) / 200
    assert quote.separately == Decimal("100.00")
    assert quote.saving == Decimal("40.00")
    order = bundle_checkout(user=learners[0], bundle_id=bundle.pk, idempotency_key="b")
    assert order.total == Decimal("60.00")
    assert order.lines.count() == 2
    # Anyone buying the same courses at the same moment pays the same.
    EnrollmentFactory(user=learners[1], course=three[0])
    assert bundle_quote(bundle=bundle, user=learners[1], at=timezone.now()).price == quote.price


def test_a_bundle_never_costs_more_than_its_courses_bought_one_by_one(
    three, make_bundle, make_discount, learners
):
    make_discount(three, kind="percent", value=Decimal("90"))  # 200 -> 20 in all
    bundle = make_bundle(three, price=Decimal("150.00"))
    quote = bundle_quote(bundle=bundle, user=learners[0], at=timezone.now())
    assert quote.price == Decimal("20.00")
    assert sum(quote.prices.values()) == Decimal("20.00")


def test_the_rounding_remainder_goes_to_the_dearest_line(teacher, make_bundle, learners):
    courses = [CourseFactory(instructor=teacher, price=Decimal("10.00")) for _ in range(3)]
    bundle = make_bundle(courses, price=Decimal("10.00"))
    prices = bundle_quote(bundle=bundle, user=None, at=timezone.now()).prices
    assert sum(prices.values()) == Decimal("10.00")
    assert sorted(prices.values()) == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]


def test_a_bundle_of_free_courses_costs_nothing(teacher, make_bundle):
    courses = [CourseFactory(instructor=teacher, price=Decimal("0")) for _ in range(2)]
    bundle = make_bundle(courses, price=Decimal("0"))
    assert bundle_quote(bundle=bundle, user=None, at=timezone.now()).price == Decimal("0.00")


def test_owning_every_course_or_an_ended_bundle_is_refused(three, make_bundle, learners):
    bundle = make_bundle(three)
    for course in three:
        EnrollmentFactory(user=learners[0], course=course)
    with pytest.raises(ValidationError) as refused:
        bundle_checkout(user=learners[0], bundle_id=bundle.pk, idempotency_key="b")
    assert refused.value.code == "already_owned"
    bundle.ends_at = timezone.now() - timedelta(minutes=1)
    bundle.starts_at = bundle.ends_at - timedelta(days=1)
    bundle.save()
    with pytest.raises(ValidationError) as refused:
        bundle_checkout(user=learners[1], bundle_id=bundle.pk, idempotency_key="b")
    assert refused.value.code == "not_on_sale"
    with pytest.raises(ValidationError) as refused:
        bundle_checkout(user=learners[1], bundle_id=0, idempotency_key="b")
    assert refused.value.code == "not_on_sale"


def test_a_refunded_bundle_order_removes_its_enrollments(three, make_bundle, learners):
    bundle = make_bundle(three)
    order = bundle_checkout(user=learners[0], bundle_id=bundle.pk, idempotency_key="b")
    order_refund(order_id=order.pk)
    assert not Enrollment.objects.filter(user=learners[0]).exists()


def test_a_bundle_takes_no_coupon(three, make_bundle, make_coupon, learners):
    from commerce.services import order_get_or_create

    bundle = make_bundle(three)
    make_coupon(code="SAVE10")
    with pytest.raises(ValidationError) as refused:
        order_get_or_create(
            user=learners[0],
            items=[(three[0], 1)],
            idempotency_key="x",
            bundle=bundle,
            course_prices={three[0].pk: Decimal("1")},
            coupon_code="SAVE10",
        )
    assert refused.value.error_dict["coupon"][0].code == "coupon_bundle"


def test_invalid_bundles_are_refused(three, make_bundle, other_teacher):
    with pytest.raises(ValidationError) as refused:
        make_bundle([*three, CourseFactory(instructor=other_teacher)])
    assert "courses" in refused.value.message_dict
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        make_bundle(three, starts_at=now, ends_at=now)
    assert "ends_at" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        make_bundle(three, price=Decimal("-1"))
    assert "price" in refused.value.message_dict
