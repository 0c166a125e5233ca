"""Sessions in the database with the cache in front, that carry on when the cache is away.

Django's ``cached_db`` engine reads a session from the cache and falls back to the database, but
its write to the cache after that read, and ``exists``, raise when Redis is down, so every
signed-in page would fail with it. This engine (``SESSION_ENGINE = "accounts.sessions"``) logs
those faults and goes on with the database, which always holds every session. Deleting a session
(signing out) still fails without the cache: the cache's copy must go too, or the session could
come back with the cache.
"""

import logging

from django.contrib.sessions.backends import cached_db

from config.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except CACHE_ERRORS:
            logger.warning("Cache unavailable reading a session", exc_info=True)
            data = None
        return data if data is not None else self._load_from_db()

    def load_with(self, keys: list[str]) -> dict:
        """Load the session and read ``keys`` from its cache in the same round trip (for a page
        that needs both on every request); the values found, by key."""
        if hasattr(self, "_session_cache") or self.session_key is None:
            self._get_session()  # loaded already, or nothing to load
            return self._get_many(keys)
        found = self._get_many([self.cache_key, *keys])
        data = found.pop(self.cache_key, None)
        self._session_cache = data if data is not None else self._load_from_db()
        self.accessed = True
        return found

    def _get_many(self, keys: list[str]) -> dict:
        try:
            return self._cache.get_many(keys)
        except CACHE_ERRORS:
            logger.warning("Cache unavailable reading a session", exc_info=True)
            return {}

    def _load_from_db(self) -> dict:
        """The session from the database, put back in the cache; {} if there is none."""
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except CACHE_ERRORS:
            logger.warning("Cache unavailable storing a session", exc_info=True)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except CACHE_ERRORS:
            logger.warning("Cache unavailable looking up a session", exc_info=True)
        return super(cached_db.SessionStore, self).exists(session_key)
