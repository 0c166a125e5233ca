"""Item-to-item models: EASE (Steck 2019) and RP3beta (Paudel et al. 2017).

Both learn an ``n_items x n_items`` matrix ``B`` and score user ``u``'s items by

.. math:: s_u = x_u B

where :math:`x_u` is the user's row of interaction weights. They are strong where a few items
take most of the attention (short videos): ``B`` carries item popularity and co-occurrence
directly, without squeezing them through a few latent factors.

* :class:`EASE` ("Embarrassingly Shallow Autoencoders", Steck, WWW 2019) has a closed form:
  with :math:`G = X^T X + \\lambda I` and :math:`P = G^{-1}`,
  :math:`B_{ij} = -P_{ij} / P_{jj}` off the diagonal and :math:`B_{ii} = 0`.
  **Cost**: ``G`` and its inverse are dense ``n_items x n_items`` float64 (8 bytes per cell,
  twice during the inversion) and ``B`` is float32, so memory grows with the SQUARE of the
  catalogue (5,000 items: about 0.5 GB at the peak; 20,000 items: about 8 GB) and time with its
  cube (one dense inversion). :class:`EASE` therefore refuses catalogues larger than
  ``max_items`` (``ValueError`` in :meth:`EASE.fit`), and :func:`~.tuning.fit_best` skips it.
* :class:`RP3beta` is a three-step random walk user -> item -> user -> item, with the walk
  probabilities raised to ``alpha`` and the arrival item divided by its popularity to the power
  ``beta`` (Paudel, Christoffel, Newell & Bernstein, *Updatable, accurate, diverse, and scalable
  recommendations for interactive applications*, TiiS 2017; tuned as in Dacrema et al., RecSys
  2019). Cost: one sparse product ``X^T X`` (dense ``n_items^2`` float32 result).

The models share the factorisation models' serving contract (``recommend``,
``recommend_vector``, ``similar_items``, ``fold_in``, ``explain``, ``save`` / ``load``):

* a user's *representation* is their own row of interaction weights: :meth:`fold_in` returns
  it as a dense vector of ``n_items`` weights, and ``recommend_vector`` scores such vectors, so a
  learner who joined after training is served exactly like one who was in it;
* :meth:`recommend` scores the rows of the ``user_items`` it is GIVEN (the whole users x items
  matrix, as for ALS), so it always reflects the interactions passed in;
* :meth:`explain` is exact: the score of ``i`` is :math:`\\sum_j x_{uj} B_{ji}`, and the term of
  ``j`` is its contribution ("because you watched j");
* :meth:`similar_items` ranks the cosine similarity of the columns of ``B`` (how the items are
  predicted from the same history).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from recommendations.engine._factorization import as_id_array, check_interactions
from recommendations.engine._ranking import check_item_mask, top_k, top_k_vectors
from recommendations.engine.als import Explanation, interaction_row

__all__ = ["EASE", "ItemBasedModel", "RP3beta"]

_FORMAT_VERSION = 1
_BLOCK_ROWS = 2048


class ItemBasedModel:
    """Serving and persistence of a fitted item-to-item weight matrix ``item_weights`` (``B``).

    Subclasses list their constructor parameters in ``_param_names`` and implement ``fit``
    (which sets ``item_weights`` and ``n_users``).
    """

    _param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.item_weights: np.ndarray | None = None
        self._n_users: int | None = None
        self._normalized_cache: tuple[np.ndarray, np.ndarray] | None = None
        self.state: dict[str, Any] = {}

    # ------------------------------------------------------------------ state
    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as saved in ``params.json``."""
        return {name: getattr(self, name) for name in self._param_names}

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _weights(self) -> np.ndarray:
        if self.item_weights is None or self._n_users is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() or load() first")
        return self.item_weights

    @property
    def n_users(self) -> int:
        self._weights()
        return int(self._n_users)

    @property
    def n_items(self) -> int:
        return self._weights().shape[0]

    def _set_fitted(self, weights: np.ndarray, n_users: int) -> None:
        np.fill_diagonal(weights, 0.0)
        self.item_weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._n_users = int(n_users)
        self._normalized_cache = None

    # ------------------------------------------------------------------ scores
    def user_scores(self, user_ids, user_items) -> np.ndarray:
        """Dense scores ``(len(user_ids), n_items)`` of rows of the whole ``user_items``."""
        weights = self._weights()
        users = as_id_array(user_ids, self.n_users, "user_ids")
        matrix = self._check_user_items(user_items)
        return np.asarray(matrix[users] @ weights, dtype=np.float32)

    def vector_scores(self, user_vectors) -> np.ndarray:
        """Dense scores of representations from :meth:`fold_in` (one vector or a stack)."""
        weights = self._weights()
        vectors = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        if vectors.ndim != 2 or vectors.shape[1] != weights.shape[0]:
            raise ValueError(
                f"user_vectors must have {weights.shape[0]} item weights, got shape "
                f"{np.shape(user_vectors)}"
            )
        return vectors @ weights

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
        self._weights()
        users = as_id_array(user_ids, self.n_users, "user_ids")
        matrix = self._check_user_items(user_items)
        mask = check_item_mask(item_mask, users.size, self.n_items)
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k}")
        ids = np.empty((users.size, k), dtype=np.int64)
        scores = np.empty((users.size, k), dtype=np.float32)
        for start in range(0, users.size, _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, users.size)
            rows = matrix[users[start:stop]]
            block = np.asarray(rows @ self.item_weights, dtype=np.float32)
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
        """The ``k`` items whose columns of ``B`` are most cosine-similar, the item excluded."""
        weights = self._weights()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        if self._normalized_cache is None or self._normalized_cache[0] is not weights:
            columns = weights.T
            norms = np.linalg.norm(columns, axis=1)
            normalized = (columns / np.where(norms > 0, norms, 1)[:, None]).astype(np.float32)
            self._normalized_cache = (weights, normalized)
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

        An item-based model has no user parameters, so this is exact for any user, in the
        training data or not.
        """
        indices, weights = interaction_row(user_items_row, self.n_items)
        vector = np.zeros(self.n_items, dtype=np.float32)
        vector[indices] = weights
        return vector

    def explain(self, user_items_row: Any, item_ids) -> Explanation:
        """Exact split of each score into the terms ``x_uj B_ji`` of the user's items ``j``."""
        weights = self._weights()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        indices, values = interaction_row(user_items_row, self.n_items)
        contributions = (weights[np.ix_(indices, items)] * values[:, None]).T.astype(np.float64)
        if indices.size:
            top = indices[np.argmax(contributions, axis=1)]
        else:
            top = np.full(items.size, -1, dtype=np.int64)
        return Explanation(indices, contributions, top, contributions.sum(axis=1))

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``item_weights.npy`` (float32) and ``params.json``."""
        weights = self._weights()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "item_weights.npy", weights)
        meta = {
            "model": type(self).__name__,
            "format_version": _FORMAT_VERSION,
            "params": self.get_params(),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "state": self.state,
        }
        (path / "params.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], mmap_mode: str | None = "r") -> Self:
        """Load a model written by :meth:`save` (the weights memory-mapped by default)."""
        path = Path(directory)
        meta = json.loads((path / "params.json").read_text())
        if meta.get("model") != cls.__name__:
            raise ValueError(f"{path} holds a {meta.get('model')} model, not {cls.__name__}")
        model = cls(**meta["params"])
        weights = np.load(path / "item_weights.npy", mmap_mode=mmap_mode)
        if weights.shape != (meta["n_items"], meta["n_items"]):
            raise ValueError(f"item_weights.npy in {path} does not match params.json")
        model.item_weights, model._n_users = weights, int(meta["n_users"])
        model.state = meta.get("state", {})
        return model


class EASE(ItemBasedModel):
    """Steck's EASE^R: the closed-form item-item ridge regression with a zero diagonal.

    Parameters
    ----------
    regularization:
        ``lambda`` added to the diagonal of ``X^T X``; the one parameter to tune (hundreds for
        binary data with thousands of users).
    max_items:
        Largest catalogue :meth:`fit` accepts (memory grows with its square, time with its cube;
        see the module docstring).
    """

    _param_names: ClassVar[tuple[str, ...]] = ("regularization", "max_items")

    def __init__(self, regularization: float = 500.0, max_items: int = 8000) -> None:
        super().__init__()
        if regularization <= 0:
            raise ValueError(f"regularization must be positive, got {regularization}")
        self.regularization = float(regularization)
        self.max_items = int(max_items)

    def fit(self, user_items) -> EASE:
        """Fit on a users x items matrix of weights ``>= 0``; ``ValueError`` above ``max_items``."""
        matrix = check_interactions(user_items)
        n_users, n_items = matrix.shape
        if n_items > self.max_items:
            raise ValueError(
                f"EASE needs a dense {n_items} x {n_items} inverse (memory grows with the "
                f"square of the items); {n_items} items exceed max_items={self.max_items}"
            )
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices(n_items)] += self.regularization
        inverse = np.linalg.inv(gram)
        del gram
        weights = inverse / (-np.diag(inverse))[None, :]
        self._set_fitted(weights, n_users)
        return self


class RP3beta(ItemBasedModel):
    """Random walk user -> item -> user -> item with popularity penalty ``beta``.

    ``W_ij = ((P_iu P_ui)_ij)^alpha / pop_j^beta`` where ``P_ui`` and ``P_iu`` are the
    row-normalised user-item and item-user matrices and ``pop_j`` the number of users of ``j``.
    """

    _param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def __init__(self, alpha: float = 1.0, beta: float = 0.5) -> None:
        super().__init__()
        if alpha <= 0 or beta < 0:
            raise ValueError("alpha must be positive and beta >= 0")
        self.alpha = float(alpha)
        self.beta = float(beta)

    def fit(self, user_items) -> RP3beta:
        matrix = check_interactions(user_items)
        n_users, _ = matrix.shape
        binary = matrix.copy()
        binary.data = np.ones_like(binary.data)
        user_degree = np.asarray(binary.sum(axis=1)).ravel()
        item_degree = np.asarray(binary.sum(axis=0)).ravel()
        user_to_item = sp.diags(1.0 / np.maximum(user_degree, 1)) @ binary
        item_to_user = sp.diags(1.0 / np.maximum(item_degree, 1)) @ binary.T
        walk = (item_to_user @ user_to_item).toarray().astype(np.float64)
        if self.alpha != 1.0:
            walk **= self.alpha
        walk /= np.maximum(item_degree, 1)[None, :] ** self.beta
        self._set_fitted(walk, n_users)
        return self
