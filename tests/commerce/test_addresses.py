"""Delivery addresses: a learner's address book, the default among them, and the address an
order with physical products is shipped to, which the order keeps whatever happens later."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from commerce.models import DeliveryAddress, Order
from commerce.services import (
    MAX_ADDRESSES,
    address_create,
    address_delete,
    address_update,
    commerce_export_for,
    order_checkout,
    order_create,
    orders_anonymise_for,
)
from tests.commerce.factories import ADDRESS, DeliveryAddressFactory
from tests.factories import CourseFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def book():
    return ProductFactory(title="纸质书", price=Decimal("45.00"), kind="physical")


@pytest.fixture
def ebook():
    return ProductFactory(title="电子书", price=Decimal("15.00"), kind="digital")


def test_the_first_address_is_the_default_and_a_new_default_takes_over(learner):
    home = address_create(user=learner, **ADDRESS)
    office = address_create(user=learner, **ADDRESS | {"recipient": "前台"})
    assert home.is_default and not office.is_default
    address_update(user=learner, address_id=office.pk, is_default=True)
    home.refresh_from_db()
    office.refresh_from_db()
    assert (home.is_default, office.is_default) == (False, True)


def test_deleting_the_default_makes_the_most_recent_other_the_default(learner):
    first = address_create(user=learner, **ADDRESS)
    second = address_create(user=learner, **ADDRESS | {"recipient": "李四"})
    address_delete(user=learner, address_id=first.pk)
    second.refresh_from_db()
    assert second.is_default


def test_fields_are_checked_by_the_models_rules(learner):
    with pytest.raises(ValidationError) as error:
        address_create(user=learner, **ADDRESS | {"phone": "call me", "postal_code": "1234"})
    assert set(error.value.message_dict) == {"phone", "postal_code"}
    with pytest.raises(ValidationError) as error:
        address_create(user=learner, **ADDRESS | {"street": "   "})
    assert set(error.value.message_dict) == {"street"}
    assert not DeliveryAddress.objects.exists()


def test_a_learner_keeps_a_bounded_number_of_addresses(learner):
    DeliveryAddressFactory.create_batch(MAX_ADDRESSES, user=learner)
    with pytest.raises(ValidationError) as error:
        address_create(user=learner, **ADDRESS)
    assert error.value.code == "too_many_addresses"


def test_another_learners_address_does_not_exist_for_changes(learner):
    theirs = DeliveryAddressFactory()
    with pytest.raises(Http404):
        address_update(user=learner, address_id=theirs.pk, recipient="我")
    with pytest.raises(Http404):
        address_delete(user=learner, address_id=theirs.pk)
    assert DeliveryAddress.objects.get(pk=theirs.pk).recipient != "我"


def test_the_database_refuses_two_defaults_and_an_incomplete_address(learner):
    DeliveryAddressFactory(user=learner, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAddressFactory(user=learner, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAddressFactory(user=learner, street="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(number="ZBX", user=learner, total=0, ship_recipient="张三")


def test_a_physical_product_needs_an_address(learner, book):
    with pytest.raises(ValidationError) as error:
        order_create(user=learner, items=[(book, 1)], idempotency_key="k")
    assert error.value.error_dict["address"][0].code == "address_required"
    assert not Order.objects.exists()


def test_digital_products_and_courses_need_none(learner, ebook):
    order = order_checkout(
        user=learner,
        items=[("product", ebook.pk, 1), ("course", CourseFactory().pk, 1)],
        idempotency_key="k",
    )
    assert order.status == Order.Status.PAID and not order.ships
    assert not DeliveryAddress.objects.exists()


def test_an_order_copies_the_saved_address_it_ships_to(learner, book):
    saved = address_create(user=learner, **ADDRESS)
    order = order_create(user=learner, items=[(book, 1)], idempotency_key="k", address_id=saved.pk)
    address_update(user=learner, address_id=saved.pk, street="新地址 9 号")
    address_delete(user=learner, address_id=saved.pk)
    order.refresh_from_db()
    assert order.ships
    assert (order.ship_recipient, order.ship_phone, order.ship_region, order.ship_street) == (
        ADDRESS["recipient"],
        ADDRESS["phone"],
        ADDRESS["region"],
        ADDRESS["street"],
    )


def test_a_new_address_is_saved_to_the_book_once(learner, book):
    order_create(user=learner, items=[(book, 1)], idempotency_key="a", new_address=ADDRESS)
    order_create(user=learner, items=[(book, 1)], idempotency_key="b", new_address=ADDRESS)
    assert DeliveryAddress.objects.filter(user=learner).count() == 1


def test_another_learners_address_cannot_be_shipped_to(learner, book):
    theirs = DeliveryAddressFactory()
    with pytest.raises(ValidationError) as error:
        order_create(user=learner, items=[(book, 1)], idempotency_key="k", address_id=theirs.pk)
    assert error.value.error_dict["address_id"][0].code == "unknown_address"


def test_the_export_holds_the_address_book_and_anonymising_drops_the_shipping_copy(learner, book):
    order_create(user=learner, items=[(book, 1)], idempotency_key="k", new_address=ADDRESS)
    export = commerce_export_for(user=learner)
    assert [a["street"] for a in export["delivery_addresses"]] == [ADDRESS["street"]]
    assert export["orders"][0]["ship_to"]["recipient"] == ADDRESS["recipient"]
    orders_anonymise_for(user=learner)
    order = Order.objects.get()
    assert not order.ships and order.ship_street == "" and order.ship_phone == ""
