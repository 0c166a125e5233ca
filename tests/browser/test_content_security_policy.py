"""Every page keeps working under the Content-Security-Policy: walking the main journeys in a real
browser reports no violation of the policy, neither in the console nor as a
``securitypolicyviolation`` event, and the pages' scripts still run."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from demo.covers import cover_svg, save_svg
from recommendations.models import ModelVersion
from tests.browser.conftest import PHONE
from tests.browser.test_journeys import sign_in
from tests.commerce.factories import EnrollmentFactory
from tests.factories import (
    PASSWORD,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    UserFactory,
)
from tests.test_uploads import HOSTILE_SVG, png_bytes
from tests.web.conftest import make_catalog, make_course

# Recorded by the page itself, before any of its own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


class Violations:
    """What the browser reported about the policy while a tab was open."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(f"{self.page.url}: {text}")

    def on(self, url: str) -> list[str]:
        """Open ``url``, let its scripts run, and return what it reported."""
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        return self.reported()

    def reported(self) -> list[str]:
        events = self.page.evaluate("() => window.__cspViolations || []")
        return self.console + [f"{self.page.url}: {e}" for e in events]


@pytest.fixture
def violations(page):
    return Violations(page)


@pytest.fixture
def catalog(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    courses = make_catalog(3)
    # Covers as the demo draws them (stored directly) and as an instructor uploads them.
    first = courses[0]
    first.cover = save_svg(
        name="covers/courses/demo.svg",
        svg=cover_svg(title=first.title, caption="编程", colour="#3366cc", glyph="数", variant=1),
    )
    first.save()
    first.instructor.avatar = SimpleUploadedFile("avatar.svg", HOSTILE_SVG, "image/svg+xml")
    first.instructor.save()
    courses[1].cover = SimpleUploadedFile("cover.png", png_bytes((64, 36)), "image/png")
    courses[1].save()
    now = timezone.now()
    live = LiveSessionFactory(
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
        flash_price=Decimal("9"),
        flash_starts_at=now - timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=25),
    )
    upcoming = LiveSessionFactory(scheduled_start=now + timedelta(hours=3))
    return {
        "courses": courses,
        "live": live,
        "upcoming": upcoming,
        "video": ShortVideoFactory(instructor=courses[0].instructor),
        "product": ProductFactory(),
    }


def test_a_visitor_browses_without_violations(violations, catalog):
    course, live = catalog["courses"][0], catalog["live"]
    lesson = course.lessons.get(is_free_preview=True)
    page = violations.page
    assert violations.on("/") == []
    # The covers (the demo's SVG, an uploaded PNG) show, from the site's own media.
    covers = page.locator("img[src^='/media/covers/']")
    assert covers.count() >= 2
    for cover in covers.all():
        cover.scroll_into_view_if_needed()
        expect(cover).to_have_js_property("complete", True)
        assert cover.evaluate("img => img.naturalWidth") > 0
    assert violations.on(f"/instructors/{course.instructor.slug}/") == []
    avatar = page.locator(".avatar img")
    assert avatar.evaluate("img => img.naturalWidth") > 0  # the filtered SVG still shows
    for url in [
        "/browse/",
        "/browse/?type=live",
        "/browse/?q=%E8%AF%BE",
        f"/courses/{course.slug}/",
        f"/lessons/{lesson.pk}/",
        f"/live/{live.slug}/",
        f"/live/{catalog['upcoming'].slug}/",
        "/videos/",
        f"/products/{catalog['product'].slug}/",
        f"/instructors/{course.instructor.slug}/",
        "/how-recommendations-work/",
        "/accounts/login/",
        "/accounts/signup/",
        "/no-such-page/",
    ]:
        assert violations.on(url) == []
    # The page script ran: countdowns ticked over from their server-rendered text.
    violations.page.goto(f"/live/{catalog['upcoming'].slug}/")
    expect(violations.page.locator("[data-countdown]").first).to_have_text(
        re.compile(r"^\d{2}:\d{2}:\d{2}$")
    )


def test_a_learner_buys_learns_and_manages_privacy_without_violations(violations, catalog):
    course = make_course(title="商业写作训练营", price=Decimal("199"))
    user = UserFactory()
    EnrollmentFactory(user=user, course=catalog["courses"][1])
    sign_in(violations.page, user)
    page = violations.page
    assert violations.reported() == []
    assert violations.on(f"/courses/{course.slug}/") == []
    page.get_by_role("button", name="加入购物车").click()
    page.wait_for_load_state("networkidle")
    assert violations.on("/cart/") == []
    page.get_by_test_id("checkout").click()
    page.wait_for_url("**/me/orders/*/")
    expect(page.locator(".receipt")).to_contain_text("已支付")
    lesson = catalog["courses"][1].lessons.get(is_free_preview=False)
    for url in ["/me/orders/", "/me/learning/", f"/lessons/{lesson.pk}/", "/privacy/", "/"]:
        assert violations.on(url) == []
    # Scripts that talk to the site still do: progress is saved, events reach the beacon.
    page.goto(f"/lessons/{lesson.pk}/")
    saved = page.evaluate("() => window.zhibo.saveProgress(true, 300)")
    assert saved["percent_watched"] == 50
    with page.expect_response("**/events/"):
        page.evaluate("() => window.zhibo.flush(false)")
    assert violations.reported() == []


def test_the_phone_layout_has_no_violations(violations, catalog):
    violations.page.set_viewport_size(PHONE)
    for url in ["/", f"/courses/{catalog['courses'][0].slug}/", "/videos/", "/cart/"]:
        assert violations.on(url) == []


def test_the_admin_works_under_the_policy(violations, catalog, shot):
    admin = UserFactory(is_staff=True, is_superuser=True)
    for ndcg in (0.1, 0.2, 0.3):
        ModelVersion.objects.create(
            status=ModelVersion.Status.RETIRED,
            metrics={"ndcg@10": ndcg, "recall@10": 0.5, "coverage": 0.4},
        )
    page = violations.page
    page.goto("/admin/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    course = catalog["courses"][0]
    for url in [
        "/admin/",
        "/admin/courses/course/",
        f"/admin/courses/course/{course.pk}/change/",
        "/admin/courses/course/add/",
        "/admin/courses/livesession/add/",
        "/admin/recommendations/modelversion/",
        "/admin/recommendations/event/",
        "/admin/token_blacklist/outstandingtoken/",
    ]:
        assert violations.on(url) == []
    # Adding a course: its chapters' inline adds rows, its tags' autocomplete opens, and its
    # slug follows the title.
    page.goto("/admin/courses/course/add/")
    page.locator("#id_title").press_sequentially("Data 101")
    expect(page.locator("#id_slug")).to_have_value("data-101")
    rows = page.locator("#chapters-group tbody tr.form-row")
    before = rows.count()
    page.locator("#chapters-group .add-row a").click()
    expect(rows).to_have_count(before + 1)
    page.locator("#id_tags + .select2").click()
    expect(page.locator(".select2-results")).to_be_visible()
    shot(page, "admin-course-add")
    # The permissions' two-list chooser (its filter is a script of Django's).
    page.goto("/admin/auth/group/add/")
    page.fill("#id_permissions_input", "课程")
    page.press("#id_permissions_input", "End")  # the filter follows key presses
    expect(page.locator("#id_permissions_from option").first).to_contain_text("课程")
    shot(page, "admin-group-add", full_page=False)
    page.goto("/admin/recommendations/modelversion/")
    expect(page.locator(".metrics-chart polyline")).to_have_count(3)
    shot(page, "admin-model-versions")
    assert violations.reported() == []


# ReDoc's bundle shows its vendor's logo from outside; the policy blocks that one image (and
# ReDoc then leaves it out): the policy doing its job, not a page that needs more.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_render_from_local_assets_under_the_policy(
    violations, live_server, path, shot
):
    page = violations.page
    loaded = []  # what was fetched: a request the policy blocks fails instead
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.goto(path)
    if path == "/api/docs/":
        expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    else:
        expect(page.locator(".api-content h1").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot(page, "api-" + path.strip("/").split("/")[-1], full_page=False)
    assert [v for v in violations.reported() if REDOC_LOGO not in v] == []
    assert [url for url in loaded if not url.startswith((live_server.url, "data:", "blob:"))] == []
