"""One training at a time, even across processes, and a dead worker's lock does not block for
ever."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from recommendations.models import ModelVersion
from recommendations.services import training
from recommendations.training.lock import training_lock

ROOT = Path(__file__).resolve().parents[2]
HOLD_LOCK = (
    "import django, time; django.setup();"
    "from recommendations.training.lock import training_lock;"
    "cm = training_lock(); held = cm.__enter__(); print('held' if held else 'busy', flush=True);"
    "time.sleep(60)"
)


def _holder(env_extra: dict) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env_extra}
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    return process


def _held_elsewhere() -> bool:
    with training_lock() as held:
        return not held


def test_a_killed_workers_file_lock_is_released_at_once(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    holder = _holder({"REDIS_URL": "", "DJANGO_VAR_DIR": str(tmp_path)})
    try:
        assert _held_elsewhere()  # the live worker holds it
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        holder.kill()
    assert not _held_elsewhere()


def test_a_killed_workers_redis_lock_expires(redis_url, settings):
    settings.REDIS_URL = redis_url
    settings.RECOMMENDER_TRAINING_LOCK_SECONDS = 2
    holder = _holder({"REDIS_URL": redis_url, "RECOMMENDER_TRAINING_LOCK_SECONDS": "2"})
    try:
        assert _held_elsewhere()  # the live worker holds it
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert _held_elsewhere()  # dead, but the lock has not expired yet
        time.sleep(2.5)
        assert not _held_elsewhere()
    finally:
        holder.kill()


@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_retrains_one_runs(
    postgres, redis_url, world, fast_training, monkeypatch
):
    fast_training.REDIS_URL = redis_url
    original = training._train_locked
    started = threading.Event()

    def slow_train(**kwargs):
        started.set()
        time.sleep(1.0)  # keep the lock while the other one tries
        return original(**kwargs)

    monkeypatch.setattr(training, "_train_locked", slow_train)
    outcomes = []

    def retrain():
        try:
            outcomes.append(training.model_train(force=True).status)
        except training.TrainingBusy:
            outcomes.append("busy")
        finally:
            connection.close()

    first = threading.Thread(target=retrain)
    first.start()
    started.wait(timeout=10)
    second = threading.Thread(target=retrain)
    second.start()
    first.join()
    second.join()
    assert sorted(outcomes) == sorted([ModelVersion.Status.ACTIVE, "busy"])
    assert ModelVersion.objects.count() == 1
