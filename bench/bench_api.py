"""The API under concurrent load from many learners, beside a trivial endpoint of the same server.

    .venv/bin/python bench/bench_api.py                  # PostgreSQL and Redis of this machine
    .venv/bin/python bench/bench_api.py --keep           # keep the seeded database ...
    .venv/bin/python bench/bench_api.py --reuse          # ... and measure on it again

Builds a scratch PostgreSQL database (``zhibo_bench_api``, dropped afterwards unless ``--keep``)
with ``seed_demo --scale 6`` (about 12,000 learners) and a model trained and precomputed by
``recommender train --sync --force``, starts the web process as production runs it (the
Procfile's command: uvicorn, 2 workers, each running Django's views on ``WEB_THREADS`` threads,
read from this process's environment like every setting; ``--server gunicorn`` for WSGI under
gunicorn, gthread) on loopback with Redis as the cache, and loads it from this process with
threads, each sending ``--per-connection`` requests (10) on a keep-alive connection before it
opens the next, and doing as little per request as it can (the clients share the machine's
cores with the server: their CPU, the server's and PostgreSQL's and Redis's are printed, and
each round's figures with the share of the machine left idle).

Every request is made as a different learner, one who has a precomputed list (at least
``--learners`` of them, 10,000 by default): so ``GET /api/v1/recommendations/`` never meets its
own result cache, and measures what a learner's first list of the day costs (the precomputed
list, the live filters, the re-rank, the reasons). Beside it, in alternating rounds so both see
the same machine: ``GET /api/v1/me/`` for the same learners (the trivial endpoint), and
``POST /api/v1/events/`` with batches of 50 events. Prints requests per second, p50 and p99 of
each and the ratios. Targets: recommendations at a p50 at most 1.5 times the trivial endpoint's,
and at least 300 requests per second. Each learner's list is computed from their precomputed
one as a first visit's is, and not written to the result cache (see ``recommendations_for``).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from processes import cpu_seconds, idle_share, machine_times, service_pids, web_process

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SCRATCH_DB = "zhibo_bench_api"
RECOMMENDATIONS = "/api/v1/recommendations/?type=course&slot=home&limit=10"
TRIVIAL = "/api/v1/me/"
EVENTS = "/api/v1/events/"
EVENTS_PER_BATCH = 50
VACUUM = "from django.db import connection; connection.cursor().execute('VACUUM (ANALYZE)')"
FORGET_VERSIONS = (
    "from recommendations.models import ModelVersion; ModelVersion.objects.all().delete()"
)


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    client_cpu: float = 0.0  # this process's CPU seconds while loading
    server_cpu: float = 0.0  # the server's (all its workers')
    services_cpu: float = 0.0  # PostgreSQL's and Redis's

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu
        self.services_cpu += other.services_cpu

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


def model_kept(env: dict) -> bool:
    """Whether the scratch database's active model has its artefacts in this run's folder."""
    script = (
        "from pathlib import Path; from recommendations.models import ModelVersion; "
        "v = ModelVersion.objects.filter(status='active').first(); "
        "from recommendations.training.artefacts import model_cache; "
        "ok = v is not None and v.artefact_path and "
        "model_cache.get(v.pk, v.artefact_path) is not None; print('kept' if ok else 'gone')"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().endswith("kept")


def learner_tokens(env: dict, count: int) -> tuple[list[str], list[int]]:
    """Access tokens of ``count`` learners who have a precomputed list under the active model,
    and course ids for the event batches."""
    script = f"""
import json
from rest_framework_simplejwt.tokens import AccessToken
from django.contrib.auth import get_user_model
from courses.models import Course
from recommendations.models import ModelVersion
from recommendations.training.artefacts import model_cache
version = ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE)
user_ids = model_cache.get(version.pk, version.artefact_path).user_ids[:{count}].tolist()
users = get_user_model().objects.in_bulk(user_ids)
tokens = [str(AccessToken.for_user(users[pk])) for pk in user_ids if pk in users]
courses = list(Course.objects.published().values_list("pk", flat=True)[:500])
print(json.dumps({{"tokens": tokens, "courses": courses}}))
"""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    print(f"  {len(data['tokens'])} learners with a precomputed list", flush=True)
    if len(data["tokens"]) < count:
        raise SystemExit(f"Only {len(data['tokens'])} learners; seed a larger demo (--scale).")
    return data["tokens"], data["courses"]


def event_batch(courses: list[int], batch: int) -> bytes:
    """The ``batch``-th batch of ``EVENTS_PER_BATCH`` detail views and clicks of demo courses, each
    with its own event id."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps(
        {
            "client": "android",
            "events": [
                {
                    "client_event_id": str(uuid.uuid4()),
                    "type": "view" if i % 2 else "click",
                    "object_type": "course",
                    "object_id": courses[(batch * 7 + i) % len(courses)],
                    "client_ts": now,
                    "page": "bench",
                }
                for i in range(EVENTS_PER_BATCH)
            ],
        }
    ).encode()


def wait_until_up(port: int, token: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", TRIVIAL, headers={"Authorization": f"Bearer {token}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web process did not answer in time")


class Learners:
    """Hands out learners' tokens in turn, so each request of a round is a different learner."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self._next, self._lock = tokens, itertools.count(), threading.Lock()

    def take(self) -> str:
        with self._lock:
            return self.tokens[next(self._next) % len(self.tokens)]

    def restart(self) -> None:
        with self._lock:
            self._next = itertools.count()


class Connection:
    """One keep-alive HTTP/1.1 connection with as little client work per request as Python
    allows (the request's bytes made in one format, the response's status line and
    ``Content-Length`` read, nothing else parsed): the clients share the server's 2 cores, and
    ``http.client``'s header parsing took CPU the server should have."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, method: str, path: str, token: str, body: bytes | None) -> int:
        """Send one request, read its whole response; its status."""
        if self.sock is None:
            self.sock = self._connect()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            + (
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                if body is not None
                else ""
            )
            + "\r\n"
        )
        self.sock.sendall(head.encode() + (body or b""))
        buffer = self.buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            buffer += self._recv()
        headers = buffer[:end].lower()
        marker = headers.find(b"\r\ncontent-length:")
        if marker < 0:
            raise http.client.HTTPException("a response without Content-Length")
        length = int(headers[marker + 17 : headers.find(b"\r\n", marker + 2)])
        total = end + 4 + length
        while len(buffer) < total:
            buffer += self._recv()
        self.buffer = buffer[total:]
        return int(buffer[9:12])

    def _recv(self) -> bytes:
        data = self.sock.recv(262144)
        if not data:
            raise http.client.RemoteDisconnected("the server closed the connection")
        return data


def load(
    port: int,
    method: str,
    path: str,
    learners: Learners,
    *,
    threads: int,
    seconds: float,
    max_requests: int,
    per_connection: int = 10,
    body=None,
) -> Run:
    """``threads`` keep-alive clients sending ``method path`` for ``seconds`` (or
    ``max_requests``), each request as the next learner, ``per_connection`` requests on one
    connection; ``body()`` makes each request's body.

    A connection's requests all go to the worker that accepted it, and which one does is
    chance: eight connections held for a whole round were seen split 7 to 1 between the two
    workers, one worker then serving nearly everything while the machine stood 44% idle, and
    that round's figures were those of one core. Learners' phones each open connections of
    their own; a few requests on each spreads the load as their many connections do."""
    runs = [Run() for _ in range(threads)]
    budget = threading.Semaphore(max_requests)
    stop = time.perf_counter() + seconds
    wanted = 201 if method == "POST" else 200

    def client(run: Run) -> None:
        conn = Connection(port)
        for sent in itertools.count():
            if not (time.perf_counter() < stop and budget.acquire(blocking=False)):
                break
            if sent % per_connection == 0:
                conn.close()  # the next request on a new connection, given to either worker
            token = learners.take()
            payload = body() if body is not None else None
            started = time.perf_counter()
            try:
                ok = conn.exchange(method, path, token, payload) in (200, wanted)
            except (OSError, ValueError, http.client.HTTPException):
                conn.close()
                ok = False
            if ok:
                run.latencies.append(time.perf_counter() - started)
            else:
                run.errors += 1
        conn.close()

    started, cpu = time.perf_counter(), time.process_time()
    workers = [threading.Thread(target=client, args=(run,)) for run in runs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Run(seconds=time.perf_counter() - started)
    total.client_cpu = time.process_time() - cpu
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
    parser.add_argument("--scale", default="6", help="seed_demo --scale (2,000 learners per 1)")
    parser.add_argument(
        "--learners", type=int, default=10_000, help="distinct learners, each asked once"
    )
    parser.add_argument(
        "--server",
        choices=["uvicorn", "gunicorn"],
        default="uvicorn",
        help="uvicorn as production runs it (platform/Procfile), or gunicorn (WSGI, gthread)",
    )
    parser.add_argument("--workers", type=int, default=2, help="the server's worker processes")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--per-connection", type=int, default=10, help="requests on each client connection"
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database a --keep run left"
    )
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    media = tempfile.mkdtemp(prefix="zhibo-bench-api-")
    # A kept database keeps its model too, so --reuse measures without training again.
    kept_artefacts = ROOT / "var" / "bench-api-artefacts"
    if args.keep or args.reuse:
        kept_artefacts.mkdir(parents=True, exist_ok=True)
        artefacts = str(kept_artefacts)
    else:
        artefacts = tempfile.mkdtemp(prefix="zhibo-bench-api-artefacts-")
    if args.reuse:
        database_url = urlsplit(args.server_url)._replace(path=f"/{SCRATCH_DB}").geturl()
    else:
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
        "API_THROTTLE_EVENTS": "1000000/minute",
        "JWT_ACCESS_MINUTES": "120",
    }
    server = None
    try:
        print("Setting up the scratch database:", flush=True)
        manage(env, "migrate", "--noinput", "-v", "0")  # a kept database may predate a migration
        if not args.reuse:
            manage(env, "seed_demo", "--scale", args.scale)
        if args.reuse and model_kept(env):
            # The kept model's lists into this run's (flushed) Redis.
            manage(env, "recommender", "precompute", "--sync")
        else:
            manage(env, "shell", "-c", FORGET_VERSIONS)  # their artefacts are gone
            # Trains and precomputes every learner's lists into this run's (flushed) Redis.
            manage(env, "recommender", "train", "--sync", "--force")
        tokens, courses = learner_tokens(env, args.learners)
        # Tables and planner statistics as a long-running site's autovacuum keeps them, whatever
        # the seeding, the migrations or an earlier run (its event batches) left to do.
        manage(env, "shell", "-c", VACUUM)
        # Disjoint learners per endpoint: none of them meets what another request cached.
        recs_learners = Learners(tokens[0::2])
        trivial_learners = Learners(tokens[1::2])
        per_round = len(recs_learners.tokens) // args.rounds

        port = free_port()
        if args.server == "uvicorn":  # the Procfile's own web command, as production runs it
            command = web_process(
                env, port=port, workers=args.workers, options="--log-level warning --no-access-log"
            )
        else:
            command = [
                *[str(Path(PYTHON).with_name("gunicorn")), "config.wsgi:application"],
                *["--workers", str(args.workers), "--worker-class", "gthread", "--threads", "4"],
                *["--keep-alive", "30", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            ]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        wait_until_up(port, tokens[0])
        warm = Learners(tokens[:50])  # warm both workers' connections and imports
        for path in (TRIVIAL, RECOMMENDATIONS):
            load(port, "GET", path, warm, threads=args.threads, seconds=2, max_requests=200)

        batches = itertools.count()
        kinds = {
            "recommendations": ("GET", RECOMMENDATIONS, recs_learners, None),
            "me": ("GET", TRIVIAL, trivial_learners, None),
            "events": (
                "POST",
                EVENTS,
                Learners(tokens[1::2]),  # the trivial endpoint's: their lists stay untouched
                lambda: event_batch(courses, next(batches)),
            ),
        }
        totals = {name: Run() for name in kinds}
        # The two GET endpoints in alternating rounds, then the event batches: the rows these
        # insert set PostgreSQL's background work going (autovacuum, checkpoints), which would
        # otherwise fall on whichever side of the comparison came next.
        order = [name for name in kinds if name != "events"] * args.rounds
        order += ["events"] * args.rounds
        for name in order:
            method, path, learners, body = kinds[name]
            cpu, services, machine = cpu_seconds([server.pid]), service_pids(), machine_times()
            services_cpu = cpu_seconds(services)
            run = load(
                port,
                method,
                path,
                learners,
                threads=args.threads,
                seconds=args.seconds,
                max_requests=per_round,
                per_connection=args.per_connection,
                body=body,
            )
            run.server_cpu = cpu_seconds([server.pid]) - cpu
            run.services_cpu = cpu_seconds(services) - services_cpu
            idle = idle_share(machine)
            totals[name].add(run)
            print(
                f"  round: {name:<16}{run.rps:>6.0f} req/s, p50 {run.percentile(0.5):5.1f} ms, "
                f"server CPU {run.server_cpu / run.seconds:4.0%}, PostgreSQL + Redis "
                f"{run.services_cpu / run.seconds:4.0%}, machine idle {idle:4.0%}",
                flush=True,
            )
        report(totals, args, distinct=len(tokens))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            scratch_database(args.server_url, SCRATCH_DB, create=False)
            shutil.rmtree(artefacts, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
    return 0


def report(totals: dict[str, Run], args, *, distinct: int) -> None:
    trivial, recs, events = totals["me"], totals["recommendations"], totals["events"]
    server = (
        f"uvicorn {args.workers} workers (the Procfile's web command)"
        if args.server == "uvicorn"
        else f"gunicorn {args.workers} workers (gthread x4)"
    )
    print(
        f"\n{server}, {args.threads} clients ({args.per_connection} requests a connection), "
        f"{args.rounds} alternating rounds of up to {args.seconds:g} s, PostgreSQL + Redis, "
        f"seed_demo --scale {args.scale}, {distinct} distinct learners (none asked twice for "
        f"a list), {os.cpu_count()} CPUs"
    )
    print(
        f"{'request':<64}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'server CPU':>11}{'client CPU':>11}{'PG+Redis CPU':>13}"
    )
    rows = [
        (f"GET {RECOMMENDATIONS}", recs),
        (f"GET {TRIVIAL}", trivial),
        (f"POST {EVENTS} ({EVENTS_PER_BATCH} events a batch)", events),
    ]
    for label, run in rows:
        print(
            f"{label:<64}{run.rps:>9.0f}{run.percentile(0.5):>9.1f}"
            f"{run.percentile(0.99):>9.1f}{run.errors:>8}"
            f"{run.server_cpu / run.seconds:>11.0%}{run.client_cpu / run.seconds:>11.0%}"
            f"{run.services_cpu / run.seconds:>13.0%}"
        )
    print(
        f"\nrecommendations / me: p50 x{recs.percentile(0.5) / trivial.percentile(0.5):.2f} "
        f"(target <= 1.5), p99 x{recs.percentile(0.99) / trivial.percentile(0.99):.2f}, "
        f"throughput x{recs.rps / trivial.rps:.2f}"
    )
    print(f"recommendations: {recs.rps:.0f} req/s (target >= 300)")
    print(
        f"events: {events.rps * EVENTS_PER_BATCH:.0f} events/s in batches of {EVENTS_PER_BATCH}, "
        f"p50 x{events.percentile(0.5) / trivial.percentile(0.5):.2f} of me"
    )


if __name__ == "__main__":
    sys.exit(main())
