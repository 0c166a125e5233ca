"""A Redis server of the test's own, that the test can stop: the cache of these tests.

The machine's Redis is shared and must never be stopped, so each test here starts a
``redis-server`` on a free port (no persistence), points the cache at it, and stops it when it
wants the cache to go away; the server is killed at teardown whatever happened.
"""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.conftest import IN_CI

# The recommender's small world and quick training, for the tests that serve a trained model.
from tests.recommender.conftest import fast_training, world  # noqa: F401

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    port: int
    folder: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server again, on the same port, empty (as after a restart)."""
        self.stop()
        self.process = _start(self.port, self.folder)

    def stop(self) -> None:
        """Stop the server, as when Redis goes down; its data is gone with it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _start(port: int, folder) -> subprocess.Popen:
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server did not start on port {port}", pytrace=False)
            time.sleep(0.05)
        finally:
            client.close()


@pytest.fixture
def redis_server(tmp_path):
    """A running Redis server of this test's own; ``stop()`` it to take the cache away."""
    if not shutil.which(REDIS_SERVER):
        if IN_CI:
            pytest.fail("redis-server is not installed, and CI=true requires it", pytrace=False)
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = RedisServer(port=port, folder=tmp_path, process=_start(port, tmp_path))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_cache(settings, redis_server):
    """The site's cache on ``redis_server``, configured as in production."""
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "zhibo",
        }
    }
    return redis_server
