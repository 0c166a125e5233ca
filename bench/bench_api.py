"""The recommendations endpoint under concurrent load, beside a trivial endpoint of the same server.

    .venv/bin/python bench/bench_api.py            # PostgreSQL and Redis of this machine

Builds a scratch PostgreSQL database (``zhibo_bench_api``, dropped afterwards unless ``--keep``)
with ``seed_demo --scale 0.2`` and a model trained by ``recommender train --sync --force``, starts
gunicorn (2 workers) on loopback with Redis as the cache, and loads it from this process with
threads, each holding one keep-alive connection: ``GET /api/v1/recommendations/`` and
``GET /api/v1/me/`` as the same signed-in learner, in alternating rounds so both see the same
machine. Prints requests per second, p50 and p99 of each and the ratios. Targets: a p50 at most
1.5 times the trivial endpoint's, and at least 300 requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SCRATCH_DB = "zhibo_bench_api"
RECOMMENDATIONS = "/api/v1/recommendations/?type=course&slot=home&limit=10"
TRIVIAL = "/api/v1/me/"


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database(server_url: str, name: str, *, create: bool) -> str:
    """Drop (and create) database ``name`` on the server of ``server_url``; its URL."""
    import psycopg

    parts = urlsplit(server_url)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def manage(env: dict, *args: str) -> None:
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)
    print(f"  manage.py {' '.join(args)}: {time.perf_counter() - started:.0f} s", flush=True)


def learner_token(env: dict) -> tuple[str, str]:
    """A demo learner with the most events (given some if the demo has none) and a JWT."""
    script = """
from django.contrib.auth import get_user_model
from django.db.models import Count
from rest_framework_simplejwt.tokens import RefreshToken
from courses.models import Course, Instructor
from recommendations.models import Event
from recommendations.services.events import event_record
learner = (
    get_user_model().objects.filter(is_staff=False)
    .exclude(pk__in=Instructor.objects.values("user"))
    .annotate(n=Count("events")).order_by("-n", "pk").first()
)
if not learner.events.exists():
    for course in Course.objects.filter(status="published")[:20]:
        event_record(user=learner, event_type="view", object_type="course", object_id=course.pk)
print(learner.username, learner.events.count(), RefreshToken.for_user(learner).access_token)
"""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    username, events, token = out[-3:]
    print(f"  learner {username} with {events} events", flush=True)
    return username, token


def wait_until_up(port: int, token: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", TRIVIAL, headers={"Authorization": f"Bearer {token}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def load(
    port: int, path: str, token: str, *, threads: int, seconds: float, max_requests: int
) -> Run:
    """``threads`` keep-alive clients hitting ``path`` for ``seconds`` (or ``max_requests``)."""
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    runs = [Run() for _ in range(threads)]
    budget = threading.Semaphore(max_requests)
    stop = time.perf_counter() + seconds

    def client(run: Run) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop and budget.acquire(blocking=False):
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                run.latencies.append(time.perf_counter() - started)
            else:
                run.errors += 1
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(run,)) for run in runs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Run(seconds=time.perf_counter() - started)
    for run in runs:
        total.latencies += run.latencies
        total.errors += run.errors
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL database URL on the server to create the scratch database on",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--scale", default="0.2", help="seed_demo --scale")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=8.0, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-requests", type=int, default=20_000, help="per round and endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    media = tempfile.mkdtemp(prefix="zhibo-bench-api-")
    artefacts = tempfile.mkdtemp(prefix="zhibo-bench-api-artefacts-")
    database_url = scratch_database(args.server_url, SCRATCH_DB, create=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": "bench-api",
        "DJANGO_MEDIA_ROOT": media,
        "RECOMMENDER_ARTEFACTS_ROOT": artefacts,
        "DJANGO_DEBUG": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "API_THROTTLE_ANON": "1000000/minute",
        "API_THROTTLE_USER": "1000000/minute",
    }
    server = None
    try:
        print("Setting up the scratch database:", flush=True)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--scale", args.scale)
        manage(env, "recommender", "train", "--sync", "--force")
        _username, token = learner_token(env)

        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(PYTHON).with_name("gunicorn")),
                "config.wsgi:application",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--keep-alive",
                "30",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_until_up(port, token)
        for path in (TRIVIAL, RECOMMENDATIONS):  # warm both workers' caches and connections
            load(port, path, token, threads=args.threads, seconds=2, max_requests=2000)

        totals = {TRIVIAL: Run(), RECOMMENDATIONS: Run()}
        for _ in range(args.rounds):
            for path in totals:
                totals[path].add(
                    load(
                        port,
                        path,
                        token,
                        threads=args.threads,
                        seconds=args.seconds,
                        max_requests=args.max_requests,
                    )
                )
        report(totals, args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            scratch_database(args.server_url, SCRATCH_DB, create=False)
        shutil.rmtree(media, ignore_errors=True)
        shutil.rmtree(artefacts, ignore_errors=True)
    return 0


def report(totals: dict[str, Run], args) -> None:
    trivial, recs = totals[TRIVIAL], totals[RECOMMENDATIONS]
    print(
        f"\ngunicorn 2 workers (gthread x4), {args.threads} keep-alive clients, "
        f"{args.rounds} alternating rounds of {args.seconds:g} s, PostgreSQL + Redis, "
        f"seed_demo --scale {args.scale}, {os.cpu_count()} CPUs"
    )
    print(f"{'endpoint':<58}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for path, run in totals.items():
        print(
            f"GET {path:<54}{run.rps:>9.0f}{run.percentile(0.5):>9.1f}"
            f"{run.percentile(0.99):>9.1f}{run.errors:>8}"
        )
    p50_ratio = recs.percentile(0.5) / trivial.percentile(0.5)
    print(
        f"\nrecommendations / me: p50 x{p50_ratio:.2f} (target <= 1.5), "
        f"p99 x{recs.percentile(0.99) / trivial.percentile(0.99):.2f}, "
        f"throughput x{recs.rps / trivial.rps:.2f}"
    )
    print(f"recommendations: {recs.rps:.0f} req/s (target >= 300)")


if __name__ == "__main__":
    sys.exit(main())
