"""Catalog generations: a token per item type that changes whenever an item of that type may
have changed in a way a learner sees (title, cover, price, instructor, availability).

Whoever caches items (the recommender's cached lists hold the items themselves) stores the
generation it read *before* loading them, and uses the cached items only while the generation
is still the same. The writes to the catalog (``courses.services``, the admin, stock taken and
given back by orders) call ``catalog_changed`` once their transaction commits, so the next read
loads fresh rows; a generation read before the commit never vouches for rows written by it.

A missing generation (never set, evicted, Redis flushed) is replaced by a new token, so entries
stored under an older one can never match again. With the cache away there is no generation and
nothing cached is trusted.
"""

from functools import partial

from django.db import transaction

from config.cache import cache_token, cache_token_renew
from courses.models import Course, Discount, Instructor, LiveSession, Product, ShortVideo

ITEM_TYPE_OF_MODEL = {
    Course: "course",
    LiveSession: "live",
    ShortVideo: "video",
    Product: "product",
}
ALL_TYPES = tuple(ITEM_TYPE_OF_MODEL.values())
DISCOUNTS = "discount"
"""Not an item type: the generation of the time-limited discounts (``courses.pricing``)."""


def generation_key(item_type: str) -> str:
    return f"catalog:generation:{item_type}"


def item_types_of(model) -> tuple[str, ...]:
    """The item types whose cached items a change to a row of ``model`` may affect: its own,
    every type for an instructor (their name is on every card), courses and the discounts'
    own generation for a discount (their price); none for other models."""
    if model is Instructor:
        return ALL_TYPES
    if model is Discount:  # it changes courses' prices, and the discounts pricing keeps
        return ("course", DISCOUNTS)
    item_type = ITEM_TYPE_OF_MODEL.get(model)
    return (item_type,) if item_type else ()


def catalog_changed(*item_types: str) -> None:
    """Give ``item_types`` new generations once the current transaction commits (at once
    outside one)."""
    keys = [generation_key(t) for t in item_types]
    if not keys:
        return

    transaction.on_commit(partial(cache_token_renew, *keys))


def generation_from(cached: dict, item_type: str) -> str | None:
    """The generation of ``item_type`` from a ``cache_get_many`` answer that asked for its key,
    starting a new one if there is none; None when the cache is away."""
    return cache_token(cached, generation_key(item_type))
