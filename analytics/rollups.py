"""Rolling events and orders up into the instructors' tables, incrementally and idempotently.

``rollup_run`` (the periodic task's body) reads what arrived since the cursor: events with a
newer id, orders changed since the last run (with an overlap, so a transaction that committed
late is still seen). It recomputes every local day those touch, and every live session whose
time they touch, from the raw rows of that day or session, and replaces the stored rows: a day
rolled up twice holds the same numbers as a day rolled up once. The whole run holds the cursor's
row lock, so two runs never interleave.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, F, Max, Min, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

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
from commerce.models import Order, OrderLine
from courses.models import Course, Lesson, LiveSession, Product, ShortVideo
from liveroom.selectors import room_messages_per_minute, rooms_with_removals_since
from recommendations.models import Event

ORDER_OVERLAP = timedelta(minutes=10)
"""Orders changed this long before the cursor are read again (a late commit is not missed)."""

FUNNEL_EVENTS = {
    Event.Type.IMPRESSION: "impressions",
    Event.Type.CLICK: "clicks",
    Event.Type.DETAIL_VIEW: "views",
    Event.Type.ADD_TO_CART: "carts",
}
FUNNEL_OBJECTS = ("course", "product", "live", "video")
WATCHED_OBJECTS = ("lesson", "video")
LIVE_VIEW_EVENTS = (Event.Type.DETAIL_VIEW, Event.Type.WATCH)

# The slots recommended cards are shown in (their events carry a request id too).
RECOMMENDED_PAGES = (
    "home",
    "home_courses",
    "home_products",
    "trending",
    "course_similar",
    "course_also_courses",
    "course_also_products",
    "product_also",
)
SEARCH_PAGES = ("search",)
LIVE_SHELF_PAGES = ("live_shelf",)
VIDEO_PAGES = ("feed",)  # the short-video feed (the site's /videos/ page)

EVENT_SOURCE = Case(
    When(Q(request_id__isnull=False) | Q(page__in=RECOMMENDED_PAGES), then=Value("recommended")),
    When(page__in=SEARCH_PAGES, then=Value("search")),
    When(page__in=LIVE_SHELF_PAGES, then=Value("live")),
    When(page__in=VIDEO_PAGES, then=Value("video")),
    default=Value("direct"),
)
ORDER_SOURCE = Case(
    When(order__live_session__isnull=False, then=Value("live")), default=Value("direct")
)
LEARNERS = Count("user", distinct=True) + Count(
    "visitor_id", distinct=True, filter=Q(user__isnull=True)
)


@dataclass
class RollupResult:
    days: list[date] = field(default_factory=list)
    live_sessions: list[int] = field(default_factory=list)
    last_event_id: int = 0


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of a local day (``TIME_ZONE``)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _owners(keys) -> dict[tuple[str, int], int]:
    """(object type, id) -> the id of the instructor who owns it; deleted objects are left out."""
    by_type = defaultdict(set)
    for object_type, object_id in keys:
        by_type[object_type].add(object_id)
    paths = {
        "course": (Course, "instructor_id"),
        "lesson": (Lesson, "course__instructor_id"),
        "live": (LiveSession, "instructor_id"),
        "video": (ShortVideo, "instructor_id"),
        "product": (Product, "instructor_id"),
    }
    owners = {}
    for object_type, ids in by_type.items():
        model, path = paths[object_type]
        for pk, owner in model.objects.filter(pk__in=ids).values_list("pk", path):
            owners[(object_type, pk)] = owner
    return owners


def _day_events(day: date):
    start, end = day_bounds(day)
    return Event.objects.credible().filter(server_ts__gte=start, server_ts__lt=end)


def _item_days(day: date) -> list[ItemDay]:
    events = _day_events(day).filter(
        event_type__in=list(FUNNEL_EVENTS), object_type__in=FUNNEL_OBJECTS
    )
    counts: dict[tuple, dict[str, int]] = defaultdict(dict)
    by_source = events.values("object_type", "object_id", "event_type", src=EVENT_SOURCE)
    for row in by_source.annotate(n=LEARNERS):
        key = (row["object_type"], row["object_id"], row["src"])
        counts[key][FUNNEL_EVENTS[row["event_type"]]] = row["n"]
    for row in events.values("object_type", "object_id", "event_type").annotate(n=LEARNERS):
        key = (row["object_type"], row["object_id"], Source.ALL.value)
        counts[key][FUNNEL_EVENTS[row["event_type"]]] = row["n"]
    owners = _owners({key[:2] for key in counts})
    return [
        ItemDay(
            day=day,
            instructor_id=owners[key[:2]],
            object_type=key[0],
            object_id=key[1],
            source=key[2],
            **values,
        )
        for key, values in counts.items()
        if key[:2] in owners
    ]


def _watch_days(day: date) -> list[WatchDay]:
    furthest = (
        _day_events(day)
        .filter(event_type=Event.Type.WATCH, object_type__in=WATCHED_OBJECTS)
        .values("object_type", "object_id", "user_id", "visitor_id")
        .annotate(best=Max("value"))
    )
    reached: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0] * DROP_OFF_STEPS)
    for row in furthest:
        share = row["best"] or 0.0
        steps = reached[(row["object_type"], row["object_id"])]
        for k in range(DROP_OFF_STEPS):
            if share + 1e-9 >= k / 10:
                steps[k] += 1
    owners = _owners(reached)
    return [
        WatchDay(
            day=day, instructor_id=owners[key], object_type=key[0], object_id=key[1], reached=steps
        )
        for key, steps in reached.items()
        if key in owners
    ]


def _sales_days(day: date) -> list[SalesDay]:
    start, end = day_bounds(day)
    rows: dict[tuple, dict] = defaultdict(dict)
    amount = F("unit_price") * F("quantity")
    for kind in ("course", "product"):
        lines = OrderLine.objects.filter(**{f"{kind}__isnull": False})
        group = {"object_id": F(f"{kind}_id"), "owner": F(f"{kind}__instructor_id")}
        stages = [
            (
                Q(order__created_at__gte=start, order__created_at__lt=end),
                {"orders": Count("order", distinct=True)},
            ),
            (
                Q(order__paid_at__gte=start, order__paid_at__lt=end),
                {
                    "paid": Count("order", distinct=True),
                    "units": Sum("quantity"),
                    "revenue": Sum(amount),
                },
            ),
            (
                Q(
                    order__refunded_at__gte=start,
                    order__refunded_at__lt=end,
                    order__status=Order.Status.REFUNDED,
                ),
                {"refunded": Count("order", distinct=True), "refunds": Sum(amount)},
            ),
        ]
        for condition, aggregates in stages:
            found = lines.filter(condition).values(src=ORDER_SOURCE, **group).annotate(**aggregates)
            for row in found:
                key = (kind, row["object_id"], row["src"], row["owner"])
                rows[key].update({name: row[name] for name in aggregates})
    return [
        SalesDay(
            day=day,
            object_type=kind,
            object_id=object_id,
            source=src,
            instructor_id=owner,
            **values,
        )
        for (kind, object_id, src, owner), values in rows.items()
    ]


def rollup_day(day: date) -> None:
    """Recompute one local day's funnel, watch and sales rows from the raw events and orders."""
    with transaction.atomic():
        for model, build in (
            (ItemDay, _item_days),
            (WatchDay, _watch_days),
            (SalesDay, _sales_days),
        ):
            model.objects.filter(day=day).delete()
            model.objects.bulk_create(build(day), batch_size=1000)


def _minute(at: datetime, start: datetime) -> int:
    """The live bucket (minutes from the start, a multiple of LIVE_BUCKET_MINUTES) of ``at``."""
    offset = max(0, int((at - start).total_seconds() // 60))
    return offset - offset % LIVE_BUCKET_MINUTES


def rollup_live(live_id: int) -> None:
    """Recompute one live session's viewers and chat messages over time and its shelf's clicks
    and sales."""
    live = LiveSession.objects.filter(pk=live_id).first()
    if live is None:
        return
    start, end = live.scheduled_start, live.scheduled_end
    in_session = Q(server_ts__gte=start, server_ts__lte=end)
    viewers: dict[int, set] = defaultdict(set)
    watched = Event.objects.filter(
        in_session, object_type="live", object_id=live.pk, event_type__in=LIVE_VIEW_EVENTS
    ).values_list("server_ts", "user_id", "visitor_id")
    for at, user_id, visitor_id in watched:
        viewers[_minute(at, start)].add(user_id or visitor_id)
    chat: dict[int, int] = defaultdict(int)
    for minute, messages in room_messages_per_minute(
        live_session=live, since=start, until=end
    ).items():
        chat[minute - minute % LIVE_BUCKET_MINUTES] += messages
    shelf = list(live.shelf_items.values_list("product_id", flat=True))
    clicks: dict[tuple[int, int], set] = defaultdict(set)
    clicked = Event.objects.filter(
        in_session,
        object_type="product",
        object_id__in=shelf,
        event_type=Event.Type.CLICK,
        page__in=LIVE_SHELF_PAGES,
    ).values_list("object_id", "server_ts", "user_id", "visitor_id")
    for product_id, at, user_id, visitor_id in clicked:
        clicks[(product_id, _minute(at, start))].add(user_id or visitor_id)
    sales: dict[tuple[int, int], dict] = defaultdict(
        lambda: {"orders": set(), "units": 0, "revenue": Decimal(0)}
    )
    lines = OrderLine.objects.filter(
        order__live_session=live, product__isnull=False, order__paid_at__isnull=False
    ).values_list("product_id", "order_id", "order__paid_at", "quantity", "unit_price")
    for product_id, order_id, paid_at, quantity, unit_price in lines:
        cell = sales[(product_id, _minute(paid_at, start))]
        cell["orders"].add(order_id)
        cell["units"] += quantity
        cell["revenue"] += unit_price * quantity
    with transaction.atomic():
        LiveBucket.objects.filter(live_session=live).delete()
        LiveShelfBucket.objects.filter(live_session=live).delete()
        LiveBucket.objects.bulk_create(
            LiveBucket(
                live_session=live,
                instructor_id=live.instructor_id,
                minute=minute,
                viewers=len(viewers.get(minute, ())),
                chat_messages=chat.get(minute, 0),
            )
            for minute in set(viewers) | set(chat)
        )
        LiveShelfBucket.objects.bulk_create(
            LiveShelfBucket(
                live_session=live,
                instructor_id=live.instructor_id,
                product_id=key[0],
                minute=key[1],
                clicks=len(clicks.get(key, ())),
                paid=len(sales[key]["orders"]),
                units=sales[key]["units"],
                revenue=sales[key]["revenue"],
            )
            for key in set(clicks) | set(sales)
        )


def _local_dates(queryset, field_name: str) -> set[date]:
    dates = queryset.exclude(**{f"{field_name}__isnull": True}).annotate(
        d=TruncDate(field_name, tzinfo=timezone.get_current_timezone())
    )
    return set(dates.values_list("d", flat=True).distinct())


def rollup_run(*, now: datetime | None = None) -> RollupResult:
    """Roll up what arrived since the last run: the days and live sessions it touches."""
    now = now or timezone.now()
    RollupCursor.objects.get_or_create(name="rollups")
    with transaction.atomic():
        cursor = RollupCursor.objects.select_for_update().get(name="rollups")
        new_events = Event.objects.filter(pk__gt=cursor.last_event_id)
        last_event_id = new_events.aggregate(last=Max("pk"))["last"] or cursor.last_event_id
        new_events = new_events.filter(pk__lte=last_event_id)
        days = _local_dates(new_events, "server_ts")
        changed = Order.objects.all()
        if cursor.orders_changed_at is not None:
            changed = changed.filter(updated_at__gte=cursor.orders_changed_at - ORDER_OVERLAP)
        for name in ("created_at", "paid_at", "refunded_at"):
            days |= _local_dates(changed, name)
        span = new_events.aggregate(first=Min("server_ts"), last=Max("server_ts"))
        lives = set(
            changed.exclude(live_session__isnull=True).values_list("live_session_id", flat=True)
        )
        # A learner's message arrives as an event too (a comment on the live); a moderator's
        # removal does not, so the rooms with removals since the last run are read again.
        last_run = cursor.orders_changed_at
        lives |= rooms_with_removals_since(None if last_run is None else last_run - ORDER_OVERLAP)
        if span["first"] is not None:
            lives |= set(
                LiveSession.objects.filter(
                    scheduled_start__lte=span["last"], scheduled_end__gte=span["first"]
                ).values_list("pk", flat=True)
            )
        for day in sorted(days):
            rollup_day(day)
        for live_id in sorted(lives):
            rollup_live(live_id)
        cursor.last_event_id = last_event_id
        cursor.orders_changed_at = now
        cursor.save()
    return RollupResult(days=sorted(days), live_sessions=sorted(lives), last_event_id=last_event_id)
