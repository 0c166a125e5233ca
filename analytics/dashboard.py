"""What the instructors' dashboard shows, read from the rollups (never from raw events).

``dashboard_for(user=..., start=..., end=...)`` is the one selector the page and the CSV export
call. Every number is scoped through ``Instructor.objects.owned_by(user)``: an instructor sees
their own items only, a superuser sees everyone's. Counts of learners come through
``analytics.privacy`` for instructors (noisy, suppressed, once a day per period); superusers,
who run the platform and can read its database, see them exact. Money is always exact.
"""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, IntegerField, Q, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from analytics.models import (
    DROP_OFF_STEPS,
    LIVE_BUCKET_MINUTES,
    ItemDay,
    LiveBucket,
    LiveShelfBucket,
    RollupCursor,
    SalesDay,
    Source,
    WatchDay,
)
from analytics.privacy import Budget, figures_release
from analytics.rollups import day_bounds
from commerce.models import OrderLine
from config.cache import cache_get, cache_set
from courses.models import (
    Course,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    Product,
    ShortVideo,
)
from recommendations.models import Event

STAGES = ("impressions", "clicks", "views", "carts")
SALES_STAGES = ("orders", "paid")
SOURCES = [s for s in Source.values if s != Source.ALL]
ORDERS_SHOWN = 50
ROWS_SHOWN = 50  # items in the funnel, lessons and videos in the watch table
LIVES_SHOWN = 10
EXACT_CACHE_SECONDS = 60 * 60  # at most; a rollup run makes a new key (every few minutes)


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


@dataclass
class Scope:
    """Whose numbers: the instructors a user may see, and whether counts are exact."""

    instructor: Instructor | None  # the user's own; None for a superuser
    exact: bool
    instructor_ids: list[int] | None  # None: everyone

    def filter(self, queryset, path="instructor_id"):
        if self.instructor_ids is None:
            return queryset
        return queryset.filter(**{f"{path}__in": self.instructor_ids})


class NotAllowed(Exception):
    """The user is neither an instructor nor a superuser."""


def scope_for(user) -> Scope:
    """Everyone's numbers for a superuser, the instructor's own for an instructor (the same
    rule as ``Instructor.objects.owned_by``); anyone else may see none."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Scope(instructor=None, exact=True, instructor_ids=None)
    own = Instructor.objects.owned_by(user).first()
    if own is None:
        raise NotAllowed
    return Scope(instructor=own, exact=False, instructor_ids=[own.pk])


@dataclass
class Item:
    object_type: str
    pk: int
    title: str

    @property
    def key(self) -> str:
        return f"{self.object_type}:{self.pk}"


ITEM_MODELS = {
    "course": Course,
    "product": Product,
    "live": LiveSession,
    "video": ShortVideo,
}


def _items(scope: Scope) -> dict[tuple[str, int], tuple[str, int]]:
    """The scope's courses, products, live sessions and short videos: (object type, id) ->
    (title, 0), in one query."""
    parts = [
        scope.filter(model.objects.all()).order_by().values_list(Value(object_type), "pk", "title")
        for object_type, model in ITEM_MODELS.items()
    ]
    return {(t, pk): (title, 0) for t, pk, title in parts[0].union(*parts[1:], all=True)}


def _item_keys(scope: Scope) -> list[tuple[str, int]]:
    """The scope's courses, products, live sessions and short videos (one query)."""
    return sorted(_items(scope))


def _watched(scope: Scope) -> dict[tuple[str, int], tuple[str, int]]:
    """The scope's lessons and short videos: (object type, id) -> (title, length in seconds),
    in one query."""
    lessons = scope.filter(Lesson.objects.all(), "course__instructor_id").values_list(
        Value("lesson"), "pk", "title", "course__title", "duration_seconds"
    )
    videos = scope.filter(ShortVideo.objects.all()).values_list(
        Value("video"), "pk", "title", Value(""), "duration_seconds"
    )
    rows = lessons.order_by().union(videos.order_by(), all=True)
    return {
        (t, pk): (f"{course} · {title}" if t == "lesson" else title, length)
        for t, pk, title, course, length in rows
    }


def _watched_keys(scope: Scope) -> list[tuple[str, int]]:
    """The scope's lessons and short videos."""
    return sorted(_watched(scope))


def _titled(keys) -> dict[tuple[str, int], tuple[str, int]]:
    """(object type, id) -> (title, length in seconds) for just these items."""
    by_type = defaultdict(list)
    for object_type, pk in keys:
        by_type[object_type].append(pk)
    found = {}
    for object_type, pks in by_type.items():
        if object_type == "lesson":
            rows = Lesson.objects.filter(pk__in=pks).values_list(
                "pk", "title", "course__title", "duration_seconds"
            )
            found.update({("lesson", pk): (f"{c} · {t}", d) for pk, t, c, d in rows})
        elif object_type == "video":
            rows = ShortVideo.objects.filter(pk__in=pks).values_list(
                "pk", "title", "duration_seconds"
            )
            found.update({("video", pk): (t, d) for pk, t, d in rows})
        else:
            rows = ITEM_MODELS[object_type].objects.filter(pk__in=pks).values_list("pk", "title")
            found.update({(object_type, pk): (t, 0) for pk, t in rows})
    return found


def _busiest(keys, measure, limit):
    """The ``limit`` keys with the highest ``measure`` (unknown last), ties by key."""
    return sorted(keys, key=lambda k: (-(measure(k) if measure(k) is not None else -1), k))[:limit]


def _lives(scope: Scope, period: Period) -> list[LiveSession]:
    """The scope's live sessions in ``period``, the newest ``LIVES_SHOWN``."""
    start, end = day_bounds(period.start)[0], day_bounds(period.end)[1]
    return list(
        scope.filter(LiveSession.objects.all())
        .filter(scheduled_start__lt=end, scheduled_end__gte=start)
        .order_by("-scheduled_start", "-pk")[:LIVES_SHOWN]
    )


def _minutes(live: LiveSession) -> list[int]:
    length = int((live.scheduled_end - live.scheduled_start).total_seconds() // 60)
    return list(range(0, length + 1, LIVE_BUCKET_MINUTES))


def _pairs(keys) -> Q:
    """Rows of just these (object type, id) pairs."""
    by_type = defaultdict(list)
    for object_type, pk in keys:
        by_type[object_type].append(pk)
    condition = Q(pk__in=[])
    for object_type, pks in by_type.items():
        condition |= Q(object_type=object_type, object_id__in=pks)
    return condition


REACHED = {
    f"r{k}": Sum(Cast(KeyTextTransform(k, "reached"), IntegerField()))
    for k in range(DROP_OFF_STEPS)
}
"""The sums of ``WatchDay.reached[k]`` over rows, each tenth in its own column (in SQL)."""


def _period_sums(period: Period, names) -> dict:
    """Sums of ``names`` over rows of ``period`` (``c<name>``) and of the period before
    (``p<name>``, the rows before ``period``), in one pass: None where a period has no row."""
    current = Q(day__gte=period.start)
    return {
        f"{label}{name}": Sum(name, filter=condition)
        for label, condition in (("c", current), ("p", ~current))
        for name in names
    }


def _funnel_figures(row: dict) -> dict[str, int]:
    """The funnel counts (``f|``) of one item's ``_period_sums`` of the steps, for the periods
    it has rows in."""
    found = {}
    for label in ("c", "p"):
        if all(row[f"{label}{stage}"] is None for stage in STAGES):
            continue
        for stage in STAGES:
            key = f"f|{label}|{row['object_type']}:{row['object_id']}|{stage}"
            found[key] = row[f"{label}{stage}"] or 0
    return found


def exact_counts(
    scope: Scope,
    period: Period,
    *,
    zero_fill: bool = True,
    items=None,
    watched=None,
    lives: list[LiveSession] | None = None,
) -> dict[str, int]:
    """Every count of learners the page shows for ``period`` and the one before, keyed. With
    ``zero_fill`` (what is released to instructors), zero for every item of theirs nobody
    touched, so which keys exist reveals nothing; without it, only what happened. ``items`` and
    ``watched`` ((object type, id) pairs) limit the funnel's and the drop-off curves' counts to
    those items (the exact view reads only the rows it shows); ``lives``, the period's live
    sessions when the caller has them already."""
    counts: dict[str, int] = defaultdict(int) if not zero_fill else {}
    if zero_fill:
        items = _item_keys(scope) if items is None else items
        watched = _watched_keys(scope) if watched is None else watched
        for object_type, pk in items:
            for label in ("c", "p"):
                for stage in STAGES:
                    counts[f"f|{label}|{object_type}:{pk}|{stage}"] = 0
        for object_type, pk in watched:
            for k in range(DROP_OFF_STEPS):
                counts[f"w|{object_type}:{pk}|{k}"] = 0
    sums = _period_sums(period, STAGES)
    rows = scope.filter(
        ItemDay.objects.filter(day__gte=period.previous().start, day__lte=period.end)
    )
    for label in ("c", "p"):
        for source in SOURCES:
            for stage in STAGES:
                counts[f"s|{label}|{source}|{stage}"] = 0
    per_item = rows.filter(source=Source.ALL)
    if items is not None and not zero_fill:
        per_item = per_item.filter(_pairs(items))
    for row in per_item.values("object_type", "object_id").annotate(**sums).order_by():
        for key, value in _funnel_figures(row).items():
            if key in counts or not zero_fill:
                counts[key] += value
    per_source = rows.exclude(source=Source.ALL).values("source").annotate(**sums)
    for row in per_source.order_by():
        for label in ("c", "p"):
            for stage in STAGES:
                counts[f"s|{label}|{row['source']}|{stage}"] += row[f"{label}{stage}"] or 0
    watch_rows = scope.filter(WatchDay.objects.filter(day__gte=period.start, day__lte=period.end))
    if watched is not None and not zero_fill:
        watch_rows = watch_rows.filter(_pairs(watched))
    for row in watch_rows.values("object_type", "object_id").annotate(**REACHED).order_by():
        for k in range(DROP_OFF_STEPS):
            key = f"w|{row['object_type']}:{row['object_id']}|{k}"
            if key in counts or not zero_fill:
                counts[key] += row[f"r{k}"] or 0
    lives = _lives(scope, period) if lives is None else lives
    counts.update(_live_counts(lives))
    return dict(counts)


def _live_counts(lives: list[LiveSession]) -> dict[str, int]:
    """Viewers per five minutes (``l|``) and shelf clicks per product (``k|``) of ``lives``,
    zero where nobody came or clicked."""
    counts = {}
    for live in lives:
        for minute in _minutes(live):
            counts[f"l|{live.pk}|{minute}"] = 0
    for live_id, product_id in LiveShelfItem.objects.filter(
        live_session__in=[live.pk for live in lives]
    ).values_list("live_session_id", "product_id"):
        counts[f"k|{live_id}|{product_id}"] = 0
    for live_id, minute, viewers in LiveBucket.objects.filter(
        live_session__in=[live.pk for live in lives]
    ).values_list("live_session_id", "minute", "viewers"):
        if f"l|{live_id}|{minute}" in counts:  # within the session's length
            counts[f"l|{live_id}|{minute}"] += viewers
    for live_id, product_id, clicks in (
        LiveShelfBucket.objects.filter(live_session__in=[live.pk for live in lives])
        .values("live_session_id", "product_id")
        .annotate(clicks=Sum("clicks"))
        .values_list("live_session_id", "product_id", "clicks")
    ):
        if f"k|{live_id}|{product_id}" in counts:
            counts[f"k|{live_id}|{product_id}"] += clicks
    return counts


def _exact_view(scope: Scope, period: Period):
    """The exact view's busiest items and lessons, how many there are, and their counts. They
    change only when the rollup runs, so they are kept in the cache until its next run."""
    cursor = RollupCursor.objects.filter(name="rollups").values_list("last_event_id", "updated_at")
    ran = cursor.first()
    key = None
    if ran is not None:
        key = f"analytics:exact:{period.start}:{period.end}:{ran[0]}:{ran[1].timestamp()}"
        if (cached := cache_get(key)) is not None:
            return cached
    chosen, funnel_total, funnel = _exact_funnel(scope, period)
    watch_chosen, watch_total = _exact_busiest_watched(scope, period)
    figures = exact_counts(scope, period, zero_fill=False, items=[], watched=watch_chosen, lives=[])
    found = (chosen, funnel_total, watch_chosen, watch_total, {**figures, **funnel})
    if key is not None:
        cache_set(key, found, EXACT_CACHE_SECONDS)
    return found


def _exact_funnel(scope: Scope, period: Period):
    """The exact view's funnel rows, from one pass over every item's rows of ``period`` and the
    one before: the ``ROWS_SHOWN`` items with the most impressions in ``period`` (those without
    a row in it last), ties by key, among every item with counts or sales in either period; how
    many those are; and the chosen items' counts."""
    both = Q(day__gte=period.previous().start, day__lte=period.end)
    rows = (
        scope.filter(ItemDay.objects.filter(both, source=Source.ALL))
        .values("object_type", "object_id")
        .annotate(**_period_sums(period, STAGES))
        .order_by()
    )
    counted = {(row["object_type"], row["object_id"]): row for row in rows}
    sold = scope.filter(SalesDay.objects.filter(both)).values_list("object_type", "object_id")
    candidates = sorted(set(counted) | set(sold.distinct().order_by()))

    def impressions(key):
        return counted[key]["cimpressions"] if key in counted else None

    chosen = _busiest(candidates, impressions, ROWS_SHOWN)
    figures = {}
    for key in chosen:
        if key in counted:
            figures.update(_funnel_figures(counted[key]))
    return chosen, len(candidates), figures


def _exact_busiest_watched(scope: Scope, period: Period) -> tuple[list[tuple[str, int]], int]:
    """The exact view's drop-off rows, found in SQL: the ``ROWS_SHOWN`` lessons and videos most
    learners started in ``period``, ties by key; and how many were watched at all."""
    rows = (
        scope.filter(WatchDay.objects.filter(day__gte=period.start, day__lte=period.end))
        .values("object_type", "object_id")
        .annotate(started=REACHED["r0"])
    )
    busiest = F("started").desc(nulls_last=True)
    chosen = rows.order_by(busiest, "object_type", "object_id")[:ROWS_SHOWN]
    return [(row["object_type"], row["object_id"]) for row in chosen], rows.order_by().count()


@dataclass
class Dashboard:
    period: Period
    previous: Period
    scope: Scope
    figures: dict[str, int | None]
    budget: Budget | None = None
    exhausted: bool = False
    released_on: date | None = None
    funnel: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    money: dict = field(default_factory=dict)
    watch: list[dict] = field(default_factory=list)
    lives: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    orders_total: int = 0
    funnel_total: int = 0
    watch_total: int = 0


def _rate(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def _change(current, previous):
    """Percent change from the previous period, None when either is unknown or zero before."""
    if current is None or not previous:
        return None
    return round(100.0 * (float(current) - float(previous)) / float(previous), 1)


SALES_SUMS = ("orders", "paid", "units", "revenue", "refunded", "refunds")


def _sales(scope: Scope, period: Period, *, items):
    """Sales of ``period`` and the one before: per item (of ``items`` at least) and per source
    for both, per day for ``period``. An instructor's few rows come in one query and add up
    here; everyone's (a superuser's) add up in SQL, per item for ``items`` only."""
    previous = period.previous()
    rows = scope.filter(
        SalesDay.objects.filter(day__gte=previous.start, day__lte=period.end)
    ).order_by()
    if scope.instructor_ids is None:
        both = _period_sums(period, SALES_SUMS)

        def split(found, by):
            cur, prev = {}, {}
            for row in found:
                at = tuple(row[name] for name in by) if len(by) > 1 else row[by[0]]
                for label, into in (("c", cur), ("p", prev)):
                    if any(row[f"{label}{name}"] is not None for name in SALES_SUMS):
                        into[at] = {name: row[f"{label}{name}"] or 0 for name in SALES_SUMS}
            return cur, prev

        per_item = rows.filter(_pairs(items)).values("object_type", "object_id").annotate(**both)
        cur_items, prev_items = split(per_item, ("object_type", "object_id"))
        cur_sources, prev_sources = split(rows.values("source").annotate(**both), ("source",))
        sums = {name: Sum(name) for name in SALES_SUMS}
        cur_days = {
            r.pop("day"): r
            for r in rows.filter(day__gte=period.start).values("day").annotate(**sums)
        }
        return cur_items, cur_days, cur_sources, prev_items, prev_sources
    cur_items, cur_days, cur_sources = defaultdict(dict), defaultdict(dict), defaultdict(dict)
    prev_items, prev_sources = defaultdict(dict), defaultdict(dict)
    values = rows.values_list("day", "object_type", "object_id", "source", *SALES_SUMS)
    for day, object_type, object_id, source, *sums in values:
        if day >= period.start:
            adding = (cur_items[(object_type, object_id)], cur_days[day], cur_sources[source])
        else:
            adding = (prev_items[(object_type, object_id)], prev_sources[source])
        for totals in adding:
            for name, value in zip(SALES_SUMS, sums, strict=True):
                totals[name] = totals.get(name, 0) + value
    return cur_items, cur_days, cur_sources, prev_items, prev_sources


def buyer_alias(scope: Scope, user_id: int | None) -> str:
    """The same learner gets the same alias from one instructor, another from the next; it
    cannot be turned back into the account."""
    if user_id is None:
        return "—"
    owner = scope.instructor.pk if scope.instructor else "staff"
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"buyer:{owner}:{user_id}".encode(), hashlib.sha256
    )
    return "#" + digest.hexdigest()[:8]


def orders_for(scope: Scope, period: Period, item_keys=None):
    """The scope's order lines placed in ``period``, newest first (``item_keys``: the scope's
    items, when the caller has them already)."""
    lines = OrderLine.objects.filter(
        order__created_at__gte=day_bounds(period.start)[0],
        order__created_at__lt=day_bounds(period.end)[1],
    )
    if scope.instructor_ids is not None:
        keys = _item_keys(scope) if item_keys is None else item_keys
        courses = [pk for object_type, pk in keys if object_type == "course"]
        products = [pk for object_type, pk in keys if object_type == "product"]
        lines = lines.filter(Q(course_id__in=courses) | Q(product_id__in=products))
    return lines.select_related("order").order_by("-order__created_at", "-pk")


def order_rows(scope: Scope, lines) -> list[dict]:
    return [
        {
            "number": line.order.number,
            "created_at": line.order.created_at,
            "paid_at": line.order.paid_at,
            "status": line.order.get_status_display(),
            "status_code": line.order.status,
            "item": line.title,
            "kind": "course" if line.course_id else "product",
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "buyer": buyer_alias(scope, line.order.user_id),
            "live": line.order.live_session_id is not None,
        }
        for line in lines
    ]


def _chat_rates(live: LiveSession, minutes: list[int], counted: dict[int, int] | None) -> dict:
    """Messages per minute in the live room: over the whole session (``chat_rate``), at its
    busiest five minutes (``chat_peak``) and per five minutes (``chat``, beside the viewers).
    None when the session's messages were not counted (rolled up before the room had chat)."""
    if counted is None:
        return {"chat_rate": None, "chat_peak": None, "chat": [None] * len(minutes)}
    length = max(1, int((live.scheduled_end - live.scheduled_start).total_seconds() // 60))
    timeline = [
        round(counted.get(m, 0) / max(1, min(LIVE_BUCKET_MINUTES, length - m)), 2) for m in minutes
    ]
    return {
        "chat_rate": round(sum(counted.values()) / length, 2),
        "chat_peak": max(timeline),
        "chat": timeline,
    }


def dashboard_for(*, user, start: date, end: date) -> Dashboard:
    """The whole dashboard of ``user`` for the period from ``start`` to ``end`` (inclusive)."""
    scope = scope_for(user)
    period = Period(start, end)
    previous = period.previous()
    lives = _lives(scope, period)
    if scope.exact:
        chosen, funnel_total, watch_chosen, watch_total, figures = _exact_view(scope, period)
        board = Dashboard(period, previous, scope, {**figures, **_live_counts(lives)})
    else:
        released = figures_release(
            instructor=scope.instructor,
            period_start=period.start,
            period_end=period.end,
            exact=lambda: exact_counts(scope, period, lives=lives),
        )
        board = Dashboard(
            period,
            previous,
            scope,
            released.figures,
            budget=released.budget,
            exhausted=released.exhausted,
            released_on=released.release.released_on if released.release else None,
        )
    figures = board.figures
    if scope.exact:
        titles = _titled(chosen)
    else:
        titles = _items(scope)
        candidates_all = sorted(titles)
        funnel_total = len(candidates_all)
        chosen = _busiest(
            candidates_all, lambda k: figures.get(f"f|c|{k[0]}:{k[1]}|impressions"), ROWS_SHOWN
        )
    board.funnel_total = funnel_total
    cur_items, cur_days, cur_sources, prev_items, prev_sources = _sales(scope, period, items=chosen)
    zero = Decimal("0.00")
    for item in (Item(t, pk, titles[(t, pk)][0]) for t, pk in chosen if (t, pk) in titles):
        row = {
            "type": item.object_type,
            "kind": Event.ObjectType(item.object_type).label,
            "id": item.pk,
            "title": item.title,
            "stages": [],
        }
        cur_sales = cur_items.get((item.object_type, item.pk), {})
        prev_sales = prev_items.get((item.object_type, item.pk), {})
        values = [figures.get(f"f|c|{item.key}|{stage}") for stage in STAGES]
        values += [cur_sales.get(stage) or 0 for stage in SALES_STAGES]
        before = [figures.get(f"f|p|{item.key}|{stage}") for stage in STAGES]
        before += [prev_sales.get(stage) or 0 for stage in SALES_STAGES]
        for n, name in enumerate(STAGES + SALES_STAGES):
            row["stages"].append(
                {
                    "name": name,
                    "value": values[n],
                    "previous": before[n],
                    "change": _change(values[n], before[n]),
                    "rate": _rate(values[n], values[n - 1]) if n else None,
                }
            )
        row["overall"] = _rate(values[-1], values[0])
        row["revenue"] = cur_sales.get("revenue") or zero
        row["refunds"] = cur_sales.get("refunds") or zero
        row["units"] = cur_sales.get("units") or 0
        row["revenue_previous"] = prev_sales.get("revenue") or zero
        board.funnel.append(row)
    for source in SOURCES:
        board.sources.append(
            {
                "source": source,
                "label": Source(source).label,
                "stages": [figures.get(f"s|c|{source}|{stage}") for stage in STAGES]
                + [cur_sources.get(source, {}).get(stage) or 0 for stage in SALES_STAGES],
                "previous": [figures.get(f"s|p|{source}|{stage}") for stage in STAGES]
                + [prev_sources.get(source, {}).get(stage) or 0 for stage in SALES_STAGES],
            }
        )
    days = []
    for day in period.dates():
        found = cur_days.get(day, {})
        revenue, refunds = found.get("revenue") or zero, found.get("refunds") or zero
        days.append(
            {"day": day, "revenue": revenue, "refunds": refunds, "earnings": revenue - refunds}
        )
    revenue = sum((d["revenue"] for d in days), zero)
    refunds = sum((d["refunds"] for d in days), zero)
    prev_revenue = sum((r.get("revenue") or zero for r in prev_sources.values()), zero)
    prev_refunds = sum((r.get("refunds") or zero for r in prev_sources.values()), zero)
    board.money = {
        "days": days,
        "revenue": revenue,
        "refunds": refunds,
        "earnings": revenue - refunds,
        "revenue_previous": prev_revenue,
        "refunds_previous": prev_refunds,
        "earnings_previous": prev_revenue - prev_refunds,
        "earnings_change": _change(revenue - refunds, prev_revenue - prev_refunds),
    }
    if scope.exact:
        chosen = watch_chosen
        titles = _titled(chosen)
    else:
        titles = _watched(scope)
        watch_total = len(titles)
        chosen = _busiest(sorted(titles), lambda k: figures.get(f"w|{k[0]}:{k[1]}|0"), ROWS_SHOWN)
    board.watch_total = watch_total
    for item in (Item(t, pk, titles[(t, pk)][0]) for t, pk in chosen if (t, pk) in titles):
        curve = [figures.get(f"w|{item.key}|{k}") for k in range(DROP_OFF_STEPS)]
        started = curve[0]
        length = titles[(item.object_type, item.pk)][1]
        known = [n or 0 for n in curve[1:]]
        board.watch.append(
            {
                "type": item.object_type,
                "kind": Event.ObjectType(item.object_type).label,
                "id": item.pk,
                "title": item.title,
                "curve": curve,
                "started": started,
                "completion": _rate(curve[9], started),
                # The area under the drop-off curve, a tenth of the length per step reached.
                "watch_minutes": round(sum(known) * length / 10 / 60, 1) if started else None,
            }
        )
    shelf = defaultdict(dict)
    for row in (
        LiveShelfBucket.objects.filter(live_session__in=[live.pk for live in lives])
        .values("live_session_id", "product_id", "minute")
        .annotate(units=Sum("units"), revenue=Sum("revenue"), paid=Sum("paid"))
    ):
        shelf[(row["live_session_id"], row["product_id"])][row["minute"]] = row
    shelves = defaultdict(list)
    for item in (
        LiveShelfItem.objects.filter(live_session__in=[live.pk for live in lives])
        .select_related("product")
        .order_by("position", "pk")
    ):
        shelves[item.live_session_id].append(item)
    chat = defaultdict(dict)
    for live_id, minute, messages in LiveBucket.objects.filter(
        live_session__in=[live.pk for live in lives], chat_messages__isnull=False
    ).values_list("live_session_id", "minute", "chat_messages"):
        chat[live_id][minute] = messages
    for live in lives:
        minutes = _minutes(live)
        viewers = [figures.get(f"l|{live.pk}|{minute}") for minute in minutes]
        known = [v for v in viewers if v is not None]
        products = []
        for item in shelves.get(live.pk, []):
            sold = shelf.get((live.pk, item.product_id), {})
            products.append(
                {
                    "title": item.product.title,
                    "pinned": item.is_pinned,
                    "clicks": figures.get(f"k|{live.pk}|{item.product_id}"),
                    "paid": sum(cell["paid"] for cell in sold.values()),
                    "units": sum(cell["units"] for cell in sold.values()),
                    "revenue": sum((cell["revenue"] for cell in sold.values()), zero),
                    "timeline": [sold[m]["units"] if m in sold else 0 for m in minutes],
                }
            )
        board.lives.append(
            {
                "id": live.pk,
                "title": live.title,
                "start": live.scheduled_start,
                "minutes": minutes,
                "viewers": viewers,
                "peak": max(known) if known else None,
                **_chat_rates(live, minutes, chat.get(live.pk)),
                "products": products,
            }
        )
    lines = orders_for(scope, period, None if scope.exact else candidates_all)
    board.orders_total = lines.count()
    board.orders = order_rows(scope, lines[:ORDERS_SHOWN])
    return board


def orders_csv_rows(*, user, start: date, end: date):
    """The rows of the orders export: every order line of the scope placed in the period."""
    scope = scope_for(user)
    return order_rows(scope, orders_for(scope, Period(start, end)).iterator(chunk_size=500))
