"""Loading interaction and item-feature files (CSV / TSV) into sparse matrices.

An interactions file has the columns ``user, item[, weight][, timestamp]``:

* the delimiter (comma, tab, semicolon or pipe) is sniffed from the first lines;
* a header row is optional: it is recognised when its first two fields name a user and an item
  column (``user``, ``user_id``, ``learner``… / ``item``, ``course``, ``product``…) or when all
  its fields after the second are text (neither numbers nor dates). A header also names the
  optional columns, so a three-column file may carry ``user,item,timestamp``; without one, a
  third column is a weight unless its first value is an ISO-8601 date;
* user and item ids are arbitrary strings, mapped to contiguous indices in order of first
  appearance;
* weights must be finite and non-negative (rows of weight zero are dropped); timestamps are
  epoch seconds or ISO-8601 dates;
* repeated ``(user, item)`` rows are merged: weights add up, the latest timestamp is kept.

A malformed row raises a ``ValueError`` naming the file and the line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

_USER_NAMES = {"user", "user_id", "userid", "uid", "learner", "learner_id", "student", "buyer"}
_ITEM_NAMES = {
    "item",
    "item_id",
    "itemid",
    "iid",
    "course",
    "course_id",
    "product",
    "product_id",
    "video",
    "video_id",
}
_WEIGHT_NAMES = {"weight", "value", "rating", "count", "score", "confidence", "liked", "clicked"}
_TIME_NAMES = {"timestamp", "time", "ts", "date", "datetime", "created", "created_at"}
_DELIMITERS = ",\t;|"


@dataclass(frozen=True)
class Interactions:
    """Interactions loaded from a file.

    ``user_items`` is a canonical ``float32`` csr matrix (users x items); ``timestamps`` (epoch
    seconds, ``float64``) is aligned with its non-zeros in csr order, or ``None`` when the file
    has no time column. ``user_ids`` / ``item_ids`` give the original id of each row / column.
    """

    user_items: sp.csr_matrix
    timestamps: np.ndarray | None
    user_ids: list[str]
    item_ids: list[str]

    @property
    def item_index(self) -> dict[str, int]:
        """Original item id -> column index."""
        return {item: index for index, item in enumerate(self.item_ids)}


def _sniff_delimiter(sample: str, path: Path) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        if counts[best] == 0:
            raise ValueError(
                f"{path}:1: cannot find a delimiter (expected comma, tab, semicolon or pipe)"
            ) from None
        return best


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_time(text: str) -> float:
    if _is_number(text):
        return float(text)
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _header_columns(first: list[str]) -> tuple[str, ...] | None:
    """Column roles named by a header row, or ``None`` if ``first`` is data."""
    names = [field.strip().lower() for field in first]
    looks_named = len(names) >= 2 and names[0] in _USER_NAMES and names[1] in _ITEM_NAMES
    extra_text = len(first) > 2 and all(not _is_number(f) and not _is_time(f) for f in first[2:])
    if not (looks_named or extra_text):
        return None
    roles: list[str] = ["user", "item"]
    for position, name in enumerate(names[2:], start=3):
        if name in _WEIGHT_NAMES:
            roles.append("weight")
        elif name in _TIME_NAMES:
            roles.append("timestamp")
        else:
            raise ValueError(
                f"header column {position} is {first[position - 1]!r}: expected a weight "
                f"({', '.join(sorted(_WEIGHT_NAMES))}) or a timestamp "
                f"({', '.join(sorted(_TIME_NAMES))})"
            )
    if len(set(roles)) != len(roles):
        raise ValueError(f"header {first!r} names a column twice")
    return tuple(roles)


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The non-blank rows of ``path`` with their line numbers."""
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        delimiter = _sniff_delimiter(sample, path)
        rows = list(csv.reader(handle, delimiter=delimiter))
    return [(n, row) for n, row in enumerate(rows, start=1) if any(f.strip() for f in row)]


def load_interactions(path: str | Path) -> Interactions:
    """Read a ``user,item[,weight][,timestamp]`` CSV/TSV file (see the module docstring)."""
    path = Path(path)
    numbered = _read_rows(path)
    if not numbered:
        raise ValueError(f"{path}: no interactions")
    first_line, first = numbered[0]
    try:
        roles = _header_columns(first)
    except ValueError as error:
        raise ValueError(f"{path}:{first_line}: {error}") from None
    if roles is not None:
        numbered = numbered[1:]
        if not numbered:
            raise ValueError(f"{path}: header only, no interactions")
    else:
        width = len(first)
        if width == 3:
            roles = ("user", "item", "timestamp" if _is_time(first[2]) else "weight")
        elif width == 4:
            roles = ("user", "item", "weight", "timestamp")
        else:
            roles = ("user", "item")
    width = len(roles)
    if width < 2 or width > 4:
        raise ValueError(f"{path}:{first_line}: expected 2 to 4 columns, got {width}")
    weight_col = roles.index("weight") if "weight" in roles else None
    time_col = roles.index("timestamp") if "timestamp" in roles else None

    user_index: dict[str, int] = {}
    item_index: dict[str, int] = {}
    users = np.empty(len(numbered), dtype=np.int64)
    items = np.empty(len(numbered), dtype=np.int64)
    weights = np.ones(len(numbered), dtype=np.float64)
    times = np.zeros(len(numbered), dtype=np.float64)
    for position, (line, row) in enumerate(numbered):
        if len(row) != width:
            raise ValueError(
                f"{path}:{line}: expected {width} columns ({', '.join(roles)}), got {len(row)}"
            )
        user, item = row[0].strip(), row[1].strip()
        if not user or not item:
            raise ValueError(f"{path}:{line}: empty user or item id")
        users[position] = user_index.setdefault(user, len(user_index))
        items[position] = item_index.setdefault(item, len(item_index))
        if weight_col is not None:
            text = row[weight_col].strip()
            try:
                weight = float(text)
            except ValueError:
                raise ValueError(f"{path}:{line}: weight {text!r} is not a number") from None
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"{path}:{line}: weight {text!r} must be finite and >= 0")
            weights[position] = weight
        if time_col is not None:
            text = row[time_col].strip()
            try:
                times[position] = _parse_time(text)
            except ValueError:
                raise ValueError(
                    f"{path}:{line}: timestamp {text!r} is neither epoch seconds nor ISO 8601"
                ) from None

    shape = (len(user_index), len(item_index))
    positive = weights > 0
    users, items, weights, times = (
        users[positive],
        items[positive],
        weights[positive],
        times[positive],
    )
    user_items = sp.csr_matrix((weights, (users, items)), shape=shape, dtype=np.float64)
    user_items.sort_indices()
    timestamps = None
    if time_col is not None:
        keys = users * shape[1] + items
        order = np.lexsort((times, keys))
        last_of_key = np.r_[keys[order][1:] != keys[order][:-1], True]
        timestamps = times[order][last_of_key]
    user_items = user_items.astype(np.float32)
    return Interactions(user_items, timestamps, list(user_index), list(item_index))


def load_item_features(
    path: str | Path, item_index: dict[str, int]
) -> tuple[sp.csr_matrix, list[str]]:
    """Read ``item,feature[,value]`` rows into an items x features csr matrix.

    ``item_index`` maps item ids to columns of the interaction matrix (``Interactions.item_index``);
    rows for unknown items are ignored, repeated pairs add up. A header row whose first field is
    an item column name is skipped. Returns the matrix and the feature names by column.
    """
    path = Path(path)
    numbered = _read_rows(path)
    if numbered and numbered[0][1][0].strip().lower() in _ITEM_NAMES:
        numbered = numbered[1:]
    feature_index: dict[str, int] = {}
    item_rows: list[int] = []
    feature_cols: list[int] = []
    values: list[float] = []
    for line, row in numbered:
        if len(row) not in (2, 3):
            raise ValueError(f"{path}:{line}: expected item,feature[,value], got {len(row)} fields")
        item, feature = row[0].strip(), row[1].strip()
        if not feature:
            raise ValueError(f"{path}:{line}: empty feature")
        value = 1.0
        if len(row) == 3:
            try:
                value = float(row[2])
            except ValueError:
                raise ValueError(f"{path}:{line}: value {row[2]!r} is not a number") from None
        if item not in item_index:
            continue
        item_rows.append(item_index[item])
        feature_cols.append(feature_index.setdefault(feature, len(feature_index)))
        values.append(value)
    shape = (len(item_index), len(feature_index))
    features = sp.csr_matrix((values, (item_rows, feature_cols)), shape=shape, dtype=np.float64)
    features.sort_indices()
    return features.astype(np.float32), list(feature_index)
