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
account's round trip, and the session's, with ``request_user_and``.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend

from config.cache import (
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

# The id of the account a browser's session was signed in to when it last had a page that reads
# its entries with ``request_user_and``: a hint (never trusted) that lets that page read the
# session, the account and its entries in one round trip. HttpOnly, like the session cookie.
ACCOUNT_HINT_COOKIE = "zb_uid"


def request_user_and(request, keys_for: Callable[[int | None], list[str]]) -> tuple[object, dict]:
    """``request.user``, and the cache entries of ``keys_for(user_id)`` (``None`` for a
    signed-out visitor), read in the round trip that reads the signed-in account, and, when the
    browser's ``ACCOUNT_HINT_COOKIE`` names the session's account, in the session's too.

    The hint only decides what is read ahead: what was read for an account other than the one
    the session names is read again, and should the session not authenticate (a changed
    password, say), the entries are read again for whom it does.
    """
    if hasattr(request, "_cached_user"):  # authenticated already
        user = request.user
        return user, cache_get_many(keys_for(user.pk))
    hint = _account_hint(request)
    found = None
    if hint is not None and hasattr(request.session, "load_with"):
        found = request.session.load_with([user_cache_key(hint), *keys_for(hint)])
    user_id = None
    if SESSION_KEY in request.session:
        user_id = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
    if found is None or user_id != hint:
        ahead = [] if user_id is None else [user_cache_key(user_id)]
        found = cache_get_many([*ahead, *keys_for(user_id)])
    if user_id is None:
        user = request.user
    else:
        account_key = user_cache_key(user_id)
        reset = _prefetched.set({account_key: found.pop(account_key, None)})
        try:
            user = request.user
            user.pk  # noqa: B018 -- authenticates now, with the account read above
        finally:
            _prefetched.reset(reset)
    if user.pk != user_id:
        found = cache_get_many(keys_for(user.pk))
    return user, found


def _account_hint(request) -> int | None:
    value = request.COOKIES.get(ACCOUNT_HINT_COOKIE, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def account_hint_keep(request, response) -> None:
    """Make ``response`` set the hint cookie to the signed-in account, or drop it when signed
    out, if the browser's copy says otherwise."""
    user_id = request.user.pk
    if _account_hint(request) == user_id:
        return
    if user_id is None:
        response.delete_cookie(ACCOUNT_HINT_COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            ACCOUNT_HINT_COOKIE,
            str(user_id),
            max_age=settings.SESSION_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
