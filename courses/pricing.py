"""Prices: what a course or product costs at a moment, the same for every learner.

Nothing here takes a user (Art. 21 of the Provisions on Algorithmic Recommendation: no price
depends on who is buying). A product on a live session's shelf sells at its flash price only
inside the flash window and only when bought from that live session. The order services
(``commerce.services``), the live pages and the API's shelf all read prices here.
"""

from datetime import datetime
from decimal import Decimal

from courses.models import Course, LiveSession, LiveShelfItem, Product


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
        return course.price, False
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
