"""Sessions in the database with the cache in front, that carry on when the cache is away.

Django's ``cached_db`` engine reads a session from the cache and falls back to the database, but
its write to the cache after that read, and ``exists``, raise when Redis is down, so every
signed-in page would fail with it. This engine (``SESSION_ENGINE = "accounts.sessions"``) reports
those faults to ``config.cache`` (which logs an outage once) and goes on with the database, which
always holds every session. Signing in gives the session a new key and drops the old one, which
carries on too (see ``cycle_key``), and so does signing out (see ``delete``).

A session's copy in the cache lives at most ``CACHED_SECONDS`` (then it is read from the database
again): a signed-out session whose cached copy could not be dropped, because the cache was away
at that moment, can come back with the cache for that long at most, and only for a browser that
still presents the old cookie, which signing out deleted.
"""

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

from config.cache import CACHE_ERRORS, outage

CACHED_SECONDS = 600


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except CACHE_ERRORS:
            outage.failed("reading a session")
            data = None
        else:
            outage.answered()
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
            found = self._cache.get_many(keys)
        except CACHE_ERRORS:
            outage.failed("reading a session")
            return {}
        outage.answered()
        return found

    def _load_from_db(self) -> dict:
        """The session from the database, put back in the cache; {} if there is none."""
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def _cache_set(self, data: dict, seconds: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(seconds, CACHED_SECONDS))
        except CACHE_ERRORS:
            outage.failed("storing a session")
        else:
            outage.answered()

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except CACHE_ERRORS:
            outage.failed("looking up a session")
        return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create=False):
        DatabaseStore.save(self, must_create)
        self._cache_set(self._session, self.get_expiry_age())

    def cycle_key(self):
        """A new key for the same data, as at sign-in; the old key's row is deleted from the
        database even when the cache is away. A copy of it the cache might still hold when it
        comes back holds only what this browser's session held before (``login`` flushes, rather
        than cycles, a session signed in to another account)."""
        try:
            super().cycle_key()  # dropping the old key's cached copy comes last
        except CACHE_ERRORS:
            outage.failed("dropping a session's old key")

    def delete(self, session_key=None):
        """Delete the session from the database, and its copy from the cache when it answers;
        signing out works while the cache is away (see ``CACHED_SECONDS``)."""
        try:
            super().delete(session_key)  # the database row goes first
        except CACHE_ERRORS:
            outage.failed("dropping a signed-out session")
