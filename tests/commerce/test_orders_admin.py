"""Orders in the admin: support staff find and read them and refund paid ones through the same
service as every other door; instructors and staff without the permission cannot."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from commerce.models import Enrollment, Order
from commerce.services import order_create, order_pay
from courses.services import instructor_create
from tests.commerce.factories import ADDRESS
from tests.factories import CourseFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:commerce_order_changelist")


@pytest.fixture
def buyer():
    return UserFactory(username="buyer", email="buyer@example.com")


@pytest.fixture
def course():
    return CourseFactory(title="Excel 数据透视", price=Decimal("99.00"))


@pytest.fixture
def keyboard():
    return ProductFactory(title="机械键盘", price=Decimal("59.00"), stock=5)


def place(user, *items, key):
    return order_create(user=user, items=list(items), idempotency_key=key, new_address=ADDRESS)


@pytest.fixture
def support(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_support_finds_an_order_and_reads_its_lines(support, buyer, course, keyboard):
    order = place(buyer, (course, 1), (keyboard, 2), key="k1")
    place(UserFactory(), (keyboard, 1), key="k2")

    listed = support.get(CHANGELIST, {"q": "buyer@example.com"})
    assert listed.status_code == 200
    assert order.number in listed.text and listed.context["cl"].result_count == 1

    page = support.get(reverse("admin:commerce_order_change", args=[order.pk]))
    assert page.status_code == 200
    assert "Excel 数据透视" in page.text and "机械键盘" in page.text
    assert 'name="_save"' not in page.text  # read-only: orders are written by the services
    assert support.get(reverse("admin:commerce_order_add")).status_code == 403


def test_the_refund_action_refunds_paid_orders_and_names_the_others(
    support, buyer, course, keyboard
):
    paid = order_pay(order_id=place(buyer, (course, 1), (keyboard, 2), key="k1").pk, user=buyer)
    pending = place(buyer, (keyboard, 1), key="k2")
    assert Enrollment.objects.filter(user=buyer, course=course).exists()

    response = support.post(
        CHANGELIST,
        {"action": "refund", "_selected_action": [paid.pk, pending.pk]},
        follow=True,
    )

    assert response.status_code == 200
    notes = messages_of(response)
    assert "已退款 1 个订单。" in notes  # the site speaks Chinese first
    assert any(note.startswith(f"{pending.number}: ") for note in notes)  # named, with why
    # read through the buyer's door: the API shows the refund, access to the course is gone
    api = APIClient()
    api.force_authenticate(buyer)
    assert api.get(f"/api/v1/orders/{paid.pk}/").json()["status"] == "refunded"
    assert api.get(f"/api/v1/orders/{pending.pk}/").json()["status"] == "pending"
    assert not Enrollment.objects.filter(user=buyer, course=course).exists()
    keyboard.refresh_from_db()
    assert keyboard.stock == 5  # the two paid for are back (stock is taken at payment)


def test_staff_who_may_only_view_orders_cannot_refund(client, buyer, keyboard):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    paid = order_pay(order_id=place(buyer, (keyboard, 1), key="k1").pk, user=buyer)

    listed = client.get(CHANGELIST)
    assert listed.status_code == 200 and paid.number in listed.text
    assert listed.context["action_form"] is None  # no action offered
    client.post(CHANGELIST, {"action": "refund", "_selected_action": [paid.pk]})
    assert Order.objects.get(pk=paid.pk).status == Order.Status.PAID


def test_instructors_do_not_see_orders(client, buyer, keyboard):
    user = UserFactory()
    instructor_create(user=user, display_name="王老师")
    client.force_login(user)
    place(buyer, (keyboard, 1), key="k1")

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 200
