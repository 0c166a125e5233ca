"""Prices: what a course or product costs at a moment, the same for every learner.

Nothing here takes a user (Art. 21 of the Provisions on Algorithmic Recommendation: no price
depends on who is buying). A product on a live session's shelf sells at its flash price only
inside the flash window and only when bought from that live session. A course sells at its price
less the best of its time-limited discounts running at that moment (``Discount``; the lowest
price wins when two run at once). The order services (``commerce.services``), the cart, every
course card and page, the live pages and the API all read prices here.

Discounts are read with one query and kept in the process (``discount_board``) while the
discounts' generation holds (``courses.generations.DISCOUNTS``; every write of a discount,
through its service or the admin, changes it and the course generation once it commits) and for
``BOARD_SECONDS`` at most. The board holds each discount's start and end, so a price changes at
the exact moment a discount starts or ends, in every process alike.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from config.cache import cache_get_many
from courses.generations import DISCOUNTS, generation_from, generation_key
from courses.models import Course, Discount, LiveSession, LiveShelfItem, Product, price_after

BOARD_SECONDS = 60  # the longest a process trusts its copy (a write that skipped the services)
BOARD_SECONDS_WITHOUT_CACHE = 5  # with the cache away no generation says what changed


@dataclass(frozen=True)
class DiscountTerms:
    """What the price computation needs of a discount, kept in the process."""

    pk: int
    title: str
    kind: str
    value: Decimal
    starts_at: datetime
    ends_at: datetime

    def running(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass
class DiscountBoard:
    """The discounts not over when it was read, by course id."""

    generation: str | None
    read_at: float  # time.monotonic()
    by_course: dict[int, list[DiscountTerms]] = field(default_factory=dict)

    def changes(self) -> list[datetime]:
        """Every moment a discount on the board starts or ends."""
        return sorted(
            {
                m
                for terms in self.by_course.values()
                for t in terms
                for m in (t.starts_at, t.ends_at)
            }
        )


_board: list[DiscountBoard] = []


def discount_board(cached: dict | None = None, *, check: bool = True) -> DiscountBoard:
    """The discounts running or to come, read once per generation of the discounts (one cache
    round trip to check it, one query when it changed). ``cached``: a ``cache_get_many`` answer
    that asked for the generation too (no round trip of its own). Without ``check``, the copy
    this process holds, however old (a guess to check later; read if there is none)."""
    held = _board[0] if _board else None
    if not check and held is not None:
        return held
    key = generation_key(DISCOUNTS)
    answer = cached if cached is not None and key in cached else cache_get_many([key])
    generation = generation_from(answer, DISCOUNTS)
    seconds = BOARD_SECONDS if generation is not None else BOARD_SECONDS_WITHOUT_CACHE
    if (
        held is not None
        and held.generation == generation
        and time.monotonic() - held.read_at < seconds
    ):
        return held
    board = DiscountBoard(generation=generation, read_at=time.monotonic())
    rows = Discount.objects.not_over().values_list(
        "pk", "title", "kind", "value", "starts_at", "ends_at", "courses"
    )
    for pk, title, kind, value, starts_at, ends_at, course_id in rows.order_by():
        if course_id is not None:
            terms = DiscountTerms(pk, title, kind, value, starts_at, ends_at)
            board.by_course.setdefault(course_id, []).append(terms)
    _board[:] = [board]
    return board


def discount_board_forget() -> None:
    """Drop this process's copy of the discounts (tests; a write in this process)."""
    _board.clear()


@dataclass(frozen=True)
class Offer:
    """What a course costs at a moment: ``price`` is what everyone pays; ``regular`` the price
    without a discount; ``discount`` the one applied (None without), which ends at ``ends_at``."""

    price: Decimal
    regular: Decimal
    discount: DiscountTerms | None = None

    @property
    def discounted(self) -> bool:
        return self.discount is not None and self.price < self.regular

    @property
    def ends_at(self) -> datetime | None:
        return self.discount.ends_at if self.discount else None


def course_offer(course: Course, at: datetime | None = None) -> Offer:
    """The price of ``course`` at ``at`` (now by default) with the discount that makes it."""
    at = at or timezone.now()
    best = Offer(price=course.price, regular=course.price)
    for terms in discount_board().by_course.get(course.pk, ()):
        if terms.running(at):
            price = price_after(course.price, kind=terms.kind, value=terms.value)
            if price < best.price or (price == best.price and best.discount is None):
                best = Offer(price=price, regular=course.price, discount=terms)
    return best if best.price < course.price else Offer(price=course.price, regular=course.price)


def price_quote(
    *,
    product: Product | None = None,
    course: Course | None = None,
    live_session: LiveSession | None = None,
    at: datetime | None = None,
) -> tuple[Decimal, bool]:
    """The price in force and whether it is a live flash price."""
    if (product is None) == (course is None):
        raise TypeError("Give exactly one of product or course.")
    if course is not None:
        return course_offer(course, at).price, False
    if live_session is not None and live_session.status != LiveSession.Status.CANCELLED:
        shelf_item = LiveShelfItem.objects.filter(
            live_session=live_session, product=product
        ).first()
        if shelf_item is not None:
            return shelf_price(item=shelf_item, live_session=live_session, at=at)
    return product.price, False


def price_in_force(
    *,
    product: Product | None = None,
    course: Course | None = None,
    live_session: LiveSession | None = None,
    at: datetime | None = None,
) -> Decimal:
    """The price of ``product`` or ``course`` at ``at`` (now by default), the same for everyone.

    ``live_session`` is where the buyer is buying from: its shelf's flash price applies inside the
    flash window only, and never to purchases made elsewhere.
    """
    price, _flash = price_quote(product=product, course=course, live_session=live_session, at=at)
    return price


def shelf_price(
    *, item: LiveShelfItem, live_session: LiveSession, at: datetime | None = None
) -> tuple[Decimal, bool]:
    """The price of a loaded shelf item bought from ``live_session`` (its own), and whether it is
    the flash price: the flash price inside its window, the product's price outside it."""
    if live_session.status != LiveSession.Status.CANCELLED and item.flash_active(at):
        return item.flash_price, True
    return item.product.price, False


def price_changes_after(at: datetime | None = None) -> datetime | None:
    """The next moment a course's price changes by the clock (a discount starts or ends)."""
    at = at or timezone.now()
    return next((moment for moment in discount_board().changes() if moment > at), None)


def discounted_course_ids(
    at: datetime | None = None, *, cached: dict | None = None, check: bool = True
) -> list[int]:
    """The courses with a discount running at ``at`` (``cached``, ``check``: as for
    ``discount_board``)."""
    at = at or timezone.now()
    board = discount_board(cached, check=check)
    return [pk for pk, terms in board.by_course.items() if any(t.running(at) for t in terms)]
