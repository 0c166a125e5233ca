"""LightGCN: the propagation on a hand-computed graph, its gradient against finite differences,
what it learns, the serving contract (fold-in, exact explanations), early stopping and
persistence."""

import time

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import (
    LightGCN,
    Popularity,
    PopularityBlend,
    ScoreMix,
    load_model,
    metrics,
    splits,
)
from recommendations.engine import graph as module
from recommendations.engine.blend import popularity_prior
from recommendations.engine.synthetic import power_law_interactions, two_tastes


def test_the_graph_is_normalised_by_the_weighted_degrees():
    # user 0 - item 0 (weight 2), user 0 - item 1 (1), user 1 - item 1 (1)
    matrix = sp.csr_matrix(np.array([[2, 1], [0, 1]], dtype=np.float32))
    graph, degrees = module._normalised_graph(matrix)
    np.testing.assert_array_equal(degrees, [3, 1, 2, 2])  # users 0, 1, items 0, 1
    dense = graph.toarray()
    assert dense[0, 2] == pytest.approx(2 / np.sqrt(3 * 2))
    assert dense[0, 3] == pytest.approx(1 / np.sqrt(3 * 2))
    assert dense[1, 3] == pytest.approx(1 / np.sqrt(1 * 2))
    np.testing.assert_allclose(dense, dense.T)
    assert dense[0, 1] == 0 and dense[2, 3] == 0  # bipartite


def _loss(model, graph, ego, u, i, j):
    """The mean BPR loss of the module docstring, computed directly in float64."""
    dense = graph.toarray().astype(np.float64)
    layers, current = [ego], ego
    for _ in range(model.layers):
        current = dense @ current
        layers.append(current)
    final = sum(layers) / (model.layers + 1)
    x = (final[u] * (final[i] - final[j])).sum(axis=1)
    penalty = 0.5 * model.regularization * sum((ego[rows] ** 2).sum() for rows in (u, i, j))
    return (np.logaddexp(0, -x).sum() + penalty) / u.size


def test_the_gradient_matches_finite_differences():
    matrix = sp.csr_matrix(np.array([[1, 0, 2, 0], [0, 1, 1, 0], [1, 0, 0, 3]], dtype=np.float32))
    model = LightGCN(factors=3, layers=2, regularization=0.1)
    graph, _ = module._normalised_graph(matrix)
    rng = np.random.default_rng(0)
    ego = rng.standard_normal((7, 3))
    u, i, j = np.array([0, 1, 2, 0]), np.array([3, 4, 3, 5]), np.array([4, 6, 5, 6])
    gradient, loss = model._gradient(graph, ego, u, i, j)
    assert gradient.dtype == np.float64
    assert loss / u.size == pytest.approx(_loss(model, graph, ego, u, i, j), rel=1e-6)
    for index in np.ndindex(ego.shape):
        saved = ego[index]
        ego[index] = saved + 1e-6
        above = _loss(model, graph, ego, u, i, j)
        ego[index] = saved - 1e-6
        below = _loss(model, graph, ego, u, i, j)
        ego[index] = saved
        assert gradient[index] == pytest.approx((above - below) / 2e-6, rel=1e-5, abs=1e-7)


def test_it_learns_a_users_taste_and_the_loss_falls():
    matrix = two_tastes()
    model = LightGCN(factors=8, epochs=60, learning_rate=0.01, batch_size=64).fit(matrix)
    assert model.loss_history[-1] < model.loss_history[0]
    ids, _ = model.recommend(np.arange(80), matrix, k=2)
    own = np.where(np.arange(80)[:, None] < 40, ids < 6, ids >= 6)
    assert own.mean() > 0.95


def test_it_beats_popularity_on_power_law_data_with_tastes():
    matrix = power_law_interactions(300, 60, nnz=3000, n_topics=6, topic_share=0.8, random_state=3)
    matrix.data[:] = 1
    train, held = splits.random_holdout(matrix, 0.2, random_state=0)
    users = np.flatnonzero(np.diff(held.indptr))
    model = LightGCN(factors=16, epochs=60, learning_rate=0.01, batch_size=128).fit(train)
    found = metrics.ranking_metrics(model.recommend(users, train, k=5)[0], held[users], 5)
    popular = Popularity().fit(train).recommend(users, train, k=5)[0]
    baseline = metrics.ranking_metrics(popular, held[users], 5)
    assert found["ndcg@5"] > 1.2 * baseline["ndcg@5"]


def test_fold_in_propagates_the_row_and_serves_a_new_user():
    matrix = two_tastes()
    model = LightGCN(factors=8, epochs=20, learning_rate=0.01, batch_size=64).fit(matrix)
    row = matrix[3]
    # by hand: sum over the row's items of x_uj / sqrt(d_u d_j) * G_j, G_j = (E + ÂE)_j / 4
    degrees = np.asarray(matrix.sum(axis=0)).ravel()
    expected = sum(
        row[0, j] / np.sqrt(row.sum() * degrees[j]) * model.fold_vectors[j] for j in row.indices
    )
    np.testing.assert_allclose(model.fold_in(row), expected, rtol=1e-5)
    np.testing.assert_allclose(model.fold_in(row.toarray()[0]), expected, rtol=1e-5)
    assert not model.fold_in(sp.csr_matrix((1, 12), dtype=np.float32)).any()
    # a learner newer than the model, with cluster 0's items, is served cluster 0's items
    newcomer = np.zeros(12, dtype=np.float32)
    newcomer[[0, 1]] = 1
    ids, _ = model.recommend_vector(model.fold_in(newcomer), k=3, exclude_items=[0, 1])
    assert set(ids[0]) <= set(range(6))
    similar, _ = model.similar_items([0], k=3)
    assert 0 not in similar[0]
    with pytest.raises(ValueError, match="WHOLE"):
        model.recommend([0], matrix[:5], k=2)


def test_explain_splits_the_folded_in_scores_exactly():
    matrix = two_tastes()
    model = LightGCN(factors=8, epochs=20, learning_rate=0.01, batch_size=64).fit(matrix)
    row = matrix[45]
    items = np.array([6, 7, 8, 0])
    explanation = model.explain(row, items)
    np.testing.assert_array_equal(explanation.seen_items, row.indices)
    folded = model.fold_in(row) @ model.item_factors[items].T
    np.testing.assert_allclose(explanation.scores, folded, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(explanation.contributions.sum(axis=1), explanation.scores)
    # each contribution is that item's term alone: drop the others and it is the whole score
    for n, j in enumerate(row.indices):
        weight = model._row_weights(row)[1][n]
        alone = weight * (model.fold_vectors[j] @ model.item_factors[items].T)
        np.testing.assert_allclose(explanation.contributions[:, n], alone, rtol=1e-4, atol=1e-7)
    expected_top = row.indices[np.argmax(explanation.contributions, axis=1)]
    np.testing.assert_array_equal(explanation.top_contributors, expected_top)
    empty = model.explain(sp.csr_matrix((1, 12), dtype=np.float32), [0, 1])
    assert empty.contributions.shape == (2, 0) and (empty.top_contributors == -1).all()


def test_early_stopping_restores_the_best_epoch_and_the_deadline_stops_training():
    matrix = two_tastes()
    snapshots = []

    def callback(epoch, model):
        snapshots.append(model.user_factors[[0, 50]] @ model.item_factors.T)
        return [0.1, 0.3, 0.2, 0.25, 0.2, 0.9][epoch]

    model = LightGCN(factors=4, epochs=6, batch_size=64).fit(
        matrix, callback=callback, early_stopping_rounds=3
    )
    assert model.validation_history == [0.1, 0.3, 0.2, 0.25, 0.2] and model.best_iteration == 1
    np.testing.assert_array_equal(model.user_factors[[0, 50]] @ model.item_factors.T, snapshots[1])
    with pytest.raises(ValueError, match="callback"):
        LightGCN().fit(matrix, early_stopping_rounds=2)
    late = LightGCN(factors=4, epochs=50, batch_size=64).fit(matrix, deadline=time.perf_counter())
    assert len(late.loss_history) == 1


def test_fitting_is_deterministic_and_parameters_are_checked():
    matrix = two_tastes()
    first = LightGCN(factors=4, epochs=3, batch_size=64, random_state=5).fit(matrix)
    second = LightGCN(factors=4, epochs=3, batch_size=64, random_state=5).fit(matrix)
    np.testing.assert_array_equal(first.user_factors, second.user_factors)
    np.testing.assert_array_equal(first.fold_vectors, second.fold_vectors)
    assert first.parameters_finite()
    first.item_factors[0, 0] = np.nan
    assert not first.parameters_finite()
    for bad in ({"factors": 0}, {"layers": -1}, {"learning_rate": 0}, {"regularization": -1}):
        with pytest.raises(ValueError):
            LightGCN(**bad)
    with pytest.raises(RuntimeError, match="not fitted"):
        LightGCN().fold_in(matrix[0])


def test_save_and_load_round_trip(tmp_path):
    matrix = two_tastes()
    model = LightGCN(factors=4, epochs=3, batch_size=64).fit(matrix)
    model.selection = {"chosen": "lightgcn"}
    model.save(tmp_path / "gcn")
    loaded = load_model(tmp_path / "gcn")
    assert isinstance(loaded, LightGCN) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(
        loaded.recommend([1, 2], matrix)[0], model.recommend([1, 2], matrix)[0]
    )
    np.testing.assert_array_equal(loaded.fold_in(matrix[7]), model.fold_in(matrix[7]))
    assert loaded.selection == {"chosen": "lightgcn"}
    np.save(tmp_path / "gcn" / "fold_vectors.npy", np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="do not match"):
        LightGCN.load(tmp_path / "gcn")


def test_blends_and_mixes_serve_it_and_a_learner_with_no_history_gets_the_prior():
    matrix = sp.vstack([two_tastes(), sp.csr_matrix((1, 12), dtype=np.float32)]).tocsr()
    model = LightGCN(factors=8, epochs=20, learning_rate=0.01, batch_size=64).fit(matrix)
    prior = popularity_prior(matrix)
    blend = PopularityBlend(model, prior, 0.3)
    ids, _ = blend.recommend([80], matrix, k=12)
    np.testing.assert_array_equal(ids[0], np.argsort(-prior, kind="stable"))
    mix = ScoreMix([model], [1.0], prior, 0.0)
    # learner 45 has seen 4 of cluster 1's 6 items: the other 2 come first
    direct, _ = mix.recommend([45], matrix, k=2)
    folded, _ = mix.recommend_vector(mix.fold_in(matrix[45]), k=2, exclude_items=matrix[45].indices)
    assert set(direct[0]) <= set(range(6, 12)) and set(folded[0]) <= set(range(6, 12))
