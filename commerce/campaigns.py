"""Campaigns (营销活动) of commerce: coupons and course bundles, their writes and what is running.

Time-limited discounts belong to the catalog (``courses.models.Discount``,
``courses.services.discount_create``) because they change the price everyone sees, which
``courses.pricing`` alone computes; coupons (``commerce.coupons``) and bundles
(``commerce.bundles``) apply at checkout only. Each campaign is about its instructor's own
courses (``courses.services.campaign_courses_check``), and none names a learner: every learner
sees and gets the same terms.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from commerce.models import Bundle, Coupon
from courses.models import Course, Discount, Instructor
from courses.pricing import Offer, course_offer
from courses.services import campaign_courses_check


def _instructor_of(user, instructor: Instructor | None) -> Instructor | None:
    if instructor is not None and user.is_superuser:
        return instructor
    return Instructor.objects.filter(user=user).first()


@transaction.atomic
def coupon_create(
    *,
    user,
    code: str,
    kind: str,
    value,
    valid_from,
    valid_until,
    courses=(),
    usage_limit: int = 100,
    per_learner_limit: int = 1,
    minimum_amount=0,
    instructor: Instructor | None = None,
) -> Coupon:
    """A coupon for the user's own courses (all of them when ``courses`` is empty; staff choose
    ``instructor``). Codes are unique whatever their letter case."""
    instructor = _instructor_of(user, instructor)
    courses = list(courses)
    campaign_courses_check(instructor=instructor, courses=courses, required=False)
    coupon = Coupon(
        instructor=instructor,
        code=(code or "").strip(),
        kind=kind,
        value=value,
        valid_from=valid_from,
        valid_until=valid_until,
        usage_limit=usage_limit,
        per_learner_limit=per_learner_limit,
        minimum_amount=minimum_amount,
    )
    coupon.full_clean()
    coupon.save()
    coupon.courses.set(courses)
    return coupon


@transaction.atomic
def bundle_create(
    *,
    user,
    title: str,
    courses,
    price,
    starts_at,
    ends_at,
    description="",
    instructor: Instructor | None = None,
) -> Bundle:
    """A bundle of the user's own courses at one price during a period."""
    instructor = _instructor_of(user, instructor)
    courses = list(courses)
    campaign_courses_check(instructor=instructor, courses=courses)
    bundle = Bundle(
        instructor=instructor,
        title=title,
        description=description,
        price=price,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    bundle.full_clean()
    bundle.save()
    bundle.courses.set(courses)
    return bundle


@dataclass(frozen=True)
class DiscountedCourse:
    course: Course
    offer: Offer


@dataclass(frozen=True)
class RunningCampaigns:
    """What is on offer to everyone now: discounted courses (soonest ending first) and bundles."""

    courses: list[DiscountedCourse]
    bundles: list[Bundle]

    def __bool__(self):
        return bool(self.courses or self.bundles)


def campaigns_running(*, at: datetime | None = None, limit: int = 12) -> RunningCampaigns:
    """The published courses with a running discount and the running bundles, the same for
    everyone; three queries."""
    at = at or timezone.now()
    running = Discount.objects.running(at).values("courses")
    courses = (
        Course.objects.published(at)
        .filter(pk__in=running)
        .select_related("instructor")
        .order_by("pk")
    )
    discounted = [DiscountedCourse(c, course_offer(c, at)) for c in courses]
    discounted = [d for d in discounted if d.offer.discounted]
    discounted.sort(key=lambda d: (d.offer.ends_at, d.course.pk))
    bundles = list(
        Bundle.objects.running(at)
        .select_related("instructor")
        .prefetch_related("courses")
        .order_by("ends_at", "pk")[:limit]
    )
    return RunningCampaigns(courses=discounted[:limit], bundles=bundles)
