"""Content model (TF-IDF, cosine, explanations) and the cold-start mapper on small cases."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ColdStartMapper, ContentModel

NAMES = ["python", "math", "music"]
# 3 items x 3 tags: item 0 = python, item 1 = python + math, item 2 = music
FEATURES = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=np.float32))
# idf = ln((1 + 3) / (1 + df)) + 1 with df = 2, 1, 1
IDF = np.array([math.log(4 / 3) + 1, math.log(2) + 1, math.log(2) + 1])


def _model():
    return ContentModel(feature_names=NAMES).fit(FEATURES)


def test_idf_and_normalised_item_vectors():
    model = _model()
    assert model.idf == pytest.approx(IDF)
    item1 = np.array([IDF[0], IDF[1], 0]) / math.hypot(IDF[0], IDF[1])
    assert model.item_vectors.toarray()[1] == pytest.approx(item1)
    assert model.item_vectors.toarray()[0] == pytest.approx([1, 0, 0])


def test_similarity_is_cosine():
    model = _model()
    cos01 = IDF[0] / math.hypot(IDF[0], IDF[1])
    assert model.similarity([0, 1, 2]) == pytest.approx(
        np.array([[1, cos01, 0], [cos01, 1, 0], [0, 0, 1]])
    )
    assert model.similarity([0], [1, 2]) == pytest.approx(np.array([[cos01, 0]]))


def test_interests_and_history_mix():
    model = ContentModel(interest_weight=0.5).fit(FEATURES)
    interests = sp.csr_matrix(np.array([[0, 0, 1.0]]))  # likes music
    history = sp.csr_matrix(np.array([[1.0, 0, 0]]))  # took item 0 (python)
    learner = model.learner_vectors(interests=interests, history=history).toarray()[0]
    # 0.5 * [0,0,1] + 0.5 * [1,0,0], normalised
    assert learner == pytest.approx([1 / math.sqrt(2), 0, 1 / math.sqrt(2)])
    only_history = model.learner_vectors(history=history).toarray()[0]
    assert only_history == pytest.approx([1, 0, 0])


def test_recommend_follows_history_and_excludes_seen():
    model = _model()
    user_items = sp.csr_matrix(np.array([[1, 0, 0], [0, 0, 0]], dtype=np.float32))
    ids, scores = model.recommend([0, 1], user_items, k=2)
    # user 0 saw item 0 (python): item 1 shares python (cosine > 0), item 2 shares nothing
    assert ids.tolist() == [[1, -1], [-1, -1]]
    assert scores[0, 0] == pytest.approx(IDF[0] / math.hypot(IDF[0], IDF[1]))


def test_explain_names_the_strongest_feature():
    model = _model()
    learners = model.learner_vectors(interests=sp.csr_matrix(np.array([[1.0, 3.0, 0], [0, 0, 1]])))
    explanations = model.explain(learners, [1, 0])
    # learner 0 on item 1: terms idf0 * idf0 and 3 * idf1 * idf1 (up to normalisation) -> math
    assert explanations[0].name == "math" and explanations[0].feature == 1
    total = IDF[0] ** 2 + 3 * IDF[1] ** 2
    assert explanations[0].share == pytest.approx(3 * IDF[1] ** 2 / total)
    assert explanations[1] is None  # learner 1 likes music only, item 0 is python


def test_transform_new_items_with_fitted_idf():
    model = _model()
    new = model.transform(sp.csr_matrix(np.array([[0, 2.0, 0]])))
    assert new.toarray() == pytest.approx(np.array([[0, 1, 0]]))


def test_cold_start_mapper_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    features = rng.random((50, 4))
    true_map = rng.normal(size=(4, 3))
    factors = features @ true_map + 0.5
    mapper = ColdStartMapper(regularization=1e-6).fit(sp.csr_matrix(features), factors)
    new = rng.random((5, 4))
    assert mapper.predict(new) == pytest.approx(new @ true_map + 0.5, abs=1e-4)


def test_cold_start_mapper_dual_form_matches_primal():
    rng = np.random.default_rng(1)
    features = rng.random((6, 10))  # fewer items than features: dual form
    factors = rng.normal(size=(6, 2))
    dual = ColdStartMapper(regularization=0.3).fit(features, factors)
    xc = features - features.mean(axis=0)
    primal = np.linalg.solve(xc.T @ xc + 0.3 * np.eye(10), xc.T @ (factors - factors.mean(axis=0)))
    assert dual.weights == pytest.approx(primal, abs=1e-8)


def test_cold_start_mapper_shrinks_to_the_mean_with_strong_regularisation():
    features = np.eye(3)
    factors = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    mapper = ColdStartMapper(regularization=1e9).fit(features, factors)
    assert mapper.predict(np.array([[1.0, 0, 0]])) == pytest.approx(
        np.array([[1.0, 1.0]]), abs=1e-6
    )
