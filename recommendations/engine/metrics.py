"""Top-k recommendation metrics over a batch of users, vectorised.

Inputs shared by the accuracy metrics:

``recommended``
    ``(n_users, k')`` integer item ids, best first, padded with ``-1``; only the first ``k``
    columns are read. Ids are assumed unique within a row (as every engine model returns them).
``truth``
    held-out interactions as a sparse ``(n_users, n_items)`` matrix whose row ``u`` belongs to
    row ``u`` of ``recommended``; any stored non-zero counts as relevant (binary relevance).

Users whose truth row is empty are skipped: every accuracy metric is the mean over users with
at least one held-out item, and is ``nan`` when there is none.

Definitions, for a user with relevant set :math:`T`, list :math:`r_1..r_k` and
:math:`\\mathrm{rel}_j = [r_j \\in T]`:

* precision@k :math:`= \\sum_j \\mathrm{rel}_j / k` (padding counts as a miss);
* recall@k :math:`= \\sum_j \\mathrm{rel}_j / \\min(k, |T|)`. Dividing by :math:`\\min(k,|T|)`
  instead of :math:`|T|` makes 1.0 reachable for users with more than ``k`` held-out items, so
  heavy users do not cap the average (the "normalised recall" of Liang et al., *Variational
  Autoencoders for Collaborative Filtering*, WWW 2018). :func:`plain_recall` divides by
  :math:`|T|`;
* nDCG@k :math:`= \\mathrm{DCG}/\\mathrm{IDCG}` with
  :math:`\\mathrm{DCG} = \\sum_j \\mathrm{rel}_j / \\log_2(j + 1)` and IDCG the DCG of
  :math:`\\min(k, |T|)` hits in the first places (Järvelin & Kekäläinen, TOIS 2002);
* MAP@k: mean of :math:`\\mathrm{AP} = \\sum_j P@j \\cdot \\mathrm{rel}_j / \\min(k, |T|)`;
* hit rate@k: fraction of users with at least one hit.

Beyond-accuracy metrics (catalog coverage, intra-list diversity, novelty, popularity bias) look
at the lists alone and are described on their functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

Similarity = np.ndarray | sp.spmatrix | sp.sparray | Callable[[np.ndarray, np.ndarray], np.ndarray]


def _relevance(recommended: np.ndarray, truth, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rel, n_truth)`` for the users with a non-empty truth row.

    ``rel`` is the boolean ``(n_kept, k)`` hit matrix, ``n_truth`` the held-out count per kept
    user. Membership is tested with one ``searchsorted`` over the keys ``row * n_items + item``
    of the truth's non-zeros, so no Python loop runs over users.
    """
    recommended = np.asarray(recommended)
    if recommended.ndim != 2:
        raise ValueError(f"recommended must be 2-D (n_users, k), got shape {recommended.shape}")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    truth = sp.csr_matrix(truth)
    truth.eliminate_zeros()
    if truth.shape[0] != recommended.shape[0]:
        raise ValueError(
            f"truth has {truth.shape[0]} rows but recommended has {recommended.shape[0]}"
        )
    n_items = truth.shape[1]
    truth.sort_indices()
    rows = np.repeat(np.arange(truth.shape[0], dtype=np.int64), np.diff(truth.indptr))
    keys = rows * n_items + truth.indices
    top = recommended[:, :k].astype(np.int64)
    if top.shape[1] < k:
        top = np.hstack([top, np.full((top.shape[0], k - top.shape[1]), -1, dtype=np.int64)])
    valid = (top >= 0) & (top < n_items)
    query = np.arange(top.shape[0], dtype=np.int64)[:, None] * n_items + np.where(valid, top, 0)
    pos = np.searchsorted(keys, query)
    found = np.zeros(top.shape, dtype=bool)
    inside = pos < len(keys)
    found[inside] = keys[pos[inside]] == query[inside]
    rel = found & valid
    n_truth = np.diff(truth.indptr)
    kept = n_truth > 0
    return rel[kept], n_truth[kept]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def precision(recommended: np.ndarray, truth, k: int) -> float:
    """Mean precision@k: hits among the first ``k`` places divided by ``k``."""
    rel, _ = _relevance(recommended, truth, k)
    return _mean(rel.sum(axis=1) / k)


def recall(recommended: np.ndarray, truth, k: int) -> float:
    """Mean recall@k normalised by ``min(k, |T|)`` (see the module docstring for why)."""
    rel, n_truth = _relevance(recommended, truth, k)
    return _mean(rel.sum(axis=1) / np.minimum(k, n_truth))


def plain_recall(recommended: np.ndarray, truth, k: int) -> float:
    """Mean recall@k as hits divided by the full held-out count ``|T|``."""
    rel, n_truth = _relevance(recommended, truth, k)
    return _mean(rel.sum(axis=1) / n_truth)


def ndcg(recommended: np.ndarray, truth, k: int) -> float:
    """Mean nDCG@k with binary relevance and ideal DCG over ``min(k, |T|)`` hits."""
    return _mean(ndcg_per_user(recommended, truth, k))


def ndcg_per_user(recommended: np.ndarray, truth, k: int) -> np.ndarray:
    """nDCG@k of each user with a non-empty truth row, in row order (for paired comparisons)."""
    rel, n_truth = _relevance(recommended, truth, k)
    disc = _discounts(k)
    dcg = rel @ disc
    idcg = np.cumsum(disc)[np.minimum(k, n_truth) - 1]
    return dcg / idcg


def average_precision(recommended: np.ndarray, truth, k: int) -> float:
    """MAP@k: mean over users of ``sum_j P@j * rel_j / min(k, |T|)``."""
    rel, n_truth = _relevance(recommended, truth, k)
    precision_at = np.cumsum(rel, axis=1) / np.arange(1, k + 1)
    return _mean((precision_at * rel).sum(axis=1) / np.minimum(k, n_truth))


def hit_rate(recommended: np.ndarray, truth, k: int) -> float:
    """Fraction of users with at least one held-out item among the first ``k``."""
    rel, _ = _relevance(recommended, truth, k)
    return _mean(rel.any(axis=1).astype(np.float64))


def ranking_metrics(recommended: np.ndarray, truth, k: int) -> dict[str, float]:
    """All accuracy metrics at once (one membership test), keyed ``"precision@k"`` etc."""
    rel, n_truth = _relevance(recommended, truth, k)
    hits = rel.sum(axis=1)
    capped = np.minimum(k, n_truth)
    disc = _discounts(k)
    precision_at = np.cumsum(rel, axis=1) / np.arange(1, k + 1)
    return {
        f"precision@{k}": _mean(hits / k),
        f"recall@{k}": _mean(hits / capped),
        f"plain_recall@{k}": _mean(hits / n_truth) if n_truth.size else float("nan"),
        f"ndcg@{k}": _mean((rel @ disc) / np.cumsum(disc)[capped - 1]),
        f"map@{k}": _mean((precision_at * rel).sum(axis=1) / capped),
        f"hit_rate@{k}": _mean((hits > 0).astype(np.float64)),
    }


def item_popularity(user_items) -> np.ndarray:
    """Number of distinct users with a non-zero entry, per item (``int64``, length n_items)."""
    matrix = sp.csc_matrix(user_items)
    matrix.eliminate_zeros()
    return np.diff(matrix.indptr).astype(np.int64)


def _valid_ids(recommended: np.ndarray, n_items: int) -> np.ndarray:
    ids = np.asarray(recommended).astype(np.int64)
    return ids[(ids >= 0) & (ids < n_items)]


def catalog_coverage(recommended: np.ndarray, n_items: int) -> float:
    """Share of the catalog that appears in at least one list: ``|∪ lists| / n_items``."""
    if n_items <= 0:
        raise ValueError(f"n_items must be positive, got {n_items}")
    return len(np.unique(_valid_ids(recommended, n_items))) / n_items


def intra_list_diversity(recommended: np.ndarray, similarity: Similarity) -> float:
    """Mean over lists of ``1 - mean pairwise similarity`` (Ziegler et al., WWW 2005).

    ``similarity`` is an item-item matrix (dense or sparse) or a function
    ``similarity(item_ids, other_ids) -> (len(item_ids), len(other_ids))`` such as
    :meth:`recommendations.engine.content.ContentModel.similarity`. The function is called once,
    on the distinct recommended items. Padding is ignored; lists with fewer than two items have
    no pairs and are skipped (``nan`` if no list has two).
    """
    ids = np.asarray(recommended).astype(np.int64)
    valid = ids >= 0
    unique, inverse = np.unique(np.where(valid, ids, -1), return_inverse=True)
    inverse = inverse.reshape(ids.shape)
    items = unique[unique >= 0]
    offset = len(unique) - len(items)
    if callable(similarity):
        sub = np.asarray(similarity(items, items), dtype=np.float64)
    elif sp.issparse(similarity):
        sub = sp.csr_matrix(similarity)[items][:, items].toarray().astype(np.float64)
    else:
        sub = np.asarray(similarity, dtype=np.float64)[np.ix_(items, items)]
    local = np.where(valid, inverse - offset, 0)
    pair_sim = sub[local[:, :, None], local[:, None, :]]
    pair_valid = valid[:, :, None] & valid[:, None, :]
    upper = np.triu(np.ones((ids.shape[1], ids.shape[1]), dtype=bool), k=1)
    pair_valid &= upper
    n_pairs = pair_valid.sum(axis=(1, 2))
    kept = n_pairs > 0
    mean_sim = (pair_sim * pair_valid).sum(axis=(1, 2))[kept] / n_pairs[kept]
    return _mean(1.0 - mean_sim)


def novelty(recommended: np.ndarray, item_counts: np.ndarray, n_users: int) -> float:
    """Mean self-information ``-log2(p_i)`` of the recommended items (Zhou et al., PNAS 2010).

    ``p_i = max(count_i, 1) / n_users`` is the share of training users who interacted with item
    ``i`` (``item_counts`` from :func:`item_popularity`); counts are floored at one so that an
    item nobody has seen gets the largest finite value ``log2(n_users)``. Averaged over all
    recommended slots (padding ignored).
    """
    item_counts = np.asarray(item_counts)
    ids = _valid_ids(recommended, len(item_counts))
    if not ids.size:
        return float("nan")
    p = np.maximum(item_counts[ids], 1) / n_users
    return float(np.mean(-np.log2(p)))


def average_recommendation_popularity(recommended: np.ndarray, item_counts: np.ndarray) -> float:
    """ARP: mean over lists of the mean training popularity of the listed items.

    Abdollahpouri et al., *Managing Popularity Bias in Recommender Systems with Personalized
    Re-ranking*, FLAIRS 2019. ``item_counts`` as from :func:`item_popularity`.
    """
    item_counts = np.asarray(item_counts, dtype=np.float64)
    ids = np.asarray(recommended).astype(np.int64)
    valid = (ids >= 0) & (ids < len(item_counts))
    per_list = valid.sum(axis=1)
    kept = per_list > 0
    totals = np.where(valid, item_counts[np.where(valid, ids, 0)], 0.0).sum(axis=1)
    return _mean(totals[kept] / per_list[kept])


def popularity_percentile(recommended: np.ndarray, item_counts: np.ndarray) -> float:
    """Mean popularity percentile of the recommended slots, in ``[0, 1]``.

    An item's percentile is the share of catalog items strictly less popular than it plus half
    of the others with the same count (mid-rank), so the least popular item of a catalog of
    distinct counts scores ``0.5 / n`` and a uniform draw from the catalog averages 0.5. Higher
    means the lists lean to the head of the catalog.
    """
    item_counts = np.asarray(item_counts)
    ids = _valid_ids(recommended, len(item_counts))
    if not ids.size:
        return float("nan")
    sorted_counts = np.sort(item_counts)
    below = np.searchsorted(sorted_counts, item_counts, side="left")
    upto = np.searchsorted(sorted_counts, item_counts, side="right")
    percentile = (below + 0.5 * (upto - below)) / len(item_counts)
    return float(percentile[ids].mean())
