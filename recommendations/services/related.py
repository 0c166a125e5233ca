"""Items related to one item: "similar courses" and "people who bought this also bought".

Similar items come from the active model's item factors (cosine), blended with shared tags so
that items the model barely knows (new ones) still find neighbours; without a model, shared tags
alone rank them. Bought-together comes from co-purchases (purchase and enroll events) with the
engine's normalised co-occurrence, falling back to similar items while there are too few buyers;
only the purchases and enrollments the server recorded count (``Event.objects.credible``), never
what a client claimed.
Neither reads anything about the person looking, so both are the same for everyone and are
cached per item.
"""

from __future__ import annotations

import logging
import uuid

import numpy as np
import scipy.sparse as sp
from django.utils.translation import gettext as _

from config.cache import cache_get, cache_set
from recommendations.engine import bought_together
from recommendations.models import Event
from recommendations.services.serving import (
    ITEM_MODELS,
    Reason,
    Recommendation,
    RecommendationList,
    active_model_summary,
    available_objects,
)
from recommendations.services.trending import trending_ids
from recommendations.training.artefacts import model_cache
from recommendations.training.dataset import ITEM_TYPES

logger = logging.getLogger(__name__)

CACHE_SECONDS = 3600
CONTENT_WEIGHT = 0.5
MIN_CO_BUYERS = 2


def _tag_neighbours(item_type: str, object_id: int, n: int) -> dict[int, float]:
    """Available items of the type sharing tags with the item, by Jaccard of their tag sets."""
    model = ITEM_MODELS[item_type]
    column = f"{model._meta.model_name}_id"
    through = model.tags.through
    own = set(through.objects.filter(**{column: object_id}).values_list("tag_id", flat=True))
    if not own:
        return {}
    pairs = through.objects.filter(
        **{f"{column}__in": through.objects.filter(tag_id__in=own).values(column)}
    ).values_list(column, "tag_id")
    tags: dict[int, set[int]] = {}
    for pk, tag in pairs:
        tags.setdefault(pk, set()).add(tag)
    tags.pop(object_id, None)
    scores = {pk: len(t & own) / len(t | own) for pk, t in tags.items()}
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def _model_neighbours(item_type: str, object_id: int, n: int) -> dict[int, float]:
    active = active_model_summary()
    if not active:
        return {}
    loaded = model_cache.get(active["pk"], active["artefact_path"])
    col = loaded.items.columns(item_type, np.array([object_id], dtype=np.int64))[0]
    if col < 0:
        return {}
    mask = loaded.items.types != ITEM_TYPES.index(item_type)
    ids, sims = loaded.model.similar_items([col], k=n, item_mask=mask)
    return {
        int(loaded.items.ids[i]): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0
    }


def _ranked_list(item_type, ranked, reason_for, k, slot) -> RecommendationList:
    result = RecommendationList(
        item_type=item_type, slot=slot, request_id=uuid.uuid4(), personalised=False, source=slot
    )
    objects = available_objects(item_type, [pk for pk, _ in ranked])
    for pk, score in ranked:
        if pk in objects and len(result.items) < k:
            result.items.append(Recommendation(item_type, objects[pk], score, reason_for(pk)))
    return result


def similar_items_for(*, item_type: str, object_id: int, k: int = 6) -> RecommendationList:
    """Items of the same type most like this one."""
    if item_type not in ITEM_MODELS:
        raise ValueError(f"Unknown item type {item_type!r}.")
    key = f"recommender:similar:{item_type}:{object_id}:{k}"
    ranked = cache_get(key)
    if ranked is None:
        n = k * 4
        content = _tag_neighbours(item_type, object_id, n)
        try:
            factors = _model_neighbours(item_type, object_id, n)
        except Exception:  # any fault of the model path: shared tags still answer
            logger.exception("Similar items from the model failed for %s %s", item_type, object_id)
            factors = {}
        scores = {
            pk: (1 - CONTENT_WEIGHT) * factors.get(pk, 0.0) + CONTENT_WEIGHT * content.get(pk, 0.0)
            for pk in set(content) | set(factors)
        }
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        cache_set(key, ranked, CACHE_SECONDS)
    return _ranked_list(
        item_type, ranked, lambda pk: Reason("similar", _("Similar to this one")), k, "similar"
    )


def _purchase_matrix():
    rows = list(
        Event.objects.credible()
        .filter(
            event_type__in=["purchase", "enroll"], user__isnull=False, object_type__in=ITEM_MODELS
        )
        .order_by()
        .values_list("user_id", "object_type", "object_id")
        .distinct()
    )
    if not rows:
        return None, {}
    keys = sorted({(t, pk) for _, t, pk in rows})
    column = {key: j for j, key in enumerate(keys)}
    users = sorted({u for u, _, _ in rows})
    row = {u: i for i, u in enumerate(users)}
    matrix = sp.csr_matrix(
        (
            np.ones(len(rows)),
            ([row[u] for u, _, _ in rows], [column[(t, pk)] for _, t, pk in rows]),
        ),
        shape=(len(users), len(keys)),
    )
    return matrix, column


def bought_together_for(
    *, item_type: str, object_id: int, target_type: str | None = None, k: int = 6
) -> RecommendationList:
    """Items of ``target_type`` (default: the same type) that buyers of this item also bought."""
    target_type = target_type or item_type
    if item_type not in ITEM_MODELS or target_type not in ITEM_MODELS:
        raise ValueError("Unknown item type.")
    key = f"recommender:bought-together:{item_type}:{object_id}:{target_type}:{k}"
    ranked = cache_get(key)
    if ranked is None:
        ranked = []
        matrix, column = _purchase_matrix()
        if matrix is not None and (item_type, object_id) in column:
            keys = {j: key for key, j in column.items()}
            ids, scores = bought_together(
                matrix,
                [column[(item_type, object_id)]],
                k=matrix.shape[1],
                min_support=MIN_CO_BUYERS,
            )
            ranked = [
                (keys[int(j)][1], float(s))
                for j, s in zip(ids[0], scores[0], strict=True)
                if j >= 0 and keys[int(j)][0] == target_type
            ][: k * 4]
        cache_set(key, ranked, CACHE_SECONDS)
    if not ranked and target_type == item_type:
        return similar_items_for(item_type=item_type, object_id=object_id, k=k)
    if not ranked:
        trending = [(pk, 0.0) for pk in trending_ids(item_type=target_type)[: k * 4]]
        return _ranked_list(
            target_type, trending, lambda pk: Reason("trending", _("Trending now")), k, "trending"
        )
    return _ranked_list(
        target_type,
        ranked,
        lambda pk: Reason("bought_together", _("Often bought together")),
        k,
        "bought_together",
    )
