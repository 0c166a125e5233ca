"""Shared test setup.

The suite runs against the database and cache named by DATABASE_URL and REDIS_URL (the README's
test command points them at the machine's PostgreSQL and Redis). Tests whose behaviour depends on
PostgreSQL or Redis ask for the ``postgres`` or ``redis_url`` fixtures: without those services they
skip on a developer's machine, and fail when CI=true, so CI can never pass without them.
"""

import contextlib
import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import translation

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(what: str):
    message = f"{what} is not available"
    if IN_CI:
        pytest.fail(f"{message}, and CI=true requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factories hash every test user's password; the slow production hasher adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_messages():
    """Services' messages are checked in English (their source language); pages set their own
    language per request through LocaleMiddleware, as for a visitor."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with nothing cached: database ids are reused between tests (rolled-back
    rows on SQLite, flushed tables), so anything remembered by id could be another test's.
    This covers the cache (Redis in CI), loaded models, the catalog ids ingestion trusts, the
    available items serving keeps and the active model version the home page remembers."""
    from courses.pricing import discount_board_forget
    from recommendations.services import events, serving
    from recommendations.training.artefacts import model_cache
    from web import home

    with contextlib.suppress(Exception):  # a test may point the cache at a dead server
        cache.clear()
    model_cache.clear()
    events._KNOWN_OBJECTS.clear()
    serving._available.clear()
    discount_board_forget()  # the discounts this process keeps
    home._version_memo[:] = [0.0, 0.0]  # read again at the first home page


@pytest.fixture
def cache_away(settings):
    """Call it to point the cache at a port where nothing listens, as when Redis is down."""

    def away():
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
            }
        }

    return away


@pytest.fixture
def postgres(db):
    """Marks a test that needs PostgreSQL (row locks, real concurrency)."""
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL)")
    return connection


@pytest.fixture
def redis_url():
    """The URL of a reachable Redis server (REDIS_URL)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        _missing("Redis (set REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing(f"Redis at {url} ({exc})")
    return url
