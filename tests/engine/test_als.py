"""Exact small-case tests of the implicit ALS model and its solvers."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALS
from recommendations.engine._solvers import (
    HalfStepData,
    cg_half_step,
    exact_half_step,
    hkv_loss,
)
from recommendations.engine.synthetic import planted_low_rank

ALPHA = 2.0
REG = 0.1


def small_matrix(n_users=30, n_items=20, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_users, n_items)) < density) * rng.integers(1, 6, (n_users, n_items))
    dense[0] = 0  # a user with no interactions
    dense[1, 3] = 0
    rows, cols = np.nonzero(dense)
    # plus an explicitly stored zero at (1, 3): confidence 1, preference 0
    rows, cols = np.append(rows, 1), np.append(cols, 3)
    matrix = sp.csr_matrix(
        (dense[rows, cols].astype(np.float32), (rows, cols)), shape=(n_users, n_items)
    )
    assert matrix.nnz == np.count_nonzero(dense) + 1
    return matrix


def closed_form(matrix, Y, alpha, reg):
    """Dense textbook solution of (Y^T C^u Y + reg I) x = Y^T C^u p(u) for every row u."""
    dense = matrix.toarray().astype(np.float64)
    Y = Y.astype(np.float64)
    k = Y.shape[1]
    X = np.empty((dense.shape[0], k))
    for u, weights in enumerate(dense):
        confidence = 1 + alpha * weights
        preference = (weights > 0).astype(np.float64)
        A = Y.T @ (confidence[:, None] * Y) + reg * np.eye(k)
        X[u] = np.linalg.solve(A, Y.T @ (confidence * preference))
    return X


@pytest.fixture(scope="module")
def matrix():
    return small_matrix()


@pytest.fixture(scope="module")
def fitted(matrix):
    return ALS(factors=6, regularization=REG, alpha=ALPHA, iterations=6, random_state=0).fit(matrix)


# ----------------------------------------------------------------------------- solvers
@pytest.mark.parametrize("block_nnz", [7, 10_000])
def test_cg_half_step_run_to_convergence_equals_closed_form(matrix, block_nnz):
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((matrix.shape[1], 5)).astype(np.float32)
    X = rng.standard_normal((matrix.shape[0], 5)).astype(np.float32)
    data = HalfStepData.from_csr(matrix, ALPHA, block_nnz)
    assert (len(data.blocks) > 1) == (block_nnz == 7)
    cg_half_step(data, X, Y, REG, steps=25)
    np.testing.assert_allclose(X, closed_form(matrix, Y, ALPHA, REG), rtol=2e-4, atol=2e-4)


def test_exact_half_step_equals_closed_form(matrix):
    rng = np.random.default_rng(2)
    Y = rng.standard_normal((matrix.shape[1], 5)).astype(np.float32)
    X = np.zeros((matrix.shape[0], 5), dtype=np.float32)
    exact_half_step(HalfStepData.from_csr(matrix, ALPHA, 16), X, Y, REG)
    np.testing.assert_allclose(X, closed_form(matrix, Y, ALPHA, REG), rtol=1e-5, atol=1e-5)


def test_few_cg_steps_do_not_reach_the_solution(matrix):
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((matrix.shape[1], 5)).astype(np.float32)
    X = np.zeros((matrix.shape[0], 5), dtype=np.float32)
    cg_half_step(HalfStepData.from_csr(matrix, ALPHA, 16), X, Y, REG, steps=1)
    assert not np.allclose(X, closed_form(matrix, Y, ALPHA, REG), atol=1e-2)


def test_cg_half_step_is_identical_with_a_thread_pool(matrix):
    rng = np.random.default_rng(3)
    Y = rng.standard_normal((matrix.shape[1], 5)).astype(np.float32)
    X0 = rng.standard_normal((matrix.shape[0], 5)).astype(np.float32)
    data = HalfStepData.from_csr(matrix, ALPHA, 9)
    serial, pooled = X0.copy(), X0.copy()
    cg_half_step(data, serial, Y, REG, steps=3)
    with ThreadPoolExecutor(2) as executor:
        cg_half_step(data, pooled, Y, REG, steps=3, executor=executor)
    np.testing.assert_array_equal(serial, pooled)


def test_hkv_loss_matches_dense_formula(matrix):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((matrix.shape[0], 4)).astype(np.float32)
    Y = rng.standard_normal((matrix.shape[1], 4)).astype(np.float32)
    dense = matrix.toarray().astype(np.float64)
    confidence, preference = 1 + ALPHA * dense, (dense > 0).astype(np.float64)
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    expected = np.sum(confidence * (preference - X64 @ Y64.T) ** 2) + REG * (
        np.sum(X64**2) + np.sum(Y64**2)
    )
    loss = hkv_loss(HalfStepData.from_csr(matrix, ALPHA, 16), X, Y, REG)
    assert loss == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------------------- training
def test_loss_is_non_increasing_with_exact_solves(matrix):
    model = ALS(factors=5, regularization=REG, alpha=ALPHA, iterations=8, solver="exact")
    model.fit(matrix, calculate_loss=True)
    losses = np.array(model.loss_history)
    assert losses.shape == (8,)
    assert np.all(np.diff(losses) <= 1e-6 * np.abs(losses[:-1]))
    assert losses[-1] < losses[0]


def test_loss_history_only_when_asked(matrix):
    assert ALS(factors=4, iterations=3).fit(matrix).loss_history == []
    assert len(ALS(factors=4, iterations=3, calculate_loss=True).fit(matrix).loss_history) == 3


def test_cg_training_approaches_exact_training_loss(matrix):
    exact = ALS(factors=5, iterations=10, solver="exact", calculate_loss=True).fit(matrix)
    cg = ALS(factors=5, iterations=10, cg_steps=3, calculate_loss=True).fit(matrix)
    assert cg.loss_history[-1] == pytest.approx(exact.loss_history[-1], rel=0.02)


def holdout_split(matrix, per_user, seed):
    rng = np.random.default_rng(seed)
    train = matrix.tolil(copy=True)
    held = {}
    for u in range(matrix.shape[0]):
        items = matrix.indices[matrix.indptr[u] : matrix.indptr[u + 1]]
        held[u] = rng.choice(items, size=per_user, replace=False)
        train[u, held[u]] = 0
    train = train.tocsr()
    train.eliminate_zeros()
    return train, held


def recall_at(ids, held):
    return np.mean([np.isin(held[u], row).mean() for u, row in enumerate(ids)])


def test_planted_structure_is_recovered():
    data = planted_low_rank(400, 200, rank=4, items_per_user=12, random_state=5)
    train, held = holdout_split(data.user_items, 3, seed=6)
    model = ALS(factors=8, regularization=0.1, alpha=5.0, iterations=10, random_state=0)
    ids, _ = model.fit(train).recommend(np.arange(400), train, k=10)
    popular = np.argsort(-np.asarray(train.sum(axis=0)).ravel(), kind="stable")
    pop_ids = np.array(
        [[i for i in popular if train[u, i] == 0][:10] for u in range(400)], dtype=np.int64
    )
    als_recall, pop_recall = recall_at(ids, held), recall_at(pop_ids, held)
    assert als_recall > 0.3
    assert als_recall > 2 * pop_recall


def test_same_seed_same_factors_other_seed_differs(matrix):
    def fit(seed, threads):
        return ALS(factors=6, iterations=4, block_nnz=11, num_threads=threads, random_state=seed)

    first, second = fit(7, 2).fit(matrix), fit(7, 2).fit(matrix)
    np.testing.assert_array_equal(first.user_factors, second.user_factors)
    np.testing.assert_array_equal(first.item_factors, second.item_factors)
    np.testing.assert_array_equal(first.item_factors, fit(7, 1).fit(matrix).item_factors)
    assert not np.array_equal(first.item_factors, fit(8, 2).fit(matrix).item_factors)
    assert first.user_factors.dtype == first.item_factors.dtype == np.float32


def test_fit_rejects_invalid_input(matrix):
    with pytest.raises(ValueError, match=">= 0"):
        ALS().fit(-matrix)
    with pytest.raises(ValueError, match=r"scipy\.sparse"):
        ALS().fit(matrix.toarray())
    with pytest.raises(ValueError, match="solver"):
        ALS(solver="cholesky")
    with pytest.raises(ValueError, match="callback"):
        ALS().fit(matrix, early_stopping_rounds=2)


def test_early_stopping_stops_and_restores_the_best_iteration(matrix):
    metrics = iter([0.1, 0.3, 0.2, 0.25, 0.9, 0.95])
    snapshots = []

    def callback(iteration, model):
        snapshots.append(model.user_factors.copy())
        return next(metrics)

    model = ALS(factors=4, iterations=6).fit(matrix, callback=callback, early_stopping_rounds=2)
    assert model.validation_history == [0.1, 0.3, 0.2, 0.25]
    assert model.best_iteration == 1
    np.testing.assert_array_equal(model.user_factors, snapshots[1])


def test_callback_without_metric_runs_every_iteration(matrix):
    calls = []
    ALS(factors=4, iterations=3).fit(matrix, callback=lambda it, model: calls.append(it))
    assert calls == [0, 1, 2]


# ----------------------------------------------------------------------------- serving
def brute_force(model, users, matrix, k):
    scores = model.user_factors[users] @ model.item_factors.T
    scores[matrix[users].toarray() != 0] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def test_recommend_matches_brute_force(fitted, matrix):
    users = np.array([2, 5, 7, 29])
    ids, scores = fitted.recommend(users, matrix, k=5)
    expected_ids, expected_scores = brute_force(fitted, users, matrix, 5)
    assert ids.shape == scores.shape == (4, 5)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)
    for user, row in zip(users, ids, strict=True):
        assert not np.isin(row, matrix[user].indices).any()


def test_recommend_int_user_is_2d_and_can_include_seen(fitted, matrix):
    ids, _ = fitted.recommend(3, matrix, k=4, exclude_seen=False)
    assert ids.shape == (1, 4)
    expected = np.argsort(-(fitted.user_factors[3] @ fitted.item_factors.T), kind="stable")[:4]
    np.testing.assert_array_equal(ids[0], expected)


def test_recommend_item_masks(fitted, matrix):
    users = np.array([2, 5])
    mask = np.zeros(matrix.shape[1], dtype=bool)
    mask[:10] = True
    ids, _ = fitted.recommend(users, matrix, k=5, item_mask=mask)
    assert np.all(ids >= 10)
    per_user = np.zeros((2, matrix.shape[1]), dtype=bool)
    per_user[0, 10:] = True
    ids, _ = fitted.recommend(users, matrix, k=3, item_mask=per_user)
    assert np.all((ids[0] < 10) & (ids[0] >= 0))
    assert not np.isin(ids[1], matrix[5].indices).any()
    with pytest.raises(ValueError, match="item_mask"):
        fitted.recommend(users, matrix, item_mask=np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match="boolean"):
        fitted.recommend(users, matrix, item_mask=np.zeros(matrix.shape[1]))


def brute_top_k(scores, excluded, k):
    """Top ``k`` of each row by score, ties by item id, excluded cells skipped, padded."""
    ids, values = [], []
    for row, out in zip(scores, excluded, strict=True):
        order = sorted((i for i in range(row.size) if not out[i]), key=lambda i: (-row[i], i))[:k]
        ids.append(order + [-1] * (k - len(order)))
        values.append([row[i] for i in order] + [-np.inf] * (k - len(order)))
    return np.array(ids), np.array(values, dtype=np.float32)


@pytest.mark.parametrize("seed", range(6))
def test_a_shared_mask_scores_only_the_allowed_items_with_the_same_answer(fitted, matrix, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random(matrix.shape[1]) < [0.2, 0.5, 0.75, 0.95, 0.0, 1.0][seed]
    users, k = np.arange(matrix.shape[0]), int(rng.integers(1, 12))
    scores = fitted.user_factors @ fitted.item_factors.T
    seen = matrix.toarray() != 0  # the stored zero at (1, 3) is not a seen item
    ids, values = fitted.recommend(users, matrix, k=k, item_mask=mask)
    expected_ids, expected_values = brute_top_k(scores, seen | mask, k)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(values, expected_values, rtol=1e-5)

    vector_ids, _ = fitted.recommend_vector(fitted.user_factors[:4], k=k, item_mask=mask)
    np.testing.assert_array_equal(
        vector_ids, brute_top_k(scores[:4], np.broadcast_to(mask, (4, mask.size)), k)[0]
    )

    items = np.array([0, 7, 19])
    similar, _ = fitted.similar_items(items, k=k, item_mask=mask)
    unit = fitted.item_factors / np.linalg.norm(fitted.item_factors, axis=1, keepdims=True)
    itself = np.zeros((3, mask.size), dtype=bool)
    itself[np.arange(3), items] = True
    np.testing.assert_array_equal(similar, brute_top_k(unit[items] @ unit.T, itself | mask, k)[0])


def test_recommend_pads_when_too_few_items_are_eligible(fitted, matrix):
    mask = np.ones(matrix.shape[1], dtype=bool)
    mask[[4, 9]] = False
    ids, scores = fitted.recommend([0], matrix, k=5, item_mask=mask)
    assert sorted(ids[0, :2]) == [4, 9]
    np.testing.assert_array_equal(ids[0, 2:], [-1, -1, -1])
    assert np.all(np.isneginf(scores[0, 2:])) and np.all(np.isfinite(scores[0, :2]))
    ids, scores = fitted.recommend([2], matrix, k=50, exclude_seen=False)
    assert ids.shape == (1, 50) and np.all(ids[0, 20:] == -1)


def test_recommend_rejects_a_slice_and_bad_user_ids(fitted, matrix):
    with pytest.raises(ValueError, match="WHOLE"):
        fitted.recommend([3], matrix[3])
    with pytest.raises(ValueError, match="WHOLE"):
        fitted.recommend([3], sp.vstack([matrix, matrix[:1]]).tocsr())
    with pytest.raises(ValueError, match="WHOLE"):
        fitted.recommend([3], matrix[:, :-1])
    with pytest.raises(ValueError, match="out of range"):
        fitted.recommend([30], matrix)
    with pytest.raises(ValueError, match="out of range"):
        fitted.recommend([-1], matrix)
    with pytest.raises(ValueError, match="required"):
        fitted.recommend([1], None)
    with pytest.raises(RuntimeError, match="not fitted"):
        ALS().recommend([1], matrix)


def final_user_half_step(model, matrix):
    X = model.user_factors.copy()
    exact_half_step(HalfStepData.from_csr(matrix, model.alpha, 64), X, model.item_factors, REG)
    return X


def test_fold_in_equals_a_final_exact_user_half_step(fitted, matrix):
    X = final_user_half_step(fitted, matrix)
    for user in (0, 1, 2, 17):
        np.testing.assert_allclose(fitted.fold_in(matrix[user]), X[user], rtol=1e-5, atol=1e-6)
    dense_row = matrix[17].toarray().ravel()
    np.testing.assert_array_equal(fitted.fold_in(dense_row), fitted.fold_in(matrix[17]))
    sparse_vector = sp.coo_array(dense_row)
    assert sparse_vector.shape == (matrix.shape[1],)
    np.testing.assert_array_equal(fitted.fold_in(sparse_vector), fitted.fold_in(matrix[17]))
    assert fitted.fold_in(matrix[17]).dtype == np.float32
    with pytest.raises(ValueError):
        fitted.fold_in(np.ones(5))


def test_fold_in_then_recommend_vector_equals_recommend(fitted, matrix):
    model = ALS(factors=6, regularization=REG, alpha=ALPHA)
    model.user_factors = final_user_half_step(fitted, matrix)
    model.item_factors = fitted.item_factors
    for user in (2, 11):
        expected, _ = model.recommend([user], matrix, k=6)
        vector = model.fold_in(matrix[user])
        ids, _ = model.recommend_vector(vector, k=6, exclude_items=matrix[user].indices)
        np.testing.assert_array_equal(ids, expected)


def test_similar_items_matches_brute_force_cosine(fitted):
    Y = fitted.item_factors.astype(np.float64)
    normalized = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    cosine = normalized @ normalized.T
    np.fill_diagonal(cosine, -np.inf)
    items = np.array([0, 7, 19])
    ids, sims = fitted.similar_items(items, k=4)
    assert not np.any(ids == items[:, None])
    np.testing.assert_array_equal(ids, np.argsort(-cosine[items], axis=1, kind="stable")[:, :4])
    np.testing.assert_allclose(sims, np.sort(cosine[items], axis=1)[:, ::-1][:, :4], rtol=1e-5)


def test_explain_contributions_sum_to_the_folded_in_score(fitted, matrix):
    row = matrix[5]
    items = np.arange(matrix.shape[1])
    explanation = fitted.explain(row, items)
    scores = fitted.fold_in(row) @ fitted.item_factors.T
    np.testing.assert_allclose(explanation.contributions.sum(axis=1), scores, atol=1e-5)
    np.testing.assert_allclose(explanation.scores, scores, atol=1e-5)
    np.testing.assert_array_equal(explanation.seen_items, row.indices)
    assert explanation.contributions.shape == (matrix.shape[1], row.nnz)


def test_explain_names_the_right_item_on_a_hand_made_case():
    model = ALS(factors=2, regularization=0.1, alpha=1.0)
    model.user_factors = np.zeros((1, 2), dtype=np.float32)
    model.item_factors = np.array(
        [[1.0, 0.0], [0.0, 1.0], [0.95, 0.05], [0.05, 0.95]], dtype=np.float32
    )
    row = sp.csr_matrix(np.array([[1.0, 3.0, 0.0, 0.0]], dtype=np.float32))
    explanation = model.explain(row, [2, 3])
    np.testing.assert_array_equal(explanation.top_contributors, [0, 1])
    Y = model.item_factors.astype(np.float64)
    confidence = np.array([2.0, 4.0])
    W = np.linalg.inv(Y[:2].T @ (confidence[:, None] * Y[:2]) + Y[2:].T @ Y[2:] + 0.1 * np.eye(2))
    np.testing.assert_allclose(explanation.contributions, (Y[2:] @ W @ Y[:2].T) * confidence)
    empty = model.explain(np.zeros(4), [2])
    assert empty.top_contributors.tolist() == [-1] and empty.contributions.shape == (1, 0)


def test_save_load_round_trip_memory_mapped(fitted, matrix, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = ALS.load(tmp_path / "model")
    assert isinstance(loaded.item_factors, np.memmap)
    assert loaded.get_params() == fitted.get_params()
    users = np.arange(matrix.shape[0])
    for got, expected in zip(
        loaded.recommend(users, matrix, k=7), fitted.recommend(users, matrix, k=7), strict=True
    ):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(loaded.fold_in(matrix[4]), fitted.fold_in(matrix[4]))
    in_memory = ALS.load(tmp_path / "model", mmap_mode=None)
    assert not isinstance(in_memory.item_factors, np.memmap)


def test_callback_sees_the_current_factors_not_stale_caches(matrix):
    folded, similar = [], []

    def callback(iteration, model):
        folded.append(model.fold_in(matrix[2]))
        similar.append(model.similar_items([0], k=3)[1])

    model = ALS(factors=4, iterations=3).fit(matrix, callback=callback)
    np.testing.assert_array_equal(folded[-1], model.fold_in(matrix[2]))
    np.testing.assert_array_equal(similar[-1], model.similar_items([0], k=3)[1])
    assert not np.array_equal(folded[0], folded[-1])
    assert not np.array_equal(similar[0], similar[-1])
