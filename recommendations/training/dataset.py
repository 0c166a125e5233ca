"""From feedback events to the engine's input: a users x items matrix of interaction weights.

Items of every type share one matrix (a learner who watches Python videos is telling us about
Python courses too); a lesson counts for its course. The weight of a (learner, item) pair is the
sum over their events of the event type's weight (settings ``RECOMMENDER_EVENT_WEIGHTS``, or
for the social types of ``CHOSEN_WEIGHTS`` those a tuning run chose on validation; a watch
scaled by the share watched, a rating by ``rating - 3``; a follow of an instructor spread evenly
over the instructor's courses) halved every
``RECOMMENDER_HALF_LIFE_DAYS`` before the reference time, clipped at zero. A pair the learner
marked "not interested" is left out whatever else they did. Learners who switched
personalisation off are left out entirely, and so is anything before a learner cleared their
history. Purchases, enrollments and reservations count only as the server recorded them
(``Event.objects.credible``).

Events are read in chunks and turned into arrays (``events_read``: an ``EventLog``), so ten
million events need no Python loop per event, and are read once per training run: every matrix
of the run (the holdout split, the weight choice's inner split, the whole window) is assembled
from the same arrays.
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
from recommendations.engine.weighting import WeightedParts
from recommendations.models import Event, LearnerProfile

# Column blocks of the item axis, in this order.
ITEM_TYPES = ("course", "live", "video", "product")
ITEM_MODELS = {"course": Course, "live": LiveSession, "video": ShortVideo, "product": Product}
# Positive-intent events that count as "the learner wanted this" in a holdout.
RELEVANT_EVENTS = frozenset(
    {"click", "watch", "cart", "purchase", "enroll", "favourite", "reserve", "like", "comment"}
)
# The types whose weights a tuning run chooses on validation (the settings' are the defaults):
# social feedback, whose worth no first principle fixes (services/training.py).
CHOSEN_WEIGHTS = ("follow", "comment", "question", "like", "share")
# What the chosen weights are judged by predicting: strong signals whose weight is not chosen.
STRONG_EVENTS = frozenset({"purchase", "enroll", "reserve", "watch"})
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


def ordered_weights(weights: dict[str, float]) -> list[tuple[str, float]]:
    """``weights`` of the chosen types in ``CHOSEN_WEIGHTS``' order (a JSON field keeps none)."""
    return [(kind, weights[kind]) for kind in CHOSEN_WEIGHTS if kind in weights]


def event_weights(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """The weight of every event type: the settings' (``RECOMMENDER_EVENT_WEIGHTS``), with
    ``overrides`` (e.g. the weights a tuning run chose) on top."""
    return {**settings.RECOMMENDER_EVENT_WEIGHTS, **(overrides or {})}


def value_factors(types: np.ndarray, values: np.ndarray) -> np.ndarray:
    """What an event's value multiplies its type's weight by: a watch's share watched, a
    rating's ``rating - 3``; 1 for the others."""
    factors = np.ones(len(types), dtype=np.float64)
    watch = types == "watch"
    factors[watch] = np.nan_to_num(values[watch], nan=0.0)
    rating = types == "rating"
    factors[rating] = np.nan_to_num(values[rating], nan=3.0) - 3.0
    return factors


def type_weights(types: np.ndarray, table: dict[str, float] | None = None) -> np.ndarray:
    """Each event's type weight (``table``, default the settings'); 0 for types without one."""
    weights = np.zeros(len(types), dtype=np.float64)
    for name, weight in (table or settings.RECOMMENDER_EVENT_WEIGHTS).items():
        weights[types == name] = weight
    return weights


def interaction_weights(
    types: np.ndarray, values: np.ndarray, table: dict[str, float] | None = None
) -> np.ndarray:
    """Each event's weight (see the module docstring), from arrays of types and values, with
    the type weights of ``table`` (default the settings')."""
    return type_weights(types, table) * value_factors(types, values)


@dataclass
class EventLog:
    """The window's events as arrays, read once: one entry per (event, column) (a follow has
    one per course of the instructor), with the learners and pairs to leave out already left
    out. ``unit`` is an entry's weight at type weight 1 before decay (value factor times the
    follow's share); ``banned`` are the "not interested" pairs. Every matrix of a training run
    is assembled from it (``training_data``, ``weight_validation``)."""

    items: ItemIndex
    user: np.ndarray  # int64
    kind: np.ndarray  # object (event type)
    col: np.ndarray  # int64
    unit: np.ndarray  # float64
    seconds: np.ndarray  # float64, server time
    banned_user: np.ndarray  # int64
    banned_col: np.ndarray  # int64
    last_event_id: int
    n_events: int

    def training_data(
        self,
        *,
        now: datetime,
        holdout_from: datetime | None = None,
        weights: dict[str, float] | None = None,
    ) -> TrainingData:
        """The matrix of the type weights ``weights`` (default the settings'), decayed to
        ``now``; with ``holdout_from``, events at or after it are kept out of the matrix and
        their positive-intent pairs form ``holdout`` instead (a global temporal cut)."""
        table = event_weights(weights)
        cut = holdout_from.timestamp() if holdout_from else None
        in_holdout = self.seconds >= cut if cut is not None else np.zeros(len(self.user), bool)
        relevant = in_holdout & np.isin(self.kind, list(RELEVANT_EVENTS))
        train = ~in_holdout
        decay = _decay(self.seconds[train], now)
        values = type_weights(self.kind[train], table) * self.unit[train] * decay
        user_ids = np.unique(np.concatenate([self.user[train], self.user[relevant]]))
        shape = (len(user_ids), len(self.items))

        def matrix(users, cols, data=None) -> sp.csr_matrix:
            data = np.ones(len(users)) if data is None else data
            rows = np.searchsorted(user_ids, users)
            out = sp.csr_matrix((data, (rows, cols)), shape=shape, dtype=np.float64)
            out.sum_duplicates()
            return out

        train_matrix = matrix(self.user[train], self.col[train], values)
        known = np.isin(self.banned_user, user_ids)
        banned = matrix(self.banned_user[known], self.banned_col[known])
        train_matrix.data = np.maximum(train_matrix.data, 0.0)
        if banned.nnz:
            train_matrix = train_matrix - train_matrix.multiply(banned > 0)
        train_matrix.eliminate_zeros()
        holdout = None
        if cut is not None:
            holdout = matrix(self.user[relevant], self.col[relevant])
            holdout.data[:] = 1.0
            if banned.nnz:
                holdout = holdout - holdout.multiply(banned > 0)
            holdout = holdout - holdout.multiply(train_matrix > 0)  # only new discoveries count
            holdout.eliminate_zeros()
            holdout = holdout.astype(np.float32).tocsr()
        return TrainingData(
            matrix=train_matrix.astype(np.float32).tocsr(),
            user_ids=user_ids,
            items=self.items,
            last_event_id=self.last_event_id,
            n_events=self.n_events,
            holdout=holdout,
        )

    def weight_validation(
        self,
        *,
        now: datetime,
        validation_from: datetime,
        chosen: tuple[str, ...],
        weights: dict[str, float] | None = None,
        max_users: int = 20_000,
        random_state: int = 0,
    ) -> WeightValidation | None:
        """The inner split on which the weights of ``chosen`` are chosen: the events before
        ``validation_from`` as ``WeightedParts`` (the other types at ``weights``, default the
        settings', decayed to ``now``), and as truth the pairs of a STRONG event
        (``STRONG_EVENTS``) between ``validation_from`` and ``now`` that the learner had not
        touched before (no event of any type: so the truth, and the items that may be
        recommended, are the same whatever the weights). None without any such pair."""
        end, cut = now.timestamp(), validation_from.timestamp()
        before = self.seconds < cut
        after = (self.seconds >= cut) & (self.seconds <= end)
        user_ids = np.unique(self.user[before])
        if not len(user_ids):
            return None
        shape = (len(user_ids), len(self.items))
        rows = np.searchsorted(user_ids, self.user[before])
        cols = self.col[before]
        kinds = self.kind[before]
        unit = self.unit[before] * _decay(self.seconds[before], now)
        fixed = type_weights(kinds, event_weights(weights)) * unit
        banned = np.isin(self.banned_user, user_ids)
        parts = WeightedParts.from_events(
            shape,
            rows,
            cols,
            kinds,
            fixed,
            unit,
            chosen,
            np.searchsorted(user_ids, self.banned_user[banned]),
            self.banned_col[banned],
        )
        touched = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
        if parts.banned is not None:
            touched = touched + sp.csr_matrix(
                (
                    np.ones(int(parts.banned.sum())),
                    (parts.rows[parts.banned], parts.cols[parts.banned]),
                ),
                shape=shape,
            )
        touched.sum_duplicates()
        strong = after & np.isin(self.kind, list(STRONG_EVENTS)) & np.isin(self.user, user_ids)
        truth = sp.csr_matrix(
            (
                np.ones(int(strong.sum())),
                (np.searchsorted(user_ids, self.user[strong]), self.col[strong]),
            ),
            shape=shape,
        )
        truth.sum_duplicates()
        truth = truth - truth.multiply(touched > 0)
        truth.eliminate_zeros()
        users = np.flatnonzero(np.diff(truth.indptr))
        if not len(users):
            return None
        if len(users) > max_users:
            rng = np.random.default_rng(random_state)
            users = np.sort(rng.choice(users, size=max_users, replace=False))
        truth.data[:] = 1.0
        return WeightValidation(
            parts=parts,
            users=users,
            truth=truth[users].astype(np.float32).tocsr(),
            touched=touched.tocsr(),
            user_ids=user_ids,
            items=self.items,
        )


@dataclass
class WeightValidation:
    """What ``EventLog.weight_validation`` returns: a matrix as a function of the chosen
    weights, the learners (rows) to score, their truth (one row each) and the pairs never to
    recommend (everything they did before the cut)."""

    parts: WeightedParts
    users: np.ndarray
    truth: sp.csr_matrix
    touched: sp.csr_matrix
    user_ids: np.ndarray
    items: ItemIndex


def _decay(seconds: np.ndarray, now: datetime) -> np.ndarray:
    half_life = settings.RECOMMENDER_HALF_LIFE_DAYS * 86400.0
    return 0.5 ** (np.maximum(now.timestamp() - seconds, 0.0) / half_life)


def events_read(
    *, now: datetime, since: datetime | None = None, until_event_id: int | None = None
) -> EventLog:
    """The credible events in ``[since, now]`` (up to ``until_event_id``) as an ``EventLog``."""
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

    parts: dict[str, list[np.ndarray]] = {
        name: [] for name in ("user", "kind", "col", "unit", "seconds", "banned_user", "banned_col")
    }
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
        parts["banned_user"].append(user[not_interested])
        parts["banned_col"].append(col[not_interested])
        keep &= ~not_interested
        parts["user"].append(user[keep])
        parts["kind"].append(kind[keep])
        parts["col"].append(col[keep])
        parts["unit"].append(value_factors(kind[keep], value[keep]) * share[keep])
        parts["seconds"].append(seconds[keep])

    empty = {"kind": np.zeros(0, dtype=object), "unit": np.zeros(0), "seconds": np.zeros(0)}
    arrays = {
        name: np.concatenate(chunks) if chunks else empty.get(name, np.zeros(0, np.int64))
        for name, chunks in parts.items()
    }
    return EventLog(items=items, last_event_id=last_event_id, n_events=n_events, **arrays)


def training_data_build(
    *,
    now: datetime,
    since: datetime | None = None,
    holdout_from: datetime | None = None,
    until_event_id: int | None = None,
    weights: dict[str, float] | None = None,
) -> TrainingData:
    """The interaction matrix of the events in ``[since, now]``, with the type weights
    ``weights`` (default the settings').

    With ``holdout_from``, events at or after it are kept out of the matrix and their
    positive-intent pairs form ``holdout`` instead (a global temporal cut).
    """
    log = events_read(now=now, since=since, until_event_id=until_event_id)
    return log.training_data(now=now, holdout_from=holdout_from, weights=weights)


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
