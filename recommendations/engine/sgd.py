"""Bayesian Personalised Ranking trained by mini-batch stochastic gradient descent.

BPR (Rendle, Freudenthaler, Gantner & Schmidt-Thieme 2009, "BPR: Bayesian Personalized
Ranking from Implicit Feedback") fits the factorisation ``score(u, i) = <u_u, v_i>`` so that a
user's interacted ("positive") items rank above the others. Each training triple
``(u, i, j)`` pairs a positive ``i`` of user ``u`` with a negative ``j`` sampled uniformly among
the items ``u`` has not interacted with, and contributes::

    loss(u, i, j) = -log sigmoid(x_uij) + (reg / 2) (|u_u|^2 + |v_i|^2 + |v_j|^2),
    x_uij = <u_u, v_i - v_j>

with gradients, writing ``g = sigmoid(-x_uij)``::

    d/du_u = -g (v_i - v_j) + reg u_u,   d/dv_i = -g u_u + reg v_i,   d/dv_j = g u_u + reg v_j

Training runs epochs; an epoch visits every stored interaction once as a positive, in a random
order, each with a fresh negative. Triples are processed in mini-batches: the gradients of all
triples of a batch are computed from the parameters at the start of the batch and applied at
once by a scatter-add, so a row appearing in several triples receives the sum
of their steps, as in lock-free "hogwild" SGD (Recht et al. 2011) where every triple takes its
own step. Sampling and updates are sequential and driven by one ``numpy.random.Generator``, so
a fit is deterministic for a given ``random_state``.

The model shares serving and persistence with ALS (:mod:`._factorization`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from recommendations.engine._factorization import (
    FactorizationModel,
    ValidationTracker,
    check_interactions,
)

__all__ = ["BPR", "BatchGradients", "bpr_loss_and_gradients"]

_NEGATIVE_RETRIES = 8


class BatchGradients(NamedTuple):
    """Loss and per-triple gradients of a batch, see :func:`bpr_loss_and_gradients`."""

    loss: float
    users: np.ndarray
    """``(batch, k)``: gradient w.r.t. ``U[users[t]]`` of triple ``t``."""
    positives: np.ndarray
    """``(batch, k)``: gradient w.r.t. ``V[pos[t]]`` of triple ``t``."""
    negatives: np.ndarray
    """``(batch, k)``: gradient w.r.t. ``V[neg[t]]`` of triple ``t``."""


def bpr_loss_and_gradients(
    U: np.ndarray,
    V: np.ndarray,
    users: np.ndarray,
    pos: np.ndarray,
    neg: np.ndarray,
    reg: float,
) -> BatchGradients:
    """Summed BPR loss of the triples ``(users[t], pos[t], neg[t])`` and its gradients.

    The loss is the sum over triples of the per-triple loss in the module docstring. The
    gradient of that sum with respect to ``U`` is the scatter-add of ``result.users`` into the
    rows ``users`` (a row used by several triples gets the sum), and with respect to ``V`` the
    scatter-add of ``result.positives`` into rows ``pos`` plus ``result.negatives`` into rows
    ``neg``. Computed in the dtype of ``U`` and ``V``.
    """
    u, vi, vj = U[users], V[pos], V[neg]
    diff = vi - vj
    x = np.einsum("nk,nk->n", u, diff)
    loss = np.logaddexp(0, -x).sum() + 0.5 * reg * (
        np.einsum("nk,nk->", u, u) + np.einsum("nk,nk->", vi, vi) + np.einsum("nk,nk->", vj, vj)
    )
    g = expit(-x).astype(U.dtype, copy=False)[:, None]
    return BatchGradients(
        loss=float(loss),
        users=reg * u - g * diff,
        positives=reg * vi - g * u,
        negatives=reg * vj + g * u,
    )


def _scatter_subtract(
    target: np.ndarray, rows: np.ndarray, values: np.ndarray, step: float
) -> None:
    """``target[rows[t]] -= step * values[t]`` for every ``t``, summing over repeated rows.

    Equivalent to ``np.add.at(target, rows, -step * values)`` but several times faster: the
    per-row sums are one sparse (distinct rows x triples) times dense product, in a fixed
    order (stable sort), so the result is deterministic.
    """
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    indptr = np.append(starts, rows.size)
    summing = sp.csr_array(
        (np.ones(rows.size, dtype=values.dtype), order, indptr), shape=(starts.size, rows.size)
    )
    target[ordered[starts]] -= step * (summing @ values)


class BPR(FactorizationModel):
    """Matrix factorisation ``U V^T`` trained with the BPR pairwise loss by mini-batch SGD.

    Parameters
    ----------
    factors:
        Number of latent factors.
    learning_rate:
        SGD step size applied to every triple's gradient.
    regularization:
        L2 penalty ``reg`` of the per-triple loss.
    iterations:
        Number of epochs (passes over all stored interactions).
    batch_size:
        Triples per vectorised update.
    init_scale:
        Standard deviation of the normal initialisation of both factor matrices.
    num_threads:
        Threads for serving (training is sequential); ``0`` means one per CPU.
    random_state:
        Seed of initialisation, shuffling and negative sampling.

    After :meth:`fit`, ``loss_history`` holds the mean per-triple loss of every epoch
    (computed during the epoch, so with parameters that change along it).
    """

    _param_names: ClassVar[tuple[str, ...]] = (
        "factors",
        "learning_rate",
        "regularization",
        "iterations",
        "batch_size",
        "init_scale",
        "num_threads",
        "random_state",
    )

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 30,
        batch_size: int = 1024,
        init_scale: float = 0.1,
        num_threads: int = 0,
        random_state: int | None = 0,
    ) -> None:
        super().__init__()
        if factors < 1 or iterations < 0 or batch_size < 1:
            raise ValueError("factors and batch_size must be >= 1, iterations >= 0")
        if learning_rate <= 0 or regularization < 0:
            raise ValueError("learning_rate must be > 0 and regularization >= 0")
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.batch_size = batch_size
        self.init_scale = init_scale
        self.num_threads = num_threads
        self.random_state = random_state

    def fit(
        self,
        user_items: sp.spmatrix | sp.sparray,
        callback: Callable[[int, BPR], float | None] | None = None,
        early_stopping_rounds: int | None = None,
    ) -> BPR:
        """Fit on a users x items matrix; every stored entry with weight > 0 is a positive.

        ``callback`` and ``early_stopping_rounds`` behave as in :meth:`ALS.fit`: the callback
        runs after every epoch and may return a validation metric (higher is better); training
        stops ``early_stopping_rounds`` epochs after the best one and restores its factors.
        """
        if early_stopping_rounds is not None and callback is None:
            raise ValueError("early_stopping_rounds needs a callback returning a metric")
        tracker = ValidationTracker(early_stopping_rounds)
        matrix = check_interactions(user_items)
        matrix.eliminate_zeros()
        n_users, n_items = matrix.shape
        rng = np.random.default_rng(self.random_state)
        U = (rng.standard_normal((n_users, self.factors)) * self.init_scale).astype(np.float32)
        V = (rng.standard_normal((n_items, self.factors)) * self.init_scale).astype(np.float32)
        self.user_factors, self.item_factors = U, V
        self.loss_history = []
        self.validation_history = tracker.history
        self.best_iteration = None

        users = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(matrix.indptr))
        items = matrix.indices.astype(np.int64)
        known = users * n_items + items  # sorted: CSR rows in order, sorted indices per row
        step = np.float32(self.learning_rate)
        for epoch in range(self.iterations if matrix.nnz else 0):
            order = rng.permutation(matrix.nnz)
            u_all, i_all = users[order], items[order]
            j_all = self._sample_negatives(u_all, known, n_items, rng)
            valid = j_all >= 0
            u_all, i_all, j_all = u_all[valid], i_all[valid], j_all[valid]
            total = 0.0
            for start in range(0, u_all.size, self.batch_size):
                batch = slice(start, start + self.batch_size)
                u, i, j = u_all[batch], i_all[batch], j_all[batch]
                result = bpr_loss_and_gradients(U, V, u, i, j, self.regularization)
                total += result.loss
                _scatter_subtract(U, u, result.users, step)
                _scatter_subtract(
                    V,
                    np.concatenate((i, j)),
                    np.concatenate((result.positives, result.negatives)),
                    step,
                )
            self.loss_history.append(total / max(u_all.size, 1))
            self._factors_changed()
            metric = callback(epoch, self) if callback is not None else None
            stop = tracker.update(epoch, metric, (U, V))
            self.best_iteration = tracker.best_iteration
            if stop:
                break
        if tracker.best_factors is not None:
            self.user_factors, self.item_factors = tracker.best_factors
        self._factors_changed()
        return self

    @staticmethod
    def _sample_negatives(
        users: np.ndarray, known: np.ndarray, n_items: int, rng: np.random.Generator
    ) -> np.ndarray:
        """A uniform item each user has not interacted with, or -1 after several collisions.

        ``known`` holds the sorted codes ``user * n_items + item`` of the interactions.
        """
        negatives = rng.integers(n_items, size=users.size)
        pending = np.arange(users.size)
        for attempt in range(_NEGATIVE_RETRIES + 1):
            codes = users[pending] * n_items + negatives[pending]
            order = np.argsort(codes)  # sorted queries make the binary searches cache-friendly
            where = np.minimum(np.searchsorted(known, codes[order]), known.size - 1)
            pending = np.sort(pending[order[known[where] == codes[order]]])
            if pending.size == 0:
                break
            if attempt == _NEGATIVE_RETRIES:
                negatives[pending] = -1
            else:
                negatives[pending] = rng.integers(n_items, size=pending.size)
        return negatives
