"""The results: the metric per variant, the difference to the control, guardrails and the
decision, on exposures and events stored directly."""

import pytest

from recommendations.models import Experiment, Variant
from recommendations.services.experiment_results import experiment_look
from tests.experiments.conftest import expose, make_experiment

pytestmark = pytest.mark.django_db


def by_name(results):
    return {r.variant.name: r for r in results.variants}


def test_a_clear_difference_is_called_and_stays_called():
    experiment = make_experiment()
    expose(experiment, "popularity", learners=300, clicks=30)
    expose(experiment, "als", learners=300, clicks=90)
    results = experiment_look(experiment=experiment)
    control, als = by_name(results)["popularity"], by_name(results)["als"]
    assert (control.learners, control.successes, control.rate) == (300, 30, 0.1)
    assert als.rate == pytest.approx(0.3) and als.difference == pytest.approx(0.2)
    assert als.interval.contains(0.3) and control.interval.contains(0.1)
    assert als.valid_interval.low > 0 and als.fixed_interval.low > als.valid_interval.low
    assert als.p_value < 0.05 and als.verdict == "Better than the control"
    assert "“als” beats the control" in results.decision and results.outcome == "winner"
    assert (als.impressions, als.clicks, als.card_ctr) == (300, 90, 0.3)
    # More learners who erase the difference do not take back the call: the p-value is kept.
    expose(experiment, "popularity", learners=300, clicks=150)
    again = by_name(experiment_look(experiment=experiment))["als"]
    assert again.p_value == als.p_value
    assert Variant.objects.get(name="als").always_valid_p == als.p_value


def test_no_winner_is_called_without_evidence():
    experiment = make_experiment()
    expose(experiment, "popularity", learners=100, clicks=10)
    expose(experiment, "als", learners=100, clicks=14)
    results = experiment_look(experiment=experiment)
    als = by_name(results)["als"]
    # A naive one-look interval would already be close; the always-valid one is wider.
    assert als.valid_interval.contains(0.0) and als.p_value > 0.05
    assert als.verdict == "No winner yet"
    assert results.decision.startswith("No winner may be called yet")


def test_a_loss_is_called_as_a_loss():
    experiment = make_experiment()
    expose(experiment, "popularity", learners=300, clicks=90)
    expose(experiment, "als", learners=300, clicks=20)
    results = experiment_look(experiment=experiment)
    assert by_name(results)["als"].verdict == "Worse than the control"
    assert results.decision.startswith("No variant beats the control")


def test_the_planned_sample_ends_an_experiment_without_a_winner():
    experiment = make_experiment()
    Experiment.objects.filter(pk=experiment.pk).update(planned_learners=50)
    experiment.refresh_from_db()
    expose(experiment, "popularity", learners=50, clicks=5)
    expose(experiment, "als", learners=50, clicks=5)
    assert experiment_look(experiment=experiment).decision.startswith("The planned sample")


def test_purchases_count_within_seven_days_of_the_first_exposure():
    experiment = make_experiment(metric=Experiment.Metric.PURCHASE_7D)
    expose(experiment, "popularity", learners=20, bought=2, bought_late=5)
    expose(experiment, "als", learners=20, bought=4)
    results = by_name(experiment_look(experiment=experiment))
    assert (results["popularity"].successes, results["als"].successes) == (2, 4)


def test_guardrails_are_reported():
    experiment = make_experiment()
    expose(experiment, "popularity", learners=40, clicks=4)
    expose(experiment, "als", learners=40, clicks=4, not_interested=10, latency_ms=900.0)
    results = experiment_look(experiment=experiment)
    als = by_name(results)["als"]
    assert als.not_interested_rate == 0.25 and als.latency_p95_ms == 900.0
    assert len(als.guardrails) == 2 and not by_name(results)["popularity"].guardrails
    assert results.decision.startswith("Guardrail breached by als")
    assert results.outcome == "guardrail"


def test_an_experiment_without_exposures_or_a_control_says_so():
    experiment = make_experiment()
    results = experiment_look(experiment=experiment)
    assert all(r.learners == 0 and r.latency_p95_ms is None for r in results.variants)
    Variant.objects.filter(experiment=experiment).update(is_control=False)
    assert experiment_look(experiment=experiment).decision == "The experiment has no control."
