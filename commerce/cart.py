"""The shopping cart, kept in the visitor's session until checkout.

Lines are keyed ``"course:<id>"`` or ``"product:<id>"`` with a quantity (always 1 for a course,
at most ``MAX_QUANTITY`` of a product). Only what is for sale goes in: a published course or a
product on sale; anything else is refused with the same message as an id that does not exist,
so a cart never reveals a draft. Prices are never stored here: ``cart_contents`` reads the price
in force, and the order copies it at checkout.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.coupons import coupon_find, coupon_quote
from commerce.models import Coupon
from courses.models import Course, Product
from courses.pricing import Offer, course_offer, price_quote

SESSION_KEY = "cart"
KINDS = ("course", "product")
MAX_QUANTITY = 99


def _lines(session) -> dict[str, int]:
    return dict(session.get(SESSION_KEY, {}))


def cart_count(session) -> int:
    return sum(_lines(session).values())


def purchasable_items(*, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], Course | Product]:
    """The published courses and products on sale among ``wanted`` (kind, id) pairs, by pair;
    one query per kind."""
    ids = {kind: [pk for k, pk in wanted if k == kind] for kind in KINDS}
    found: dict[tuple[str, int], Course | Product] = {}
    if ids["course"]:
        courses = Course.objects.published().filter(pk__in=ids["course"])
        found |= {("course", c.pk): c for c in courses.select_related("instructor")}
    if ids["product"]:
        products = Product.objects.on_sale().filter(pk__in=ids["product"])
        found |= {("product", p.pk): p for p in products.select_related("instructor")}
    return found


def cart_add(*, session, kind: str, object_id: int, quantity: int = 1) -> Course | Product:
    """Put a course (once) or ``quantity`` of a product (up to ``MAX_QUANTITY`` in all) in the
    cart; refuses anything that is not for sale."""
    if kind not in KINDS or quantity < 1:
        raise ValidationError(_("That item could not be added to your cart."), code="invalid")
    item = purchasable_items(wanted=[(kind, object_id)]).get((kind, object_id))
    if item is None:
        raise ValidationError(_("That item is not for sale."), code="not_on_sale")
    lines = _lines(session)
    key = f"{kind}:{object_id}"
    lines[key] = 1 if kind == "course" else min(MAX_QUANTITY, lines.get(key, 0) + quantity)
    session[SESSION_KEY] = lines
    return item


def cart_remove(*, session, kind: str, object_id: int) -> None:
    lines = _lines(session)
    lines.pop(f"{kind}:{object_id}", None)
    session[SESSION_KEY] = lines


def cart_clear(*, session) -> None:
    session.pop(SESSION_KEY, None)


@dataclass(frozen=True)
class CartLine:
    kind: str
    item: Course | Product
    quantity: int
    unit_price: Decimal
    is_flash_price: bool = False
    offer: Offer | None = None  # a course's price with its running discount

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def regular_amount(self) -> Decimal | None:
        """What the line would cost without its running discount (None without one)."""
        if self.offer is None or not self.offer.discounted:
            return None
        return self.offer.regular * self.quantity


@dataclass(frozen=True)
class CartContents:
    lines: list[CartLine]
    coupon: Coupon | None = None
    coupon_discount: Decimal = Decimal("0.00")

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.coupon_discount

    @property
    def items(self) -> list[tuple[str, int, int]]:
        """(kind, id, quantity) of each line, for the checkout."""
        return [(line.kind, line.item.pk, line.quantity) for line in self.lines]

    @property
    def ships(self) -> bool:
        """Whether a line is a physical product, so the checkout needs a delivery address."""
        return any(line.kind == "product" and line.item.ships for line in self.lines)


def items_quote(
    *, items: list[tuple[str, int, int]], live_session=None, coupon_code: str = ""
) -> CartContents:
    """The (kind, id, quantity) ``items`` still for sale, at the price in force now when bought
    from ``live_session`` (its flash prices apply), less what the coupon ``coupon_code`` takes
    off (``commerce.coupons``; a bad code raises its ``ValidationError``): what a checkout of
    them will charge. Whether the coupon has uses left is known only when the order is placed."""
    now = timezone.now()
    found = purchasable_items(wanted=[(kind, pk) for kind, pk, _q in items])
    lines = []
    for kind, pk, quantity in items:
        item = found.get((kind, pk))
        if item is None:
            continue
        if kind == "course":
            offer = course_offer(item, now)
            lines.append(CartLine(kind, item, quantity, unit_price=offer.price, offer=offer))
        else:
            price, is_flash = price_quote(product=item, live_session=live_session, at=now)
            lines.append(CartLine(kind, item, quantity, unit_price=price, is_flash_price=is_flash))
    if coupon_code and lines:
        quote = coupon_quote(coupon=coupon_find(code=coupon_code, at=now), lines=lines)
        return CartContents(lines=lines, coupon=quote.coupon, coupon_discount=quote.discount)
    return CartContents(lines=lines)


def cart_contents(*, session) -> CartContents:
    """The cart's lines that are still for sale, at the price in force now."""
    wanted = []
    for key, quantity in _lines(session).items():
        kind, _sep, raw_id = key.partition(":")
        if kind in KINDS and raw_id.isdigit():
            wanted.append((kind, int(raw_id), quantity))
    return items_quote(items=wanted)
