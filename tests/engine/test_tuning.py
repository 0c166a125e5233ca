"""fit_best: candidate order, search mechanics on a fake model, and ALS on a planted matrix."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALS, fit_best, metrics, splits, tuning
from recommendations.engine.synthetic import planted_low_rank
from recommendations.engine.tuning import SearchSpace, candidates, parse_metric, search

SPACE = SearchSpace(n_candidates=8, max_iterations=4)


class FakeModel:
    """A stand-in whose validation metric is known: it peaks at regularization 1, alpha 10.

    It records its own quality in ``validation_history`` in place of the callback's value, so
    the search mechanics can be checked exactly; the callback is still called.
    """

    fits: list = []

    def __init__(self, factors=8, regularization=0.5, alpha=2.0, iterations=3, random_state=0):
        self.factors, self.regularization, self.alpha = factors, regularization, alpha
        self.iterations, self.random_state = iterations, random_state
        self.validation_history = []

    def quality(self, iteration):
        return -abs(math.log(self.regularization)) - abs(math.log(self.alpha / 10)) + iteration

    def fit(self, user_items, callback=None, early_stopping_rounds=None):
        FakeModel.fits.append((user_items.nnz, self.iterations))
        for iteration in range(self.iterations):
            if callback is not None:
                callback(iteration, self)
                self.validation_history.append(self.quality(iteration))
        return self

    def recommend(self, user_ids, user_items, k=10, exclude_seen=True):
        return np.tile(np.arange(k), (len(user_ids), 1)), np.zeros((len(user_ids), k))


def _matrix():
    return sp.csr_matrix(np.ones((6, 12), dtype=np.float32))


def test_parse_metric():
    assert parse_metric("ndcg@10") == ("ndcg", 10)
    assert parse_metric("hit_rate@5") == ("hit_rate", 5)
    with pytest.raises(ValueError, match="metric"):
        parse_metric("auc@10")


def test_candidates_cover_the_space_in_a_fixed_order():
    space = SearchSpace(n_candidates=40)
    sequence = candidates(space, random_state=3, weight=2.0)
    assert sequence == candidates(space, random_state=3, weight=2.0)
    assert sequence != candidates(space, random_state=4, weight=2.0)
    # a shorter sequence is a prefix of a longer one: a bigger budget only appends candidates
    shorter = candidates(SearchSpace(n_candidates=10), random_state=3, weight=2.0)
    assert shorter == sequence[:10]
    for params, relative in sequence:
        assert params["factors"] in space.factors
        assert 0.03 <= relative <= 100 and 0.3 <= params["alpha"] <= 100
        # lambda = r * (1 + alpha * mean weight)
        assert params["regularization"] == pytest.approx(relative * (1 + params["alpha"] * 2.0))
        assert params["iterations"] == space.max_iterations
    assert {p["factors"] for p, _ in sequence} == set(space.factors)
    logs = np.log([r for _, r in sequence])
    assert logs.min() < np.log(0.2) and logs.max() > np.log(20)  # spread on a log scale


def test_search_evaluates_defaults_first_then_picks_the_best():
    report = search(FakeModel, _matrix(), search_space=SPACE, max_trials=9, random_state=0)
    assert len(report.trials) == 9 and report.candidates_left == 0
    assert report.default.index == 0
    assert report.default.params == {
        "factors": 8,
        "regularization": 0.5,
        "alpha": 2.0,
        "iterations": 3,
    }
    expected_best = max(report.trials[1:], key=lambda t: t.score)
    assert report.best is expected_best
    # the fake metric rises with iterations: the best iteration is the last one
    assert report.best.params["iterations"] == SPACE.max_iterations
    assert report.best.score == pytest.approx(
        -abs(math.log(report.best.params["regularization"]))
        - abs(math.log(report.best.params["alpha"] / 10))
        + SPACE.max_iterations
        - 1
    )


def test_max_trials_and_determinism():
    a = search(FakeModel, _matrix(), search_space=SPACE, max_trials=4, random_state=1)
    b = search(FakeModel, _matrix(), search_space=SPACE, max_trials=4, random_state=1)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.score for t in a.trials] == [t.score for t in b.trials]
    assert len(a.trials) == 4 and a.candidates_left == 5


def test_fit_best_refits_the_best_params_on_the_whole_matrix():
    FakeModel.fits = []
    matrix = _matrix()
    model = fit_best(matrix, search_space=SPACE, model_factory=FakeModel, max_trials=5)
    report = model.tuning_report
    assert model.regularization == report.best.params["regularization"]
    assert model.iterations == report.best.params["iterations"]
    # every trial fits the inner training part; the refit sees all 72 interactions
    assert all(nnz < matrix.nnz for nnz, _ in FakeModel.fits[:-1])
    assert FakeModel.fits[-1] == (matrix.nnz, report.best.params["iterations"])


def _ndcg(model, train, test):
    users = np.flatnonzero(np.diff(test.indptr))
    ids, _ = model.recommend(users, train, k=10)
    return metrics.ndcg(ids, test[users], 10)


@pytest.fixture(scope="module")
def planted():
    data = planted_low_rank(n_users=400, n_items=80, rank=4, items_per_user=12, random_state=0)
    return splits.random_holdout(data.user_items, test_fraction=0.25, random_state=0)


def test_fit_best_beats_defaults_on_held_out_data(planted):
    train, test = planted
    tuned = fit_best(train, random_state=0, max_trials=12, time_budget_s=60)
    default = ALS(random_state=0).fit(train)
    tuned_ndcg, default_ndcg = _ndcg(tuned, train, test), _ndcg(default, train, test)
    assert tuned.tuning_report.best.score > tuned.tuning_report.default.score
    assert tuned_ndcg > default_ndcg + 0.05, (tuned_ndcg, default_ndcg)


def test_fit_best_is_deterministic(planted):
    train, _ = planted
    a = fit_best(train, random_state=0, max_trials=4)
    b = fit_best(train, random_state=0, max_trials=4)
    assert [t.params for t in a.tuning_report.trials] == [t.params for t in b.tuning_report.trials]
    np.testing.assert_array_equal(a.item_factors, b.item_factors)


def test_fit_best_stops_when_the_next_trial_would_overrun_the_budget(planted, monkeypatch):
    """With a clock that advances one second per reading, each trial "takes" one second: the
    search must stop as soon as the time spent plus the slowest trial plus the refit would
    pass the budget, whatever the real speed of the machine."""
    train, _ = planted
    clock = iter(range(10_000))
    monkeypatch.setattr(tuning.time, "perf_counter", lambda: float(next(clock)))
    long_sequence = SearchSpace(n_candidates=2000)
    model = fit_best(train, time_budget_s=12, random_state=0, search_space=long_sequence)
    report = model.tuning_report
    assert report.candidates_left > 0  # the budget, not the sequence, ended the search
    assert 2 <= len(report.trials) < 12
    assert report.search_seconds <= 12 + max(t.fit_seconds for t in report.trials)


def test_search_can_keep_the_best_trials_model():
    kept = {}
    report = search(
        FakeModel, _matrix(), search_space=SPACE, max_trials=9, random_state=0, keep=kept
    )
    model = kept["model"]
    assert isinstance(model, FakeModel)
    assert (model.regularization, model.alpha) == (
        report.best.params["regularization"],
        report.best.params["alpha"],
    )
    assert max(model.validation_history) == report.best.score
