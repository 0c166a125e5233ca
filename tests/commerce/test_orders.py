"""Orders: placing, paying, cancelling and refunding, and what each does to stock and access."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from commerce.models import Enrollment, Order
from commerce.selectors import order_get_for_user, orders_for
from commerce.services import (
    order_cancel,
    order_create,
    order_mark_paid,
    order_pay,
    order_refund,
    orders_cancel_expired,
    payment_window,
)
from courses.models import Course, LiveSession, Product
from recommendations.models import Event
from tests.commerce.factories import ADDRESS, EnrollmentFactory
from tests.factories import (
    CourseFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return UserFactory()


@pytest.fixture
def course():
    return CourseFactory(title="Python 入门", price=Decimal("99.00"))


@pytest.fixture
def product():
    return ProductFactory(title="机械键盘", price=Decimal("59.00"), stock=5)


def place(user, *items, key="checkout-1", live_session=None):
    """Order ``items``; physical products are delivered to ``ADDRESS``."""
    return order_create(
        user=user,
        items=list(items),
        idempotency_key=key,
        live_session=live_session,
        new_address=ADDRESS,
    )


def messages(excinfo):
    return " ".join(excinfo.value.messages)


def stock(product):
    return Product.objects.get(pk=product.pk).stock


def test_an_order_copies_titles_and_prices_and_totals_them(buyer, course, product):
    order = place(buyer, (course, 1), (product, 2))

    lines = {line.title: (line.unit_price, line.quantity) for line in order.lines.all()}
    assert lines == {"Python 入门": (Decimal("99.00"), 1), "机械键盘": (Decimal("59.00"), 2)}
    assert order.total == Decimal("217.00")
    assert order.status == Order.Status.PENDING
    assert order.number.startswith("ZB") and len(order.number) == 20


def test_the_same_idempotency_key_returns_the_same_order(buyer, course, product):
    first = place(buyer, (course, 1), key="k1")
    again = place(buyer, (product, 3), key="k1")
    other = place(buyer, (product, 1), key="k2")

    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Order.objects.filter(user=buyer).count() == 2


def test_another_buyer_with_the_same_key_gets_their_own_order(buyer, course):
    assert place(buyer, (course, 1), key="k").pk != place(UserFactory(), (course, 1), key="k").pk


def test_an_order_needs_an_idempotency_key_and_an_item(buyer, course):
    with pytest.raises(ValidationError):
        order_create(user=buyer, items=[(course, 1)], idempotency_key="")
    with pytest.raises(ValidationError, match="at least one item"):
        place(buyer)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: CourseFactory(title="草稿课", status=Course.Status.DRAFT),
            "“草稿课” is not on sale",
        ),
        (lambda: ProductFactory(title="下架品", is_active=False), "“下架品” is not on sale"),
        (lambda: ProductFactory(title="缺货品", stock=0), "Only 0 of “缺货品” left"),
    ],
)
def test_items_not_on_sale_are_refused_by_name(buyer, make, message):
    with pytest.raises(ValidationError) as excinfo:
        place(buyer, (make(), 1))

    assert message in messages(excinfo)
    assert not Order.objects.exists()


def test_a_course_already_owned_is_refused(buyer, course):
    EnrollmentFactory(user=buyer, course=course)

    with pytest.raises(ValidationError, match="already own the course “Python 入门”"):
        place(buyer, (course, 1))


def test_every_refused_item_is_named_at_once(buyer):
    draft = CourseFactory(title="草稿课", status=Course.Status.DRAFT)
    with pytest.raises(ValidationError) as excinfo:
        place(buyer, (draft, 1), (ProductFactory(title="好物", stock=1), 2))

    assert len(excinfo.value.messages) == 2


def test_later_catalog_changes_never_rewrite_an_order(buyer, course, product):
    order = place(buyer, (course, 1), (product, 1))
    order_pay(order_id=order.pk, user=buyer)

    Course.objects.filter(pk=course.pk).update(title="改名了", price=Decimal("1.00"))
    Product.objects.filter(pk=product.pk).update(title="也改了", price=Decimal("2.00"))

    order = order_get_for_user(user=buyer, order_id=order.pk)
    assert sorted((line.title, line.unit_price) for line in order.lines.all()) == [
        ("Python 入门", Decimal("99.00")),
        ("机械键盘", Decimal("59.00")),
    ]
    assert order.total == Decimal("158.00")


def test_paying_takes_stock_enrolls_and_marks_paid(buyer, course, product):
    order = place(buyer, (course, 1), (product, 2))

    order = order_pay(order_id=order.pk, user=buyer)

    assert order.status == Order.Status.PAID and order.paid_at is not None
    assert order.payment_reference == f"SIM-{order.number}"
    assert stock(product) == 3
    assert Enrollment.objects.get(user=buyer, course=course).order == order


def test_paying_records_purchase_events_after_commit(
    buyer, course, product, django_capture_on_commit_callbacks
):
    order = place(buyer, (course, 1), (product, 1))

    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, user=buyer)

    purchases = Event.objects.filter(user=buyer, event_type="purchase")
    assert sorted(purchases.values_list("object_type", "object_id")) == [
        ("course", course.pk),
        ("product", product.pk),
    ]


def test_when_one_line_lacks_stock_nothing_is_taken_and_the_order_is_cancelled(buyer, product):
    scarce = ProductFactory(title="限量款", stock=1)
    order = place(buyer, (product, 2), (scarce, 1))
    Product.objects.filter(pk=scarce.pk).update(stock=0)  # someone else bought the last one

    with pytest.raises(ValidationError, match="“限量款” is sold out"):
        order_pay(order_id=order.pk, user=buyer)

    assert (stock(product), stock(scarce)) == (5, 0)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_a_product_taken_off_sale_before_payment_cannot_be_paid_for(buyer, product):
    order = place(buyer, (product, 1))
    Product.objects.filter(pk=product.pk).update(is_active=False)

    with pytest.raises(ValidationError, match="sold out"):
        order_pay(order_id=order.pk, user=buyer)
    assert stock(product) == 5


def test_a_declined_payment_leaves_the_order_pending_and_the_stock_untouched(
    buyer, product, settings
):
    order = place(buyer, (product, 2))
    settings.PAYMENT_SIMULATED_DECLINE = True

    with pytest.raises(ValidationError, match="declined"):
        order_pay(order_id=order.pk, user=buyer)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert stock(product) == 5

    settings.PAYMENT_SIMULATED_DECLINE = False
    assert order_pay(order_id=order.pk, user=buyer).status == Order.Status.PAID
    assert stock(product) == 3


def test_a_course_bought_meanwhile_in_another_order_is_not_charged_twice(buyer, course):
    first, second = place(buyer, (course, 1), key="a"), place(buyer, (course, 1), key="b")
    order_pay(order_id=first.pk, user=buyer)

    with pytest.raises(ValidationError, match="already own"):
        order_pay(order_id=second.pk, user=buyer)
    assert Order.objects.get(pk=second.pk).status == Order.Status.CANCELLED


class TestPriceChangesBeforePayment:
    """Within the payment window the buyer pays the price they ordered at; after it, not at all."""

    @pytest.fixture
    def flash_order(self, buyer):
        now = timezone.now()
        live = LiveSessionFactory(
            status=LiveSession.Status.LIVE,
            scheduled_start=now - timedelta(minutes=30),
            scheduled_end=now + timedelta(hours=1),
        )
        item = LiveShelfItemFactory(
            live_session=live,
            product=ProductFactory(instructor=live.instructor, price=Decimal("59.00")),
            flash_price=Decimal("39.00"),
            flash_starts_at=now - timedelta(minutes=5),
            flash_ends_at=now + timedelta(minutes=5),
        )
        order = place(buyer, (item.product, 1), live_session=live)
        # The flash sale ends before the buyer pays.
        type(item).objects.filter(pk=item.pk).update(
            flash_starts_at=now - timedelta(minutes=10), flash_ends_at=now - timedelta(minutes=1)
        )
        return order

    def test_paid_within_the_window_at_the_flash_price_after_the_sale_ended(
        self, buyer, flash_order
    ):
        order = order_pay(order_id=flash_order.pk, user=buyer)

        assert order.status == Order.Status.PAID
        assert order.total == Decimal("39.00")

    def test_an_expired_order_is_refused_and_cancelled(self, buyer, flash_order):
        Order.objects.filter(pk=flash_order.pk).update(
            created_at=timezone.now() - payment_window() - timedelta(minutes=1)
        )

        with pytest.raises(ValidationError, match="has expired; please place it again"):
            order_pay(order_id=flash_order.pk, user=buyer)
        assert Order.objects.get(pk=flash_order.pk).status == Order.Status.CANCELLED

    def test_placed_again_it_costs_the_price_now_in_force(self, buyer, flash_order):
        order_cancel(order_id=flash_order.pk, user=buyer)
        line = flash_order.lines.get()

        again = place(buyer, (line.product, 1), key="again", live_session=flash_order.live_session)

        assert again.total == Decimal("59.00")


def test_the_payment_window_is_a_setting(buyer, product, settings):
    settings.ORDER_PAYMENT_WINDOW_MINUTES = 60
    order = place(buyer, (product, 1))
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=30))

    assert order_pay(order_id=order.pk, user=buyer).status == Order.Status.PAID


def test_expired_pending_orders_are_closed_in_bulk(buyer, product):
    old, fresh = place(buyer, (product, 1), key="old"), place(buyer, (product, 1), key="new")
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert orders_cancel_expired() == 1
    assert Order.objects.get(pk=old.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=fresh.pk).status == Order.Status.PENDING


class TestStateTransitions:
    def test_a_pending_order_can_be_cancelled_once(self, buyer, product):
        order = place(buyer, (product, 1))

        assert order_cancel(order_id=order.pk, user=buyer).status == Order.Status.CANCELLED
        with pytest.raises(ValidationError, match="cannot be cancelled: its status is “Cancelled”"):
            order_cancel(order_id=order.pk, user=buyer)

    def test_a_cancelled_order_cannot_be_paid_or_refunded(self, buyer, product):
        order = order_cancel(order_id=place(buyer, (product, 1)).pk, user=buyer)

        with pytest.raises(ValidationError, match="cannot be paid: its status is “Cancelled”"):
            order_pay(order_id=order.pk, user=buyer)
        with pytest.raises(ValidationError, match="cannot be refunded: its status is “Cancelled”"):
            order_refund(order_id=order.pk)
        assert stock(product) == 5

    def test_a_paid_order_cannot_be_paid_again_or_cancelled(self, buyer, product):
        order = order_pay(order_id=place(buyer, (product, 1)).pk, user=buyer)

        with pytest.raises(ValidationError, match="cannot be paid: its status is “Paid”"):
            order_pay(order_id=order.pk, user=buyer)
        with pytest.raises(ValidationError, match="cannot be cancelled: its status is “Paid”"):
            order_cancel(order_id=order.pk, user=buyer)
        assert stock(product) == 4

    def test_a_pending_order_cannot_be_refunded_and_a_refunded_one_not_again(self, buyer, product):
        order = place(buyer, (product, 1))
        with pytest.raises(
            ValidationError, match="cannot be refunded: its status is “Awaiting payment”"
        ):
            order_refund(order_id=order.pk)

        order_pay(order_id=order.pk, user=buyer)
        order_refund(order_id=order.pk)
        with pytest.raises(ValidationError, match="cannot be refunded: its status is “Refunded”"):
            order_refund(order_id=order.pk)
        with pytest.raises(ValidationError, match="cannot be paid: its status is “Refunded”"):
            order_pay(order_id=order.pk, user=buyer)


def test_a_refund_returns_physical_stock_and_removes_the_bought_enrollment(buyer, course, product):
    ebook = ProductFactory(kind=Product.Kind.DIGITAL, stock=10)
    order = place(buyer, (course, 1), (product, 2), (ebook, 1))
    order_pay(order_id=order.pk, user=buyer)

    order = order_refund(order_id=order.pk)

    assert order.status == Order.Status.REFUNDED and order.refunded_at is not None
    assert stock(product) == 5
    assert stock(ebook) == 9  # a delivered digital good is not taken back
    assert not Enrollment.objects.filter(user=buyer, course=course).exists()


def test_a_refund_keeps_an_enrollment_that_came_from_elsewhere(buyer, course, product):
    order = order_pay(order_id=place(buyer, (product, 1)).pk, user=buyer)
    EnrollmentFactory(user=buyer, course=course)

    order_refund(order_id=order.pk)

    assert Enrollment.objects.filter(user=buyer, course=course).exists()


def test_others_orders_do_not_exist_for_a_buyer(buyer, product):
    order = place(buyer, (product, 1))
    stranger = UserFactory()

    with pytest.raises(Http404):
        order_get_for_user(user=stranger, order_id=order.pk)
    with pytest.raises(Http404):
        order_pay(order_id=order.pk, user=stranger)
    with pytest.raises(Http404):
        order_cancel(order_id=order.pk, user=stranger)
    assert list(orders_for(user=stranger)) == []
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


class TestAsynchronousProviderNotification:
    def test_marks_paid_once_for_repeated_notifications(self, buyer, course, product):
        order = place(buyer, (course, 1), (product, 1))

        order_mark_paid(order_id=order.pk, payment_reference="wx-42")
        again = order_mark_paid(order_id=order.pk, payment_reference="wx-42")

        assert again.status == Order.Status.PAID and again.payment_reference == "wx-42"
        assert stock(product) == 4
        assert Enrollment.objects.filter(user=buyer, course=course).count() == 1

    def test_refunds_and_cancels_when_the_stock_ran_out(self, buyer, product):
        order = place(buyer, (product, 1))
        Product.objects.filter(pk=product.pk).update(stock=0)

        with pytest.raises(ValidationError, match="sold out"):
            order_mark_paid(order_id=order.pk, payment_reference="wx-43")

        order = Order.objects.get(pk=order.pk)
        assert (order.status, order.payment_reference) == (Order.Status.CANCELLED, "wx-43")
