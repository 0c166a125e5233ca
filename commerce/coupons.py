"""Coupons at checkout: which coupon a code names, what it takes off an order, and whether it
has uses left.

The rules, the same for every learner who has the code:

- one coupon per order;
- it applies to the order's courses of the coupon's instructor (or only those it lists), at the
  price in force, so it comes on top of a running time-limited discount (``courses.pricing``);
  products, live flash prices and bundles take no coupon;
- those courses must come to at least the coupon's minimum, and it never takes off more than
  they cost (an order's total never goes below zero);
- it is used at most ``usage_limit`` times in all and ``per_learner_limit`` times per learner:
  an order pending or paid holds a use, a cancelled, expired or refunded one gives it back. The
  count is taken with the coupon's row locked, in the transaction that places the order
  (``commerce.services.order_get_or_create``), so concurrent checkouts never exceed the limit.

Every refusal is a ``ValidationError`` on the field ``coupon``.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from commerce.models import Coupon, Order
from courses.models import price_after

HOLDING_STATUSES = (Order.Status.PENDING, Order.Status.PAID)
"""Orders in these states hold a use of their coupon."""

MAX_CODE_LENGTH = 32


def _refused(message: str, code: str, **params) -> ValidationError:
    return ValidationError({"coupon": ValidationError(message, code=code, params=params)})


def coupon_find(*, code: str, at: datetime) -> Coupon:
    """The coupon ``code`` names (whatever its letter case), valid at ``at``."""
    code = (code or "").strip()
    coupon = (
        Coupon.objects.filter(code__iexact=code).first()
        if 0 < len(code) <= MAX_CODE_LENGTH
        else None
    )
    if coupon is None or not coupon.is_active:
        raise _refused(_("There is no coupon with this code."), "coupon_unknown")
    if at < coupon.valid_from:
        raise _refused(_("This coupon is not valid yet."), "coupon_not_yet_valid")
    if at >= coupon.valid_until:
        raise _refused(_("This coupon has expired."), "coupon_expired")
    return coupon


@dataclass(frozen=True)
class CouponQuote:
    coupon: Coupon
    eligible: Decimal  # what the coupon's courses in the order come to
    discount: Decimal  # what it takes off


def coupon_quote(*, coupon: Coupon, lines) -> CouponQuote:
    """What ``coupon`` takes off an order of ``lines`` (order or cart lines: each with
    ``course`` or ``item``, ``unit_price`` and ``quantity``)."""
    listed = set(coupon.courses.values_list("pk", flat=True))
    eligible = Decimal("0.00")
    for line in lines:
        course = getattr(line, "course", None) or (
            line.item if getattr(line, "kind", None) == "course" else None
        )
        if course is None or course.instructor_id != coupon.instructor_id:
            continue
        if listed and course.pk not in listed:
            continue
        eligible += line.unit_price * line.quantity
    if eligible <= 0:
        raise _refused(
            _("This coupon does not apply to anything in your order."), "coupon_not_applicable"
        )
    if eligible < coupon.minimum_amount:
        raise _refused(
            _("This coupon needs its courses to come to at least ¥%(minimum)s."),
            "coupon_minimum",
            minimum=coupon.minimum_amount,
        )
    discount = eligible - price_after(eligible, kind=coupon.kind, value=coupon.value)
    return CouponQuote(coupon=coupon, eligible=eligible, discount=discount)


def coupon_check_uses(*, coupon: Coupon, user) -> None:
    """Refuse ``coupon`` if its uses are taken, in all or by ``user``. Call it with the coupon's
    row locked, in the transaction that places the order."""
    holding = Order.objects.filter(coupon=coupon, status__in=HOLDING_STATUSES)
    if holding.count() >= coupon.usage_limit:
        raise _refused(_("This coupon has been used up."), "coupon_used_up")
    if holding.filter(user=user).count() >= coupon.per_learner_limit:
        raise _refused(
            _("You have used this coupon as many times as it allows."), "coupon_used_by_you"
        )


def coupon_uses(*, coupon: Coupon) -> int:
    """How many uses of ``coupon`` orders hold now."""
    return Order.objects.filter(coupon=coupon, status__in=HOLDING_STATUSES).count()
