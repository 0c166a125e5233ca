"""Several fitted models and a popularity prior, mixed: :class:`ScoreMix`.

:class:`ScoreMix` ranks item :math:`i` for user :math:`u` by

.. math:: s_{ui} = \\sum_c w_c\\, z_u(m^c_{ui}) + w_0\\, z(\\log(1 + n_i))

where the :math:`m^c` are the component models' scores (ALS, EASE, RP3beta, ...), :math:`z_u`
standardises a user's scores over the catalogue (as :class:`~.blend.PopularityBlend` does, so
that no model's scale dominates and a weight means the same for every user), :math:`n_i` is the
item's popularity and the weights (``w_0`` for popularity) are ``>= 0`` and sum to 1. With one
component it ranks exactly as ``PopularityBlend(model, popularity, w_0)``.
:func:`~recommendations.engine.selection.select` chooses the components and weights on the inner
validation split, and only keeps a mix that beats every single family there.

Serving contract (as the other models):

* a user's representation (:meth:`fold_in`) is their dense row of ``n_items`` interaction
  weights; :meth:`recommend_vector` gives it to every component (an item-based model scores it
  directly, a factorisation folds it in), so a learner who joined after training is served
  like one in it;
* :meth:`explain` and :meth:`similar_items` are those of the *lead* component (the personal
  model with the largest weight): the prior is the same for everyone, and one model's "because
  you watched j" stays exact.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommendations.engine._factorization import as_id_array
from recommendations.engine._ranking import check_item_mask, top_k, top_k_vectors
from recommendations.engine._rows import RowModel
from recommendations.engine.als import interaction_row
from recommendations.engine.blend import (
    _base_user_scores,
    _base_vector_scores,
    _standardise,
    read_meta,
    write_meta,
)

__all__ = ["ScoreMix"]

_BLOCK_ROWS = 2048


def _vector_scores(model: Any, vectors: np.ndarray) -> np.ndarray:
    """Scores of dense interaction rows by one component (folding them in if it has factors)."""
    if isinstance(model, RowModel):
        return _base_vector_scores(model, vectors)
    _, item_factors = model._fitted_factors()
    factors = np.vstack([model.fold_in(row) for row in vectors])
    return factors @ item_factors.T


class ScoreMix:
    """Weighted sum of standardised component scores and the standardised log-popularity.

    Parameters
    ----------
    models:
        Fitted models of the engine on the same items (``ALS``, ``BPR``, ``EASE``, ``RP3beta``).
    weights:
        One weight ``>= 0`` per model.
    popularity:
        Popularity of every item (``n_items``,), e.g. from
        :func:`~recommendations.engine.blend.popularity_prior`.
    popularity_weight:
        Weight ``>= 0`` of the prior. All weights are normalised to sum to 1.
    """

    def __init__(
        self,
        models: Sequence[Any],
        weights: Sequence[float],
        popularity: np.ndarray,
        popularity_weight: float = 0.0,
    ) -> None:
        models = list(models)
        raw = np.asarray([*weights, popularity_weight], dtype=np.float64)
        if not models or len(weights) != len(models):
            raise ValueError("give one weight per model, and at least one model")
        if not np.all(np.isfinite(raw)) or raw.min() < 0 or raw[:-1].sum() <= 0:
            raise ValueError("weights must be finite, >= 0, and not all zero for the models")
        n_items = models[0].n_items
        if any(model.n_items != n_items for model in models):
            raise ValueError("every model must rank the same items")
        popularity = np.asarray(popularity, dtype=np.float64)
        if popularity.shape != (n_items,) or (popularity.size and popularity.min() < 0):
            raise ValueError(f"popularity must be {n_items} values >= 0")
        normalised = raw / raw.sum()
        self.models = models
        self.weights = [float(w) for w in normalised[:-1]]
        self.popularity_weight = float(normalised[-1])
        self.popularity = popularity
        self.state: dict[str, Any] = {}
        self._prior = _standardise(np.log1p(popularity)[None, :])[0]

    @property
    def n_users(self) -> int:
        return self.models[0].n_users

    @property
    def n_items(self) -> int:
        return self.models[0].n_items

    @property
    def lead(self) -> Any:
        """The component with the largest weight (the first on ties)."""
        return self.models[int(np.argmax(self.weights))]

    def mix(self, component_scores: Sequence[np.ndarray]) -> np.ndarray:
        """The mixed scores of rows of component scores (one ``n x n_items`` array each)."""
        total = self.popularity_weight * self._prior[None, :]
        for weight, scores in zip(self.weights, component_scores, strict=True):
            if weight:
                total = total + weight * _standardise(scores)
        return np.broadcast_to(total, np.shape(component_scores[0])).copy()

    def user_scores(self, user_ids, user_items) -> np.ndarray:
        """Mixed scores ``(len(user_ids), n_items)`` of rows of the whole ``user_items``."""
        users = as_id_array(user_ids, self.n_users, "user_ids")
        matrix = sp.csr_matrix(user_items, dtype=np.float32)
        return self.mix([_base_user_scores(model, users, matrix) for model in self.models])

    def recommend(
        self,
        user_ids: int | Sequence[int] | np.ndarray,
        user_items,
        k: int = 10,
        exclude_seen: bool = True,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` with the conventions of ``ALS.recommend`` (``user_items`` required)."""
        if user_items is None:
            raise ValueError("ScoreMix scores users from user_items: pass it")
        users = as_id_array(user_ids, self.n_users, "user_ids")
        if user_items.shape != (self.n_users, self.n_items):
            raise ValueError(
                f"user_items must be the WHOLE users x items matrix of shape "
                f"{(self.n_users, self.n_items)}, got shape {user_items.shape}"
            )
        user_items = sp.csr_matrix(user_items, dtype=np.float32)
        mask = check_item_mask(item_mask, users.size, self.n_items)
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k}")
        ids = np.empty((users.size, k), dtype=np.int64)
        scores = np.empty((users.size, k), dtype=np.float32)
        for start in range(0, users.size, _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, users.size)
            block_users = users[start:stop]
            block = self.mix(
                [_base_user_scores(model, block_users, user_items) for model in self.models]
            )
            excluded = np.zeros(block.shape, dtype=bool)
            if mask is not None:
                excluded |= mask if mask.ndim == 1 else mask[start:stop]
            if exclude_seen:
                rows = user_items[block_users]
                seen_rows = np.repeat(np.arange(stop - start), np.diff(rows.indptr))
                excluded[seen_rows, rows.indices[rows.data != 0]] = True
            ids[start:stop], scores[start:stop] = top_k(block, k, excluded)
        return ids, scores

    def fold_in(self, user_items_row: Any) -> np.ndarray:
        """The representation of one user: their dense row of ``n_items`` weights (float32)."""
        indices, weights = interaction_row(user_items_row, self.n_items)
        vector = np.zeros(self.n_items, dtype=np.float32)
        vector[indices] = weights
        return vector

    def vector_scores(self, user_vectors) -> np.ndarray:
        """Mixed scores of representations from :meth:`fold_in` (one vector or a stack)."""
        vectors = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        if vectors.ndim != 2 or vectors.shape[1] != self.n_items:
            raise ValueError(
                f"user_vectors must have {self.n_items} item weights, got shape "
                f"{np.shape(user_vectors)}"
            )
        return self.mix([_vector_scores(model, vectors) for model in self.models])

    def recommend_vector(
        self,
        user_vectors: np.ndarray,
        k: int = 10,
        exclude_items: Sequence[int] | np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` for representations from :meth:`fold_in`."""
        block = self.vector_scores(user_vectors)
        return top_k_vectors(block, k, exclude_items, item_mask)

    def similar_items(self, item_ids, k: int = 10, item_mask: np.ndarray | None = None):
        """The lead component's similar items."""
        return self.lead.similar_items(item_ids, k=k, item_mask=item_mask)

    def explain(self, user_items_row: Any, item_ids):
        """The lead component's explanation."""
        return self.lead.explain(user_items_row, item_ids)

    def get_params(self) -> dict[str, Any]:
        return {"weights": list(self.weights), "popularity_weight": self.popularity_weight}

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.3g}*{m!r}" for w, m in zip(self.weights, self.models, strict=True))
        return f"ScoreMix({parts}, popularity_weight={self.popularity_weight:.3g})"

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Each model under ``model_<i>/``, ``popularity.npy`` and ``params.json``."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for index, model in enumerate(self.models):
            model.save(path / f"model_{index}")
        np.save(path / "popularity.npy", self.popularity)
        meta = {
            "model": type(self).__name__,
            "params": self.get_params(),
            "components": [type(model).__name__ for model in self.models],
            "n_items": self.n_items,
            "state": self.state,
        }
        return write_meta(path, meta)

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        mmap_mode: str | None = "r",
        loader: Callable[..., Any] | None = None,
    ) -> Self:
        """Load what :meth:`save` wrote; ``loader`` (``engine.load_model``) loads each model."""
        path = Path(directory)
        meta = read_meta(path, cls, loader)
        models = [
            loader(path / f"model_{index}", mmap_mode=mmap_mode)
            for index in range(len(meta["components"]))
        ]
        model = cls(models, popularity=np.load(path / "popularity.npy"), **meta["params"])
        model.state = meta.get("state", {})
        return model
