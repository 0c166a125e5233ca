"""Implicit-feedback matrix factorisation by alternating least squares.

The model of Hu, Koren & Volinsky (2008), "Collaborative Filtering for Implicit Feedback
Datasets": every user ``u`` and item ``i`` get ``k`` latent factors ``x_u``, ``y_i`` minimising::

    sum_{u,i} c_ui (p_ui - <x_u, y_i>)^2 + lambda (sum_u |x_u|^2 + sum_i |y_i|^2)

over ALL user x item cells, where for an interaction weight ``w_ui >= 0`` (0 when absent)
the preference is ``p_ui = [w_ui > 0]`` and the confidence ``c_ui = 1 + alpha * w_ui``.

Training alternates two half-steps, each solving ``n`` independent ridge regressions with the
other side fixed. The default solver is the warm-started conjugate gradient of Takács, Pilászy
& Tikk (2011) with a few steps per half-step (``cg_steps=3``, as the ``implicit`` library
does), vectorised over blocks of users or items; ``solver="exact"`` solves every regression in
closed form instead (slow, for reference and small data). See :mod:`._solvers`.

Serving (top-k, similar items, persistence) comes from :mod:`._factorization`. Two methods are
specific to ALS, both exact thanks to the closed form of a user's factors given the items:

* :meth:`ALS.fold_in` computes the factors of a user from their interactions (one dense
  ``k x k`` solve, ``Y^T Y + lambda I`` being cached), e.g. for a learner who joined after
  training;
* :meth:`ALS.explain` splits a score into contributions of the user's own interactions
  (Hu et al. 2008, section 5): ``x_u = W^u Y^T C^u p(u)`` with
  ``W^u = (Y^T C^u Y + lambda I)^-1``, hence ``<y_i, x_u> = sum_j s^u_ij c_uj p_uj`` with
  ``s^u_ij = y_i^T W^u y_j``: "because you watched j".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommendations.engine._factorization import (
    FactorizationModel,
    ValidationTracker,
    as_id_array,
    check_interactions,
    resolve_threads,
)
from recommendations.engine._solvers import (
    HalfStepData,
    cg_half_step,
    exact_half_step,
    exact_solve_row,
    gram,
    hkv_loss,
)

__all__ = ["ALS", "Explanation", "interaction_row"]

Callback = Callable[[int, "ALS"], float | None]


def interaction_row(row: Any, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """``(item ids, weights)`` of the nonzero entries of one user's interactions.

    ``row`` is a ``1 x n_items`` sparse matrix, a sparse or dense vector of length
    ``n_items``, or a dense ``1 x n_items`` array.
    """
    if sp.issparse(row):
        if row.shape == (n_items,):
            row = row.reshape(1, n_items)
        if row.shape != (1, n_items):
            raise ValueError(f"expected a 1 x {n_items} sparse row, got shape {row.shape}")
        csr = sp.csr_matrix(row, dtype=np.float32, copy=True)
        csr.sum_duplicates()
        indices, weights = csr.indices.astype(np.int64), csr.data
    else:
        dense = np.asarray(row, dtype=np.float32)
        if dense.shape not in ((n_items,), (1, n_items)):
            raise ValueError(f"expected a vector of {n_items} item weights, got {dense.shape}")
        dense = dense.ravel()
        indices = np.flatnonzero(dense)
        weights = dense[indices]
    keep = weights != 0
    indices, weights = indices[keep], weights[keep]
    if weights.size and (not np.all(np.isfinite(weights)) or weights.min() < 0):
        raise ValueError("interaction weights must be finite and >= 0")
    return indices, weights


class Explanation(NamedTuple):
    """Output of :meth:`ALS.explain` for one user and ``m`` requested items."""

    seen_items: np.ndarray
    """The user's interacted items ``j`` (``n_seen``,)."""
    contributions: np.ndarray
    """``(m, n_seen)``: contribution ``s^u_ij c_uj`` of seen item ``j`` to the score of ``i``."""
    top_contributors: np.ndarray
    """``(m,)``: the seen item contributing most to each score, ``-1`` if nothing is seen."""
    scores: np.ndarray
    """``(m,)``: the folded-in user's scores, equal to the row sums of ``contributions``."""

    @classmethod
    def exact(cls, seen_items: np.ndarray, contributions: np.ndarray) -> Explanation:
        """The explanation of scores that are exactly the sums of ``contributions``."""
        if seen_items.size:
            top = seen_items[np.argmax(contributions, axis=1)]
        else:
            top = np.full(contributions.shape[0], -1, dtype=np.int64)
        return cls(seen_items, contributions, top, contributions.sum(axis=1))


class ALS(FactorizationModel):
    """Hu-Koren-Volinsky implicit ALS with a blocked conjugate-gradient solver.

    Parameters
    ----------
    factors:
        Number of latent factors ``k``.
    regularization:
        ``lambda``, the L2 penalty on every user and item factor vector (not scaled by counts).
    alpha:
        Confidence slope: ``c_ui = 1 + alpha * w_ui``. (``implicit`` 0.7 uses ``c = alpha * w``
        on stored entries; pass it ``1 + alpha * w`` with its ``alpha=1`` for the same model.)
    iterations:
        Number of ALS iterations (a user half-step then an item half-step).
    cg_steps:
        Conjugate-gradient steps per row and half-step (warm-started from the previous factors).
    solver:
        ``"cg"`` (default, fast) or ``"exact"`` (closed form per row, ``O(k^3)`` each: slow).
    init_scale:
        Factors start uniform in ``[0, init_scale)``.
    block_nnz:
        Padded stored entries per block of the vectorised solver: working memory is about
        ``max(block_nnz, largest row) * factors * 4`` bytes per thread.
    num_threads:
        Worker threads for training and serving; ``0`` means one per available CPU.
    calculate_loss:
        Record the HKV loss after every iteration in ``loss_history`` (one extra pass over the
        data per iteration). Can also be asked per call of :meth:`fit`.
    random_state:
        Seed of the factor initialisation. Results are bit-identical for a seed on a machine,
        whatever ``num_threads`` (the work partition depends only on the data).

    Attributes
    ----------
    user_factors, item_factors:
        float32 arrays ``n_users x factors`` and ``n_items x factors`` once fitted or loaded.
    loss_history:
        The HKV loss after each iteration, when asked for (``calculate_loss``).
    validation_history, best_iteration:
        The metrics returned by the ``fit`` callback and the 0-based iteration of the best.
    """

    _param_names: ClassVar[tuple[str, ...]] = (
        "factors",
        "regularization",
        "alpha",
        "iterations",
        "cg_steps",
        "solver",
        "init_scale",
        "block_nnz",
        "num_threads",
        "calculate_loss",
        "random_state",
    )

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        cg_steps: int = 3,
        solver: Literal["cg", "exact"] = "cg",
        init_scale: float = 0.01,
        block_nnz: int = 16384,
        num_threads: int = 0,
        calculate_loss: bool = False,
        random_state: int | None = 0,
    ) -> None:
        super().__init__()
        if solver not in ("cg", "exact"):
            raise ValueError(f"solver must be 'cg' or 'exact', got {solver!r}")
        if factors < 1 or iterations < 0 or cg_steps < 1 or block_nnz < 1:
            raise ValueError("factors, cg_steps and block_nnz must be >= 1, iterations >= 0")
        if regularization < 0 or alpha < 0:
            raise ValueError("regularization and alpha must be >= 0")
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.cg_steps = cg_steps
        self.solver = solver
        self.init_scale = init_scale
        self.block_nnz = block_nnz
        self.num_threads = num_threads
        self.calculate_loss = calculate_loss
        self.random_state = random_state
        self._gram_cache: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ training
    def fit(
        self,
        user_items: sp.spmatrix | sp.sparray,
        callback: Callback | None = None,
        early_stopping_rounds: int | None = None,
        calculate_loss: bool | None = None,
    ) -> ALS:
        """Fit on a users x items matrix of interaction weights ``>= 0``; returns ``self``.

        ``callback(iteration, model)`` is called after every iteration (0-based), with the
        model's factors at that point. If it returns a number, that number is a validation
        metric where HIGHER IS BETTER (e.g. recall@10 on held-out interactions); it is
        recorded in ``validation_history``. With ``early_stopping_rounds=n``, training stops
        after the first iteration that is ``n`` iterations past the best metric so far (a
        value counts as better only if strictly greater), and the factors of the best
        iteration are restored; ``best_iteration`` tells which. Without a callback,
        ``early_stopping_rounds`` is an error.

        ``calculate_loss`` (default: the constructor's) records the HKV loss of every
        iteration in ``loss_history``; otherwise ``loss_history`` is left empty.
        """
        if early_stopping_rounds is not None and callback is None:
            raise ValueError("early_stopping_rounds needs a callback returning a metric")
        tracker = ValidationTracker(early_stopping_rounds)
        with_loss = self.calculate_loss if calculate_loss is None else calculate_loss
        matrix = check_interactions(user_items)
        n_users, n_items = matrix.shape
        users = HalfStepData.from_csr(matrix, self.alpha, self.block_nnz)
        items = HalfStepData.from_csr(matrix.T.tocsr(), self.alpha, self.block_nnz)

        rng = np.random.default_rng(self.random_state)
        X = rng.random((n_users, self.factors), dtype=np.float32) * np.float32(self.init_scale)
        Y = rng.random((n_items, self.factors), dtype=np.float32) * np.float32(self.init_scale)
        self.user_factors, self.item_factors = X, Y
        self.loss_history = []
        self.validation_history = tracker.history
        self.best_iteration = None

        threads = resolve_threads(self.num_threads)
        with ExitStack() as stack:
            executor = None
            if threads > 1:
                stack.enter_context(threadpool_limits(1, user_api="blas"))
                executor = stack.enter_context(ThreadPoolExecutor(threads))
            for iteration in range(self.iterations):
                self._half_step(users, X, Y, executor)
                self._half_step(items, Y, X, executor)
                if with_loss:
                    self.loss_history.append(hkv_loss(users, X, Y, self.regularization))
                self._factors_changed()
                metric = callback(iteration, self) if callback is not None else None
                stop = tracker.update(iteration, metric, (X, Y))
                self.best_iteration = tracker.best_iteration
                if stop:
                    break
        if tracker.best_factors is not None:
            self.user_factors, self.item_factors = tracker.best_factors
        self._factors_changed()
        return self

    def _half_step(
        self,
        data: HalfStepData,
        X: np.ndarray,
        Y: np.ndarray,
        executor: ThreadPoolExecutor | None,
    ) -> None:
        if self.solver == "cg":
            cg_half_step(data, X, Y, self.regularization, self.cg_steps, executor)
        else:
            exact_half_step(data, X, Y, self.regularization, executor)

    # ------------------------------------------------------------------ fold-in, explain
    def _factors_changed(self) -> None:
        super()._factors_changed()
        self._gram_cache = None

    def _item_gram(self) -> np.ndarray:
        """``Y^T Y + lambda I`` for the current item factors (cached)."""
        _, item_factors = self._fitted_factors()
        if self._gram_cache is None or self._gram_cache[0] is not item_factors:
            self._gram_cache = (item_factors, gram(item_factors, self.regularization))
        return self._gram_cache[1]

    def _row_system(self, row: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        indices, weights = interaction_row(row, self.n_items)
        a = (self.alpha * weights).astype(np.float64)
        b = np.where(weights > 0, 1 + a, 0.0)
        return indices, a, b

    def fold_in(self, user_items_row: Any) -> np.ndarray:
        """Factors (float32, ``(factors,)``) of one user from their interaction weights.

        ``user_items_row`` is a ``1 x n_items`` sparse row or a dense vector of ``n_items``
        weights. Item factors stay fixed; this is one exact solve of the user's normal
        equations ``(Y^T C^u Y + lambda I) x = Y^T C^u p(u)`` (``Y^T Y + lambda I`` is cached),
        i.e. exactly what a final user half-step with the exact solver would give.
        """
        _, item_factors = self._fitted_factors()
        indices, a, b = self._row_system(user_items_row)
        solution = exact_solve_row(self._item_gram(), item_factors, indices, a, b)
        return solution.astype(np.float32)

    def explain(
        self, user_items_row: Any, item_ids: int | Sequence[int] | np.ndarray
    ) -> Explanation:
        """Split the folded-in scores of ``item_ids`` into contributions of the user's items.

        Following Hu et al. (2008), with ``W = (Y^T C^u Y + lambda I)^-1`` (one factorisation
        per call), the score of item ``i`` is ``sum_j (y_i^T W y_j) c_uj p_uj`` over the
        user's interacted items ``j``; the term of ``j`` is its contribution. Scores are those
        of :meth:`fold_in`'s vector, which for a training user equal the model's scores after
        a final exact user half-step.
        """
        _, item_factors = self._fitted_factors()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        indices, a, b = self._row_system(user_items_row)
        Yu = np.asarray(item_factors[indices], dtype=np.float64)
        A = self._item_gram().astype(np.float64) + (Yu.T * a) @ Yu
        targets = np.asarray(item_factors[items], dtype=np.float64)
        # W y_i for every requested item i, then s_ij = (W y_i)^T y_j.
        weighted = np.linalg.solve(A, targets.T).T
        contributions = (weighted @ Yu.T) * b
        return Explanation.exact(indices, contributions)
