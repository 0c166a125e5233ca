"""A tuning run chooses the social feedback's weights on validation, stores them with the
version, builds the final matrix with them, and retrains and fold-ins reuse them."""

import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import ShortVideo
from recommendations.engine.weighting import validation_score
from recommendations.models import Event, ModelVersion
from recommendations.services import training
from recommendations.services.serving import _events_row
from recommendations.training.artefacts import artefacts_load
from recommendations.training.dataset import CHOSEN_WEIGHTS, events_read
from tests.factories import CourseFactory, InstructorFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status
DAY = timedelta(days=1)


def _event(user, kind, object_type, object_id, at):
    return Event(
        user=user,
        event_type=kind,
        object_type=object_type,
        object_id=object_id,
        client=Event.Client.SERVER,
        client_ts=at,
        server_ts=at,
        client_event_id=uuid.uuid4(),
    )


@pytest.fixture
def comments_predict_purchases(fast_training):
    """Two topics of 8 courses and 8 videos. Before the validation window (the two weeks before the
    holdout), half the learners (veterans) bought two courses of their topic and commented on
    two of its videos; the others (newcomers) only commented on two videos of their topic; and
    everyone liked four videos of either topic at random (noise). In the validation window and
    in the holdout, everyone bought more courses of their topic and watched more of its
    videos."""
    settings = fast_training
    settings.RECOMMENDER_HOLDOUT_DAYS = 7
    settings.RECOMMENDER_ALS_PARAMS = {
        "factors": 2,
        "regularization": 0.1,
        "alpha": 5.0,
        "iterations": 10,
    }
    rng = np.random.default_rng(1)
    now = timezone.now()
    topics = []
    for _ in range(2):
        instructor = InstructorFactory()
        courses = [CourseFactory(instructor=instructor) for _ in range(8)]
        videos = [ShortVideoFactory(instructor=instructor) for _ in range(8)]
        topics.append((courses, videos))
    every_video = topics[0][1] + topics[1][1]
    events = []
    for n in range(48):
        learner = UserFactory()
        courses, videos = topics[n % 2]
        bought = rng.permutation(len(courses))
        early = now - (25 + rng.random() * 5) * DAY
        if n < 24:
            for j in (3, 4):
                events.append(_event(learner, "purchase", "course", courses[bought[j]].pk, early))
        watched = rng.permutation(len(videos))
        for j in (0, 1):
            events.append(_event(learner, "comment", "video", videos[watched[j]].pk, early))
        for video in rng.choice(len(every_video), size=4, replace=False):
            events.append(_event(learner, "like", "video", every_video[video].pk, early))
        for j, days_ago in ((0, 10), (1, 11), (2, 3)):  # validation window, then the holdout
            at = now - days_ago * DAY
            events.append(_event(learner, "purchase", "course", courses[bought[j]].pk, at))
            watch = _event(learner, "watch", "video", videos[watched[j + 2]].pk, at)
            watch.value = 1.0
            events.append(watch)
    Event.objects.bulk_create(events)
    return now


def test_the_weights_that_win_on_validation_are_chosen(comments_predict_purchases):
    now = comments_predict_purchases
    holdout_from = now - 7 * DAY
    log = events_read(now=now)
    params = training._current_params()
    stages = []
    choice = training._choose_event_weights(log, params, now=holdout_from, say=stages.append)

    assert choice["chosen"]["like"] == 0.0  # noise: left out
    assert choice["chosen"]["comment"] >= 2.0  # tells the learner's topic: kept, or more
    assert choice["validation"]["ndcg@10"] > choice["validation"]["defaults"]
    assert choice["defaults"] == {
        "follow": 3.0,
        "comment": 2.0,
        "question": 2.5,
        "like": 1.5,
        "share": 1.5,
    }
    assert set(choice["chosen"]) == set(CHOSEN_WEIGHTS)
    # types nobody used are not searched: they cannot change anything
    assert all(t["weights"]["follow"] == 3.0 for t in choice["trials"])
    assert stages and all("event weights" in stage for stage in stages)

    # exactly the best of the candidates scored, by a clear margin, and each score is
    # reproducible
    scores = [t["ndcg@10"] for t in choice["trials"]]
    best = choice["trials"][int(np.argmax(scores))]
    assert best["weights"] == choice["chosen"] and best["kept"]
    assert choice["validation"]["ndcg@10"] == max(scores)
    kept = [t for t in choice["trials"][1:] if t["kept"]]
    assert kept and all(t["gain"] > 2 * t["standard_error"] for t in kept)
    inner = log.weight_validation(
        now=holdout_from, validation_from=holdout_from - 14 * DAY, chosen=CHOSEN_WEIGHTS
    )
    for trial in (choice["trials"][0], best):
        matrix = inner.parts.matrix(trial["weights"])
        model = training._build(params, matrix, inner.items)
        again = validation_score(model, matrix, inner.users, inner.truth, inner.touched)
        assert round(again, 6) == trial["ndcg@10"]
    # the target is the same whatever the weights: 48 learners, two new purchases each
    assert len(inner.users) == 48 and inner.truth.nnz >= 96 + 48


def test_the_chosen_weights_are_stored_and_build_the_final_matrix(
    comments_predict_purchases, settings, admin_client
):
    settings.RECOMMENDER_TUNING_BUDGET_SECONDS = 4
    version = training.model_train(tune=True, force=True)
    assert version.status == Status.ACTIVE, version.error
    choice = version.params["event_weight_choice"]
    weights = version.params["event_weights"]
    assert weights["like"] == choice["chosen"]["like"] == 0.0
    assert weights["purchase"] == settings.RECOMMENDER_EVENT_WEIGHTS["purchase"]

    loaded = artefacts_load(version_id=version.pk, location=version.artefact_path)
    assert loaded.event_weights == weights
    rebuilt = events_read(now=version.data_until).training_data(
        now=version.data_until, weights=weights
    )
    assert (abs(loaded.user_items - rebuilt.matrix) > 1e-5).nnz == 0
    defaults = events_read(now=version.data_until).training_data(now=version.data_until)
    assert defaults.matrix.nnz > rebuilt.matrix.nnz  # the pairs only liked are gone

    page = admin_client.get(
        reverse("admin:recommendations_modelversion_change", args=[version.pk])
    ).content.decode()
    assert "like 0" in page and f"{choice['validation']['ndcg@10']:.4f}" in page

    # a learner newer than the model is folded in with the model's weights: the like counts 0
    newcomer, video = UserFactory(), ShortVideo.objects.first()
    for kind in ("like", "comment"):
        _event(newcomer, kind, "video", video.pk, timezone.now()).save()
    row = _events_row(loaded, newcomer, None)
    column = loaded.items.columns("video", np.array([video.pk]))[0]
    assert row[0, column] == pytest.approx(weights["comment"])

    retrain = training.model_train(force=True)  # reuses the tuning run's weights
    assert retrain.kind == "retrain" and retrain.status == Status.ACTIVE, retrain.error
    assert retrain.params["event_weights"] == weights


def test_without_social_feedback_the_defaults_are_kept(world, fast_training):
    fast_training.RECOMMENDER_TUNING_BUDGET_SECONDS = 2
    for n, fan in enumerate(world.python_fans[:6]):  # recent learning: something to hold out
        course = world.python_courses[(n + 5) % 8]
        _event(fan, "purchase", "course", course.pk, timezone.now()).save()
    version = training.model_train(tune=True, force=True)
    assert version.status == Status.ACTIVE, version.error
    choice = version.params["event_weight_choice"]
    assert choice["chosen"] == choice["defaults"]
    assert "note" in choice and "validation" not in choice
