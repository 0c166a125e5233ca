"""The instructors' dashboard against a scan of the raw events for the same numbers.

    nice -n 10 .venv/bin/python bench/bench_dashboard.py            # seed, roll up, measure
    nice -n 10 .venv/bin/python bench/bench_dashboard.py --keep     # keep the scratch database
    nice -n 10 .venv/bin/python bench/bench_dashboard.py --reuse    # ... and measure on it again

Builds a scratch PostgreSQL database (``zhibo_bench_dashboard``, or ``--database NAME``, on the
server of DATABASE_URL, dropped afterwards unless ``--keep``) with ``seed_demo --scale 10``, runs
the rollup task's service once (timed: the first run reads every event), then, in this process
through Django's test client, asks for the dashboard of the instructor with the most items (last
30 days) and of a superuser (everyone's), after one warm-up request each (which makes the day's
privacy release).
Beside them, in alternating rounds: the same counts computed from the raw events and orders of
that instructor and period (what the page would cost without rollups). Prints p50 and p95 of
each and their ratio; then of the superuser's first view after a rollup run (``--cold-rounds``
times a run with nothing new and one view: the view's figures are cached until the next run).
Target: the instructor's page under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "zhibo_bench_dashboard"


def scratch_database(server_url: str, name: str, *, create: bool) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def manage(env: dict, *args: str) -> None:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    print(f"  manage.py {' '.join(args)}: {time.perf_counter() - started:.0f} s", flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        ordered[len(ordered) // 2] * 1000,
        ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000,
    )


def raw_scan(instructor, start, end) -> int:
    """The page's counts straight from the raw events and orders: distinct learners per day,
    item, source and step; furthest point per learner, lesson and day; sales per item and day."""
    from django.db.models import F, Max, Q, Sum
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from analytics.rollups import EVENT_SOURCE, FUNNEL_EVENTS, LEARNERS, day_bounds
    from commerce.models import OrderLine
    from courses.models import Course, Lesson, LiveSession, Product, ShortVideo
    from recommendations.models import Event

    lo, hi = day_bounds(start)[0], day_bounds(end)[1]
    tz = timezone.get_current_timezone()
    owned = Q()
    for object_type, model, path in (
        ("course", Course, "instructor"),
        ("product", Product, "instructor"),
        ("live", LiveSession, "instructor"),
        ("video", ShortVideo, "instructor"),
        ("lesson", Lesson, "course__instructor"),
    ):
        ids = model.objects.filter(**{path: instructor}).values_list("pk", flat=True)
        owned |= Q(object_type=object_type, object_id__in=ids)
    events = Event.objects.credible().filter(owned, server_ts__gte=lo, server_ts__lt=hi)
    n = 0
    funnel = (
        events.filter(event_type__in=list(FUNNEL_EVENTS))
        .annotate(day=TruncDate("server_ts", tzinfo=tz))
        .values("day", "object_type", "object_id", "event_type", src=EVENT_SOURCE)
        .annotate(n=LEARNERS)
    )
    n += len(list(funnel))
    watch = (
        events.filter(event_type="watch")
        .annotate(day=TruncDate("server_ts", tzinfo=tz))
        .values("day", "object_type", "object_id", "user_id", "visitor_id")
        .annotate(best=Max("value"))
    )
    n += len(list(watch))
    sales = (
        OrderLine.objects.filter(
            Q(course__instructor=instructor) | Q(product__instructor=instructor),
            order__paid_at__gte=lo,
            order__paid_at__lt=hi,
        )
        .annotate(day=TruncDate("order__paid_at", tzinfo=tz))
        .values("day", "course_id", "product_id")
        .annotate(revenue=Sum(F("unit_price") * F("quantity")))
    )
    n += len(list(sales))
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--cold-rounds", type=int, default=15, help="superuser views each after a rollup run"
    )
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--database", default=SCRATCH_DB, help="the scratch database's name (one per checkout)"
    )
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "true"}
    if args.reuse:
        env["DATABASE_URL"] = urlsplit(server)._replace(path=f"/{args.database}").geturl()
    else:
        env["DATABASE_URL"] = scratch_database(server, args.database, create=True)
        manage(env, "migrate", "-v", "0")
        manage(env, "seed_demo", "--scale", str(args.scale), "--no-media", "-v", "0")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from analytics.rollups import rollup_run
    from courses.models import Instructor
    from recommendations.models import Event

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    result = rollup_run()
    print(
        f"rollup of {Event.objects.count():,} events: {len(result.days)} days, "
        f"{len(result.live_sessions)} live sessions in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    rollup_run()
    print(f"rollup again with nothing new: {time.perf_counter() - started:.2f} s")
    instructor = (
        Instructor.objects.annotate(
            n=Count("courses", distinct=True) + Count("products", distinct=True)
        )
        .order_by("-n")
        .first()
    )
    root, _ = get_user_model().objects.get_or_create(
        username="bench-root", defaults={"is_staff": True, "is_superuser": True}
    )
    end = timezone.localdate()
    start = end - timedelta(days=29)
    query = {"start": start.isoformat(), "end": end.isoformat()}
    clients = {}
    for name, user in (("instructor", instructor.user), ("superuser", root)):
        client = Client()
        client.force_login(user)
        response = client.get("/studio/analytics/", query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, response.status_code
        clients[name] = client
    timings: dict[str, list[float]] = {"instructor": [], "superuser": [], "raw scan": []}
    for _ in range(args.rounds):
        for name, client in clients.items():
            t = time.perf_counter()
            client.get("/studio/analytics/", query, HTTP_ACCEPT_LANGUAGE="en")
            timings[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        raw_scan(instructor, start, end)
        timings["raw scan"].append(time.perf_counter() - t)
    print(
        f"instructor {instructor.display_name}: {instructor.n} courses and products, "
        f"period {start} to {end}, {args.rounds} rounds"
    )
    p50 = {}
    for name, samples in timings.items():
        p50[name], p95 = percentiles(samples)
        print(f"  {name:<24} p50 {p50[name]:8.1f} ms   p95 {p95:8.1f} ms")
    print(f"  raw scan / instructor's page (p50): {p50['raw scan'] / p50['instructor']:.1f}")
    # The superuser's view keeps its figures until the next rollup run: its first view after a
    # run (a run with nothing new, then one view).
    cold = []
    for _ in range(args.cold_rounds):
        rollup_run()
        t = time.perf_counter()
        clients["superuser"].get("/studio/analytics/", query, HTTP_ACCEPT_LANGUAGE="en")
        cold.append(time.perf_counter() - t)
    if cold:
        low, high = percentiles(cold)
        print(f"  {'superuser after a run':<24} p50 {low:8.1f} ms   p95 {high:8.1f} ms")
    if not args.keep and not args.reuse:
        from django.db import connections

        connections.close_all()
        scratch_database(server, args.database, create=False)


if __name__ == "__main__":
    main()
