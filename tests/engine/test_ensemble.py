"""ScoreMix: exact scores on a tiny case, one component = PopularityBlend, the contract, load."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALS, EASE, PopularityBlend, RP3beta, ScoreMix, load_model
from recommendations.engine.blend import popularity_prior
from recommendations.engine.item_based import ItemBasedModel
from recommendations.engine.synthetic import power_law_interactions


def _fixed(weights):
    model = ItemBasedModel()
    model._set_fitted(np.asarray(weights, dtype=np.float32), n_users=2)
    return model


def _z(row):
    row = np.asarray(row, dtype=np.float64)
    return (row - row.mean()) / row.std()


def test_scores_are_the_weighted_standardised_sum():
    first = _fixed([[0, 1, 0], [0, 0, 2], [1, 0, 0]])
    second = _fixed([[0, 0, 3], [1, 0, 0], [0, 1, 0]])
    popularity = np.array([0.0, 1.0, 3.0])
    mix = ScoreMix([first, second], [2.0, 1.0], popularity, popularity_weight=1.0)
    assert mix.weights == pytest.approx([0.5, 0.25]) and mix.popularity_weight == 0.25
    row = np.array([1.0, 1.0, 0.0])  # first scores [0, 1, 2], second [1, 0, 3]
    expected = 0.5 * _z([0, 1, 2]) + 0.25 * _z([1, 0, 3]) + 0.25 * _z(np.log1p(popularity))
    np.testing.assert_allclose(mix.vector_scores(mix.fold_in(row))[0], expected, rtol=1e-6)
    user_items = sp.csr_matrix([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    ids, scores = mix.recommend([0], user_items, k=3, exclude_seen=False)
    assert ids[0].tolist() == np.argsort(-expected).tolist()
    np.testing.assert_allclose(scores[0], np.sort(expected)[::-1], rtol=1e-6)
    assert mix.lead is first


@pytest.fixture(scope="module")
def data():
    matrix = power_law_interactions(120, 40, 900, random_state=3)
    matrix.data[:] = 1.0
    return matrix


def test_one_component_ranks_as_the_popularity_blend(data):
    ease = EASE(regularization=5.0).fit(data)
    prior = popularity_prior(data)
    users = np.arange(40)
    mix = ScoreMix([ease], [0.7], prior, popularity_weight=0.3)
    blend = PopularityBlend(ease, prior, weight=0.3)
    assert (
        mix.recommend(users, data, k=5)[0].tolist() == blend.recommend(users, data, k=5)[0].tolist()
    )


def test_the_contract_and_a_round_trip(tmp_path, data):
    ease = EASE(regularization=5.0).fit(data)
    rp3 = RP3beta(alpha=1.0, beta=0.3).fit(data)
    als = ALS(factors=8, iterations=5, random_state=0).fit(data)
    mix = ScoreMix([ease, rp3, als], [0.5, 0.2, 0.2], popularity_prior(data), 0.1)
    users = np.arange(30)
    ids, _ = mix.recommend(users, data, k=5)
    seen = data[users].toarray() > 0
    assert not seen[np.arange(30)[:, None], ids].any()
    # a representation from fold_in is served by every component (ALS folds it in)
    row = data[3]
    vector = mix.fold_in(row)
    ids_v, _ = mix.recommend_vector(vector, k=5, exclude_items=row.indices)
    assert ids_v.shape == (1, 5) and not np.isin(ids_v, row.indices).any()
    assert mix.explain(row, [0, 1]).scores.tolist() == ease.explain(row, [0, 1]).scores.tolist()
    assert mix.similar_items([0], k=3)[0].tolist() == ease.similar_items([0], k=3)[0].tolist()
    mix.state = {"selection": {"chosen": "mix"}}
    mix.save(tmp_path / "mix")
    loaded = load_model(tmp_path / "mix")
    assert isinstance(loaded, ScoreMix) and loaded.state == mix.state
    assert loaded.recommend(users, data, k=5)[0].tolist() == ids.tolist()
    assert [type(m) for m in loaded.models] == [EASE, RP3beta, ALS]


def test_bad_arguments_are_refused(data, tmp_path):
    ease = EASE(regularization=5.0).fit(data)
    prior = popularity_prior(data)
    with pytest.raises(ValueError, match="one weight per model"):
        ScoreMix([ease], [0.5, 0.5], prior)
    with pytest.raises(ValueError, match="weights"):
        ScoreMix([ease], [0.0], prior, 1.0)
    with pytest.raises(ValueError, match="popularity"):
        ScoreMix([ease], [1.0], prior[:-1])
    with pytest.raises(ValueError, match="user_items"):
        ScoreMix([ease], [1.0], prior).recommend([0], None)
    with pytest.raises(ValueError, match="item weights"):
        ScoreMix([ease], [1.0], prior).vector_scores(np.ones(3))
    ScoreMix([ease], [1.0], prior).save(tmp_path / "m")
    with pytest.raises(ValueError, match="load_model"):
        ScoreMix.load(tmp_path / "m")


def test_a_grouped_model_ranks_a_mix_by_its_mixed_scores(data):
    from recommendations.engine import GroupedModel

    ease = EASE(regularization=5.0).fit(data)
    rp3 = RP3beta(alpha=1.0, beta=0.3).fit(data)
    mix = ScoreMix([ease, rp3], [0.5, 0.5], popularity_prior(data), 0.0)
    grouped = GroupedModel(np.zeros(data.shape[1], dtype=int), ("all",), {"all": mix})
    users = np.arange(20)
    ids, _ = grouped.recommend(users, data, k=5)
    assert ids.tolist() == mix.recommend(users, data, k=5)[0].tolist()
    np.testing.assert_allclose(
        mix.user_scores(users, data),
        mix.vector_scores(data[users].toarray()),
        rtol=1e-5,
        atol=1e-6,  # float32 sums in another order (BLAS threads) differ near zero
    )
