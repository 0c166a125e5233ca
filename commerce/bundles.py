"""What a bundle costs a learner, and how that price is spread over its courses.

The price rule: a bundle sells its published courses at the bundle price. Courses the learner
owns already are left out, and the price shrinks in proportion to the regular prices of the
courses left: price × (regular prices of the courses bought) / (regular prices of all the
bundle's courses), rounded to the fen, and never more than those courses cost bought one by one
at that moment (a running discount may make them cheaper). Anyone buying the same courses of a
bundle at the same moment pays the same (what they already own decides which courses they buy,
not who they are). Each order line gets a share of the price in proportion to its course's
regular price; the rounding remainder goes to the dearest line, so the lines add up exactly.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from commerce.models import Bundle
from commerce.selectors import courses_enrolled
from courses.models import Course
from courses.pricing import course_offer

FEN = Decimal("0.01")


@dataclass(frozen=True)
class BundleQuote:
    bundle: Bundle
    courses: list[Course]  # what an order of it buys, in the bundle's order
    skipped: list[Course]  # owned already
    prices: dict[int, Decimal]  # course id -> its share of the price
    separately: Decimal  # what ``courses`` cost bought one by one now

    @property
    def price(self) -> Decimal:
        return sum(self.prices.values(), Decimal("0.00"))

    @property
    def saving(self) -> Decimal:
        return self.separately - self.price


def bundle_quote(*, bundle: Bundle, user, at: datetime) -> BundleQuote:
    """What ``bundle`` costs ``user`` (anyone, for an anonymous visitor) at ``at``."""
    if not (bundle.is_active and bundle.starts_at <= at < bundle.ends_at):
        raise ValidationError(
            _("The bundle “%(title)s” is not on sale."),
            code="not_on_sale",
            params={"title": bundle.title},
        )
    courses = list(bundle.courses.published(at).order_by("pk"))
    owned = (
        courses_enrolled(user=user, course_ids=[c.pk for c in courses])
        if user is not None and user.is_authenticated
        else set()
    )
    buying = [c for c in courses if c.pk not in owned]
    if not buying:
        raise ValidationError(
            _("You own every course of the bundle “%(title)s” already."),
            code="already_owned",
            params={"title": bundle.title},
        )
    regular_all = sum((c.price for c in courses), Decimal("0.00"))
    regular_buying = sum((c.price for c in buying), Decimal("0.00"))
    separately = sum((course_offer(c, at).price for c in buying), Decimal("0.00"))
    share = (
        bundle.price * regular_buying / regular_all if regular_all else Decimal("0.00")
    ).quantize(FEN, rounding=ROUND_HALF_UP)
    price = min(share, separately)
    prices = _spread(price, buying)
    skipped = [c for c in courses if c.pk in owned]
    return BundleQuote(bundle, buying, skipped, prices, separately)


def _spread(price: Decimal, courses: list[Course]) -> dict[int, Decimal]:
    regular = sum((c.price for c in courses), Decimal("0.00"))
    if not regular:
        shares = {c.pk: Decimal("0.00") for c in courses}
    else:
        shares = {
            c.pk: (price * c.price / regular).quantize(FEN, rounding=ROUND_HALF_UP) for c in courses
        }
    dearest = max(courses, key=lambda c: (c.price, -c.pk)).pk
    shares[dearest] += price - sum(shares.values(), Decimal("0.00"))
    return shares
