"""fit_best over families: every family scored on one validation split, the best one chosen."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import (
    ALS,
    EASE,
    LightGCN,
    MultDAE,
    PopularityBlend,
    RP3beta,
    ScoreMix,
    fit_best,
    load_model,
)
from recommendations.engine import selection as selection_module
from recommendations.engine.selection import BLEND_WEIGHTS, FamilyResult, _ease_next, select
from recommendations.engine.synthetic import planted_low_rank, power_law_interactions
from recommendations.engine.tuning import SearchSpace

SMALL_ALS = SearchSpace(factors=(4, 8), max_iterations=4, n_candidates=4)


@pytest.fixture(scope="module")
def popular_only():
    """Every pick drawn from one Zipf law: nothing personal to learn, popularity is right."""
    matrix = power_law_interactions(300, 60, 2400, exponent=1.2, topic_share=0.0, random_state=1)
    matrix.data[:] = 1.0
    return matrix


@pytest.fixture(scope="module")
def clustered():
    """Planted low-rank taste and no popularity skew: the personal models are right."""
    return planted_low_rank(
        n_users=300, n_items=60, rank=3, items_per_user=10, random_state=0
    ).user_items


def test_popularity_wins_where_nothing_is_personal(popular_only):
    report, _ = select(popular_only, families=("ease", "rp3beta"), time_budget_s=30)
    assert report.blend_weight >= 0.5
    assert report.score >= report.popularity_score - 1e-12


def test_the_personal_model_wins_on_planted_taste(clustered):
    report, _ = select(clustered, families=("ease", "rp3beta"), time_budget_s=30)
    assert report.blend_weight <= 0.3
    assert report.score > report.popularity_score * 1.2


def test_the_choice_is_the_best_blended_validation_score(clustered):
    report, left = select(
        clustered, families=("als", "ease", "rp3beta"), search_space=SMALL_ALS, max_trials=2
    )
    scored = {r.family: r for r in report.families}
    assert set(scored) - {"mix"} == {"als", "ease", "rp3beta"}
    singles = [r for r in report.families if r.family != "mix"]
    best_single = max(singles, key=lambda r: r.blend_score)
    if report.chosen == "mix":  # a mix is kept only when it beats every single family
        assert report.score > best_single.blend_score
    else:
        assert report.chosen == best_single.family
    assert report.score == scored[report.chosen].blend_score
    for result in singles:  # weight 0 is the family alone: the blend is never worse
        assert result.blend_score >= result.score - 1e-12
        assert result.blend_weight in BLEND_WEIGHTS and result.trials >= 1
    assert scored["als"].trials == 2
    assert report.validation_users > 0 and left < 60
    assert "chose" in report.summary() and "ease" in report.summary()


def test_without_the_blend_the_weight_stays_zero(clustered):
    report, _ = select(clustered, families=("rp3beta",), popularity_blend=False)
    assert report.blend_weight == 0.0 and report.chosen == "rp3beta"
    assert report.families[0].trials == len(selection_module.RP3_GRID)


def test_fit_best_refits_the_chosen_family_with_its_report(tmp_path, clustered, popular_only):
    model = fit_best(clustered, families=("ease",), time_budget_s=30)
    assert isinstance(model, EASE) and model.selection_report.chosen == "ease"
    assert model.regularization == model.selection_report.params["regularization"]
    assert model.state["selection"]["chosen"] == "ease"
    blended = fit_best(popular_only, families=("rp3beta",), popularity_blend=True)
    assert isinstance(blended, PopularityBlend) and isinstance(blended.base, RP3beta)
    assert blended.weight == blended.selection_report.blend_weight > 0
    blended.save(tmp_path / "b")
    assert load_model(tmp_path / "b").state["selection"]["chosen"] == "rp3beta"
    als = fit_best(
        clustered, families=("als",), search_space=SMALL_ALS, max_trials=2, time_budget_s=30
    )
    assert isinstance(als, ALS) and als.selection["chosen"] == "als"
    als.save(tmp_path / "a")
    assert load_model(tmp_path / "a").selection["families"][0]["family"] == "als"


def test_ease_is_skipped_above_its_item_limit(clustered):
    report, _ = select(clustered, families=("ease", "rp3beta"), ease_max_items=10)
    ease = report.families[0]
    assert ease.family == "ease" and "skipped" in ease.note and report.chosen == "rp3beta"
    assert str(ease).startswith("ease: skipped")


def test_bad_families_are_refused(clustered):
    with pytest.raises(ValueError, match="families"):
        select(clustered, families=("svd",))
    with pytest.raises(ValueError, match="families"):
        select(clustered, families=())


def test_ease_candidates_extend_at_the_ends_then_refine():
    def tried(*pairs):
        return [(score, {"regularization": value}) for value, score in pairs]

    assert _ease_next([]) == {"regularization": 10.0}
    # best at the top end: one more decade up
    assert _ease_next(tried((10, 1), (100, 2), (1000, 3))) == {"regularization": 10000.0}
    # best at the bottom end: one decade down
    assert _ease_next(tried((10, 3), (100, 2), (1000, 1))) == {"regularization": 1.0}
    # best inside: the midpoints around it
    step = _ease_next(tried((10, 1), (100, 3), (1000, 2)))
    assert math.isclose(step["regularization"], 100 / math.sqrt(10), rel_tol=1e-6)
    full = tried((10, 1), (100, 3), (1000, 2), (31.622777, 1), (316.227766, 1), (50, 1))
    assert _ease_next(full) is None
    both = tried((10, 1), (100, 3), (1000, 2), (31.622777, 1), (316.227766, 1))
    assert _ease_next(both) is None


def test_a_tight_budget_stops_a_grid_early(clustered, monkeypatch):
    report, _ = select(clustered, families=("rp3beta", "ease"), time_budget_s=1e-6)
    assert report.families[0].trials == selection_module.RP3_MIN_TRIALS
    assert report.families[1].trials == len(selection_module.EASE_COARSE)
    assert "rp3beta" in str(report.families[0])


def test_family_result_prints_without_a_blend():
    text = str(FamilyResult("ease", {"regularization": 10.0}, 0.5, trials=1))
    assert "regularization=10" in text and "blended" not in text
    assert math.isnan(FamilyResult("x").blend_score)


def test_als_scores_come_from_its_factors(clustered):
    train = sp.csr_matrix(clustered)
    model = ALS(factors=4, iterations=2).fit(train)
    users = np.arange(10)
    truth = train[users]
    prior = np.zeros(train.shape[1])
    (score,) = selection_module._scores_by_weight(
        model, train, users, truth, "ndcg@10", 10, prior, (0.0,)
    )
    assert score == 0.0  # the truth is what was seen, and seen items are excluded


def test_a_choice_for_some_items_ranks_and_validates_only_them(clustered):
    items = np.zeros(clustered.shape[1], dtype=bool)
    items[:20] = True
    report, _ = select(clustered, families=("ease",), items=items)
    # weight 0 of the blend is the family alone, scored the same way: only these items
    assert report.families[0].blend_score >= report.families[0].score - 1e-12
    unblended, _ = select(clustered, families=("ease",), items=items, popularity_blend=False)
    assert unblended.score == pytest.approx(unblended.families[0].score)
    model = fit_best(clustered, families=("ease",), popularity_blend=True)
    ids, _ = model.recommend(np.arange(10), clustered, k=5, item_mask=~items)
    assert (ids[ids >= 0] < 20).all()
    assert report.chosen == "ease" and report.validation_users > 0
    with pytest.raises(ValueError, match="nothing to validate"):
        select(clustered, families=("ease",), items=np.zeros(clustered.shape[1], dtype=bool))


def test_a_catalogue_shorter_than_the_list_is_ranked_whole():
    matrix = planted_low_rank(n_users=60, n_items=8, rank=2, items_per_user=4).user_items
    report, _ = select(matrix, families=("rp3beta",), metric="ndcg@10")
    assert 0 <= report.score <= 1


def test_mix_weights_climbs_to_the_best_mix_exactly():
    components = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "popularity": np.ones(2)}
    target = np.array([1.0, 0.5])

    def score(mixed):
        return -float(np.abs(mixed - target).sum())

    weights, best, baseline, evaluations = selection_module.mix_weights(
        components, {"a": 1.0}, score
    )
    assert weights == {"a": 1.0, "b": 0.5, "popularity": 0.0}
    assert best == 0.0 and baseline == -0.5 and evaluations > 1
    # no time: only the start is scored
    assert selection_module.mix_weights(components, {"a": 1.0}, score, lambda: -1.0)[1:] == (
        -0.5,
        -0.5,
        1,
    )


def test_mix_weights_keeps_only_changes_the_per_user_gains_support():
    """With per-user scores a change must gain more than min_z standard errors: "b" helps
    every user a little (kept); "c" helps one user a lot and costs the others a little, a mean
    gain that is noise next to its spread (not kept at z = 2, kept at z = 0)."""
    base = np.random.default_rng(0).random(400)
    steady = np.full(400, 0.01)
    lucky = np.where(np.arange(400) == 0, 8.0, -0.015)
    assert lucky.mean() > 0
    # The mixed "scores" are w_b + 2 w_c (one number): 1 is b alone, 3 is b and c.
    components = {"a": np.zeros(1), "b": np.ones(1), "c": np.full(1, 2.0)}

    def score(mixed):
        value = float(mixed[0])
        return base + steady * (value in (1.0, 3.0)) + lucky * (value >= 2.0)

    def climb(min_z):
        return selection_module.mix_weights(
            components, {"a": 1.0}, score, grid=(0.0, 1.0), rounds=1, min_z=min_z
        )

    strict, loose = climb(2.0), climb(0.0)
    assert strict[0] == {"a": 1.0, "b": 1.0, "c": 0.0}
    assert loose[0] == {"a": 1.0, "b": 1.0, "c": 1.0} and loose[1] > strict[1]
    assert strict[2] == pytest.approx(base.mean())  # the start's score


def test_the_mix_is_chosen_and_refitted_when_it_wins_on_validation(
    tmp_path, clustered, monkeypatch
):
    real = selection_module.mix_weights

    def winning(components, start, score, time_left=lambda: math.inf, **kwargs):
        baseline = real(components, start, score, time_left, **kwargs)[2]
        return {"ease": 0.6, "rp3beta": 0.3, "popularity": 0.1}, baseline + 0.01, baseline, 2

    monkeypatch.setattr(selection_module, "mix_weights", winning)
    model = fit_best(clustered, families=("ease", "rp3beta"), popularity_blend=True)
    report = model.selection_report
    assert report.chosen == "mix" and isinstance(model, ScoreMix)
    assert [type(m) for m in model.models] == [EASE, RP3beta] or [
        type(m) for m in model.models
    ] == [RP3beta, EASE]
    assert sorted(model.weights) == pytest.approx([0.3, 0.6])
    assert model.popularity_weight == pytest.approx(0.1)
    assert "mix:" in report.summary()
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.state["selection"]["chosen"] == "mix"
    users = np.arange(20)
    assert (
        loaded.recommend(users, clustered, k=5)[0].tolist()
        == model.recommend(users, clustered, k=5)[0].tolist()
    )


def test_a_mix_that_does_not_win_is_reported_not_chosen(clustered, monkeypatch):
    monkeypatch.setattr(
        selection_module,
        "mix_weights",
        lambda components, start, score, time_left, **_: (start, 0.0, 0.0, 1),
    )
    report, _ = select(clustered, families=("ease", "rp3beta"))
    assert report.chosen in {"ease", "rp3beta"}
    assert report.families[-1].family == "mix"


def test_the_autoencoder_is_trained_with_early_stopping_and_refitted_for_its_best_epoch(
    clustered,
):
    report, _ = select(clustered, families=("dae",), time_budget_s=60)
    (result,) = report.families
    assert result.family == "dae" and report.chosen == "dae"
    # every epoch was scored; the training stopped DAE_PATIENCE epochs after the best one
    best_epoch = result.params["epochs"]
    assert result.trials == best_epoch + selection_module.DAE_PATIENCE
    assert result.params["batch_size"] == 50  # 240 active users: the smallest batch
    assert "random_state" not in result.params and "epochs" in str(result)
    assert report.score > report.popularity_score * 1.2
    model = selection_module.refit(report, clustered)
    assert isinstance(model, MultDAE) and model.epochs == best_epoch
    assert len(model.loss_history) == best_epoch


def test_the_autoencoder_stops_at_its_share_of_the_budget(clustered, monkeypatch):
    monkeypatch.setattr(selection_module, "DAE_SHARE", 0.0)
    report, _ = select(clustered, families=("rp3beta", "dae"), time_budget_s=30, mix=False)
    scored = {r.family: r for r in report.families}
    assert scored["dae"].trials == 1 and scored["dae"].params["epochs"] == 1
    assert scored["rp3beta"].trials >= 1


def test_dae_batch_size_gives_an_epoch_a_few_dozen_steps():
    def matrix(users):
        return sp.csr_matrix(np.ones((users, 2), dtype=np.float32))

    assert selection_module.dae_batch_size(matrix(100)) == 50
    assert selection_module.dae_batch_size(matrix(3000)) == 100
    assert selection_module.dae_batch_size(matrix(100_000)) == 500


def test_lightgcn_is_trained_with_early_stopping_and_refitted_for_its_best_epoch(clustered):
    report, _ = select(clustered, families=("lightgcn",), time_budget_s=60)
    (result,) = report.families
    assert result.family == "lightgcn" and report.chosen == "lightgcn"
    best_epoch = result.params["epochs"]
    assert result.trials == best_epoch + selection_module.LIGHTGCN_PATIENCE
    assert result.params["batch_size"] == 64  # 2,400 inner training likes / 40: the smallest
    assert not {"random_state", "num_threads"} & set(result.params)
    assert "epochs" in str(result)
    assert report.score > report.popularity_score
    model = selection_module.refit(report, clustered)
    assert isinstance(model, LightGCN) and model.epochs == best_epoch
    assert len(model.loss_history) == best_epoch
    assert model.selection["chosen"] == "lightgcn"  # saved with its factors


def test_lightgcn_stops_at_its_share_of_the_budget(clustered, monkeypatch):
    monkeypatch.setattr(selection_module, "LIGHTGCN_SHARE", 0.0)
    report, _ = select(clustered, families=("rp3beta", "lightgcn"), time_budget_s=30, mix=False)
    scored = {r.family: r for r in report.families}
    assert scored["lightgcn"].trials == 1 and scored["lightgcn"].params["epochs"] == 1


def test_lightgcn_batch_size_gives_an_epoch_a_few_dozen_steps():
    def matrix(nnz):
        rows, columns = np.arange(nnz), np.zeros(nnz, dtype=np.int64)
        return sp.csr_matrix((np.ones(nnz, dtype=np.float32), (rows, columns)))

    assert selection_module.lightgcn_batch_size(matrix(1000)) == 64
    assert selection_module.lightgcn_batch_size(matrix(20_000)) == 500
    assert selection_module.lightgcn_batch_size(matrix(1_000_000)) == 2048


def test_a_mix_of_the_autoencoder_and_lightgcn_is_built_from_its_choice(clustered):
    params = {
        "components": [
            {
                "family": "dae",
                "params": {"hidden": 8, "epochs": 3, "batch_size": 50},
                "weight": 0.7,
            },
            {"family": "lightgcn", "params": {"factors": 8, "epochs": 3}, "weight": 0.3},
        ]
    }
    model = selection_module.build("mix", params, 0.05, clustered)
    assert [type(m) for m in model.models] == [MultDAE, LightGCN]
    ids, _ = model.recommend([0, 1], clustered, k=3)
    assert ids.shape == (2, 3) and (ids >= 0).all()
