"""EASE and RP3beta: closed forms on hand-checked matrices, the serving contract, persistence."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import EASE, RP3beta, load_model
from recommendations.engine.item_based import ItemBasedModel

# X^T X = [[3,2,2],[2,3,2],[2,2,3]]; with lambda = 1, G = 2I + 2J, so
# P = G^-1 = 0.5 I - 0.125 J: diagonal 0.375, off-diagonal -0.125, and
# B_ij = -P_ij / P_jj = 0.125 / 0.375 = 1/3 off the diagonal.
X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=np.float32))


def test_ease_closed_form_on_a_4x3_matrix():
    model = EASE(regularization=1.0).fit(X)
    expected = np.full((3, 3), 1 / 3)
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(model.item_weights, expected, atol=1e-6)
    ids, scores = model.recommend([0], X, k=3)
    # user 0 has items 0 and 1: item 2 scores 1/3 + 1/3, the seen items are excluded.
    assert ids.tolist() == [[2, -1, -1]]
    assert scores[0, 0] == pytest.approx(2 / 3)
    assert model.n_users == 4 and model.n_items == 3


def test_ease_refuses_a_catalogue_above_its_limit():
    with pytest.raises(ValueError, match="max_items=2"):
        EASE(regularization=1.0, max_items=2).fit(X)
    with pytest.raises(ValueError, match="positive"):
        EASE(regularization=0)


def test_rp3beta_random_walk_on_a_3x3_matrix():
    # P_iu P_ui = [[.75,.25,0],[.25,.5,.25],[0,.5,.5]], diagonal dropped; beta divides
    # column j by its number of users (2, 2, 1).
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=np.float32))
    plain = RP3beta(alpha=1.0, beta=0.0).fit(matrix)
    np.testing.assert_allclose(
        plain.item_weights, [[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.5, 0]], atol=1e-7
    )
    penalised = RP3beta(alpha=1.0, beta=1.0).fit(matrix)
    np.testing.assert_allclose(
        penalised.item_weights, [[0, 0.125, 0], [0.125, 0, 0.25], [0, 0.25, 0]], atol=1e-7
    )
    squared = RP3beta(alpha=2.0, beta=0.0).fit(matrix)
    np.testing.assert_allclose(squared.item_weights[0, 1], 0.0625)
    with pytest.raises(ValueError):
        RP3beta(alpha=0)


def test_fold_in_recommend_vector_and_explain_agree_with_recommend():
    model = EASE(regularization=1.0).fit(X)
    vector = model.fold_in(X[0])
    np.testing.assert_array_equal(vector, [1, 1, 0])
    np.testing.assert_array_equal(model.fold_in(np.array([1, 1, 0])), vector)
    ids, scores = model.recommend_vector(vector, k=1, exclude_items=[0, 1])
    assert ids.tolist() == [[2]]
    explanation = model.explain(X[0], [2])
    assert explanation.seen_items.tolist() == [0, 1]
    np.testing.assert_allclose(explanation.contributions, [[1 / 3, 1 / 3]], atol=1e-6)
    assert explanation.scores[0] == pytest.approx(scores[0, 0])
    assert explanation.top_contributors[0] in (0, 1)
    assert model.explain(sp.csr_matrix((1, 3)), [2]).top_contributors.tolist() == [-1]
    mask = np.array([False, False, True])
    assert model.recommend([0], X, k=1, item_mask=mask)[0].tolist() == [[-1]]
    assert model.recommend_vector(vector, k=1, item_mask=mask)[0][0, 0] in (0, 1)
    assert model.recommend([3], X, k=3, exclude_seen=False)[0].shape == (1, 3)
    np.testing.assert_allclose(model.user_scores([0], X)[0], [1 / 3, 1 / 3, 2 / 3], atol=1e-6)


def test_similar_items_excludes_the_item_itself():
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]], np.float32))
    model = RP3beta().fit(matrix)
    ids, _ = model.similar_items([0, 2], k=2)
    assert 0 not in ids[0] and 2 not in ids[1]
    mask = np.array([False, True, False, False])
    assert 1 not in model.similar_items([0], k=3, item_mask=mask)[0]


def test_bad_input_is_refused():
    model = EASE(regularization=1.0)
    with pytest.raises(RuntimeError, match="not fitted"):
        _ = model.n_items
    model.fit(X)
    with pytest.raises(ValueError, match="WHOLE"):
        model.recommend([0], X[:2])
    with pytest.raises(ValueError, match=r"scipy\.sparse"):
        model.recommend([0], X.toarray())
    with pytest.raises(ValueError, match="pass it"):
        model.recommend([0], None, exclude_seen=False)
    with pytest.raises(ValueError, match="item weights"):
        model.recommend_vector(np.ones(5))
    with pytest.raises(ValueError, match="positive"):
        model.recommend([0], X, k=0)


@pytest.mark.parametrize("model", [EASE(regularization=2.0), RP3beta(alpha=0.8, beta=0.3)])
def test_save_and_load_round_trip(tmp_path, model):
    model.fit(X)
    model.state = {"selection": {"chosen": "x"}}
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    assert loaded.state == {"selection": {"chosen": "x"}}
    np.testing.assert_array_equal(loaded.item_weights, model.item_weights)
    assert loaded.recommend([1], X, k=2)[0].tolist() == model.recommend([1], X, k=2)[0].tolist()
    assert repr(loaded).startswith(type(model).__name__)
    with pytest.raises(ValueError, match="not"):
        (RP3beta if isinstance(model, EASE) else EASE).load(tmp_path / "m")


def test_load_checks_the_weights_shape(tmp_path):
    EASE(regularization=1.0).fit(X).save(tmp_path)
    np.save(tmp_path / "item_weights.npy", np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="does not match"):
        EASE.load(tmp_path)
    assert issubclass(EASE, ItemBasedModel)
