"""Periodic recommender tasks. Each is a thin call of a service; ids in, never objects.

Training runs on its own queue (``training``), one at a time under the training lock, with
``acks_late`` so a worker that dies mid-run leaves the message to be redelivered (the broker's
visibility timeout is longer than the task's time limit); the orphaned ``training`` row of the
dead run is marked failed by the next run, and the active model keeps serving throughout.
"""

import logging

from celery import group, shared_task
from django.conf import settings

from recommendations.models import ModelVersion
from recommendations.services import serving, training
from recommendations.services.profiles import interests_derive
from recommendations.services.trending import trending_refresh

logger = logging.getLogger(__name__)

PRECOMPUTE_CHUNK = 1000


def _train(task, *, tune: bool | None) -> int | None:
    try:
        version = training.model_train(tune=tune, task_id=task.request.id or "")
    except training.TrainingBusy:
        logger.info("Training skipped: another run holds the lock")
        return None
    return version.pk


@shared_task(bind=True, acks_late=True)
def train_model(self) -> int | None:
    """Retrain on the latest events with the current hyper-parameters (hourly); the first model
    of a site is tuned."""
    return _train(self, tune=None)


@shared_task(bind=True, acks_late=True)
def train_tuned_model(self) -> int | None:
    """Search hyper-parameters with ``fit_best`` and train with the best (daily)."""
    return _train(self, tune=True)


@shared_task
def precompute_recommendations(version_id: int) -> int:
    """Fan the active version's users out to chunk tasks: more workers finish sooner."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None or version.status != ModelVersion.Status.ACTIVE:
        return 0
    chunks = [
        precompute_chunk.s(version_id, start, min(start + PRECOMPUTE_CHUNK, version.n_users))
        for start in range(0, version.n_users, PRECOMPUTE_CHUNK)
    ]
    if chunks:
        group(chunks).apply_async()
    return len(chunks)


@shared_task(acks_late=True)
def precompute_chunk(version_id: int, start: int, stop: int) -> int:
    return serving.precompute_for_users(version_id=version_id, user_rows=range(start, stop))


@shared_task
def derive_interest_tags() -> int:
    return interests_derive()


@shared_task
def refresh_trending() -> dict:
    return trending_refresh()


@shared_task
def cleanup_model_artefacts() -> list[int]:
    return training.artefacts_cleanup(keep=settings.RECOMMENDER_KEEP_VERSIONS)
