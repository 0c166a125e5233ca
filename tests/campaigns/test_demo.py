"""The demo seeds a few running campaigns and coupons, once."""

import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.models import Bundle, Coupon
from courses.models import Discount
from courses.pricing import course_offer
from demo.campaigns import DEMO_COUPONS, build_campaigns, campaign_counts
from demo.catalog import build_catalog, delete_demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_runs_discounts_coupons_and_a_bundle_once():
    now = timezone.now().replace(microsecond=0)
    build_catalog(seed=7, scale=0.1, now=now, admin_password="zhibo-admin-x")
    summary = build_campaigns(seed=7, now=now)
    assert summary.discounts == 4 and summary.coupons == 2 and summary.bundles == 1
    assert set(Coupon.objects.values_list("code", flat=True)) == set(DEMO_COUPONS)
    running = [d for d in Discount.objects.running(now)]
    assert len(running) == 3  # the fourth starts in two days
    course = running[0].courses.first()
    assert course_offer(course, now).discounted
    bundle = Bundle.objects.get()
    assert bundle.price < sum(c.price for c in bundle.courses.all())
    assert build_campaigns(seed=7, now=now).discounts == 0  # once
    assert campaign_counts() == summary
    delete_demo_data()
    assert campaign_counts().discounts == 0
    assert not Coupon.objects.exists()


def test_no_demo_instructors_no_campaigns():
    assert build_campaigns(seed=1, now=datetime(2026, 1, 1, tzinfo=UTC)).coupons == 0


def test_seed_demo_prints_its_campaigns(settings, tmp_path):
    from io import StringIO

    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command(
        "seed_demo", "--scale", "0.05", "--no-media", "--events-per-learner", "0", stdout=out
    )
    assert re.search(
        r"campaigns: \d+ discounts, \d+ coupons \(ZHIBO20, WELCOME10\), 1 bundle", out.getvalue()
    )
