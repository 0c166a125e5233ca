"""The cache as an accelerator that may be away: Redis errors are logged, never raised.

Serving must not fail because Redis is down; every cache access of the recommender goes through
these functions, which answer "not cached" (or "not stored") instead of raising. Counters
(``cache_incr``, used by the sign-in limits) answer "no count", and whoever counts lets the
request through.
"""

import contextlib
import logging
import uuid

import redis
from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_ERRORS = (redis.RedisError, OSError)


def cache_get(key: str, default=None):
    try:
        return cache.get(key, default)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable reading %s", key, exc_info=True)
        return default


def cache_get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable reading %d keys", len(keys), exc_info=True)
        return {}


def cache_set(key: str, value, timeout: int) -> bool:
    try:
        cache.set(key, value, timeout)
        return True
    except CACHE_ERRORS:
        logger.warning("Cache unavailable writing %s", key, exc_info=True)
        return False


def cache_add(key: str, value, timeout: int | None) -> bool:
    """Store ``value`` unless ``key`` holds something already; True if it was stored."""
    try:
        return cache.add(key, value, timeout)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable writing %s", key, exc_info=True)
        return False


def cache_set_many(values: dict, timeout: int | None) -> bool:
    try:
        cache.set_many(values, timeout)
        return True
    except CACHE_ERRORS:
        logger.warning("Cache unavailable writing %d keys", len(values), exc_info=True)
        return False


def cache_incr(key: str, delta: int = 1, *, timeout: int | None = None) -> int | None:
    """Add ``delta`` to the number under ``key`` (atomically on Redis) and return the new number.

    A missing number starts at ``delta`` and lives ``timeout`` seconds, which counting again does
    not extend; with no ``timeout`` a missing number stays missing. None then, and when the cache
    is away.
    """
    try:
        for _attempt in range(3):
            if timeout is not None and cache.add(key, delta, timeout):
                return delta
            with contextlib.suppress(ValueError):  # missing, or expired since the add
                return cache.incr(key, delta)
            if timeout is None:
                return None
        return None
    except CACHE_ERRORS:
        logger.warning("Cache unavailable counting %s", key, exc_info=True)
        return None


def cache_delete_many(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable deleting %d keys", len(keys), exc_info=True)


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
