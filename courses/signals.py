"""What the catalog announces to the layers above it.

The live rooms (``liveroom``) sit above the catalog and show every viewer the shelf of the live
they watch; the catalog cannot call them, so whoever changes a shelf (``courses.shelf``, the
admin's shelf inline) announces it once the change has committed, and the rooms listen.
"""

from functools import partial

from django.db import transaction
from django.dispatch import Signal

shelf_changed = Signal()
"""Sent once a live session's shelf has changed (a product pinned or unpinned, a flash price
started or ended, items added or removed), with ``live_session_id``."""


def shelf_changed_on_commit(live_session_id: int) -> None:
    """Announce ``shelf_changed`` for the live once the current transaction commits (at once
    outside one)."""
    transaction.on_commit(
        partial(shelf_changed.send_robust, sender=None, live_session_id=live_session_id)
    )
