"""Under real concurrency (PostgreSQL, one connection per thread) nothing is sold or sent twice."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commerce.models import LiveReservation, Order
from commerce.services import live_reminders_send_due, order_create, order_pay
from courses.models import Product
from tests.api.conftest import client_for
from tests.commerce.factories import ADDRESS
from tests.factories import CourseFactory, LiveSessionFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count, work):
    """Run ``work(i)`` in ``count`` threads that start at the same moment; return the results."""
    barrier = threading.Barrier(count)

    def task(i):
        try:
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_fifty_buyers_for_ten_units_pay_ten_orders_and_never_oversell(postgres):
    product = ProductFactory(stock=10, kind="digital")
    buyers = UserFactory.create_batch(50)

    def buy(i):
        order = order_create(
            user=buyers[i], items=[(product, 1)], idempotency_key="checkout", new_address=ADDRESS
        )
        try:
            order_pay(order_id=order.pk, user=buyers[i])
        except ValidationError as refusal:
            return refusal.code
        return "paid"

    outcomes = run_together(50, buy)

    assert outcomes.count("paid") == 10
    assert outcomes.count("sold_out") == 40
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.filter(status=Order.Status.PAID).count() == 10
    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == 40


def test_concurrent_retries_with_one_idempotency_key_place_one_order(postgres):
    product = ProductFactory(stock=10, kind="digital")
    buyer = UserFactory()

    orders = run_together(
        10,
        lambda i: (
            order_create(
                user=buyer, items=[(product, 1)], idempotency_key="retry", new_address=ADDRESS
            ).pk
        ),
    )

    assert len(set(orders)) == 1
    assert Order.objects.count() == 1


def test_concurrent_reminder_runs_send_each_reminder_once(postgres, mailoutbox):
    start = timezone.now() + timedelta(minutes=5)
    live = LiveSessionFactory(scheduled_start=start, scheduled_end=start + timedelta(hours=1))
    for learner in UserFactory.create_batch(20):
        LiveReservation.objects.create(user=learner, live_session=live)

    sent = run_together(8, lambda i: live_reminders_send_due())

    assert sum(sent) == 20
    assert len(mailoutbox) == 20
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        LiveReservation.objects.values_list("user__email", flat=True)
    )


def test_racing_api_requests_with_one_idempotency_key_get_one_201_and_the_rest_200(postgres):
    product = ProductFactory(stock=10, kind="digital")
    buyer = UserFactory()
    body = {"items": [{"type": "product", "id": product.pk, "quantity": 1}]}

    def post(i):
        return client_for(buyer).post("/api/v1/orders/", body, HTTP_IDEMPOTENCY_KEY="race")

    responses = run_together(20, post)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 19 + [201]
    assert {response.json()["id"] for response in responses} == {Order.objects.get().pk}


def test_a_double_submitted_web_checkout_shows_every_submit_the_paid_order(postgres):
    course = CourseFactory(price=Decimal("99.00"))
    last_one = ProductFactory(stock=1, kind="digital")
    buyer = UserFactory()
    browsers = [Client() for _ in range(6)]
    for browser in browsers:
        browser.force_login(buyer)
    form = {
        "idempotency_key": str(uuid.uuid4()),
        "items": f"course:{course.pk}:1,product:{last_one.pk}:1",
    }

    responses = run_together(6, lambda i: browsers[i].post(reverse("web:checkout"), form))

    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    assert [r.status_code for r in responses] == [302] * 6
    assert {r["Location"] for r in responses} == {reverse("web:order", args=[order.pk])}
    assert Product.objects.get(pk=last_one.pk).stock == 0
