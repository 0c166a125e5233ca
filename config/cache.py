"""The cache as an accelerator that may be away: Redis errors are logged, never raised.

Serving must not fail because Redis is down; every cache access on a request path (the
recommender, the pages, the signed-in account, the API's throttles, the sign-in limits) goes
through these functions, which answer "not cached" (or "not stored") instead of raising. Counters
(``cache_incr``, used by the sign-in limits) answer "no count", and whoever counts lets the
request through.

An outage is logged once per process, when it starts (with the error), and once more when the
cache answers again; the requests in between, which may be thousands a second, log nothing.
"""

import contextlib
import logging
import threading
import time
import uuid

import redis
from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_ERRORS = (redis.RedisError, OSError)


class _Outage:
    """Whether this process found the cache away and has not seen it answer since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None  # time.monotonic() of the first failure

    def failed(self, doing: str) -> None:
        """Report a failed cache access (call from an ``except`` block); logged only if it
        starts an outage."""
        with self._lock:
            starts = self._since is None
            if starts:
                self._since = time.monotonic()
        if starts:
            logger.warning(
                "Cache unavailable (%s): carrying on without it until it answers again",
                doing,
                exc_info=True,
            )

    def answered(self) -> None:
        """Report a cache access that succeeded; ends an outage."""
        if self._since is None:  # the usual case: no lock on the request path
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            logger.info("Cache answers again after %.1f s", time.monotonic() - since)


outage = _Outage()


def cache_get(key: str, default=None):
    try:
        value = cache.get(key, default)
    except CACHE_ERRORS:
        outage.failed(f"reading {key}")
        return default
    outage.answered()
    return value


def cache_get_many(keys: list[str]) -> dict:
    try:
        values = cache.get_many(keys)
    except CACHE_ERRORS:
        outage.failed(f"reading {len(keys)} keys")
        return {}
    outage.answered()
    return values


def cache_set(key: str, value, timeout: int) -> bool:
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS:
        outage.failed(f"writing {key}")
        return False
    outage.answered()
    return True


def cache_add(key: str, value, timeout: int | None) -> bool:
    """Store ``value`` unless ``key`` holds something already; True if it was stored."""
    try:
        added = cache.add(key, value, timeout)
    except CACHE_ERRORS:
        outage.failed(f"writing {key}")
        return False
    outage.answered()
    return added


def cache_set_many(values: dict, timeout: int | None) -> bool:
    try:
        cache.set_many(values, timeout)
    except CACHE_ERRORS:
        outage.failed(f"writing {len(values)} keys")
        return False
    outage.answered()
    return True


def cache_incr(key: str, delta: int = 1, *, timeout: int | None = None) -> int | None:
    """Add ``delta`` to the number under ``key`` (atomically on Redis) and return the new number.

    A missing number starts at ``delta`` and lives ``timeout`` seconds, which counting again does
    not extend; with no ``timeout`` a missing number stays missing. None then, and when the cache
    is away.
    """
    try:
        counted = _incr(key, delta, timeout)
    except CACHE_ERRORS:
        outage.failed(f"counting {key}")
        return None
    outage.answered()
    return counted


def _incr(key: str, delta: int, timeout: int | None) -> int | None:
    for _attempt in range(3):
        if timeout is not None and cache.add(key, delta, timeout):
            return delta
        with contextlib.suppress(ValueError):  # missing, or expired since the add
            return cache.incr(key, delta)
        if timeout is None:
            return None
    return None


def cache_delete_many(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except CACHE_ERRORS:
        outage.failed(f"deleting {len(keys)} keys")
        return
    outage.answered()


def cache_token(cached: dict, key: str) -> str | None:
    """The version token under ``key`` from a ``cache_get_many`` answer that asked for it,
    starting a new one if there is none (never set, evicted, flushed: entries stored under an
    older token never match again); None when the cache is away."""
    token = cached.get(key)
    if token is None:
        cache_add(key, uuid.uuid4().hex, None)
        token = cache_get_many([key]).get(key)
    return token


def cache_token_renew(*keys: str) -> None:
    """Give each of ``keys`` a new version token."""
    cache_set_many({key: uuid.uuid4().hex for key in keys}, None)
