"""Trending items per type: the non-personalised lists, and the last fallback of every section.

A periodic task computes them from recent events with the engine's time-decayed popularity and
stores them twice: in the cache (Redis) for speed, and in the database (``TrendingSnapshot``) so
they survive a Redis outage or restart. Reading never computes on the request path unless
neither holds a list (a brand-new site), and then only from the database.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import scipy.sparse as sp
from django.utils import timezone

from config.cache import cache_get, cache_set
from recommendations.engine import Popularity
from recommendations.models import Event, TrendingSnapshot
from recommendations.training.dataset import ITEM_TYPES

WINDOW = timedelta(days=14)
HALF_LIFE_DAYS = 3.0
# A live session's audience moves within hours and a short video's within a day: their trending
# lists decay by the hour; courses and products over days.
HALF_LIFE_HOURS = {"live": 3.0, "video": 24.0}
LIST_SIZE = 200
CACHE_SECONDS = 6 * 3600
COUNTED = (
    "click",
    "view",
    "watch",
    "like",
    "comment",
    "favourite",
    "share",
    "cart",
    "purchase",
    "enroll",
    "reserve",
)


def _cache_key(item_type: str) -> str:
    return f"recommender:trending:{item_type}"


def trending_compute(*, item_type: str, now=None) -> list[int]:
    """Object ids of ``item_type`` by decayed interaction count over the last two weeks."""
    now = now or timezone.now()
    rows = list(
        Event.objects.credible()
        .filter(object_type=item_type, server_ts__gte=now - WINDOW, event_type__in=COUNTED)
        .order_by()
        .values_list("object_id", "server_ts")
    )
    if not rows:
        return []
    object_ids = np.array([r[0] for r in rows], dtype=np.int64)
    seconds = np.array([r[1].timestamp() for r in rows], dtype=np.float64)
    unique, columns = np.unique(object_ids, return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(rows)), (np.arange(len(rows)), columns)), shape=(len(rows), len(unique))
    )
    half_life_days = HALF_LIFE_HOURS.get(item_type, HALF_LIFE_DAYS * 24) / 24
    model = Popularity(half_life_days=half_life_days, reference_time=now.timestamp())
    model.fit(matrix, timestamps=seconds)
    order = np.argsort(-model.scores, kind="stable")[:LIST_SIZE]
    return [int(unique[i]) for i in order]


def trending_refresh(*, now=None) -> dict[str, int]:
    """Recompute every type's list and store it in the database and the cache."""
    sizes = {}
    for item_type in ITEM_TYPES:
        ids = trending_compute(item_type=item_type, now=now)
        TrendingSnapshot.objects.update_or_create(item_type=item_type, defaults={"object_ids": ids})
        cache_set(_cache_key(item_type), ids, CACHE_SECONDS)
        sizes[item_type] = len(ids)
    return sizes


def trending_ids(*, item_type: str) -> list[int]:
    """The stored trending list: cache, else database, else computed from the database."""
    ids = cache_get(_cache_key(item_type))
    if ids is not None:
        return ids
    snapshot = TrendingSnapshot.objects.filter(item_type=item_type).first()
    if snapshot is not None:
        ids = snapshot.object_ids
    else:
        ids = trending_compute(item_type=item_type)
    cache_set(_cache_key(item_type), ids, CACHE_SECONDS)
    return ids
