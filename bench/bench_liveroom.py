"""Fan-out of one live room: N WebSocket viewers, 20 messages a second posted, on the web
process as production runs it (uvicorn, two workers) with the channels-redis layer (pub/sub).

    .venv/bin/python bench/bench_liveroom.py                       # 100, 250, 500, 1000 viewers
    .venv/bin/python bench/bench_liveroom.py --viewers 100 1000 --seconds 10
    .venv/bin/python bench/bench_liveroom.py --server daphne --processes 1   # as runserver

Creates a scratch PostgreSQL database (``zhibo_bench_liveroom``, dropped first if it exists),
migrates it, creates a live session and its instructor, and starts the server (DEBUG off,
``REDIS_URL`` set: the RedisPubSubChannelLayer and the Redis cache) on loopback: the Procfile's
web command (uvicorn) with
``--processes`` workers on one port, or that many daphne processes on a port each (viewers
spread over them as a load balancer would). For each room size, this process opens that many
WebSocket connections to ``/ws/lives/<id>/`` (the ``websockets`` package, one asyncio loop),
waits until every one has its ``hello``, then twenty signed-in learners, taking turns, post
``--rate`` messages a second for ``--seconds``. Each message carries its send time; every
viewer notes when it arrives. Prints, per room size: the fan-out latency (post -> received by
every viewer) p50 and p99, the latency of single deliveries p50 and p99, the messages
delivered per second, the server's CPU time per posted message (whose growth from the smallest
to the largest room is the broadcast's cost per viewer), and how busy the server's processes
and the viewers' process were.

The viewers' process shares the machine with the server, Redis and PostgreSQL: on 2 cores the
figures include the clients' own parsing of every delivery.
"""

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import websockets
from processes import cpu_seconds, web_process

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DATABASE = "zhibo_bench_liveroom"
SETUP = """
from datetime import timedelta
from django.test import Client
from django.utils import timezone
from courses.models import Instructor, LiveSession
from accounts.models import User
user = User.objects.create_user("bench-teacher", password="x" * 12)
instructor = Instructor.objects.create(user=user, display_name="压测讲师", slug="bench-teacher")
now = timezone.now()
live = LiveSession.objects.create(
    instructor=instructor, title="压测直播", slug="bench-live", status="live",
    scheduled_start=now - timedelta(minutes=5), scheduled_end=now + timedelta(hours=3),
)
keys = []
for n in range(20):
    learner = User.objects.create_user(f"bench-learner-{n}", password="x" * 12)
    client = Client()
    client.force_login(learner)
    keys.append(client.cookies["sessionid"].value)
print(live.pk, ",".join(keys))
"""


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start (var/bench-liveroom-server.log)")


def prepare(env: dict, postgres: str) -> tuple[int, str]:
    host = urllib.parse.urlsplit(postgres)
    psql = ["-h", host.hostname or "127.0.0.1", "-p", str(host.port or 5432)]
    psql += ["-U", host.username or "postgres"]
    subprocess.run(["dropdb", *psql, "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", *psql, DATABASE], check=True)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[-2]), out[-1].split(",")


class Viewers:
    def __init__(self):
        self.arrivals: dict[int, list[float]] = {}
        self.ready = 0
        self.retries = 0
        self.sockets = []

    async def watch(self, uri: str, origin: str) -> None:
        for attempt in range(5):  # a refused handshake is tried again, as the page does
            try:
                ws = await websockets.connect(
                    uri, origin=origin, max_queue=None, open_timeout=120, ping_interval=None
                )
            except (OSError, websockets.exceptions.WebSocketException):
                self.retries += 1
                await asyncio.sleep(1 + attempt)
                continue
            self.sockets.append(ws)
            await ws.recv()  # hello
            self.ready += 1
            # Until the socket is closed at the end: as cheap a reader as a viewer can be, so
            # the figures are the server's more than this process's.
            with contextlib.suppress(websockets.exceptions.ConnectionClosed):
                async for raw in ws:
                    if "bench " not in raw:  # the counts' ticks
                        continue
                    now = time.time()
                    frame = json.loads(raw)  # one event, or several in one frame
                    for event in frame if isinstance(frame, list) else [frame]:
                        if event["type"] == "message":
                            text = event["message"]["text"]
                            if text.startswith("bench "):
                                self.arrivals.setdefault(int(text.split()[1]), []).append(now)
            return


async def drain(ws) -> None:
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        async for _raw in ws:
            pass


async def one_room(args, live_id: int, cookies: list[str], viewers_count: int) -> dict:
    # Viewers and posters spread over the server's ports as a load balancer would.
    uris = [f"ws://127.0.0.1:{port}/ws/lives/{live_id}/" for port in args.ports]
    origin = f"http://127.0.0.1:{args.ports[0]}"
    viewers = Viewers()
    tasks = []
    for start in range(0, viewers_count, 50):  # connect in batches, as a crowd arrives
        for n in range(start, min(start + 50, viewers_count)):
            tasks.append(asyncio.create_task(viewers.watch(uris[n % len(uris)], origin)))
        await asyncio.sleep(0.5)
    deadline = time.monotonic() + 120
    while viewers.ready < viewers_count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert viewers.ready == viewers_count, f"only {viewers.ready} viewers joined"
    await asyncio.sleep(2)  # the join's viewer-count ticks settle
    sent: dict[int, float] = {}
    posters = [
        await websockets.connect(
            uris[n % len(uris)], origin=origin, additional_headers={"Cookie": f"sessionid={cookie}"}
        )
        for n, cookie in enumerate(cookies)
    ]
    for poster in posters:
        await poster.recv()
    # The posters are in the room too: they read what it says (unread, their sockets would fill
    # and make the server buffer for them).
    drains = [asyncio.create_task(drain(poster)) for poster in posters]
    cpu_before, started = cpu_seconds(args.server_pids), time.monotonic()
    own_before = time.process_time()
    total = int(args.rate * args.seconds)
    for seq in range(total):  # learners take turns: each posts rate / len(posters) a second
        target = started + seq / args.rate
        await asyncio.sleep(max(0.0, target - time.monotonic()))
        sent[seq] = time.time()
        await posters[seq % len(posters)].send(
            json.dumps({"type": "message", "text": f"bench {seq} {sent[seq]:.6f}"})
        )
    await asyncio.sleep(3)  # the last messages arrive
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(args.server_pids) - cpu_before
    own = time.process_time() - own_before
    for poster in posters:
        await poster.close()
    await asyncio.gather(*drains, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in viewers.sockets), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    deliveries = [t - sent[seq] for seq, times in viewers.arrivals.items() for t in times]
    complete = [
        max(times) - sent[seq]
        for seq, times in viewers.arrivals.items()
        if len(times) == viewers_count
    ]
    return {
        "viewers": viewers_count,
        "retries": viewers.retries,
        "posted": total,
        "complete": len(complete),
        "fanout_p50": pct(complete, 50),
        "fanout_p99": pct(complete, 99),
        "delivery_p50": pct(deliveries, 50),
        "delivery_p99": pct(deliveries, 99),
        "delivered_per_s": len(deliveries) / elapsed,
        "cpu_ms_per_message": 1000 * cpu / total,
        "server_busy": cpu / elapsed,
        "viewers_busy": own / elapsed,
    }


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[100, 250, 500, 1000])
    parser.add_argument("--rate", type=float, default=20.0, help="messages posted per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--server",
        choices=["uvicorn", "daphne"],
        default="uvicorn",
        help="uvicorn as production runs it (platform/Procfile), or daphne as runserver does",
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="server processes (daphne: one port each)"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{DATABASE}",
        "REDIS_URL": args.redis,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "LIVEROOM_HISTORY": "20",
        "LIVEROOM_RATE_MESSAGES": "1000",  # 20 learners post a message a second each
    }
    live_id, cookies = prepare(env, args.postgres)
    (ROOT / "var").mkdir(exist_ok=True)  # a fresh checkout has none
    log = (ROOT / "var" / "bench-liveroom-server.log").open("w")
    if args.server == "uvicorn":  # one port; its workers share the listening socket
        # The Procfile's own web command (loopback only), so the bench runs what production runs.
        quiet = "--log-level warning --ws-ping-interval 0 --no-access-log"
        commands = [web_process(env, port=args.port, workers=args.processes, options=quiet)]
        args.ports = [args.port]
    else:  # daphne serves from one process: one per port, as behind a load balancer
        args.ports = [args.port + n for n in range(args.processes)]
        commands = [
            [
                *[PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)],
                # a crowd arriving at once waits for its hello longer than the default 5 s
                *["--websocket_connect_timeout", "60", "config.asgi:application"],
            ]
            for port in args.ports
        ]
    servers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for command in commands
    ]
    args.server_pids = [server.pid for server in servers]
    try:
        for port in args.ports:
            wait_for_port(port)
        results = [asyncio.run(one_room(args, live_id, cookies, n)) for n in args.viewers]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # thousands of connections closing: stop it
                server.kill()
                server.wait()
    print(
        f"\nOne room, {args.rate:g} messages/s for {args.seconds:g} s, {args.server} "
        f"{args.processes} process(es), "
        f"channels-redis pub/sub, {os.cpu_count()} cores shared with the viewers' process\n"
    )
    print(
        f"{'viewers':>8} {'fan-out p50':>12} {'fan-out p99':>12} {'deliv. p50':>11} "
        f"{'deliv. p99':>11} {'delivered/s':>12} {'complete':>9} {'CPU ms/msg':>11} "
        f"{'server CPU':>10} {'viewers CPU':>11}"
    )
    for r in results:
        print(
            f"{r['viewers']:>8} {r['fanout_p50']:>10.0f}ms {r['fanout_p99']:>10.0f}ms "
            f"{r['delivery_p50']:>9.0f}ms {r['delivery_p99']:>9.0f}ms "
            f"{r['delivered_per_s']:>12.0f} {r['complete']:>4}/{r['posted']:<4} "
            f"{r['cpu_ms_per_message']:>11.1f} {r['server_busy']:>9.0%} {r['viewers_busy']:>11.0%}"
            + (f"  ({r['retries']} joins tried again)" if r["retries"] else "")
        )
    first, last = results[0], results[-1]
    if len(results) > 1:
        print(
            f"\nbroadcast cost: {last['cpu_ms_per_message'] / first['cpu_ms_per_message']:.1f}x "
            f"the CPU per message for {last['viewers'] / first['viewers']:.0f}x the viewers "
            f"({first['viewers']} -> {last['viewers']})"
        )


if __name__ == "__main__":
    sys.exit(main())
