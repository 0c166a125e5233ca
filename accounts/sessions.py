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

from recommendations.services.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except CACHE_ERRORS:
            logger.warning("Cache unavailable reading a session", exc_info=True)
            data = None
        if data is not None:
            return data
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
