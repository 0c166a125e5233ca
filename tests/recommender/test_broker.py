"""The pipeline through the real broker and a real worker process: the retrain task goes to the
``training`` queue on Redis, the model it trains becomes active, its lists are precomputed by
chunk tasks into Redis, and the service answers from them."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from config.celery_app import app
from recommendations import tasks
from recommendations.models import ModelVersion
from recommendations.services.serving import list_cache_key, recommendations_for
from tests.recommender.conftest import artefacts_in

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def _start_worker(queues: str, *, redis_url: str, folder: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "RECOMMENDER_ARTEFACTS_ROOT": str(folder / "artefacts"),
        "RECOMMENDER_TUNE_FIRST_MODEL": "false",
        "RECOMMENDER_HOLDOUT_DAYS": "1",
        # The small world's parameters (see conftest.fast_training).
        "RECOMMENDER_ALS_PARAMS": json.dumps(
            {"factors": 4, "regularization": 0.1, "alpha": 10.0, "iterations": 15}
        ),
    }
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker"]
    command += ["--queues", queues, "--pool", "solo", "--loglevel", "WARNING"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_for(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.5)


def _retrain_through(redis_url: str) -> None:
    with app.connection_for_write(redis_url) as broker:
        tasks.train_model.apply_async(connection=broker)
    _wait_for(lambda: ModelVersion.objects.exclude(status=ModelVersion.Status.TRAINING).exists())


@pytest.mark.django_db(transaction=True)
def test_the_retrain_task_reaches_a_worker_that_listens_only_to_the_training_queue(
    postgres, redis_url, world, tmp_path
):
    worker = _start_worker("training", redis_url=redis_url, folder=tmp_path)
    try:
        _retrain_through(redis_url)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    version = ModelVersion.objects.first()
    assert version is not None, f"no worker ran the task; worker said:\n{output}"
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    assert version.task_id  # the run knows which task message it came from


@pytest.mark.django_db(transaction=True)
def test_events_to_personal_lists_end_to_end_with_a_worker(
    postgres, redis_url, world, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = artefacts_in(settings, tmp_path / "artefacts")  # the worker's
    newcomer = world.cooking_fans[0]
    worker = _start_worker("training,default", redis_url=redis_url, folder=tmp_path)
    try:
        _retrain_through(redis_url)
        version = ModelVersion.objects.get()
        assert version.status == ModelVersion.Status.ACTIVE, version.error
        key = list_cache_key(version.pk, newcomer.pk, "course")
        _wait_for(lambda: cache.get(key) is not None, seconds=60)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert cache.get(key) is not None, f"lists were not precomputed; worker said:\n{output}"
    result = recommendations_for(user=newcomer, item_type="course", k=4)
    assert result.source == "model"
    titles = [item.object.title for item in result.items]
    assert sum(title.startswith("烹饪") for title in titles) >= 3, titles
