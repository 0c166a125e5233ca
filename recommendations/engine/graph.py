"""LightGCN: embeddings smoothed over the user-item graph, trained by BPR (numpy/scipy only).

He, Deng, Wang, Li, Zhang & Wang, "LightGCN: Simplifying and Powering Graph Convolution Network
for Recommendation" (SIGIR 2020). Users and items are the nodes of one bipartite graph whose
edges are the interactions (weighted by the interaction weights), normalised symmetrically,
``Â = D^-1/2 A D^-1/2``. Every node has a trained embedding ``E`` (its "ego" embedding); the
embedding it is scored by is the mean of its propagations::

    F = (E + ÂE + Â²E + … + Â^L E) / (L + 1),      score(u, i) = <F_u, F_i>

so a user is pulled towards the items they touched, those items towards the other users who
touched them, and so on for ``L`` hops. ``E`` is trained by Adam on the BPR loss (Rendle et al.
2009): each stored interaction ``(u, i)`` is a positive, paired with an item ``j`` drawn
uniformly among those ``u`` has not touched, ``-log σ(<F_u, F_i - F_j>)`` plus an L2 penalty on
the ego embeddings of the triple, averaged over a mini-batch. The gradient goes back through
the propagation (``Â`` is symmetric, so it is the same propagation of the gradient with
respect to ``F``).

Where a few items take most of the attention, the sampled negatives are mostly unpopular
items, so the model learns popularity and the neighbourhood at once; its ranking differs from
the autoencoder's enough that a mix of the two beats both on validation (docs/ranking.md).

Serving shares :class:`~._factorization.FactorizationModel` (``user_factors`` and
``item_factors`` are the propagated ``F``). A learner outside the model has no ego embedding:
:meth:`LightGCN.fold_in` propagates their row with an ego embedding of zero, which is linear in
the row::

    f_u = Σ_j  x_uj / √(d_u d_j) · G_j,     G = (E + ÂE + … + Â^(L-1) E)_items / (L + 1)

(``d`` the weighted degrees of training), so :meth:`LightGCN.explain` is exact for it: the
term of ``j`` in ``<f_u, F_i>`` is "because you watched j".

**Cost**: an epoch is ``interactions / batch_size`` Adam steps, each propagating ``E`` through
``L`` sparse products forward and ``L`` back (``2 · nnz · factors`` flops each) and updating
``(users + items) × factors`` float32 parameters; on KuaiRand (92,000 training likes, 64
factors, 3 layers, batches of 2,048) about 2 s. Memory: ``E``, Adam's two moments, ``F`` and
the layers, each ``(users + items) × factors`` float32.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from recommendations.engine._factorization import (
    FactorizationModel,
    ValidationTracker,
    check_interactions,
)
from recommendations.engine._ranking import as_id_array
from recommendations.engine.als import Explanation, interaction_row
from recommendations.engine.autoencoder import _adam
from recommendations.engine.sgd import BPR, _scatter_subtract

__all__ = ["LightGCN"]


class LightGCN(FactorizationModel):
    """LightGCN (He et al. 2020) trained by Adam on the BPR loss.

    Parameters
    ----------
    factors:
        Size of the embeddings.
    layers:
        Propagation hops ``L`` (3 in the paper).
    epochs:
        Passes over the interactions (the most, with early stopping).
    learning_rate, batch_size:
        Adam's step size and the interactions per step.
    regularization:
        L2 penalty on the ego embeddings of each triple, per triple.
    init_scale:
        Standard deviation of the normal initial embeddings.
    num_threads:
        Threads for serving; ``0`` means one per CPU.
    random_state:
        Seed of the initial embeddings, the order of the interactions and the negatives.
    """

    _param_names: ClassVar[tuple[str, ...]] = (
        "factors",
        "layers",
        "epochs",
        "learning_rate",
        "regularization",
        "batch_size",
        "init_scale",
        "num_threads",
        "random_state",
    )

    def __init__(
        self,
        factors: int = 64,
        layers: int = 3,
        epochs: int = 50,
        learning_rate: float = 1e-3,
        regularization: float = 1e-4,
        batch_size: int = 2048,
        init_scale: float = 0.1,
        num_threads: int = 0,
        random_state: int | None = 0,
    ) -> None:
        super().__init__()
        if factors < 1 or layers < 0 or epochs < 1 or batch_size < 1:
            raise ValueError("factors, epochs and batch_size must be >= 1, layers >= 0")
        if learning_rate <= 0 or regularization < 0 or init_scale <= 0:
            raise ValueError("learning_rate and init_scale must be > 0, regularization >= 0")
        self.factors = int(factors)
        self.layers = int(layers)
        self.epochs = int(epochs)
        self.learning_rate = float(learning_rate)
        self.regularization = float(regularization)
        self.batch_size = int(batch_size)
        self.init_scale = float(init_scale)
        self.num_threads = num_threads
        self.random_state = random_state
        self.fold_vectors: np.ndarray | None = None
        """``G``: the items' propagations but the last, over ``L + 1`` (see :meth:`fold_in`)."""
        self.item_degrees: np.ndarray | None = None

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        user_items,
        callback: Callable[[int, LightGCN], float | None] | None = None,
        early_stopping_rounds: int | None = None,
        deadline: float | None = None,
    ) -> LightGCN:
        """Fit on a users x items matrix of weights ``>= 0`` (every stored weight > 0 is a
        positive; the weights are the graph's edge weights).

        ``callback(epoch, model)`` runs after every epoch and may return a validation metric
        (higher is better); with ``early_stopping_rounds=n`` training stops ``n`` epochs after
        the best one and keeps its embeddings (``best_iteration``). Training also stops after
        the epoch during which ``time.perf_counter()`` passes ``deadline``.
        """
        if early_stopping_rounds is not None and callback is None:
            raise ValueError("early_stopping_rounds needs a callback returning a metric")
        matrix = check_interactions(user_items)
        matrix.eliminate_zeros()
        n_users, n_items = matrix.shape
        rng = np.random.default_rng(self.random_state)
        graph, degrees = _normalised_graph(matrix)
        self.item_degrees = degrees[n_users:].astype(np.float32)
        ego = (rng.standard_normal((n_users + n_items, self.factors)) * self.init_scale).astype(
            np.float32
        )
        moments, squares = {"E": np.zeros_like(ego)}, {"E": np.zeros_like(ego)}
        parameters = {"E": ego}
        tracker = ValidationTracker(early_stopping_rounds)
        self.loss_history, self.best_iteration = [], None
        users = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(matrix.indptr))
        items = matrix.indices.astype(np.int64)
        known = users * n_items + items
        step = 0
        for epoch in range(self.epochs if matrix.nnz else 0):
            order = rng.permutation(matrix.nnz)
            u_all, i_all = users[order], items[order]
            j_all = BPR._sample_negatives(u_all, known, n_items, rng)
            valid = j_all >= 0
            u_all, i_all, j_all = u_all[valid], i_all[valid], j_all[valid]
            total = 0.0
            for start in range(0, u_all.size, self.batch_size):
                step += 1
                batch = slice(start, start + self.batch_size)
                gradient, loss = self._gradient(
                    graph,
                    parameters["E"],
                    u_all[batch],
                    n_users + i_all[batch],
                    n_users + j_all[batch],
                )
                total += loss
                _adam(parameters, {"E": gradient}, moments, squares, step, self.learning_rate)
            self.loss_history.append(total / max(u_all.size, 1))
            self._set_embeddings(graph, parameters["E"], n_users)
            metric = callback(epoch, self) if callback is not None else None
            state = (self.user_factors, self.item_factors, self.fold_vectors)
            if tracker.update(epoch, metric, state):
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
        if not matrix.nnz:
            self._set_embeddings(graph, parameters["E"], n_users)
        self.validation_history = tracker.history
        self.best_iteration = tracker.best_iteration
        if early_stopping_rounds is not None and tracker.best_factors is not None:
            self.user_factors, self.item_factors, self.fold_vectors = tracker.best_factors
        self._factors_changed()
        return self

    def _propagations(self, graph: sp.csr_matrix, ego: np.ndarray) -> list[np.ndarray]:
        layers = [ego]
        for _ in range(self.layers):
            layers.append(np.asarray(graph @ layers[-1]))  # float32, or float64 for the tests
        return layers

    def _gradient(
        self, graph, ego: np.ndarray, u: np.ndarray, i: np.ndarray, j: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """Gradient of the batch's mean loss with respect to ``E``, and the summed loss."""
        final = sum(self._propagations(graph, ego)) / (self.layers + 1)
        fu, fi, fj = final[u], final[i], final[j]
        x = np.einsum("nk,nk->n", fu, fi - fj)
        size = u.size
        reg = self.regularization
        eu, ei, ej = ego[u], ego[i], ego[j]
        squares = sum(float(np.einsum("nk,nk->", e, e)) for e in (eu, ei, ej))
        loss = float(np.logaddexp(0, -x).sum()) + 0.5 * reg * squares
        g = (expit(-x).astype(ego.dtype) / size)[:, None]
        rows = np.concatenate((u, i, j))
        by_final = np.zeros_like(final)
        _scatter_subtract(by_final, rows, np.vstack((g * (fi - fj), g * fu, -g * fu)), 1)
        gradient = sum(self._propagations(graph, by_final)) / (self.layers + 1)
        _scatter_subtract(gradient, rows, np.vstack((eu, ei, ej)), -reg / size)
        return gradient.astype(ego.dtype, copy=False), loss

    def _set_embeddings(self, graph, ego: np.ndarray, n_users: int) -> None:
        layers = self._propagations(graph, ego)
        scale = np.float32(1.0 / (self.layers + 1))
        final = sum(layers) * scale
        self.user_factors = np.ascontiguousarray(final[:n_users])
        self.item_factors = np.ascontiguousarray(final[n_users:])
        self.fold_vectors = np.ascontiguousarray(sum(layers[:-1])[n_users:] * scale)
        self._factors_changed()

    # ------------------------------------------------------------------ serving
    def parameters_finite(self) -> bool:
        """Whether the embeddings and the fold-in vectors are all finite numbers."""
        return super().parameters_finite() and bool(np.isfinite(self.fold_vectors).all())

    def _row_weights(self, user_items_row: Any) -> tuple[np.ndarray, np.ndarray]:
        """The row's items and their edge weights ``x_uj / √(d_u d_j)`` (items unseen in
        training have no edges and count 0)."""
        if self.fold_vectors is None or self.item_degrees is None:
            raise RuntimeError("LightGCN is not fitted: call fit() or load() first")
        indices, values = interaction_row(user_items_row, self.n_items)
        degree = float(values.sum())
        item_degrees = self.item_degrees[indices].astype(np.float64)
        usable = (values > 0) & (item_degrees > 0)
        weights = np.zeros(indices.size)
        if degree > 0:
            weights[usable] = values[usable] / np.sqrt(degree * item_degrees[usable])
        return indices, weights

    def fold_in(self, user_items_row: Any) -> np.ndarray:
        """Factors (float32, ``(factors,)``) of a user from their row: the propagation of the
        row with an ego embedding of zero (module docstring); zero for an empty row."""
        indices, weights = self._row_weights(user_items_row)
        return (weights @ np.asarray(self.fold_vectors[indices], dtype=np.float64)).astype(
            np.float32
        )

    def explain(
        self, user_items_row: Any, item_ids: int | Sequence[int] | np.ndarray
    ) -> Explanation:
        """Split the folded-in scores of ``item_ids`` into the terms of the user's items:
        ``<f_u, F_i> = Σ_j x_uj / √(d_u d_j) <G_j, F_i>`` (exact; scores of :meth:`fold_in`)."""
        _, item_factors = self._fitted_factors()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        indices, weights = self._row_weights(user_items_row)
        seen = np.asarray(self.fold_vectors[indices], dtype=np.float64)
        targets = np.asarray(item_factors[items], dtype=np.float64)
        contributions = (targets @ seen.T) * weights[None, :]
        return Explanation.exact(indices, contributions)

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """The factors and ``params.json`` (:meth:`FactorizationModel.save`), plus
        ``fold_vectors.npy`` and ``item_degrees.npy`` for :meth:`fold_in`."""
        path = super().save(directory)
        if self.fold_vectors is None or self.item_degrees is None:
            raise RuntimeError("LightGCN is not fitted: call fit() or load() first")
        np.save(path / "fold_vectors.npy", np.ascontiguousarray(self.fold_vectors))
        np.save(path / "item_degrees.npy", np.ascontiguousarray(self.item_degrees))
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], mmap_mode: str | None = "r") -> Self:
        model = super().load(directory, mmap_mode=mmap_mode)
        path = Path(directory)
        model.fold_vectors = np.load(path / "fold_vectors.npy", mmap_mode=mmap_mode)
        model.item_degrees = np.load(path / "item_degrees.npy", mmap_mode=mmap_mode)
        if model.fold_vectors.shape != model.item_factors.shape or model.item_degrees.shape != (
            model.item_factors.shape[0],
        ):
            raise ValueError(f"fold_vectors.npy or item_degrees.npy in {path} do not match")
        return model


def _normalised_graph(matrix: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """``D^-1/2 A D^-1/2`` of the bipartite graph of ``matrix`` (users first) and the degrees."""
    adjacency = sp.bmat([[None, matrix], [matrix.T, None]], format="csr", dtype=np.float32)
    degrees = np.asarray(adjacency.sum(axis=1), dtype=np.float64).ravel()
    scale = np.zeros_like(degrees)
    np.divide(1.0, np.sqrt(degrees), out=scale, where=degrees > 0)
    scaled = sp.diags(scale.astype(np.float32)) @ adjacency @ sp.diags(scale.astype(np.float32))
    return sp.csr_matrix(scaled, dtype=np.float32), degrees
