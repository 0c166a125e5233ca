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

The models share the factorisation models' serving contract through :class:`~._rows.RowModel`
(a user's *representation* is their own row of interaction weights; see that module), and:

* :meth:`explain` is exact: the score of ``i`` is :math:`\\sum_j x_{uj} B_{ji}`, and the term of
  ``j`` is its contribution ("because you watched j");
* :meth:`similar_items` ranks the cosine similarity of the columns of ``B`` (how the items are
  predicted from the same history).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from recommendations.engine._factorization import as_id_array, check_interactions
from recommendations.engine._rows import RowModel
from recommendations.engine.als import Explanation, interaction_row

__all__ = ["EASE", "ItemBasedModel", "RP3beta"]

_FORMAT_VERSION = 1


class ItemBasedModel(RowModel):
    """Serving and persistence of a fitted item-to-item weight matrix ``item_weights`` (``B``).

    Subclasses list their constructor parameters in ``_param_names`` and implement ``fit``
    (which calls ``_set_fitted``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.item_weights: np.ndarray | None = None

    def _fitted(self) -> bool:
        return self.item_weights is not None

    def _weights(self) -> np.ndarray:
        self._check_fitted()
        return self.item_weights

    def _set_fitted(self, weights: np.ndarray, n_users: int) -> None:
        np.fill_diagonal(weights, 0.0)
        self.item_weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._set_shape(n_users, weights.shape[0])

    def parameters_finite(self) -> bool:
        return bool(np.isfinite(self._weights()).all())

    # ------------------------------------------------------------------ scores
    def _score_rows(self, rows) -> np.ndarray:
        return np.asarray(rows @ self.item_weights, dtype=np.float32)

    def _item_vectors(self) -> np.ndarray:
        """The columns of ``B``: how each item is predicted from a history."""
        return self._weights().T

    def explain(self, user_items_row: Any, item_ids) -> Explanation:
        """Exact split of each score into the terms ``x_uj B_ji`` of the user's items ``j``."""
        weights = self._weights()
        items = as_id_array(item_ids, self.n_items, "item_ids")
        indices, values = interaction_row(user_items_row, self.n_items)
        contributions = (weights[np.ix_(indices, items)] * values[:, None]).T.astype(np.float64)
        return Explanation.exact(indices, contributions)

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``item_weights.npy`` (float32) and ``params.json``."""
        weights = self._weights()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "item_weights.npy", weights)
        self._write_meta(path, _FORMAT_VERSION)
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], mmap_mode: str | None = "r") -> Self:
        """Load a model written by :meth:`save` (the weights memory-mapped by default)."""
        path = Path(directory)
        model, meta = cls._read_meta(path)
        weights = np.load(path / "item_weights.npy", mmap_mode=mmap_mode)
        if weights.shape != (meta["n_items"], meta["n_items"]):
            raise ValueError(f"item_weights.npy in {path} does not match params.json")
        model.item_weights = weights
        model._set_shape(meta["n_users"], meta["n_items"])
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
