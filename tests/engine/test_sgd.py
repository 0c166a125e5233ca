"""Tests of the BPR model: exact gradients, learning, shared serving surface."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import BPR
from recommendations.engine.sgd import bpr_loss_and_gradients
from recommendations.engine.synthetic import planted_low_rank


def scatter(shape, rows, values):
    dense = np.zeros(shape)
    np.add.at(dense, rows, values)
    return dense


def test_gradients_match_central_finite_differences():
    rng = np.random.default_rng(0)
    U = rng.standard_normal((5, 3))
    V = rng.standard_normal((6, 3))
    users = np.array([0, 1, 1, 4, 0])
    pos = np.array([2, 3, 3, 0, 5])
    neg = np.array([1, 2, 5, 5, 2])  # item 5 is positive once and negative twice
    reg = 0.3

    result = bpr_loss_and_gradients(U, V, users, pos, neg, reg)
    grad_U = scatter(U.shape, users, result.users)
    grad_V = scatter(V.shape, pos, result.positives) + scatter(V.shape, neg, result.negatives)

    def loss(U_, V_):
        return bpr_loss_and_gradients(U_, V_, users, pos, neg, reg).loss

    eps = 1e-6
    for matrix, analytic in ((U, grad_U), (V, grad_V)):
        numeric = np.zeros_like(matrix)
        for index in np.ndindex(matrix.shape):
            original = matrix[index]
            matrix[index] = original + eps
            plus = loss(U, V)
            matrix[index] = original - eps
            minus = loss(U, V)
            matrix[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_loss_value_matches_definition():
    U = np.array([[1.0, 0.0]])
    V = np.array([[2.0, 1.0], [0.5, -1.0]])
    result = bpr_loss_and_gradients(U, V, np.array([0]), np.array([0]), np.array([1]), 0.1)
    x = 2.0 - 0.5
    expected = np.log1p(np.exp(-x)) + 0.05 * (1.0 + 5.0 + 1.25)
    assert result.loss == pytest.approx(expected)


def split(matrix, per_user, seed):
    rng = np.random.default_rng(seed)
    rows, cols, held = [], [], {}
    for u in range(matrix.shape[0]):
        items = matrix.indices[matrix.indptr[u] : matrix.indptr[u + 1]]
        chosen = rng.choice(items, size=per_user, replace=False)
        held[u] = chosen
        kept = np.setdiff1d(items, chosen)
        rows.extend([u] * kept.size)
        cols.extend(kept)
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=matrix.shape)
    return train, held


def test_bpr_learns_planted_structure_better_than_random():
    data = planted_low_rank(300, 150, rank=3, items_per_user=12, random_state=1)
    train, held = split(data.user_items, 3, seed=2)
    model = BPR(factors=8, learning_rate=0.05, regularization=0.01, iterations=30, batch_size=256)
    ids, _ = model.fit(train).recommend(np.arange(300), train, k=10)
    recall = np.mean([np.isin(held[u], row).mean() for u, row in enumerate(ids)])
    random_recall = 10 / (150 - 9)
    assert recall > 3 * random_recall
    assert model.loss_history[-1] < 0.5 * model.loss_history[0]
    assert len(model.loss_history) == 30


def test_bpr_is_deterministic_per_seed():
    matrix = planted_low_rank(60, 40, items_per_user=5, random_state=3).user_items
    first = BPR(factors=4, iterations=3, random_state=5).fit(matrix)
    second = BPR(factors=4, iterations=3, random_state=5).fit(matrix)
    other = BPR(factors=4, iterations=3, random_state=6).fit(matrix)
    np.testing.assert_array_equal(first.user_factors, second.user_factors)
    np.testing.assert_array_equal(first.item_factors, second.item_factors)
    assert not np.array_equal(first.item_factors, other.item_factors)
    assert first.item_factors.dtype == np.float32


def test_negatives_are_never_positives():
    rng = np.random.default_rng(0)
    matrix = sp.csr_matrix((rng.random((50, 8)) < 0.7).astype(np.float32))
    users = np.repeat(np.arange(50), np.diff(matrix.indptr))
    known = users * 8 + matrix.indices
    negatives = BPR._sample_negatives(users, known, 8, rng)
    assert np.all(negatives < 8)
    sampled = negatives >= 0
    assert not np.isin(users[sampled] * 8 + negatives[sampled], known).any()
    full_row = np.zeros(8, dtype=np.int64)
    assert np.all(BPR._sample_negatives(full_row, np.arange(8), 8, rng) == -1)


def test_bpr_shares_serving_and_persistence(tmp_path):
    matrix = planted_low_rank(60, 40, items_per_user=5, random_state=3).user_items
    model = BPR(factors=4, iterations=2).fit(matrix)
    ids, scores = model.recommend([0, 1], matrix, k=5)
    assert ids.shape == (2, 5) and np.all(np.diff(scores, axis=1) <= 0)
    similar, _ = model.similar_items([3], k=4)
    assert 3 not in similar
    with pytest.raises(ValueError, match="WHOLE"):
        model.recommend([0], matrix[0])
    model.save(tmp_path)
    loaded = BPR.load(tmp_path)
    np.testing.assert_array_equal(loaded.recommend([0, 1], matrix, k=5)[0], ids)
    assert loaded.loss_history == model.loss_history


def test_bpr_early_stopping():
    matrix = planted_low_rank(60, 40, items_per_user=5, random_state=3).user_items
    metrics = iter([0.5, 0.4, 0.3, 0.2])
    model = BPR(factors=4, iterations=10).fit(
        matrix, callback=lambda epoch, model: next(metrics), early_stopping_rounds=2
    )
    assert model.best_iteration == 0 and model.validation_history == [0.5, 0.4, 0.3]
