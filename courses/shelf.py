"""A live session's shelf, run live: pinning a product and starting or ending a flash price.

The instructor's room page calls these during a live; the admin's shelf inline edits the same
rows in advance. Only the session's instructor (or a superuser) may; every change is validated by
the shelf item's own rules (``LiveShelfItem.clean`` and its constraints), changes the catalog
generation of products, and is announced to the live rooms once committed (``courses.signals``),
so every viewer sees the pinned product and the flash price change without a reload.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.generations import catalog_changed
from courses.models import LiveShelfItem
from courses.signals import shelf_changed_on_commit

FLASH_MAX_MINUTES = 180


def shelf_item_get_for_instructor(*, user, item_id: int) -> LiveShelfItem:
    """A shelf item ``user`` may run (their own live's, or any for a superuser); refused with
    PermissionDenied otherwise, whether or not it exists."""
    item = (
        LiveShelfItem.objects.owned_by(user)
        .select_related("live_session", "product")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise PermissionDenied(_("This shelf item is not one of your lives'."))
    return item


def _changed(item: LiveShelfItem) -> LiveShelfItem:
    catalog_changed("product", "live")
    shelf_changed_on_commit(item.live_session_id)
    return item


@transaction.atomic
def shelf_item_pin(*, user, item_id: int) -> LiveShelfItem:
    """Pin the item on its live's shelf, unpinning whichever was pinned."""
    item = shelf_item_get_for_instructor(user=user, item_id=item_id)
    LiveShelfItem.objects.filter(live_session_id=item.live_session_id, is_pinned=True).exclude(
        pk=item.pk
    ).update(is_pinned=False)
    item.is_pinned = True
    item.save(update_fields=["is_pinned"])
    return _changed(item)


@transaction.atomic
def shelf_item_unpin(*, user, item_id: int) -> LiveShelfItem:
    item = shelf_item_get_for_instructor(user=user, item_id=item_id)
    item.is_pinned = False
    item.save(update_fields=["is_pinned"])
    return _changed(item)


@transaction.atomic
def shelf_flash_start(*, user, item_id: int, price: Decimal, minutes: int) -> LiveShelfItem:
    """Sell the item at ``price`` from now for ``minutes`` (at most until the live's scheduled
    end), replacing any flash price it had."""
    item = shelf_item_get_for_instructor(user=user, item_id=item_id)
    if not 1 <= minutes <= FLASH_MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("From 1 to %(max)d minutes.") % {"max": FLASH_MAX_MINUTES}}
        )
    now = timezone.now().replace(microsecond=0)
    item.flash_price = price
    item.flash_starts_at = now
    item.flash_ends_at = min(now + timedelta(minutes=minutes), item.live_session.scheduled_end)
    if item.flash_ends_at <= now:
        raise ValidationError(_("The live session is over: no flash price any more."))
    item.full_clean()
    item.save(update_fields=["flash_price", "flash_starts_at", "flash_ends_at"])
    return _changed(item)


@transaction.atomic
def shelf_flash_end(*, user, item_id: int) -> LiveShelfItem:
    """End the item's flash price now: a running one ends (its window kept, for the record), one
    still to come is removed."""
    item = shelf_item_get_for_instructor(user=user, item_id=item_id)
    now = timezone.now()
    if item.flash_price is None or item.flash_ends_at <= now:
        return item
    if item.flash_starts_at < now:
        item.flash_ends_at = now
    else:
        item.flash_price = item.flash_starts_at = item.flash_ends_at = None
    item.save(update_fields=["flash_price", "flash_starts_at", "flash_ends_at"])
    return _changed(item)
