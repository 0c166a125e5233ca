"""GroupedModel: a model per group of items behind the usual contract."""

import numpy as np
import pytest

from recommendations.engine import ALS, EASE, GroupedModel, PopularityBlend, RP3beta, load_model
from recommendations.engine.blend import popularity_prior
from recommendations.engine.synthetic import power_law_interactions


@pytest.fixture(scope="module")
def data():
    matrix = power_law_interactions(80, 30, 600, random_state=5)
    matrix.data[:] = 1.0
    return matrix


@pytest.fixture(scope="module")
def grouped(data):
    groups = np.repeat([0, 1, 2], 10)
    ease = EASE(regularization=5.0).fit(data)
    blend = PopularityBlend(RP3beta().fit(data), popularity_prior(data), 0.5)
    models = {"a": ease, "b": blend, "c": ease, "d": ALS(factors=4, iterations=3).fit(data)}
    return GroupedModel(groups, ("a", "b", "c", "d"), models)


def test_one_group_is_ranked_by_its_own_model(data, grouped):
    users = np.arange(20)
    for code, name in enumerate(("a", "b", "c")):
        mask = grouped.groups != code
        expected = grouped.model_for(name).recommend(users, data, k=4, item_mask=mask)
        got = grouped.recommend(users, data, k=4, item_mask=mask)
        assert got[0].tolist() == expected[0].tolist()
        assert ((got[0] == -1) | (grouped.groups[np.maximum(got[0], 0)] == code)).all()


def test_across_groups_every_group_takes_part_and_seen_items_are_excluded(data, grouped):
    ids, _ = grouped.recommend(np.arange(80), data, k=12)
    assert set(grouped.groups[ids[ids >= 0]]) == {0, 1, 2}
    for user, row in enumerate(ids):
        assert not set(row) & set(data[user].indices)
    mask2d = np.zeros((2, 30), dtype=bool)
    mask2d[:, :5] = True
    ids, _ = grouped.recommend([0, 1], data, k=5, item_mask=mask2d)
    assert (ids >= 5).all()
    assert grouped.recommend([0], data, k=3, exclude_seen=False)[0].shape == (1, 3)
    assert grouped.n_users == 80 and grouped.n_items == 30


def test_similar_items_follow_the_items_group(data, grouped):
    ids, _ = grouped.similar_items([0, 15], k=3)
    assert ids[0].tolist() == grouped.model_for("a").similar_items([0], k=3)[0][0].tolist()
    assert ids[1].tolist() == grouped.model_for("b").similar_items([15], k=3)[0][0].tolist()
    mask = np.zeros((2, 30), dtype=bool)
    mask[:, 1] = True
    assert 1 not in grouped.similar_items([0, 15], k=3, item_mask=mask)[0]


def test_save_once_per_distinct_model_and_load(tmp_path, data, grouped):
    grouped.state = {"chosen": {"a": "ease"}}
    grouped.save(tmp_path / "g")
    folders = sorted(p.name for p in (tmp_path / "g").iterdir() if p.is_dir())
    assert folders == ["model-0", "model-1", "model-2"]  # "a" and "c" share one EASE
    loaded = load_model(tmp_path / "g")
    assert isinstance(loaded, GroupedModel) and loaded.model_for("a") is loaded.model_for("c")
    assert loaded.state == grouped.state
    users = np.arange(10)
    assert (
        loaded.recommend(users, data, k=6)[0].tolist()
        == grouped.recommend(users, data, k=6)[0].tolist()
    )
    with pytest.raises(ValueError, match="not GroupedModel"):
        GroupedModel.load(tmp_path / "g" / "model-0", loader=load_model)
    with pytest.raises(ValueError, match=r"engine\.load_model"):
        GroupedModel.load(tmp_path / "g")


def test_bad_input_is_refused(data, grouped):
    ease = grouped.model_for("a")
    with pytest.raises(ValueError, match="no model"):
        GroupedModel(grouped.groups, ("a", "b"), {"a": ease})
    with pytest.raises(ValueError, match="items"):
        GroupedModel(np.zeros(3), ("a",), {"a": ease})
    with pytest.raises(ValueError, match="required"):
        grouped.recommend([0], None)
    with pytest.raises(ValueError, match="positive"):
        grouped.recommend([0], data, k=0)
