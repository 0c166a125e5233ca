"""Mult-DAE: its gradients against finite differences, what it learns, the serving contract,
leave-one-out explanations, early stopping and persistence."""

import time

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import MultDAE, PopularityBlend, load_model
from recommendations.engine import autoencoder as module
from recommendations.engine.blend import popularity_prior
from recommendations.engine.synthetic import power_law_interactions, two_tastes


def _loss(model, rows):
    """The mean loss of the module docstring, computed directly (dropout 0)."""
    p = model.parameters
    x = rows.toarray().astype(np.float64)
    inputs = x / np.linalg.norm(x, axis=1, keepdims=True)
    hidden = np.tanh(inputs @ p["encoder"] + p["encoder_bias"])
    logits = hidden @ p["decoder"] + p["decoder_bias"]
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    likelihood = -(x * log_softmax).sum() / x.shape[0]
    decay = model.regularization / 2 * ((p["encoder"] ** 2).sum() + (p["decoder"] ** 2).sum())
    return likelihood + decay


def test_gradients_match_finite_differences():
    rows = sp.csr_matrix(np.array([[1, 0, 2, 0, 1], [0, 1, 0, 3, 0]], dtype=np.float32))
    model = MultDAE(hidden=3, epochs=1, dropout=0.0, regularization=0.1, random_state=1)
    model.fit(rows)
    model.parameters = {k: v.astype(np.float64) for k, v in model.parameters.items()}
    gradients, loss = model._gradients(rows, np.random.default_rng(0))
    assert loss / 2 == pytest.approx(_loss(model, rows) - _decay(model), rel=1e-6)
    for name, value in model.parameters.items():
        for index in np.ndindex(value.shape):
            saved = value[index]
            value[index] = saved + 1e-6
            above = _loss(model, rows)
            value[index] = saved - 1e-6
            below = _loss(model, rows)
            value[index] = saved
            assert gradients[name][index] == pytest.approx(
                (above - below) / 2e-6, rel=1e-5, abs=1e-6
            )


def _decay(model):
    p = model.parameters
    return model.regularization / 2 * ((p["encoder"] ** 2).sum() + (p["decoder"] ** 2).sum())


def test_it_learns_a_users_taste_and_the_loss_falls():
    matrix = two_tastes()
    model = MultDAE(hidden=16, epochs=60, batch_size=20, random_state=0).fit(matrix)
    assert model.loss_history[-1] < 0.8 * model.loss_history[0]
    ids, _ = model.recommend(np.arange(80), matrix, k=2)
    in_cluster = np.where(np.arange(80)[:, None] < 40, ids < 6, ids >= 6)
    assert in_cluster.all()  # the two unseen items of each user's own cluster come first


def test_it_beats_popularity_on_power_law_data_with_tastes():
    matrix = power_law_interactions(300, 60, nnz=3000, n_topics=6, topic_share=0.8, random_state=3)
    matrix.data[:] = 1
    rng = np.random.default_rng(0)
    held = matrix.copy()
    held.data = (rng.random(held.nnz) < 0.2).astype(np.float32)
    held.eliminate_zeros()
    train = matrix - matrix.multiply(held > 0)
    train.eliminate_zeros()
    users = np.flatnonzero(np.diff(held.indptr))
    model = MultDAE(hidden=32, epochs=80, batch_size=32, random_state=0).fit(train)
    ids, _ = model.recommend(users, train, k=5)
    counts = np.asarray((train > 0).sum(axis=0)).ravel().astype(np.float32)
    popular = np.argsort(-counts, kind="stable")

    def hits(top):
        return sum(np.isin(top[n], held[u].indices).sum() for n, u in enumerate(users))

    popular_top = [[i for i in popular if not train[u, i]][:5] for u in users]
    assert hits(ids) > 1.2 * hits(np.array(popular_top))


def test_fold_in_and_recommend_vector_serve_a_new_user_as_one_in_training():
    matrix = two_tastes()
    model = MultDAE(hidden=8, epochs=5, batch_size=20).fit(matrix)
    vector = model.fold_in(matrix[3])
    np.testing.assert_array_equal(vector, matrix[3].toarray()[0])
    ids, scores = model.recommend([3], matrix, k=4)
    folded_ids, folded_scores = model.recommend_vector(vector, k=4, exclude_items=matrix[3].indices)
    np.testing.assert_array_equal(ids, folded_ids)
    np.testing.assert_allclose(scores, folded_scores, rtol=1e-5)
    masked, _ = model.recommend([3], matrix, k=12, item_mask=np.arange(12) >= 6)
    assert set(masked[0][masked[0] >= 0]) <= set(range(6)) - set(matrix[3].indices)
    similar, _ = model.similar_items([0], k=3)
    assert 0 not in similar[0]
    with pytest.raises(ValueError, match="WHOLE"):
        model.recommend([0], matrix[:5], k=2)


def test_explain_is_leave_one_out():
    matrix = two_tastes()
    model = MultDAE(hidden=8, epochs=10, batch_size=20).fit(matrix)
    row = matrix[0]
    explanation = model.explain(row, [7, 2])
    full = model.vector_scores(row.toarray())[0]
    assert explanation.scores == pytest.approx(full[[7, 2]], rel=1e-6)
    assert explanation.seen_items.tolist() == row.indices.tolist()
    for column, seen in enumerate(row.indices):
        without = row.toarray()[0]
        without[seen] = 0
        lost = full[[7, 2]] - model.vector_scores(without)[0][[7, 2]]
        assert explanation.contributions[:, column] == pytest.approx(lost, rel=1e-5, abs=1e-6)
    best = row.indices[np.argmax(explanation.contributions, axis=1)]
    assert explanation.top_contributors.tolist() == best.tolist()
    empty = model.explain(np.zeros(12), [1])
    assert empty.top_contributors.tolist() == [-1] and empty.contributions.shape == (1, 0)
    assert empty.scores == pytest.approx(model.vector_scores(np.zeros(12))[0][[1]], rel=1e-6)
    single = np.zeros(12, dtype=np.float32)
    single[4] = 2.0  # without it the row is empty: the contribution is against the bias alone
    lost = model.vector_scores(single)[0] - model.vector_scores(np.zeros(12))[0]
    explained = model.explain(single, [1, 7])
    assert explained.contributions[:, 0] == pytest.approx(lost[[1, 7]], rel=1e-5, abs=1e-6)


def test_explain_gives_the_heaviest_items_their_contribution_and_the_rest_zero(monkeypatch):
    monkeypatch.setattr(module, "EXPLAIN_MAX_SEEN", 2)
    matrix = two_tastes()
    model = MultDAE(hidden=8, epochs=3, batch_size=20).fit(matrix)
    row = np.zeros(12, dtype=np.float32)
    row[[0, 1, 2, 3]] = [1, 5, 1, 3]
    explanation = model.explain(row, [4, 5])
    assert explanation.seen_items.tolist() == [0, 1, 2, 3]
    assert (explanation.contributions[:, [0, 2]] == 0).all()
    assert (explanation.contributions[:, [1, 3]] != 0).all()
    assert set(explanation.top_contributors) <= {1, 3}


def test_early_stopping_restores_the_best_epoch_and_the_deadline_stops_training():
    matrix = two_tastes()
    snapshots = []

    def callback(epoch, model):
        snapshots.append(model.user_scores([0, 50], matrix))
        return [0.1, 0.3, 0.2, 0.25, 0.2, 0.9][epoch]

    model = MultDAE(hidden=8, epochs=6, batch_size=20).fit(
        matrix, callback=callback, early_stopping_rounds=3
    )
    assert model.validation_history == [0.1, 0.3, 0.2, 0.25, 0.2] and model.best_iteration == 1
    np.testing.assert_array_equal(model.user_scores([0, 50], matrix), snapshots[1])
    with pytest.raises(ValueError, match="callback"):
        MultDAE().fit(matrix, early_stopping_rounds=2)
    late = MultDAE(hidden=8, epochs=50, batch_size=20).fit(matrix, deadline=time.perf_counter())
    assert len(late.loss_history) == 1


def test_fitting_is_deterministic_and_parameters_are_checked():
    matrix = two_tastes()
    first = MultDAE(hidden=8, epochs=3, batch_size=20, random_state=5).fit(matrix)
    second = MultDAE(hidden=8, epochs=3, batch_size=20, random_state=5).fit(matrix)
    for name in first.parameters:
        np.testing.assert_array_equal(first.parameters[name], second.parameters[name])
    assert first.parameters_finite()
    first.parameters["decoder"][0, 0] = np.nan
    assert not first.parameters_finite()
    for bad in ({"hidden": 0}, {"dropout": 1.0}, {"learning_rate": 0}, {"regularization": -1}):
        with pytest.raises(ValueError):
            MultDAE(**bad)
    with pytest.raises(RuntimeError, match="not fitted"):
        MultDAE().recommend([0], matrix)


def test_save_and_load_round_trip(tmp_path):
    matrix = two_tastes()
    model = MultDAE(hidden=8, epochs=3, batch_size=20).fit(matrix)
    model.state = {"selection": {"chosen": "dae"}}
    model.save(tmp_path / "dae")
    loaded = load_model(tmp_path / "dae")
    assert isinstance(loaded, MultDAE) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(
        loaded.user_scores([1, 2], matrix), model.user_scores([1, 2], matrix)
    )
    assert loaded.state == {"selection": {"chosen": "dae"}}
    other = MultDAE(hidden=4, epochs=1, batch_size=20).fit(matrix)
    other.save(tmp_path / "small")
    (tmp_path / "dae" / "autoencoder.npz").write_bytes(
        (tmp_path / "small" / "autoencoder.npz").read_bytes()
    )
    with pytest.raises(ValueError, match="does not match"):
        MultDAE.load(tmp_path / "dae")


def test_a_blend_ranks_a_learner_with_no_history_by_the_prior_alone():
    matrix = sp.vstack([two_tastes(), sp.csr_matrix((1, 12), dtype=np.float32)]).tocsr()
    model = MultDAE(hidden=8, epochs=5, batch_size=20).fit(matrix)
    prior = popularity_prior(matrix)
    blend = PopularityBlend(model, prior, weight=0.3)
    ids, _ = blend.recommend([80], matrix, k=12)
    assert ids[0].tolist() == np.argsort(-prior, kind="stable").tolist()
    folded, _ = blend.recommend_vector(np.zeros(12, dtype=np.float32), k=12)
    assert folded[0].tolist() == ids[0].tolist()
