"""PopularityBlend: its weight-0 and weight-1 extremes, the contract, persistence, load_model."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALS, EASE, Popularity, PopularityBlend, load_model
from recommendations.engine.blend import is_factorization, popularity_prior
from recommendations.engine.synthetic import power_law_interactions


@pytest.fixture(scope="module")
def data():
    matrix = power_law_interactions(120, 40, 900, random_state=3)
    matrix.data[:] = 1.0
    return matrix


@pytest.fixture(scope="module", params=["ease", "als"])
def base(request, data):
    if request.param == "ease":
        return EASE(regularization=5.0).fit(data)
    return ALS(factors=8, iterations=5, random_state=0).fit(data)


def test_weight_zero_ranks_as_the_base_model(data, base):
    users = np.arange(30)
    blend = PopularityBlend(base, popularity_prior(data), weight=0.0)
    assert (
        blend.recommend(users, data, k=5)[0].tolist()
        == base.recommend(users, data, k=5)[0].tolist()
    )


def test_weight_one_ranks_as_popularity(data, base):
    users = np.arange(30)
    popularity = popularity_prior(data) + np.arange(data.shape[1]) * 1e-3  # no ties
    blend = PopularityBlend(base, popularity, weight=1.0)
    expected = Popularity()
    expected.scores = popularity
    assert (
        blend.recommend(users, data, k=5)[0].tolist()
        == expected.recommend(users, data, k=5)[0].tolist()
    )


def test_a_middle_weight_moves_towards_popular_items(data, base):
    users = np.arange(60)
    counts = popularity_prior(data)
    mean_count = []
    for weight in (0.0, 0.5, 1.0):
        ids, _ = PopularityBlend(base, counts, weight).recommend(users, data, k=5)
        mean_count.append(counts[ids].mean())
    assert mean_count[0] <= mean_count[1] <= mean_count[2]


def test_vectors_masks_and_delegation(data, base):
    blend = PopularityBlend(base, popularity_prior(data), 0.3)
    vector = blend.fold_in(data[4])
    seen = data[4].indices
    ids, _ = blend.recommend_vector(vector, k=5, exclude_items=seen)
    assert not set(ids[0]) & set(seen)
    mask = np.zeros(data.shape[1], dtype=bool)
    mask[:20] = True
    assert (blend.recommend([4], data, k=5, item_mask=mask)[0] >= 20).all()
    assert (blend.recommend_vector(vector, k=5, item_mask=mask)[0] >= 20).all()
    if isinstance(base, ALS):
        assert blend.recommend([4], None, k=3, exclude_seen=False)[0].shape == (1, 3)
    else:  # an item-based model's users are their rows of user_items
        with pytest.raises(ValueError, match=r"scipy\.sparse"):
            blend.recommend([4], None, k=3, exclude_seen=False)
    assert blend.similar_items([0], k=3)[0].tolist() == base.similar_items([0], k=3)[0].tolist()
    assert blend.explain(data[4], [1, 2]).seen_items.tolist() == seen.tolist()
    assert blend.n_users == data.shape[0] and blend.n_items == data.shape[1]
    assert is_factorization(blend) == isinstance(base, ALS)
    assert "weight=0.3" in repr(blend)


def test_bad_input_is_refused(data, base):
    counts = popularity_prior(data)
    with pytest.raises(ValueError, match="weight"):
        PopularityBlend(base, counts, 1.5)
    with pytest.raises(ValueError, match="one value per item"):
        PopularityBlend(base, counts[:3])
    with pytest.raises(ValueError, match=">= 0"):
        PopularityBlend(base, -counts)
    blend = PopularityBlend(base, counts, 0.5)
    with pytest.raises(ValueError, match="required"):
        blend.recommend([0], None)
    with pytest.raises(ValueError, match="WHOLE"):
        blend.recommend([0], data[:3])
    with pytest.raises(ValueError, match="positive"):
        blend.recommend([0], data, k=0)


def test_save_and_load_round_trip(tmp_path, data, base):
    blend = PopularityBlend(base, popularity_prior(data), 0.4)
    blend.state = {"selection": {"chosen": "ease"}}
    blend.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, PopularityBlend) and type(loaded.base) is type(base)
    assert loaded.weight == 0.4 and loaded.state == blend.state
    users = np.arange(10)
    assert (
        loaded.recommend(users, data, k=4)[0].tolist()
        == blend.recommend(users, data, k=4)[0].tolist()
    )
    with pytest.raises(ValueError, match="not PopularityBlend"):
        PopularityBlend.load(tmp_path / "m" / "base", loader=load_model)
    with pytest.raises(ValueError, match=r"engine\.load_model"):
        PopularityBlend.load(tmp_path / "m")


def test_load_model_refuses_an_unknown_model(tmp_path):
    (tmp_path / "params.json").write_text(json.dumps({"model": "Mystery"}))
    with pytest.raises(ValueError, match="unknown model"):
        load_model(tmp_path)


def test_constant_scores_standardise_to_zero():
    matrix = sp.csr_matrix(np.ones((2, 3), dtype=np.float32))
    base = EASE(regularization=1.0).fit(matrix)
    blend = PopularityBlend(base, np.zeros(3), 0.5)
    _, scores = blend.recommend([0], matrix, k=3, exclude_seen=False)
    np.testing.assert_allclose(scores, 0.0)


def test_a_learner_with_no_history_is_ranked_by_the_prior_alone(data):
    """ALS leaves an empty row a residue of its iterations (about 1e-14); standardised per
    learner it would be an arbitrary order. The blend and the mix rank that learner exactly
    as popularity does, at any weight of the prior."""
    from recommendations.engine import ScoreMix

    matrix = sp.lil_matrix(data)
    matrix[7, :] = 0
    matrix = sp.csr_matrix(matrix)
    matrix.eliminate_zeros()
    model = ALS(factors=8, iterations=5, random_state=0).fit(matrix)
    assert np.asarray(model.user_factors)[7].any()  # the residue is there
    popularity = popularity_prior(matrix) + np.arange(matrix.shape[1]) * 1e-3  # no ties
    expected = Popularity()
    expected.scores = popularity
    by_popularity = expected.recommend([7], matrix, k=10)[0].tolist()
    ease = EASE(regularization=5.0).fit(matrix)
    for weight in (0.1, 0.7):
        blend = PopularityBlend(model, popularity, weight)
        assert blend.recommend([7], matrix, k=10)[0].tolist() == by_popularity
        mix = ScoreMix([model, ease], [0.5, 0.5], popularity, weight)
        assert mix.recommend([7], matrix, k=10)[0].tolist() == by_popularity
    # Learners with a history keep their personal order.
    assert (
        PopularityBlend(model, popularity, 0.1).recommend([3], matrix, k=10)[0].tolist()
        != by_popularity
    )
