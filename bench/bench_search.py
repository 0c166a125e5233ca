"""Course search against the substring match it replaced: nDCG@5 on the judged query set and the
query time, in the same run, on the demo catalog.

    nice -n 10 .venv/bin/python bench/bench_search.py               # seed_demo --scale 10
    nice -n 10 .venv/bin/python bench/bench_search.py --scale 1     # the catalog the tests judge
    nice -n 10 .venv/bin/python bench/bench_search.py --keep        # keep the database ...
    nice -n 10 .venv/bin/python bench/bench_search.py --reuse       # ... and measure on it again

Builds a scratch PostgreSQL database (``zhibo_bench_search``, dropped afterwards unless
``--keep``) on the server of ``DATABASE_URL`` with ``seed_demo --scale N --no-media
--events-per-learner 0`` (search reads no behaviour), which also indexes the catalog for search
(``--reuse`` indexes it again, as the code now does), then ``VACUUM ANALYZE``.
Then, in this process, for each judged query (``tests/search/judged.py``), alternately: the
search as the pages and the API call it (``courses.search.course_search``, the first page of 12
with highlights) and the old search (``courses.selectors.catalog_search``, a substring match in
titles and descriptions, newest first, the first page of 12 and its count as the browse page
read them). Prints nDCG@5 of both over the judged set (grades from each course's title and tags,
so any scale can be judged) and the p50 and p99 of each query's time. Target: p50 under 20 ms
at ``--scale 10``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH_DB = "zhibo_bench_search"


def scratch_database(server_url: str, name: str, *, create: bool) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def manage(env: dict, *args: str) -> None:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    print(f"  manage.py {' '.join(args)}: {time.perf_counter() - started:.0f} s", flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def measure(rounds: int) -> None:
    import django

    django.setup()
    from courses.models import Course
    from courses.search import course_search, segmenter
    from courses.selectors import catalog_search
    from tests.search.judged import JUDGED, catalog_grades, ndcg_at

    courses = list(Course.objects.published().select_related("category").prefetch_related("tags"))
    print(f"  {len(courses):,} published courses", flush=True)
    segmenter.cut("预热", for_search=False)  # the dictionary loads once per process, not per query

    def new(query):
        return [hit.course.pk for hit in course_search(query=query, page_size=12).hits]

    def old(query):
        items = catalog_search(query=query)
        page = list(items.values_list("pk", flat=True)[:12])
        items.count()
        return page

    times = {"search": [], "substring": []}
    ndcg = {"search": [], "substring": []}
    for round_number in range(rounds):
        for judgment in JUDGED:
            for name, run in (("search", new), ("substring", old)):
                started = time.perf_counter()
                found = run(judgment.query)
                times[name].append(time.perf_counter() - started)
                if round_number == 0:
                    grades = catalog_grades(judgment, courses)
                    ranked = [grades.get(pk, 0) for pk in found]
                    ndcg[name].append(ndcg_at(5, ranked, list(grades.values())))
    print(f"\n{len(JUDGED)} judged queries, {rounds} rounds, alternating")
    print(f"{'':<12}{'nDCG@5':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for name in ("search", "substring"):
        print(
            f"{name:<12}{statistics.mean(ndcg[name]):>8.3f}"
            f"{percentile(times[name], 0.5):>9.2f}{percentile(times[name], 0.99):>9.2f}"
        )
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for judgment, ours, theirs in zip(JUDGED, ndcg["search"], ndcg["substring"], strict=True):
        by_kind.setdefault(judgment.kind, []).append((ours, theirs))
    for kind, pairs in sorted(by_kind.items()):
        ours = statistics.mean(p[0] for p in pairs)
        theirs = statistics.mean(p[1] for p in pairs)
        print(f"  {kind:<6} ({len(pairs):>2} queries): nDCG@5 {ours:.3f} against {theirs:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="10", help="seed_demo --scale (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds over the set")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure on a kept database")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not server.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server.")
    url = (
        urlsplit(server)._replace(path=f"/{SCRATCH_DB}").geturl()
        if args.reuse
        else scratch_database(server, SCRATCH_DB, create=True)
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)  # search uses no cache; the seeding needs none
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        if not args.reuse:
            manage(
                env,
                "seed_demo",
                "--scale",
                args.scale,
                "--no-media",
                "--events-per-learner",
                "0",
                "-v",
                "0",
            )
        else:
            manage(env, "search_index")  # the index as this code builds it
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a database after a load
        os.environ.update(env)
        os.environ.pop("REDIS_URL", None)
        measure(args.rounds)
    finally:
        if not args.keep:
            with contextlib.suppress(Exception):  # Django may not have been set up
                from django.db import connections

                connections.close_all()
            scratch_database(server, SCRATCH_DB, create=False)


if __name__ == "__main__":
    main()
