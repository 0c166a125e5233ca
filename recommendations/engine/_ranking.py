"""Shared top-k selection with exclusions, following the engine's output conventions.

Every recommender of the engine returns ``(ids, scores)`` of shape ``(n_users, k)``, best
first, padded with ``-1`` / ``-inf`` when fewer than ``k`` items are eligible. This module holds
the one implementation of that convention used by the non-factorisation models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


def check_item_mask(item_mask, n_rows: int, n_items: int) -> np.ndarray | None:
    """``item_mask`` validated: boolean, ``True`` = excluded, shape ``(n_items,)`` for every
    row or ``(n_rows, n_items)`` per row."""
    if item_mask is None:
        return None
    mask = np.asarray(item_mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"item_mask must be a boolean array (True = excluded), got {mask.dtype}")
    if mask.shape not in ((n_items,), (n_rows, n_items)):
        raise ValueError(
            f"item_mask must have shape ({n_items},) or ({n_rows}, {n_items}), got {mask.shape}"
        )
    return mask


def exclusion_mask(
    user_ids: np.ndarray,
    user_items: sp.csr_matrix | None,
    n_items: int,
    exclude_seen: bool,
    item_mask: np.ndarray | None,
) -> np.ndarray:
    """Boolean ``(len(user_ids), n_items)`` matrix, ``True`` where an item must not be shown.

    ``item_mask`` is broadcast from ``(n_items,)`` or given per user; seen items are the
    non-zero entries of the rows ``user_ids`` of ``user_items``, which may be ``None`` only
    when ``exclude_seen`` is false (as for ``ALS.recommend``).
    """
    user_ids = np.asarray(user_ids, dtype=np.int64)
    if exclude_seen and user_items is None:
        raise ValueError("user_items is required when exclude_seen is true")
    excluded = np.zeros((len(user_ids), n_items), dtype=bool)
    mask = check_item_mask(item_mask, len(user_ids), n_items)
    if mask is not None:
        excluded |= mask
    if exclude_seen:
        seen = sp.csr_matrix(user_items)[user_ids]
        rows = np.repeat(np.arange(len(user_ids)), np.diff(seen.indptr))
        excluded[rows, seen.indices] = True
    return excluded


def top_k(scores: np.ndarray, k: int, excluded: np.ndarray | None = None):
    """Top ``k`` columns of each row of ``scores``, best first, skipping ``excluded`` cells.

    Returns ``(ids, values)`` of shape ``(n_rows, k)``: ``int64`` ids padded with ``-1`` and
    ``float32`` values padded with ``-inf`` where a row has fewer than ``k`` eligible columns
    (excluded cells, ``-inf`` or NaN scores). Equal scores inside the top ``k`` are ordered by
    column index; which of several items tied at the cut-off is kept is unspecified. ``scores``
    is never modified; it is copied only when cells must be excluded or NaNs cleared, so the
    factorisation models' large blocks (already ``-inf`` where excluded) are not.
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    scores = np.asarray(scores)
    if scores.ndim == 1:
        scores = scores[None, :]
    if excluded is not None:
        scores = np.where(excluded, -np.inf, scores)
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    n_rows, n_cols = scores.shape
    take = min(k, n_cols)
    if take < n_cols:
        part = np.argpartition(scores, n_cols - take, axis=1)[:, n_cols - take :]
    else:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)
    values = np.take_along_axis(part_scores, order, axis=1)
    ids[~np.isfinite(values) & (values < 0)] = -1
    out_ids = np.full((n_rows, k), -1, dtype=np.int64)
    out_values = np.full((n_rows, k), -np.inf, dtype=np.float32)
    out_ids[:, :take] = ids
    out_values[:, :take] = values
    return out_ids, out_values


def as_id_array(ids: int | Sequence[int] | np.ndarray, upper: int, what: str) -> np.ndarray:
    """``ids`` (an int or a 1-D sequence) as int64, each checked to be in ``[0, upper)``."""
    array = np.atleast_1d(np.asarray(ids))
    if array.ndim != 1:
        raise ValueError(f"{what} must be an int or a 1-D sequence of ints")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must be integers, got dtype {array.dtype}")
    array = array.astype(np.int64, copy=False)
    if array.size and (array.min() < 0 or array.max() >= upper):
        bad = array[(array < 0) | (array >= upper)][0]
        raise ValueError(f"{what} out of range: {bad} is not in [0, {upper})")
    return array


def top_k_vectors(scores: np.ndarray, k: int, exclude_items=None, item_mask=None):
    """:func:`top_k` of a ``recommend_vector`` block: ``exclude_items`` (ids excluded for every
    row) and ``item_mask`` (as :func:`check_item_mask`) left out."""
    n_items = scores.shape[1]
    mask = check_item_mask(item_mask, scores.shape[0], n_items)
    excluded = np.zeros(scores.shape, dtype=bool)
    if mask is not None:
        excluded |= mask
    if exclude_items is not None:
        excluded[:, as_id_array(exclude_items, n_items, "exclude_items")] = True
    return top_k(scores, k, excluded)
