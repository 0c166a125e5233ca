"""Live rooms: a live that is on now, its instructor, learners, and WebSocket clients that
connect through the whole ASGI stack (origin check, session cookie, routing)."""

import asyncio
import gc
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.utils import timezone

from config.asgi import application
from courses.models import LiveSession
from tests.factories import LiveSessionFactory, UserFactory


@pytest.fixture(autouse=True)
def quick_ticks(settings):
    settings.LIVEROOM_LIKE_INTERVAL_SECONDS = 0.05


@pytest.fixture(scope="session", autouse=True)
def no_connection_left_behind(django_db_setup, django_db_blocker):
    """The consumers' worker threads may still hold a connection when the tests end (a count
    tick that began as a test closed): end those before the test database is dropped."""
    yield
    with django_db_blocker.unblock():
        connection = connections["default"]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def no_lasting_connections(monkeypatch):
    """The consumers' ORM calls run in a worker thread, whose connection would outlive the test
    (CONN_MAX_AGE) and keep the test database from being dropped: close it after each call."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture(autouse=True)
def connections_of_ended_threads_returned():
    """Each test's event loop has worker threads of its own; a count tick still running when a
    test ends finishes in a thread that then ends with its connection open, out of the pool's
    reach (the pool's connections are few: ten such and the next test waits for one). Before
    each test, the connections of threads that have ended are closed (back to the pool)."""
    alive = {thread.ident for thread in threading.enumerate()}
    for wrapper in gc.get_objects():
        if (
            BaseDatabaseWrapper in type(wrapper).__mro__  # not isinstance: lazy objects
            and wrapper.connection is not None
            and wrapper._thread_ident not in alive
        ):
            wrapper.inc_thread_sharing()
            wrapper.close()


@pytest.fixture
def live(db):
    now = timezone.now()
    return LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(minutes=30),
        scheduled_end=now + timedelta(hours=1),
    )


@pytest.fixture
def instructor_user(live):
    return live.instructor.user


@pytest.fixture
def learner(db):
    return UserFactory(username="xiaoming", first_name="小明")


@pytest.fixture
def other_learner(db):
    return UserFactory(username="xiaohong")


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def communicator(live_id: int, cookie: bytes | None = None, origin=b"http://testserver"):
    headers = [(b"host", b"testserver")]
    if origin:
        headers.append((b"origin", origin))
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/lives/{live_id}/", headers=headers)


async def joined(live_id: int, user=None) -> tuple[WebsocketCommunicator, dict]:
    """A client in the room (as ``user``, or anonymous) and the hello it got."""
    cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
    client = communicator(live_id, cookie)
    connected, _code = await client.connect()
    assert connected
    hello = await client.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return client, hello


async def next_event(client: WebsocketCommunicator, timeout: float = 5) -> dict:
    """The client's next event: a frame holds one, or several as an array when the room is
    busy (kept on the client for the next calls)."""
    kept = client.__dict__.setdefault("kept_events", [])
    if not kept:
        frame = await client.receive_json_from(timeout=timeout)
        kept.extend(frame if isinstance(frame, list) else [frame])
    return kept.pop(0)


async def next_of(client: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    """The next event of type ``kind`` (the counts' ticks may come in between)."""
    while True:
        event = await next_event(client, timeout=timeout)
        if event["type"] == kind:
            return event


async def nothing_but_counts(client: WebsocketCommunicator, wait: float = 0.3) -> None:
    """Assert that only likes and viewers ticks arrive for ``wait`` seconds (without timing
    out a receive, which would stop the application)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    kept = client.__dict__.setdefault("kept_events", [])
    while kept:
        assert kept[0]["type"] in {"likes", "viewers"}, kept[0]
        kept.pop(0)
    while loop.time() < deadline:
        if await client.receive_nothing(timeout=0.05, interval=0.01):
            continue
        frame = await client.receive_json_from()
        for event in frame if isinstance(frame, list) else [frame]:
            assert event["type"] in {"likes", "viewers"}, event
