"""Experiments run on the recommender tests' small world of two topics."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.models import Assignment, Event, Experiment, Exposure, ModelVersion, Variant
from recommendations.services import training
from recommendations.services.experiments import experiment_start
from recommendations.services.trending import trending_refresh
from tests.factories import UserFactory
from tests.recommender.conftest import fast_training, world  # noqa: F401 (fixtures)


@pytest.fixture
def trained(world, fast_training, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        version = training.model_train(force=True)
    assert version.status == ModelVersion.Status.ACTIVE
    trending_refresh()
    return version


def make_experiment(*, key="als-vs-popularity", slots="home", metric="click_through", arms=None):
    """A draft experiment with a popularity control and an ALS treatment, half and half."""
    experiment = Experiment.objects.create(key=key, slots=slots, primary_metric=metric)
    for name, is_control, share, family in arms or [
        ("popularity", True, 50, Variant.Family.POPULARITY),
        ("als", False, 50, Variant.Family.ALS),
    ]:
        Variant.objects.create(
            experiment=experiment, name=name, is_control=is_control, share=share, family=family
        )
    return experiment


@pytest.fixture
def running(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return experiment_start(experiment=make_experiment())


def expose(
    experiment,
    variant_name,
    *,
    learners,
    clicks=0,
    not_interested=0,
    bought=0,
    bought_late=0,
    latency_ms=20.0,
):
    """``learners`` exposed to ``variant_name``: the first ``clicks`` clicked a card, the next
    ``not_interested`` dismissed one; the first ``bought`` bought within 7 days, the next
    ``bought_late`` after 8 days."""
    variant = experiment.variants.get(name=variant_name)
    users = UserFactory.create_batch(learners)
    start = timezone.now() - timedelta(days=10)
    exposures, events = [], []
    for i, user in enumerate(users):
        Assignment.objects.create(
            experiment=experiment, variant=variant, user=user, assigned_at=start
        )
        request_id = uuid.uuid4()
        exposures.append(
            Exposure(
                experiment=experiment,
                variant=variant,
                user=user,
                request_id=request_id,
                slot="home",
                item_type="course",
                served_at=start,
                latency_ms=latency_ms,
            )
        )
        kinds = (
            ["impression"]
            + (["click"] if i < clicks else [])
            + (["not_interested"] if clicks <= i < clicks + not_interested else [])
        )
        for kind in kinds:
            events.append(
                Event(
                    user=user,
                    event_type=kind,
                    object_type="course",
                    object_id=1,
                    request_id=request_id,
                    client="web",
                    client_ts=start,
                    server_ts=start,
                )
            )
        if i < bought + bought_late:
            at = start + (timedelta(days=2) if i < bought else timedelta(days=8))
            events.append(
                Event(
                    user=user,
                    event_type="purchase",
                    object_type="course",
                    object_id=1,
                    client="server",
                    client_ts=at,
                    server_ts=at,
                )
            )
    Exposure.objects.bulk_create(exposures)
    Event.objects.bulk_create(events)
