"""An instructor opens their dashboard in a browser: the charts draw (Chart.js from the page's
JSON, no inline script), nothing is refused by the Content-Security-Policy, and on a phone every
target is big enough to tap; a learner's click on a live's shelf reaches the dashboard.
Screenshots: var/screenshots/analytics-*.png."""

import random
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.rollups import rollup_run
from commerce.models import Order, OrderLine
from liveroom.models import Message
from recommendations.models import Event
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.browser.test_journeys import sign_in
from tests.browser.test_tap_targets import MINIMUM, UNDERSIZED_TARGETS
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ShortVideoFactory,
    UserFactory,
)


@pytest.fixture
def busy_instructor():
    """Sixty learners' fortnight with one instructor's course, lessons, video and live."""
    rng = random.Random(7)
    teacher = InstructorFactory(display_name="王老师", user__username="wang1")
    course = CourseFactory(instructor=teacher, title="Python 数据分析入门", price=Decimal("99"))
    lessons = [
        LessonFactory(chapter__course=course, title=f"第{n}课", duration_seconds=900)
        for n in range(1, 4)
    ]
    video = ShortVideoFactory(instructor=teacher, title="三分钟学会透视表", duration_seconds=90)
    now = timezone.now()
    live = LiveSessionFactory(
        instructor=teacher,
        course=course,
        title="周末直播：数据分析答疑",
        status="ended",
        scheduled_start=now - timedelta(days=2, hours=2),
        scheduled_end=now - timedelta(days=2),
    )
    shelf = LiveShelfItemFactory(
        live_session=live,
        is_pinned=True,
        product__title="数据分析实战手册",
        product__price=Decimal("89"),
    )
    learners = [UserFactory() for _ in range(60)]
    events = []

    def add(user, kind, obj_type, obj_id, at, **extra):
        events.append(
            Event(
                user=user,
                event_type=kind,
                object_type=obj_type,
                object_id=obj_id,
                client="server" if kind in Event.SERVER_ONLY_TYPES else "web",
                client_ts=at,
                server_ts=at,
                client_event_id=uuid.uuid4(),
                **extra,
            )
        )

    for day in range(14):
        for user in rng.sample(learners, 40):
            at = now - timedelta(days=day, minutes=rng.randint(0, 600))
            page = rng.choice(["home_courses", "search", "", "videos"])
            add(user, "impression", "course", course.pk, at, page=page)
            add(user, "impression", "video", video.pk, at, page="videos")
            if rng.random() < 0.6:
                add(user, "click", "course", course.pk, at, page=page)
                add(user, "view", "course", course.pk, at, page="course")
                for lesson in lessons:
                    add(user, "watch", "lesson", lesson.pk, at, value=rng.random() ** 0.5)
            if rng.random() < 0.3:
                add(user, "cart", "course", course.pk, at)
            add(user, "watch", "video", video.pk, at, value=rng.random())
    for user in learners:
        at = live.scheduled_start + timedelta(minutes=rng.randint(0, 110))
        add(user, "watch", "live", live.pk, at, value=0.5)
        if rng.random() < 0.5:
            add(user, "click", "product", shelf.product_id, at, page="live_shelf")
    Event.objects.bulk_create(events)
    posted = Message.objects.bulk_create(
        Message(live_session=live, author=rng.choice(learners), text="老师讲得好")
        for _ in range(300)
    )
    for message in posted:  # busier in the middle of the session
        minutes = min(119, max(0, int(rng.gauss(60, 25))))
        Message.objects.filter(pk=message.pk).update(
            created_at=live.scheduled_start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        )
    for n, user in enumerate(learners[:25]):
        paid = now - timedelta(days=n % 14, hours=1)
        in_live = n % 3 == 0
        order = Order.objects.create(
            number=f"B{n:08d}",
            user=user,
            status="paid",
            total=Decimal("99"),
            paid_at=paid,
            live_session=live if in_live else None,
        )
        item = {"product": shelf.product} if in_live else {"course": course}
        OrderLine.objects.create(order=order, title="x", unit_price=Decimal("99"), **item)
        if in_live:
            Order.objects.filter(pk=order.pk).update(
                paid_at=live.scheduled_start + timedelta(minutes=10 * n % 110)
            )
    rollup_run()
    return teacher


def test_the_dashboard_draws_its_charts_on_desktop_and_phone(page, shot, busy_instructor):
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.on("pageerror", lambda error: refused.append(str(error)))
    sign_in(page, busy_instructor.user)
    page.goto("/studio/analytics/")
    page.wait_for_load_state("networkidle")
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map((c) => !!Chart.getChart(c))"
    )
    assert len(drawn) == 3 and all(drawn)  # money, drop-off, the live session
    assert page.get_by_test_id("privacy-note").is_visible()
    assert "ε = 0.5" in page.get_by_test_id("privacy-note").inner_text()
    page.select_option("#watch-pick", index=1)
    assert page.get_by_test_id("chat-rate").inner_text() == "每分钟 2.5 条消息"  # 300 in 2 h
    live_chart = page.evaluate(
        "() => Chart.getChart(document.querySelector('[data-live-chart]')).data.datasets"
        ".map((d) => d.label)"
    )
    assert live_chart[:2] == ["观众", "每分钟消息数"]  # the chat rate beside the viewers
    shot(page, "analytics-desktop")
    page.get_by_test_id("live").screenshot(path=str(SCREENSHOTS / "analytics-live.png"))
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.evaluate(UNDERSIZED_TARGETS, MINIMUM) == []
    shot(page, "analytics-phone")
    assert refused == []


def test_a_click_on_a_live_shelf_reaches_the_instructors_dashboard(page, shot, settings):
    settings.ANALYTICS_DP_EPSILON = 1e6  # no noise: the one click shows as one
    settings.ANALYTICS_DP_DAILY_EPSILON = 1e7
    settings.ANALYTICS_DP_SUPPRESS_BELOW = 1
    teacher = InstructorFactory(display_name="李老师", user__username="li1")
    now = timezone.now()
    live = LiveSessionFactory(
        instructor=teacher,
        title="今晚直播：手账入门",
        status="live",
        scheduled_start=now - timedelta(minutes=20),
        scheduled_end=now + timedelta(minutes=40),
    )
    pinned = LiveShelfItemFactory(live_session=live, is_pinned=True, product__title="手账本")
    LiveShelfItemFactory(live_session=live, product__title="彩色胶带")
    learner = UserFactory()
    sign_in(page, learner)
    page.goto(f"/live/{live.slug}/")
    page.locator(".shelf-item.pinned .shelf-title").click()  # leaves for the product's page
    page.wait_for_url(f"**/products/{pinned.product.slug}/")
    deadline = time.monotonic() + 10
    clicks = Event.objects.filter(event_type="click", page="live_shelf", user=learner)
    while not clicks.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    click = clicks.get()
    assert (click.object_type, click.object_id) == ("product", pinned.product_id)
    rollup_run()
    page.context.clear_cookies()
    sign_in(page, teacher.user)
    page.goto("/studio/analytics/")
    row = page.get_by_test_id("live").locator("tbody tr", has_text="手账本")
    assert row.locator("td").first.inner_text() == "1"  # shelf clicks
    other = page.get_by_test_id("live").locator("tbody tr", has_text="彩色胶带")
    assert other.locator("td").first.inner_text() == "<1"  # none: below the threshold of 1
    shot(page, "analytics-shelf-click")
