"""Command line: compare recommenders on an interactions file under one split.

Usage::

    python -m recommendations.engine.cli --interactions enrolments.tsv [--split random]
        [--k 10] [--test-fraction 0.2] [--time-budget 60] [--models als als-tuned ...]
        [--item-features features.csv] [--seed 0] [--quiet]

Prints a summary of the data and of the split, then the table of
:func:`recommendations.engine.evaluation.format_table`, on standard output; progress goes to
standard error. Needs no database and no Django: the Django management command wraps
:func:`main`. Bad input (missing file, malformed rows, a time-based split on a file without
timestamps) ends with exit code 2 and one ``error:`` line on standard error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from recommendations.engine import datasets, evaluation, splits

SPLITS = ("random", "item", "last", "temporal")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of :func:`main`."""
    parser = argparse.ArgumentParser(
        prog="recommender evaluate",
        description="Fit and compare recommenders on one train/test split of an interactions "
        "file (user,item[,weight][,timestamp]; CSV or TSV, header optional).",
    )
    parser.add_argument("--interactions", required=True, metavar="FILE", help="interactions file")
    parser.add_argument(
        "--item-features",
        metavar="FILE",
        help="item,feature[,value] rows; enables the content model",
    )
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="random",
        help="random: per-user holdout; item: per-item holdout; last: each user's latest "
        "interaction; temporal: global time cut (last two need timestamps). Default: random",
    )
    parser.add_argument("--k", type=int, default=10, help="list length (default 10)")
    parser.add_argument(
        "--test-fraction", type=float, default=0.2, help="held-out share (default 0.2)"
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="search budget of each tuned model (default 60)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=evaluation.MODEL_NAMES,
        default=list(evaluation.MODEL_NAMES),
        help="models to compare (default: all)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    return parser


def _split(args: argparse.Namespace, data: datasets.Interactions):
    if args.split == "random":
        return splits.random_holdout(data.user_items, args.test_fraction, random_state=args.seed)
    if args.split == "item":
        return splits.stratified_by_item(
            data.user_items, args.test_fraction, random_state=args.seed
        )
    if data.timestamps is None:
        raise ValueError(f"--split {args.split} needs a timestamp column in {args.interactions}")
    if args.split == "last":
        return splits.leave_last_out(data.user_items, data.timestamps)
    return splits.temporal_split(data.user_items, data.timestamps, test_fraction=args.test_fraction)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns the exit code (0 ok, 2 bad input or arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if args.k < 1:
            raise ValueError(f"--k must be at least 1, got {args.k}")
        if not 0.0 < args.test_fraction < 1.0:
            raise ValueError(f"--test-fraction must be in (0, 1), got {args.test_fraction}")
        if args.time_budget <= 0:
            raise ValueError(f"--time-budget must be positive, got {args.time_budget}")
        data = datasets.load_interactions(args.interactions)
        features = None
        if args.item_features:
            features, _ = datasets.load_item_features(args.item_features, data.item_index)
        train, test = _split(args, data)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    n_users, n_items = data.user_items.shape
    test_users = int(np.count_nonzero(np.diff(test.indptr)))
    print(
        f"{args.interactions}: {n_users} users, {n_items} items, {data.user_items.nnz} "
        f"interactions; split {args.split}: {train.nnz} train, {test.nnz} test "
        f"({test_users} test users), seed {args.seed}"
    )

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    rows = evaluation.compare(
        train,
        test,
        models=args.models,
        k=args.k,
        item_features=features,
        time_budget_s=args.time_budget,
        random_state=args.seed,
        progress=None if args.quiet else progress,
    )
    print(evaluation.format_table(rows, k=args.k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
