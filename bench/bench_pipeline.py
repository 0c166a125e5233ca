"""Retrain and precompute end to end, and serving latency, at a given demo size.

    .venv/bin/python bench/bench_pipeline.py --scale 5      # about 1 million events
    .venv/bin/python bench/bench_pipeline.py --scale 50     # about 10 million events (long)

Seeds a scratch PostgreSQL database (``zhibo_bench_pipeline_<scale>``, dropped afterwards) with
``seed_demo --scale N`` (about 100 events per learner, 2,000 learners per unit of scale), then, in
one fresh process with Redis as the cache: a retrain (matrix from the events, ALS with the
default parameters, holdout evaluation, refit, artefacts, promotion), the precompute of every
learner's top-N lists in chunks run by ``--workers`` processes (what the chunk tasks of the
Celery group do, default one per CPU), and the peak memory of the training process and of the
largest worker. Then serving: ``recommendations_for`` for learners whose list is precomputed
in Redis, and for the same learners after a new event each (fold-in), p50 and p99. Targets:
retrain plus precompute under 5 minutes and 4 GB at 10 million events; serving p50 under 5 ms
and p99 under 20 ms from Redis, under 10 ms p50 with fold-in. ``--keep`` leaves the seeded
database for a later ``--reuse`` run, which skips the seeding (useful at 10 million events).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench_api import scratch_database

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "zhibo_bench_pipeline_{scale}"  # one per scale: a kept one survives other runs

MEASURE = r"""
import multiprocessing, os, random, resource, statistics, time
from concurrent.futures import ProcessPoolExecutor
import django
django.setup()
from django.db import connections, transaction
from django.conf import settings
from django.contrib.auth import get_user_model
from recommendations.models import Event, ModelVersion
from recommendations.services import serving, training
from recommendations.services.events import event_record
from recommendations.tasks import PRECOMPUTE_CHUNK

WORKERS = int(os.environ["BENCH_WORKERS"])


def chunk(bounds):  # what one precompute_chunk task does, in a worker process
    return serving.precompute_for_users(version_id=version.pk, user_rows=range(*bounds))


started = time.perf_counter()
version = training.model_train(tune=False, force=True)
trained = time.perf_counter() - started
if version.status == ModelVersion.Status.REJECTED:  # a --reuse run's data: serve it anyway
    print(f"v{version.pk} was rejected ({version.error}); activated for the measurement")
    with transaction.atomic():
        version = training.model_promote(version=version)
assert version.status == ModelVersion.Status.ACTIVE, (version.status, version.error)
started = time.perf_counter()
bounds = [
    (start, min(start + PRECOMPUTE_CHUNK, version.n_users))
    for start in range(0, version.n_users, PRECOMPUTE_CHUNK)
]
connections.close_all()  # each worker opens its own
with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
    assert sum(pool.map(chunk, bounds)) == version.n_users
precomputed = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

loaded = serving.model_cache.get(version.pk, version.artefact_path)
rng = random.Random(0)
learners = get_user_model().objects.in_bulk(
    [int(pk) for pk in rng.sample(list(loaded.user_ids), min(300, len(loaded.user_ids)))]
)

def timed(users):
    out, sources = [], set()
    for user in users:
        tic = time.perf_counter()
        result = serving.recommendations_for(user=user, item_type="course", k=10)
        out.append((time.perf_counter() - tic) * 1000)
        sources.add(result.source)
    return out, sources

def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

users = list(learners.values())
timed(users[:20])  # warm the process (imports, connections)
cached, cached_sources = timed(users[20:])
course = Event.objects.filter(object_type="course").values_list("object_id", flat=True).first()
for user in users[20:]:
    event_record(user=user, event_type="click", object_type="course", object_id=course)
folded, folded_sources = timed(users[20:])

print(f"events {Event.objects.count():,}; matrix {version.n_users:,} learners x "
      f"{version.n_items:,} items, {version.n_interactions:,} interactions")
print(f"retrain (matrix, fit, holdout evaluation, refit, artefacts, promotion): {trained:.1f} s")
print(f"precompute of {version.n_users:,} learners x 4 item types in chunks of "
      f"{PRECOMPUTE_CHUNK:,}, {WORKERS} worker process(es): {precomputed:.1f} s")
print(f"retrain + precompute: {trained + precomputed:.1f} s (target < 300 s at 10 million events)")
print(f"peak memory: training process {peak_mb:,.0f} MB, largest precompute worker "
      f"{worker_peak_mb:,.0f} MB (target < 4,096 MB)")
print(f"serving from the precomputed list ({sorted(cached_sources)}): "
      f"p50 {pct(cached, .5):.2f} ms, p99 {pct(cached, .99):.2f} ms (targets 5 / 20 ms)")
print(f"serving with fold-in ({sorted(folded_sources)}): "
      f"p50 {pct(folded, .5):.2f} ms, p99 {pct(folded, .99):.2f} ms (target p50 10 ms)")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5.0, help="seed_demo --scale (default 5)")
    parser.add_argument(
        "--server", default="postgres://postgres@127.0.0.1:5432/postgres", help="PostgreSQL"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11", help="Redis for the cache")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count(),
        help="precompute worker processes, as Celery workers would run the chunks (default: CPUs)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database for a later --reuse"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database a --keep run left"
    )
    args = parser.parse_args()
    if args.scale <= 0:
        parser.error("--scale must be positive")
    name = SCRATCH_DB.format(scale=f"{args.scale:g}".replace(".", "_"))
    if args.reuse:
        database = urlsplit(args.server)._replace(path=f"/{name}").geturl()
    else:
        database = scratch_database(args.server, name, create=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": database,
                "REDIS_URL": args.redis,
                "DJANGO_MEDIA_ROOT": str(Path(tmp) / "media"),
                "DJANGO_VAR_DIR": str(Path(tmp) / "var"),
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "RECOMMENDER_TUNE_FIRST_MODEL": "false",
                "BENCH_WORKERS": str(args.workers),
            }
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()",
                    args.redis,
                ],
                check=True,
            )
            commands = [["migrate", "-v0"], ["seed_demo", "--scale", str(args.scale), "-v0"]]
            for command in [] if args.reuse else commands:
                tic = time.perf_counter()
                subprocess.run(
                    [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
                )
                print(
                    f"manage.py {' '.join(command)}: {time.perf_counter() - tic:.0f} s", flush=True
                )
            subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, env=env, check=True)
    finally:
        if not args.keep:
            scratch_database(args.server, name, create=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
