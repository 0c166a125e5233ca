"""Training runs: versions, evaluation, promotion only when not worse, one run at a time."""

import threading

import numpy as np
import pytest
from django.utils import timezone

from recommendations.models import Event, ModelVersion
from recommendations.services import training
from recommendations.services.events import event_record
from recommendations.services.profiles import personalization_set
from recommendations.training.artefacts import artefacts_load
from recommendations.training.dataset import training_data_build
from recommendations.training.lock import training_lock
from tests.factories import CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


def test_a_first_run_trains_evaluates_stores_and_activates_a_version(world, fast_training):
    _some_recent_learning(world)
    version = training.model_train(force=True)
    assert version.status == Status.ACTIVE, version.error
    assert set(version.metrics) == {"ndcg@10", "recall@10", "coverage", "catalog_coverage"}
    assert version.baseline_metrics["popularity"]["ndcg@10"] >= 0
    assert version.status == Status.ACTIVE
    assert version.n_users == 24
    assert version.n_interactions == 96 + 12
    assert version.params["factors"] == 4
    assert version.training_seconds > 0
    assert version.artefact_path
    loaded = artefacts_load(version_id=version.pk, location=version.artefact_path)
    assert loaded.model.item_factors.shape[1] == 4
    assert sorted(loaded.user_ids) == sorted(u.pk for u in world.python_fans + world.cooking_fans)


def test_a_run_without_new_events_is_skipped(world, fast_training):
    first = training.model_train()
    second = training.model_train()
    assert first.status == Status.ACTIVE
    assert second.status == Status.SKIPPED
    assert training.active_version() == first
    event_record(
        user=world.python_fans[0],
        event_type="click",
        object_type="course",
        object_id=world.python_courses[-1].pk,
    )
    assert training.model_train().status == Status.ACTIVE


def test_a_worse_model_is_rejected_and_the_active_one_keeps_serving(world, fast_training):
    active = training.model_train(force=True)
    active.metrics = {"ndcg@10": 0.99, "recall@10": 1.0, "coverage": 1.0}
    active.save()
    _some_recent_learning(world)
    candidate = training.model_train(force=True)
    assert candidate.status == Status.REJECTED, candidate.error
    assert "below the active" in candidate.error
    assert training.active_version() == active


def _some_recent_learning(world):
    """Python fans buy Python courses they had not clicked before: new, in-topic discoveries."""
    courses = world.python_courses
    for n, fan in enumerate(world.python_fans[:6]):
        for course in (courses[(n + 5) % 8], courses[(n + 6) % 8]):
            event_record(user=fan, event_type="purchase", object_type="course", object_id=course.pk)


def test_a_model_within_the_tolerance_is_promoted(world, fast_training):
    active = training.model_train(force=True)
    active.metrics = {"ndcg@10": 0.0001, "recall@10": 0.0, "coverage": 1.0}
    active.save()
    _some_recent_learning(world)
    candidate = training.model_train(force=True)
    assert candidate.status == Status.ACTIVE
    active.refresh_from_db()
    assert active.status == Status.RETIRED
    assert ModelVersion.objects.filter(status=Status.ACTIVE).count() == 1


def test_a_failed_run_is_recorded_and_leaves_the_active_model_serving(world, fast_training):
    active = training.model_train(force=True)
    Event.objects.all().delete()
    failed = training.model_train(force=True)
    assert failed.status == Status.FAILED
    assert "no interactions" in failed.error
    assert training.active_version() == active


def test_an_orphaned_run_of_a_dead_worker_is_marked_failed(world, fast_training):
    orphan = ModelVersion.objects.create(status=Status.TRAINING)
    training.model_train(force=True)
    orphan.refresh_from_db()
    assert orphan.status == Status.FAILED
    assert "stopped" in orphan.error


def test_only_one_training_runs_at_a_time(world, fast_training):
    with training_lock() as held:
        assert held
        with pytest.raises(training.TrainingBusy):
            training.model_train(force=True)
    assert training.model_train(force=True).status == Status.ACTIVE


def test_the_lock_is_shared_through_redis_across_processes(redis_url, settings, tmp_path):
    settings.REDIS_URL = redis_url
    settings.VAR_DIR = tmp_path
    results = []
    with training_lock() as held:
        assert held
        thread = threading.Thread(target=lambda: results.append(_try_lock()))
        thread.start()
        thread.join()
    assert results == [False]
    assert _try_lock() is True


def _try_lock():
    with training_lock() as held:
        return held


def test_rollback_serves_the_previous_version(world, fast_training):
    first = training.model_train(force=True)
    second = training.model_train(force=True)
    assert training.active_version() == second
    assert training.model_rollback().pk == first.pk
    second.refresh_from_db()
    assert second.status == Status.RETIRED
    with pytest.raises(ValueError, match="no earlier version"):
        training.model_rollback(to_version_id=987654)


def test_cleanup_keeps_the_newest_artefacts_and_never_the_active_ones(world, fast_training):
    versions = [training.model_train(force=True) for _ in range(4)]
    training.model_rollback(to_version_id=versions[0].pk)
    cleaned = training.artefacts_cleanup(keep=2)
    assert cleaned == [versions[1].pk]
    versions[0].refresh_from_db()
    assert versions[0].artefact_path  # active, kept


def test_learners_with_personalisation_off_are_left_out_of_training(world):
    personalization_set(user=world.python_fans[0], enabled=False)
    data = training_data_build(now=timezone.now())
    assert world.python_fans[0].pk not in set(data.user_ids)
    assert len(data.user_ids) == 23


def test_not_interested_removes_the_pair_from_training(world):
    fan, course = world.python_fans[0], world.python_courses[0]
    event_record(user=fan, event_type="not_interested", object_type="course", object_id=course.pk)
    data = training_data_build(now=timezone.now())
    row = list(data.user_ids).index(fan.pk)
    col = data.items.columns("course", np.array([course.pk]))[0]
    assert data.matrix[row, col] == 0


def test_lessons_count_for_their_course(db):
    learner, lesson = UserFactory(), LessonFactory()
    event_record(
        user=learner, event_type="watch", object_type="lesson", object_id=lesson.pk, value=0.5
    )
    data = training_data_build(now=timezone.now())
    col = data.items.columns("course", np.array([lesson.course_id]))[0]
    assert data.matrix[0, col] == pytest.approx(1.0, rel=1e-3)  # watch weight 2 x share 0.5
    CourseFactory()  # a course without events still has a column
    assert len(training_data_build(now=timezone.now()).items.of_type("course")) == 2


def test_a_sites_first_model_is_tuned_and_later_ones_reuse_its_parameters(world, fast_training):
    fast_training.RECOMMENDER_TUNE_FIRST_MODEL = True
    fast_training.RECOMMENDER_TUNING_BUDGET_SECONDS = 2
    first = training.model_train(force=True)
    assert first.kind == "tune" and first.status == Status.ACTIVE
    second = training.model_train(force=True)
    assert second.kind == "retrain"
    assert second.params == first.params


def test_the_training_interactions_export_for_offline_evaluation(world, tmp_path):
    from django.core.management import call_command

    from recommendations.engine.datasets import load_interactions

    path = tmp_path / "demo.csv"
    call_command("recommender", "export", str(path))
    loaded = load_interactions(path)
    assert loaded.user_items.shape == (24, 16)  # clicked courses; the unseen video is not listed
    assert loaded.user_items.nnz == 96


def test_the_commands_show_progress_and_metrics(world, fast_training):
    from io import StringIO

    from django.core.management import call_command

    _some_recent_learning(world)
    out = StringIO()
    call_command("recommender", "train", "--sync", "--force", stdout=out)
    assert "building the interaction matrix" in out.getvalue()
    call_command("recommender", "precompute", "--sync", stdout=out)
    assert "24/24" in out.getvalue()
    status = StringIO()
    call_command("recommender", "status", stdout=status)
    assert "ndcg@10" in status.getvalue() and "[#" in status.getvalue()
