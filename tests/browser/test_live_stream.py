"""A live class plays in a real browser: the demo broadcaster's stream starts on an open live
page without a reload, the video plays (its time advances) under the strict
Content-Security-Policy, the page says "ended" when the broadcast stops, and the replay plays
in the same player. Screenshots in var/screenshots/."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from courses import live as live_streams
from courses.models import LiveSession
from tests.browser.test_content_security_policy import Violations
from tests.factories import LiveSessionFactory, LiveShelfItemFactory


@pytest.fixture
def live_root(settings, tmp_path):
    settings.LIVE_ROOT = tmp_path / "live"
    settings.LIVE_FRESH_SECONDS = 4
    return settings.LIVE_ROOT


def broadcast_in_background(session, seconds: float) -> threading.Thread:
    def run():
        try:
            live_streams.live_broadcast(live_session=session, seconds=seconds, size="426x240")
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def current_time(page) -> float:
    return page.evaluate("() => document.querySelector('video[data-live-player]').currentTime")


def test_the_broadcast_plays_on_the_live_page_then_its_replay(page, shot, live_root):
    now = timezone.now()
    session = LiveSessionFactory(
        title="直播实操：十分钟上手",
        scheduled_start=now + timedelta(minutes=1),
        scheduled_end=now + timedelta(hours=1),
    )
    LiveShelfItemFactory(live_session=session, product__title="直播好物")
    violations = Violations(page)
    page.goto(f"/live/{session.slug}/")
    stage = page.locator("[data-live-stream]")
    expect(stage).to_have_attribute("data-state", "not_started")
    expect(page.locator(".badge-upcoming")).to_be_visible()
    expect(page.locator(".badge-live")).to_be_hidden()
    expect(page.locator("video[data-live-player]")).to_be_hidden()
    expect(page.locator(".shelf")).to_contain_text("直播好物")

    broadcaster = broadcast_in_background(session, seconds=12)
    try:
        expect(stage).to_have_attribute("data-state", "live", timeout=15_000)
        expect(page.locator(".badge-live")).to_be_visible()
        expect(page.locator(".badge-ended")).to_be_hidden()
        expect(page.locator(".badge-upcoming")).to_be_hidden()
        page.wait_for_function(
            "() => document.querySelector('video[data-live-player]').currentTime > 1",
            timeout=15_000,
        )
        first = current_time(page)
        page.wait_for_timeout(1500)
        assert current_time(page) > first  # it plays, not just loads
        shot(page, "live-stream-playing", full_page=False)
    finally:
        broadcaster.join(timeout=40)
    assert not broadcaster.is_alive()

    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED and session.recording
    expect(stage).to_have_attribute("data-state", "ended", timeout=10_000)
    expect(page.locator(".badge-ended")).to_be_visible()
    expect(page.locator(".badge-live")).to_be_hidden()

    # Opened afresh, the ended session plays its replay in the same player.
    page.goto(f"/live/{session.slug}/")
    expect(page.locator("[data-play-replay]")).to_have_text("回放")
    page.wait_for_function(
        "() => document.querySelector('video[data-live-player]').currentTime > 0.5",
        timeout=15_000,
    )
    shot(page, "live-stream-replay", full_page=False)
    assert violations.reported() == []
