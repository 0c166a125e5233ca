"""Writes of commerce: orders, payment and refunds, delivery addresses, enrollments, lesson
progress, live reservations.

Prices. An order line copies the title and the price in force (``courses.pricing``, the same for
every learner) when the order is placed; that copy is what the buyer pays and what the order
shows for ever after, whatever happens to the catalog.

Paying after the price changed. A pending order may be paid for ``ORDER_PAYMENT_WINDOW_MINUTES``
(a setting, 15 by default) after it was placed, at the prices copied then, even if the price in
force has changed since (a flash window that closed, an edited price): the buyer pays what they
were shown when they decided. After that the order has expired: paying it is refused, the order is
cancelled, and the buyer places a new one at the price then in force. ``orders_cancel_expired``
(a periodic task) closes expired orders that nobody tried to pay.

Delivery. An order with a physical product (``Product.ships``) is shipped to an address: one of
the buyer's saved addresses (``address_id``) or a new one (``new_address``), which is saved to
their address book for the next time. The order copies the address (``Order.ship_to``), so editing
or deleting it later changes no order. An order of courses and digital products needs none.

Stock. Stock is taken at payment, not when the order is placed: each product line's stock is
decremented by one conditional UPDATE (only while enough is left and the product is on sale),
inside the payment's transaction with the order row locked. If any line lacks stock nothing is
decremented, nothing is charged, and the order is cancelled, since it could never be paid; the
buyer is told which item sold out. A declined charge leaves the order pending, to be retried.
Taking the stock before charging means nobody is charged for an item that is gone, at the cost of
holding the product rows locked for the length of a synchronous charge.

Feedback. Purchases, free enrollments and reservations are announced after the transaction
commits (``commerce.signals.learner_acted``), and the recommender records them as feedback
events; a failure there never undoes a purchase. Every write that changes what the learner is
shown changes their version (``accounts.versions``), so cached pages show it at once.
"""

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.versions import learner_changed
from commerce.bundles import bundle_quote
from commerce.cart import MAX_QUANTITY, purchasable_items
from commerce.coupons import coupon_check_uses, coupon_find, coupon_quote
from commerce.models import (
    SHIPPING_FIELDS,
    Bundle,
    Coupon,
    DeliveryAddress,
    Enrollment,
    LessonProgress,
    LiveReservation,
    Order,
    OrderLine,
)
from commerce.payments import payment_provider
from commerce.selectors import courses_enrolled, enrollments_for, lesson_access_for, orders_for
from commerce.signals import learner_acted
from courses.generations import catalog_changed
from courses.models import Course, Lesson, LiveSession, Product
from courses.pricing import price_quote

logger = logging.getLogger(__name__)

LESSON_COMPLETE_PERCENT = 90
"""A lesson counts as completed once the furthest point reached is at least this share of it."""

DEFAULT_PAYMENT_WINDOW_MINUTES = 15
DEFAULT_REMINDER_MINUTES_BEFORE = 10
LIVE_OPEN_STATUSES = (LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE)


def payment_window() -> timedelta:
    """How long a pending order may be paid at the prices it was placed at."""
    minutes = getattr(settings, "ORDER_PAYMENT_WINDOW_MINUTES", DEFAULT_PAYMENT_WINDOW_MINUTES)
    return timedelta(minutes=minutes)


def reminder_lead_time() -> timedelta:
    """How long before a live session starts its reminder e-mail goes out."""
    minutes = getattr(settings, "LIVE_REMINDER_MINUTES_BEFORE", DEFAULT_REMINDER_MINUTES_BEFORE)
    return timedelta(minutes=minutes)


class _SoldOut(Exception):
    """A product line lacks stock; undoes the payment's savepoint."""

    def __init__(self, title: str):
        super().__init__(title)
        self.title = title


class _Declined(Exception):
    """The provider refused the charge; undoes the payment's savepoint."""


def _require_learner(user) -> None:
    if user is None or not user.is_authenticated:
        raise ValidationError(_("Sign in first."), code="sign_in")


def _record_after_commit(*, user, event_type: str, targets: list[tuple[str, int]]) -> None:
    """Announce what the learner did once the current transaction commits (the recommender
    records it as feedback), and change their version."""

    def announce():
        learner_acted.send_robust(
            sender=Order, user=user, event_type=event_type, targets=list(targets)
        )

    transaction.on_commit(announce, robust=True)
    learner_changed(user)


# Orders ------------------------------------------------------------------------------------------


def _order_number(now: datetime) -> str:
    return f"ZB{timezone.localtime(now):%Y%m%d}{secrets.randbelow(10**10):010d}"


def _course_problem(course: Course, quantity: int, owned: set[int], published: set[int]):
    params = {"title": course.title}
    if course.pk not in published:
        return ValidationError(
            _("The course “%(title)s” is not on sale."), code="not_on_sale", params=params
        )
    if course.pk in owned:
        return ValidationError(
            _("You already own the course “%(title)s”."), code="already_owned", params=params
        )
    if quantity != 1:
        return ValidationError(
            _("The course “%(title)s” can be bought only once."), code="quantity", params=params
        )
    return None


def _product_problem(product: Product, quantity: int):
    params = {"title": product.title, "stock": product.stock, "most": MAX_QUANTITY}
    if quantity < 1:
        return ValidationError(
            _("The quantity of “%(title)s” must be at least 1."), code="quantity", params=params
        )
    if quantity > MAX_QUANTITY:
        return ValidationError(
            _("At most %(most)s of “%(title)s” per order."), code="quantity", params=params
        )
    if not product.is_active:
        return ValidationError(
            _("The product “%(title)s” is not on sale."), code="not_on_sale", params=params
        )
    if product.stock < quantity:
        return ValidationError(
            _("Only %(stock)s of “%(title)s” left in stock."), code="out_of_stock", params=params
        )
    return None


def _order_lines(
    *,
    user,
    items: Iterable[tuple[Course | Product, int]],
    live_session,
    now: datetime,
    course_prices: dict[int, Decimal] | None = None,
) -> list[OrderLine]:
    quantities: dict[Course | Product, int] = {}
    for item, quantity in items:
        if not isinstance(item, Course | Product):
            raise TypeError(f"An order item is a Course or a Product, not {type(item).__name__}.")
        quantities[item] = quantities.get(item, 0) + quantity
    if not quantities:
        raise ValidationError(_("An order needs at least one item."), code="empty")
    course_ids = [item.pk for item in quantities if isinstance(item, Course)]
    owned = courses_enrolled(user=user, course_ids=course_ids)
    published = set(
        Course.objects.published(now).filter(pk__in=course_ids).values_list("pk", flat=True)
    )
    problems, lines = [], []
    for item, quantity in quantities.items():
        is_course = isinstance(item, Course)
        problem = (
            _course_problem(item, quantity, owned, published)
            if is_course
            else _product_problem(item, quantity)
        )
        if problem is not None:
            problems.append(problem)
            continue
        course, product = (item, None) if is_course else (None, item)
        if course_prices is not None and course is not None:
            price, is_flash = course_prices[course.pk], False  # a bundle's share
        else:
            price, is_flash = price_quote(
                product=product, course=course, live_session=live_session, at=now
            )
        lines.append(
            OrderLine(
                course=course,
                product=product,
                title=item.title,
                unit_price=price,
                quantity=quantity,
                is_flash_price=is_flash,
            )
        )
    if problems:
        raise ValidationError(problems)
    return lines


def _order_with_key(user, idempotency_key: str) -> Order | None:
    return Order.objects.filter(user=user, idempotency_key=idempotency_key).first()


def _shipping_address(
    *, user, lines: list[OrderLine], address_id: int | None, new_address: dict | None
) -> DeliveryAddress | None:
    """Where the order's physical products go: one of the buyer's saved addresses, or a new one
    saved to their address book (unless they have saved the same already); None when nothing in
    the order ships."""
    if not any(line.product is not None and line.product.ships for line in lines):
        return None
    if address_id is not None:
        address = DeliveryAddress.objects.filter(user=user, pk=address_id).first()
        if address is None:
            raise ValidationError(
                {
                    "address_id": ValidationError(
                        _("Choose one of your delivery addresses."), code="unknown_address"
                    )
                }
            )
        return address
    if new_address:
        same = {name: str(new_address.get(name) or "").strip() for name in SHIPPING_FIELDS}
        saved = DeliveryAddress.objects.filter(user=user, **same).first()
        return saved or address_create(user=user, **new_address)
    raise ValidationError(
        {
            "address": ValidationError(
                _("Physical products are delivered: choose or enter a delivery address."),
                code="address_required",
            )
        }
    )


def order_create(
    *,
    user,
    items: Iterable[tuple[Course | Product, int]],
    idempotency_key: str,
    live_session: LiveSession | None = None,
    address_id: int | None = None,
    new_address: dict | None = None,
    coupon_code: str = "",
) -> Order:
    """Place a pending order for ``items`` ((course or product, quantity) pairs).

    The same (user, ``idempotency_key``) always yields the same order, also when two requests
    race: the database's unique constraint decides, and the loser returns the winner's order.
    Draft or unpublished courses, courses the buyer owns, and products that are off sale or short
    of stock are refused with one message per item. ``live_session`` is where the order is placed
    from: it decides whether shelf flash prices apply. An order with physical products needs a
    delivery address: ``address_id`` (one of the buyer's) or ``new_address`` (the fields of
    ``address_create``, saved to their address book); the order copies it. ``coupon_code``
    names a coupon to take off the total (``commerce.coupons``: one per order, within its
    limits, refused on the field ``coupon``).
    """
    order, _placed = order_get_or_create(
        user=user,
        items=items,
        idempotency_key=idempotency_key,
        live_session=live_session,
        address_id=address_id,
        new_address=new_address,
        coupon_code=coupon_code,
    )
    return order


def order_get_or_create(
    *,
    user,
    items: Iterable[tuple[Course | Product, int]],
    idempotency_key: str,
    live_session: LiveSession | None = None,
    address_id: int | None = None,
    new_address: dict | None = None,
    coupon_code: str = "",
    bundle: Bundle | None = None,
    course_prices: dict[int, Decimal] | None = None,
) -> tuple[Order, bool]:
    """``order_create``, also telling whether this call placed the order (True) or found the one
    placed first with the same key (False), as the API's 201 and 200 do.

    A request racing the one that placed the order may find its items refused meanwhile (the
    course bought by then, the last unit taken): the order placed with its key is its answer.
    """
    _require_learner(user)
    if not idempotency_key:
        raise ValidationError({"idempotency_key": _("This field is required.")})
    existing = _order_with_key(user, idempotency_key)
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        lines = _order_lines(
            user=user,
            items=items,
            live_session=live_session,
            now=now,
            course_prices=course_prices,
        )
    except ValidationError:
        existing = _order_with_key(user, idempotency_key)
        if existing is None:
            raise
        return existing, False
    coupon, coupon_discount = None, Decimal("0.00")
    if coupon_code and bundle is not None:
        raise ValidationError(
            {"coupon": ValidationError(_("A bundle takes no coupon."), code="coupon_bundle")}
        )
    if coupon_code:
        quote = coupon_quote(coupon=coupon_find(code=coupon_code, at=now), lines=lines)
        coupon, coupon_discount = quote.coupon, quote.discount
    address = _shipping_address(
        user=user, lines=lines, address_id=address_id, new_address=new_address
    )
    order = Order(
        number=_order_number(now),
        user=user,
        idempotency_key=idempotency_key,
        live_session=live_session,
        total=sum((line.amount for line in lines), Decimal("0.00")) - coupon_discount,
        coupon=coupon,
        coupon_discount=coupon_discount,
        bundle=bundle,
    )
    if address is not None:
        order.ship_to(address)
    # Uniqueness is left to the INSERT below: that is what makes concurrent retries safe.
    order.full_clean(validate_unique=False, validate_constraints=False)
    for line in lines:
        line.full_clean(exclude=["order"], validate_constraints=False)
    try:
        with transaction.atomic():
            if coupon is not None:
                # One checkout with this coupon at a time: the count of its uses and the order
                # that takes one commit together.
                Coupon.objects.select_for_update().filter(pk=coupon.pk).first()
                coupon_check_uses(coupon=coupon, user=user)
            order.save()
            for line in lines:
                line.order = order
            OrderLine.objects.bulk_create(lines)
    except (IntegrityError, ValidationError):
        existing = _order_with_key(user, idempotency_key)
        if existing is None:
            raise
        return existing, False
    return order, True


def _order_locked(*, order_id: int, user) -> Order:
    """The buyer's own order, locked for this transaction; others' orders do not exist."""
    if user is None or not user.is_authenticated:
        raise Http404("No such order.")
    try:
        return Order.objects.select_for_update().get(pk=order_id, user=user)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


_REFUSALS = {
    "paid": gettext_lazy("Order %(number)s cannot be paid: its status is “%(status)s”."),
    "cancelled": gettext_lazy("Order %(number)s cannot be cancelled: its status is “%(status)s”."),
    "refunded": gettext_lazy("Order %(number)s cannot be refunded: its status is “%(status)s”."),
}
"""Why an order cannot take each step, with its status as the buyer sees it (its label)."""


def _require_status(order: Order, status: str, action: str) -> None:
    if order.status != status:
        raise ValidationError(
            str(_REFUSALS[action]),  # in the language of the request, as the module's others
            code="invalid_state",
            params={"number": order.number, "status": Order.Status(order.status).label},
        )


def _order_close(order: Order, now: datetime) -> None:
    order.status = Order.Status.CANCELLED
    order.cancelled_at = now
    order.save(update_fields=["status", "cancelled_at", "updated_at"])


def _order_refusal(order: Order, now: datetime) -> ValidationError | None:
    """Why a pending order can no longer be paid (it is then cancelled), or None."""
    if order.created_at + payment_window() <= now:
        return ValidationError(
            _("Order %(number)s has expired; please place it again."),
            code="expired",
            params={"number": order.number},
        )
    owned = order.lines.filter(course__enrollments__user_id=order.user_id)
    if title := owned.values_list("title", flat=True).first():
        return ValidationError(
            _("You already own the course “%(title)s”."),
            code="already_owned",
            params={"title": title},
        )
    return None


def _stock_take(order: Order) -> None:
    """Decrement the stock of every product line, or raise ``_SoldOut`` for the first that lacks.

    Products are updated in id order, so two orders for the same products never deadlock.
    """
    lines = order.lines.filter(product__isnull=False).order_by("product_id")
    for product_id, quantity, title in lines.values_list("product_id", "quantity", "title"):
        taken = (
            Product.objects.on_sale()
            .filter(pk=product_id, stock__gte=quantity)
            .update(stock=F("stock") - quantity)
        )
        if not taken:
            raise _SoldOut(title)
        if Product.objects.filter(pk=product_id, stock=0).exists():
            catalog_changed("product")  # sold out: off the recommended lists once this commits


def _order_fulfil(order: Order, *, payment_reference: str, now: datetime) -> None:
    """Mark the locked order paid, enroll the buyer in its courses and record the purchases."""
    order.status = Order.Status.PAID
    order.paid_at = now
    order.payment_reference = payment_reference
    order.save(update_fields=["status", "paid_at", "payment_reference", "updated_at"])
    lines = list(order.lines.all())
    Enrollment.objects.bulk_create(
        [
            Enrollment(user_id=order.user_id, course_id=line.course_id, order=order)
            for line in lines
            if line.course_id
        ],
        ignore_conflicts=True,
    )
    _record_after_commit(
        user=order.user,
        event_type="purchase",
        targets=[
            ("course", line.course_id) if line.course_id else ("product", line.product_id)
            for line in lines
        ],
    )


def _sold_out_error(order: Order, title: str) -> ValidationError:
    return ValidationError(
        _("“%(title)s” is sold out, so order %(number)s has been cancelled."),
        code="sold_out",
        params={"title": title, "number": order.number},
    )


def order_pay(*, order_id: int, user) -> Order:
    """Charge the buyer for their pending order and fulfil it, all or nothing.

    In one transaction with the order row locked: refuse (and cancel) an expired order or one for
    a course the buyer meanwhile owns, take the stock, charge the provider, mark the order paid,
    create the enrollments; purchase events are recorded after the commit. When stock is lacking
    the order is cancelled and nothing is taken or charged; when the charge is declined the order
    stays pending and the stock is untouched. Either way a ``ValidationError`` says why.
    """
    provider = payment_provider()
    with transaction.atomic():
        order = _order_locked(order_id=order_id, user=user)
        _require_status(order, Order.Status.PENDING, "paid")
        now = timezone.now()
        refusal = _order_refusal(order, now)
        if refusal is not None:
            _order_close(order, now)
        else:
            try:
                with transaction.atomic():
                    _stock_take(order)
                    result = provider.charge(order, order.total)
                    if not result.succeeded:
                        raise _Declined(result.message)
                    _order_fulfil(order, payment_reference=result.reference, now=now)
            except _SoldOut as sold_out:
                _order_close(order, now)
                refusal = _sold_out_error(order, sold_out.title)
            except _Declined as declined:
                refusal = ValidationError(
                    _("The payment was declined: %(reason)s"),
                    code="declined",
                    params={"reason": str(declined)},
                )
    if refusal is not None:
        raise refusal
    return order


def order_checkout(
    *,
    user,
    items: list[tuple[str, int, int]],
    idempotency_key: str,
    live_session_id: int | None = None,
    address_id: int | None = None,
    new_address: dict | None = None,
    coupon_code: str = "",
) -> Order:
    """Place and pay an order in one step: the site's checkout and the live shelf's buy button.

    ``items`` are (kind, id, quantity) triples, kind "course" or "product"; anything not for sale
    is refused, named only as "not for sale". ``live_session_id`` is the live session bought from
    (its flash prices apply). Physical products need ``address_id`` or ``new_address``, as for
    ``order_create``, and so does ``coupon_code``. A repeated checkout with the same key returns
    the order placed first, paid or not, and charges nothing again, also while it races the first
    (a double submit), which may have paid for the items meanwhile.
    """
    _require_learner(user)
    existing = _order_with_key(user, idempotency_key)
    if existing is not None and existing.status != Order.Status.PENDING:
        return existing
    found = purchasable_items(wanted=[(kind, pk) for kind, pk, _q in items])
    if any((kind, pk) not in found for kind, pk, _q in items):
        raise ValidationError(_("An item in your order is not for sale."), code="not_on_sale")
    live = (
        LiveSession.objects.visible().filter(pk=live_session_id).first()
        if live_session_id
        else None
    )
    order = order_create(
        user=user,
        items=[(found[(kind, pk)], quantity) for kind, pk, quantity in items],
        idempotency_key=idempotency_key,
        live_session=live,
        address_id=address_id,
        new_address=new_address,
        coupon_code=coupon_code,
    )
    return _pay_placed(order, user)


def _pay_placed(order: Order, user) -> Order:
    """Pay the order just placed (or found by its key) unless it is paid already."""
    if order.status == Order.Status.PENDING:
        try:
            order = order_pay(order_id=order.pk, user=user)
        except ValidationError:
            order.refresh_from_db()
            if order.status != Order.Status.PAID:
                raise
            # A double submit: the first request paid it meanwhile.
    return order


def bundle_order_get_or_create(*, user, bundle_id: int, idempotency_key: str) -> tuple[Order, bool]:
    """Place a pending order of a running bundle: its courses the learner does not own yet, at
    the bundle's price for them (``commerce.bundles``); paying it enrolls the learner as for any
    order. Tells whether this call placed it (True) or found the one placed first with the same
    key (False)."""
    _require_learner(user)
    existing = _order_with_key(user, idempotency_key) if idempotency_key else None
    if existing is not None:
        return existing, False
    bundle = Bundle.objects.filter(pk=bundle_id).first()
    if bundle is None:
        raise ValidationError(_("That bundle is not on sale."), code="not_on_sale")
    quote = bundle_quote(bundle=bundle, user=user, at=timezone.now())
    return order_get_or_create(
        user=user,
        items=[(course, 1) for course in quote.courses],
        idempotency_key=idempotency_key,
        bundle=bundle,
        course_prices=quote.prices,
    )


def bundle_checkout(*, user, bundle_id: int, idempotency_key: str) -> Order:
    """Buy a running bundle in one step (``bundle_order_get_or_create``, then paid). A repeated
    checkout with the same key returns the order placed first and charges nothing again."""
    order, _placed = bundle_order_get_or_create(
        user=user, bundle_id=bundle_id, idempotency_key=idempotency_key
    )
    return _pay_placed(order, user)


def _refund_in_full(order: Order) -> None:
    """Give the buyer the whole amount back through the provider, or raise why it failed."""
    result = payment_provider().refund(order, order.total)
    if not result.succeeded:
        raise ValidationError(
            _("The refund of order %(number)s failed: %(reason)s"),
            code="refund_failed",
            params={"number": order.number, "reason": result.message},
        )


def order_mark_paid(*, order_id: int, payment_reference: str) -> Order:
    """Fulfil an order an asynchronous provider reports as paid (WeChat Pay / Alipay notify).

    Repeated notifications for the same payment change nothing. If the stock ran out meanwhile,
    the money goes back through the provider's refund and the order is cancelled.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.PAID and order.payment_reference == payment_reference:
            return order
        _require_status(order, Order.Status.PENDING, "paid")
        now = timezone.now()
        try:
            with transaction.atomic():
                _stock_take(order)
                _order_fulfil(order, payment_reference=payment_reference, now=now)
        except _SoldOut as sold_out:
            order.payment_reference = payment_reference
            _refund_in_full(order)
            order.save(update_fields=["payment_reference", "updated_at"])
            _order_close(order, now)
            refusal = _sold_out_error(order, sold_out.title)
        else:
            return order
    raise refusal


@transaction.atomic
def order_cancel(*, order_id: int, user) -> Order:
    """The buyer cancels their pending order. Paid orders are refunded, not cancelled."""
    order = _order_locked(order_id=order_id, user=user)
    _require_status(order, Order.Status.PENDING, "cancelled")
    _order_close(order, timezone.now())
    return order


@transaction.atomic
def order_refund(*, order_id: int) -> Order:
    """Refund a paid order in full through the payment provider (a support or staff action).

    Physical products go back into stock (a delivered digital good cannot be taken back), and the
    enrollments this order created are removed; the learner's lesson progress is kept.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    _require_status(order, Order.Status.PAID, "refunded")
    _refund_in_full(order)
    physical = order.lines.filter(product__kind=Product.Kind.PHYSICAL).order_by("product_id")
    for product_id, quantity in physical.values_list("product_id", "quantity"):
        Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        catalog_changed("product")  # a sold-out product may be back
    order.enrollments.all().delete()
    order.status = Order.Status.REFUNDED
    order.refunded_at = timezone.now()
    order.save(update_fields=["status", "refunded_at", "updated_at"])
    return order


def orders_cancel_expired(*, now: datetime | None = None) -> int:
    """Cancel pending orders older than the payment window; returns how many.

    One conditional UPDATE: an order being paid right now holds its row lock, and once that
    payment commits the order is no longer pending, so it is left alone.
    """
    now = now or timezone.now()
    return Order.objects.filter(
        status=Order.Status.PENDING, created_at__lte=now - payment_window()
    ).update(status=Order.Status.CANCELLED, cancelled_at=now, updated_at=now)


# Delivery addresses ------------------------------------------------------------------------------

MAX_ADDRESSES = 20
"""How many delivery addresses a learner may keep."""

ADDRESS_FIELDS = (*SHIPPING_FIELDS, "is_default")


def _address_save(address: DeliveryAddress) -> DeliveryAddress:
    """Validate and save the learner's ``address`` (in the caller's transaction). Their first
    address is their default; an address made the default takes it from the others."""
    for name in SHIPPING_FIELDS:
        setattr(address, name, str(getattr(address, name) or "").strip())
    # One change of a learner's address book at a time (the learner's row is the lock): the
    # default moves between rows, and two first addresses must not both become the default.
    list(get_user_model().objects.select_for_update().filter(pk=address.user_id).values("pk"))
    others = list(
        DeliveryAddress.objects.filter(user_id=address.user_id)
        .exclude(pk=address.pk)
        .values_list("pk", "is_default")
    )
    if not others:
        address.is_default = True
    if address.is_default and any(is_default for _pk, is_default in others):
        DeliveryAddress.objects.filter(user_id=address.user_id, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
    address.full_clean()
    address.save()
    return address


def _address_locked(*, user, address_id: int) -> DeliveryAddress:
    """The learner's own address, locked; other learners' addresses do not exist."""
    if user is None or not user.is_authenticated:
        raise Http404("No such address.")
    try:
        return DeliveryAddress.objects.select_for_update().get(pk=address_id, user=user)
    except DeliveryAddress.DoesNotExist:
        raise Http404("No such address.") from None


@transaction.atomic
def address_create(
    *,
    user,
    recipient: str,
    phone: str,
    region: str,
    street: str,
    postal_code: str = "",
    is_default: bool = False,
) -> DeliveryAddress:
    """Add a delivery address to the learner's address book (at most ``MAX_ADDRESSES``)."""
    _require_learner(user)
    if DeliveryAddress.objects.filter(user=user).count() >= MAX_ADDRESSES:
        raise ValidationError(
            _("You can keep at most %(most)s addresses: delete one first."),
            code="too_many_addresses",
            params={"most": MAX_ADDRESSES},
        )
    address = DeliveryAddress(
        user=user,
        recipient=recipient,
        phone=phone,
        region=region,
        street=street,
        postal_code=postal_code,
        is_default=is_default,
    )
    return _address_save(address)


@transaction.atomic
def address_update(*, user, address_id: int, **fields) -> DeliveryAddress:
    """Change the fields given (of ``ADDRESS_FIELDS``) of one of the learner's addresses. Orders
    shipped to it before keep the address they copied."""
    if unknown := set(fields) - set(ADDRESS_FIELDS):
        raise TypeError(f"Cannot change {sorted(unknown)}.")
    address = _address_locked(user=user, address_id=address_id)
    for name, value in fields.items():
        setattr(address, name, value)
    return _address_save(address)


@transaction.atomic
def address_delete(*, user, address_id: int) -> None:
    """Delete one of the learner's addresses; if it was the default, their most recently
    changed other address becomes the default."""
    address = _address_locked(user=user, address_id=address_id)
    address.delete()
    if address.is_default:
        successor = DeliveryAddress.objects.filter(user=user).order_by("-updated_at", "-id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])


# Enrollments and progress ------------------------------------------------------------------------


@transaction.atomic
def course_enroll_free(*, user, course: Course) -> Enrollment:
    """Enroll ``user`` in a free, published course (idempotent). Paid courses must be bought."""
    _require_learner(user)
    params = {"title": course.title}
    if not Course.objects.published().filter(pk=course.pk).exists():
        raise ValidationError(
            _("The course “%(title)s” is not open."), code="not_on_sale", params=params
        )
    if not course.is_free:
        raise ValidationError(
            _("The course “%(title)s” is not free: buy it to enroll."),
            code="not_free",
            params=params,
        )
    enrollment, created = Enrollment.objects.get_or_create(user=user, course=course)
    if created:
        _record_after_commit(user=user, event_type="enroll", targets=[("course", course.pk)])
    return enrollment


def lesson_progress_record(
    *, user, lesson: Lesson, position_seconds: int, duration_seconds: int | None = None
) -> LessonProgress:
    """Record where the learner is in ``lesson``.

    The lesson's own duration decides the share watched; ``duration_seconds``, what the player
    measured, is used only while the lesson's is unknown (0), so a client cannot complete a
    lesson by reporting it one second long. The last position is kept for resuming; the
    furthest share reached only ever grows, so rewatching a part never lowers it; at
    ``LESSON_COMPLETE_PERCENT`` the lesson is completed.
    Only learners enrolled in the course may record progress, except on free-preview lessons.
    """
    _require_learner(user)
    if position_seconds < 0 or (duration_seconds is not None and duration_seconds < 0):
        raise ValidationError(_("Positions and durations cannot be negative."), code="negative")
    if not lesson_access_for(user=user, lesson=lesson):
        raise ValidationError(
            _("Enroll in the course to watch “%(title)s”."),
            code="not_enrolled",
            params={"title": lesson.title},
        )
    duration = lesson.duration_seconds or duration_seconds
    position = min(position_seconds, duration) if duration else position_seconds
    percent = min(100, position * 100 // duration) if duration else 0
    with transaction.atomic():
        progress, _created = LessonProgress.objects.select_for_update().get_or_create(
            user=user, lesson=lesson
        )
        progress.position_seconds = position
        progress.percent_watched = max(progress.percent_watched, percent)
        if progress.completed_at is None and progress.percent_watched >= LESSON_COMPLETE_PERCENT:
            progress.completed_at = timezone.now()
        progress.full_clean()
        progress.save()
        learner_changed(user)  # "continue learning" shows where they are
    return progress


# Live reservations -------------------------------------------------------------------------------


@transaction.atomic
def live_reservation_create(*, user, live_session: LiveSession) -> LiveReservation:
    """Reserve a place at an upcoming live session, to get a reminder (idempotent).

    Reserving again after cancelling reopens the same reservation: its reminder is still sent at
    most once.
    """
    _require_learner(user)
    if (
        live_session.status not in LIVE_OPEN_STATUSES
        or live_session.scheduled_end <= timezone.now()
    ):
        raise ValidationError(
            _("The live session “%(title)s” is over or cancelled."),
            code="live_closed",
            params={"title": live_session.title},
        )
    reservation, created = LiveReservation.objects.get_or_create(
        user=user, live_session=live_session
    )
    if not created and reservation.cancelled_at is None:
        return reservation
    if not created:
        reservation.cancelled_at = None
        reservation.save(update_fields=["cancelled_at"])
    _record_after_commit(user=user, event_type="reserve", targets=[("live", live_session.pk)])
    learner_changed(user)  # their cards show it reserved
    return reservation


def live_reservation_cancel(*, user, live_session: LiveSession) -> None:
    """Withdraw the learner's reservation: no reminder will be sent for it."""
    _require_learner(user)
    LiveReservation.objects.filter(
        user=user, live_session=live_session, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())
    learner_changed(user)


def _reminder_send(reservation: LiveReservation) -> None:
    live_reminder_send(user=reservation.user, live_session=reservation.live_session)


def live_reminder_send(*, user, live_session: LiveSession, followed: bool = False) -> None:
    """E-mail ``user`` that ``live_session`` starts soon: the reminder of a reservation, or, with
    ``followed``, of a follow of its instructor (``social.services.follower_reminders_send_due``).
    Raises when the mail fails."""
    live = live_session
    starts = timezone.localtime(live.scheduled_start)
    if followed:
        body = _(
            "Hello %(name)s,\n\nthe live session “%(title)s” by %(instructor)s, whom you "
            "follow, starts at %(time)s (%(zone)s). See you there!\n\n知播 Zhibo"
        )
    else:
        body = _(
            "Hello %(name)s,\n\nthe live session “%(title)s” you reserved starts at "
            "%(time)s (%(zone)s). See you there!\n\n知播 Zhibo"
        )
    send_mail(
        subject=_("Live reminder: “%(title)s” starts at %(time)s")
        % {"title": live.title, "time": f"{starts:%H:%M}"},
        message=body
        % {
            "name": user.get_username(),
            "title": live.title,
            "instructor": live.instructor.display_name,
            "time": f"{starts:%Y-%m-%d %H:%M}",
            "zone": starts.tzname(),
        },
        from_email=None,
        recipient_list=[user.email],
    )


def live_reminders_send_due(*, now: datetime | None = None) -> int:
    """E-mail each reservation whose live session starts within the reminder lead time, once.

    Each reservation is claimed with a conditional UPDATE before its e-mail goes out, and only
    the run whose claim succeeded sends: overlapping runs, retries and redelivered tasks send
    nothing twice. A failed send releases the claim, so the next run tries again. Sessions that
    have ended, were cancelled or have already started get no reminder. Returns how many were sent.
    """
    now = now or timezone.now()
    due = (
        LiveReservation.objects.filter(
            reminder_sent_at__isnull=True,
            cancelled_at__isnull=True,
            live_session__status__in=LIVE_OPEN_STATUSES,
            live_session__scheduled_start__gt=now,
            live_session__scheduled_start__lte=now + reminder_lead_time(),
        )
        .exclude(Q(user__email="") | Q(user__is_active=False))
        .select_related("user", "live_session__instructor")
    )
    sent = 0
    for reservation in due:
        claimed = LiveReservation.objects.filter(
            pk=reservation.pk, reminder_sent_at__isnull=True, cancelled_at__isnull=True
        ).update(reminder_sent_at=now)
        if not claimed:
            continue
        try:
            _reminder_send(reservation)
        except Exception:
            logger.exception("Live reminder for reservation %s not sent", reservation.pk)
            LiveReservation.objects.filter(pk=reservation.pk, reminder_sent_at=now).update(
                reminder_sent_at=None
            )
            continue
        sent += 1
    return sent


# Privacy -----------------------------------------------------------------------------------------


def orders_anonymise_for(*, user) -> int:
    """Detach the learner's orders from them before their account is deleted.

    The orders, lines and amounts stay for the accounts; the buyer, the client-chosen
    idempotency key and the delivery address are removed. Returns how many orders were anonymised.
    """
    return Order.objects.filter(user=user).update(
        user=None,
        idempotency_key="",
        anonymised_at=timezone.now(),
        **{f"ship_{name}": "" for name in SHIPPING_FIELDS},
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def commerce_export_for(*, user) -> dict:
    """The learner's orders (with lines and delivery addresses), address book, enrollments,
    lesson progress and live reservations, as JSON-serialisable data for their personal-data
    export."""
    progress = LessonProgress.objects.filter(user=user).select_related("lesson__course")
    reservations = LiveReservation.objects.filter(user=user).select_related("live_session")
    return {
        "orders": [
            {
                "number": order.number,
                "status": order.status,
                "total": str(order.total),
                "created_at": _iso(order.created_at),
                "paid_at": _iso(order.paid_at),
                "cancelled_at": _iso(order.cancelled_at),
                "refunded_at": _iso(order.refunded_at),
                "live_session_id": order.live_session_id,
                "ship_to": (
                    {name: getattr(order, f"ship_{name}") for name in SHIPPING_FIELDS}
                    if order.ships
                    else None
                ),
                "lines": [
                    {
                        "title": line.title,
                        "course_id": line.course_id,
                        "product_id": line.product_id,
                        "unit_price": str(line.unit_price),
                        "quantity": line.quantity,
                        "is_flash_price": line.is_flash_price,
                    }
                    for line in order.lines.all()
                ],
            }
            for order in orders_for(user=user)
        ],
        "delivery_addresses": [
            {
                **{name: getattr(address, name) for name in SHIPPING_FIELDS},
                "is_default": address.is_default,
                "created_at": _iso(address.created_at),
                "updated_at": _iso(address.updated_at),
            }
            for address in DeliveryAddress.objects.filter(user=user)
        ],
        "enrollments": [
            {
                "course_id": enrollment.course_id,
                "course": enrollment.course.title,
                "order_number": enrollment.order.number if enrollment.order else None,
                "enrolled_at": _iso(enrollment.created_at),
            }
            for enrollment in enrollments_for(user=user).select_related("order")
        ],
        "lesson_progress": [
            {
                "lesson_id": row.lesson_id,
                "lesson": row.lesson.title,
                "course": row.lesson.course.title,
                "position_seconds": row.position_seconds,
                "percent_watched": row.percent_watched,
                "completed_at": _iso(row.completed_at),
                "last_watched_at": _iso(row.updated_at),
            }
            for row in progress
        ],
        "live_reservations": [
            {
                "live_session_id": row.live_session_id,
                "live_session": row.live_session.title,
                "reserved_at": _iso(row.created_at),
                "cancelled_at": _iso(row.cancelled_at),
                "reminder_sent_at": _iso(row.reminder_sent_at),
            }
            for row in reservations
        ],
    }
