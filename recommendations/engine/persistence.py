"""Loading any model the engine saved, whatever its class: :func:`load_model`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from recommendations.engine.als import ALS
from recommendations.engine.autoencoder import MultDAE
from recommendations.engine.blend import PopularityBlend
from recommendations.engine.ensemble import ScoreMix
from recommendations.engine.graph import LightGCN
from recommendations.engine.grouped import GroupedModel
from recommendations.engine.item_based import EASE, RP3beta
from recommendations.engine.sgd import BPR

__all__ = ["load_model"]

MODEL_CLASSES: dict[str, type] = {
    "ALS": ALS,
    "BPR": BPR,
    "EASE": EASE,
    "MultDAE": MultDAE,
    "LightGCN": LightGCN,
    "RP3beta": RP3beta,
    "PopularityBlend": PopularityBlend,
    "ScoreMix": ScoreMix,
    "GroupedModel": GroupedModel,
}
"""The class of each model name written in ``params.json``."""

_COMPOSITE = (PopularityBlend, ScoreMix, GroupedModel)


def load_model(directory: str | os.PathLike[str], mmap_mode: str | None = "r") -> Any:
    """Load the model saved in ``directory`` (the class named in its ``params.json``)."""
    path = Path(directory)
    name = json.loads((path / "params.json").read_text()).get("model")
    if name not in MODEL_CLASSES:
        raise ValueError(f"{path} holds an unknown model {name!r}")
    cls = MODEL_CLASSES[name]
    if issubclass(cls, _COMPOSITE):
        return cls.load(path, mmap_mode=mmap_mode, loader=load_model)
    return cls.load(path, mmap_mode=mmap_mode)
