"""Home page latency for a signed-in learner, beside a static file served by the same server.

    .venv/bin/python bench/bench_home.py

Creates a scratch PostgreSQL database (``zhibo_bench_home``, dropped first if it exists), seeds it
with ``manage.py seed_demo --scale 0.2``, collects the static files, and starts gunicorn with two
workers on 127.0.0.1 (DEBUG off, Redis as the cache). It signs in as a demo learner, warms the
caches, then a second process sends bounded request loops on loopback: for each round, the same
number of requests, interleaved, for the home page, a static file (``/static/css/site.css``,
served by WhiteNoise before any view runs) and a static-like page (the page explaining
recommendations: a template with no database read beyond the session and user, through the
same middleware as the home page), from concurrent threads (one per worker by default, so the
latency is server time rather than queueing). Prints p50 and p99 latency of each and the
ratios of the home page to both. Target: the home page within 2x of the static page.

Options: ``--rounds``, ``--requests`` (per round and URL), ``--concurrency``, ``--port``,
``--postgres`` (a server URL without database name), ``--redis``.
"""

import argparse
import http.client
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DATABASE = "zhibo_bench_home"
LEARNER, PASSWORD = "learner0001", "zhibo-admin"
STATIC = "/static/css/site.css"
STATIC_LIKE = "/how-recommendations-work/"
URLS = (("home", "/"), ("static", STATIC), ("page", STATIC_LIKE))


def run(*args, env):
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env, postgres: str) -> None:
    host = urllib.parse.urlsplit(postgres)
    psql = ["-h", host.hostname or "127.0.0.1", "-p", str(host.port or 5432)]
    psql += ["-U", host.username or "postgres"]
    subprocess.run(["dropdb", *psql, "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", *psql, DATABASE], check=True)
    run(PYTHON, "manage.py", "migrate", "--noinput", env=env)
    run(PYTHON, "manage.py", "seed_demo", "--scale", "0.2", env=env)
    run(PYTHON, "manage.py", "collectstatic", "--noinput", env=env)


def request(port: int, path: str, cookies: dict[str, str], method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    all_headers.update(headers or {})
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    content = response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    connection.close()
    return response.status, content


def sign_in(port: int) -> dict[str, str]:
    cookies: dict[str, str] = {}
    _status, page = request(port, "/accounts/login/", cookies)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    body = urllib.parse.urlencode(
        {"username": LEARNER, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    status, _ = request(
        port,
        "/accounts/login/",
        cookies,
        method="POST",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    if status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"Could not sign in as {LEARNER} (status {status}).")
    return cookies


def load(port, cookies, rounds, per_round, concurrency, results) -> None:
    """The second process: bounded loops, home and static interleaved, from a few threads."""
    timings = {name: [] for name, _path in URLS}
    lock = threading.Lock()

    def worker(n: int) -> None:
        own = dict(cookies)
        mine = {name: [] for name, _path in URLS}
        for i in range(n):
            for name, path in URLS[:: 1 if i % 2 else -1]:
                start = time.perf_counter()
                status, _ = request(port, path, own)
                elapsed = time.perf_counter() - start
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                mine[name].append(elapsed)
        with lock:
            for name in timings:
                timings[name] += mine[name]

    for _ in range(rounds):
        threads = [
            threading.Thread(target=worker, args=(per_round // concurrency,))
            for _ in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    results.update(timings)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400, help="per round and URL")
    parser.add_argument("--concurrency", type=int, default=2, help="one per gunicorn worker")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    env = dict(
        os.environ,
        DATABASE_URL=f"{args.postgres.rstrip('/')}/{DATABASE}",
        REDIS_URL=args.redis,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_LOG_LEVEL="WARNING",
        CELERY_TASK_ALWAYS_EAGER="true",
    )
    print("Preparing the scratch database (seed_demo --scale 0.2)…", flush=True)
    prepare(env, args.postgres)
    subprocess.run(["redis-cli", "-u", args.redis, "FLUSHDB"], stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [GUNICORN, "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{args.port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                request(args.port, STATIC, {})
                break
            except OSError:
                time.sleep(0.1)
        cookies = sign_in(args.port)
        for _ in range(20):  # warm both workers' connections and the cached sections
            request(args.port, "/", dict(cookies))
            request(args.port, STATIC, {})
            request(args.port, STATIC_LIKE, dict(cookies))
        with multiprocessing.Manager() as manager:
            results = manager.dict()
            loader = multiprocessing.Process(
                target=load,
                args=(args.port, cookies, args.rounds, args.requests, args.concurrency, results),
            )
            loader.start()
            loader.join()
            timings = dict(results)
    finally:
        server.terminate()
        server.wait()

    home = timings["home"]
    print(
        f"gunicorn 2 workers, PostgreSQL + Redis, {args.concurrency} concurrent clients, "
        f"{len(home)} requests per URL"
    )
    labels = {"home": "home (signed in)", "static": STATIC, "page": STATIC_LIKE}
    print(f"{'':>36} {'p50 ms':>8} {'p99 ms':>8}")
    for name, _path in URLS:
        p50, p99 = percentile(timings[name], 50), percentile(timings[name], 99)
        print(f"{labels[name]:>36} {p50 * 1000:8.2f} {p99 * 1000:8.2f}")
    for name in ("static", "page"):
        p50 = percentile(home, 50) / percentile(timings[name], 50)
        p99 = percentile(home, 99) / percentile(timings[name], 99)
        print(f"{'ratio home / ' + labels[name]:>36} {p50:8.2f} {p99:8.2f}")
    print("target: home within 2x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
