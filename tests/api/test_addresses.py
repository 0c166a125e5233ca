"""Delivery addresses through the API (``/api/v1/me/addresses/``), and orders of physical
products, which need one: the same rules and the same services as the site."""

from decimal import Decimal

import pytest

from commerce.models import DeliveryAddress, Order
from tests.api.conftest import client_for
from tests.commerce.factories import ADDRESS, DeliveryAddressFactory
from tests.factories import CourseFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESSES = "/api/v1/me/addresses/"
ORDERS = "/api/v1/orders/"


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def api(learner):
    return client_for(learner)


@pytest.fixture
def book():
    return ProductFactory(title="纸质书", price=Decimal("45.00"), kind="physical")


def order(api, items, key="k", **extra):
    return api.post(ORDERS, {"items": items, **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_addresses_are_added_listed_changed_and_deleted(api, learner):
    created = api.post(ADDRESSES, ADDRESS, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["is_default"] is True
    assert {k: body[k] for k in ADDRESS} == ADDRESS

    other = api.post(ADDRESSES, {**ADDRESS, "recipient": "李四", "is_default": True}).json()
    listed = api.get(ADDRESSES).json()
    assert [a["recipient"] for a in listed["results"]] == ["李四", ADDRESS["recipient"]]
    assert api.get(f"{ADDRESSES}{body['id']}/").json()["is_default"] is False

    changed = api.patch(f"{ADDRESSES}{body['id']}/", {"street": "新街 8 号"}, format="json")
    assert changed.status_code == 200 and changed.json()["street"] == "新街 8 号"
    replaced = api.put(f"{ADDRESSES}{other['id']}/", {**ADDRESS, "recipient": "王五"})
    assert replaced.json()["recipient"] == "王五"

    assert api.delete(f"{ADDRESSES}{other['id']}/").status_code == 204
    assert list(DeliveryAddress.objects.filter(user=learner).values_list("is_default")) == [(True,)]


def test_the_list_is_cursor_paginated(api, learner):
    DeliveryAddressFactory.create_batch(3, user=learner)
    first = api.get(ADDRESSES, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_bad_fields_are_a_400_naming_each_field(api):
    response = api.post(ADDRESSES, {**ADDRESS, "phone": "call me", "postal_code": "12"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone", "postal_code"}
    assert not DeliveryAddress.objects.exists()


def test_an_order_of_a_physical_product_needs_an_address(api, book):
    response = order(api, [{"type": "product", "id": book.pk}])
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["address"]
    assert not Order.objects.exists()


def test_an_order_ships_to_a_saved_address(api, learner, book):
    saved = DeliveryAddressFactory(user=learner, recipient="小明")
    body = order(api, [{"type": "product", "id": book.pk}], address_id=saved.pk).json()
    assert body["shipping_address"]["recipient"] == "小明"
    api.patch(f"{ADDRESSES}{saved.pk}/", {"recipient": "小红"}, format="json")
    assert api.get(f"{ORDERS}{body['id']}/").json()["shipping_address"]["recipient"] == "小明"


def test_an_order_with_a_new_address_saves_it_to_the_book(api, learner, book):
    response = order(api, [{"type": "product", "id": book.pk}], address=ADDRESS)
    assert response.status_code == 201
    assert response.json()["shipping_address"] == ADDRESS
    assert [a["street"] for a in api.get(ADDRESSES).json()["results"]] == [ADDRESS["street"]]


def test_an_order_needs_one_address_not_two_nor_someone_elses(api, book):
    saved = DeliveryAddressFactory(user=UserFactory())
    both = order(api, [{"type": "product", "id": book.pk}], address_id=saved.pk, address=ADDRESS)
    assert both.status_code == 400 and list(both.json()["errors"]) == ["address"]
    theirs = order(api, [{"type": "product", "id": book.pk}], key="2", address_id=saved.pk)
    assert theirs.status_code == 400 and list(theirs.json()["errors"]) == ["address_id"]
    assert not Order.objects.exists()


def test_an_order_of_courses_has_no_shipping_address(api):
    body = order(api, [{"type": "course", "id": CourseFactory().pk}], address=ADDRESS).json()
    assert body["shipping_address"] is None
    assert not DeliveryAddress.objects.exists()
