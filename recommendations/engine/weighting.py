"""Choosing the weights of some kinds of feedback on validation.

The training matrix is a weighted sum of kinds of feedback (a like, a comment, a purchase...).
Some of their weights cannot be argued from first principles, so they are chosen by how well
the model trained on the resulting matrix predicts a target that does NOT depend on them (e.g.
later purchases and watches):

* :class:`WeightedParts` holds, for every (user, item) pair, the contribution of the weights
  that stay fixed and one contribution per chosen kind at weight 1, so a candidate's matrix is
  ``max(fixed + Σ w_t · part_t, 0)`` (pairs ``banned`` left out), built without re-reading the
  events;
* :func:`validation_score` scores a fitted model on held-out pairs, excluding a fixed set of
  pairs (everything the users did before the cut, whatever its weight), so every candidate is
  measured on the same items and the same truth;
* :func:`choose_weights` is the search: the defaults first, then a shared multiplier of all the
  chosen weights, then each kind's own multiplier in turn (coordinate ascent), each candidate
  kept only when it scores better than the best so far (ties keep the earlier, so the defaults
  win ties) — with per-user scores, better by more than ``min_z`` standard errors of the
  per-user differences, so that a small validation set's noise does not move the weights.
  It stops starting candidates when the next would overrun the time budget.

No Django here: the caller supplies a function that scores a weighting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommendations.engine import metrics

SCALES = (0.0, 0.5, 1.0, 2.0)
"""Multipliers of a default weight tried: left out, halved, as is, doubled."""
_BLOCK = 1024


@dataclass
class WeightedParts:
    """A matrix as a function of some kinds' weights (see the module docstring)."""

    shape: tuple[int, int]
    rows: np.ndarray  # int64, the pairs' rows
    cols: np.ndarray  # int64, the pairs' columns
    fixed: np.ndarray  # float64 per pair: the kinds whose weights stay as they are
    parts: dict[str, np.ndarray] = field(default_factory=dict)  # per pair, at weight 1
    banned: np.ndarray | None = None  # bool per pair: left out whatever the weights

    @classmethod
    def from_events(
        cls,
        shape: tuple[int, int],
        rows: np.ndarray,
        cols: np.ndarray,
        kinds: np.ndarray,
        fixed_values: np.ndarray,
        unit_values: np.ndarray,
        chosen: Sequence[str],
        banned_rows: np.ndarray | None = None,
        banned_cols: np.ndarray | None = None,
    ) -> WeightedParts:
        """From one entry per event: its pair, its kind, its value when its kind's weight is
        fixed (``fixed_values``) and its value at weight 1 (``unit_values``, read for the kinds
        of ``chosen``)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        keys = rows * shape[1] + cols
        pairs, inverse = np.unique(keys, return_inverse=True)
        n = len(pairs)
        is_chosen = np.isin(kinds, list(chosen))
        fixed = np.bincount(inverse, weights=np.where(is_chosen, 0.0, fixed_values), minlength=n)
        parts = {
            kind: np.bincount(
                inverse, weights=np.where(kinds == kind, unit_values, 0.0), minlength=n
            )
            for kind in chosen
        }
        banned = None
        if banned_rows is not None and len(banned_rows):
            banned_keys = np.asarray(banned_rows, np.int64) * shape[1] + np.asarray(
                banned_cols, np.int64
            )
            banned = np.isin(pairs, banned_keys)
        return cls(
            shape=shape,
            rows=pairs // shape[1],
            cols=pairs % shape[1],
            fixed=fixed,
            parts=parts,
            banned=banned,
        )

    def present(self) -> list[str]:
        """The chosen kinds that occur at all (the others cannot change anything)."""
        return [kind for kind, values in self.parts.items() if np.any(values != 0)]

    def matrix(self, weights: Mapping[str, float]) -> sp.csr_matrix:
        """The float32 matrix of ``weights`` (one per chosen kind), clipped at zero."""
        values = self.fixed.copy()
        for kind, part in self.parts.items():
            values += float(weights[kind]) * part
        values = np.maximum(values, 0.0)
        if self.banned is not None:
            values[self.banned] = 0.0
        keep = values > 0
        out = sp.csr_matrix(
            (values[keep].astype(np.float32), (self.rows[keep], self.cols[keep])),
            shape=self.shape,
        )
        out.sort_indices()
        return out


def validation_score(
    model: Any,
    train: sp.csr_matrix,
    users: np.ndarray,
    truth: sp.csr_matrix,
    excluded: sp.csr_matrix,
    k: int = 10,
    per_user: bool = False,
) -> float | np.ndarray:
    """Mean nDCG@k of ``model`` over ``users`` (rows of ``train``), on ``truth`` (one row per
    user of ``users``), never recommending the items of their rows of ``excluded`` nor of
    ``train``; with ``per_user``, each user's nDCG@k instead (users with an empty truth row
    left out), for :func:`choose_weights`' paired comparisons. Scored in blocks of users, so
    memory stays bounded."""
    scores = []
    excluded = sp.csr_matrix(excluded)
    truth = sp.csr_matrix(truth)
    for start in range(0, len(users), _BLOCK):
        block = users[start : start + _BLOCK]
        rows = excluded[block]
        mask = np.zeros((len(block), train.shape[1]), dtype=bool)
        mask[np.repeat(np.arange(len(block)), np.diff(rows.indptr)), rows.indices] = True
        ids, _ = model.recommend(block, train, k=k, exclude_seen=True, item_mask=mask)
        scores.append(metrics.ndcg_per_user(ids, truth[start : start + _BLOCK], k))
    each = np.concatenate(scores) if scores else np.zeros(0)
    if per_user:
        return each
    return float(each.mean()) if each.size else float("nan")


@dataclass
class WeightTrial:
    weights: dict[str, float]
    score: float
    seconds: float
    step: str  # "defaults", "all x0.5", "like x2", ...
    gain: float = 0.0  # over the best before it (per-user scores: paired mean difference)
    standard_error: float = 0.0  # of that gain (per-user scores), 0 otherwise
    kept: bool = False  # it became the best


@dataclass
class WeightChoice:
    """The weights chosen, their score, the defaults' score and every trial."""

    weights: dict[str, float]
    score: float
    default_score: float
    trials: list[WeightTrial]
    search_seconds: float
    candidates_left: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        changed = [
            f"{kind} {weight:g} (default {self.trials[0].weights[kind]:g})"
            for kind, weight in self.weights.items()
            if weight != self.trials[0].weights[kind]
        ]
        return (
            f"{', '.join(changed) or 'the defaults'}: validation {self.score:.4f} against "
            f"{self.default_score:.4f} with the defaults ({len(self.trials)} candidates, "
            f"{self.search_seconds:.1f}s)"
        )


def candidate_steps(
    defaults: Mapping[str, float], kinds: Sequence[str], scales: Sequence[float] = SCALES
) -> list[tuple[str, Callable[[dict[str, float]], dict[str, float]]]]:
    """The search's steps in order: each maps the best weights so far to a candidate."""
    steps: list[tuple[str, Callable[[dict[str, float]], dict[str, float]]]] = []
    for scale in scales:
        if scale != 1.0:
            steps.append(
                (
                    f"all x{scale:g}",
                    lambda best, s=scale: {**best, **{t: defaults[t] * s for t in kinds}},
                )
            )
    for kind in kinds:
        for scale in scales:
            steps.append(
                (f"{kind} x{scale:g}", lambda best, t=kind, s=scale: {**best, t: defaults[t] * s})
            )
    return steps


def choose_weights(
    score: Callable[[dict[str, float]], float | np.ndarray],
    defaults: Mapping[str, float],
    kinds: Sequence[str] | None = None,
    scales: Sequence[float] = SCALES,
    time_budget_s: float = 60.0,
    progress: Callable[[WeightTrial], None] | None = None,
    min_z: float = 0.0,
) -> WeightChoice:
    """The weights of ``kinds`` (default: all of ``defaults``) that ``score`` rates best.

    ``score(weights)`` builds the matrix of ``weights``, fits the model and returns its
    validation score (higher is better): a number, or one number per validation user (always
    the same users, in the same order), whose mean is the score. Candidates, in order: the
    defaults; every kind's default times each of ``scales`` together; then each kind's default
    times each scale, the others at the best so far. A candidate replaces the best only if it
    scores strictly higher and, with per-user scores, its mean per-user gain over the best is
    more than ``min_z`` standard errors of the per-user gains (0: any gain). One already scored
    is not scored again. The defaults and the shared multipliers are always scored; later
    candidates only while the time used plus the slowest candidate so far fits in
    ``time_budget_s``. Weights of ``defaults`` outside ``kinds`` are passed through unchanged.
    """
    started = time.perf_counter()
    kinds = list(defaults if kinds is None else kinds)
    base = {kind: float(weight) for kind, weight in defaults.items()}
    say = progress or (lambda _trial: None)
    trials: list[WeightTrial] = []
    seen: set[tuple] = set()
    best: dict[str, float] = dict(base)
    best_values: np.ndarray | None = None
    best_score = -np.inf

    def run(weights: dict[str, float], step: str) -> None:
        nonlocal best, best_values, best_score
        seen.add(tuple(sorted(weights.items())))
        tic = time.perf_counter()
        result = score(dict(weights))
        values = np.asarray(result, dtype=np.float64) if np.ndim(result) else None
        value = float(np.mean(values)) if values is not None and values.size else float(result)
        if values is not None and not values.size:
            value = np.nan
        if np.isnan(value):
            value = -np.inf
        trial = WeightTrial(dict(weights), value, time.perf_counter() - tic, step)
        if not trials:
            trial.kept = True
        elif values is not None and best_values is not None:
            differences = values - best_values
            trial.gain = float(differences.mean())
            if len(differences) > 1:
                trial.standard_error = float(differences.std(ddof=1) / np.sqrt(len(differences)))
            trial.kept = value > best_score and trial.gain > min_z * trial.standard_error
        else:
            trial.gain = value - best_score
            trial.kept = value > best_score
        if trial.kept:
            best, best_values, best_score = dict(weights), values, value
        trials.append(trial)
        say(trial)

    run(dict(base), "defaults")
    steps = candidate_steps(base, kinds, scales)
    shared = sum(1 for scale in scales if scale != 1.0)
    left = 0
    for index, (step, make) in enumerate(steps):
        candidate = make(best)
        if tuple(sorted(candidate.items())) in seen:
            continue
        slowest = max(trial.seconds for trial in trials)
        elapsed = time.perf_counter() - started
        if index >= shared and elapsed + slowest > time_budget_s:
            left = len(steps) - index
            break
        run(candidate, step)
    return WeightChoice(
        weights=best,
        score=best_score,
        default_score=trials[0].score,
        trials=trials,
        search_seconds=time.perf_counter() - started,
        candidates_left=left,
    )
