"""Browser tests: Playwright (sync API) drives the system's chromium, headless, against
pytest-django's ``live_server``.

Without chromium the tests skip on a developer's machine and fail when CI=true (``make test``
installs it). Each test saves screenshots to ``var/screenshots/``.
"""

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="package")
def browser():
    """One chromium for the browser tests, closed when they are done: Playwright's sync API keeps
    an event loop running in the test thread, where the async tests that follow (the live room's
    WebSocket consumers) must start their own."""
    executable = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if executable is None:
        message = f"chromium is not installed at {CHROMIUM}"
        if IN_CI:
            pytest.fail(f"{message}, and CI=true requires it", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests
    # make from that thread are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class RequestsInFlight:
    """Counts the live server's requests in flight, by Django's request signals.

    The pages send events every few seconds and as they close; the tables are emptied after
    each test, and a request still writing then deadlocks that. ``wait_idle`` returns once no
    request has run for a moment."""

    def __init__(self):
        self.changed = threading.Condition()
        self.running = 0
        self.last = time.monotonic()
        request_started.connect(self.started, dispatch_uid=id(self))
        request_finished.connect(self.finished, dispatch_uid=id(self))

    def started(self, **kwargs):
        with self.changed:
            self.running += 1
            self.last = time.monotonic()

    def finished(self, **kwargs):
        with self.changed:
            self.running -= 1
            self.last = time.monotonic()
            self.changed.notify_all()

    def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while time.monotonic() < deadline:
                if self.running <= 0 and time.monotonic() - self.last >= quiet:
                    return
                self.changed.wait(0.05)

    def close(self) -> None:
        request_started.disconnect(dispatch_uid=id(self))
        request_finished.disconnect(dispatch_uid=id(self))


@pytest.fixture
def page(browser, live_server, transactional_db):
    """A fresh Chinese-speaking desktop browser tab on the live server."""
    cache.clear()
    requests = RequestsInFlight()
    context = browser.new_context(
        viewport=DESKTOP, locale="zh-CN", base_url=live_server.url, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
    requests.wait_idle()  # the last events, sent as the page closed, are stored
    requests.close()
    cache.clear()


@pytest.fixture
def shot():
    """``shot(page, name)`` saves a full-page screenshot to var/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
