"""Experiments run on the recommender tests' small world of two topics."""

import pytest

from recommendations.models import Experiment, ModelVersion, Variant
from recommendations.services import training
from recommendations.services.experiments import experiment_start
from recommendations.services.trending import trending_refresh
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
