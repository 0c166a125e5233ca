"""Recommendation quality benchmark: fit_best against implicit's ALS and popularity.

For each interactions file (default: the MOOCCube enrolments), on a random per-user holdout:

* ``fit_best``: the engine's ALS tuned by :func:`recommendations.engine.fit_best`;
* ``implicit (same budget)``: the ``implicit`` library's ALS tuned by the same search
  (same inner split, same candidate sequence) with the same time budget;
* ``implicit (same trials)``: the same, evaluating exactly as many candidates as ``fit_best``
  did, whatever the time: the comparison of the two implementations on identical candidates;
* ``popularity``: most popular unseen courses.

It prints nDCG@k (and recall@k) with the ratios to popularity and of ``fit_best`` to
``implicit``. Then cold-start item recall: a share of the items is held out entirely, their
factors are predicted from item features by ``ColdStartMapper`` and each test user ranks the
cold items. MOOCCube has no item features, so there the cold-start part is skipped with a note
unless ``--item-features`` is given; it is always run on a synthetic planted data set whose
item features are noisy topic tags (labelled ``synthetic``).

Usage::

    .venv/bin/python bench/bench_quality.py [--interactions FILE ...] [--item-features FILE]
        [--time-budget 60] [--seeds 0 1 2] [--k 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommendations.engine import Popularity, fit_best, splits  # noqa: E402
from recommendations.engine.datasets import load_interactions, load_item_features  # noqa: E402
from recommendations.engine.evaluation import (  # noqa: E402
    ImplicitALS,
    evaluate,
    evaluate_cold_start,
    implicit_available,
)
from recommendations.engine.synthetic import planted_low_rank  # noqa: E402

MOOCCUBE = Path("/work/shared/data/mooccube/enrolments.tsv")


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def accuracy(path: Path, seed: int, budget: float, k: int) -> list[tuple[str, dict, str]]:
    """Rows ``(model, metrics, detail)`` for one file and one split seed."""
    data = load_interactions(path)
    train, test = splits.random_holdout(data.user_items, 0.2, random_state=seed)
    rows = []

    tic = time.perf_counter()
    ours = fit_best(train, time_budget_s=budget, random_state=seed)
    seconds = time.perf_counter() - tic
    report = ours.tuning_report
    rows.append(
        ("fit_best", evaluate(ours, train, test, k), f"{len(report.trials)} trials, {seconds:.0f}s")
    )
    _log(f"{path.name} seed {seed}: fit_best {report.best}")

    if implicit_available():
        for label, limit in (("same budget", None), ("same trials", len(report.trials))):
            tic = time.perf_counter()
            theirs = fit_best(
                train,
                time_budget_s=budget if limit is None else float("inf"),
                random_state=seed,
                model_factory=ImplicitALS,
                max_trials=limit,
            )
            seconds = time.perf_counter() - tic
            trials = len(theirs.tuning_report.trials)
            rows.append(
                (
                    f"implicit ({label})",
                    evaluate(theirs, train, test, k),
                    f"{trials} trials, {seconds:.0f}s",
                )
            )
            _log(f"{path.name} seed {seed}: implicit ({label}) {theirs.tuning_report.best}")
    else:
        _log("implicit is not installed: its rows are skipped")

    rows.append(("popularity", evaluate(Popularity().fit(train), train, test, k), ""))
    return rows


def print_accuracy(name: str, runs: list[list[tuple[str, dict, str]]], k: int) -> None:
    """Mean over seeds per model, with ratios to popularity and of fit_best to implicit."""
    models = [model for model, _, _ in runs[0]]
    mean = {
        model: {
            key: float(np.mean([dict((m, s) for m, s, _ in run)[model][key] for run in runs]))
            for key in ("ndcg", "recall")
        }
        for model in models
    }
    details = {model: detail for model, _, detail in runs[-1]}
    pop = mean["popularity"]["ndcg"]
    print(f"\n{name}: random 80/20 per-user holdout, mean over {len(runs)} seed(s)")
    header = f"{'model':<24}{'nDCG@' + str(k):>9}{'R@' + str(k):>9}{'/ popularity':>14}  detail"
    print(header)
    print("-" * len(header))
    for model in models:
        m = mean[model]
        print(
            f"{model:<24}{m['ndcg']:>9.4f}{m['recall']:>9.4f}{m['ndcg'] / pop:>14.2f}  "
            f"{details[model]}"
        )
    for label in ("same budget", "same trials"):
        other = f"implicit ({label})"
        if other in mean:
            ratio = mean["fit_best"]["ndcg"] / mean[other]["ndcg"]
            print(f"fit_best / implicit ({label}): nDCG ratio {ratio:.3f}")


def synthetic_with_features(seed: int):
    """A planted topic model and item features: a topic tag plus two random tags.

    The topic tag is the item's dominant planted topic for 70% of the items and a random topic
    for the others, so the features are informative but imperfect, as real tags are.
    """
    data = planted_low_rank(n_users=3000, n_items=300, rank=8, items_per_user=15, random_state=seed)
    n_items, rank = data.item_factors.shape
    rng = np.random.default_rng(seed)
    topic = np.where(
        rng.random(n_items) < 0.7,
        data.item_factors.argmax(axis=1),
        rng.integers(0, rank, size=n_items),
    )
    noise = rng.integers(rank, rank + 20, size=(n_items, 2))
    rows = np.repeat(np.arange(n_items), 3)
    cols = np.column_stack([topic, noise]).ravel()
    features = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_items, rank + 20))
    return data.user_items, features


def cold_start(name: str, user_items, features, seed: int, budget: float, k: int) -> None:
    """Cold-start recall@k of the mapper, content cosine and chance on held-out items."""
    train, test, cold = splits.cold_items(user_items, fraction=0.2, random_state=seed)
    model = fit_best(train, time_budget_s=budget, random_state=seed)
    results = evaluate_cold_start(model, train, test, cold, features, k=k, random_state=seed)
    chance = results["random"]["recall"]
    print(f"\ncold start, {name}: {len(cold)} of {train.shape[1]} items held out entirely")
    header = f"{'ranker':<10}{'R@' + str(k):>9}{'nDCG@' + str(k):>9}{'/ random':>10}"
    print(header)
    print("-" * len(header))
    for ranker, scores in results.items():
        print(
            f"{ranker:<10}{scores['recall']:>9.4f}{scores['ndcg']:>9.4f}"
            f"{scores['recall'] / chance:>10.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", nargs="+", type=Path, default=[MOOCCUBE])
    parser.add_argument(
        "--item-features",
        type=Path,
        help="item,feature[,value] file for the (single) interactions file",
    )
    parser.add_argument("--time-budget", type=float, default=60.0)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args(argv)
    if args.item_features and len(args.interactions) != 1:
        parser.error("--item-features goes with exactly one --interactions file")

    for path in args.interactions:
        runs = [accuracy(path, seed, args.time_budget, args.k) for seed in args.seeds]
        print_accuracy(path.name, runs, args.k)
        if args.item_features:
            data = load_interactions(path)
            features, _ = load_item_features(args.item_features, data.item_index)
            cold_start(
                path.name, data.user_items, features, args.seeds[0], args.time_budget, args.k
            )
        else:
            print(f"\ncold start, {path.name}: skipped, the file has no item features")
    user_items, features = synthetic_with_features(args.seeds[0])
    cold_start(
        "synthetic planted topics (3000 users, 300 items)",
        user_items,
        features,
        args.seeds[0],
        args.time_budget,
        args.k,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
