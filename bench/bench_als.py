"""Speed and quality of our ALS against ``implicit``'s CPU ALS, in the same run.

Usage (from the repository root)::

    .venv/bin/python bench/bench_als.py                # 100k users x 20k items x 5M, 64 factors
    .venv/bin/python bench/bench_als.py --quick        # small sizes, seconds

Both models get the same confidence ``c = 1 + alpha * w``: ours takes ``alpha``, while
``implicit`` 0.7 multiplies the stored values by its own ``alpha``, so it is given stored
values ``1 + alpha * w`` and ``alpha=1``. Both train with the same factors, regularisation,
iterations and 3 CG steps, with ``--threads`` threads and BLAS limited to one thread per
worker (the configuration ``implicit`` asks for).

Measured (best of ``--repeats`` alternating runs, the machine may be shared): training
seconds on the full matrix, top-k for every user (seen items excluded),
fold-in latency per learner, peak memory traced while our model trains and serves, and
recall@10 / nDCG@10 on a random 10% holdout of interactions (models refit on the other 90%).
``implicit`` is a benchmark-only dependency; the engine never imports it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommendations.engine.als import ALS
from recommendations.engine.synthetic import power_law_interactions


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--nnz", type=int, default=5_000_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--regularization", type=float, default=0.05)
    parser.add_argument("--alpha", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=100, help="top-k for the serving benchmark")
    parser.add_argument("--eval-users", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs; the best is kept")
    parser.add_argument("--quick", action="store_true", help="10k x 2k x 200k, 5 iterations")
    args = parser.parse_args()
    if args.quick:
        args.users, args.items, args.nnz, args.iterations = 10_000, 2_000, 200_000, 5
        args.eval_users = 5_000
    return args


def implicit_model(args: argparse.Namespace, seed: int):
    from implicit.cpu.als import AlternatingLeastSquares

    return AlternatingLeastSquares(
        factors=args.factors,
        regularization=args.regularization,
        alpha=1.0,
        iterations=args.iterations,
        use_cg=True,
        calculate_training_loss=False,
        num_threads=args.threads,
        random_state=seed,
    )


def implicit_confidence(matrix: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    confidence = matrix.copy()
    confidence.data = (1 + alpha * confidence.data).astype(np.float32)
    return confidence


def our_model(args: argparse.Namespace, seed: int) -> ALS:
    return ALS(
        factors=args.factors,
        regularization=args.regularization,
        alpha=args.alpha,
        iterations=args.iterations,
        cg_steps=3,
        num_threads=args.threads,
        random_state=seed,
    )


def holdout(matrix: sp.csr_matrix, fraction: float, seed: int):
    """Split the stored entries at random: (train csr, test csr)."""
    coo = matrix.tocoo()
    test = np.random.default_rng(seed).random(coo.nnz) < fraction
    parts = []
    for keep in (~test, test):
        part = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)
        part.sort_indices()
        parts.append(part)
    return parts[0], parts[1]


def ranking_quality(top: np.ndarray, test: sp.csr_matrix, users: np.ndarray) -> tuple[float, float]:
    """Mean recall@10 (hits / min(10, |held out|)) and binary nDCG@10 over ``users``."""
    discounts = 1.0 / np.log2(np.arange(2, 12))
    recalls, ndcgs = [], []
    for row, user in zip(top[:, :10], users, strict=True):
        held = test.indices[test.indptr[user] : test.indptr[user + 1]]
        hits = np.isin(row, held)
        ideal = discounts[: min(10, held.size)].sum()
        recalls.append(hits.sum() / min(10, held.size))
        ndcgs.append((hits * discounts).sum() / ideal)
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    args = parse_args()
    import implicit

    print(
        f"data: {args.users} users x {args.items} items, nnz={args.nnz}; factors={args.factors} "
        f"iterations={args.iterations} reg={args.regularization} alpha={args.alpha} "
        f"threads={args.threads}; implicit {implicit.__version__}, numpy {np.__version__}",
        flush=True,
    )
    matrix, gen_s = timed(
        lambda: power_law_interactions(args.users, args.items, args.nnz, random_state=args.seed)
    )
    print(f"generated in {gen_s:.1f} s", flush=True)
    results: dict[str, dict[str, float]] = {"ours": {}, "implicit": {}}
    all_users = np.arange(args.users)

    # ---- training speed on the full matrix, then top-k for every user (seen items excluded).
    # Runs alternate between the two libraries and the best of --repeats runs is kept, so
    # that load from other processes on the machine affects both sides alike.
    confidence = implicit_confidence(matrix, args.alpha)
    train_s: dict[str, list[float]] = {"ours": [], "implicit": []}
    topk_s: dict[str, list[float]] = {"ours": [], "implicit": []}
    for repeat in range(args.repeats):
        ours, t = timed(lambda: our_model(args, args.seed).fit(matrix))
        train_s["ours"].append(t)
        theirs = implicit_model(args, args.seed)
        with threadpool_limits(1, user_api="blas"):
            _, t = timed(theirs.fit, confidence, show_progress=False)
        train_s["implicit"].append(t)
        _, t = timed(ours.recommend, all_users, matrix, k=args.k)
        topk_s["ours"].append(t)
        with threadpool_limits(1, user_api="blas"):
            _, t = timed(
                theirs.recommend, all_users, matrix, N=args.k, filter_already_liked_items=True
            )
        topk_s["implicit"].append(t)
        print(
            f"run {repeat + 1}: train ours {train_s['ours'][-1]:.1f} s, implicit "
            f"{train_s['implicit'][-1]:.1f} s; top-{args.k} ours {topk_s['ours'][-1]:.1f} s, "
            f"implicit {topk_s['implicit'][-1]:.1f} s",
            flush=True,
        )
    for name in results:
        results[name]["train_s"] = min(train_s[name])
        results[name]["topk_s"] = min(topk_s[name])

    # ---- fold-in latency, one learner at a time
    sample = np.random.default_rng(args.seed).choice(args.users, size=1000, replace=False)
    rows = [matrix[int(u)] for u in sample]
    ours.fold_in(rows[0])
    _, t = timed(lambda: [ours.fold_in(row) for row in rows])
    results["ours"]["fold_in_ms"] = 1000 * t / len(rows)
    with threadpool_limits(1, user_api="blas"):
        _, t = timed(
            lambda: [theirs.recalculate_user(int(u), confidence[int(u)]) for u in sample[:200]]
        )
    results["implicit"]["fold_in_ms"] = 1000 * t / 200

    # ---- peak memory of our training and serving (numpy/scipy allocations, traced)
    tracemalloc.start()
    our_model(args, args.seed).fit(matrix)
    train_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    ours.recommend(all_users, matrix, k=args.k)
    serve_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    results["ours"]["train_peak_mb"] = train_peak / 2**20
    results["ours"]["topk_peak_mb"] = serve_peak / 2**20
    print("memory traced", flush=True)

    # ---- quality on a random holdout
    train, test = holdout(matrix, 0.1, args.seed)
    candidates = np.flatnonzero(np.diff(test.indptr) > 0)
    eval_users = np.random.default_rng(args.seed + 1).choice(
        candidates, size=min(args.eval_users, candidates.size), replace=False
    )
    ours_q = our_model(args, args.seed).fit(train)
    top, _ = ours_q.recommend(eval_users, train, k=10)
    results["ours"]["recall10"], results["ours"]["ndcg10"] = ranking_quality(top, test, eval_users)
    theirs_q = implicit_model(args, args.seed)
    with threadpool_limits(1, user_api="blas"):
        theirs_q.fit(implicit_confidence(train, args.alpha), show_progress=False)
        top, _ = theirs_q.recommend(eval_users, train[eval_users], N=10)
    results["implicit"]["recall10"], results["implicit"]["ndcg10"] = ranking_quality(
        top, test, eval_users
    )
    popular = np.argsort(-np.diff(train.tocsc().indptr), kind="stable")
    pop_top = np.empty((eval_users.size, 10), dtype=np.int64)
    for row, user in enumerate(eval_users):
        seen = train.indices[train.indptr[user] : train.indptr[user + 1]]
        head = popular[: 10 + seen.size]
        pop_top[row] = head[~np.isin(head, seen)][:10]
    pop_recall, pop_ndcg = ranking_quality(pop_top, test, eval_users)

    # ---- report
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    o, i = results["ours"], results["implicit"]
    print()
    print(f"{'measure':<34}{'ours':>12}{'implicit':>12}{'ours/implicit':>15}")
    for key, label in [
        ("train_s", f"train, {args.iterations} iterations (s)"),
        ("topk_s", f"top-{args.k} for all users (s)"),
        ("fold_in_ms", "fold-in per learner (ms)"),
        ("recall10", "recall@10 (10% holdout)"),
        ("ndcg10", "nDCG@10 (10% holdout)"),
    ]:
        print(f"{label:<34}{o[key]:>12.4g}{i[key]:>12.4g}{o[key] / i[key]:>15.3f}")
    print(
        f"{'train s / iteration':<34}{o['train_s'] / args.iterations:>12.3f}"
        f"{i['train_s'] / args.iterations:>12.3f}"
    )
    print(f"{'popularity recall@10 / nDCG@10':<34}{pop_recall:>12.4g}{pop_ndcg:>12.4g}")
    print(f"{'ours: traced peak, training (MB)':<34}{o['train_peak_mb']:>12.1f}")
    print(f"{'ours: traced peak, top-k (MB)':<34}{o['topk_peak_mb']:>12.1f}")
    print(f"{'process max RSS, whole run (MB)':<34}{maxrss_mb:>12.1f}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
