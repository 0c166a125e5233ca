"""What every factorisation model shares: top-k serving, item similarity, persistence.

A fitted model holds ``user_factors`` (``n_users x k``) and ``item_factors``
(``n_items x k``), float32; the score of item ``i`` for user ``u`` is ``<x_u, y_i>``.

Top-k retrieval is blocked over users: for a block of users the scores against all items are
one matrix product (``block x n_items``), excluded items are set to ``-inf``, and
``np.argpartition`` followed by a sort of the ``k`` survivors gives the ranking. The block size
is chosen so a block of scores stays within a fixed memory budget, and blocks run on a thread
pool with BLAS limited to one thread, so the retrieval for 100,000 users x 20,000 items uses a
few tens of megabytes at a time and both cores.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommendations.engine._ranking import as_id_array, check_item_mask, top_k

__all__ = [
    "FactorizationModel",
    "ValidationTracker",
    "as_id_array",
    "check_interactions",
    "resolve_threads",
]

_SCORE_BUDGET = 1 << 22  # float32 scores per block of users (16 MiB)
_FORMAT_VERSION = 1


def resolve_threads(num_threads: int) -> int:
    """``num_threads`` if positive, else the number of CPUs this process may run on."""
    if num_threads > 0:
        return num_threads
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return os.cpu_count() or 1


def check_interactions(user_items: Any) -> sp.csr_matrix:
    """Validate a users x items matrix of weights: sparse, finite, ``>= 0``.

    Returns a new CSR float32 matrix with duplicates summed (the input is never modified).
    """
    if not sp.issparse(user_items) or user_items.ndim != 2:
        raise ValueError("user_items must be a 2-D scipy.sparse users x items matrix")
    matrix = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
    matrix.sum_duplicates()
    if matrix.nnz and (not np.all(np.isfinite(matrix.data)) or matrix.data.min() < 0):
        raise ValueError("user_items weights must be finite and >= 0")
    return matrix


class ValidationTracker:
    """Early stopping on a validation metric returned by a training callback.

    ``update(iteration, metric, factors)`` records ``metric`` (HIGHER IS BETTER; ``None``
    means "no metric this iteration" and is ignored) and returns True when training should
    stop: ``rounds`` iterations have passed since the best metric so far (a value counts as
    better only if strictly greater). With ``rounds`` set, a copy of the factors of the best
    iteration is kept in ``best_factors`` so that the caller can restore them.
    """

    def __init__(self, rounds: int | None) -> None:
        if rounds is not None and rounds < 1:
            raise ValueError("early_stopping_rounds must be >= 1")
        self.rounds = rounds
        self.history: list[float] = []
        self.best_iteration: int | None = None
        self.best_metric = -np.inf
        self.best_factors: tuple[np.ndarray, ...] | None = None

    def update(self, iteration: int, metric: float | None, factors: tuple[np.ndarray, ...]) -> bool:
        if metric is None:
            return False
        self.history.append(float(metric))
        if self.best_iteration is None or metric > self.best_metric:
            self.best_metric, self.best_iteration = float(metric), iteration
            if self.rounds is not None:
                self.best_factors = tuple(array.copy() for array in factors)
            return False
        return self.rounds is not None and iteration - self.best_iteration >= self.rounds


class FactorizationModel:
    """Base class of :class:`~recommendations.engine.als.ALS` and
    :class:`~recommendations.engine.sgd.BPR`: serving and persistence of fitted factors.

    Subclasses list their constructor parameters in ``_param_names`` (saved in
    ``params.json``) and implement ``fit``, which fills ``loss_history`` (per iteration),
    ``validation_history`` (the callback's metrics) and ``best_iteration``.
    """

    _param_names: ClassVar[tuple[str, ...]] = ()
    num_threads: int

    def __init__(self) -> None:
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None
        self.loss_history: list[float] = []
        self.validation_history: list[float] = []
        self.best_iteration: int | None = None
        self._normalized_cache: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ state
    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as saved in ``params.json``."""
        return {name: getattr(self, name) for name in self._param_names}

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def n_users(self) -> int:
        return self._fitted_factors()[0].shape[0]

    @property
    def n_items(self) -> int:
        return self._fitted_factors()[1].shape[0]

    def _factors_changed(self) -> None:
        """Drop what is cached from the factors; ``fit`` calls it whenever they change."""
        self._normalized_cache = None

    def _fitted_factors(self) -> tuple[np.ndarray, np.ndarray]:
        if self.user_factors is None or self.item_factors is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() or load() first")
        return self.user_factors, self.item_factors

    def parameters_finite(self) -> bool:
        """Whether the fitted factors are all finite numbers (a diverged fit is not)."""
        user_factors, item_factors = self._fitted_factors()
        return bool(np.isfinite(user_factors).all() and np.isfinite(item_factors).all())

    def _check_user_items(self, user_items: Any) -> sp.csr_array:
        """Validate that ``user_items`` is the whole users x items matrix the model was fit on."""
        if not sp.issparse(user_items):
            raise ValueError(
                "user_items must be a scipy.sparse users x items matrix, "
                f"got {type(user_items).__name__}"
            )
        expected = (self.n_users, self.n_items)
        if user_items.shape != expected:
            raise ValueError(
                f"user_items must be the WHOLE users x items matrix of shape {expected} the model "
                f"was fitted on (rows are indexed by user_ids), got shape {user_items.shape}; "
                "for a user outside the model use fold_in() and recommend_vector()"
            )
        return sp.csr_array(user_items)

    # ------------------------------------------------------------------ serving
    def _map_blocks(self, work: Callable[[int, int], None], n_rows: int, block_rows: int) -> None:
        """Run ``work(start, stop)`` over row blocks on a thread pool, BLAS single-threaded."""
        bounds = [(s, min(s + block_rows, n_rows)) for s in range(0, n_rows, block_rows)]
        threads = min(resolve_threads(self.num_threads), len(bounds))
        if threads <= 1:
            for start, stop in bounds:
                work(start, stop)
            return
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(threads) as executor:
            for future in [executor.submit(work, start, stop) for start, stop in bounds]:
                future.result()

    def _top_k_for_vectors(
        self,
        vectors: np.ndarray,
        k: int,
        item_mask: np.ndarray | None,
        seen: sp.csr_array | None,
        candidates: np.ndarray,
        exclude_self: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` of ``vectors @ candidates.T`` with exclusions, blocked over rows.

        ``seen`` is an ``n_rows x n_items`` CSR matrix of excluded items, ``exclude_self`` an
        item id per row to exclude (for similar items).
        """
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k}")
        n_rows, n_items = vectors.shape[0], candidates.shape[0]
        # A mask shared by all rows: score only the items it allows (one item type of four is
        # a quarter of the products and of the top-k work), then map back to item ids. The
        # allowed items keep their order, so ties still resolve by item id.
        keep = position = None
        if item_mask is not None and item_mask.ndim == 1 and item_mask.any():
            keep = np.flatnonzero(~item_mask)
            position = np.full(n_items, -1, dtype=np.int64)
            position[keep] = np.arange(keep.size)
            candidates, item_mask, n_items = candidates[keep], None, keep.size
        ids = np.empty((n_rows, k), dtype=np.int64)
        scores = np.empty((n_rows, k), dtype=np.float32)
        block_rows = max(1, min(n_rows, _SCORE_BUDGET // max(n_items, 1)))

        def work(start: int, stop: int) -> None:
            block = np.asarray(vectors[start:stop], dtype=np.float32) @ candidates.T
            if item_mask is not None:
                mask = item_mask if item_mask.ndim == 1 else item_mask[start:stop]
                block[np.broadcast_to(mask, block.shape)] = -np.inf
            if seen is not None:
                lo, hi = seen.indptr[start], seen.indptr[stop]
                rows = np.repeat(np.arange(stop - start), np.diff(seen.indptr[start : stop + 1]))
                cols = seen.indices[lo:hi]
                if position is not None:
                    cols = position[cols]
                    rows, cols = rows[cols >= 0], cols[cols >= 0]
                block[rows, cols] = -np.inf
            if exclude_self is not None:
                rows, cols = np.arange(stop - start), exclude_self[start:stop]
                if position is not None:
                    cols = position[cols]
                    rows, cols = rows[cols >= 0], cols[cols >= 0]
                block[rows, cols] = -np.inf
            found, scores[start:stop] = top_k(block, k)
            if keep is not None and keep.size:  # (with nothing allowed, all are -1 already)
                found = np.where(found >= 0, keep[np.maximum(found, 0)], -1)
            ids[start:stop] = found

        self._map_blocks(work, n_rows, block_rows)
        return ids, scores

    def recommend(
        self,
        user_ids: int | Sequence[int] | np.ndarray,
        user_items: sp.spmatrix | sp.sparray | None,
        k: int = 10,
        exclude_seen: bool = True,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for each user of ``user_ids``, best first.

        ``user_items`` is the WHOLE users x items matrix (shape ``(n_users, n_items)``, the
        shape the model was fitted on) and ``user_ids`` index its rows; a ``ValueError`` is
        raised otherwise, and for user ids out of range. It may be ``None`` only when
        ``exclude_seen`` is false. With ``exclude_seen``, items with a stored nonzero in the
        user's row are excluded. ``item_mask`` is boolean with True = EXCLUDED (as in
        ``numpy.ma``), of shape ``(n_items,)`` for all users or ``(len(user_ids), n_items)``
        per user.

        Returns ``(ids, scores)``, int64 and float32 arrays of shape ``(len(user_ids), k)``
        (always 2-D; an int ``user_ids`` counts as one user). Rows with fewer than ``k``
        eligible items are padded with id ``-1`` and score ``-inf``.
        """
        user_factors, item_factors = self._fitted_factors()
        users = as_id_array(user_ids, self.n_users, "user_ids")
        seen = None
        if exclude_seen:
            if user_items is None:
                raise ValueError("user_items is required when exclude_seen is true")
            seen = self._check_user_items(user_items)[users]
            seen = sp.csr_array((seen.data != 0, seen.indices, seen.indptr), shape=seen.shape)
            seen.eliminate_zeros()
        elif user_items is not None:
            self._check_user_items(user_items)
        mask = check_item_mask(item_mask, users.size, self.n_items)
        return self._top_k_for_vectors(user_factors[users], k, mask, seen, item_factors)

    def recommend_vector(
        self,
        user_vectors: np.ndarray,
        k: int = 10,
        exclude_items: Sequence[int] | np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for user factor vectors that need not be in the model.

        ``user_vectors`` is one vector of shape ``(k_factors,)`` (e.g. from ``fold_in``) or a
        stack ``(n, k_factors)``. ``exclude_items`` are item ids excluded for every vector
        (typically the user's seen items); ``item_mask`` is as in :meth:`recommend`. Returns
        2-D ``(ids, scores)`` of shape ``(n, k)``, padded like :meth:`recommend`.
        """
        _, item_factors = self._fitted_factors()
        vectors = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        if vectors.ndim != 2 or vectors.shape[1] != item_factors.shape[1]:
            raise ValueError(
                f"user_vectors must have {item_factors.shape[1]} factors, got shape "
                f"{np.shape(user_vectors)}"
            )
        mask = check_item_mask(item_mask, vectors.shape[0], self.n_items)
        if exclude_items is not None:
            excluded = as_id_array(exclude_items, self.n_items, "exclude_items")
            extra = np.zeros(self.n_items, dtype=bool)
            extra[excluded] = True
            mask = extra if mask is None else mask | extra
        return self._top_k_for_vectors(vectors, k, mask, None, item_factors)

    def similar_items(
        self,
        item_ids: int | Sequence[int] | np.ndarray,
        k: int = 10,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items with the highest cosine similarity of factors, the item excluded.

        Returns 2-D ``(ids, similarities)`` of shape ``(len(item_ids), k)``; ``item_mask`` as
        in :meth:`recommend`. Items with all-zero factors have similarity 0 to everything.
        The normalised item factors are cached until ``item_factors`` changes.
        """
        _, item_factors = self._fitted_factors()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        if self._normalized_cache is None or self._normalized_cache[0] is not item_factors:
            norms = np.linalg.norm(item_factors, axis=1)
            normalized = (item_factors / np.where(norms > 0, norms, 1)[:, None]).astype(np.float32)
            self._normalized_cache = (item_factors, normalized)
        normalized = self._normalized_cache[1]
        mask = check_item_mask(item_mask, items.size, self.n_items)
        return self._top_k_for_vectors(
            normalized[items], k, mask, None, normalized, exclude_self=items
        )

    # ------------------------------------------------------------------ persistence
    def _extra_state(self) -> dict[str, Any]:
        """Fitted metadata besides the factors, saved in ``params.json``."""
        state = {
            "loss_history": self.loss_history,
            "validation_history": self.validation_history,
            "best_iteration": self.best_iteration,
        }
        if getattr(self, "selection", None) is not None:
            state["selection"] = self.selection
        return state

    def _set_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_extra_state` saved."""
        self.loss_history = list(state.get("loss_history", []))
        self.validation_history = list(state.get("validation_history", []))
        self.best_iteration = state.get("best_iteration")
        if "selection" in state:
            self.selection = state["selection"]

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``user_factors.npy``, ``item_factors.npy`` (float32) and ``params.json``."""
        user_factors, item_factors = self._fitted_factors()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "user_factors.npy", np.ascontiguousarray(user_factors, dtype=np.float32))
        np.save(path / "item_factors.npy", np.ascontiguousarray(item_factors, dtype=np.float32))
        meta = {
            "model": type(self).__name__,
            "format_version": _FORMAT_VERSION,
            "params": self.get_params(),
            "n_users": int(user_factors.shape[0]),
            "n_items": int(item_factors.shape[0]),
            "factors": int(item_factors.shape[1]),
            "state": self._extra_state(),
        }
        (path / "params.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], mmap_mode: str | None = "r") -> Self:
        """Load a model written by :meth:`save`.

        The factor files are memory-mapped by default (``mmap_mode="r"``: read-only, shared
        between processes serving the same model); pass ``mmap_mode=None`` to read them into
        memory.
        """
        path = Path(directory)
        meta = json.loads((path / "params.json").read_text())
        if meta.get("model") != cls.__name__:
            raise ValueError(f"{path} holds a {meta.get('model')} model, not {cls.__name__}")
        model = cls(**meta["params"])
        model.user_factors = np.load(path / "user_factors.npy", mmap_mode=mmap_mode)
        model.item_factors = np.load(path / "item_factors.npy", mmap_mode=mmap_mode)
        if model.user_factors.shape != (meta["n_users"], meta["factors"]) or (
            model.item_factors.shape != (meta["n_items"], meta["factors"])
        ):
            raise ValueError(f"factor files in {path} do not match params.json")
        model._set_extra_state(meta.get("state", {}))
        return model
