"""The live room in real browsers, against the production web process (the Procfile's `web`
command: uvicorn serving the ASGI application, HTTP and WebSocket) on the test database: two
learners in one room see each other's messages, and the instructor pins a product from their
room page, which both learners' pages show without a reload. Screenshots of the room (desktop
and phone) and of the instructor's page."""

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import LiveSession
from liveroom import services
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_content_security_policy import Violations
from tests.conftest import _missing
from tests.factories import LiveSessionFactory, LiveShelfItemFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _web_command() -> str:
    """The production web process's command, as the Procfile gives it."""
    for line in (ROOT / "platform" / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("the Procfile names no web process")  # pragma: no cover


@pytest.fixture
def asgi_server(transactional_db):
    """The Procfile's web process (one worker) on a free loopback port, on this test's database
    and Redis, serving config.asgi."""
    port = _free_port()
    database = connection.settings_dict
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_DEBUG": "true",
        "LIVEROOM_LIKE_INTERVAL_SECONDS": "0.5",
    }
    if connection.vendor != "postgresql":  # pragma: no cover - the browser tests run on PostgreSQL
        _missing("PostgreSQL (the ASGI server shares the test database only there)")
    # Loopback only: the Procfile binds every interface, as a container's process must.
    command = _web_command().replace("--host 0.0.0.0", "--host 127.0.0.1")
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:  # pragma: no cover
        process.kill()
        pytest.fail(f"the web process did not start: {process.stderr.read().decode()[-2000:]}")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)
    connection.close()


def signed_in(browser, base_url, user, viewport=DESKTOP):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", base_url=base_url, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    return context


def test_two_learners_chat_and_see_the_pinned_product_change(browser, asgi_server, shot):
    now = timezone.now()
    live = LiveSessionFactory(
        title="直播带货：好书推荐",
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(minutes=20),
        scheduled_end=now + timedelta(hours=1),
    )
    LiveShelfItemFactory(live_session=live, product__title="精装笔记本")
    book = LiveShelfItemFactory(live_session=live, product__title="限量签名书")
    teacher = live.instructor.user
    teacher.first_name = "王老师"
    teacher.save()
    earlier = UserFactory(username="early", first_name="早到的")
    services.message_post(user=earlier, live_session=live, text="占个座")
    question = services.message_post(
        user=earlier, live_session=live, text="有回放吗？", is_question=True
    )
    services.message_answer(user=teacher, message_id=question.pk, answer="有的，结束后就能看")
    one, two = UserFactory(first_name="小明"), UserFactory(first_name="小红")

    first = signed_in(browser, asgi_server, one)
    second = signed_in(browser, asgi_server, two)
    studio = signed_in(browser, asgi_server, teacher)
    try:
        a, b = first.new_page(), second.new_page()
        violations = Violations(a)
        for page in (a, b):
            page.goto(f"/live/{live.slug}/")
            expect(page.locator("[data-room-log]")).to_contain_text("占个座")
            expect(page.locator("[data-pinned-message]")).to_contain_text("有的，结束后就能看")
        expect(a.locator("[data-viewers]")).to_have_text("2")

        a.get_by_test_id("room-text").fill("老师好！")
        a.get_by_test_id("room-send").click()
        expect(b.locator("[data-room-log]")).to_contain_text("老师好！")
        b.get_by_test_id("room-text").fill("这本书多少钱")
        b.locator("input[name=danmaku]").check()
        b.get_by_test_id("room-send").click()
        expect(a.locator("[data-room-log]")).to_contain_text("这本书多少钱")
        expect(a.locator(".danmaku-item")).to_have_text("这本书多少钱")

        a.get_by_test_id("room-like").click()
        a.get_by_test_id("room-like").click()
        expect(b.locator("[data-likes]")).to_have_text("2", timeout=5_000)

        # The instructor pins a product from their room page: both learners see it at once.
        s = studio.new_page()
        s.goto(f"/studio/lives/{live.pk}/")
        expect(s.locator("[data-room-log]")).to_contain_text("这本书多少钱")
        s.get_by_test_id(f"pin-{book.product_id}").click()
        for page in (a, b):
            expect(page.locator("[data-pinned-product]")).to_contain_text("限量签名书")
            expect(page.locator(".shelf-item.pinned")).to_contain_text("限量签名书")
        s.get_by_test_id(f"flash-price-{book.product_id}").fill("9.90")
        s.get_by_test_id(f"flash-start-{book.product_id}").click()
        expect(b.locator("[data-pinned-product]")).to_contain_text("¥9.90")
        # The shelf's own markup (price, buy button) follows, read again a moment later.
        for page in (a, b):
            expect(page.locator(".shelf-item.pinned")).to_contain_text("¥9.90")
        expect(s.locator("[data-room-log]")).to_contain_text("老师好！")
        shot(s, "live-room-studio")
        shot(a, "live-room-desktop")
        assert violations.reported() == []
    finally:
        first.close()
        second.close()
        studio.close()

    phone = signed_in(browser, asgi_server, one, viewport=PHONE)
    try:
        page = phone.new_page()
        page.goto(f"/live/{live.slug}/")
        expect(page.locator("[data-room-log]")).to_contain_text("老师好！")
        expect(page.locator("[data-pinned-product]")).to_contain_text("限量签名书")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        shot(page, "live-room-phone")
    finally:
        phone.close()


def test_an_anonymous_viewer_watches_and_is_asked_to_sign_in(browser, asgi_server, shot):
    now = timezone.now()
    live = LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(minutes=5),
        scheduled_end=now + timedelta(hours=1),
    )
    services.message_post(user=UserFactory(), live_session=live, text="欢迎欢迎")
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=asgi_server)
    try:
        page = context.new_page()
        page.goto(f"/live/{live.slug}/")
        expect(page.locator("[data-room-log]")).to_contain_text("欢迎欢迎")
        expect(page.get_by_test_id("room-signin")).to_be_visible()
        expect(page.get_by_test_id("room-text")).to_have_count(0)
        shot(page, "live-room-phone-anonymous")
    finally:
        context.close()


def test_the_web_process_sends_room_events_uncompressed(asgi_server):
    """Browsers offer per-message compression; the production web process declines it: a chat
    event is a couple of hundred bytes, and compressing each again for every viewer took a third
    of the server's time in a full room (docs/live-room.md)."""
    from websockets.sync.client import connect

    live = LiveSessionFactory(status=LiveSession.Status.LIVE)
    uri = asgi_server.replace("http://", "ws://") + f"/ws/lives/{live.pk}/"
    with connect(uri, origin=asgi_server, compression="deflate") as socket_:
        assert json.loads(socket_.recv(timeout=10))["type"] == "hello"
        assert "Sec-WebSocket-Extensions" not in socket_.response.headers
