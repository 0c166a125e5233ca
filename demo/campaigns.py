"""Campaigns in the demo: a few instructors run time-limited discounts, coupons and a bundle, so
a newcomer sees the 活动 section, struck-through prices and a coupon at checkout.

Everything is made through the same services an instructor's admin uses, relative to the moment
of seeding (running from a day before it to a week after it; one discount starts in two days),
deterministic for a seed and made once: a second run changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from commerce.campaigns import bundle_create, coupon_create
from commerce.models import Bundle, Coupon
from courses.models import Course, Discount, Instructor
from courses.services import discount_create
from demo.catalog import DEMO_EMAIL_DOMAIN

DEMO_COUPONS = ("ZHIBO20", "WELCOME10")
"""The coupon codes the demo hands out (the README and docs/campaigns.md name them)."""


@dataclass(frozen=True)
class CampaignSummary:
    discounts: int
    coupons: int
    bundles: int


def _demo_instructors() -> list[Instructor]:
    return list(
        Instructor.objects.filter(user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
        .select_related("user")
        .order_by("user__username")
    )


def _paid_courses(instructor: Instructor, now: datetime) -> list[Course]:
    return list(
        Course.objects.published(now).filter(instructor=instructor, price__gt=0).order_by("pk")
    )


@transaction.atomic
def build_campaigns(*, seed: int, now: datetime) -> CampaignSummary:
    """Discounts of four demo instructors, two coupons of the first two and a bundle of the
    first; nothing when the demo's campaigns exist already."""
    instructors = [i for i in _demo_instructors() if len(_paid_courses(i, now)) >= 3][:4]
    if not instructors or Coupon.objects.filter(code__in=DEMO_COUPONS).exists():
        return CampaignSummary(0, 0, 0)
    rng = random.Random(seed)
    start, end = now - timedelta(days=1), now + timedelta(days=7)
    discounts = coupons = bundles = 0
    titles = ["限时八折", "周末特惠", "新课尝鲜价", "双十二预热"]
    for n, instructor in enumerate(instructors):
        courses = _paid_courses(instructor, now)
        picked = rng.sample(courses, k=min(2, len(courses)))
        upcoming = n == len(instructors) - 1 and n > 0
        discount_create(
            user=instructor.user,
            title=titles[n % len(titles)],
            courses=picked,
            kind="percent" if n % 2 == 0 else "amount",
            value=Decimal(20 if n % 2 == 0 else 30),
            starts_at=now + timedelta(days=2) if upcoming else start,
            ends_at=end,
        )
        discounts += 1
    first = instructors[0]
    coupon_create(
        user=first.user,
        code=DEMO_COUPONS[0],
        kind="amount",
        value=Decimal(20),
        minimum_amount=Decimal(99),
        usage_limit=100,
        per_learner_limit=1,
        valid_from=start,
        valid_until=end,
    )
    coupons += 1
    if len(instructors) > 1:
        coupon_create(
            user=instructors[1].user,
            code=DEMO_COUPONS[1],
            kind="percent",
            value=Decimal(10),
            usage_limit=500,
            per_learner_limit=2,
            valid_from=start,
            valid_until=end,
        )
        coupons += 1
    courses = _paid_courses(first, now)[:3]
    regular = sum((c.price for c in courses), Decimal(0))
    bundle_create(
        user=first.user,
        title=f"{first.display_name}的课程全家桶",
        description="三门课一起学，比单买更划算",
        courses=courses,
        price=(regular * Decimal("0.6")).quantize(Decimal("1"), rounding=ROUND_DOWN),
        starts_at=start,
        ends_at=end,
    )
    bundles += 1
    return CampaignSummary(discounts, coupons, bundles)


def campaign_counts() -> CampaignSummary:
    owned = _demo_instructors()
    return CampaignSummary(
        Discount.objects.filter(instructor__in=owned).count(),
        Coupon.objects.filter(instructor__in=owned).count(),
        Bundle.objects.filter(instructor__in=owned).count(),
    )
