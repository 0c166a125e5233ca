"""An A/B experiment of the recommender run end to end on the demo's simulated learners.

``manage.py experiment_demo`` starts an experiment on the home page's course section (control:
popularity; treatment: the active ALS model), then for a few rounds each simulated learner asks
for the section through the serving service — which assigns them, applies their variant and
records the exposure — and reacts to the cards they were actually shown, by the behaviour
simulation's own latent interests (``var/demo/latent-interests.json``, written by
``seed_demo``): every card is an impression, and a card is clicked with a probability rising
with the learner's interest in the item's topic. The events go through the same service the
apps' event endpoint calls, with the list's request id. A model that recommends what learners
like therefore shows a measurable lift on the results page.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from demo.vocabulary import topic_for_tag
from recommendations.models import Experiment, Variant
from recommendations.services.events import event_ingest_batch
from recommendations.services.experiment_results import ExperimentResults, experiment_look
from recommendations.services.experiments import (
    experiment_start,
    experiment_stop,
    experiments_changed,
)
from recommendations.services.serving import active_model_summary, recommendations_for

KEY = "demo-als-vs-popularity"
SLOT = "home"
CARDS = 8
BASE_CLICK = 0.01  # a card of no interest to the learner
INTEREST_CLICK = 0.45  # added in proportion to the learner's weight on the item's topic


class DemoNotReady(Exception):
    """What is missing before the demo experiment can run."""


@dataclass
class DemoRun:
    learners: int
    lists: int
    clicks: int
    results: ExperimentResults


def load_interests(path: Path) -> dict[str, dict[str, float]]:
    if not path.exists():
        raise DemoNotReady(f"No latent interests at {path}: run `manage.py seed_demo` first.")
    return json.loads(path.read_text())


def item_topic(item) -> str | None:
    """The topic owning most of the item's tags (as the behaviour simulation assigns them)."""
    topics = [t for t in (topic_for_tag(tag.name) for tag in item.tags.all()) if t is not None]
    return max(set(topics), key=topics.count) if topics else None


def _start_experiment() -> Experiment:
    old = Experiment.objects.filter(key=KEY).first()
    if old is not None:  # a new run starts afresh
        experiment_stop(experiment=old)
        old.delete()
    experiment = Experiment.objects.create(
        key=KEY,
        description="Demo: the active ALS model against the popularity list on the home page.",
        slots=SLOT,
        primary_metric=Experiment.Metric.CLICK_THROUGH,
        max_latency_ms=500,
    )
    Variant.objects.create(
        experiment=experiment, name="popularity", is_control=True, share=50, family="popularity"
    )
    Variant.objects.create(experiment=experiment, name="als", share=50, family="als")
    return experiment_start(experiment=experiment)


def experiment_demo_run(
    *,
    interests: dict[str, dict[str, float]],
    learners: int,
    rounds: int,
    seed: int = 0,
    progress: Callable[[str], None] = lambda line: None,
) -> DemoRun:
    """Run the demo experiment for the first ``learners`` simulated learners (by username)."""
    if active_model_summary(cached=False) is None:
        raise DemoNotReady("No active model: run `manage.py recommender train --sync` first.")
    with transaction.atomic():
        experiment = _start_experiment()
    experiments_changed()  # at once, also inside a caller's transaction
    users = list(
        get_user_model()
        .objects.filter(username__in=list(interests))
        .order_by("username")[:learners]
    )
    rng = np.random.default_rng(seed)
    topics: dict[int, str | None] = {}
    lists = clicks = 0
    for round_ in range(rounds):
        for user in users:
            result = recommendations_for(user=user, item_type="course", slot=SLOT, k=CARDS)
            lists += 1
            weights = interests.get(user.username, {})
            now = timezone.now().isoformat()
            events = []
            for item in result.items:
                if item.object.pk not in topics:
                    topics[item.object.pk] = item_topic(item.object)
                event = {
                    "object_type": "course",
                    "object_id": item.object.pk,
                    "client_ts": now,
                    "page": SLOT,
                    "request_id": str(result.request_id),
                }
                events.append({**event, "type": "impression", "client_event_id": str(uuid.uuid4())})
                chance = BASE_CLICK + INTEREST_CLICK * weights.get(topics[item.object.pk], 0.0)
                if rng.random() < chance:
                    events.append({**event, "type": "click", "client_event_id": str(uuid.uuid4())})
                    clicks += 1
            event_ingest_batch(events=events, client="web", user=user)
        progress(f"Round {round_ + 1} of {rounds}: {lists:,} lists served, {clicks:,} clicks.")
    return DemoRun(len(users), lists, clicks, experiment_look(experiment=experiment))
