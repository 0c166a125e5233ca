"""One model per group of items (e.g. per item type), behind one interface.

Short videos, live sessions, courses and products share one users x items matrix (what a learner
watches says something about what they would buy), but the family that ranks each kind best
differs: popularity-heavy short videos favour an item-based model blended with popularity,
courses a factorisation. :class:`GroupedModel` holds a fitted model per group; every model is
fitted on the WHOLE matrix and ranks only its group's items.

* :meth:`GroupedModel.model_for` gives a group's model: serving asks it for one item type's
  list, so every call of the usual contract (``recommend``, ``fold_in`` + ``recommend_vector``,
  ``explain``, ``similar_items``) goes to one model, whose scores and representation are
  consistent;
* :meth:`GroupedModel.recommend` ranks across groups (for offline evaluation over the whole
  catalogue): each group's scores come from its model, standardised per user over the group's
  items (so that no model's scale dominates), then merged;
* groups that chose the same model share one fitted instance, saved once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import numpy as np

from recommendations.engine._factorization import as_id_array
from recommendations.engine._ranking import check_item_mask, top_k
from recommendations.engine.blend import _base_user_scores, _standardise, read_meta, write_meta
from recommendations.engine.ensemble import ScoreMix

__all__ = ["GroupedModel"]

_BLOCK_ROWS = 1024


class GroupedModel:
    """A fitted model per group of items.

    Parameters
    ----------
    groups:
        Group code of every item (``n_items`` ints, ``0 .. len(names) - 1``).
    names:
        Name of each group code (e.g. ``("course", "live", "video", "product")``).
    models:
        ``{name: fitted model}`` for every name; the same object may serve several groups.
    """

    def __init__(self, groups, names, models: dict[str, Any]) -> None:
        self.groups = np.asarray(groups, dtype=np.int64)
        self.names = tuple(names)
        missing = [name for name in self.names if name not in models]
        if missing:
            raise ValueError(f"no model for the groups {missing}")
        self.models = {name: models[name] for name in self.names}
        for name, model in self.models.items():
            if model.n_items != self.groups.size:
                raise ValueError(
                    f"the model of {name!r} has {model.n_items} items, not {self.groups.size}"
                )
        self.state: dict[str, Any] = {}

    @property
    def n_users(self) -> int:
        return next(iter(self.models.values())).n_users

    @property
    def n_items(self) -> int:
        return int(self.groups.size)

    def model_for(self, name: str) -> Any:
        """The model that ranks the items of group ``name``."""
        return self.models[name]

    def recommend(
        self, user_ids, user_items, k: int = 10, exclude_seen: bool = True, item_mask=None
    ):
        """Top-``k`` over all groups, each group's items scored by its own model.

        Conventions of ``ALS.recommend``. When ``item_mask`` is 1-D and leaves one group only,
        that group's model ranks as it would alone.
        """
        users = as_id_array(user_ids, self.n_users, "user_ids")
        mask = check_item_mask(item_mask, users.size, self.n_items)
        if mask is not None and mask.ndim == 1:
            allowed = np.unique(self.groups[~mask])
            if allowed.size == 1:
                model = self.models[self.names[allowed[0]]]
                return model.recommend(users, user_items, k, exclude_seen, mask)
        if exclude_seen and user_items is None:
            raise ValueError("user_items is required when exclude_seen is true")
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k}")
        ids = np.empty((users.size, k), dtype=np.int64)
        scores = np.empty((users.size, k), dtype=np.float32)
        for start in range(0, users.size, _BLOCK_ROWS):
            block_users = users[start : start + _BLOCK_ROWS]
            block = np.empty((block_users.size, self.n_items), dtype=np.float64)
            for code, name in enumerate(self.names):
                columns = self.groups == code
                if not columns.any():
                    continue
                model = self.models[name]
                if isinstance(model, ScoreMix):
                    raw = model.user_scores(block_users, user_items)
                else:
                    raw = _base_user_scores(getattr(model, "base", model), block_users, user_items)
                    if hasattr(model, "blend"):
                        raw = model.blend(raw)
                block[:, columns] = _standardise(np.asarray(raw)[:, columns])
            excluded = np.zeros(block.shape, dtype=bool)
            if mask is not None:
                excluded |= mask if mask.ndim == 1 else mask[start : start + _BLOCK_ROWS]
            if exclude_seen:
                rows = user_items[block_users].tocsr()
                seen_rows = np.repeat(np.arange(block_users.size), np.diff(rows.indptr))
                excluded[seen_rows, rows.indices] = True
            ids[start : start + block_users.size], scores[start : start + block_users.size] = top_k(
                block, k, excluded
            )
        return ids, scores

    def similar_items(self, item_ids, k: int = 10, item_mask=None):
        """Similar items by the model of each item's group."""
        items = as_id_array(item_ids, self.n_items, "item_ids")
        found = np.full((items.size, k), -1, dtype=np.int64)
        values = np.full((items.size, k), -np.inf, dtype=np.float32)
        for row, item in enumerate(items):
            model = self.models[self.names[self.groups[item]]]
            mask = None if item_mask is None else np.asarray(item_mask)
            if mask is not None and mask.ndim == 2:
                mask = mask[row]
            found[row], values[row] = (x[0] for x in model.similar_items([item], k, mask))
        return found, values

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Each distinct model under ``model-<n>/``, the groups in ``groups.npy``, and
        ``params.json`` saying which folder serves which group."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        folders: dict[int, str] = {}
        for model in self.models.values():
            if id(model) not in folders:
                folders[id(model)] = f"model-{len(folders)}"
                model.save(path / folders[id(model)])
        np.save(path / "groups.npy", self.groups)
        meta = {
            "model": type(self).__name__,
            "names": list(self.names),
            "folders": {name: folders[id(model)] for name, model in self.models.items()},
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
        """Load what :meth:`save` wrote; ``loader`` loads each model (use
        :func:`recommendations.engine.persistence.load_model`, which passes itself)."""
        path = Path(directory)
        meta = read_meta(path, cls, loader)
        loaded: dict[str, Any] = {}
        models = {}
        for name, folder in meta["folders"].items():
            if folder not in loaded:
                loaded[folder] = loader(path / folder, mmap_mode=mmap_mode)
            models[name] = loaded[folder]
        model = cls(np.load(path / "groups.npy"), meta["names"], models)
        model.state = meta.get("state", {})
        return model
