"""The search page in a browser: highlighted results, the sort links, suggestions while typing
(static/js/search.js, under the Content-Security-Policy), "did you mean" and the empty state, on
a desktop and a phone."""

from decimal import Decimal

import pytest

from courses.search import search_index_items
from tests.browser.conftest import PHONE
from tests.browser.test_tap_targets import undersized
from tests.factories import CourseFactory, TagFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog():
    python = TagFactory(name="Python", slug="python")
    courses = [
        CourseFactory(
            title="Python 数据分析入门",
            subtitle="从 Pandas 到可视化，用 Python 讲好数据故事",
            price=Decimal("99"),
            tags=[python],
        ),
        CourseFactory(title="Python 爬虫实战", subtitle="抓取、清洗与存储", tags=[python]),
        CourseFactory(title="PyTorch 深度学习", subtitle="从张量到模型训练", price=Decimal("0")),
        CourseFactory(title="Excel 数据透视表", subtitle="十分钟做出老板爱看的报表"),
    ]
    search_index_items("course", [c.pk for c in courses])
    return courses


def test_results_suggestions_and_did_you_mean_on_a_desktop(page, catalog, shot):
    page.goto("/browse/?type=course&q=pyhton")
    assert page.locator("[data-testid=search-hit]").count() == 2
    assert page.locator(".search-hit mark").first.inner_text() == "Python"
    assert page.locator("[data-testid=did-you-mean] a").inner_text() == "python"
    shot(page, "search-desktop")
    page.locator('.sort-links a[href$="sort=price"]').click()
    page.wait_for_url("**sort=price**")
    box = page.locator("#f-q")
    box.fill("")
    box.type("pyt", delay=40)
    suggestions = page.locator("#f-q ~ .suggestions")
    suggestions.locator("a").first.wait_for()
    assert "PyTorch 深度学习" in suggestions.inner_text()
    shot(page, "search-suggestions-desktop", full_page=False)
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/courses/**")


def test_the_empty_state_and_suggestions_on_a_phone(page, catalog, shot):
    page.set_viewport_size(PHONE)
    page.goto("/browse/?type=course&q=量子力学")
    assert page.locator("[data-testid=search-empty]").is_visible()
    shot(page, "search-empty-phone")
    assert undersized(page, "/browse/?type=course&q=量子力学") == []
    assert undersized(page, "/browse/?type=course&q=pyhton") == []  # with "did you mean"
    page.goto("/browse/?type=course&q=数据")
    assert page.locator("[data-testid=search-hit]").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "search-phone")
    header = page.locator("#site-search")
    header.fill("excel")
    page.locator("#site-search ~ .suggestions a").first.wait_for()
    shot(page, "search-suggestions-phone", full_page=False)
    header.press("Escape")
    assert not page.locator("#site-search ~ .suggestions").is_visible()
