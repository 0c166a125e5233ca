"""On a phone every link and button is big enough to tap: at least 24 by 24 CSS pixels, or so far
from every other target that a 24-pixel circle around it touches none (WCAG 2.2, 2.5.8 Target
Size (Minimum)). Links inside a sentence are exempt, as the criterion exempts them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.conftest import PHONE
from tests.browser.test_journeys import sign_in
from tests.factories import (
    LiveSessionFactory,
    LiveShelfItemFactory,
    ShortVideoFactory,
    UserFactory,
)
from tests.web.conftest import make_catalog

MINIMUM = 24

# Returns the targets on the page that fail 2.5.8, with their size and what they say.
UNDERSIZED_TARGETS = """
(minimum) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [role=button], [tabindex]:not([tabindex="-1"])';
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  // A link in a sentence: inline, beside text of its block that is not its own.
  const inSentence = (el) => {
    if (getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement;
    const own = el.textContent.trim().length;
    return block && block.textContent.trim().length > own + 1;
  };
  const targets = [...document.querySelectorAll(selector)]
    .filter((el) => visible(el) && !el.closest('[hidden], [aria-hidden=true]'))
    // a target inside another (an icon in a button) is the same target
    .filter((el, _, all) => !all.some((other) => other !== el && other.contains(el)));
  const boxes = targets.map((el) => {
    const r = el.getBoundingClientRect();
    const x = r.left + window.scrollX, y = r.top + window.scrollY;
    return { el, x, y, w: r.width, h: r.height, cx: x + r.width / 2, cy: y + r.height / 2 };
  });
  const small = (b) => b.w < minimum - 0.5 || b.h < minimum - 0.5;
  const distanceToBox = (px, py, b) => {
    const dx = Math.max(b.x - px, 0, px - (b.x + b.w));
    const dy = Math.max(b.y - py, 0, py - (b.y + b.h));
    return Math.hypot(dx, dy);
  };
  const failing = [];
  for (const a of boxes) {
    if (!small(a) || inSentence(a.el)) continue;
    const crowded = boxes.some((b) => b !== a && (small(b)
      ? Math.hypot(a.cx - b.cx, a.cy - b.cy) < minimum
      : distanceToBox(a.cx, a.cy, b) < minimum / 2));
    if (crowded) {
      const label = (a.el.getAttribute('aria-label') || a.el.textContent || a.el.name || '')
        .trim().replace(/\\s+/g, ' ').slice(0, 30);
      failing.push(`${a.el.tagName.toLowerCase()}.${a.el.className || ''} "${label}" `
        + `${Math.round(a.w)}x${Math.round(a.h)}`);
    }
  }
  return failing;
}
"""


@pytest.fixture
def phone_catalog():
    courses = make_catalog(6)
    now = timezone.now()
    live = LiveSessionFactory(
        title="周末直播：数据分析答疑",
        instructor=courses[0].instructor,
        course=courses[0],
        status="live",
        scheduled_start=now - timedelta(minutes=20),
        scheduled_end=now + timedelta(hours=1),
        stream_url="https://media.zhibo.local/live/demo.m3u8",
    )
    LiveShelfItemFactory(
        live_session=live,
        is_pinned=True,
        product__title="数据分析实战手册",
        product__price=Decimal("89"),
        flash_price=Decimal("59"),
        flash_starts_at=now - timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=25),
    )
    LiveShelfItemFactory(live_session=live, product__title="机械键盘")
    ShortVideoFactory(instructor=courses[0].instructor, course=courses[0])
    return {"courses": courses, "live": live}


def undersized(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate(UNDERSIZED_TARGETS, MINIMUM)


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "learner"])
def test_every_target_on_the_main_pages_is_big_enough_to_tap_on_a_phone(
    page, shot, phone_catalog, signed_in
):
    page.set_viewport_size(PHONE)
    course, live = phone_catalog["courses"][0], phone_catalog["live"]
    if signed_in:
        sign_in(page, UserFactory())
        page.goto(f"/courses/{phone_catalog['courses'][1].slug}/")
        page.get_by_role("button", name="加入购物车").click()
        page.wait_for_load_state("networkidle")
    pages = {
        "home": "/",
        "course": f"/courses/{course.slug}/",
        "live": f"/live/{live.slug}/",
        "browse": "/browse/",
        "cart": "/cart/",
    }
    failing = {}
    for name, url in pages.items():
        found = undersized(page, url)
        if found:
            failing[name] = found
        shot(page, f"tap-targets-{'learner' if signed_in else 'visitor'}-{name}")
    assert failing == {}
