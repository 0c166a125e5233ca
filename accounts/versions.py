"""A version per learner: the token that pages and lists cached for one learner are keyed by.

Every service that changes what a learner is shown (their orders, enrollments and progress, their
interests, the personalisation switch, a cleared history, "not interested", their account) calls
``learner_changed`` once it has written; the token changes when the transaction commits. Whatever
caches something per learner (the home page, in ``web.home``) stores the version it read before
rendering and serves the entry only while the version is the same. So a write through any door
(a web page, the API, the admin, a task) shows on the next request of every other door, and no
door has to know which caches exist.

A missing version (never set, evicted, Redis flushed) is replaced by a new token, so entries
stored under an older one never match again. With the cache away there is no version, and
nothing cached per learner is trusted.
"""

from functools import partial

from django.db import transaction

from config.cache import cache_token, cache_token_renew


def learner_version_key(user_id: int) -> str:
    return f"learner:version:{user_id}"


def _bump(user_id: int) -> None:
    cache_token_renew(learner_version_key(user_id))


def learner_changed(user) -> None:
    """Give ``user`` a new version now and again once the current transaction commits (a page
    rendered meanwhile from what was not committed yet is not trusted after it); nothing for
    anonymous visitors."""
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return
    _bump(user_id)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_bump, user_id), robust=True)


def learner_version_from(cached: dict, user_id: int) -> str | None:
    """The version of ``user_id`` from a ``cache_get_many`` answer that asked for its key,
    starting a new one if there is none; None when the cache is away."""
    return cache_token(cached, learner_version_key(user_id))
