"""Re-ranking a candidate list: diversity by MMR, a cap per instructor, and hybrid blending."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Literal

import numpy as np

Normalisation = Literal["minmax", "rank"]


def _minmax(values: np.ndarray) -> np.ndarray:
    """Min-max scale the finite entries of the last axis to ``[0, 1]``; others become ``nan``.

    A row whose finite entries are all equal maps them to 1.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    low = np.where(finite, values, np.inf).min(axis=-1, keepdims=True)
    high = np.where(finite, values, -np.inf).max(axis=-1, keepdims=True)
    span = high - low
    scaled = np.divide(
        np.where(finite, values, 0.0) - np.where(np.isfinite(low), low, 0.0),
        span,
        out=np.ones_like(values),
        where=np.isfinite(span) & (span > 0),
    )
    return np.where(finite, scaled, np.nan)


def _rank(values: np.ndarray) -> np.ndarray:
    """Rank-normalise the finite entries of the last axis: best 1, worst ``1/n``; others ``nan``.

    With ``n`` finite entries, the entry of rank ``r`` (1 = best, ties by position) gets
    ``(n - r + 1) / n``, a scale-free score (the Borda count).
    """
    values = np.where(np.isfinite(values), values, -np.inf)
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(values.shape[-1]), axis=-1)
    finite = np.isfinite(values)
    n = finite.sum(axis=-1, keepdims=True)
    return np.where(finite, (n - ranks) / np.maximum(n, 1), np.nan)


def blend(
    scores: Sequence[np.ndarray] | Sequence[Mapping[Hashable, float]],
    weights: Sequence[float],
    normalisation: Normalisation = "minmax",
):
    """Weighted hybrid of several models' scores, each normalised first.

    ``scores`` are either arrays of one shape (``(n_items,)`` or ``(n_users, n_items)``), where
    a non-finite entry means "not scored by this model", or dicts ``{item: score}``. Each model's
    scores are normalised along the item axis (``"minmax"`` to ``[0, 1]``, or ``"rank"``, the
    Borda count ``(n - r + 1) / n``) so that models on different scales can be mixed; then

    .. math:: s_i = \\sum_m w_m \\, \\tilde s_{m,i}

    where an item a model did not score contributes 0 for it. Items scored by no model come out
    as ``-inf`` (arrays) or are absent (dicts). Returns the same kind as the input.
    """
    if len(scores) != len(weights) or not scores:
        raise ValueError("blend needs one weight per score set, and at least one score set")
    normalise = {"minmax": _minmax, "rank": _rank}.get(normalisation)
    if normalise is None:
        raise ValueError(f"unknown normalisation {normalisation!r}")
    if all(isinstance(s, Mapping) for s in scores):
        keys = list(dict.fromkeys(key for s in scores for key in s))
        index = {key: position for position, key in enumerate(keys)}
        arrays = []
        for s in scores:
            row = np.full(len(keys), np.nan)
            row[[index[key] for key in s]] = list(s.values())
            arrays.append(row)
        combined = blend(arrays, weights, normalisation)
        return {key: float(v) for key, v in zip(keys, combined, strict=True) if np.isfinite(v)}
    arrays = [np.asarray(s, dtype=np.float64) for s in scores]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError(f"score arrays differ in shape: {[a.shape for a in arrays]}")
    normalised = np.stack([normalise(a) for a in arrays])
    scored = np.isfinite(normalised).any(axis=0)
    total = np.tensordot(np.asarray(weights, dtype=np.float64), np.nan_to_num(normalised), axes=1)
    return np.where(scored, total, -np.inf)


def mmr_rerank(
    candidate_ids,
    scores,
    similarity: np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray],
    k: int,
    lambda_: float = 0.7,
    owner_ids=None,
    max_per_owner: int | None = None,
) -> np.ndarray:
    """Pick ``k`` of the candidates by maximal marginal relevance, with a cap per owner.

    Carbonell & Goldstein, *The use of MMR, diversity-based reranking for reordering documents
    and producing summaries*, SIGIR 1998. Greedily, the next item is

    .. math:: \\arg\\max_{i \\notin S} \\; \\lambda\\, \\tilde r_i
              - (1 - \\lambda) \\max_{j \\in S} \\mathrm{sim}(i, j)

    where :math:`\\tilde r` is the relevance min-max scaled to ``[0, 1]`` over the candidates
    (so that it is on the scale of a cosine similarity) and :math:`S` the items picked so far.
    ``lambda_ = 1`` keeps the relevance order; lower values trade relevance for diversity.

    ``similarity`` is a ``(n, n)`` matrix aligned with ``candidate_ids`` or a function
    ``similarity(ids, ids)`` such as ``ContentModel.similarity``. With ``owner_ids`` (aligned
    with the candidates, e.g. the instructor of each course) and ``max_per_owner``, a candidate
    whose owner already has ``max_per_owner`` items in the list is skipped. Ties go to the
    earlier candidate. Returns the picked ids in order (fewer than ``k`` if the cap or the pool
    runs out).
    """
    candidate_ids = np.asarray(candidate_ids)
    relevance = np.asarray(scores, dtype=np.float64)
    n = len(candidate_ids)
    if relevance.shape != (n,):
        raise ValueError(f"scores must have shape ({n},), got {relevance.shape}")
    if not 0.0 <= lambda_ <= 1.0:
        raise ValueError(f"lambda_ must be in [0, 1], got {lambda_}")
    if n == 0 or k <= 0:
        return candidate_ids[:0]
    sim = (
        np.asarray(similarity(candidate_ids, candidate_ids), dtype=np.float64)
        if callable(similarity)
        else np.asarray(similarity, dtype=np.float64)
    )
    if sim.shape != (n, n):
        raise ValueError(f"similarity must be ({n}, {n}) for {n} candidates, got {sim.shape}")
    owners = None
    if max_per_owner is not None and owner_ids is not None:
        _, owners = np.unique(np.asarray(owner_ids), return_inverse=True)
        if owners.shape != (n,):
            raise ValueError(f"owner_ids must have shape ({n},)")
        owner_count = np.zeros(owners.max() + 1, dtype=np.int64)
    relevance = np.nan_to_num(_minmax(relevance), nan=-np.inf)
    # What each candidate still open would gain before its penalty: -inf once picked or
    # capped. The penalty is kept scaled by (1 - lambda_), so a step costs a few array
    # operations: it runs on every list served, where the pool is a few dozen candidates.
    finite = np.isfinite(relevance)
    base = np.where(finite, lambda_ * np.where(finite, relevance, 0.0), -np.inf)
    if owners is not None and max_per_owner <= 0:
        base[:] = -np.inf
    penalty = (1.0 - lambda_) * sim  # column j: what picking j does to every candidate
    max_penalty = np.zeros(n)
    gain = np.empty(n)
    picked: list[int] = []
    while len(picked) < k:
        np.subtract(base, max_penalty, out=gain)
        best = int(gain.argmax())
        if gain[best] == -np.inf:
            break
        picked.append(best)
        base[best] = -np.inf
        np.maximum(max_penalty, penalty[:, best], out=max_penalty)
        if owners is not None:
            owner = owners[best]
            owner_count[owner] += 1
            if owner_count[owner] >= max_per_owner:
                base[owners == owner] = -np.inf
    return candidate_ids[picked]
