"""The database itself rejects commerce rows that would make the accounts or access wrong."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.commerce.factories import (
    EnrollmentFactory,
    LessonProgressFactory,
    LiveReservationFactory,
    OrderFactory,
    OrderLineFactory,
    ProductLineFactory,
)
from tests.factories import CourseFactory, ProductFactory

pytestmark = pytest.mark.django_db


def rejected_by_database(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_order_line_quantity_is_at_least_one():
    rejected_by_database(lambda: ProductLineFactory(quantity=0))


def test_order_line_price_and_order_total_cannot_be_negative():
    rejected_by_database(lambda: OrderLineFactory(unit_price=Decimal("-0.01")))
    rejected_by_database(lambda: OrderFactory(total=Decimal("-1.00")))


def test_order_line_is_either_a_course_or_a_product():
    rejected_by_database(lambda: OrderLineFactory(course=CourseFactory(), product=ProductFactory()))
    rejected_by_database(lambda: OrderLineFactory(course=None, product=None))


def test_a_course_line_has_quantity_one():
    rejected_by_database(lambda: OrderLineFactory(quantity=2))


def test_idempotency_key_is_unique_per_buyer_only():
    order = OrderFactory(idempotency_key="checkout-1")
    OrderFactory(idempotency_key="checkout-1")  # another buyer may use the same key
    rejected_by_database(lambda: OrderFactory(user=order.user, idempotency_key="checkout-1"))


def test_order_status_is_a_known_one_and_paid_orders_have_a_payment_time():
    rejected_by_database(lambda: OrderFactory(status="shipped"))
    rejected_by_database(lambda: OrderFactory(status="paid", paid_at=None))


def test_a_learner_is_enrolled_in_a_course_once():
    enrollment = EnrollmentFactory()
    rejected_by_database(lambda: EnrollmentFactory(user=enrollment.user, course=enrollment.course))


def test_lesson_progress_is_one_row_per_lesson_and_at_most_100_percent():
    progress = LessonProgressFactory()
    rejected_by_database(lambda: LessonProgressFactory(user=progress.user, lesson=progress.lesson))
    rejected_by_database(lambda: LessonProgressFactory(percent_watched=101))


def test_a_learner_reserves_a_live_session_once():
    reservation = LiveReservationFactory()
    rejected_by_database(
        lambda: LiveReservationFactory(user=reservation.user, live_session=reservation.live_session)
    )
