"""Authentication that reads the signed-in account from the cache.

Every page a signed-in learner opens needs their account (``request.user``); Django's
``ModelBackend`` reads it from the database on each request. ``CachedModelBackend`` keeps it in
the cache for ``USER_SECONDS`` and reads the database only on a miss. Saving or deleting an
account drops the entry (``accounts.signals``), at once and again when the transaction commits, so
a changed password (which signs out the other sessions), a deactivation or a new name take effect
on the next request; the time limit bounds what a write the cache could not hear about (a
``QuerySet.update``, Redis away at that moment) can leave behind. Cache faults fall back to the
database: signing in never fails because Redis is down.
"""

from django.contrib.auth.backends import ModelBackend

from recommendations.services.cache import cache_delete_many, cache_get, cache_set

USER_SECONDS = 300


def user_cache_key(user_id) -> str:
    return f"auth:user:{user_id}"


class CachedModelBackend(ModelBackend):
    """``ModelBackend`` (password sign-in, permissions) whose ``get_user`` uses the cache."""

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache_get(key)
        if user is None:
            user = super().get_user(user_id)  # None for a missing or inactive account
            if user is None:
                return None
            cache_set(key, user, USER_SECONDS)
        return user if self.user_can_authenticate(user) else None


def user_forget(user_id) -> None:
    """Drop the cached account, so the next request reads it from the database."""
    cache_delete_many([user_cache_key(user_id)])
