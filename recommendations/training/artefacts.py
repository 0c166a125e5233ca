"""Model artefacts in their own private storage, and an in-process cache of loaded models.

A version's files live under ``recommender/v<id>/`` of the ``artefacts`` storage
(``STORAGES["artefacts"]``, in ``RECOMMENDER_ARTEFACTS_ROOT``): the engine's
files (an ALS: ``user_factors.npy``, ``item_factors.npy`` and ``params.json``; a model per
item type, ``GroupedModel``: ``params.json``, ``groups.npy`` and a subfolder per distinct model,
see ``engine.grouped``), plus ``index.npz`` (which learner
each row is and which item each column is), ``user_items.npz`` (the training matrix, for
excluding what a learner has seen and explaining a recommendation by their own items) and
``event_weights.json`` (the event types' weights it was built with, to fold in a new learner
alike). They say
who did what, so no URL serves them: the storage is not the media's, and the settings refuse a
folder inside the media or the static files. With the filesystem storage the factors are
memory-mapped in place, shared by every process on the machine; with a remote storage
(S3-compatible, private) they are first copied to a local cache folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

from recommendations.engine import GroupedModel, load_model
from recommendations.training.dataset import ItemIndex

STORAGE = "artefacts"
PREFIX = "recommender"
INDEX_FILE = "index.npz"
MATRIX_FILE = "user_items.npz"
WEIGHTS_FILE = "event_weights.json"


@dataclass
class LoadedModel:
    version_id: int
    model: Any  # an engine model: ALS, or a GroupedModel with a model per item type
    user_ids: np.ndarray
    items: ItemIndex
    user_rows: dict[int, int]
    user_items: sp.csr_matrix
    # The event types' weights the matrix was built with (None: older artefacts, the settings').
    event_weights: dict[str, float] | None = None

    def row_of(self, user_id: int) -> int | None:
        return self.user_rows.get(int(user_id))

    def model_for(self, item_type: str) -> Any:
        """The model that ranks ``item_type``: the one chosen for it, or the only one."""
        if isinstance(self.model, GroupedModel):
            return self.model.model_for(item_type)
        return self.model


def artefact_storage() -> Storage:
    return storages[STORAGE]


def artefact_dir(version_id: int) -> str:
    return f"{PREFIX}/v{version_id}"


def artefacts_save(
    *,
    version_id: int,
    model: Any,
    user_ids: np.ndarray,
    items: ItemIndex,
    user_items,
    event_weights: dict[str, float] | None = None,
) -> str:
    """Write the model's files to storage; returns their location (a storage path)."""
    location, storage = artefact_dir(version_id), artefact_storage()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model.save(folder)
        np.savez(
            folder / INDEX_FILE,
            user_ids=user_ids,
            item_types=items.types,
            item_ids=items.ids,
        )
        sp.save_npz(folder / MATRIX_FILE, sp.csr_matrix(user_items, dtype=np.float32))
        if event_weights is not None:
            (folder / WEIGHTS_FILE).write_text(json.dumps(event_weights, sort_keys=True))
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            target = f"{location}/{path.relative_to(folder).as_posix()}"
            if storage.exists(target):
                storage.delete(target)
            with path.open("rb") as fh:
                storage.save(target, File(fh, name=path.name))
    return location


def _local_folder(location: str) -> Path:
    storage = artefact_storage()
    try:
        return Path(storage.path(location))
    except NotImplementedError:  # remote storage: copy once into the local cache
        cache = Path(settings.VAR_DIR) / "model-cache" / location
        if not (cache / INDEX_FILE).exists():
            _copy_tree(storage, location, cache)
        return cache


def _copy_tree(storage: Storage, location: str, target: Path) -> None:
    """Copy a storage folder and its subfolders (a model per item type) to a local folder."""
    target.mkdir(parents=True, exist_ok=True)
    folders, files = storage.listdir(location)
    for name in folders:
        _copy_tree(storage, f"{location}/{name}", target / name)
    for name in files:
        with storage.open(f"{location}/{name}", "rb") as src:
            (target / name).write_bytes(src.read())


def artefacts_load(*, version_id: int, location: str) -> LoadedModel:
    folder = _local_folder(location)
    model = load_model(folder, mmap_mode="r")
    with np.load(folder / INDEX_FILE) as index:
        user_ids = index["user_ids"]
        types, ids = index["item_types"], index["item_ids"]
    items = ItemIndex.from_arrays(types, ids)
    user_items = sp.load_npz(folder / MATRIX_FILE).tocsr()
    weights_file = folder / WEIGHTS_FILE
    event_weights = json.loads(weights_file.read_text()) if weights_file.exists() else None
    return LoadedModel(
        event_weights=event_weights,
        user_items=user_items,
        version_id=version_id,
        model=model,
        user_ids=user_ids,
        items=items,
        user_rows={int(pk): row for row, pk in enumerate(user_ids)},
    )


def artefacts_delete(location: str) -> None:
    if not location:
        return
    storage = artefact_storage()
    try:
        shutil.rmtree(storage.path(location), ignore_errors=True)
    except NotImplementedError:
        _delete_tree(storage, location)


def _delete_tree(storage: Storage, location: str) -> None:
    folders, files = storage.listdir(location)
    for name in folders:
        _delete_tree(storage, f"{location}/{name}")
    for name in files:
        storage.delete(f"{location}/{name}")


class ModelCache:
    """Loaded models by version, per process (memory-mapped, so cheap to keep a few)."""

    def __init__(self, size: int = 2) -> None:
        self._size = size
        self._models: dict[int, LoadedModel] = {}
        self._lock = threading.Lock()

    def get(self, version_id: int, location: str) -> LoadedModel:
        with self._lock:
            loaded = self._models.get(version_id)
        if loaded is not None:
            return loaded
        loaded = artefacts_load(version_id=version_id, location=location)
        with self._lock:
            self._models[version_id] = loaded
            for old in sorted(self._models)[: -self._size]:
                del self._models[old]
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


model_cache = ModelCache()
