"""A personalised model blended with a popularity prior.

:class:`PopularityBlend` ranks item :math:`i` for user :math:`u` by

.. math:: s_{ui} = (1 - w)\\, z_u(m_{ui}) + w\\, z(\\log(1 + n_i))

where :math:`m_{ui}` is the base model's score (ALS, EASE, RP3beta, ...), :math:`z_u` standardises
a user's scores over the catalogue (mean 0, standard deviation 1, so the weight means the same
for every user and every base model), :math:`n_i` is the item's (possibly time-decayed)
popularity and :math:`z` standardises it over the catalogue. ``w = 0`` ranks exactly as the base
model, ``w = 1`` exactly as popularity; :func:`~recommendations.engine.tuning.fit_best` picks
``w`` from a grid holding both ends on the inner validation split, so the chosen blend is never
worse on validation than either the base model or popularity.

A user's representation, ``fold_in``, ``similar_items`` and ``explain``'s contributions are the
base model's (the prior adds the same term for everyone, so it explains nothing personal).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommendations.engine._factorization import FactorizationModel, as_id_array
from recommendations.engine._ranking import check_item_mask, top_k, top_k_vectors
from recommendations.engine._rows import RowModel

__all__ = ["PopularityBlend", "popularity_prior"]

_BLOCK_ROWS = 2048


def popularity_prior(user_items, timestamps=None, half_life_days: float | None = None):
    """Item popularity: distinct users per item, optionally decayed by age (see Popularity)."""
    from recommendations.engine.popularity import Popularity

    return Popularity(half_life_days=half_life_days).fit(user_items, timestamps).scores


def _standardise(scores: np.ndarray) -> np.ndarray:
    """Each row to mean 0 and standard deviation 1 (a constant row becomes 0)."""
    scores = np.asarray(scores, dtype=np.float64)
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.where(std > 0, std, 1.0)


def write_meta(path: Path, meta: dict[str, Any]) -> Path:
    """Write a composite model's ``params.json``."""
    (path / "params.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    return path


def read_meta(path: Path, cls: type, loader: Callable[..., Any] | None) -> dict[str, Any]:
    """A composite model's ``params.json``, checked to be ``cls``'s and loadable."""
    meta = json.loads((path / "params.json").read_text())
    if meta.get("model") != cls.__name__:
        raise ValueError(f"{path} holds a {meta.get('model')} model, not {cls.__name__}")
    if loader is None:
        raise ValueError(f"load a {cls.__name__} with engine.load_model")
    return meta


def _base_user_scores(base: Any, users: np.ndarray, user_items) -> np.ndarray:
    if isinstance(base, RowModel):
        scores = base.user_scores(users, user_items)
    else:
        user_factors, item_factors = base._fitted_factors()
        scores = np.asarray(user_factors[users], dtype=np.float32) @ item_factors.T
    if user_items is not None:
        _zero_empty_rows(scores, users, user_items)
    return scores


def _zero_empty_rows(scores: np.ndarray, users: np.ndarray, user_items) -> None:
    """Zero the scores of users with no stored interaction in ``user_items``, in place.

    Such a learner has no personal signal: the factors ALS leaves them are a residue of its
    iterations (about 1e-14), which standardising per user would blow up into an arbitrary
    order, and an autoencoder's output for an empty row is the same for everyone. A zero row
    standardises to zero, so a blend or a mix ranks them by its prior alone, as an item-based
    model's zero row already does.
    """
    empty = np.diff(sp.csr_matrix(user_items).indptr)[users] == 0
    if empty.any():
        scores[empty] = 0.0


def _base_vector_scores(base: Any, vectors) -> np.ndarray:
    """Scores of dense interaction rows (zero for an empty row, as in :func:`_zero_empty_rows`)."""
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    if isinstance(base, RowModel):
        scores = base.vector_scores(vectors)
        scores[~vectors.any(axis=1)] = 0.0
        return scores
    _, item_factors = base._fitted_factors()
    return vectors @ item_factors.T


class PopularityBlend:
    """``(1 - weight)`` standardised base scores plus ``weight`` standardised log-popularity.

    Parameters
    ----------
    base:
        A fitted model of the engine (``ALS``, ``BPR``, ``EASE``, ``RP3beta``).
    popularity:
        Popularity of every item (``n_items``,), e.g. from :func:`popularity_prior`.
    weight:
        ``w`` in ``[0, 1]``: 0 is the base model alone, 1 popularity alone.
    """

    def __init__(self, base: Any, popularity: np.ndarray, weight: float = 0.0) -> None:
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight must be in [0, 1], got {weight}")
        popularity = np.asarray(popularity, dtype=np.float64)
        if popularity.shape != (base.n_items,):
            raise ValueError(
                f"popularity must have one value per item ({base.n_items}), got {popularity.shape}"
            )
        if popularity.size and popularity.min() < 0:
            raise ValueError("popularity must be >= 0")
        self.base = base
        self.popularity = popularity
        self.weight = float(weight)
        self.state: dict[str, Any] = {}
        self._prior = _standardise(np.log1p(popularity)[None, :])[0]

    @property
    def n_users(self) -> int:
        return self.base.n_users

    @property
    def n_items(self) -> int:
        return self.base.n_items

    def blend(self, base_scores: np.ndarray) -> np.ndarray:
        """The blended scores of rows of base scores (``n x n_items``)."""
        if self.weight == 0.0:
            return _standardise(base_scores)
        if self.weight == 1.0:
            return np.broadcast_to(self._prior, np.shape(base_scores)).copy()
        return (1.0 - self.weight) * _standardise(base_scores) + self.weight * self._prior

    def recommend(
        self,
        user_ids: int | Sequence[int] | np.ndarray,
        user_items,
        k: int = 10,
        exclude_seen: bool = True,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` with the conventions of ``ALS.recommend``."""
        users = as_id_array(user_ids, self.n_users, "user_ids")
        if exclude_seen and user_items is None:
            raise ValueError("user_items is required when exclude_seen is true")
        if user_items is not None:
            if user_items.shape != (self.n_users, self.n_items):
                raise ValueError(
                    f"user_items must be the WHOLE users x items matrix of shape "
                    f"{(self.n_users, self.n_items)}, got shape {user_items.shape}"
                )
            user_items = sp.csr_matrix(user_items)
        mask = check_item_mask(item_mask, users.size, self.n_items)
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k}")
        ids = np.empty((users.size, k), dtype=np.int64)
        scores = np.empty((users.size, k), dtype=np.float32)
        for start in range(0, users.size, _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, users.size)
            block = self.blend(_base_user_scores(self.base, users[start:stop], user_items))
            excluded = np.zeros(block.shape, dtype=bool)
            if mask is not None:
                excluded |= mask if mask.ndim == 1 else mask[start:stop]
            if exclude_seen:
                rows = user_items[users[start:stop]]
                seen_rows = np.repeat(np.arange(stop - start), np.diff(rows.indptr))
                excluded[seen_rows, rows.indices[rows.data != 0]] = True
            ids[start:stop], scores[start:stop] = top_k(block, k, excluded)
        return ids, scores

    def recommend_vector(
        self,
        user_vectors: np.ndarray,
        k: int = 10,
        exclude_items: Sequence[int] | np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` for representations from :meth:`fold_in`."""
        block = self.blend(_base_vector_scores(self.base, user_vectors))
        return top_k_vectors(block, k, exclude_items, item_mask)

    def fold_in(self, user_items_row: Any) -> np.ndarray:
        """The base model's representation of one user."""
        return self.base.fold_in(user_items_row)

    def similar_items(self, item_ids, k: int = 10, item_mask: np.ndarray | None = None):
        """The base model's similar items."""
        return self.base.similar_items(item_ids, k=k, item_mask=item_mask)

    def explain(self, user_items_row: Any, item_ids):
        """The base model's explanation (the prior is the same for everyone)."""
        return self.base.explain(user_items_row, item_ids)

    def get_params(self) -> dict[str, Any]:
        return {"weight": self.weight}

    def __repr__(self) -> str:
        return f"PopularityBlend({self.base!r}, weight={self.weight!r})"

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """The base model under ``base/``, ``popularity.npy`` and ``params.json``."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self.base.save(path / "base")
        np.save(path / "popularity.npy", self.popularity)
        meta = {
            "model": type(self).__name__,
            "params": self.get_params(),
            "base": type(self.base).__name__,
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
        """Load what :meth:`save` wrote; ``loader`` loads the base model (by default
        :func:`recommendations.engine.persistence.load_model`, which passes itself)."""
        path = Path(directory)
        meta = read_meta(path, cls, loader)
        base = loader(path / "base", mmap_mode=mmap_mode)
        model = cls(base, np.load(path / "popularity.npy"), **meta["params"])
        model.state = meta.get("state", {})
        return model


def is_factorization(model: Any) -> bool:
    """Whether ``model`` (or a blend's base) has latent factors."""
    return isinstance(getattr(model, "base", model), FactorizationModel)
