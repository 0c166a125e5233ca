"""Catalog search against the substring match it replaced: nDCG@5 on the judged query set (courses,
live sessions, short videos, products) and the query time, in the same run, on the demo catalog.

    nice -n 10 .venv/bin/python bench/bench_search.py               # seed_demo --scale 10
    nice -n 10 .venv/bin/python bench/bench_search.py --scale 1     # the catalog the tests judge
    nice -n 10 .venv/bin/python bench/bench_search.py --keep        # keep the database ...
    nice -n 10 .venv/bin/python bench/bench_search.py --reuse       # ... and measure on it again

Builds a scratch PostgreSQL database (``zhibo_bench_search``, dropped afterwards unless
``--keep``) on the server of ``DATABASE_URL`` with ``seed_demo --scale N --no-media
--events-per-learner 0`` (search reads no behaviour), which also indexes the catalog for search
(``--reuse`` indexes it again, as the code now does), then ``VACUUM ANALYZE``.
Then, in this process, for each judged query (``tests/search/judged.py``, each of one type),
alternately: the search as the pages and the API call it (``courses.search.item_search``, the
first page of 12 with highlights) and the old search (``courses.selectors.catalog_search``, a
substring match in titles and descriptions, newest first, the first page of 12 and its count as
the browse page read them). Prints nDCG@5 of both and the p50 and p99 of each query's time, for
the courses' queries and for the other types' (grades from each item's title and tags, so any
scale can be judged), then nDCG@5 by kind of query and by type. Target: p50 under 20 ms at
``--scale 10``.
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
    from courses.search import KINDS, item_search, segmenter
    from courses.selectors import catalog_search
    from tests.search.judged import JUDGED, catalog_grades, findable_items, ndcg_at

    items = {item_type: findable_items(item_type) for item_type in KINDS}
    print("  findable: " + ", ".join(f"{len(v):,} {t}s" for t, v in items.items()), flush=True)
    segmenter.cut("预热", for_search=False)  # the dictionary loads once per process, not per query

    def new(judgment):
        found = item_search(query=judgment.query, item_type=judgment.item_type, page_size=12)
        return [hit.item.pk for hit in found.hits]

    def old(judgment):
        found = catalog_search(item_type=judgment.item_type, query=judgment.query)
        page = list(found.values_list("pk", flat=True)[:12])
        found.count()
        return page

    names = ("search", "substring")
    times = {(name, j.item_type == "course"): [] for name in names for j in JUDGED}
    ndcg: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        for judgment in JUDGED:
            for name, run in (("search", new), ("substring", old)):
                started = time.perf_counter()
                found = run(judgment)
                times[name, judgment.item_type == "course"].append(time.perf_counter() - started)
                if round_number == 0:
                    grades = catalog_grades(judgment, items[judgment.item_type])
                    ranked = [grades.get(pk, 0) for pk in found]
                    ndcg[name].append(ndcg_at(5, ranked, list(grades.values())))
    print(f"\n{len(JUDGED)} judged queries, {rounds} rounds, alternating")
    print(f"{'':<26}{'nDCG@5':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for courses, label in ((True, "courses"), (False, "lives, videos, products")):
        chosen = [n for n, j in enumerate(JUDGED) if (j.item_type == "course") == courses]
        print(f"{label} ({len(chosen)} queries)")
        for name in names:
            spent = times[name, courses]
            print(
                f"  {name:<24}{statistics.mean(ndcg[name][n] for n in chosen):>8.3f}"
                f"{percentile(spent, 0.5):>9.2f}{percentile(spent, 0.99):>9.2f}"
            )
    groups: dict[str, list[tuple[float, float]]] = {}
    for judgment, ours, theirs in zip(JUDGED, ndcg["search"], ndcg["substring"], strict=True):
        groups.setdefault(f"kind {judgment.kind}", []).append((ours, theirs))
        groups.setdefault(f"type {judgment.item_type}", []).append((ours, theirs))
    for group, pairs in sorted(groups.items()):
        ours = statistics.mean(p[0] for p in pairs)
        theirs = statistics.mean(p[1] for p in pairs)
        print(f"  {group:<13} ({len(pairs):>2} queries): nDCG@5 {ours:.3f} against {theirs:.3f}")


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
