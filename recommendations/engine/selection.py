"""Choosing a model family and its parameters on validation: what ``fit_best(families=...)`` does.

All families are scored on ONE inner split (:func:`.tuning.validation_split`) and the same
validation users, by the same metric (nDCG@10 by default):

1. ``popularity`` (distinct users per item) is scored first: it is the bar;
2. ``rp3beta`` over a small grid of ``(alpha, beta)``, ``ease`` over ``regularization`` (coarse
   on a log scale, then refined around the best), each candidate fitted in closed form; a grid
   stops when the next candidate would overrun the budget, but not before its first
   candidates (the three decades of EASE, two points of RP3beta), as the ALS search always
   tries two; EASE is skipped, with a note, above its ``max_items`` (memory grows with the
   square of the items);
3. ``als`` by :func:`.tuning.search` (quasi-random search with early stopping), searched
   FIRST with :data:`ALS_SHARE` of the budget (at least two candidates), so that the closed-form
   grids, whose first candidates always run, cannot starve it; then ``dae``
   (:class:`~.autoencoder.MultDAE`), trained for at most :data:`DAE_SHARE` of the budget with its
   validation score after every epoch, stopped :data:`DAE_PATIENCE` epochs after its best (whose
   weights it keeps; the number of epochs is the parameter the refit uses); then ``lightgcn``
   (:class:`~.graph.LightGCN`) the same way, with :data:`LIGHTGCN_SHARE` and
   :data:`LIGHTGCN_PATIENCE`;
4. with ``popularity_blend``, every family's best candidate is blended with the popularity prior
   (:class:`~.blend.PopularityBlend`) for each weight of :data:`BLEND_WEIGHTS`, which holds 0 (the
   model alone) and 1 (popularity alone): one scoring pass per family, the weights compared on
   the same scores;
5. the best (family, parameters, weight) on validation (ties: the earlier) is refitted on the
   whole matrix, with the popularity of the whole matrix.

The chosen model carries a :class:`SelectionReport` as ``selection_report``, and its
``as_dict()`` is saved with the model (``state["selection"]`` / ``params.json``), so every
family's validation score and the choice stay visible.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommendations.engine import metrics, tuning
from recommendations.engine._factorization import FactorizationModel
from recommendations.engine.als import ALS
from recommendations.engine.autoencoder import MultDAE
from recommendations.engine.blend import (
    PopularityBlend,
    _base_user_scores,
    _standardise,
    popularity_prior,
)
from recommendations.engine.ensemble import ScoreMix
from recommendations.engine.graph import LightGCN
from recommendations.engine.item_based import EASE, RP3beta
from recommendations.engine.popularity import Popularity
from recommendations.engine.tuning import (
    SearchSpace,
    Trial,
    parse_metric,
    search,
    validation_split,
)

FAMILIES = ("als", "ease", "rp3beta", "dae", "lightgcn")
"""Model families :func:`select` knows."""

BLEND_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Popularity weights tried; 0 is the model alone and 1 popularity alone."""

EASE_COARSE = (10.0, 100.0, 1000.0)
EASE_MAX_TRIALS = 6
RP3_GRID = ((1.0, 0.0), (0.5, 0.0), (1.0, 0.3), (0.7, 0.3), (1.0, 0.5), (0.5, 0.5))
RP3_MIN_TRIALS = 2
ALS_SHARE = 0.5
"""Share of the budget the ALS search may use (searched first; the closed-form grids follow)."""
DAE_SHARE = 0.2
"""Share of the budget the autoencoder may train for (after ALS), when other families compete."""
LIGHTGCN_SHARE = 0.25
"""Share of the budget LightGCN may train for (after the autoencoder), when others compete."""
LIGHTGCN_MAX_EPOCHS = 400
LIGHTGCN_PATIENCE = 5
"""Epochs without a better validation score before LightGCN stops (its curve is flatter)."""
LIGHTGCN_STEPS_PER_EPOCH = 40
LIGHTGCN_BATCH = (64, 2048)
"""LightGCN's mini-batch: interactions / :data:`LIGHTGCN_STEPS_PER_EPOCH`, within these bounds."""
DAE_MAX_EPOCHS = 200
DAE_PATIENCE = 3
"""Epochs without a better validation score before the autoencoder stops."""
DAE_STEPS_PER_EPOCH = 30
DAE_BATCH = (50, 500)
"""The autoencoder's mini-batch: active users / :data:`DAE_STEPS_PER_EPOCH`, within these
bounds, so that a small site's epoch still takes a few dozen Adam steps."""
MIX_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
"""Weights a component of a mix tries, as multiples of the largest weight in the mix."""
MIX_ROUNDS = 2
MIX_EVIDENCE_Z = 2.0
"""A change of a mix's weights is kept only if its mean per-user gain on validation is more
than this many standard errors of the per-user gains: on a few thousand validation users a
gain of a thousandth is noise, and a mix tuned to that noise does worse on unseen data."""
MIX_SHARE = 0.25
"""Share of the budget the closed-form grids leave for the blends and the mix (when there is
one to try): each family's blend pass scores every weight, which is not free either."""
MIX_MAX_CELLS = 64_000_000
"""Validation users x items cached per mixed model (float32: 256 MB); users are sampled above."""
_BLOCK = 2048


_EPOCH_FAMILIES = ("dae", "lightgcn")


@dataclass
class FamilyResult:
    """The best candidate of one family on validation."""

    family: str
    params: dict[str, Any] = field(default_factory=dict)
    score: float = math.nan
    blend_weight: float = 0.0
    blend_score: float = math.nan
    trials: int = 0
    seconds: float = 0.0
    note: str = ""

    def __str__(self) -> str:
        if self.note:
            return f"{self.family}: {self.note}"
        if self.family == "mix":
            parts = " + ".join(
                f"{part['weight']:.2f} {part['family']}" for part in self.params["components"]
            )
            return (
                f"mix: {parts} + {self.blend_weight:.2f} popularity -> {self.score:.4f} "
                f"({self.trials} evaluations, {self.seconds:.1f}s)"
            )
        params = " ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params.items()
        )
        blended = (
            f", blended w={self.blend_weight:g} -> {self.blend_score:.4f}"
            if not math.isnan(self.blend_score)
            else ""
        )
        unit = "epochs" if self.family in _EPOCH_FAMILIES else "trials"
        return (
            f"{self.family}: {params} -> {self.score:.4f}{blended} "
            f"({self.trials} {unit}, {self.seconds:.1f}s)"
        )


@dataclass
class SelectionReport:
    """Every family's validation score and the choice; ``model.selection_report``."""

    metric: str
    popularity_score: float
    families: list[FamilyResult]
    chosen: str
    params: dict[str, Any]
    blend_weight: float
    score: float
    validation_users: int
    search_seconds: float
    refit_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (saved with the model)."""
        return asdict(self)

    def summary(self) -> str:
        lines = [
            f"{self.metric} on {self.validation_users} validation users: chose {self.chosen} "
            f"(popularity weight {self.blend_weight:g}) -> {self.score:.4f}; popularity "
            f"{self.popularity_score:.4f}; {self.search_seconds:.1f}s search, "
            f"{self.refit_seconds:.1f}s refit",
            *(f"  {result}" for result in self.families),
        ]
        return "\n".join(lines)


def _scores_by_weight(
    model: Any,
    train,
    users: np.ndarray,
    truth,
    key: str,
    k: int,
    prior: np.ndarray,
    weights,
    others: np.ndarray | None = None,
) -> list[float]:
    """The metric of ``model`` blended with the standardised ``prior`` at each weight."""
    name = key
    totals = np.zeros(len(weights))
    counted = 0
    for start in range(0, users.size, _BLOCK):
        block_users = users[start : start + _BLOCK]
        raw = _base_user_scores(model, block_users, train)
        base = _standardise(raw)
        rows = train[block_users]
        excluded = np.zeros(base.shape, dtype=bool)
        excluded[np.repeat(np.arange(block_users.size), np.diff(rows.indptr)), rows.indices] = True
        if others is not None:
            excluded |= others
        base[excluded] = -np.inf
        block_truth = truth[start : start + _BLOCK]
        for w_index, weight in enumerate(weights):
            if weight == 0:
                blended = base
            elif weight == 1:
                blended = np.where(excluded, -np.inf, np.broadcast_to(prior, base.shape))
            else:
                blended = (1 - weight) * base + weight * prior
            ids = _top_ids(blended, k)
            totals[w_index] += metrics.ranking_metrics(ids, block_truth, k)[name] * block_users.size
        counted += block_users.size
    return [float(total / counted) for total in totals]


def select(
    user_items,
    time_budget_s: float = 60.0,
    random_state: int | None = 0,
    validation_fraction: float = 0.2,
    families: Sequence[str] = FAMILIES,
    popularity_blend: bool = True,
    metric: str = "ndcg@10",
    search_space: SearchSpace | None = None,
    progress: Callable[[Any], None] | None = None,
    max_trials: int | None = None,
    max_validation_users: int = 20_000,
    ease_max_items: int = 8000,
    items: np.ndarray | None = None,
    mix: bool = True,
) -> tuple[SelectionReport, float]:
    """Score the families on one inner split; returns the report and the time left in the budget.

    See the module docstring. ``max_trials`` caps the ALS search (for reproducible runs).
    ``items`` (boolean, ``True`` = ranked) chooses the model that ranks those items best, e.g.
    one item type's: only they are recommended and only held-out interactions with them count.
    ``mix`` (with ``popularity_blend``) also tries a :class:`~.ensemble.ScoreMix` of the
    families' best candidates (:func:`_mix_stage`).
    """
    unknown = [name for name in families if name not in FAMILIES]
    if unknown or not families:
        raise ValueError(f"families must be some of {', '.join(FAMILIES)}, got {list(families)}")
    started = time.perf_counter()
    say = progress or (lambda _item: None)
    name, k = parse_metric(metric)
    key = f"{name}@{k}"
    matrix = sp.csr_matrix(user_items, dtype=np.float32)
    train, users, truth = validation_split(
        matrix, validation_fraction, random_state, max_validation_users, items
    )
    prior = _standardise(np.log1p(popularity_prior(train))[None, :])[0]
    weights = BLEND_WEIGHTS if popularity_blend else (0.0,)
    others = None if items is None else ~np.asarray(items, dtype=bool)

    def evaluate(model: Any) -> float:
        ids, _ = model.recommend(users, train, k=k, exclude_seen=True, item_mask=others)
        return metrics.ranking_metrics(ids, truth, k)[key]

    def remaining() -> float:
        return time_budget_s - (time.perf_counter() - started)

    popularity_score = evaluate(Popularity().fit(train))
    say(f"popularity -> {popularity_score:.4f}")
    results: list[FamilyResult] = []
    fitted: dict[str, Any] = {}
    mixing = mix and len([f for f in families if f in FAMILIES]) >= 2
    mix_reserve = time_budget_s * MIX_SHARE if mixing else 0.0

    def grid_family(
        family: str, candidates: Callable[[list[tuple[float, dict]]], dict | None], at_least: int
    ):
        tic = time.perf_counter()
        result = FamilyResult(family)
        tried: list[tuple[float, dict]] = []
        best_model = None
        slowest = 0.0
        for params in iter(lambda: candidates(tried), None):
            if len(tried) >= at_least and remaining() - mix_reserve < slowest:
                break
            fit_tic = time.perf_counter()
            model = (
                EASE(**params, max_items=ease_max_items) if family == "ease" else RP3beta(**params)
            ).fit(train)
            score = evaluate(model)
            slowest = max(slowest, time.perf_counter() - fit_tic)
            tried.append((score, params))
            say(f"  {family} {params} -> {score:.4f}")
            if best_model is None or score > result.score:
                result.score, result.params, best_model = score, params, model
        result.trials, result.seconds = len(tried), time.perf_counter() - tic
        return result, best_model

    if "als" in families:
        tic = time.perf_counter()
        kept: dict[str, Any] = {}
        report = search(
            ALS,
            matrix,
            time_budget_s=time_budget_s * ALS_SHARE,
            random_state=random_state,
            validation_fraction=validation_fraction,
            search_space=search_space,
            metric=metric,
            progress=progress,
            max_trials=max_trials,
            max_validation_users=max_validation_users,
            reserve_refit=False,
            items=items,
            keep=kept,
        )
        als = kept["model"]  # the best trial, already fitted on this inner split
        result = FamilyResult(
            "als",
            params=dict(report.best.params),
            score=report.best.score,
            trials=len(report.trials),
            seconds=time.perf_counter() - tic,
        )
        results.append(result)
        fitted["als"] = als
        say(result)

    for family, share, patience in (
        ("dae", DAE_SHARE, DAE_PATIENCE),
        ("lightgcn", LIGHTGCN_SHARE, LIGHTGCN_PATIENCE),
    ):
        if family not in families:
            continue
        result, model = _epoch_family(
            family,
            train,
            evaluate,
            deadline=min(
                time.perf_counter() + time_budget_s * (share if len(families) > 1 else 1.0),
                started + time_budget_s - mix_reserve,
            ),
            patience=patience,
            random_state=random_state,
        )
        results.append(result)
        fitted[family] = model
        say(result)

    for family in families:
        if family == "rp3beta":

            def rp3_next(tried):
                if len(tried) >= len(RP3_GRID):
                    return None
                alpha, beta = RP3_GRID[len(tried)]
                return {"alpha": alpha, "beta": beta}

            result, model = grid_family("rp3beta", rp3_next, RP3_MIN_TRIALS)
        elif family == "ease":
            if matrix.shape[1] > ease_max_items:
                result, model = (
                    FamilyResult(
                        "ease",
                        note=f"skipped: {matrix.shape[1]} items exceed max_items={ease_max_items} "
                        "(memory grows with the square of the items)",
                    ),
                    None,
                )
            else:
                result, model = grid_family("ease", _ease_next, len(EASE_COARSE))
        else:
            continue  # ALS, the autoencoder and LightGCN were fitted first
        results.append(result)
        if model is not None:
            fitted[family] = model
        say(result)

    for result in results:
        if result.family not in fitted:
            continue
        scores = _scores_by_weight(
            fitted[result.family], train, users, truth, key, k, prior, weights, others
        )
        best = int(np.argmax(scores))
        result.blend_weight, result.blend_score = float(weights[best]), float(scores[best])
        say(
            f"  {result.family} blended: "
            + ", ".join(f"w={w:g} {s:.4f}" for w, s in zip(weights, scores, strict=True))
        )

    ranked = [r for r in results if r.family in fitted]
    chosen = max(ranked, key=lambda r: r.blend_score)
    if mixing and len(ranked) >= 2:
        mixed = _mix_stage(
            ranked,
            fitted,
            train,
            users,
            truth,
            key,
            k,
            prior,
            others,
            time_left=remaining,
            random_state=random_state,
            say=say,
            with_prior=popularity_blend,
        )
        if mixed is not None:
            results.append(mixed[0])
            if mixed[0].blend_score > mixed[1]:
                chosen = mixed[0]
    selection = SelectionReport(
        metric=key,
        popularity_score=popularity_score,
        families=results,
        chosen=chosen.family,
        params=dict(chosen.params),
        blend_weight=chosen.blend_weight,
        score=chosen.blend_score,
        validation_users=int(users.size),
        search_seconds=time.perf_counter() - started,
    )
    return selection, remaining()


def _top_ids(blended: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best column ids of every row, best first (ties: the lower id)."""
    if blended.shape[1] <= k:
        part = np.broadcast_to(np.arange(blended.shape[1]), blended.shape)
    else:
        part = np.argpartition(-blended, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(blended, part, axis=1)
    order = np.lexsort((part, -values), axis=1)
    return np.take_along_axis(part, order, axis=1)


def mix_weights(
    components: dict[str, np.ndarray],
    start: dict[str, float],
    score: Callable[[np.ndarray], float],
    time_left: Callable[[], float] = lambda: math.inf,
    grid: Sequence[float] = MIX_WEIGHTS,
    rounds: int = MIX_ROUNDS,
    min_z: float = 0.0,
) -> tuple[dict[str, float], float, float, int]:
    """Coordinate ascent on the weights of a sum of score arrays, on validation.

    ``components`` are ``{name: scores}`` (arrays that broadcast to one shape), ``start`` the
    starting weights (the best single model, blended), ``score`` the validation metric of a
    mixed score array: a number, or one number per validation user (the same users in the same
    order) whose mean is the metric. Each component in turn (in the order of ``components``)
    tries every ``grid`` value times the largest current weight, keeping a change only if it
    raises the metric and, with per-user scores, its mean per-user gain is more than ``min_z``
    standard errors of the per-user gains; at most ``rounds`` rounds, fewer when a round
    changes nothing or when ``time_left()`` falls below the slowest evaluation. Returns
    ``(weights, score, start's score, evaluations)``.
    """

    def mixed(weights: dict[str, float]) -> np.ndarray:
        total = None
        for name, weight in weights.items():
            if weight:
                part = np.float32(weight) * components[name]
                total = part if total is None else total + part
        return total

    def evaluate(weights: dict[str, float]) -> tuple[float, np.ndarray | None]:
        found = score(mixed(weights))
        if np.ndim(found):
            values = np.asarray(found, dtype=np.float64)
            return (float(values.mean()) if values.size else -math.inf), values
        return float(found), None

    def convincing(values: np.ndarray | None, than: np.ndarray | None) -> bool:
        if values is None or than is None or values.size < 2:
            return True
        gains = values - than
        return gains.mean() > min_z * gains.std(ddof=1) / math.sqrt(gains.size)

    weights = {name: float(start.get(name, 0.0)) for name in components}
    baseline, best_values = evaluate(weights)
    best = baseline
    evaluations, slowest = 1, 0.0
    for _ in range(rounds):
        changed = False
        for name in components:
            scale = max(weights.values())
            for value in (g * scale for g in grid):
                if math.isclose(value, weights[name]) or time_left() < slowest:
                    continue
                trial = {**weights, name: value}
                if not any(trial[other] for other in components if other != "popularity"):
                    continue  # a mix keeps at least one personal model
                tic = time.perf_counter()
                found, values = evaluate(trial)
                slowest = max(slowest, time.perf_counter() - tic)
                evaluations += 1
                if found > best and convincing(values, best_values):
                    best, best_values, weights, changed = found, values, trial, True
        if not changed:
            break
    return weights, best, baseline, evaluations


def _mix_stage(
    ranked: list[FamilyResult],
    fitted: dict[str, Any],
    train: sp.csr_matrix,
    users: np.ndarray,
    truth,
    key: str,
    k: int,
    prior: np.ndarray,
    others: np.ndarray | None,
    time_left: Callable[[], float],
    random_state: int | None,
    say: Callable[[Any], None],
    with_prior: bool,
) -> tuple[FamilyResult, float] | None:
    """A :class:`~.ensemble.ScoreMix` of the families' best candidates, weights by
    :func:`mix_weights` on (a sample of at most :data:`MIX_MAX_CELLS` / items of) the
    validation users; ``None`` when there is no time for it. Returns the mix's result and the
    best single family's score on the same users."""
    tic = time.perf_counter()
    n_items = train.shape[1]
    picked = np.arange(users.size)
    if users.size * n_items > MIX_MAX_CELLS:
        rng = np.random.default_rng(random_state)
        size = max(1, MIX_MAX_CELLS // n_items)
        picked = np.sort(rng.choice(users.size, size=size, replace=False))
    mix_users, mix_truth = users[picked], truth[picked]
    rows = train[mix_users]
    excluded = np.zeros((mix_users.size, n_items), dtype=bool)
    excluded[np.repeat(np.arange(mix_users.size), np.diff(rows.indptr)), rows.indices] = True
    if others is not None:
        excluded |= others
    order = sorted(ranked, key=lambda r: -r.blend_score)
    components: dict[str, np.ndarray] = {}
    for result in order:
        if time_left() <= 0:
            return None
        raw = _base_user_scores(fitted[result.family], mix_users, train)
        components[result.family] = _standardise(raw).astype(np.float32)
    if with_prior:
        components["popularity"] = prior.astype(np.float32)[None, :]
    lead = order[0]
    start = {lead.family: 1.0 - lead.blend_weight, "popularity": lead.blend_weight}
    if start[lead.family] == 0:  # popularity alone was best: start from it, with the lead
        start[lead.family] = 0.1 * start["popularity"]

    def score(blended: np.ndarray) -> float | np.ndarray:
        blended = np.broadcast_to(blended, excluded.shape).copy()
        blended[excluded] = -np.inf
        if key == f"ndcg@{k}":  # per user, for the evidence rule
            return metrics.ndcg_per_user(_top_ids(blended, k), mix_truth, k)
        return metrics.ranking_metrics(_top_ids(blended, k), mix_truth, k)[key]

    weights, best, baseline, evaluations = mix_weights(
        components, start, score, time_left, min_z=MIX_EVIDENCE_Z
    )
    total = sum(weights.values())
    params = {
        "components": [
            {
                "family": r.family,
                "params": dict(r.params),
                "weight": weights.get(r.family, 0.0) / total,
            }
            for r in order
            if weights.get(r.family, 0.0) > 0
        ]
    }
    result = FamilyResult(
        "mix",
        params=params,
        score=best,
        blend_weight=weights.get("popularity", 0.0) / total,
        blend_score=best,
        trials=evaluations,
        seconds=time.perf_counter() - tic,
    )
    say(
        f"  mix of {', '.join(order_name.family for order_name in order)}: {result} "
        f"(best single {baseline:.4f} on the same {mix_users.size} users)"
    )
    return result, baseline


def dae_batch_size(train: sp.csr_matrix) -> int:
    """The autoencoder's mini-batch for ``train`` (see :data:`DAE_BATCH`)."""
    active = int(np.count_nonzero(np.diff(train.indptr)))
    low, high = DAE_BATCH
    return int(min(max(active // DAE_STEPS_PER_EPOCH, low), high))


def _epoch_family(
    family: str,
    train: sp.csr_matrix,
    evaluate: Callable[[Any], float],
    deadline: float,
    patience: int,
    random_state: int | None,
) -> tuple[FamilyResult, MultDAE | LightGCN]:
    """Train the autoencoder (``dae``) or LightGCN with early stopping on validation (every
    epoch scored) until ``patience`` epochs bring nothing better or ``deadline`` passes (after
    one epoch at least); its best epoch is kept, and the number of epochs becomes a parameter
    of the refit."""
    tic = time.perf_counter()
    if family == "dae":
        model: MultDAE | LightGCN = MultDAE(
            epochs=DAE_MAX_EPOCHS, batch_size=dae_batch_size(train), random_state=random_state
        )
    else:
        model = LightGCN(
            epochs=LIGHTGCN_MAX_EPOCHS,
            batch_size=lightgcn_batch_size(train),
            random_state=random_state,
        )
    model.fit(
        train,
        callback=lambda _epoch, fitted: evaluate(fitted),
        early_stopping_rounds=patience,
        deadline=deadline,
    )
    params = {
        name: value
        for name, value in model.get_params().items()
        if name not in ("random_state", "num_threads")
    }
    params["epochs"] = int(model.best_iteration) + 1
    result = FamilyResult(
        family,
        params=params,
        score=max(model.validation_history),
        trials=len(model.validation_history),
        seconds=time.perf_counter() - tic,
    )
    return result, model


def lightgcn_batch_size(train: sp.csr_matrix) -> int:
    """LightGCN's mini-batch for ``train`` (see :data:`LIGHTGCN_BATCH`)."""
    low, high = LIGHTGCN_BATCH
    return int(min(max(train.nnz // LIGHTGCN_STEPS_PER_EPOCH, low), high))


def _ease_next(tried: list[tuple[float, dict]]) -> dict | None:
    """Decades 10, 100, 1000; then further decades while the best is at an end (at most two);
    then the geometric midpoints on either side of the best. Six candidates at most."""
    done = sorted(params["regularization"] for _, params in tried)
    if len(done) < len(EASE_COARSE):
        return {"regularization": EASE_COARSE[len(done)]}
    if len(done) >= EASE_MAX_TRIALS:
        return None
    best = max(tried, key=lambda item: item[0])[1]["regularization"]
    extended = len(done) - len(EASE_COARSE)
    if best == done[-1] and extended < 2:
        return {"regularization": best * 10}
    if best == done[0] and extended < 2:
        return {"regularization": best / 10}
    for factor in (1 / math.sqrt(10), math.sqrt(10)):
        value = round(best * factor, 6)
        if all(abs(value - d) / d > 1e-3 for d in done):
            return {"regularization": value}
    return None


def build(
    family: str,
    params: dict[str, Any],
    popularity_weight: float,
    user_items,
    random_state: int | None = 0,
    ease_max_items: int = 8000,
) -> Any:
    """A choice of :func:`select` (family, parameters, popularity weight) fitted on
    ``user_items``: the model, a ``PopularityBlend`` around it, or a ``ScoreMix``."""
    matrix = sp.csr_matrix(user_items, dtype=np.float32)
    if family == "mix":
        components = params["components"]
        models = [
            build(part["family"], part["params"], 0.0, matrix, random_state, ease_max_items)
            for part in components
        ]
        weights = [part["weight"] for part in components]
        return ScoreMix(models, weights, popularity_prior(matrix), popularity_weight)
    if family == "als":
        model: Any = ALS(**params, random_state=random_state).fit(matrix)
    elif family == "ease":
        model = EASE(**params, max_items=ease_max_items).fit(matrix)
    elif family == "rp3beta":
        model = RP3beta(**params).fit(matrix)
    elif family == "dae":
        model = MultDAE(**params, random_state=random_state).fit(matrix)
    elif family == "lightgcn":
        model = LightGCN(**params, random_state=random_state).fit(matrix)
    else:
        raise ValueError(f"unknown family {family!r}")
    if popularity_weight > 0:
        model = PopularityBlend(model, popularity_prior(matrix), popularity_weight)
    return model


def refit(
    selection: SelectionReport, user_items, random_state: int | None = 0, ease_max_items: int = 8000
) -> Any:
    """The chosen family and parameters fitted on the whole matrix (blended if weight > 0)."""
    tic = time.perf_counter()
    model = build(
        selection.chosen,
        selection.params,
        selection.blend_weight,
        user_items,
        random_state=random_state,
        ease_max_items=ease_max_items,
    )
    selection.refit_seconds = time.perf_counter() - tic
    state = selection.as_dict()
    model.selection_report = selection
    if isinstance(model, FactorizationModel):
        model.selection = state
    else:
        model.state = {**getattr(model, "state", {}), "selection": state}
    return model


def fit_best(
    user_items,
    time_budget_s: float = 60.0,
    random_state: int | None = 0,
    validation_fraction: float = 0.2,
    search_space: SearchSpace | None = None,
    metric: str = "ndcg@10",
    progress: Callable[[Trial], None] | None = None,
    model_factory: tuning.ModelFactory | None = None,
    max_trials: int | None = None,
    families: Sequence[str] | None = None,
    popularity_blend: bool = False,
) -> Any:
    """Tune on an inner validation split within ``time_budget_s``, refit on everything.

    Without ``families`` and ``popularity_blend`` this is :func:`.tuning.fit_best`: ALS (or
    ``model_factory``) tuned by quasi-random search, returned with ``tuning_report``. With
    ``families`` (some of :data:`FAMILIES`) and/or ``popularity_blend``, the families, their
    parameters and the weight of a popularity prior are chosen together on the same inner
    split (:func:`select`) and the choice is refitted (:func:`refit`): the model is an ``ALS``,
    ``EASE``, ``RP3beta`` or a ``PopularityBlend`` around one, with ``selection_report``
    (every family's validation score and the choice), also saved with it.
    """
    if families is None and not popularity_blend:
        return tuning.fit_best(
            user_items,
            time_budget_s=time_budget_s,
            random_state=random_state,
            validation_fraction=validation_fraction,
            search_space=search_space,
            metric=metric,
            progress=progress,
            model_factory=model_factory,
            max_trials=max_trials,
        )
    chosen, _ = select(
        user_items,
        time_budget_s=time_budget_s,
        random_state=random_state,
        validation_fraction=validation_fraction,
        families=tuple(families or ("als",)),
        popularity_blend=popularity_blend,
        metric=metric,
        search_space=search_space,
        progress=progress,
        max_trials=max_trials,
    )
    return refit(chosen, user_items, random_state=random_state)
