"""Serving of models that score a user from their own row of interactions (no user parameters).

EASE and RP3beta (:mod:`.item_based`: ``x_u B``) and the multinomial denoising autoencoder
(:mod:`.autoencoder`: a network applied to ``x_u``) have no per-user state: a user's
*representation* is their row of interaction weights. :class:`RowModel` gives them the
serving contract of the factorisation models (``recommend``, ``recommend_vector``,
``similar_items``, ``fold_in``, ``user_scores`` / ``vector_scores`` for the blends), built on
one method a subclass implements, :meth:`RowModel._score_rows`:

* :meth:`~RowModel.fold_in` returns the row as a dense vector of ``n_items`` weights, and
  ``recommend_vector`` scores such vectors, so a learner who joined after training is served
  exactly like one who was in it;
* :meth:`~RowModel.recommend` scores the rows of the ``user_items`` it is GIVEN (the whole
  users x items matrix, as for ALS), so it always reflects the interactions passed in;
* :meth:`~RowModel.similar_items` ranks the cosine similarity of the vectors
  :meth:`~RowModel._item_vectors` gives for the items.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from recommendations.engine._ranking import as_id_array, check_item_mask, top_k, top_k_vectors
from recommendations.engine.als import interaction_row

__all__ = ["RowModel"]

BLOCK_ROWS = 2048


class RowModel:
    """Serving of a model whose scores are a function of the user's row of weights.

    Subclasses list their constructor parameters in ``_param_names``, implement ``fit`` (which
    calls :meth:`_set_shape`), :meth:`_score_rows`, :meth:`_item_vectors`, ``explain``,
    ``save`` and ``load``, and report ``_fitted()``.
    """

    _param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._n_users: int | None = None
        self._n_items: int | None = None
        self._normalized_cache: tuple[Any, np.ndarray] | None = None
        self.state: dict[str, Any] = {}

    # ------------------------------------------------------------------ to implement
    def _fitted(self) -> bool:
        raise NotImplementedError

    def _score_rows(self, rows: sp.csr_matrix | np.ndarray) -> np.ndarray:
        """Dense float32 scores ``(rows, n_items)`` of rows of interaction weights."""
        raise NotImplementedError

    def _item_vectors(self) -> np.ndarray:
        """One vector per item (``n_items`` rows) whose cosines say which items are alike."""
        raise NotImplementedError

    def parameters_finite(self) -> bool:
        """Whether every fitted parameter is finite (a diverged fit is never served)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as saved in ``params.json``."""
        return {name: getattr(self, name) for name in self._param_names}

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not self._fitted() or self._n_users is None or self._n_items is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() or load() first")

    def _set_shape(self, n_users: int, n_items: int) -> None:
        self._n_users, self._n_items = int(n_users), int(n_items)
        self._normalized_cache = None

    @property
    def n_users(self) -> int:
        self._check_fitted()
        return int(self._n_users)

    @property
    def n_items(self) -> int:
        self._check_fitted()
        return int(self._n_items)

    def _write_meta(self, path: Path, format_version: int, **extra: Any) -> None:
        """``params.json``: the class, parameters, shape and ``state`` (and ``extra``)."""
        meta = {
            "model": type(self).__name__,
            "format_version": format_version,
            "params": self.get_params(),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "state": self.state,
            **extra,
        }
        (path / "params.json").write_text(json.dumps(meta, indent=2, sort_keys=True))

    @classmethod
    def _read_meta(cls, path: Path) -> tuple[Self, dict[str, Any]]:
        """An unfitted model with the parameters and ``state`` of ``params.json``, and the file."""
        meta = json.loads((path / "params.json").read_text())
        if meta.get("model") != cls.__name__:
            raise ValueError(f"{path} holds a {meta.get('model')} model, not {cls.__name__}")
        model = cls(**meta["params"])
        model.state = meta.get("state", {})
        return model, meta

    # ------------------------------------------------------------------ scores
    def user_scores(self, user_ids, user_items) -> np.ndarray:
        """Dense scores ``(len(user_ids), n_items)`` of rows of the whole ``user_items``."""
        self._check_fitted()
        users = as_id_array(user_ids, self.n_users, "user_ids")
        matrix = self._check_user_items(user_items)
        blocks = range(0, max(users.size, 1), BLOCK_ROWS)
        return np.vstack(
            [self._score_rows(matrix[users[start : start + BLOCK_ROWS]]) for start in blocks]
        )

    def vector_scores(self, user_vectors) -> np.ndarray:
        """Dense scores of representations from :meth:`fold_in` (one vector or a stack)."""
        self._check_fitted()
        vectors = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        if vectors.ndim != 2 or vectors.shape[1] != self.n_items:
            raise ValueError(
                f"user_vectors must have {self.n_items} item weights, got shape "
                f"{np.shape(user_vectors)}"
            )
        return self._score_rows(vectors)

    def _check_user_items(self, user_items: Any) -> sp.csr_matrix:
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
        return sp.csr_matrix(user_items, dtype=np.float32)

    # ------------------------------------------------------------------ serving
    def recommend(
        self,
        user_ids: int | Sequence[int] | np.ndarray,
        user_items,
        k: int = 10,
        exclude_seen: bool = True,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for each user, with the conventions of ``ALS.recommend``.

        The scores come from the rows of ``user_items`` (required here even without
        ``exclude_seen``: it is the users' representation).
        """
        if user_items is None:
            raise ValueError(f"{type(self).__name__} scores users from user_items: pass it")
        self._check_fitted()
        users = as_id_array(user_ids, self.n_users, "user_ids")
        matrix = self._check_user_items(user_items)
        mask = check_item_mask(item_mask, users.size, self.n_items)
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k}")
        ids = np.empty((users.size, k), dtype=np.int64)
        scores = np.empty((users.size, k), dtype=np.float32)
        for start in range(0, users.size, BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, users.size)
            rows = matrix[users[start:stop]]
            block = self._score_rows(rows)
            excluded = np.zeros(block.shape, dtype=bool)
            if mask is not None:
                excluded |= mask if mask.ndim == 1 else mask[start:stop]
            if exclude_seen:
                seen_rows = np.repeat(np.arange(stop - start), np.diff(rows.indptr))
                excluded[seen_rows, rows.indices] = True
            ids[start:stop], scores[start:stop] = top_k(block, k, excluded)
        return ids, scores

    def recommend_vector(
        self,
        user_vectors: np.ndarray,
        k: int = 10,
        exclude_items: Sequence[int] | np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` for representations from :meth:`fold_in`, as ``ALS.recommend_vector``."""
        block = self.vector_scores(user_vectors)
        return top_k_vectors(block, k, exclude_items, item_mask)

    def similar_items(
        self,
        item_ids: int | Sequence[int] | np.ndarray,
        k: int = 10,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items whose :meth:`_item_vectors` are most cosine-similar, the item
        excluded."""
        self._check_fitted()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        vectors = self._item_vectors()
        if self._normalized_cache is None or self._normalized_cache[0] is not vectors:
            norms = np.linalg.norm(vectors, axis=1)
            normalized = (vectors / np.where(norms > 0, norms, 1)[:, None]).astype(np.float32)
            self._normalized_cache = (vectors, normalized)
        normalized = self._normalized_cache[1]
        block = normalized[items] @ normalized.T
        mask = check_item_mask(item_mask, items.size, self.n_items)
        excluded = np.zeros(block.shape, dtype=bool)
        if mask is not None:
            excluded |= mask
        excluded[np.arange(items.size), items] = True
        return top_k(block, k, excluded)

    def fold_in(self, user_items_row: Any) -> np.ndarray:
        """The representation of one user: their dense row of ``n_items`` weights (float32).

        The model has no user parameters, so this is exact for any user, in the training data
        or not.
        """
        indices, weights = interaction_row(user_items_row, self.n_items)
        vector = np.zeros(self.n_items, dtype=np.float32)
        vector[indices] = weights
        return vector
