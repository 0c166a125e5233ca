"""The simulated demo behaviour: a realistic funnel, power-law popularity, and latent interests
that a trained model measurably recovers (so the demo shows personalisation working)."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from commerce.models import Enrollment, LessonProgress
from courses.models import Course
from demo.behaviour import build_behaviour, simulate
from demo.catalog import build_catalog
from demo.vocabulary import TOPICS
from recommendations.engine import ALS, Popularity
from recommendations.engine.evaluation import evaluate
from recommendations.models import Event, InterestTag
from recommendations.training.dataset import training_data_build

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    build_catalog(seed=7, scale=0.25, now=NOW)
    return build_behaviour(seed=7, now=NOW, latent_path=tmp_path / "latent.json")


def test_the_funnel_narrows_from_impressions_to_purchases(demo):
    counts = Counter(Event.objects.values_list("event_type", flat=True))
    assert counts["impression"] > counts["click"] > counts["purchase"] > 0
    assert 0.05 < counts["click"] / counts["impression"] < 0.35
    assert counts["not_interested"] > 0 and counts["watch"] > 0 and counts["search"] > 0
    assert demo.events == sum(counts.values())
    assert 60 < demo.events / demo.learners < 140  # about 100 events per learner


def test_events_span_ninety_days_and_none_is_in_the_future(demo):
    times = Event.objects.values_list("server_ts", flat=True)
    assert max(times) <= NOW
    assert NOW - min(times) > timedelta(days=80)


def test_item_popularity_follows_a_power_law(demo):
    clicks = Counter(
        Event.objects.filter(event_type="click").values_list("object_type", "object_id")
    )
    ordered = sorted(clicks.values(), reverse=True)
    top_tenth = sum(ordered[: max(1, len(ordered) // 10)])
    assert top_tenth / sum(ordered) > 0.25  # the top 10% of items draw far more than 10%


def test_learners_mostly_act_in_their_latent_topics(demo):
    latent = demo.latent_interests
    assert all(1 <= len(topics) <= 3 for topics in latent.values())
    learner = next(name for name, topics in latent.items() if max(topics.values()) > 0.8)
    top_topic = max(latent[learner], key=latent[learner].get)
    topic_tag = next(t.tag for t in TOPICS if t.key == top_topic)
    derived = InterestTag.objects.filter(user__username=learner).order_by("-derived_weight")
    assert topic_tag in [row.tag.name for row in derived[:5]]


def test_the_simulation_is_deterministic_for_a_seed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    build_catalog(seed=3, scale=0.05, now=NOW)
    first = simulate(seed=3, now=NOW)
    rows = sorted(Event.objects.values_list("client_event_id", "event_type", "object_id"))
    Event.objects.all().delete()
    second = simulate(seed=3, now=NOW)
    assert first.by_type == second.by_type
    assert rows == sorted(Event.objects.values_list("client_event_id", "event_type", "object_id"))


def test_a_second_run_adds_nothing(demo):
    before = Event.objects.count()
    assert build_behaviour(seed=7, now=NOW) is None
    assert Event.objects.count() == before


def test_my_learning_reflects_the_simulated_past(demo):
    assert Enrollment.objects.exists()
    assert LessonProgress.objects.filter(percent_watched__gt=0).exists()


def test_a_trained_model_beats_popularity_and_recovers_latent_topics(demo):
    cut = NOW - timedelta(days=14)
    data = training_data_build(now=NOW, holdout_from=cut)
    model = ALS(factors=32, regularization=0.05, alpha=2.0, iterations=15, random_state=0)
    model.fit(data.matrix)
    als_scores = evaluate(model, data.matrix, data.holdout, k=10)
    popular = evaluate(Popularity().fit(data.matrix), data.matrix, data.holdout, k=10)
    assert als_scores["ndcg"] > 1.5 * popular["ndcg"]

    # Recovery: the courses a learner is recommended are in their latent main topic far more
    # often than popularity's, and than the 1-in-12 of a random topic.
    tags = {t.key: t.tag for t in TOPICS}
    course_topic = dict(
        Course.objects.filter(tags__name__in=tags.values()).values_list("pk", "tags__name")
    )
    rows = {user.username: row for row, user in _learners(data)}
    not_courses = np.ones(len(data.items), dtype=bool)
    not_courses[data.items.of_type("course")] = False
    popularity = Popularity().fit(data.matrix)
    share = {}
    for name, recommender in (("als", model), ("popularity", popularity)):
        hits = total = 0
        for learner, topics in demo.latent_interests.items():
            if learner not in rows or max(topics.values()) < 0.8:
                continue
            main = tags[max(topics, key=topics.get)]
            ids, _ = recommender.recommend([rows[learner]], data.matrix, k=3, item_mask=not_courses)
            picked = [course_topic.get(int(data.items.ids[i])) for i in ids[0] if i >= 0]
            hits += sum(topic == main for topic in picked)
            total += len(picked)
        share[name] = hits / total
    assert share["als"] > 0.4
    assert share["als"] > 2 * share["popularity"]


def _learners(data):
    by_pk = User.objects.in_bulk(list(map(int, data.user_ids)))
    return [(row, by_pk[int(pk)]) for row, pk in enumerate(data.user_ids)]


def test_seed_demo_rejects_a_negative_event_count():
    with pytest.raises(CommandError, match="events-per-learner"):
        call_command("seed_demo", "--events-per-learner", "-1")
