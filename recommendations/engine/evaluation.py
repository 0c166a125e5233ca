"""Offline evaluation: several models under the same split, side by side.

:func:`evaluate` scores one fitted model on held-out interactions; :func:`compare` fits and
scores a list of models on the same ``(train, test)`` split and :func:`format_table` prints the
result. :func:`evaluate_cold_start` measures recommendations of items that had no interactions
at training time, with factors from :class:`~recommendations.engine.content.ColdStartMapper`.

The ``implicit`` library (optional, benchmark only) is used through :class:`ImplicitALS`, which
gives its ALS the engine's model interface so that :func:`recommendations.engine.tuning.search`
tunes it exactly as it tunes the engine's ALS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommendations.engine import metrics
from recommendations.engine._factorization import FactorizationModel
from recommendations.engine._ranking import top_k
from recommendations.engine.als import ALS
from recommendations.engine.content import ColdStartMapper, ContentModel
from recommendations.engine.popularity import Popularity
from recommendations.engine.selection import FAMILIES, fit_best
from recommendations.engine.sgd import BPR

MODEL_NAMES = (
    "als",
    "als-tuned",
    "bpr",
    "content",
    "popularity",
    "implicit-als",
    "implicit-als-tuned",
    "ease",
    "rp3beta",
    "dae",
    "lightgcn",
    "als-blend",
    "selected",
)
"""Models :func:`compare` knows, in the order of its table."""

_BATCH_USERS = 2048
_ALS_PARAMS = ("factors", "regularization", "alpha", "iterations")
_BPR_PARAMS = ("factors", "learning_rate", "regularization", "iterations")


def implicit_available() -> bool:
    """Whether the optional ``implicit`` library can be imported."""
    try:
        import implicit.cpu.als  # noqa: F401
    except ImportError:
        return False
    return True


class ImplicitALS(FactorizationModel):
    """ALS of the ``implicit`` library (0.7) behind the engine's model interface.

    Parameters mean what they mean for :class:`recommendations.engine.als.ALS`: the confidence
    is :math:`c_{ui} = 1 + \\alpha w_{ui}`. ``implicit`` uses :math:`c_{ui} = \\alpha w_{ui}` on
    stored entries, so this adapter hands it the matrix :math:`1 + \\alpha w` with its own
    ``alpha = 1``: both libraries then minimise the same objective. The defaults are
    ``implicit``'s own (``factors=100, regularization=0.01, iterations=15``; its ``alpha=1``
    gives :math:`c = w`, which is ``alpha=0`` here for binary data).

    ``fit`` runs one ``implicit`` iteration at a time (``implicit`` keeps the factors between
    calls), so the engine's ``callback`` / ``early_stopping_rounds`` protocol works as for ALS.
    Recommendations come from the factors through the engine's own serving code
    (:class:`~recommendations.engine._factorization.FactorizationModel`: blocked scoring on the
    engine's threads), so both libraries are ranked by the same code at the same speed, and a
    tuning search, whose validation scoring after every iteration is most of a trial's time,
    affords both the same number of trials.
    """

    _param_names = ("factors", "regularization", "alpha", "iterations", "random_state")
    num_threads = 0

    def __init__(
        self,
        factors: int = 100,
        regularization: float = 0.01,
        alpha: float = 0.0,
        iterations: int = 15,
        random_state: int | None = 0,
    ) -> None:
        super().__init__()
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def fit(
        self,
        user_items,
        callback: Callable[[int, ImplicitALS], float | None] | None = None,
        early_stopping_rounds: int | None = None,
    ) -> ImplicitALS:
        """Fit on users x items weights; ``callback(iteration, self)`` as in ``ALS.fit``."""
        from implicit.cpu.als import AlternatingLeastSquares

        confidence = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
        confidence.data = 1.0 + np.float32(self.alpha) * confidence.data
        self.validation_history = []
        self.best_iteration = None
        best: tuple[np.ndarray, np.ndarray] | None = None
        with threadpool_limits(1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=1.0,
                iterations=1,
                random_state=self.random_state,
            )
            for iteration in range(self.iterations):
                model.fit(confidence, show_progress=False)
                self.user_factors, self.item_factors = model.user_factors, model.item_factors
                self._factors_changed()
                metric = callback(iteration, self) if callback is not None else None
                if metric is None:
                    continue
                self.validation_history.append(float(metric))
                if self.best_iteration is None or metric > max(self.validation_history[:-1]):
                    self.best_iteration = iteration
                    best = (self.user_factors.copy(), self.item_factors.copy())
                elif (
                    early_stopping_rounds is not None
                    and iteration - self.best_iteration >= early_stopping_rounds
                ):
                    break
        if early_stopping_rounds is not None and best is not None:
            self.user_factors, self.item_factors = best
            self._factors_changed()
        return self


def recommend_all(model: Any, user_ids: np.ndarray, train, k: int) -> np.ndarray:
    """Recommended ids ``(len(user_ids), k)`` for many users, in batches, seen items excluded."""
    parts = [
        model.recommend(user_ids[start : start + _BATCH_USERS], train, k=k, exclude_seen=True)[0]
        for start in range(0, len(user_ids), _BATCH_USERS)
    ]
    return np.vstack(parts) if parts else np.empty((0, k), dtype=np.int64)


def evaluate(model: Any, train, test, k: int = 10) -> dict[str, float]:
    """Accuracy and beyond-accuracy metrics of a fitted model on held-out ``test``.

    Every user with a held-out item is scored, training items excluded. Keys: ``precision``,
    ``recall`` (normalised by ``min(k, |T|)``), ``plain_recall``, ``ndcg``, ``map``,
    ``hit_rate``, ``coverage`` (catalog coverage), ``novelty`` (mean self-information, bits)
    and ``arp`` (average recommendation popularity); see :mod:`.metrics`.
    """
    train = sp.csr_matrix(train)
    test = sp.csr_matrix(test)
    if train.shape != test.shape:
        raise ValueError(f"train {train.shape} and test {test.shape} differ in shape")
    users = np.flatnonzero(np.diff(test.indptr))
    recommended = recommend_all(model, users, train, k)
    scores = {
        name.partition("@")[0]: value
        for name, value in metrics.ranking_metrics(recommended, test[users], k).items()
    }
    counts = metrics.item_popularity(train)
    scores["coverage"] = metrics.catalog_coverage(recommended, train.shape[1])
    scores["novelty"] = metrics.novelty(recommended, counts, train.shape[0])
    scores["arp"] = metrics.average_recommendation_popularity(recommended, counts)
    return scores


@dataclass
class EvaluationRow:
    """One line of a comparison: a model, its parameters, metrics and training time."""

    model: str
    metrics: dict[str, float] = field(default_factory=dict)
    train_seconds: float = math.nan
    params: str = ""
    note: str = ""


def _describe(params: dict[str, Any]) -> str:
    return " ".join(
        f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}"
        for name, value in params.items()
    )


def _tuned_params(model: Any) -> str:
    report = model.tuning_report
    return (
        f"{_describe(report.best.params)} ({len(report.trials)} trials, "
        f"val {report.metric} {report.best.score:.4f} vs defaults {report.default.score:.4f})"
    )


_SELECTIONS = {
    "ease": (("ease",), False),
    "rp3beta": (("rp3beta",), False),
    "dae": (("dae",), False),
    "lightgcn": (("lightgcn",), False),
    "als-blend": (("als",), True),
    "selected": (FAMILIES, True),
}


def _selected_params(model: Any) -> str:
    report = model.selection_report
    scores = ", ".join(
        f"{r.family} {r.score:.4f}"
        + (f" (blended {r.blend_score:.4f} at w={r.blend_weight:g})" if r.blend_weight else "")
        for r in report.families
        if not r.note
    )
    if report.chosen == "mix":
        chosen = "mix " + " + ".join(
            f"{part['weight']:.2f} {part['family']} ({_describe(part['params'])})"
            for part in report.params["components"]
        )
    else:
        chosen = f"{report.chosen} {_describe(report.params)}"
    return (
        f"chose {chosen} popularity weight "
        f"{report.blend_weight:g}; val {report.metric}: {scores}; popularity "
        f"{report.popularity_score:.4f}"
    )


def compare(
    train,
    test,
    models: Sequence[str] = MODEL_NAMES,
    k: int = 10,
    item_features=None,
    time_budget_s: float = 60.0,
    random_state: int | None = 0,
    progress: Callable[[str], None] | None = None,
) -> list[EvaluationRow]:
    """Fit and evaluate several models on the same split; one :class:`EvaluationRow` each.

    ``models`` are names from :data:`MODEL_NAMES`:

    * ``als``: engine ALS with its defaults; ``als-tuned``: :func:`fit_best` within
      ``time_budget_s`` (the time is part of its ``train_seconds``);
    * ``bpr``: engine BPR with its defaults;
    * ``content``: :class:`ContentModel` on ``item_features`` (skipped without them);
    * ``popularity``: most popular unseen items;
    * ``implicit-als`` / ``implicit-als-tuned``: the ``implicit`` library's ALS with its
      defaults, and tuned by the same search as ``als-tuned`` (skipped, with a note, when
      ``implicit`` is not installed);
    * ``ease`` / ``rp3beta`` / ``dae`` / ``lightgcn``: that family alone (``dae``: the
      multinomial autoencoder; ``lightgcn``: graph-smoothed embeddings trained by BPR), its
      parameters chosen on validation by :func:`fit_best`
      (``families=(name,)``);
    * ``als-blend``: tuned ALS blended with the popularity prior, the weight chosen on validation;
    * ``selected``: what :func:`fit_best` chooses among all families and popularity weights (the
      model the site trains).

    ``progress`` receives a line of text per model and per tuning trial.
    """
    unknown = [name for name in models if name not in MODEL_NAMES]
    if unknown:
        raise ValueError(f"unknown models {unknown}; choose from {', '.join(MODEL_NAMES)}")
    train = sp.csr_matrix(train, dtype=np.float32)
    test = sp.csr_matrix(test, dtype=np.float32)
    say = progress or (lambda _line: None)

    def trial_progress(name: str) -> Callable[[Any], None]:
        return lambda trial: say(f"  {name} {trial}")

    def build(name: str) -> tuple[Any, str] | str:
        """The fitted model and its parameters, or the reason it is skipped."""
        if name == "als":
            model = ALS(random_state=random_state).fit(train)
            return model, _describe({p: getattr(model, p) for p in _ALS_PARAMS})
        if name == "als-tuned":
            model = fit_best(
                train,
                time_budget_s=time_budget_s,
                random_state=random_state,
                progress=trial_progress(name),
            )
            return model, _tuned_params(model)
        if name == "bpr":
            model = BPR(random_state=random_state).fit(train)
            return model, _describe({p: getattr(model, p) for p in _BPR_PARAMS})
        if name == "content":
            if item_features is None:
                return "skipped: no item features given"
            return ContentModel().fit(item_features), "tf-idf cosine, history profile"
        if name == "popularity":
            return Popularity().fit(train), "distinct users per item"
        if name in _SELECTIONS:
            families, blend = _SELECTIONS[name]
            model = fit_best(
                train,
                time_budget_s=time_budget_s,
                random_state=random_state,
                progress=trial_progress(name),
                families=families,
                popularity_blend=blend,
            )
            return model, _selected_params(model)
        if not implicit_available():
            return "skipped: the implicit library is not installed"
        if name == "implicit-als":
            model = ImplicitALS(random_state=random_state).fit(train)
            return model, _describe({p: getattr(model, p) for p in _ALS_PARAMS})
        model = fit_best(
            train,
            time_budget_s=time_budget_s,
            random_state=random_state,
            progress=trial_progress(name),
            model_factory=ImplicitALS,
        )
        return model, _tuned_params(model)

    rows = []
    for name in models:
        say(f"{name}: fitting")
        tic = time.perf_counter()
        built = build(name)
        seconds = time.perf_counter() - tic
        if isinstance(built, str):
            rows.append(EvaluationRow(name, note=built))
            say(f"{name}: {built}")
            continue
        model, params = built
        row = EvaluationRow(name, evaluate(model, train, test, k), seconds, params)
        rows.append(row)
        say(f"{name}: ndcg@{k} {row.metrics['ndcg']:.4f} ({seconds:.1f}s)")
    return rows


_COLUMNS = (
    ("precision", "P@{k}"),
    ("recall", "R@{k}"),
    ("ndcg", "nDCG@{k}"),
    ("map", "MAP@{k}"),
    ("hit_rate", "HR@{k}"),
    ("coverage", "cover"),
    ("novelty", "novelty"),
)


def format_table(rows: Sequence[EvaluationRow], k: int = 10, with_params: bool = True) -> str:
    """Plain-text table of :func:`compare` rows, one model per line (parameters below)."""
    headers = ["model", *(title.format(k=k) for _, title in _COLUMNS), "train s"]
    body = []
    for row in rows:
        if row.note:
            body.append([row.model, row.note])
            continue
        cells = [row.model]
        cells += [
            f"{row.metrics[key]:.2f}" if key == "novelty" else f"{row.metrics[key]:.4f}"
            for key, _ in _COLUMNS
        ]
        cells.append(f"{row.train_seconds:.1f}")
        body.append(cells)
    widths = [
        max([len(headers[i]), *(len(cells[i]) for cells in body if len(cells) == len(headers))])
        for i in range(len(headers))
    ]

    def line(cells: list[str]) -> str:
        if len(cells) != len(headers):
            return f"{cells[0]:<{widths[0]}}  {cells[1]}"
        first = f"{cells[0]:<{widths[0]}}"
        rest = (f"{cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    lines = [line(headers), "  ".join("-" * width for width in widths)]
    lines += [line(cells) for cells in body]
    if with_params:
        lines.append("")
        lines += [f"{row.model}: {row.params}" for row in rows if row.params]
    return "\n".join(lines)


def evaluate_cold_start(
    model: Any,
    train,
    test,
    cold_items: np.ndarray,
    item_features,
    k: int = 10,
    regularization: float = 1.0,
    random_state: int | None = 0,
) -> dict[str, dict[str, float]]:
    """Recommend items unseen in training to the users who took them in ``test``.

    ``(train, test, cold_items)`` come from :func:`recommendations.engine.splits.cold_items`,
    ``model`` is a factorisation model fitted on ``train`` and ``item_features`` describes all
    items. Each test user ranks the cold items only, by

    * ``mapper``: ``<x_u, y_i>`` with ``y_i`` predicted from features by a
      :class:`ColdStartMapper` trained on the warm items' TF-IDF features and factors;
    * ``content``: the cosine of the user's history profile and the item's TF-IDF vector;
    * ``random``: a seeded random order (the chance level).

    Returns ``{ranker: {"recall": ..., "ndcg": ..., "hit_rate": ...}}`` at ``k``.
    """
    train = sp.csr_matrix(train)
    test = sp.csr_matrix(test)
    cold_items = np.asarray(cold_items, dtype=np.int64)
    warm = np.setdiff1d(np.arange(train.shape[1]), cold_items)
    content = ContentModel().fit(item_features)
    vectors = content.item_vectors
    mapper = ColdStartMapper(regularization).fit(vectors[warm], model.item_factors[warm])
    cold_factors = mapper.predict(vectors[cold_items])
    users = np.flatnonzero(np.diff(test.indptr))
    truth = test[users][:, cold_items]
    rng = np.random.default_rng(random_state)
    rankers = {
        "mapper": np.asarray(model.user_factors)[users] @ cold_factors.T,
        "content": content.score(content.learner_vectors(history=train[users]), cold_items),
        "random": rng.random((len(users), len(cold_items))),
    }
    results = {}
    for name, scores in rankers.items():
        local, _ = top_k(scores, k)
        found = metrics.ranking_metrics(local, truth, k)
        results[name] = {key: found[f"{key}@{k}"] for key in ("recall", "ndcg", "hit_rate")}
    return results
