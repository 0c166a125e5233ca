"""Requests served through the ASGI application (the production web process) reach the database
and Redis through the process's pools, and a view on the process's threads hands its live-room
broadcasts to the server's loop. Under Django's ASGI handler each request's synchronous code ran
in a thread of its own: connections kept per thread were opened for every request and left
behind, until PostgreSQL refused more clients and every request paid a new connection to
Redis."""

import asyncio
import contextvars
import threading
import time

import pytest
import redis.connection
from channels.testing import HttpCommunicator
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import _missing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 30


class _PeakBackends:
    """The most connections to the test database seen at once while it runs, polled from a
    connection of its own."""

    def __init__(self):
        import psycopg

        params = connection.get_connection_params()
        where = {k: v for k, v in params.items() if k in {"dbname", "host", "port", "user"}}
        self._conn = psycopg.connect(**where, autocommit=True)
        self._stop = threading.Event()
        self.peak = 0

    def _count(self) -> int:
        return self._conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchone()[0]

    def __enter__(self):
        self.before = self._count()
        self._thread = threading.Thread(target=self._poll)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._count())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._conn.close()


@pytest.fixture
def learner_token():
    return f"Bearer {AccessToken.for_user(UserFactory())}"


async def _me(token: str) -> dict:
    """``GET /api/v1/me/`` through the ASGI application, as the web process serves it (not the
    test client's handler, which runs every request's code on one thread)."""
    from config.asgi import application

    communicator = HttpCommunicator(
        application,
        "GET",
        "/api/v1/me/",
        headers=[(b"host", b"testserver"), (b"authorization", token.encode())],
    )
    response = await communicator.get_response(timeout=30)
    await communicator.wait(timeout=30)  # the request ends after its response is sent
    return response


async def _requests(token: str, count: int = REQUESTS) -> None:
    """``count`` requests one after another, each in a context of its own, as the server runs
    each request in a task of its own (Django's connections and caches are per context)."""
    for _ in range(count):
        response = await asyncio.create_task(_me(token), context=contextvars.Context())
        assert response["status"] == 200


async def _at_once(token: str, count: int = REQUESTS) -> None:
    """``count`` requests at the same time, each in a context of its own."""
    responses = await asyncio.gather(
        *(asyncio.create_task(_me(token), context=contextvars.Context()) for _ in range(count))
    )
    assert [r["status"] for r in responses] == [200] * count


def test_asgi_requests_at_once_share_the_database_pool(learner_token):
    from asgiref.sync import async_to_sync

    if connection.vendor != "postgresql":
        _missing("PostgreSQL (the pool is PostgreSQL's)")
    with _PeakBackends() as backends:
        async_to_sync(_at_once)(learner_token)
    assert backends.peak - backends.before <= 10  # the pool's size, not one a request


def test_asgi_requests_share_the_redis_connections(learner_token, redis_url, settings, monkeypatch):
    from asgiref.sync import async_to_sync

    settings.CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "connections-test",
        }
    }
    async_to_sync(_requests)(learner_token, 1)  # the process's first connection
    opened = []
    connect = redis.connection.AbstractConnection.connect

    def counting_connect(self):
        if self._sock is None:  # a new socket, not a check of one the pool had
            opened.append(self)
        return connect(self)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counting_connect)
    async_to_sync(_requests)(learner_token)
    assert opened == []  # not one a request
