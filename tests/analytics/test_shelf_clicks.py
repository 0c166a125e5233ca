"""Clicks on a live page's shelf: every product on it (the pinned one too) is marked for the page
script, which sends a click with page "live_shelf" to the beacon, and the rollup counts it on the
live's shelf (the browser's side: tests/browser/test_analytics_dashboard.py)."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import LiveShelfBucket
from analytics.rollups import rollup_run
from courses.models import LiveSession
from recommendations.models import Event
from tests.factories import LiveSessionFactory, LiveShelfItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    now = timezone.now()
    live = LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(minutes=30),
        scheduled_end=now + timedelta(minutes=30),
    )
    LiveShelfItemFactory(live_session=live, product__title="签名书", is_pinned=True)
    LiveShelfItemFactory(live_session=live, product__title="笔记本")
    return live


def test_every_shelf_product_is_tracked_as_the_live_shelf(client, live):
    content = client.get(reverse("web:live", args=[live.slug])).content.decode()
    tracked = re.findall(r'<div class="shelf-item[^"]*"([^>]*)>', content)
    products = sorted(live.shelf_items.values_list("product_id", flat=True))
    assert len(tracked) == 2
    assert sorted(int(re.search(r'data-id="(\d+)"', attrs)[1]) for attrs in tracked) == products
    for attrs in tracked:
        assert 'data-track data-type="product"' in attrs and 'data-slot="live_shelf"' in attrs


def test_a_shelf_click_sent_to_the_beacon_is_stored_and_rolled_up(client, live):
    learner = UserFactory()
    client.force_login(learner)
    product_id = live.shelf_items.get(is_pinned=True).product_id
    click = {
        "client_event_id": str(uuid.uuid4()),
        "type": "click",
        "object_type": "product",
        "object_id": product_id,
        "page": "live_shelf",
        "client_ts": timezone.now().isoformat(),
    }
    response = client.post(reverse("web:beacon"), {"events": json.dumps([click])})
    assert response.status_code == 200 and response.json()["stored"] == 1
    stored = Event.objects.get(event_type="click")
    assert (stored.user, stored.object_id, stored.page) == (learner, product_id, "live_shelf")
    rollup_run()
    (bucket,) = LiveShelfBucket.objects.filter(live_session=live)
    assert (bucket.product_id, bucket.clicks) == (product_id, 1)
