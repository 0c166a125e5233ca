"""Candidate model families for popularity-dominated feedback, on validation and on test.

For docs/ranking.md ("Candidates measured"): each candidate is fitted on the inner training
split that ``fit_best`` uses (:func:`recommendations.engine.tuning.validation_split`, 20% of
each user's interactions held out, seed as given) and scored there (``val``), then refitted on
the outer training split and scored on the test split (``test``), nDCG@10, seen items
excluded. A candidate is worth a family only if it wins on ``val``; ``test`` says whether the
win carries. Candidates, each over a small fixed grid:

* ``als``: the engine's ALS at given points (``--als f,lambda,alpha,iterations``);
* ``ease`` (Steck 2019) and ``edlae`` / ``dlae`` (Steck, NeurIPS 2020): ridge
  ``Lambda = p/(1-p) diag(X^T X) + lambda I``; EDLAE keeps EASE's zero diagonal
  (``B = I - P diag(1/diag P)``), DLAE is ``B = I - P Lambda``;
* ``als-scaled``: ALS with each row's ``lambda`` scaled by its weight to the power ``nu``
  (Rendle et al. 2022: ``lambda (|I_u| + alpha_0 |I|)^nu``);
* ``als-negatives``: ALS with the unobserved weight of item ``i`` proportional to
  ``pop_i^delta`` (He et al., SIGIR 2016), mean 1;
* ``als-bias``: ALS with an item bias (the user's coordinate fixed at 1);
* ``als-bag``: the standardised scores of ALS fitted from four seeds, summed;
* ``gfcf`` (Shen et al., CIKM 2021): the normalised item-item Gram plus ``beta`` times an
  ideal low-pass filter of rank ``k``; ``gram``: the Gram alone with other normalisations;
* ``userknn``: cosine user-kNN over binary rows;
* ``dae``: the engine's Mult-DAE (Liang et al. 2018) at a fixed number of epochs around the
  defaults ``fit_best`` uses (600 hidden units, dropout 0.5, L2 10^-3), one parameter moved at
  a time, and the standardised scores of two and three seeds summed (``dae-bag``);
* ``lightgcn``: the engine's LightGCN (He et al. 2020) at a fixed number of epochs around the
  defaults (64 factors, 3 layers, Adam at 10^-3, L2 10^-4), one parameter moved at a time;
  ``dae+lightgcn``: the two models' standardised scores mixed at a few weights, as the
  selection's mix does.

Usage::

    nice -n 19 .venv/bin/python bench/bench_ranking_candidates.py \\
        --interactions ../shared/data/kuairand/interactions.tsv --split item \\
        [--test-fraction 0.25] [--seed 0] [--only ease edlae ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommendations.engine import _solvers, metrics, splits  # noqa: E402
from recommendations.engine.als import ALS  # noqa: E402
from recommendations.engine.autoencoder import MultDAE  # noqa: E402
from recommendations.engine.blend import _standardise  # noqa: E402
from recommendations.engine.datasets import load_interactions  # noqa: E402
from recommendations.engine.graph import LightGCN  # noqa: E402
from recommendations.engine.selection import _top_ids  # noqa: E402
from recommendations.engine.tuning import validation_split  # noqa: E402

Scorer = Callable[[np.ndarray], np.ndarray]
"""Dense scores ``(len(users), n_items)`` of some users."""


def ndcg(score: Scorer, train: sp.csr_matrix, users: np.ndarray, truth, k: int = 10) -> float:
    total = 0.0
    for start in range(0, users.size, 2048):
        block = users[start : start + 2048]
        scores = np.asarray(score(block), dtype=np.float64)
        rows = train[block]
        scores[np.repeat(np.arange(block.size), np.diff(rows.indptr)), rows.indices] = -np.inf
        found = metrics.ranking_metrics(_top_ids(scores, k), truth[start : start + 2048], k)
        total += found[f"ndcg@{k}"] * block.size
    return total / users.size


def binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    out = matrix.copy()
    out.data[:] = 1.0
    return out


# ---------------------------------------------------------------------------- item-item
def popularity(matrix) -> Scorer:
    counts = np.asarray(binary(matrix).sum(axis=0)).ravel()
    return lambda users: np.broadcast_to(counts, (users.size, counts.size)).copy()


def linear_autoencoder(dropout: float, regularization: float, zero_diagonal: bool):
    def fit(matrix) -> Scorer:
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        ridge = dropout / (1 - dropout) * np.diag(gram) + regularization
        gram[np.diag_indices_from(gram)] += ridge
        inverse = np.linalg.inv(gram)
        if zero_diagonal:
            weights = inverse / (-np.diag(inverse))[None, :]
        else:
            weights = -inverse * ridge[None, :]
        np.fill_diagonal(weights, 0.0)
        weights = weights.astype(np.float32)
        return lambda users: matrix[users] @ weights

    return fit


def gfcf(rank: int, beta: float, user_power: float = 0.5, item_power: float = 0.5):
    def fit(matrix) -> Scorer:
        rows = binary(matrix)
        user_degree = np.maximum(np.asarray(rows.sum(axis=1)).ravel(), 1)
        item_degree = np.maximum(np.asarray(rows.sum(axis=0)).ravel(), 1)
        normalised = sp.csr_matrix(
            sp.diags(user_degree**-user_power) @ rows @ sp.diags(item_degree**-item_power)
        )
        weights = (normalised.T @ normalised).toarray().astype(np.float32)
        if rank and beta:
            _, _, vt = svds(normalised.astype(np.float64), k=rank)
            basis = vt.T.astype(np.float32)
            low_pass = (item_degree[:, None] ** -item_power * basis) @ (
                basis.T * item_degree[None, :] ** item_power
            )
            weights = weights + beta * low_pass.astype(np.float32)
        return lambda users: rows[users] @ weights

    return fit


def user_knn(neighbours: int):
    def fit(matrix) -> Scorer:
        rows = binary(matrix)
        norms = np.sqrt(np.maximum(np.asarray(rows.sum(axis=1)).ravel(), 1))
        unit = sp.csr_matrix(sp.diags(1 / norms) @ rows)

        def score(users):
            similarity = (unit[users] @ unit.T).toarray()
            similarity[np.arange(users.size), users] = 0
            if neighbours < similarity.shape[1]:
                dropped = np.argpartition(-similarity, neighbours, axis=1)[:, neighbours:]
                np.put_along_axis(similarity, dropped, 0, axis=1)
            return (sp.csr_matrix(similarity) @ rows).toarray()

        return score

    return fit


# ---------------------------------------------------------------------------- ALS variants
def als(factors: int, regularization: float, alpha: float, iterations: int, seeds=(0,)):
    def fit(matrix) -> Scorer:
        parts = []
        for seed in seeds:
            model = ALS(factors, regularization, alpha, iterations, random_state=seed)
            model.fit(matrix)
            parts.append((np.asarray(model.user_factors), np.asarray(model.item_factors)))
        if len(parts) == 1:
            users_f, items_f = parts[0]
            return lambda users: users_f[users] @ items_f.T
        return lambda users: sum(_standardise(u[users] @ v.T) for u, v in parts)

    return fit


def dae(epochs: int = 18, seeds=(0,), **params):
    def fit(matrix) -> Scorer:
        models = [MultDAE(epochs=epochs, random_state=seed, **params).fit(matrix) for seed in seeds]
        if len(models) == 1:
            return lambda users: models[0].user_scores(users, matrix)
        return lambda users: sum(_standardise(m.user_scores(users, matrix)) for m in models)

    return fit


def lightgcn(epochs: int = 50, **params):
    def fit(matrix) -> Scorer:
        model = LightGCN(epochs=epochs, **params).fit(matrix)
        return lambda users: model.user_factors[users] @ model.item_factors.T

    return fit


_FITTED: dict[int, tuple[Scorer, Scorer]] = {}


def dae_and_lightgcn(weight: float):
    """Standardised scores of the autoencoder (18 epochs) and LightGCN (50), mixed (the two
    models are fitted once per matrix for all the weights)."""

    def fit(matrix) -> Scorer:
        if id(matrix) not in _FITTED:
            _FITTED[id(matrix)] = (dae()(matrix), lightgcn()(matrix))
        first, second = _FITTED[id(matrix)]
        return lambda users: (
            (1 - weight) * _standardise(first(users)) + weight * _standardise(second(users))
        )

    return fit


def _cg(blocks, X, Y, gram, gram_scale, ridge, steps, constant=None) -> None:
    """Warm-started CG on ``(s_u G + ridge_u I + sum a y y^T) x = sum b y - constant``."""
    for block in blocks:
        gathered = np.take(Y, block.indices, axis=0)
        x = X[block.rows]
        lam = ridge[block.rows][:, None]
        scale = gram_scale[block.rows][:, None]

        def product(vectors, weights, gathered=gathered):
            q = np.matmul(gathered, vectors[:, :, None])[:, :, 0]
            return np.matmul(weights(q)[:, None, :], gathered)[:, 0, :]

        residual = product(x, lambda q, block=block: block.b - block.a * q)
        residual -= scale * (x @ gram) + lam * x
        if constant is not None:
            residual -= constant[None, :]
        direction = residual.copy()
        old = np.einsum("nk,nk->n", residual, residual)
        for _ in range(steps):
            active = old > 1e-20
            if not active.any():
                break
            moved = product(direction, lambda q, block=block: block.a * q)
            moved += scale * (direction @ gram) + lam * direction
            curvature = np.einsum("nk,nk->n", direction, moved)
            step = np.zeros_like(old)
            np.divide(old, curvature, out=step, where=active & (curvature > 0))
            x += step[:, None] * direction
            residual -= step[:, None] * moved
            new = np.einsum("nk,nk->n", residual, residual)
            beta = np.zeros_like(old)
            np.divide(new, old, out=beta, where=active)
            direction *= beta[:, None]
            direction += residual
            old = new
        X[block.rows] = x


def weighted_als(
    factors: int,
    regularization: float,
    alpha: float,
    iterations: int,
    nu: float = 0.0,
    delta: float = 0.0,
    item_bias: bool = False,
):
    """ALS with row-scaled ridge (``nu``), popularity-weighted negatives (``delta``) and an
    optional item bias; ``nu = delta = 0`` without bias is the engine's ALS objective."""

    def fit(matrix) -> Scorer:
        n_users, n_items = matrix.shape
        pop = np.bincount(matrix.indices, minlength=n_items).astype(np.float64)
        negative = np.maximum(pop, 1) ** delta
        negative = (negative / negative.mean()).astype(np.float32)
        user_weight = (1 + alpha) * np.diff(matrix.indptr) + n_items
        item_weight = (1 + alpha) * pop + n_users * negative
        user_ridge = (regularization * (user_weight / user_weight.mean()) ** nu).astype(np.float32)
        item_ridge = (regularization * (item_weight / item_weight.mean()) ** nu).astype(np.float32)
        by_user = _solvers.HalfStepData.from_csr(matrix, alpha, 16384)
        by_item = _solvers.HalfStepData.from_csr(matrix.T.tocsr(), alpha, 16384)
        rng = np.random.default_rng(0)
        X = rng.random((n_users, factors), dtype=np.float32) * np.float32(0.01)
        Y = rng.random((n_items, factors + item_bias), dtype=np.float32) * np.float32(0.01)
        ones = np.ones(n_users, dtype=np.float32)
        for _ in range(iterations):
            latent = np.ascontiguousarray(Y[:, :factors])
            bias = Y[:, factors] if item_bias else np.zeros(n_items, dtype=np.float32)
            blocks = []
            for block in by_user.blocks:
                padding = block.b == 0
                own = negative[block.indices]
                b = block.b * (1 - bias[block.indices]) + bias[block.indices]
                blocks.append(
                    replace(
                        block,
                        a=np.where(padding, 0, block.b - own).astype(np.float32),
                        b=np.where(padding, 0, b).astype(np.float32),
                    )
                )
            gram = ((latent.T.astype(np.float64) * negative) @ latent).astype(np.float32)
            constant = (latent.T.astype(np.float64) @ (negative * bias)).astype(np.float32)
            _cg(blocks, X, latent, gram, ones, user_ridge, 3, constant if item_bias else None)
            full = np.hstack([X, ones[:, None]]) if item_bias else X
            item_blocks = [
                replace(
                    block,
                    a=np.where(block.b == 0, 0, block.b - negative[block.rows][:, None]).astype(
                        np.float32
                    ),
                )
                for block in by_item.blocks
            ]
            gram = (full.T.astype(np.float64) @ full).astype(np.float32)
            _cg(item_blocks, Y, full, gram, negative, item_ridge, 3)
        latent, bias = Y[:, :factors], (Y[:, factors] if item_bias else 0.0)
        return lambda users: X[users] @ latent.T + bias

    return fit


def candidates(als_points) -> dict[str, list[tuple[str, Callable]]]:
    best = als_points[0]
    grid_dae = [(p, lam) for p in (0.1, 0.25, 0.5, 0.75) for lam in (10.0, 100.0, 1000.0)]
    return {
        "popularity": [("", popularity)],
        "als": [(f"{point}", als(*point)) for point in als_points],
        "ease": [
            (f"lambda={lam:g}", linear_autoencoder(0.0, lam, True)) for lam in (1e2, 1e3, 3e3)
        ],
        "edlae": [
            (f"p={p} lambda={lam:g}", linear_autoencoder(p, lam, True)) for p, lam in grid_dae
        ],
        "dlae": [
            (f"p={p} lambda={lam:g}", linear_autoencoder(p, lam, False)) for p, lam in grid_dae
        ],
        "als-scaled": [(f"{best} nu={nu}", weighted_als(*best, nu=nu)) for nu in (0.0, 0.5, 1.0)],
        "als-negatives": [
            (f"{best} delta={d}", weighted_als(*best, delta=d)) for d in (-0.5, -0.25, 0.25, 0.5)
        ],
        "als-bias": [(f"{best}", weighted_als(*best, item_bias=True))],
        "als-bag": [(f"{best} x4 seeds", als(*best, seeds=(0, 1, 2, 3)))],
        "gfcf": [
            (f"rank={r} beta={b}", gfcf(r, b)) for r, b in ((64, 0.3), (128, 1.0), (256, 0.3))
        ],
        "gram": [
            (f"user^-{u} item^-{i}", gfcf(0, 0.0, u, i))
            for u, i in ((0.5, 0.5), (0.5, 0.25), (0.5, 0.0))
        ],
        "userknn": [(f"k={k}", user_knn(k)) for k in (200, 1000)],
        "dae": [
            (label, dae(**params))
            for label, params in (
                ("defaults, 18 epochs", {}),
                ("10 epochs", {"epochs": 10}),
                ("30 epochs", {"epochs": 30}),
                ("hidden 200, 30 epochs", {"hidden": 200, "epochs": 30}),
                ("hidden 1000", {"hidden": 1000}),
                ("dropout 0.3", {"dropout": 0.3}),
                ("dropout 0.7", {"dropout": 0.7}),
                ("L2 1e-2", {"regularization": 1e-2}),
                ("L2 1e-4", {"regularization": 1e-4}),
            )
        ],
        "dae-bag": [(f"{n} seeds", dae(seeds=tuple(range(n)))) for n in (2, 3)],
        "lightgcn": [
            (label, lightgcn(**params))
            for label, params in (
                ("defaults, 50 epochs", {}),
                ("30 epochs", {"epochs": 30}),
                ("80 epochs", {"epochs": 80}),
                ("1 layer", {"layers": 1}),
                ("2 layers", {"layers": 2}),
                ("128 factors", {"factors": 128}),
                ("L2 1e-3", {"regularization": 1e-3}),
            )
        ],
        "dae+lightgcn": [
            (f"lightgcn weight {w}", dae_and_lightgcn(w)) for w in (0, 0.2, 0.3, 0.5, 1)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interactions", required=True, type=Path)
    parser.add_argument("--split", choices=("item", "random"), default="item")
    parser.add_argument("--test-fraction", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--als",
        nargs="+",
        default=["64,193,17.6,19", "64,350,35,28"],
        help="ALS points factors,lambda,alpha,iterations (the first is the variants' base)",
    )
    parser.add_argument("--only", nargs="+", help="candidate families to run (default: all)")
    args = parser.parse_args()
    points = [
        (int(f), float(lam), float(a), int(it))
        for f, lam, a, it in (point.split(",") for point in args.als)
    ]
    matrix = load_interactions(args.interactions).user_items
    split = splits.stratified_by_item if args.split == "item" else splits.random_holdout
    train, test = split(matrix, args.test_fraction, random_state=args.seed)
    train, test = sp.csr_matrix(train, dtype=np.float32), sp.csr_matrix(test, dtype=np.float32)
    inner, val_users, val_truth = validation_split(train, 0.2, args.seed, 20_000)
    test_users = np.flatnonzero(np.diff(test.indptr))
    print(f"{args.interactions.name}: {train.shape}, split {args.split}, seed {args.seed}")
    print(f"{'candidate':<14} {'parameters':<34} {'val':>7} {'test':>7} {'fit s':>6}")
    for family, grid in candidates(points).items():
        if args.only and family not in args.only:
            continue
        for label, fit in grid:
            tic = time.perf_counter()
            val = ndcg(fit(inner), inner, val_users, val_truth)
            seconds = time.perf_counter() - tic
            found = ndcg(fit(train), train, test_users, test[test_users])
            print(f"{family:<14} {label:<34} {val:7.4f} {found:7.4f} {seconds:6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
