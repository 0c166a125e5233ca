"""Choosing some feedback kinds' weights on validation (``engine.weighting``)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALS, Popularity
from recommendations.engine.weighting import (
    SCALES,
    WeightedParts,
    choose_weights,
    validation_score,
)

DEFAULTS = {"comment": 2.0, "like": 1.5, "follow": 3.0}


def test_the_search_finds_the_best_candidate_on_a_known_score():
    # best at comment x2, like x0, follow as it is: reachable by coordinate steps
    def score(weights):
        return (
            -((weights["comment"] - 4.0) ** 2) - weights["like"] ** 2 - (weights["follow"] - 3) ** 2
        )

    choice = choose_weights(score, DEFAULTS, time_budget_s=60)
    assert choice.weights == {"comment": 4.0, "like": 0.0, "follow": 3.0}
    assert choice.score == 0.0
    assert choice.default_score == score(DEFAULTS)
    assert choice.trials[0].step == "defaults" and choice.trials[0].weights == DEFAULTS
    # the chosen is the best of everything scored, and nothing was scored twice
    assert choice.score == max(trial.score for trial in choice.trials)
    keys = [tuple(sorted(trial.weights.items())) for trial in choice.trials]
    assert len(keys) == len(set(keys))
    # every candidate is a default times one of the scales
    for trial in choice.trials:
        for kind, weight in trial.weights.items():
            assert weight / DEFAULTS[kind] in SCALES


def test_ties_keep_the_defaults_and_only_chosen_kinds_move():
    choice = choose_weights(lambda weights: 0.5, {**DEFAULTS, "purchase": 5.0}, kinds=["like"])
    assert choice.weights == {**DEFAULTS, "purchase": 5.0}
    # with one kind, its own steps are the shared steps' candidates: not scored again
    steps = [trial.step for trial in choice.trials]
    assert steps == ["defaults", "all x0", "all x0.5", "all x2"]
    assert all(trial.weights["purchase"] == 5.0 for trial in choice.trials)


def test_a_shared_multiplier_is_kept_when_it_wins():
    def score(weights):  # only the total matters: halving everything is best
        return -abs(sum(weights.values()) - 3.25)

    choice = choose_weights(score, DEFAULTS)
    assert choice.weights == {kind: weight * 0.5 for kind, weight in DEFAULTS.items()}


def test_the_budget_stops_the_per_kind_steps_but_not_the_shared_ones():
    calls = []

    def score(weights):
        calls.append(weights)
        return 0.0

    choice = choose_weights(score, DEFAULTS, time_budget_s=0.0)
    assert [trial.step for trial in choice.trials] == ["defaults", "all x0", "all x0.5", "all x2"]
    assert choice.candidates_left > 0


def test_nan_scores_lose():
    choice = choose_weights(
        lambda weights: np.nan if weights["like"] == 0 else weights["like"], {"like": 1.0}
    )
    assert choice.weights == {"like": 2.0}


def test_weighted_parts_build_the_matrix_of_any_weights():
    # pairs: (0, 0) purchase 5 + like; (0, 1) like only; (1, 1) rating -2 + comment;
    # (1, 2) purchase, but marked not interested
    rows = np.array([0, 0, 0, 1, 1, 1])
    cols = np.array([0, 0, 1, 1, 1, 2])
    kinds = np.array(["purchase", "like", "like", "rating", "comment", "purchase"], dtype=object)
    unit = np.array([1.0, 1.0, 0.5, -2.0, 1.0, 1.0])
    fixed = np.array([5.0, 0.0, 0.0, -2.0, 0.0, 5.0])
    parts = WeightedParts.from_events(
        (2, 3), rows, cols, kinds, fixed, unit, ["like", "comment"], [1], [2]
    )
    assert parts.present() == ["like", "comment"]
    matrix = parts.matrix({"like": 2.0, "comment": 3.0}).toarray()
    np.testing.assert_allclose(matrix, [[7.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    matrix = parts.matrix({"like": 0.0, "comment": 1.0})
    np.testing.assert_allclose(matrix.toarray(), [[5.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert matrix.nnz == 1  # zeros and negatives are not stored


def test_validation_score_never_recommends_excluded_items():
    train = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0]], dtype=np.float32))
    model = Popularity().fit(train)  # ranks 1, 0, 2, 3
    users = np.array([0])
    truth = sp.csr_matrix(np.array([[0, 0, 1, 0]], dtype=np.float32))
    # item 1 excluded (touched before, at a weight that left it out of train): 2 comes first
    excluded = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    assert validation_score(model, train, users, truth, excluded, k=1) == pytest.approx(1.0)
    nothing = sp.csr_matrix((3, 4))
    assert validation_score(model, train, users, truth, nothing, k=1) == 0.0


def test_a_noisy_kind_is_left_out_and_an_informative_one_kept_with_a_real_model():
    # Two topics of 10 items; a learner's comments are on their topic, their likes anywhere;
    # what they later buy is in their topic.
    rng = np.random.default_rng(0)
    n_users, n_items = 80, 20
    topic = np.arange(n_users) % 2
    item_topic = np.arange(n_items) // 10
    rows, cols, kinds = [], [], []
    truth = np.zeros((n_users, n_items), dtype=np.float32)
    for u in range(n_users):
        own = np.flatnonzero(item_topic == topic[u])
        picked = rng.permutation(own)
        for item in picked[:2]:
            rows.append(u), cols.append(item), kinds.append("comment")
        for item in rng.choice(n_items, size=4, replace=False):
            rows.append(u), cols.append(item), kinds.append("like")
        truth[u, picked[2:4]] = 1.0
    kinds = np.array(kinds, dtype=object)
    unit = np.ones(len(kinds))
    parts = WeightedParts.from_events(
        (n_users, n_items),
        np.array(rows),
        np.array(cols),
        kinds,
        0 * unit,
        unit,
        ["comment", "like"],
    )
    touched = sp.csr_matrix((unit, (rows, cols)), shape=(n_users, n_items))
    truth = sp.csr_matrix(truth - truth * (touched.toarray() > 0))
    users = np.flatnonzero(np.diff(truth.indptr))

    def score(weights):
        matrix = parts.matrix(weights)
        model = ALS(factors=2, regularization=0.1, alpha=5.0, iterations=10, random_state=0)
        return validation_score(model.fit(matrix), matrix, users, truth[users], touched)

    choice = choose_weights(score, {"comment": 2.0, "like": 1.5})
    assert choice.weights["like"] == 0.0
    assert choice.weights["comment"] > 0.0
    assert choice.score > choice.default_score


def test_with_per_user_scores_a_gain_within_the_noise_does_not_move_the_weights():
    rng = np.random.default_rng(0)
    noise = {0.0: rng.normal(0, 0.3, 200), 0.75: rng.normal(0, 0.3, 200)}

    def score(weights):  # "like" at 0 is better by 0.01 on average: well within the noise
        base = 0.5 + noise[0.0] if weights["like"] == 0 else 0.49 + noise[0.75]
        return base if weights["like"] in (0.0, 0.75) else np.full(200, 0.49) + noise[0.75]

    careful = choose_weights(score, {"like": 1.5}, min_z=2.0)
    assert careful.weights == {"like": 1.5}
    rejected = next(trial for trial in careful.trials if trial.step == "all x0")
    assert rejected.gain > 0 and not rejected.kept and rejected.standard_error > 0.01
    eager = choose_weights(score, {"like": 1.5}, min_z=0.0)
    assert eager.weights == {"like": 0.0}


def test_a_clear_per_user_gain_is_kept():
    def score(weights):
        return np.full(50, 0.2) + (0.1 if weights["like"] == 0 else 0.0)

    choice = choose_weights(score, {"like": 1.5}, min_z=2.0)
    assert choice.weights == {"like": 0.0} and choice.score == pytest.approx(0.3)
