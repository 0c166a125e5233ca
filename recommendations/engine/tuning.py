"""Hyper-parameter search for implicit ALS within a time budget: :func:`fit_best`.

The search is a quasi-random search in a fixed order, on an inner validation split of the
matrix it is given:

1. the matrix is split by :func:`recommendations.engine.splits.random_holdout` (each user keeps
   ``1 - validation_fraction`` of their interactions for training);
2. candidates are evaluated in a fixed order: first the model's default parameters, then the
   points of a scrambled Halton sequence (Owen, 2017) mapped onto the search space. A Halton
   prefix covers the space evenly at every length, so cutting the sequence where the budget
   runs out still gives an even sample, and a larger budget only appends candidates: the
   trials of a smaller budget are a prefix of those of a larger one;
3. every candidate is trained with the validation metric computed after each iteration and
   early stopping, which picks the number of iterations at no extra cost;
4. the best candidate (ties: the earlier) is refitted on the whole matrix.

Regularisation matters most and interacts with the confidence slope: the data term of a row
in the Hu-Koren-Volinsky objective grows with ``1 + alpha * w``, so a fixed ``lambda`` means a
weaker prior at larger ``alpha``. The search therefore samples a *relative* regularisation
``r`` on a log scale and uses

.. math:: \\lambda = r \\,(1 + \\alpha \\bar w)

where :math:`\\bar w` is the mean stored weight. On course-enrolment data the best ``r`` then
stays within a factor of a few across ``alpha`` and ``factors``, so the search does not have to
find a narrow ridge in the ``(lambda, alpha)`` plane. The same loop tunes any model factory
with the ALS constructor arguments (:func:`search`), e.g. the ``implicit`` library's ALS in the
evaluation harness, so that two implementations can be compared under the same search.

References: Hu, Koren & Volinsky, *Collaborative Filtering for Implicit Feedback Datasets*,
ICDM 2008; Bergstra & Bengio, *Random Search for Hyper-Parameter Optimization*, JMLR 2012;
Rendle et al., *Revisiting the Performance of iALS on Item Recommendation Benchmarks*, RecSys
2022 (tuned iALS is a strong baseline; regularisation is the key parameter).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import qmc

from recommendations.engine import metrics, splits
from recommendations.engine.als import ALS

ModelFactory = Callable[..., Any]
"""Builds an unfitted model from ``factors, regularization, alpha, iterations, random_state``.

The model has ``fit(user_items, callback=..., early_stopping_rounds=...)`` (the callback
returning a validation metric, higher is better, and ``best_iteration`` set after ``fit``) and
``recommend(user_ids, user_items, k=..., exclude_seen=...)``, as
:class:`recommendations.engine.als.ALS`.
"""

_METRICS = ("precision", "recall", "plain_recall", "ndcg", "map", "hit_rate")


@dataclass(frozen=True)
class SearchSpace:
    """Where :func:`fit_best` searches.

    ``relative_regularization`` and ``alpha`` are ``(low, high)`` ranges sampled on a log
    scale; ``factors`` a set of choices. Each sampled candidate trains for at most
    ``max_iterations`` iterations with early stopping after ``early_stopping_rounds``
    iterations without improvement. ``n_candidates`` bounds the sequence of candidates.
    """

    factors: tuple[int, ...] = (16, 32, 64, 128)
    relative_regularization: tuple[float, float] = (0.03, 100.0)
    alpha: tuple[float, float] = (0.3, 100.0)
    max_iterations: int = 30
    early_stopping_rounds: int = 3
    n_candidates: int = 64

    def __post_init__(self) -> None:
        for name in ("relative_regularization", "alpha"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise ValueError(f"{name} must be a range 0 < low <= high, got {(low, high)}")
        if not self.factors or min(self.factors) < 1:
            raise ValueError("factors must be a non-empty tuple of positive ints")
        if self.max_iterations < 1 or self.early_stopping_rounds < 1 or self.n_candidates < 1:
            raise ValueError("max_iterations, early_stopping_rounds and n_candidates must be >= 1")


@dataclass(frozen=True)
class Trial:
    """One evaluated candidate.

    ``params`` are the constructor arguments to refit with (``iterations`` being the best
    iteration found by early stopping); ``relative_regularization`` is ``r`` (``None`` for the
    default candidate, whose ``regularization`` is absolute).
    """

    index: int
    params: dict[str, Any]
    relative_regularization: float | None
    score: float
    fit_seconds: float

    def __str__(self) -> str:
        p = self.params
        relative = (
            ""
            if self.relative_regularization is None
            else f" (r={self.relative_regularization:.3g})"
        )
        return (
            f"trial {self.index}: factors={p['factors']} regularization={p['regularization']:.4g}"
            f"{relative} alpha={p['alpha']:.3g} iterations={p['iterations']} "
            f"-> {self.score:.4f} in {self.fit_seconds:.2f}s"
        )


@dataclass
class TuningReport:
    """What the search tried and what it picked; attached to the model as ``tuning_report``."""

    metric: str
    trials: list[Trial]
    best: Trial
    default: Trial
    time_budget_s: float
    search_seconds: float
    refit_seconds: float = 0.0
    validation_users: int = 0
    candidates_left: int = 0

    def summary(self) -> str:
        """Multi-line text: best, default and every trial."""
        lines = [
            f"{self.metric} on {self.validation_users} validation users: best "
            f"{self.best.score:.4f} (trial {self.best.index}), defaults {self.default.score:.4f}; "
            f"{len(self.trials)} trials in {self.search_seconds:.1f}s "
            f"(budget {self.time_budget_s:.0f}s, {self.candidates_left} candidates left), "
            f"refit {self.refit_seconds:.1f}s",
            *(str(trial) for trial in self.trials),
        ]
        return "\n".join(lines)


def parse_metric(metric: str) -> tuple[str, int]:
    """``"ndcg@10"`` -> ``("ndcg", 10)``; the names of :func:`metrics.ranking_metrics`."""
    name, _, cut = metric.partition("@")
    if name not in _METRICS or not cut.isdigit() or int(cut) < 1:
        raise ValueError(
            f"metric must be one of {', '.join(_METRICS)} followed by @k, got {metric!r}"
        )
    return name, int(cut)


def mean_weight(user_items) -> float:
    """Mean stored weight :math:`\\bar w` of a matrix (1 for binary data)."""
    data = sp.csr_matrix(user_items).data
    return float(data.mean()) if data.size else 1.0


def candidates(
    space: SearchSpace, random_state: int | None, weight: float = 1.0
) -> list[tuple[dict[str, Any], float]]:
    """The fixed sequence of sampled candidates: ``(params, relative_regularization)`` pairs.

    Point ``j`` of a scrambled Halton sequence in ``[0, 1)^3`` (seeded by ``random_state``)
    gives ``factors`` (equal-width bins over the choices), ``r`` and ``alpha`` (log-uniform);
    ``regularization = r * (1 + alpha * weight)``. ``iterations`` is the maximum.
    """
    points = qmc.Halton(d=3, scramble=True, seed=random_state).random(space.n_candidates)
    out = []
    for u_factors, u_reg, u_alpha in points:
        factors = space.factors[min(int(u_factors * len(space.factors)), len(space.factors) - 1)]
        relative = _log_uniform(space.relative_regularization, u_reg)
        alpha = _log_uniform(space.alpha, u_alpha)
        params = {
            "factors": int(factors),
            "regularization": relative * (1.0 + alpha * weight),
            "alpha": alpha,
            "iterations": space.max_iterations,
        }
        out.append((params, relative))
    return out


def _log_uniform(bounds: tuple[float, float], u: float) -> float:
    low, high = bounds
    return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))


def _default_params(model_factory: ModelFactory) -> dict[str, Any]:
    model = model_factory()
    return {
        name: getattr(model, name) for name in ("factors", "regularization", "alpha", "iterations")
    }


def validation_split(
    matrix: sp.csr_matrix,
    validation_fraction: float,
    random_state: int | None,
    max_validation_users: int,
    items: np.ndarray | None = None,
) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix]:
    """The inner split every search shares: ``(train, validation users, their held-out rows)``.

    :func:`~recommendations.engine.splits.random_holdout` of ``validation_fraction`` of each
    user's interactions, scored on at most ``max_validation_users`` users (a seeded sample).
    With ``items`` (boolean, ``True`` = ranked), only held-out interactions with those items
    count, e.g. to choose a model for one item type.
    """
    train, validation = splits.random_holdout(
        matrix, test_fraction=validation_fraction, min_interactions=2, random_state=random_state
    )
    if items is not None:
        validation = sp.csr_matrix(validation.multiply(np.asarray(items, dtype=bool)[None, :]))
        validation.eliminate_zeros()
    users = np.flatnonzero(np.diff(validation.indptr))
    if users.size == 0:
        raise ValueError("no user has two interactions: nothing to validate on")
    if users.size > max_validation_users:
        rng = np.random.default_rng(random_state)
        users = np.sort(rng.choice(users, size=max_validation_users, replace=False))
    return train, users, validation[users]


def search(
    model_factory: ModelFactory,
    user_items,
    time_budget_s: float = 60.0,
    random_state: int | None = 0,
    validation_fraction: float = 0.2,
    search_space: SearchSpace | None = None,
    metric: str = "ndcg@10",
    progress: Callable[[Trial], None] | None = None,
    max_trials: int | None = None,
    max_validation_users: int = 20_000,
    reserve_refit: bool = True,
    items: np.ndarray | None = None,
    keep: dict[str, Any] | None = None,
) -> TuningReport:
    """Evaluate candidates in their fixed order on an inner split until the budget runs out.

    The first candidate is the factory's default parameters, scored after their own number of
    iterations, so the report always says how much tuning gained; sampled candidates are
    scored at their best iteration. A candidate is started only if the time used so far plus
    the slowest trial so far (and, with ``reserve_refit``, the estimated time of refitting the
    best candidate on the whole matrix) fits in ``time_budget_s``; at least two candidates are
    evaluated. The trials of a run are therefore a prefix of those of any run with a larger
    budget. ``max_trials`` caps the count independently of time, which makes a run
    reproducible across machines. Validation is on at most ``max_validation_users`` users (a
    seeded sample). ``progress`` receives each trial. ``items`` restricts the validation to
    ranking those items (see :func:`validation_split`). With ``keep`` (a dict), the best
    candidate's model, fitted on the inner training split, is left in ``keep["model"]`` (so
    that a caller scoring it again on the same split need not fit it a second time).
    """
    started = time.perf_counter()
    space = search_space or SearchSpace()
    name, k = parse_metric(metric)
    key = f"{name}@{k}"
    matrix = sp.csr_matrix(user_items, dtype=np.float32)
    train, users, truth = validation_split(
        matrix, validation_fraction, random_state, max_validation_users, items
    )
    mask = {} if items is None else {"item_mask": ~np.asarray(items, dtype=bool)}

    def score(model: Any) -> float:
        ids, _ = model.recommend(users, train, k=k, exclude_seen=True, **mask)
        return metrics.ranking_metrics(ids, truth, k)[key]

    defaults = _default_params(model_factory)
    queue: list[tuple[dict[str, Any], float | None, int | None]] = [(defaults, None, None)]
    queue += [
        (params, relative, space.early_stopping_rounds)
        for params, relative in candidates(space, random_state, mean_weight(matrix))
    ]
    scale_to_full = matrix.nnz / max(train.nnz, 1)
    trials: list[Trial] = []
    for index, (params, relative, patience) in enumerate(queue):
        if max_trials is not None and index >= max_trials:
            break
        if index >= 2:
            elapsed = time.perf_counter() - started
            slowest = max(t.fit_seconds for t in trials)
            best = max(trials, key=lambda t: t.score)
            refit = best.fit_seconds * scale_to_full if reserve_refit else 0.0
            if elapsed + slowest + refit > time_budget_s:
                break
        model = model_factory(**params, random_state=random_state)
        tic = time.perf_counter()
        model.fit(train, callback=lambda _iteration, m: score(m), early_stopping_rounds=patience)
        fit_seconds = time.perf_counter() - tic
        history = list(model.validation_history)
        # Defaults are scored as they are; sampled candidates at their best iteration.
        best_iteration = len(history) - 1 if patience is None else int(np.argmax(history))
        trial = Trial(
            index=index,
            params={**params, "iterations": best_iteration + 1},
            relative_regularization=relative,
            score=float(history[best_iteration]),
            fit_seconds=fit_seconds,
        )
        if keep is not None and (not trials or trial.score > max(t.score for t in trials)):
            keep["model"] = model
        trials.append(trial)
        if progress is not None:
            progress(trial)
    best = max(trials, key=lambda t: t.score)
    return TuningReport(
        metric=key,
        trials=trials,
        best=best,
        default=trials[0],
        time_budget_s=time_budget_s,
        search_seconds=time.perf_counter() - started,
        validation_users=int(users.size),
        candidates_left=len(queue) - len(trials),
    )


def fit_best(
    user_items,
    time_budget_s: float = 60.0,
    random_state: int | None = 0,
    validation_fraction: float = 0.2,
    search_space: SearchSpace | None = None,
    metric: str = "ndcg@10",
    progress: Callable[[Trial], None] | None = None,
    model_factory: ModelFactory | None = None,
    max_trials: int | None = None,
) -> Any:
    """Tune ALS on an inner validation split within ``time_budget_s``, refit on everything.

    Searches ``factors``, regularisation, ``alpha`` and ``iterations`` as described in the
    module docstring (see :func:`search` for the arguments), then fits the best parameters on
    the whole ``user_items`` and returns that model with ``model.tuning_report``
    (:class:`TuningReport`). ``model_factory`` defaults to
    :class:`recommendations.engine.als.ALS`; pass another factory with the same constructor
    arguments to tune another implementation under the same search. The whole call, refit
    included, aims to stay within the budget (at least two candidates are always tried).
    """
    factory = model_factory or ALS
    report = search(
        factory,
        user_items,
        time_budget_s=time_budget_s,
        random_state=random_state,
        validation_fraction=validation_fraction,
        search_space=search_space,
        metric=metric,
        progress=progress,
        max_trials=max_trials,
    )
    tic = time.perf_counter()
    model = factory(**report.best.params, random_state=random_state)
    model.fit(sp.csr_matrix(user_items, dtype=np.float32))
    report = replace(report, refit_seconds=time.perf_counter() - tic)
    model.tuning_report = report
    return model
