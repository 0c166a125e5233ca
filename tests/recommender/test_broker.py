"""Training through the real broker: the retrain task is published to the ``training`` queue on
Redis, a separate worker process that listens only to that queue picks it up, and the model it
trains becomes active."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery_app import app
from recommendations import tasks
from recommendations.models import ModelVersion

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_retrain_task_reaches_a_training_worker_through_redis(
    postgres, redis_url, world, tmp_path
):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_MEDIA_ROOT": str(tmp_path),
        "RECOMMENDER_TUNE_FIRST_MODEL": "false",
        "RECOMMENDER_HOLDOUT_DAYS": "1",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "--queues",
            "training",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with app.connection_for_write(redis_url) as broker:
            tasks.train_model.apply_async(connection=broker)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not ModelVersion.objects.exists():
            time.sleep(0.5)
        while (
            time.monotonic() < deadline
            and ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exists()
        ):
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    version = ModelVersion.objects.first()
    assert version is not None, f"no worker ran the task; worker said:\n{output}"
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    assert version.task_id  # the run knows which task message it came from
