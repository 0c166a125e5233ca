"""One training at a time, across every worker and machine.

With Redis (``REDIS_URL``), a Redis lock with an expiry longer than the training time limit: a
worker that dies holding it cannot block training for longer than that. Without Redis (the
embedded default, one machine), an exclusive ``flock`` on a file under ``var/``: the operating
system releases it when the process holding it dies.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import redis
from django.conf import settings

LOCK_NAME = "zhibo:recommender:training"


@contextmanager
def training_lock() -> Iterator[bool]:
    """Yields True if this process now holds the training lock, False if another one does."""
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        lock = client.lock(LOCK_NAME, timeout=settings.RECOMMENDER_TRAINING_LOCK_SECONDS)
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                # LockError: it expired while we trained, so there is nothing left to release.
                with suppress(redis.exceptions.LockError):
                    lock.release()
        return
    path = Path(settings.VAR_DIR) / "training.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
