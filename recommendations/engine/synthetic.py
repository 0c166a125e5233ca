"""Synthetic implicit-feedback data for tests and benchmarks.

Two generators, both deterministic for a given ``random_state``:

``power_law_interactions``
    A users x items matrix of interaction counts whose item popularity follows a Zipf law
    (the probability of the item of popularity rank ``r`` is proportional to ``r ** -exponent``)
    and whose user activity is heavy-tailed too. This is the shape of real catalogues: a short
    head of very popular items and a long tail, which matters both for speed (a few very dense
    columns) and for quality (popularity is a strong baseline). Users and items also belong to
    latent topics and part of every user's interactions stay within their topic, so there is
    personal taste for a model to learn beyond popularity. Item and user ids are randomly
    permuted, so popular items and active users are not clustered at low ids.

``planted_low_rank``
    Interactions sampled from a known low-rank preference model, so that a factorisation model
    has a structure to recover and can be compared with popularity on held-out interactions.

``two_tastes``
    The smallest case with a taste to learn: two groups of users, each liking some of its own
    group's items, for the models' unit tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = ["PlantedData", "planted_low_rank", "power_law_interactions", "two_tastes"]


def _zipf_probabilities(n: int, exponent: float) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -float(exponent)
    return weights / weights.sum()


def power_law_interactions(
    n_users: int,
    n_items: int,
    nnz: int,
    exponent: float = 0.8,
    user_exponent: float = 0.5,
    n_topics: int = 32,
    topic_share: float = 0.5,
    random_state: int | None = 0,
) -> sp.csr_matrix:
    """Return a ``n_users x n_items`` CSR matrix with exactly ``nnz`` stored interactions.

    Pairs are drawn independently: the user from a Zipf law of parameter ``user_exponent``;
    the item, with probability ``topic_share``, from the items of the user's topic (each user
    and item has one of ``n_topics`` topics, uniformly at random) and otherwise from all items,
    in both cases with probability proportional to its global Zipf weight of parameter
    ``exponent``. Repeated draws of the same pair are summed, so the stored values are
    interaction counts (float32, at least 1). Drawing stops once ``nnz`` distinct pairs have
    been seen, keeping the first ``nnz`` distinct pairs in draw order, so the result is exact
    in size and deterministic.

    Raises ``ValueError`` if ``nnz`` exceeds ``n_users * n_items`` or is not positive.
    """
    if n_users <= 0 or n_items <= 0 or n_topics <= 0:
        raise ValueError("n_users, n_items and n_topics must be positive")
    if not 0 < nnz <= n_users * n_items:
        raise ValueError(f"nnz must be in [1, n_users * n_items], got {nnz}")
    if not 0 <= topic_share <= 1:
        raise ValueError("topic_share must be in [0, 1]")
    rng = np.random.default_rng(random_state)
    user_cdf = np.cumsum(_zipf_probabilities(n_users, user_exponent))
    item_p = _zipf_probabilities(n_items, exponent)
    item_cdf = np.cumsum(item_p)
    user_perm = rng.permutation(n_users)
    item_perm = rng.permutation(n_items)
    user_topic = rng.integers(n_topics, size=n_users)
    # Items (by popularity rank) grouped by topic; topic t's cumulative weights rescaled to
    # [t, t + 1), so one searchsorted samples within any topic. Empty topics fall back to all.
    item_topic = rng.integers(n_topics, size=n_items)
    by_topic = np.argsort(item_topic, kind="stable")
    sizes = np.bincount(item_topic, minlength=n_topics)
    topic_cdf = np.empty(n_items)
    start = 0
    for topic, size in enumerate(sizes):
        weights = item_p[by_topic[start : start + size]]
        topic_cdf[start : start + size] = topic + np.cumsum(weights) / weights.sum()
        start += size

    def draw(size: int) -> np.ndarray:
        ranks = np.minimum(np.searchsorted(user_cdf, rng.random(size)), n_users - 1)
        item_ranks = np.minimum(np.searchsorted(item_cdf, rng.random(size)), n_items - 1)
        topics = user_topic[ranks]
        in_topic = (rng.random(size) < topic_share) & (sizes[topics] > 0)
        positions = np.searchsorted(topic_cdf, topics[in_topic] + rng.random(in_topic.sum()))
        item_ranks[in_topic] = by_topic[np.minimum(positions, n_items - 1)]
        return user_perm[ranks].astype(np.int64) * n_items + item_perm[item_ranks]

    codes = draw(nnz)
    distinct = np.unique(codes)
    while distinct.size < nnz:
        codes = np.concatenate([codes, draw(max(nnz // 4, 1))])
        distinct = np.unique(codes)

    unique_codes, first_seen, counts = np.unique(codes, return_index=True, return_counts=True)
    kept = np.sort(np.argsort(first_seen, kind="stable")[:nnz])
    rows, cols = np.divmod(unique_codes[kept], n_items)
    matrix = sp.csr_matrix(
        (counts[kept].astype(np.float32), (rows, cols)), shape=(n_users, n_items)
    )
    matrix.sort_indices()
    return matrix


class PlantedData(NamedTuple):
    """Output of :func:`planted_low_rank`."""

    user_items: sp.csr_matrix
    """Interactions (float32 ones), ``n_users x n_items``."""
    user_factors: np.ndarray
    """True user factors, ``n_users x rank``."""
    item_factors: np.ndarray
    """True item factors, ``n_items x rank``."""


def planted_low_rank(
    n_users: int,
    n_items: int,
    rank: int = 4,
    items_per_user: int = 10,
    sharpness: float = 4.0,
    random_state: int | None = 0,
) -> PlantedData:
    """Sample interactions from a planted rank-``rank`` preference model.

    Each user and each item gets a non-negative factor vector concentrated on one of ``rank``
    "topics" (a Dirichlet draw with a small concentration, so most mass sits on one topic).
    Every user then picks ``items_per_user`` distinct items, item ``i`` with probability
    proportional to ``exp(sharpness * rank * <u, v_i>)`` (Gumbel top-k sampling without
    replacement). With the default sharpness most picks come from the user's dominant topic,
    which a rank-``rank`` factorisation can recover and a popularity ranking cannot.
    """
    if items_per_user > n_items:
        raise ValueError("items_per_user cannot exceed n_items")
    rng = np.random.default_rng(random_state)
    concentration = np.full(rank, 0.1)
    user_factors = rng.dirichlet(concentration, size=n_users)
    item_factors = rng.dirichlet(concentration, size=n_items)
    logits = sharpness * rank * (user_factors @ item_factors.T)
    logits += rng.gumbel(size=logits.shape)
    picked = np.argpartition(-logits, items_per_user - 1, axis=1)[:, :items_per_user]
    rows = np.repeat(np.arange(n_users), items_per_user)
    matrix = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, picked.ravel())),
        shape=(n_users, n_items),
    )
    matrix.sort_indices()
    return PlantedData(matrix, user_factors, item_factors)


def two_tastes(
    users_per_taste: int = 40, items_per_taste: int = 6, seen: int = 4, random_state: int = 0
) -> sp.csr_matrix:
    """Two tastes: the first ``users_per_taste`` users like items ``0 … items_per_taste - 1``,
    the next as many the following ``items_per_taste`` items; each user has ``seen`` of their
    taste's items (weight 1), drawn at random. Float32 CSR."""
    rng = np.random.default_rng(random_state)
    rows = np.zeros((2 * users_per_taste, 2 * items_per_taste), dtype=np.float32)
    for user in range(2 * users_per_taste):
        taste = user // users_per_taste
        chosen = rng.choice(items_per_taste, size=seen, replace=False)
        rows[user, chosen + taste * items_per_taste] = 1
    return sp.csr_matrix(rows)
