"""From feedback events to the engine's input: a users x items matrix of interaction weights.

Items of every type share one matrix (a learner who watches Python videos is telling us about
Python courses too); a lesson counts for its course. The weight of a (learner, item) pair is the
sum over their events of the event type's weight (settings ``RECOMMENDER_EVENT_WEIGHTS``; a watch
scaled by the share watched, a rating by ``rating - 3``; a follow of an instructor spread evenly
over the instructor's courses) halved every
``RECOMMENDER_HALF_LIFE_DAYS`` before the reference time, clipped at zero. A pair the learner
marked "not interested" is left out whatever else they did. Learners who switched
personalisation off are left out entirely, and so is anything before a learner cleared their
history. Purchases, enrollments and reservations count only as the server recorded them
(``Event.objects.credible``).

Events are read in chunks and turned into arrays, so ten million events need no Python loop per
event.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import Max

from courses.models import Course, Lesson, LiveSession, Product, ShortVideo
from recommendations.models import Event, LearnerProfile

# Column blocks of the item axis, in this order.
ITEM_TYPES = ("course", "live", "video", "product")
ITEM_MODELS = {"course": Course, "live": LiveSession, "video": ShortVideo, "product": Product}
# Positive-intent events that count as "the learner wanted this" in a holdout.
RELEVANT_EVENTS = frozenset(
    {"click", "watch", "cart", "purchase", "enroll", "favourite", "reserve", "like", "comment"}
)
CHUNK = 50_000


@dataclass
class ItemIndex:
    """Column ``j`` of the matrix is item ``(types[j], ids[j])``."""

    types: np.ndarray  # int8 index into ITEM_TYPES
    ids: np.ndarray  # int64 primary keys
    offsets: dict[str, int] = field(default_factory=dict)  # first column of each type
    counts: dict[str, int] = field(default_factory=dict)  # columns of each type

    @classmethod
    def current(cls) -> ItemIndex:
        """Every item of the catalog (with or without interactions), ordered by type and id."""
        types, ids = [], []
        for code, name in enumerate(ITEM_TYPES):
            pks = np.fromiter(
                ITEM_MODELS[name].objects.order_by("pk").values_list("pk", flat=True), np.int64
            )
            ids.append(pks)
            types.append(np.full(len(pks), code, dtype=np.int8))
        return cls.from_arrays(np.concatenate(types), np.concatenate(ids))

    @classmethod
    def from_arrays(cls, types: np.ndarray, ids: np.ndarray) -> ItemIndex:
        """The index of columns sorted by type code, then id."""
        offsets, counts = {}, {}
        for code, name in enumerate(ITEM_TYPES):
            where = np.flatnonzero(types == code)
            offsets[name] = int(where[0]) if len(where) else 0
            counts[name] = len(where)
        return cls(types=types, ids=ids, offsets=offsets, counts=counts)

    def __len__(self) -> int:
        return len(self.ids)

    def columns(self, item_type: str, object_ids: np.ndarray) -> np.ndarray:
        """Columns of ``object_ids`` of one type; -1 where the item is unknown."""
        start = self.offsets[item_type]
        block = self.ids[start : start + self.counts[item_type]]
        if not len(block):
            return np.full(len(object_ids), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(block, object_ids), len(block) - 1)
        return np.where(block[pos] == object_ids, pos + start, -1)

    def of_type(self, item_type: str) -> np.ndarray:
        return np.flatnonzero(self.types == ITEM_TYPES.index(item_type))


@dataclass
class TrainingData:
    matrix: sp.csr_matrix  # learners x items, float32 weights >= 0
    user_ids: np.ndarray  # int64: row r is learner user_ids[r]
    items: ItemIndex
    last_event_id: int
    n_events: int
    # Positive-intent pairs at or after the holdout cut (same shape), for evaluation.
    holdout: sp.csr_matrix | None = None

    def user_rows(self) -> dict[int, int]:
        return {int(pk): row for row, pk in enumerate(self.user_ids)}


def latest_event_id() -> int:
    return Event.objects.aggregate(newest=Max("id"))["newest"] or 0


def instructor_courses() -> dict[int, list[int]]:
    """Each instructor's courses (a follow counts for them), in one query."""
    courses: dict[int, list[int]] = {}
    for course_id, instructor_id in Course.objects.order_by("pk").values_list(
        "pk", "instructor_id"
    ):
        courses.setdefault(instructor_id, []).append(course_id)
    return courses


def spread_follows(columns: list[np.ndarray], otype: np.ndarray, oid: np.ndarray, courses):
    """Rows about an instructor (a follow) become one row per course of theirs, each with a
    share of ``1 / courses``; returns the arrays (``columns`` expanded alike) and the shares."""
    share = np.ones(len(otype), dtype=np.float64)
    about = np.flatnonzero(otype == "instructor")
    if not len(about):
        return columns, otype, oid, share
    rows, new_oid, new_share = [], [], []
    for index in about:
        theirs = courses.get(int(oid[index]), [])
        rows.extend([index] * len(theirs))
        new_oid.extend(theirs)
        new_share.extend([1.0 / max(len(theirs), 1)] * len(theirs))
    rows = np.array(rows, dtype=np.int64)
    keep = np.flatnonzero(otype != "instructor")
    take = np.concatenate([keep, rows])
    otype = np.concatenate([otype[keep], np.full(len(rows), "course", dtype=object)])
    oid = np.concatenate([oid[keep], np.array(new_oid, dtype=np.int64)])
    share = np.concatenate([share[keep], np.array(new_share, dtype=np.float64)])
    return [column[take] for column in columns], otype, oid, share


def interaction_weights(types: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each event's weight (see the module docstring), from arrays of types and values."""
    table = settings.RECOMMENDER_EVENT_WEIGHTS
    weights = np.zeros(len(types), dtype=np.float64)
    for name, weight in table.items():
        weights[types == name] = weight
    watch = types == "watch"
    weights[watch] *= np.nan_to_num(values[watch], nan=0.0)
    rating = types == "rating"
    weights[rating] *= np.nan_to_num(values[rating], nan=3.0) - 3.0
    return weights


def training_data_build(
    *,
    now: datetime,
    since: datetime | None = None,
    holdout_from: datetime | None = None,
    until_event_id: int | None = None,
) -> TrainingData:
    """The interaction matrix of the events in ``[since, now]``.

    With ``holdout_from``, events at or after it are kept out of the matrix and their
    positive-intent pairs form ``holdout`` instead (a global temporal cut).
    """
    items = ItemIndex.current()
    excluded = set(
        LearnerProfile.objects.filter(personalization_enabled=False).values_list(
            "user_id", flat=True
        )
    )
    cleared = dict(
        LearnerProfile.objects.filter(history_cleared_at__isnull=False).values_list(
            "user_id", "history_cleared_at"
        )
    )
    last_event_id = until_event_id if until_event_id is not None else latest_event_id()
    events = (
        Event.objects.credible()
        .filter(
            user__isnull=False, object_id__isnull=False, id__lte=last_event_id, server_ts__lte=now
        )
        .exclude(event_type__in=["impression", "search"])
    )
    if since is not None:
        events = events.filter(server_ts__gte=since)
    lesson_course = dict(Lesson.objects.values_list("pk", "course_id"))
    courses_of = instructor_courses()
    half_life = settings.RECOMMENDER_HALF_LIFE_DAYS * 86400.0
    reference = now.timestamp()
    cut = holdout_from.timestamp() if holdout_from else None

    users, cols, weights, test_users, test_cols, banned_users, banned_cols = ([] for _ in range(7))
    n_events = 0
    columns = ("user_id", "event_type", "object_type", "object_id", "value", "server_ts")
    rows = events.order_by().values_list(*columns).iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        n_events += len(chunk)
        user, kind, otype, oid, value, ts = map(list, zip(*chunk, strict=True))
        user = np.array(user, dtype=np.int64)
        kind = np.array(kind, dtype=object)
        otype = np.array(otype, dtype=object)
        oid = np.array(oid, dtype=np.int64)
        value = np.array([np.nan if v is None else v for v in value], dtype=np.float64)
        seconds = np.array([t.timestamp() for t in ts], dtype=np.float64)
        (user, kind, value, seconds), otype, oid, share = spread_follows(
            [user, kind, value, seconds], otype, oid, courses_of
        )

        keep = np.ones(len(user), dtype=bool)
        if excluded:
            keep &= ~np.isin(user, list(excluded))
        for user_id, cleared_at in cleared.items():
            keep &= ~((user == user_id) & (seconds < cleared_at.timestamp()))
        lesson = otype == "lesson"
        if lesson.any():
            oid[lesson] = [lesson_course.get(int(pk), -1) for pk in oid[lesson]]
            otype[lesson] = "course"
        col = np.full(len(user), -1, dtype=np.int64)
        for name in ITEM_TYPES:
            mask = otype == name
            if mask.any():
                col[mask] = items.columns(name, oid[mask])
        keep &= col >= 0

        not_interested = keep & (kind == "not_interested")
        banned_users.append(user[not_interested])
        banned_cols.append(col[not_interested])
        keep &= ~not_interested
        in_holdout = keep & (seconds >= cut) if cut is not None else np.zeros_like(keep)
        relevant = in_holdout & np.isin(kind, list(RELEVANT_EVENTS))
        test_users.append(user[relevant])
        test_cols.append(col[relevant])
        train = keep & ~in_holdout
        decay = 0.5 ** (np.maximum(reference - seconds[train], 0.0) / half_life)
        users.append(user[train])
        cols.append(col[train])
        weights.append(interaction_weights(kind[train], value[train]) * share[train] * decay)

    all_users = np.concatenate([*users, *test_users]) if users else np.zeros(0, np.int64)
    user_ids = np.unique(all_users)
    shape = (len(user_ids), len(items))

    def matrix(u_list, c_list, w_list=None) -> sp.csr_matrix:
        u = np.concatenate(u_list) if u_list else np.zeros(0, np.int64)
        c = np.concatenate(c_list) if c_list else np.zeros(0, np.int64)
        w = np.concatenate(w_list) if w_list is not None and w_list else np.ones(len(u))
        out = sp.csr_matrix((w, (np.searchsorted(user_ids, u), c)), shape=shape, dtype=np.float64)
        out.sum_duplicates()
        return out

    train_matrix = matrix(users, cols, weights)
    banned = matrix(banned_users, banned_cols)
    train_matrix.data = np.maximum(train_matrix.data, 0.0)
    if banned.nnz:
        train_matrix = train_matrix - train_matrix.multiply(banned > 0)
    train_matrix.eliminate_zeros()
    holdout = None
    if cut is not None:
        holdout = matrix(test_users, test_cols)
        holdout.data[:] = 1.0
        if banned.nnz:
            holdout = holdout - holdout.multiply(banned > 0)
        holdout = holdout - holdout.multiply(train_matrix > 0)  # only new discoveries count
        holdout.eliminate_zeros()
        holdout = holdout.astype(np.float32).tocsr()
    return TrainingData(
        matrix=train_matrix.astype(np.float32).tocsr(),
        user_ids=user_ids,
        items=items,
        last_event_id=last_event_id,
        n_events=n_events,
        holdout=holdout,
    )


def interactions_export(*, path, now: datetime) -> int:
    """Write the training matrix as ``user,item,weight`` CSV (items as ``type:id``), the input of
    ``manage.py recommender evaluate`` and ``bench/bench_quality.py``. Returns the rows written."""
    data = training_data_build(now=now)
    coo = data.matrix.tocoo()
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["user", "item", "weight"])
        for row, col, weight in zip(coo.row, coo.col, coo.data, strict=True):
            item = f"{ITEM_TYPES[data.items.types[col]]}:{data.items.ids[col]}"
            writer.writerow([int(data.user_ids[row]), item, f"{weight:.4f}"])
    return coo.nnz


def item_features_export(*, path) -> int:
    """Write every item's content features as ``item,feature`` CSV (items as ``type:id``, as in
    ``interactions_export``): its tags, category, instructor and linked course. Returns the rows
    written. The evaluation harness reads it with ``--item-features`` for the content model and
    the cold-start mapping."""
    rows = []
    for name in ITEM_TYPES:
        model = ITEM_MODELS[name]
        column = f"{model._meta.model_name}_id"
        for pk, tag in model.tags.through.objects.values_list(column, "tag__name"):
            rows.append((f"{name}:{pk}", f"tag:{tag}"))
        fields = ["pk", "instructor_id"]
        fields += ["category_id"] if name == "course" else []
        fields += ["course_id"] if name in ("live", "video") else []
        for values in model.objects.values_list(*fields):
            item = f"{name}:{values[0]}"
            rows.append((item, f"instructor:{values[1]}"))
            for link, value in zip(fields[2:], values[2:], strict=True):
                if value is not None:
                    rows.append((item, f"{link.removesuffix('_id')}:{value}"))
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item", "feature"])
        writer.writerows(rows)
    return len(rows)
