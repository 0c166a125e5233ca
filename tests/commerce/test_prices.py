"""The price in force: one price for everyone at a moment; a live flash price only inside its
window and only when bought from that live session."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.services import order_create
from courses.models import LiveSession
from courses.pricing import price_in_force
from tests.commerce.factories import ADDRESS
from tests.factories import (
    CourseFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGULAR = Decimal("59.00")
FLASH = Decimal("39.00")


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def flash_item(now):
    """A product on a live session's shelf at 39 instead of 59 from 10 to 20 minutes in."""
    live = LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(minutes=30),
        scheduled_end=now + timedelta(hours=1),
    )
    return LiveShelfItemFactory(
        live_session=live,
        product=ProductFactory(instructor=live.instructor, price=REGULAR),
        flash_price=FLASH,
        flash_starts_at=now - timedelta(minutes=20),
        flash_ends_at=now - timedelta(minutes=10),
    )


def test_flash_price_applies_only_inside_its_window(flash_item, now):
    def price(at):
        return price_in_force(
            product=flash_item.product, live_session=flash_item.live_session, at=at
        )

    assert price(now - timedelta(minutes=21)) == REGULAR
    assert price(now - timedelta(minutes=20)) == FLASH
    assert price(now - timedelta(minutes=15)) == FLASH
    assert price(now - timedelta(minutes=10)) == REGULAR  # the window's end is exclusive
    assert price(now) == REGULAR


def test_flash_price_applies_only_when_bought_from_that_live_session(flash_item, now):
    inside = now - timedelta(minutes=15)
    other_live = LiveSessionFactory(instructor=flash_item.live_session.instructor)
    LiveShelfItemFactory(live_session=other_live, product=flash_item.product)

    assert price_in_force(product=flash_item.product, at=inside) == REGULAR
    assert price_in_force(product=flash_item.product, live_session=other_live, at=inside) == REGULAR


def test_a_cancelled_live_session_has_no_flash_price(flash_item, now):
    live = flash_item.live_session
    live.status = LiveSession.Status.CANCELLED
    live.save()

    assert (
        price_in_force(
            product=flash_item.product, live_session=live, at=now - timedelta(minutes=15)
        )
        == REGULAR
    )


def test_two_learners_ordering_at_the_same_time_get_the_same_flash_price(flash_item, now):
    flash_item.flash_ends_at = now + timedelta(minutes=10)
    flash_item.save()
    live, product = flash_item.live_session, flash_item.product

    orders = [
        order_create(
            user=UserFactory(),
            items=[(product, 1)],
            idempotency_key="k",
            live_session=live,
            new_address=ADDRESS,
        )
        for _ in range(2)
    ]

    assert [order.lines.get().unit_price for order in orders] == [FLASH, FLASH]
    assert all(order.lines.get().is_flash_price for order in orders)


def test_ordering_the_same_product_outside_the_live_session_pays_the_regular_price(flash_item, now):
    flash_item.flash_ends_at = now + timedelta(minutes=10)
    flash_item.save()

    order = order_create(
        user=UserFactory(),
        items=[(flash_item.product, 2)],
        idempotency_key="k",
        new_address=ADDRESS,
    )

    line = order.lines.get()
    assert (line.unit_price, line.is_flash_price, order.total) == (REGULAR, False, 2 * REGULAR)


def test_a_course_costs_its_price():
    assert price_in_force(course=CourseFactory(price=Decimal("199.00"))) == Decimal("199.00")


def test_price_in_force_needs_exactly_one_item():
    with pytest.raises(TypeError):
        price_in_force()
    with pytest.raises(TypeError):
        price_in_force(course=CourseFactory(), product=ProductFactory())
