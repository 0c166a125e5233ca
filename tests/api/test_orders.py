"""Orders through the API: idempotent placement, payment through the simulated provider with
refusals as 409 problems, cancellation, and flash prices from the live session bought from."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.models import Enrollment, Order
from courses.models import LiveSession
from tests.api.conftest import client_for
from tests.commerce.factories import ADDRESS
from tests.factories import (
    CourseFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def learner():
    return UserFactory()


def place(client, items, key="checkout-1", **extra):
    return client.post(ORDERS, {"items": items, **extra}, HTTP_IDEMPOTENCY_KEY=key)


def test_placing_an_order_needs_an_idempotency_key(learner):
    course = CourseFactory()
    response = client_for(learner).post(ORDERS, {"items": [{"type": "course", "id": course.pk}]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Order.objects.exists()


def test_the_same_idempotency_key_returns_the_same_order_with_200(learner):
    course = CourseFactory()
    client = client_for(learner)
    first = place(client, [{"type": "course", "id": course.pk}])
    again = place(client, [{"type": "course", "id": course.pk}])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1


def test_another_learners_key_does_not_return_their_order(learner):
    course = CourseFactory()
    mine = place(client_for(learner), [{"type": "course", "id": course.pk}]).json()
    theirs = place(client_for(UserFactory()), [{"type": "course", "id": course.pk}])
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"]


def test_an_order_lists_its_lines_at_the_prices_in_force(learner):
    course = CourseFactory(price=Decimal("99.00"))
    product = ProductFactory(price=Decimal("20.00"))
    body = place(
        client_for(learner),
        [{"type": "course", "id": course.pk}, {"type": "product", "id": product.pk, "quantity": 3}],
        address=ADDRESS,
    ).json()
    assert body["status"] == "pending"
    assert body["total"] == "159.00"
    assert [(line["type"], line["item_id"], line["amount"]) for line in body["lines"]] == [
        ("course", course.pk, "99.00"),
        ("product", product.pk, "60.00"),
    ]


def test_the_flash_price_applies_when_ordering_from_the_live_session(learner):
    now = timezone.now()
    live = LiveSessionFactory(
        scheduled_start=now - timedelta(hours=1), status=LiveSession.Status.LIVE
    )
    item = LiveShelfItemFactory(
        live_session=live,
        flash_price=Decimal("9.90"),
        flash_starts_at=now - timedelta(minutes=1),
        flash_ends_at=now + timedelta(minutes=30),
    )
    lines = [{"type": "product", "id": item.product_id}]
    client = client_for(learner)
    from_live = place(client, lines, key="live", live_session=live.pk, address=ADDRESS).json()
    elsewhere = place(client, lines, key="shop", address=ADDRESS).json()
    assert (from_live["total"], from_live["lines"][0]["is_flash_price"]) == ("9.90", True)
    assert elsewhere["total"] == f"{item.product.price:.2f}"


def test_refused_items_are_named_with_the_services_message(learner):
    product = ProductFactory(stock=1)
    response = place(client_for(learner), [{"type": "product", "id": product.pk, "quantity": 2}])
    assert response.status_code == 400
    assert product.title in " ".join(response.json()["errors"]["non_field_errors"])


def test_paying_enrolls_the_buyer(learner):
    course = CourseFactory()
    client = client_for(learner)
    order = place(client, [{"type": "course", "id": course.pk}]).json()
    paid = client.post(f"{ORDERS}{order['id']}/pay/")
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert Enrollment.objects.filter(user=learner, course=course).exists()


def test_a_declined_payment_is_a_409_and_the_order_stays_pending(learner, settings):
    settings.PAYMENT_SIMULATED_DECLINE = True
    client = client_for(learner)
    order = place(client, [{"type": "course", "id": CourseFactory().pk}]).json()
    response = client.post(f"{ORDERS}{order['id']}/pay/")
    assert response.status_code == 409
    assert response.json()["code"] == "declined"
    assert Order.objects.get(pk=order["id"]).status == Order.Status.PENDING


def test_a_sold_out_item_is_a_409_and_cancels_the_order(learner):
    product = ProductFactory(stock=1)
    client = client_for(learner)
    order = place(client, [{"type": "product", "id": product.pk}], address=ADDRESS).json()
    product.stock = 0
    product.save()
    response = client.post(f"{ORDERS}{order['id']}/pay/")
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert Order.objects.get(pk=order["id"]).status == Order.Status.CANCELLED


def test_paying_twice_is_a_409(learner):
    client = client_for(learner)
    order = place(client, [{"type": "course", "id": CourseFactory().pk}]).json()
    client.post(f"{ORDERS}{order['id']}/pay/")
    response = client.post(f"{ORDERS}{order['id']}/pay/")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")


def test_a_pending_order_can_be_cancelled_but_a_paid_one_cannot(learner):
    client = client_for(learner)
    pending = place(client, [{"type": "course", "id": CourseFactory().pk}], key="a").json()
    paid = place(client, [{"type": "course", "id": CourseFactory().pk}], key="b").json()
    client.post(f"{ORDERS}{paid['id']}/pay/")
    assert client.post(f"{ORDERS}{pending['id']}/cancel/").json()["status"] == "cancelled"
    assert client.post(f"{ORDERS}{paid['id']}/cancel/").status_code == 409


def test_orders_are_listed_newest_first(learner):
    client = client_for(learner)
    first = place(client, [{"type": "course", "id": CourseFactory().pk}], key="a").json()
    second = place(client, [{"type": "course", "id": CourseFactory().pk}], key="b").json()
    listed = [o["id"] for o in client.get(ORDERS).json()["results"]]
    assert listed == [second["id"], first["id"]]


def test_the_cap_of_99_holds_per_product_per_order_however_the_lines_are_split(learner):
    product = ProductFactory(title="机械键盘", stock=1000, kind="digital")
    client = client_for(learner)
    four_lines = [{"type": "product", "id": product.pk, "quantity": 99}] * 4
    response = place(client, four_lines)
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["“机械键盘”每单最多购买 99 件。"]}
    assert not Order.objects.exists()

    split = [{"type": "product", "id": product.pk, "quantity": q} for q in (60, 39)]
    placed = place(client, split, key="checkout-2")
    assert placed.status_code == 201
    [line] = placed.json()["lines"]
    assert (line["item_id"], line["quantity"]) == (product.pk, 99)


def test_a_course_listed_twice_is_refused(learner):
    course = CourseFactory(title="高效写作课")
    response = place(client_for(learner), [{"type": "course", "id": course.pk}] * 2)
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["课程“高效写作课”只能购买一次。"]}
    assert not Order.objects.exists()


def test_a_refused_step_names_the_orders_status_in_the_learners_language(learner):
    client = client_for(learner)
    order = place(client, [{"type": "course", "id": CourseFactory().pk}]).json()
    client.post(f"{ORDERS}{order['id']}/pay/")
    english = client.post(f"{ORDERS}{order['id']}/cancel/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.post(f"{ORDERS}{order['id']}/cancel/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (english.status_code, english.json()["code"]) == (409, "invalid_state")
    number = Order.objects.get(pk=order["id"]).number
    assert english.json()["detail"] == f"Order {number} cannot be cancelled: its status is “Paid”."
    assert chinese.json()["detail"] == f"订单 {number} 无法取消：当前状态为“已支付”。"
