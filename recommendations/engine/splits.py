"""Train/test splits of a user-item interaction matrix.

Every split returns ``(train, test)``: two ``csr_matrix`` of the input's shape and dtype, with
sorted indices, whose non-zeros partition those of the input (``train + test == user_items``,
no cell in both). Random splits are deterministic for a given ``random_state``.

Timestamps, where a split needs them, are a 1-D array aligned with the non-zeros of
``user_items`` in canonical CSR order (row by row, columns ascending), as returned by
:func:`recommendations.engine.datasets.load_interactions`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _canonical(user_items) -> sp.csr_matrix:
    matrix = sp.csr_matrix(user_items, copy=True)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def _partition(matrix: sp.csr_matrix, in_test: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Split the non-zeros of a canonical csr ``matrix`` by the boolean mask ``in_test``."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))

    def pick(mask: np.ndarray) -> sp.csr_matrix:
        part = sp.csr_matrix(
            (matrix.data[mask], (rows[mask], matrix.indices[mask])),
            shape=matrix.shape,
            dtype=matrix.dtype,
        )
        part.sort_indices()
        return part

    return pick(~in_test), pick(in_test)


def _rank_within_groups(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each element within its group when the group is ordered by ``keys``."""
    order = np.lexsort((keys, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start
    return rank


def _held_out_counts(counts: np.ndarray, test_fraction: float, min_interactions: int):
    """Items to hold out per group: ``round(fraction * n)`` clipped to ``[1, n - 1]``.

    Groups with fewer than ``min_interactions`` (or fewer than two) interactions keep all of
    them in train.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = np.clip(np.rint(test_fraction * counts), 1, np.maximum(counts - 1, 0)).astype(int)
    n_test[counts < max(min_interactions, 2)] = 0
    return n_test


def random_holdout(
    user_items,
    test_fraction: float = 0.2,
    min_interactions: int = 2,
    random_state: int | None = 0,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold out a random ``test_fraction`` of each eligible user's interactions.

    A user is eligible with at least ``min_interactions`` (and at least two) interactions; an
    eligible user with ``n`` interactions gives ``round(test_fraction * n)`` of them to test,
    at least one and at most ``n - 1``, so every user keeps training data.
    """
    matrix = _canonical(user_items)
    counts = np.diff(matrix.indptr)
    n_test = _held_out_counts(counts, test_fraction, min_interactions)
    rng = np.random.default_rng(random_state)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    rank = _rank_within_groups(rows, rng.random(matrix.nnz))
    return _partition(matrix, rank < n_test[rows])


def stratified_by_item(
    user_items,
    test_fraction: float = 0.2,
    min_interactions: int = 2,
    random_state: int | None = 0,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold out a random ``test_fraction`` of each eligible item's interactions.

    The item-side twin of :func:`random_holdout`: every item with at least
    ``min_interactions`` (and at least two) interactions gives ``round(test_fraction * n)`` of
    them to test (at least one, at most ``n - 1``), so the test set has the catalog's
    popularity profile and every item keeps training data.
    """
    matrix = _canonical(user_items)
    cols = matrix.indices.astype(np.int64)
    counts = np.bincount(cols, minlength=matrix.shape[1])
    n_test = _held_out_counts(counts, test_fraction, min_interactions)
    rng = np.random.default_rng(random_state)
    rank = _rank_within_groups(cols, rng.random(matrix.nnz))
    return _partition(matrix, rank < n_test[cols])


def _aligned_timestamps(matrix: sp.csr_matrix, timestamps) -> np.ndarray:
    timestamps = np.asarray(timestamps, dtype=np.float64)
    if timestamps.shape != (matrix.nnz,):
        raise ValueError(
            f"timestamps must be aligned with the {matrix.nnz} non-zeros, got {timestamps.shape}"
        )
    return timestamps


def leave_last_out(
    user_items,
    timestamps,
    n_last: int = 1,
    min_interactions: int = 2,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold out each eligible user's ``n_last`` most recent interactions.

    Eligible users have more than ``n_last`` and at least ``min_interactions`` interactions.
    Ties in time are broken by the higher item index going to test, so the split is
    deterministic. ``user_items`` must be canonical (no duplicate or explicit zero entries) for
    ``timestamps`` to stay aligned.
    """
    matrix = sp.csr_matrix(user_items)
    matrix.sort_indices()
    timestamps = _aligned_timestamps(matrix, timestamps)
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((-matrix.indices.astype(np.int64), -timestamps, rows))
    rank = np.empty(matrix.nnz, dtype=np.int64)
    starts = np.repeat(matrix.indptr[:-1], counts)
    rank[order] = np.arange(matrix.nnz) - starts
    eligible = (counts > n_last) & (counts >= min_interactions)
    return _partition(matrix, (rank < n_last) & eligible[rows])


def temporal_split(
    user_items,
    timestamps,
    cut: float | None = None,
    test_fraction: float = 0.2,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Global temporal cut: interactions at or after ``cut`` go to test.

    Without ``cut``, it is the ``1 - test_fraction`` quantile of the timestamps (lower
    interpolation), so about ``test_fraction`` of the interactions are in test. Users and items
    first seen after the cut appear only in test, as in production.
    """
    matrix = sp.csr_matrix(user_items)
    matrix.sort_indices()
    timestamps = _aligned_timestamps(matrix, timestamps)
    if cut is None:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        cut = float(np.quantile(timestamps, 1.0 - test_fraction, method="lower"))
    return _partition(matrix, timestamps >= cut)


def cold_items(
    user_items,
    fraction: float = 0.2,
    min_interactions: int = 1,
    random_state: int | None = 0,
) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """Hold out a random ``fraction`` of the items entirely, for cold-start evaluation.

    Among items with at least ``min_interactions`` interactions, ``round(fraction * n)`` are
    drawn; all their interactions go to test and none stay in train. Returns
    ``(train, test, held_out_items)`` with the held-out item ids sorted.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    matrix = _canonical(user_items)
    counts = np.bincount(matrix.indices, minlength=matrix.shape[1])
    candidates = np.flatnonzero(counts >= max(min_interactions, 1))
    rng = np.random.default_rng(random_state)
    n_cold = int(np.rint(fraction * len(candidates)))
    held_out = np.sort(rng.permutation(candidates)[:n_cold])
    is_cold = np.zeros(matrix.shape[1], dtype=bool)
    is_cold[held_out] = True
    train, test = _partition(matrix, is_cold[matrix.indices])
    return train, test, held_out
