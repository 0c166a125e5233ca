"""Splits: partition of the non-zeros, shapes, per-user counts, determinism and time order."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import splits


def _matrix(seed=1, n_users=40, n_items=30, density=0.3):
    matrix = sp.random(n_users, n_items, density=density, format="csr", random_state=seed)
    matrix.data = np.ceil(matrix.data * 5).astype(np.float32)
    return matrix.astype(np.float32)


def _assert_partition(original, train, test):
    assert train.shape == test.shape == original.shape
    assert train.dtype == test.dtype == original.dtype
    assert train.multiply(test).nnz == 0  # disjoint
    assert (train + test != original).nnz == 0  # union, with the original weights


def _keys(matrix):
    coo = matrix.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


def test_random_holdout_per_user_counts():
    matrix = _matrix()
    train, test = splits.random_holdout(matrix, test_fraction=0.25, min_interactions=3)
    _assert_partition(matrix, train, test)
    counts = np.diff(matrix.indptr)
    expected = np.where(counts >= 3, np.clip(np.rint(0.25 * counts), 1, counts - 1), 0)
    assert list(np.diff(test.indptr)) == list(expected)
    assert (np.diff(train.indptr)[counts > 0] >= 1).all()


def test_random_holdout_small_hand_case():
    # user 0: 4 items -> round(0.5 * 4) = 2 held out; user 1: 1 item -> not eligible;
    # user 2: 2 items -> round(1.0) = 1, capped at n - 1 = 1.
    matrix = sp.csr_matrix(np.array([[1, 1, 1, 1], [0, 1, 0, 0], [1, 0, 0, 1]], dtype=np.float32))
    train, test = splits.random_holdout(matrix, test_fraction=0.5, random_state=3)
    assert list(np.diff(test.indptr)) == [2, 0, 1]
    assert list(np.diff(train.indptr)) == [2, 1, 1]


def test_random_holdout_is_deterministic_and_seed_dependent():
    matrix = _matrix()
    a = splits.random_holdout(matrix, random_state=7)[1]
    b = splits.random_holdout(matrix, random_state=7)[1]
    c = splits.random_holdout(matrix, random_state=8)[1]
    assert _keys(a) == _keys(b)
    assert _keys(a) != _keys(c)


def test_stratified_by_item_per_item_counts():
    matrix = _matrix(seed=2)
    train, test = splits.stratified_by_item(matrix, test_fraction=0.3, random_state=0)
    _assert_partition(matrix, train, test)
    counts = np.diff(matrix.tocsc().indptr)
    expected = np.where(counts >= 2, np.clip(np.rint(0.3 * counts), 1, counts - 1), 0)
    assert list(np.diff(test.tocsc().indptr)) == list(expected)
    assert _keys(test) == _keys(splits.stratified_by_item(matrix, 0.3, random_state=0)[1])


def test_invalid_fraction_is_rejected():
    with pytest.raises(ValueError, match="test_fraction"):
        splits.random_holdout(_matrix(), test_fraction=1.0)


# Three users; timestamps aligned with the csr non-zeros (row by row, columns ascending).
TIMED = sp.csr_matrix(np.array([[1, 1, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=np.float32))
TIMES = np.array([30.0, 10.0, 20.0, 5.0, 5.0, 7.0])  # user 1 has a tie at t = 5


def test_leave_last_out_takes_latest_per_user():
    train, test = splits.leave_last_out(TIMED, TIMES)
    _assert_partition(TIMED, train, test)
    # user 0: latest is item 0 (t=30); user 1: tie -> higher item id 3; user 2: single -> kept
    assert _keys(test) == {(0, 0), (1, 3)}


def test_leave_last_out_keeps_time_order():
    rng = np.random.default_rng(0)
    matrix = _matrix(seed=3)
    times = rng.random(matrix.nnz)
    train, test = splits.leave_last_out(matrix, times, n_last=2)
    _assert_partition(matrix, train, test)
    stamp = {key: t for key, t in zip(sorted(_keys(matrix)), times, strict=True)}
    for user in range(matrix.shape[0]):
        held = [stamp[(u, i)] for u, i in _keys(test) if u == user]
        kept = [stamp[(u, i)] for u, i in _keys(train) if u == user]
        if held:
            assert len(held) == 2 and min(held) >= max(kept)


def test_temporal_split_cut_and_quantile():
    train, test = splits.temporal_split(TIMED, TIMES, cut=10.0)
    _assert_partition(TIMED, train, test)
    assert _keys(test) == {(0, 0), (0, 1), (0, 2)}  # t = 30, 10, 20
    # 1 - 0.5 quantile, lower interpolation, of sorted 5, 5, 7, 10, 20, 30 is 7
    _, test = splits.temporal_split(TIMED, TIMES, test_fraction=0.5)
    assert _keys(test) == {(0, 0), (0, 1), (0, 2), (2, 2)}


def test_timestamps_must_align():
    with pytest.raises(ValueError, match="aligned"):
        splits.leave_last_out(TIMED, TIMES[:-1])


def test_cold_items_moves_whole_columns():
    matrix = _matrix(seed=4)
    train, test, held_out = splits.cold_items(matrix, fraction=0.2, random_state=5)
    _assert_partition(matrix, train, test)
    n_items_with_data = int((np.diff(matrix.tocsc().indptr) > 0).sum())
    assert len(held_out) == round(0.2 * n_items_with_data)
    assert train.tocsc()[:, held_out].nnz == 0
    assert set(test.indices) == set(held_out)
    again = splits.cold_items(matrix, fraction=0.2, random_state=5)[2]
    assert list(again) == list(held_out)
