"""A learner's commerce data: exported on request, and detached from them on account deletion."""

import json
from decimal import Decimal

import pytest

from commerce.models import Order
from commerce.services import (
    commerce_export_for,
    lesson_progress_record,
    live_reservation_create,
    order_create,
    order_pay,
    orders_anonymise_for,
)
from tests.factories import CourseFactory, LessonFactory, LiveSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_with_history():
    learner = UserFactory()
    lesson = LessonFactory(title="第一课", chapter__course__title="Python 入门")
    order = order_create(user=learner, items=[(lesson.course, 1)], idempotency_key="k")
    order_pay(order_id=order.pk, user=learner)
    lesson_progress_record(user=learner, lesson=lesson, position_seconds=120)
    live_reservation_create(user=learner, live_session=LiveSessionFactory(title="周末直播"))
    return learner


def test_the_export_holds_orders_enrollments_progress_and_reservations(learner_with_history):
    UserFactory()  # someone else's data never appears
    order_create(user=UserFactory(), items=[(CourseFactory(), 1)], idempotency_key="k")

    export = json.loads(json.dumps(commerce_export_for(user=learner_with_history)))

    [order] = export["orders"]
    assert order["status"] == "paid" and order["total"] == "99.00"
    assert order["lines"] == [
        {
            "title": "Python 入门",
            "course_id": order["lines"][0]["course_id"],
            "product_id": None,
            "unit_price": "99.00",
            "quantity": 1,
            "is_flash_price": False,
        }
    ]
    assert [e["course"] for e in export["enrollments"]] == ["Python 入门"]
    assert export["enrollments"][0]["order_number"] == order["number"]
    assert [(p["lesson"], p["percent_watched"]) for p in export["lesson_progress"]] == [
        ("第一课", 20)
    ]
    assert [r["live_session"] for r in export["live_reservations"]] == ["周末直播"]


def test_after_anonymising_the_orders_stay_without_the_person(learner_with_history):
    number = Order.objects.get(user=learner_with_history).number

    assert orders_anonymise_for(user=learner_with_history) == 1
    learner_with_history.delete()

    order = Order.objects.get(number=number)
    assert order.user is None and order.idempotency_key == "" and order.anonymised_at
    assert order.total == Decimal("99.00")
    assert order.lines.get().title == "Python 入门"
