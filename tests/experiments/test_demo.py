"""The demo's A/B experiment, run end to end on the recommender tests' small world."""

import json

import pytest
from django.core.management import CommandError, call_command

from recommendations.models import Assignment, Event, Experiment, Exposure, ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def interests(world, settings):
    """The world's fans, with all their interest on their topic (Python fans; the cooking tag
    maps to no demo topic, so its fans have none)."""
    path = settings.VAR_DIR / "demo" / "latent-interests.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    latent = {u.username: {"python": 1.0} for u in world.python_fans}
    latent |= {u.username: {} for u in world.cooking_fans}
    path.write_text(json.dumps(latent))
    return latent


def test_the_demo_runs_an_experiment_through_serving_and_the_event_service(
    trained, interests, capsys
):
    call_command("experiment_demo", "--learners", "24", "--rounds", "2", "--seed", "3")
    out = capsys.readouterr().out
    experiment = Experiment.objects.get(key="demo-als-vs-popularity")
    assert experiment.status == "running"
    assert Assignment.objects.filter(experiment=experiment).count() == 24
    assert Exposure.objects.filter(experiment=experiment).count() == 48
    exposed = Exposure.objects.values_list("request_id", flat=True)
    assert Event.objects.filter(event_type="impression", request_id__in=exposed).count() > 48
    assert "24 learners, 48 lists" in out and "Results page: /admin/" in out
    # A second run starts afresh.
    call_command("experiment_demo", "--learners", "4", "--rounds", "1", verbosity=0)
    assert Assignment.objects.count() == 4


def test_the_demo_says_what_is_missing(world, fast_training, settings, interests):
    with pytest.raises(CommandError, match="No active model"):
        call_command("experiment_demo")
    assert not ModelVersion.objects.exists()
    (settings.VAR_DIR / "demo" / "latent-interests.json").unlink()
    with pytest.raises(CommandError, match="No latent interests"):
        call_command("experiment_demo")
    with pytest.raises(CommandError, match="--learners must be"):
        call_command("experiment_demo", "--learners", "1")
