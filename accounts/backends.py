"""Authentication that reads the signed-in account from the cache.

Every page a signed-in learner opens needs their account (``request.user``); Django's
``ModelBackend`` reads it from the database on each request. ``CachedModelBackend`` keeps it in
the cache for ``USER_SECONDS`` and reads the database only on a miss. Saving or deleting an
account drops the entry (``accounts.signals``), at once and again when the transaction commits, so
a changed password (which signs out the other sessions), a deactivation or a new name take effect
on the next request; the time limit bounds what a write the cache could not hear about (a
``QuerySet.update``, Redis away at that moment) can leave behind. Cache faults fall back to the
database: signing in never fails because Redis is down.

A page that reads its own cache entries on every request (the home page) can read them in the
account's round trip with ``request_user_and``.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend

from recommendations.services.cache import (
    cache_delete_many,
    cache_get,
    cache_get_many,
    cache_set,
)

USER_SECONDS = 300


def user_cache_key(user_id) -> str:
    return f"auth:user:{user_id}"


class CachedModelBackend(ModelBackend):
    """``ModelBackend`` (password sign-in, permissions) whose ``get_user`` uses the cache."""

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        prefetched = _prefetched.get()
        user = prefetched[key] if prefetched is not None and key in prefetched else cache_get(key)
        if user is None:
            user = super().get_user(user_id)  # None for a missing or inactive account
            if user is None:
                return None
            cache_set(key, user, USER_SECONDS)
        return user if self.user_can_authenticate(user) else None


def user_forget(user_id) -> None:
    """Drop the cached account, so the next request reads it from the database."""
    cache_delete_many([user_cache_key(user_id)])


# Accounts read ahead by ``request_user_and``: key -> the cached account, or None for a miss.
_prefetched: ContextVar[dict | None] = ContextVar("prefetched_accounts", default=None)


def request_user_and(request, keys_for: Callable[[int | None], list[str]]) -> tuple[object, dict]:
    """``request.user``, and the cache entries of ``keys_for(user_id)`` (``None`` for a
    signed-out visitor), read in the same round trip as the signed-in account.

    The user id comes from the session before authentication checks it; should the session not
    authenticate (a changed password, say), the entries are read again for whom it does.
    """
    user_id = None
    if not hasattr(request, "_cached_user") and SESSION_KEY in request.session:
        user_id = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
    if user_id is None:
        user = request.user
        return user, cache_get_many(keys_for(user.pk))
    account_key = user_cache_key(user_id)
    found = cache_get_many([account_key, *keys_for(user_id)])
    reset = _prefetched.set({account_key: found.pop(account_key, None)})
    try:
        user = request.user
        user_pk = user.pk  # authenticates now, with the account read above
    finally:
        _prefetched.reset(reset)
    if user_pk != user_id:
        found = cache_get_many(keys_for(user_pk))
    return user, found
