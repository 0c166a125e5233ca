"""Who is in an experiment, in which variant, and what serving does with it."""

from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from recommendations.models import Assignment, Exposure, Variant
from recommendations.services.experiments import (
    BUCKETS,
    arm_for_bucket,
    bucket_of,
    experiment_start,
    experiment_stop,
    experiments_changed,
)
from recommendations.services.profiles import interests_declare, personalization_set
from recommendations.services.serving import recommendations_for
from tests.experiments.conftest import make_experiment

pytestmark = pytest.mark.django_db


def served(user, **kwargs):
    return recommendations_for(user=user, item_type="course", k=kwargs.pop("k", 4), **kwargs)


def test_the_bucket_depends_only_on_the_learner_and_the_key():
    assert bucket_of(user_id=7, experiment_key="a") == bucket_of(user_id=7, experiment_key="a")
    buckets = {bucket_of(user_id=7, experiment_key=k) for k in "abcdefgh"}
    assert len(buckets) > 4 and all(0 <= b < BUCKETS for b in buckets)


def test_shares_hold_over_many_learners():
    """A chi-square test of 30,000 ids against shares of 20/30/50: with 2 degrees of freedom
    the 99.9% point is 13.8."""
    arms = ((20, "a"), (30, "b"), (50, "c"))
    counts = Counter(
        arm_for_bucket(arms, bucket_of(user_id=i, experiment_key="shares")) for i in range(30_000)
    )
    expected = {"a": 6000, "b": 9000, "c": 15000}
    chi_square = sum((counts[k] - e) ** 2 / e for k, e in expected.items())
    assert chi_square < 13.8


def test_the_last_arm_takes_what_rounding_leaves():
    assert arm_for_bucket(((33, "a"), (33, "b"), (33, "c")), BUCKETS - 1) == "c"


def test_assignment_is_sticky_when_the_shares_change(
    trained, world, running, django_capture_on_commit_callbacks
):
    learners = world.python_fans + world.cooking_fans
    first = {u.pk: served(u).experiment.variant for u in learners}
    assert set(first.values()) == {"popularity", "als"}
    Variant.objects.filter(experiment=running, name="popularity").update(share=1)
    Variant.objects.filter(experiment=running, name="als").update(share=99)
    experiments_changed()
    # Neither the cache of assignments nor the database row moves anyone.
    from config.cache import cache_delete_many
    from recommendations.services.experiments import assignment_key

    cache_delete_many([assignment_key(u.pk) for u in learners])
    assert {u.pk: served(u).experiment.variant for u in learners} == first
    assert Assignment.objects.filter(experiment=running).count() == len(learners)


def test_each_variant_serves_its_configuration_and_every_list_is_an_exposure(
    trained, world, running
):
    by_variant = {}
    for fan in world.python_fans + world.cooking_fans:
        result = served(fan)
        by_variant.setdefault(result.experiment.variant, []).append(result)
        assert result.experiment.key == "als-vs-popularity"
    assert {r.source for r in by_variant["popularity"]} == {"trending"}
    assert {r.source for r in by_variant["als"]} <= {"model", "fold_in"}
    exposures = Exposure.objects.filter(experiment=running)
    assert exposures.count() == len(world.python_fans) * 2
    some = next(iter(by_variant["als"]))
    exposure = exposures.get(request_id=some.request_id)
    assert (exposure.variant.name, exposure.slot, exposure.item_type) == ("als", "home", "course")
    assert exposure.latency_ms > 0


def test_a_repeated_list_is_exposed_again_under_its_own_request_id(trained, world, running):
    fan = world.python_fans[0]
    first, again = served(fan), served(fan)
    assert [i.object.pk for i in first.items] == [i.object.pk for i in again.items]
    assert set(Exposure.objects.values_list("request_id", flat=True)) == {
        first.request_id,
        again.request_id,
    }


def test_learners_with_personalisation_off_and_visitors_are_never_in_an_experiment(
    trained, world, running
):
    fan = world.python_fans[0]
    personalization_set(user=fan, enabled=False)
    result = served(fan)
    assert result.experiment is None and not result.personalised
    assert served(AnonymousUser()).experiment is None
    assert not Assignment.objects.exists()
    assert not Exposure.objects.exists()


def test_other_slots_and_a_stopped_experiment_serve_the_usual_list(
    trained, world, running, django_capture_on_commit_callbacks
):
    fan = world.python_fans[0]
    assert served(fan, slot="course_detail").experiment is None
    assert served(fan).experiment is not None
    with django_capture_on_commit_callbacks(execute=True):
        experiment_stop(experiment=running)
    assert served(fan).experiment is None
    assert Exposure.objects.count() == 1
    assert experiment_stop(experiment=running).status == "stopped"  # twice is once


def start(experiment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return experiment_start(experiment=experiment)


def test_generic_reasons_content_first_and_a_chosen_model_version(
    trained, world, django_capture_on_commit_callbacks
):
    experiment = make_experiment(
        arms=[("explained", True, 1, "als"), ("generic", False, 99, "als")]
    )
    # A Python fan whose bucket falls in the generic variant (buckets 100 and above).
    fan = next(
        u
        for u in world.python_fans
        if bucket_of(user_id=u.pk, experiment_key=experiment.key) >= BUCKETS // 100
    )
    interests_declare(user=fan, tags=[world.cooking_tag])
    usual = served(fan)
    assert usual.source == "model" and usual.items[0].reason.kind == "item"
    Variant.objects.filter(name="generic").update(
        reason_style="generic", source_order="content_first", model_version=trained
    )
    start(experiment, django_capture_on_commit_callbacks)
    result = served(fan, k=10)
    assert result.experiment.variant == "generic"
    assert result.source == "content"  # declared interests come before the model
    assert {i.reason.text for i in result.items if i.reason.kind != "trending"} == {
        _("Recommended for you")
    }
    titles = [i.object.title for i in result.items]
    # Cooking courses (the declared interest) first, then the model's Python courses.
    assert titles[0].startswith("烹饪") and any(t.startswith("Python") for t in titles)


def test_a_cached_list_is_not_served_across_variants(
    trained, world, django_capture_on_commit_callbacks
):
    fan = world.python_fans[0]
    assert served(fan).source == "model"
    experiment = make_experiment(
        arms=[("popularity", True, 50, "popularity"), ("popularity-2", False, 50, "popularity")]
    )
    start(experiment, django_capture_on_commit_callbacks)
    assert served(fan).source == "trending"


def test_a_fault_in_assignment_or_exposure_serves_the_usual_list(
    trained, world, running, monkeypatch
):
    from recommendations.services import serving

    fan = world.python_fans[0]

    def broken(**kwargs):
        raise RuntimeError("down")

    monkeypatch.setattr(serving, "exposure_record", broken)
    assert served(fan).items
    assert not Exposure.objects.exists()
    monkeypatch.setattr(serving, "learner_arm", broken)
    result = served(fan, k=5)
    assert result.items and result.experiment is None


def test_a_learner_assigned_a_moment_ago_by_another_request_keeps_that_variant(
    trained, world, running, monkeypatch
):
    """Two first requests at once: this one finds no row, the other stores its own first, so
    this one's insert fails and it serves the other's variant."""
    from recommendations.services import experiments

    fan = world.python_fans[0]
    mine = experiments.arm_for_bucket(
        experiments.running_experiments().for_slot("home").arms,
        bucket_of(user_id=fan.pk, experiment_key=running.key),
    )
    other = running.variants.exclude(pk=mine.variant_id).get()
    Assignment.objects.create(
        experiment=running, variant=other, user=fan, assigned_at=other.experiment.created_at
    )
    real_filter, calls = Assignment.objects.filter, []

    def first_read_misses(*args, **kwargs):
        calls.append(1)
        return Assignment.objects.none() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(experiments.Assignment.objects, "filter", first_read_misses)
    assert served(fan).experiment.variant == other.name
