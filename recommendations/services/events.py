"""Recording feedback: one event per thing a learner did, stored once.

``event_ingest_batch`` takes what the page script and the mobile apps send: up to 500 events,
each validated on its own. Valid events are stored even when others in the same batch are
rejected (a client that dropped a whole batch for one bad event would lose good data and retry
forever); each rejected event is reported with its index, the field and the reason, so the client
can drop or fix exactly that one. The client's event id makes recording idempotent: an id already
stored, or repeated within the batch, is reported as a duplicate and changes nothing.

``event_record`` is for what the server itself sees (detail views, purchases, reservations).
Purchases, enrollments and reservations (``Event.SERVER_ONLY_TYPES``) are only ever recorded by
the server, when commerce announces them: a client that sends one has it rejected (field
``type``), so nobody can claim to have bought what they did not buy. A watch's position and
share are held to what the object's real length allows (``_watches_within_durations``).
"""

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from numbers import Real

from django.db import connection, transaction
from django.utils import timezone

from accounts.versions import learner_changed
from courses.models import Course, Instructor, Lesson, LiveSession, Product, ShortVideo
from recommendations.models import Event

MAX_BATCH = 500
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)

OBJECT_MODELS = {
    Event.ObjectType.COURSE: Course,
    Event.ObjectType.LESSON: Lesson,
    Event.ObjectType.LIVE: LiveSession,
    Event.ObjectType.VIDEO: ShortVideo,
    Event.ObjectType.PRODUCT: Product,
    Event.ObjectType.INSTRUCTOR: Instructor,
}

T, Obj = Event.Type, Event.ObjectType
ALL_OBJECTS = frozenset(Obj.values) - {Obj.INSTRUCTOR}  # items; an instructor is followed
# Which kinds of object each event type may be about (a search is about none).
ALLOWED_OBJECTS = {
    T.IMPRESSION: ALL_OBJECTS,
    T.CLICK: ALL_OBJECTS,
    T.DETAIL_VIEW: ALL_OBJECTS,
    T.WATCH: frozenset({Obj.LESSON, Obj.VIDEO, Obj.LIVE}),
    T.LIKE: ALL_OBJECTS,
    T.FAVOURITE: ALL_OBJECTS,
    T.SHARE: ALL_OBJECTS,
    T.ADD_TO_CART: frozenset({Obj.COURSE, Obj.PRODUCT}),
    T.PURCHASE: frozenset({Obj.COURSE, Obj.PRODUCT}),
    T.ENROLL: frozenset({Obj.COURSE}),
    T.RATING: frozenset({Obj.COURSE, Obj.PRODUCT, Obj.LIVE, Obj.VIDEO}),
    T.RESERVE: frozenset({Obj.LIVE}),
    T.SEARCH: frozenset(),
    T.NOT_INTERESTED: ALL_OBJECTS,
    T.COMMENT: frozenset({Obj.VIDEO}),
    T.FOLLOW: frozenset({Obj.INSTRUCTOR}),
}
CLIENT_TYPES = frozenset(Event.Client.values) - {Event.Client.SERVER}


class BatchTooLarge(ValueError):
    pass


@dataclass
class Rejection:
    index: int
    field: str
    reason: str


@dataclass
class IngestResult:
    stored: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


class _Invalid(Exception):
    def __init__(self, field_name: str, reason: str):
        self.field = field_name
        self.reason = reason


def _uuid(raw, field_name: str, *, required: bool) -> uuid.UUID | None:
    if raw is None or raw == "":
        if required:
            raise _Invalid(field_name, "This field is required.")
        return None
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise _Invalid(field_name, "Must be a UUID.") from None


def _timestamp(raw, now: datetime) -> datetime:
    if raw is None or raw == "":
        raise _Invalid("client_ts", "This field is required.")
    if isinstance(raw, datetime):
        ts = raw
    else:
        try:
            ts = datetime.fromisoformat(str(raw))
        except ValueError:
            raise _Invalid("client_ts", "Must be an ISO 8601 date-time.") from None
    if timezone.is_naive(ts):
        raise _Invalid("client_ts", "Must include a time zone offset.")
    if ts > now + MAX_CLOCK_SKEW:
        raise _Invalid("client_ts", "Is more than 5 minutes in the future.")
    if ts < now - MAX_AGE:
        raise _Invalid("client_ts", "Is more than 30 days old.")
    return ts


def _number(raw, field_name: str, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, Real):
        raise _Invalid(field_name, "Must be a number.")
    if not low <= raw <= high:
        raise _Invalid(field_name, f"Must be between {low:g} and {high:g}.")
    return float(raw)


def _parse(raw: dict, *, now: datetime, client: str, user, visitor_id: str) -> dict:
    """The event's column values, or ``_Invalid`` naming the first bad field."""
    if not isinstance(raw, dict):
        raise _Invalid("non_field_errors", "Each event must be an object.")
    event_id = _uuid(raw.get("client_event_id"), "client_event_id", required=True)
    event_type = raw.get("type")
    if not event_type:
        raise _Invalid("type", "This field is required.")
    if not isinstance(event_type, str) or event_type not in ALLOWED_OBJECTS:
        raise _Invalid("type", f"Unknown event type {str(event_type)[:30]!r}.")
    if event_type in Event.SERVER_ONLY_TYPES:
        raise _Invalid(
            "type", f"A {event_type} is recorded by the server when it happens, not sent."
        )
    client_ts = _timestamp(raw.get("client_ts"), now)

    object_type = raw.get("object_type") or ""
    object_id = raw.get("object_id")
    query = raw.get("query") or ""
    allowed = ALLOWED_OBJECTS[event_type]
    if event_type == T.SEARCH:
        if not isinstance(query, str) or not query.strip():
            raise _Invalid("query", "A search needs a query.")
        if len(query) > 200:
            raise _Invalid("query", "Must be at most 200 characters.")
        object_type, object_id = "", None
    else:
        query = ""  # only a search has one
        if not object_type:
            raise _Invalid("object_type", "This field is required.")
        if not isinstance(object_type, str) or object_type not in OBJECT_MODELS:
            raise _Invalid("object_type", f"Unknown object type {str(object_type)[:30]!r}.")
        if object_type not in allowed:
            raise _Invalid("object_type", f"A {event_type} event cannot be about a {object_type}.")
        if object_id is None or object_id == "":
            raise _Invalid("object_id", "This field is required.")
        if isinstance(object_id, bool) or not isinstance(object_id, int) or object_id <= 0:
            raise _Invalid("object_id", "Must be a positive integer.")

    value = raw.get("value")
    position = raw.get("position_seconds")
    if event_type == T.RATING:
        if value is None:
            raise _Invalid("value", "A rating needs a value from 1 to 5.")
        value = _number(value, "value", 1, 5)
    elif event_type == T.WATCH:
        if value is None:
            raise _Invalid("value", "A watch event needs the share watched (0 to 1).")
        value = _number(value, "value", 0, 1)
    else:
        value = None
    if position is not None:
        position = int(_number(position, "position_seconds", 0, 7 * 24 * 3600))

    page = raw.get("page") or ""
    if not isinstance(page, str) or len(page) > 64:
        raise _Invalid("page", "Must be text of at most 64 characters.")
    return {
        "user_id": user.pk if user is not None else None,
        "visitor_id": "" if user is not None else visitor_id,
        "event_type": event_type,
        "object_type": object_type,
        "object_id": object_id,
        "value": value,
        "position_seconds": position,
        "query": query.strip(),
        "page": page,
        "request_id": _uuid(raw.get("request_id"), "request_id", required=False),
        "client": client,
        "client_ts": client_ts,
        "server_ts": now,
        "client_event_id": event_id,
    }


def event_ingest_batch(
    *, events: list, client: str, user=None, visitor_id: str = ""
) -> IngestResult:
    """Validate and store a batch of events from one learner (or anonymous visitor).

    Raises ``BatchTooLarge`` for more than 500 events and ``ValueError`` for a bad client or a
    missing actor; every per-event problem is reported in the result instead.
    """
    if len(events) > MAX_BATCH:
        raise BatchTooLarge(f"A batch holds at most {MAX_BATCH} events, not {len(events)}.")
    if client not in CLIENT_TYPES:
        raise ValueError(f"Unknown client {client!r}: use one of {sorted(CLIENT_TYPES)}.")
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and not visitor_id:
        raise ValueError("An anonymous batch needs a visitor id.")

    now = timezone.now()
    result = IngestResult()
    parsed: list[tuple[int, dict]] = []
    for index, raw in enumerate(events):
        try:
            parsed.append(
                (index, _parse(raw, now=now, client=client, user=user, visitor_id=visitor_id))
            )
        except _Invalid as invalid:
            result.rejected.append(Rejection(index, invalid.field, invalid.reason))

    parsed = _drop_unknown_objects(parsed, result)
    _watches_within_durations([row for _, row in parsed])
    fresh, in_batch = [], set()
    for index, row in parsed:
        if row["client_event_id"] in in_batch:
            result.duplicates.append(index)
        else:
            in_batch.add(row["client_event_id"])
            fresh.append((index, row))
    inserted = _insert_new([row for _, row in fresh])
    for index, row in fresh:
        if row["client_event_id"] in inserted:
            result.stored.append(index)
        else:
            result.duplicates.append(index)
    result.duplicates.sort()
    result.rejected.sort(key=lambda r: r.index)
    if user is not None and any(
        parsed_row["event_type"] == Event.Type.NOT_INTERESTED for _, parsed_row in fresh
    ):
        learner_changed(user)  # cached pages drop what they no longer may show
    return result


_COLUMNS = [
    Event._meta.get_field(name)
    for name in (
        "user",
        "visitor_id",
        "event_type",
        "object_type",
        "object_id",
        "value",
        "position_seconds",
        "query",
        "page",
        "request_id",
        "client",
        "client_ts",
        "server_ts",
        "client_event_id",
    )
]
_CONVERTED = {"request_id", "client_ts", "server_ts", "client_event_id"}


def _insert_new(rows: list[dict]) -> set[uuid.UUID]:
    """Insert the rows whose client event id is not stored yet, in one statement; returns the
    ids inserted. ``ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL, SQLite >= 3.35) makes this
    exact under concurrency: of two identical batches racing, each event is stored by one."""
    if not rows:
        return set()
    qn = connection.ops.quote_name
    columns = ", ".join(qn(column.column) for column in _COLUMNS)
    conflict = (
        f" ON CONFLICT ({qn('client_event_id')}) DO NOTHING RETURNING {qn('client_event_id')}"
    )
    if connection.vendor == "postgresql":
        # One array parameter per column (as Django's own bulk_create does on PostgreSQL):
        # 14 parameters instead of 7,000, and far less for the server to parse.
        arrays = ", ".join(f"%s::{column.db_type(connection)}[]" for column in _COLUMNS)
        sql = f"INSERT INTO {qn(Event._meta.db_table)} ({columns}) SELECT * FROM UNNEST({arrays})"
        params = [[row[column.attname] for row in rows] for column in _COLUMNS]
    else:
        one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
        sql = f"INSERT INTO {qn(Event._meta.db_table)} ({columns}) VALUES " + ", ".join(
            [one] * len(rows)
        )
        params = []
        for row in rows:
            for column in _COLUMNS:
                value = row[column.attname]
                if column.name in _CONVERTED and value is not None:
                    value = column.get_db_prep_save(value, connection)
                params.append(value)
    sql += conflict
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    return {value if isinstance(value, uuid.UUID) else uuid.UUID(value) for (value,) in returned}


# Object ids recently confirmed to exist, per type, with the time of confirmation: batches keep
# mentioning the same popular items, and catalog rows are archived, not deleted, in normal use.
_KNOWN_OBJECTS: dict[str, dict[int, float]] = defaultdict(dict)
KNOWN_OBJECT_SECONDS = 60.0


def _existing(object_type: str, ids: set[int]) -> set[int]:
    known = _KNOWN_OBJECTS[object_type]
    fresh_after = time.monotonic() - KNOWN_OBJECT_SECONDS
    found = {pk for pk in ids if known.get(pk, 0.0) > fresh_after}
    missing = ids - found
    if missing:
        confirmed = set(
            OBJECT_MODELS[object_type].objects.filter(pk__in=missing).values_list("pk", flat=True)
        )
        stamp = time.monotonic()
        known.update(dict.fromkeys(confirmed, stamp))
        found |= confirmed
    return found


def _drop_unknown_objects(parsed, result: IngestResult):
    wanted = defaultdict(set)
    for _, row in parsed:
        if row["object_type"]:
            wanted[row["object_type"]].add(row["object_id"])
    existing = {object_type: _existing(object_type, ids) for object_type, ids in wanted.items()}
    kept = []
    for index, row in parsed:
        if row["object_type"] and row["object_id"] not in existing[row["object_type"]]:
            result.rejected.append(
                Rejection(
                    index, "object_id", f"No {row['object_type']} with id {row['object_id']}."
                )
            )
        else:
            kept.append((index, row))
    return kept


def _durations(object_type: str, ids: set[int]) -> dict[int, int]:
    """The length in seconds of each lesson, short video or live session (as scheduled) among
    ``ids`` whose length is known; one query."""
    if object_type == Obj.LIVE:
        rows = LiveSession.objects.filter(pk__in=ids).values_list(
            "pk", "scheduled_start", "scheduled_end"
        )
        return {pk: int((end - start).total_seconds()) for pk, start, end in rows}
    rows = OBJECT_MODELS[object_type].objects.filter(pk__in=ids, duration_seconds__gt=0)
    return dict(rows.values_list("pk", "duration_seconds"))


def _watches_within_durations(rows: list[dict]) -> None:
    """Hold each watch with a position to what the object's real length allows: the position at
    most its end, the share at most the position over the length (the page script sends exactly
    that, from the length its player measured). Clamped rather than rejected, since a player's
    measure may differ a little from the catalog's. A lesson of unknown length, or a watch
    without a position, is taken as sent."""
    watches = [r for r in rows if r["event_type"] == T.WATCH and r["position_seconds"] is not None]
    wanted = defaultdict(set)
    for row in watches:
        wanted[row["object_type"]].add(row["object_id"])
    durations = {object_type: _durations(object_type, ids) for object_type, ids in wanted.items()}
    for row in watches:
        duration = durations[row["object_type"]].get(row["object_id"])
        if duration:
            row["position_seconds"] = min(row["position_seconds"], duration)
            row["value"] = min(row["value"], row["position_seconds"] / duration)


def event_record(
    *,
    user,
    event_type: str,
    object_type: str = "",
    object_id: int | None = None,
    visitor_id: str = "",
    value: float | None = None,
    page: str = "",
    request_id: uuid.UUID | None = None,
    query: str = "",
) -> Event | None:
    """Record an event the server saw itself (a detail view, a purchase, a reservation, a
    search with its ``query``)."""
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and not visitor_id:
        return None  # nobody to attribute it to: a crawler without a visitor cookie
    now = timezone.now()
    event = Event(
        user=user,
        visitor_id="" if user is not None else visitor_id,
        event_type=event_type,
        object_type=object_type,
        object_id=object_id,
        value=value,
        query=query[: Event._meta.get_field("query").max_length],
        page=page,
        request_id=request_id,
        client=Event.Client.SERVER,
        client_ts=now,
        server_ts=now,
    )
    # The fields are checked here; the table's constraints hold in the database (checking them
    # from Python costs a query each, and every comment in a busy live room is one of these).
    event.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    event.save()
    return event


def commerce_feedback_record(
    *, user, event_type: str, targets: list[tuple[str, int]], value: float | None = None
) -> None:
    """Record what the layers below announced (``commerce.signals.learner_acted``): a purchase,
    a free enrollment or a reservation from commerce; a review's rating (``value``), a like, a
    comment, a share or a follow from social. One server event per (object type, id)."""
    for object_type, object_id in targets:
        event_record(
            user=user,
            event_type=event_type,
            object_type=object_type,
            object_id=object_id,
            value=value,
        )


@transaction.atomic
def events_merge_visitor(*, visitor_id: str, user) -> int:
    """At sign-in, the anonymous visitor's events become the account's."""
    if not visitor_id:
        return 0
    merged = Event.objects.filter(user__isnull=True, visitor_id=visitor_id).update(
        user=user, visitor_id=""
    )
    if merged:
        learner_changed(user)
    return merged
