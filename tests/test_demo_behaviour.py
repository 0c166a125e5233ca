"""The simulated demo behaviour: a realistic funnel, power-law popularity, and latent interests
that a trained model measurably recovers (so the demo shows personalisation working)."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from commerce.models import Enrollment, LessonProgress
from courses.models import Course, Instructor, ShortVideo
from demo.behaviour import ITEM_TYPES, build_behaviour, load_catalog, simulate
from demo.catalog import build_catalog
from demo.vocabulary import TOPICS
from liveroom.models import Message, RoomLikes
from recommendations.engine import ALS, Popularity
from recommendations.engine.evaluation import evaluate
from recommendations.models import Event, InterestTag, ModelVersion
from recommendations.training.dataset import training_data_build
from social.models import Follow, VideoComment, VideoLike, VideoShare
from tests.recommender.conftest import artefacts_in

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


SOCIAL = ["like", "comment", "share", "question", "follow"]


def test_social_feedback_comes_at_plausible_rates_as_the_site_records_it(demo):
    counts = Counter(
        Event.objects.filter(event_type__in=[*SOCIAL, "watch"]).values_list(
            "event_type", "object_type"
        )
    )
    watches = counts[("watch", "video")]
    # a few likes in a hundred video watches, fewer comments, fewer shares still
    assert 0.01 < counts[("like", "video")] / watches < 0.06
    assert 0.002 < counts[("comment", "video")] / watches < counts[("like", "video")] / watches
    assert 0 < counts[("share", "video")] < counts[("like", "video")]
    # in the live rooms: messages, questions (fewer) and likes from some of the viewers
    viewers = counts[("watch", "live")]
    assert 0 < counts[("question", "live")] < counts[("comment", "live")] < 0.2 * viewers
    assert 0 < counts[("like", "live")] < 0.3 * viewers
    assert 0 < counts[("follow", "instructor")] < demo.learners
    # each is the server's event (as the site records it), so training counts it ...
    social = Event.objects.filter(event_type__in=SOCIAL)
    assert social.count() == social.filter(client="server").count() == social.credible().count()
    # ... and the row the site writes first, with the counters the cards show
    assert VideoLike.objects.count() == counts[("like", "video")]
    assert VideoComment.objects.count() == counts[("comment", "video")]
    assert VideoShare.objects.count() == counts[("share", "video")]
    assert Follow.objects.count() == counts[("follow", "instructor")]
    assert Message.objects.filter(is_question=True).count() == counts[("question", "live")]
    assert Message.objects.filter(is_question=False).count() == counts[("comment", "live")]
    assert RoomLikes.objects.exists()
    videos = ShortVideo.objects.all()
    assert sum(videos.values_list("like_count", flat=True)) == VideoLike.objects.count()
    assert sum(videos.values_list("comment_count", flat=True)) == VideoComment.objects.count()
    assert sum(videos.values_list("share_count", flat=True)) == VideoShare.objects.count()
    followers = Instructor.objects.values_list("follower_count", flat=True)
    assert sum(followers) == Follow.objects.count()
    # a live room's message was posted while the live was on air
    for message in Message.objects.select_related("live_session")[:50]:
        live = message.live_session
        assert live.scheduled_start <= message.created_at <= min(live.scheduled_end, NOW)


def test_social_feedback_follows_the_learners_interests(demo):
    catalog = load_catalog(np.random.default_rng(0))
    topic_of = {
        (ITEM_TYPES[kind], int(pk)): int(topic)
        for kind, pk, topic in zip(catalog.item_type, catalog.object_id, catalog.topic, strict=True)
    }
    keys = {topic.key: index for index, topic in enumerate(TOPICS)}
    main = {
        pk: keys[max(topics, key=topics.get)]
        for pk, topics in (
            (User.objects.get(username=name).pk, topics)
            for name, topics in demo.latent_interests.items()
            if topics and max(topics.values()) > 0.8
        )
    }

    def in_main_topic(kinds) -> float:
        rows = Event.objects.filter(event_type__in=kinds, user_id__in=list(main)).values_list(
            "user_id", "object_type", "object_id"
        )
        hits = [topic_of.get((t, pk)) == main[user] for user, t, pk in rows]
        return sum(hits) / len(hits)

    shown = in_main_topic(["impression"])
    social = in_main_topic(["like", "comment", "question", "share"])
    assert social > 0.6 and social > shown + 0.2
    # a learner follows instructors whose items they clicked
    clicked = set(
        Event.objects.filter(event_type="click").values_list("user_id", "object_type", "object_id")
    )
    owners = {
        (ITEM_TYPES[kind], int(pk)): int(owner)
        for kind, pk, owner in zip(
            catalog.item_type, catalog.object_id, catalog.instructor, strict=True
        )
    }
    engaged_with = {(user, owners[(t, pk)]) for user, t, pk in clicked if (t, pk) in owners}
    follows = set(Follow.objects.values_list("user_id", "instructor_id"))
    assert follows and follows <= engaged_with


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


def test_training_on_a_small_demo_chooses_the_social_weights(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.STORAGES = artefacts_in(settings, tmp_path / "artefacts")
    settings.RECOMMENDER_TUNING_BUDGET_SECONDS = 4
    settings.RECOMMENDER_WEIGHT_BUDGET_SECONDS = 10
    now = timezone.now()
    build_catalog(seed=5, scale=0.1, now=now)
    build_behaviour(seed=5, now=now)
    out = StringIO()
    call_command("recommender", "train", "--sync", "--tune", stdout=out)
    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    assert "choosing the social feedback's weights on validation" in out.getvalue()
    choice = version.params["event_weight_choice"]
    assert set(choice["chosen"]) == {"follow", "comment", "question", "like", "share"}
    assert choice["validation_users"] > 0 and choice["trials"][0]["step"] == "defaults"
    assert version.params["event_weights"] == {
        **settings.RECOMMENDER_EVENT_WEIGHTS,
        **choice["chosen"],
    }


def test_seed_demo_rejects_a_negative_event_count():
    with pytest.raises(CommandError, match="events-per-learner"):
        call_command("seed_demo", "--events-per-learner", "-1")
