"""In a real browser: the short-video feed pages on as the learner scrolls. The videos appended
play (HLS), show the reason they were picked, count their views and take likes like the first
ones, until the feed ends; screenshots at desktop and phone widths."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.celery_app import app
from courses import media
from courses.models import MediaAsset, ShortVideo
from recommendations.models import Event
from recommendations.services.profiles import interests_declare
from tests.browser.conftest import PHONE
from tests.browser.test_journeys import sign_in
from tests.factories import InstructorFactory, ShortVideoFactory, TagFactory, UserFactory
from tests.media.conftest import make_clip


@pytest.fixture
def feed_of_seven(settings, tmp_path, monkeypatch):
    """Seven playable videos (one short clip, transcoded to HLS) on pages of three; four carry
    the tag a learner likes, so their picks run into the second page."""
    monkeypatch.setattr("web.views.catalog.FEED_PAGE_SIZE", 3)
    settings.STORAGES = {
        **settings.STORAGES,
        "media_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-media"},
        },
    }
    instructor = InstructorFactory(display_name="周老师")
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        clip = make_clip(tmp_path / "clip.mp4", seconds=4, size="360x640", audio=False)
        asset = media.media_asset_import(instructor=instructor, path=clip, title="clip")
    finally:
        app.conf.task_always_eager = before
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    python = TagFactory(name="Python")
    now = timezone.now()
    videos = [
        ShortVideoFactory(  # each its own instructor: picks are spread over instructors
            instructor=InstructorFactory(display_name=f"老师{i + 1}"),
            title=f"第 {i + 1} 条：Python 小技巧" if i % 2 else f"第 {i + 1} 条：每天进步一点",
            slug=f"tip-{i + 1}",
            published_at=now - timedelta(minutes=i),
            tags=[python] if i % 2 or i == 6 else [],
        )
        for i in range(7)
    ]
    # One transcoded clip for all (the studio attaches an instructor's own files only).
    ShortVideo.objects.filter(pk__in=[video.pk for video in videos]).update(media=asset)
    learner = UserFactory(username="xiaoming")
    interests_declare(user=learner, tags=[python])
    return learner, videos


def show(page, index: int) -> None:
    """Scroll the feed to its ``index``-th video, as a learner's swipe would."""
    page.locator("[data-feed-item]").nth(index).scroll_into_view_if_needed()


def test_the_feed_appends_the_next_pages_as_the_learner_scrolls(page, shot, feed_of_seven):
    learner, videos = feed_of_seven
    sign_in(page, learner)
    page.goto("/videos/")
    items = page.locator("[data-feed-item]")
    expect(items).to_have_count(3)
    assert items.nth(0).locator(".reason").inner_text().startswith("因为你喜欢")
    shot(page, "video-feed-first-page-desktop", full_page=False)

    show(page, 1)  # nearing the end of the page: the next one is fetched ahead
    expect(items).to_have_count(6)
    appended = items.nth(3)
    # The fourth pick came on the second page, still with its reason; then the newest first.
    expect(appended.locator(".reason")).to_contain_text("Python")
    expect(items.nth(4).locator(".reason")).to_have_count(0)
    assert page.url.endswith("/videos/")

    show(page, 3)
    video = appended.locator("video")
    expect(video).to_have_attribute("data-hls-level", re.compile(r"^\d+$"), timeout=15_000)
    page.wait_for_function(
        "(v) => v.currentTime > 0.3 && !v.paused", arg=video.element_handle(), timeout=15_000
    )
    assert items.nth(0).locator("video").evaluate("(v) => v.paused")  # the one out of view
    shot(page, "video-feed-appended-playing-desktop", full_page=False)

    like = appended.locator("[data-testid=like]")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    slug = appended.get_attribute("id").removeprefix("v-")
    assert ShortVideo.objects.get(slug=slug).like_count == 1
    appended.locator("[data-testid=comments-open]").click()
    expect(appended.locator("[data-comments]")).to_be_visible()
    appended.locator("[data-close-comments]").click()

    show(page, 4)
    expect(items).to_have_count(7)
    expect(page.locator(".feed-end")).to_have_count(1)
    expect(page.locator("[data-feed-more]")).to_have_count(0)
    ids = page.eval_on_selector_all("[data-feed-item]", "(els) => els.map((e) => e.id)")
    assert sorted(ids) == sorted(f"v-{video.slug}" for video in videos)  # each once

    page.evaluate("() => window.zhibo.flush(false)")
    picked = ShortVideo.objects.get(slug=slug)
    for _ in range(50):
        view = Event.objects.filter(user=learner, event_type="view", object_id=picked.pk).first()
        if view is not None:
            break
        page.wait_for_timeout(100)
    assert view is not None and view.request_id  # a pick's view carries the request id
    # Impressions, as for other tracked cards: the first page's videos and the appended ones
    # scrolled to (the fourth, a pick, and the fifth).
    slugs = [items.nth(n).get_attribute("id").removeprefix("v-") for n in (0, 1, 3, 4)]
    shown = set(ShortVideo.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    assert picked.pk in shown and len(shown) == 4
    for _ in range(50):
        page.evaluate("() => window.zhibo.flush(false)")
        impressions = Event.objects.filter(user=learner, event_type="impression")
        if shown <= set(impressions.values_list("object_id", flat=True)):
            break
        page.wait_for_timeout(100)
    assert shown <= set(impressions.values_list("object_id", flat=True))
    assert {e.object_type for e in impressions} == {"video"}
    assert {e.page for e in impressions} == {"feed"}
    assert impressions.get(object_id=picked.pk).request_id == view.request_id
    assert impressions.filter(object_id=picked.pk).count() == 1  # once per video

    page.locator(".feed-end").scroll_into_view_if_needed()
    shot(page, "video-feed-end-desktop", full_page=False)
    page.set_viewport_size(PHONE)
    page.goto("/videos/")
    expect(items).to_have_count(3)
    show(page, 2)
    expect(items).to_have_count(6)
    show(page, 3)
    page.wait_for_function(
        "(v) => v.currentTime > 0.3", arg=items.nth(3).locator("video").element_handle()
    )
    shot(page, "video-feed-appended-phone", full_page=False)


def test_without_javascript_the_more_link_opens_the_next_page(
    browser, live_server, transactional_db, monkeypatch, shot
):
    monkeypatch.setattr("web.views.catalog.FEED_PAGE_SIZE", 3)
    for i in range(4):
        ShortVideoFactory(title=f"视频 {i}", published_at=timezone.now() - timedelta(minutes=i))
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, locale="zh-CN", viewport=PHONE
    )
    try:
        page = context.new_page()
        page.goto("/videos/")
        expect(page.locator("[data-feed-item]")).to_have_count(3)
        page.locator("[data-feed-more]").scroll_into_view_if_needed()
        shot(page, "video-feed-more-link-phone", full_page=False)
        page.locator("[data-feed-more]").click()
        expect(page.locator("[data-feed-item]")).to_have_count(1)
        expect(page.locator("[data-feed-item] h2")).to_have_text("视频 3")
    finally:
        context.close()
