"""Simulated learner behaviour for the demo: about 90 days of feedback events.

The generative model (documented so tests and benchmarks can rely on it):

* **Topics.** Every item (course, live session, short video, product) has one topic: the topic
  owning most of its tags (``vocabulary.topic_for_tag``; a course falls back to its category's
  parent).
* **Learners** have a few latent interests: 1 to 3 topics (probabilities 0.45 / 0.35 / 0.20) with
  Dirichlet weights, plus a small background interest in every topic; and an activity level drawn
  from a log-normal distribution, so a few learners do most of the browsing.
* **Items** have power-law appeal: within the catalog, the item of popularity rank ``r`` has appeal
  proportional to ``r ** -POPULARITY_EXPONENT`` (ranks shuffled by the seed).
* **Sessions.** Each learner has a Poisson number of sessions in proportion to their activity,
  spread over the window with more recent days slightly busier. A session shows
  ``IMPRESSIONS_PER_SESSION`` items: from the popular feed (in proportion to appeal) or, more
  often, from one of the learner's topics (again in proportion to appeal within the topic).
* **The funnel.** An impression becomes a click with a probability rising steeply with the
  learner's interest in the item's topic and mildly with its appeal; a click is a detail view;
  then, by type: a course is previewed (a lesson watched, completion drawn from a Beta
  distribution that favours interested learners), added to the cart and bought (free courses are
  enrolled in), sometimes favourited and rated; a short video is watched; a product is carted and
  maybe bought; an upcoming live session is reserved, one on air or past watched (live or as its
  replay). Impressions of items far from the learner's interests are sometimes marked
  "not interested"; some sessions start with a search for one of the learner's topics. A learner
  buys a course at most once.
* **Social feedback**, rising with the learner's interest in the item's topic (``_social``): a
  short video watched is liked by a few in a hundred (more when watched through: 4.3% of video
  watches at the default scale), commented on by fewer (1.0%) and shared by fewer still (0.6%);
  a live watched gets a message from 9% of its viewers, a question from 4% and a like from 14%,
  at a time while it was on air; and a learner follows the instructor of an item they enrolled
  in, bought, attended, liked or commented on with a probability of up to 20%, once per
  instructor (556 follows of 2,000 learners). Each is a server event of the type the site
  records (``like``, ``comment``, ``share``, ``question``, ``follow`` on the instructor) and the
  row the site writes (``demo.social``: likes, shares and comments of videos, live room messages
  and likes, follows, with their counters).
* **What the purchases leave behind.** Each session in which a learner bought something is one
  paid order (its lines at the catalog's prices, paid through the simulated provider when it was
  placed), delivered to the learner's address when it has a physical product; bought and free
  courses are enrollments (a bought one with its order), and watched lessons have progress. So
  "my orders", "my learning" and "continue learning" show the simulated past.
* **The demo account.** ``learner0001``, the account the README points to, is given the highest
  activity level drawn, so it has a rich past to look at.

The learners' latent topic weights are returned (and saved as JSON by the command) so tests can
check that a trained model recovers them.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from commerce.models import DeliveryAddress, Enrollment, LessonProgress, Order, OrderLine
from commerce.services import LESSON_COMPLETE_PERCENT
from courses.models import Course, Lesson, LiveSession, Product, ShortVideo
from demo.catalog import DEMO_EMAIL_DOMAIN, learner_username
from demo.social import MODELS as SOCIAL_MODELS
from demo.social import SOCIAL_EVENTS, SocialRows
from demo.vocabulary import DELIVERY_REGIONS, GIVEN_NAMES, STREETS, SURNAMES, TOPICS, topic_for_tag
from recommendations.models import Event
from recommendations.services.profiles import interests_derive
from recommendations.services.trending import trending_refresh

DAYS = 90
EVENTS_PER_LEARNER = 100  # the default scale gives 2,000 learners x 100 = 200,000 events
EVENTS_PER_IMPRESSION = 1.62  # all events per impression in this model, measured
IMPRESSIONS_PER_SESSION = 8
TOPIC_BROWSE_SHARE = 0.65
POPULARITY_EXPONENT = 0.9
INSERT_BATCH = 5000

ITEM_TYPES = ("course", "live", "video", "product")
# What the server records (as the site does when commerce, social or a live room announce it).
SERVER_RECORDED = Event.SERVER_ONLY_TYPES | SOCIAL_EVENTS
COURSE, LIVE, VIDEO, PRODUCT = range(4)

Progress = Callable[[str], None]


@dataclass
class Catalog:
    item_type: np.ndarray  # int8, index into ITEM_TYPES
    object_id: np.ndarray  # int64
    topic: np.ndarray  # int16, index into TOPICS
    appeal: np.ndarray  # float64, sums to 1
    price: np.ndarray  # float64, CNY
    live_state: np.ndarray  # int8: 0 not a live, 1 upcoming, 2 live now, 3 ended
    preview_lesson: np.ndarray  # int64 lesson id for courses, 0 otherwise
    instructor: np.ndarray  # int64 instructor id
    live_start: np.ndarray  # float64 scheduled start of a live (epoch seconds), 0 otherwise
    live_end: np.ndarray  # float64 scheduled end of a live (epoch seconds), 0 otherwise


@dataclass
class BehaviourSummary:
    events: int
    learners: int
    by_type: dict[str, int]
    latent_interests: dict[str, dict[str, float]]  # username -> {topic key: weight}


def _topic_index() -> dict[str, int]:
    return {topic.key: index for index, topic in enumerate(TOPICS)}


def _majority_topic(tag_names: list[str], fallback: int | None) -> int | None:
    topics = Counter(t for t in map(topic_for_tag, tag_names) if t is not None)
    if topics:
        return _topic_index()[topics.most_common(1)[0][0]]
    return fallback


def load_catalog(rng: np.random.Generator) -> Catalog:
    """The demo catalog's items with their topics, and a power-law appeal drawn from ``rng``."""
    topic_names = {topic.name: index for index, topic in enumerate(TOPICS)}
    rows: list[tuple[int, int, int, float, int, int, int, float, float]] = []

    def tags_of(model) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        through = model.tags.through
        column = f"{model._meta.model_name}_id"
        for object_id, name in through.objects.values_list(column, "tag__name"):
            out.setdefault(object_id, []).append(name)
        return out

    course_tags = tags_of(Course)
    previews = {}
    for lesson_id, course_id in Lesson.objects.order_by(
        "course_id", "chapter__position", "position"
    ).values_list("pk", "course_id"):
        previews.setdefault(course_id, lesson_id)
    published = Course.objects.filter(status=Course.Status.PUBLISHED)
    for pk, price, parent_name, instructor in published.values_list(
        "pk", "price", "category__parent__name", "instructor_id"
    ):
        topic = _majority_topic(course_tags.get(pk, []), topic_names.get(parent_name))
        if topic is not None:
            rows.append((COURSE, pk, topic, float(price), 0, previews.get(pk, 0), instructor, 0, 0))
    state = {
        LiveSession.Status.SCHEDULED: 1,
        LiveSession.Status.LIVE: 2,
        LiveSession.Status.ENDED: 3,
    }
    for model, kind, queryset in (
        (LiveSession, LIVE, LiveSession.objects.exclude(status=LiveSession.Status.CANCELLED)),
        (ShortVideo, VIDEO, ShortVideo.objects.filter(is_published=True)),
        (Product, PRODUCT, Product.objects.filter(is_active=True)),
    ):
        tags = tags_of(model)
        fields = ["pk", "instructor_id"]
        if kind == LIVE:
            fields += ["status", "scheduled_start", "scheduled_end"]
        if kind == PRODUCT:
            fields.append("price")
        for values in queryset.values_list(*fields):
            pk, instructor = values[0], values[1]
            topic = _majority_topic(tags.get(pk, []), None)
            if topic is None:
                continue
            live_state, price, live_start, live_end = 0, 0.0, 0.0, 0.0
            if kind == LIVE:
                live_state = state.get(values[2], 0)
                live_start, live_end = values[3].timestamp(), values[4].timestamp()
            if kind == PRODUCT:
                price = float(values[2])
            rows.append((kind, pk, topic, price, live_state, 0, instructor, live_start, live_end))
    if not rows:
        raise ValueError("The catalog is empty: run the catalog step of seed_demo first.")
    rows.sort(key=lambda r: (r[0], r[1]))
    data = np.array(rows, dtype=np.float64)
    ranks = rng.permutation(len(rows)) + 1
    appeal = ranks.astype(np.float64) ** -POPULARITY_EXPONENT
    return Catalog(
        item_type=data[:, 0].astype(np.int8),
        object_id=data[:, 1].astype(np.int64),
        topic=data[:, 2].astype(np.int16),
        appeal=appeal / appeal.sum(),
        price=data[:, 3],
        live_state=data[:, 4].astype(np.int8),
        preview_lesson=data[:, 5].astype(np.int64),
        instructor=data[:, 6].astype(np.int64),
        live_start=data[:, 7],
        live_end=data[:, 8],
    )


def latent_interests(
    rng: np.random.Generator, n_learners: int, n_topics: int, present: np.ndarray
) -> np.ndarray:
    """Rows of topic weights summing to 1: a few strong topics (among those the catalog has)
    over a faint background."""
    theta = np.full((n_learners, n_topics), 0.02 / n_topics)
    counts = rng.choice([1, 2, 3], size=n_learners, p=[0.45, 0.35, 0.20])
    counts = np.minimum(counts, len(present))
    for u, count in enumerate(counts):
        topics = rng.choice(present, size=count, replace=False)
        theta[u, topics] += 0.98 * rng.dirichlet(np.full(count, 2.0))
    return theta / theta.sum(axis=1, keepdims=True)


def _sample_rows(rng, cdf_rows: np.ndarray) -> np.ndarray:
    """One index per row of a matrix of cumulative distributions."""
    draws = rng.random(cdf_rows.shape[0])[:, None]
    return np.minimum((cdf_rows < draws).sum(axis=1), cdf_rows.shape[1] - 1)


def _first_of_each_pair(mask, users, items, times) -> np.ndarray:
    """``mask`` keeping, of each (user, item) pair, only its earliest entry in ``times``."""
    idx = np.flatnonzero(mask)
    idx = idx[np.lexsort((times[idx], items[idx], users[idx]))]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = (users[idx][1:] != users[idx][:-1]) | (items[idx][1:] != items[idx][:-1])
    kept = np.zeros_like(mask)
    kept[idx[first]] = True
    return kept


def _social(
    add,
    rng: np.random.Generator,
    *,
    catalog: Catalog,
    users: np.ndarray,
    items: np.ndarray,
    when: np.ndarray,
    engaged: np.ndarray,
    watched_share: np.ndarray,
    video: np.ndarray,
    attended: np.ndarray,
    took_to: np.ndarray,
    now: datetime,
) -> None:
    """The social feedback of the impressions (see the module docstring): ``add`` as in
    ``simulate``; ``when`` is each impression's session start (seconds into the window),
    ``engaged`` the square root of the learner's interest in the item's topic, ``video`` and
    ``attended`` the short videos watched and the lives watched on air or as replays,
    ``took_to`` the items the learner enrolled in, bought or attended."""
    n = len(users)
    draw = rng.random((n, 8))
    # Short videos watched: a like from a few in a hundred (more when watched through), a
    # comment from fewer, a share rarely; one like and one share per learner and video.
    like = video & (draw[:, 0] < 0.045 * engaged * (0.4 + watched_share))
    add(_first_of_each_pair(like, users, items, when), "like", 45)
    comment = video & (draw[:, 1] < 0.012 * engaged)
    add(comment, "comment", 70)
    share = video & (draw[:, 2] < 0.006 * engaged)
    add(_first_of_each_pair(share, users, items, when), "share", 50)

    # Live rooms: messages and questions while the live was on air (a replay's viewer was
    # there), the first like of a live.
    window_start = (now - timedelta(days=DAYS)).timestamp()
    start = catalog.live_start[items]
    span = np.maximum(np.minimum(catalog.live_end[items], now.timestamp()) - start, 0.0)

    def on_air(u: np.ndarray) -> np.ndarray:
        return np.clip(start + u * span - window_start, 0.0, DAYS * 86400.0 - 1.0)

    chat = attended & (draw[:, 3] < 0.10 * engaged)
    add(chat, "comment", 0, at=on_air(draw[:, 4]))
    question = attended & (draw[:, 5] < 0.05 * engaged)
    add(question, "question", 0, at=on_air(draw[:, 6]))
    room_like = _first_of_each_pair(attended & (draw[:, 7] < 0.25 * engaged), users, items, when)
    add(room_like, "like", 0, at=on_air(draw[:, 4] * 0.9))

    # Follows of the instructors of what a learner took to: at most one per instructor.
    took = took_to | like | comment | chat | question
    follow = took & (rng.random(n) < 0.2 * engaged)
    add(_first_of_each_pair(follow, users, catalog.instructor[items], when), "follow", 300)


def simulate(
    *,
    seed: int,
    now: datetime,
    events_per_learner: float = EVENTS_PER_LEARNER,
    learners: list[tuple[int, str]] | None = None,
    progress: Progress | None = None,
) -> BehaviourSummary:
    """Simulate ``DAYS`` days of behaviour of the demo learners and store the events."""
    say = progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    catalog = load_catalog(rng)
    if learners is None:
        learners = list(
            get_user_model()
            .objects.filter(
                email__endswith=f"@{DEMO_EMAIL_DOMAIN}", is_staff=False, instructor__isnull=True
            )
            .order_by("pk")
            .values_list("pk", "username")
        )
    if not learners:
        raise ValueError("There are no demo learners: run the catalog step of seed_demo first.")
    n_users, n_topics = len(learners), len(TOPICS)
    theta = latent_interests(rng, n_users, n_topics, np.unique(catalog.topic))
    activity = rng.lognormal(0.0, 0.9, size=n_users)
    activity /= activity.mean()
    showcase = next(
        (u for u, (_, name) in enumerate(learners) if name == learner_username(1)), None
    )
    if showcase is not None:  # the demo account gets the busiest past: swap it the top level
        busiest = int(np.argmax(activity))
        activity[[showcase, busiest]] = activity[[busiest, showcase]]

    sessions_per_user = events_per_learner / EVENTS_PER_IMPRESSION / IMPRESSIONS_PER_SESSION
    sessions = rng.poisson(activity * sessions_per_user)
    session_user = np.repeat(np.arange(n_users), sessions)
    n_sessions = len(session_user)
    # More recent days are busier (the platform grows).
    age_days = np.clip(DAYS * (1 - rng.power(1.4, n_sessions)), 0, DAYS - 0.01)
    session_start = age_days * 86400.0
    say(f"  {n_sessions:,} sessions of {n_users:,} learners")

    # Impressions: from the learner's topics, or from the popular feed.
    imp_user = np.repeat(session_user, IMPRESSIONS_PER_SESSION)
    imp_session = np.repeat(np.arange(n_sessions), IMPRESSIONS_PER_SESSION)
    n_imp = len(imp_user)
    items = np.empty(n_imp, dtype=np.int64)
    browse = rng.random(n_imp) < TOPIC_BROWSE_SHARE
    global_cdf = np.cumsum(catalog.appeal)
    items[~browse] = np.searchsorted(global_cdf, rng.random((~browse).sum()) * global_cdf[-1])
    chosen_topic = _sample_rows(rng, np.cumsum(theta[imp_user[browse]], axis=1))
    browse_items = np.empty(browse.sum(), dtype=np.int64)
    for topic in range(n_topics):
        members = np.flatnonzero(catalog.topic == topic)
        where = np.flatnonzero(chosen_topic == topic)
        if len(where) == 0:
            continue
        if len(members) == 0:
            browse_items[where] = np.searchsorted(global_cdf, rng.random(len(where)))
            continue
        cdf = np.cumsum(catalog.appeal[members])
        browse_items[where] = members[np.searchsorted(cdf, rng.random(len(where)) * cdf[-1])]
    items[browse] = np.minimum(browse_items, len(catalog.appeal) - 1)
    items = np.minimum(items, len(catalog.appeal) - 1)

    interest = theta[imp_user, catalog.topic[items]]  # 0..1
    rel_appeal = np.log(catalog.appeal[items] * len(catalog.appeal))
    click_logit = -4.5 + 4.2 * np.sqrt(interest) + 0.35 * rel_appeal
    clicked = rng.random(n_imp) < 1 / (1 + np.exp(-click_logit))

    events: list[tuple[int, int, str, int, float | None, int | None, float]] = []
    # (user index, item index, event type, lesson id, value, session, seconds into the window)

    def add(mask, kind: str, offset: float, value=None, lesson=None, at=None):
        """Events of ``kind`` for the impressions of ``mask``, ``offset`` seconds into their
        session (or at ``at``: seconds into the window, one per impression)."""
        idx = np.flatnonzero(mask)
        for j, i in enumerate(idx):
            v = None if value is None else float(value[j] if np.ndim(value) else value)
            events.append(
                (
                    imp_user[i],
                    items[i],
                    kind,
                    int(lesson[i]) if lesson is not None else 0,
                    v,
                    imp_session[i],
                    float(at[i])
                    if at is not None
                    else session_start[imp_session[i]] + offset + i % IMPRESSIONS_PER_SESSION * 20,
                )
            )

    add(np.ones(n_imp, dtype=bool), "impression", 0)
    not_interested = ~clicked & (interest < 0.05) & (rng.random(n_imp) < 0.02)
    add(not_interested, "not_interested", 5)
    add(clicked, "click", 8)
    add(clicked, "view", 9)

    kind = catalog.item_type[items]
    u = rng.random((n_imp, 6))
    engaged = np.sqrt(interest)
    # Courses: preview a lesson, cart, buy or enroll, favourite, rate.
    course = clicked & (kind == COURSE)
    free = catalog.price[items] == 0
    lessons = catalog.preview_lesson[items]
    watch_course = course & (lessons > 0) & (u[:, 0] < 0.35 + 0.5 * engaged)
    share = rng.beta(1 + 5 * engaged, 2.0)
    add(watch_course, "watch", 60, share[watch_course], lesson=lessons)
    price_factor = np.exp(-catalog.price[items] / 600.0)
    buy_course = course & ~free & (u[:, 1] < 0.25 * engaged * price_factor + 0.01)
    buy_course = _first_of_each_pair(buy_course, imp_user, items, session_start[imp_session])
    cart_course = course & ~free & (buy_course | (u[:, 2] < 0.06 * engaged))
    add(cart_course, "cart", 120)
    add(buy_course, "purchase", 180)
    enroll = (course & free & (u[:, 1] < 0.45 * engaged + 0.02)) | buy_course
    add(enroll, "enroll", 181)
    add(course & (u[:, 3] < 0.10 * engaged), "favourite", 100)
    rate = enroll & (u[:, 4] < 0.25)
    rating = np.clip(np.round(2.5 + 2.5 * engaged + rng.normal(0, 0.7, n_imp)), 1, 5)
    add(rate, "rating", 3600, rating[rate])
    # Short videos: watched (likes, comments and shares below, with the live rooms').
    video = clicked & (kind == VIDEO)
    add(video, "watch", 30, share[video])
    # Products: cart, buy.
    product = clicked & (kind == PRODUCT)
    cart_product = product & (u[:, 1] < 0.30 * engaged + 0.02)
    add(cart_product, "cart", 60)
    add(cart_product & (u[:, 2] < 0.45), "purchase", 120)
    # Live sessions: reserve upcoming, watch live or replay.
    live = clicked & (kind == LIVE)
    state = catalog.live_state[items]
    add(live & (state == 1) & (u[:, 1] < 0.5 * engaged + 0.05), "reserve", 30)
    attended = live & (state >= 2) & (u[:, 1] < 0.6 * engaged + 0.05)
    add(attended, "watch", 30, share[attended])
    _social(
        add,
        rng,
        catalog=catalog,
        users=imp_user,
        items=items,
        when=session_start[imp_session],
        engaged=engaged,
        watched_share=share,
        video=video,
        attended=attended,
        took_to=enroll | attended,
        now=now,
    )

    searches = rng.random(n_sessions) < 0.12
    say(f"  {len(events):,} events planned; writing")
    written, by_type = _write(
        events=events,
        searches=np.flatnonzero(searches),
        session_user=session_user,
        session_start=session_start,
        theta=theta,
        learners=learners,
        catalog=catalog,
        now=now,
        rng=rng,
        progress=say,
    )
    latent = {
        username: {
            TOPICS[t].key: round(float(theta[u_index, t]), 4)
            for t in np.argsort(-theta[u_index])[:3]
            if theta[u_index, t] >= 0.05
        }
        for u_index, (_, username) in enumerate(learners)
    }
    return BehaviourSummary(
        events=written, learners=n_users, by_type=by_type, latent_interests=latent
    )


def _write(
    *, events, searches, session_user, session_start, theta, learners, catalog, now, rng, progress
) -> tuple[int, dict[str, int]]:
    start = now - timedelta(days=DAYS)
    user_pk = np.array([pk for pk, _ in learners], dtype=np.int64)
    type_name = {COURSE: "course", LIVE: "live", VIDEO: "video", PRODUCT: "product"}
    ids = rng.integers(0, 2**63, size=(len(events) + len(searches), 2), dtype=np.int64)
    by_type: Counter[str] = Counter()
    rows: list[Event] = []
    acts: list[Act] = []
    written = 0

    def flush():
        nonlocal written, rows
        with transaction.atomic():
            Event.objects.bulk_create(rows, batch_size=INSERT_BATCH, ignore_conflicts=True)
        written += len(rows)
        progress(f"  {written:,} events written")
        rows = []

    social = SocialRows()
    for n, (u_index, item, kind, lesson, value, session, at) in enumerate(events):
        ts = start + timedelta(seconds=at)
        object_type, object_id = (
            type_name[int(catalog.item_type[item])],
            int(catalog.object_id[item]),
        )
        if lesson and kind == "watch":
            object_type, object_id = "lesson", lesson
        if kind == "follow":
            object_type, object_id = "instructor", int(catalog.instructor[item])
        if kind in SOCIAL_EVENTS:
            social.add(int(user_pk[u_index]), kind, object_type, object_id, ts, rng)
        if kind in ("purchase", "enroll") or object_type == "lesson":
            acts.append(
                Act(int(user_pk[u_index]), int(session), kind, object_type, object_id, value, ts)
            )
        rows.append(
            Event(
                user_id=int(user_pk[u_index]),
                event_type=kind,
                object_type=object_type,
                object_id=object_id,
                value=value,
                page="demo",
                # Purchases, enrollments, reservations and the social acts are what the server
                # records (as the site does, through ``commerce.signals.learner_acted``).
                client="server" if kind in SERVER_RECORDED else "web",
                client_ts=ts,
                server_ts=ts,
                client_event_id=uuid.UUID(int=(int(ids[n, 0]) << 64) | int(ids[n, 1])),
            )
        )
        by_type[kind] += 1
        if len(rows) >= INSERT_BATCH * 4:
            flush()
    for m, session in enumerate(searches):
        u_index = int(session_user[session])
        topic = TOPICS[int(np.argmax(theta[u_index]))]
        n = len(events) + m
        ts = start + timedelta(seconds=float(session_start[session]))
        rows.append(
            Event(
                user_id=int(user_pk[u_index]),
                event_type="search",
                query=topic.name,
                page="demo",
                client="web",
                client_ts=ts,
                server_ts=ts,
                client_event_id=uuid.UUID(int=(int(ids[n, 0]) << 64) | int(ids[n, 1])),
            )
        )
        by_type["search"] += 1
    flush()
    orders, enrollments, lessons = _learning_rows(acts, rng=rng)
    progress(f"  {orders:,} orders, {enrollments:,} enrollments, {lessons:,} lessons watched")
    with transaction.atomic(), _times_as_simulated(*SOCIAL_MODELS):
        counts = social.write()
    progress("  " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
    return written, dict(by_type)


@dataclass(frozen=True)
class Act:
    """A simulated purchase, enrollment or lesson watched, and when it happened."""

    user_id: int
    session: int
    kind: str
    object_type: str
    object_id: int
    value: float | None
    at: datetime


def _learning_rows(acts: list[Act], *, rng: np.random.Generator) -> tuple[int, int, int]:
    """The orders, payments, delivery addresses, enrollments and lesson progress that the
    simulated purchases, enrollments and watches leave behind (see the module's docstring).

    Rows are written with bulk inserts, which keep ``make run`` fast at every scale; the
    rows' times are those of the simulated acts. Returns how many orders, enrollments and
    progress rows were written."""
    bought: dict[tuple[int, int], list[Act]] = {}  # (learner, session) -> its purchases
    enrolled: dict[tuple[int, int], datetime] = {}  # (learner, course) -> when
    watched: dict[tuple[int, int], tuple[float, datetime]] = {}  # (learner, lesson) -> share, when
    for act in acts:
        if act.kind == "purchase":
            bought.setdefault((act.user_id, act.session), []).append(act)
        elif act.kind == "enroll":
            key = (act.user_id, act.object_id)
            enrolled[key] = min(enrolled.get(key, act.at), act.at)
        else:
            share, at = watched.get((act.user_id, act.object_id), (0.0, act.at))
            watched[(act.user_id, act.object_id)] = (max(share, act.value or 0.0), max(at, act.at))
    with (
        transaction.atomic(),
        _times_as_simulated(DeliveryAddress, Order, Enrollment, LessonProgress),
    ):
        paid_with, orders = _orders(bought, rng=rng)
        return (
            orders,
            _enrollments(enrolled, paid_with),
            _progress(watched),
        )


@contextmanager
def _times_as_simulated(*models):
    """While in force, inserting rows of ``models`` keeps the times the simulation gave their
    ``auto_now``/``auto_now_add`` fields (``created_at``, ``updated_at``), which Django would
    otherwise stamp with the present (updating them afterwards would cost more than the insert).
    Only the seeding command writes these tables meanwhile."""
    fields = [
        field
        for model in models
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _orders(
    bought: dict[tuple[int, int], list[Act]], *, rng: np.random.Generator
) -> tuple[dict[tuple[int, int], Order], int]:
    """One paid order per (learner, session) with purchases, at the catalog's prices, shipped
    to the learner's address when a product in it is physical; returns the order each
    (learner, course) was bought with, and how many orders were written."""
    wanted = {"course": set(), "product": set()}
    for group in bought.values():
        for act in group:
            wanted[act.object_type].add(act.object_id)
    courses = {
        pk: (title, price)
        for pk, title, price in Course.objects.filter(pk__in=wanted["course"]).values_list(
            "pk", "title", "price"
        )
    }
    products = {
        pk: (title, price, kind == Product.Kind.PHYSICAL)
        for pk, title, price, kind in Product.objects.filter(pk__in=wanted["product"]).values_list(
            "pk", "title", "price", "kind"
        )
    }
    groups = sorted(bought.items(), key=lambda entry: (entry[1][0].at, entry[0]))

    def ships(group: list[Act]) -> bool:
        return any(a.object_type == "product" and products[a.object_id][2] for a in group)

    first_shipped: dict[int, datetime] = {}  # learner -> their first delivery, in time order
    for (user_id, _session), group in groups:
        if ships(group):
            first_shipped.setdefault(user_id, group[0].at)
    addresses = _addresses(first_shipped, rng=rng)
    numbers = rng.choice(10**10, size=len(groups), replace=False)
    placed = set(  # by an earlier run of the same simulation
        Order.objects.filter(
            user_id__in={user for user, _ in bought}, idempotency_key__startswith="demo-"
        ).values_list("user_id", "idempotency_key")
    )
    orders, lines = [], []
    for n, ((user_id, session), group) in enumerate(groups):
        if (user_id, f"demo-{session}") in placed:
            continue
        order_lines = []
        for act in group:
            if act.object_type == "course":
                title, price = courses[act.object_id]
                line = OrderLine(course_id=act.object_id, title=title, unit_price=price)
            else:
                title, price, _physical = products[act.object_id]
                line = OrderLine(product_id=act.object_id, title=title, unit_price=price)
            order_lines.append(line)
        at = group[0].at
        number = f"ZB{timezone.localtime(at):%Y%m%d}{int(numbers[n]):010d}"
        order = Order(
            number=number,
            user_id=user_id,
            idempotency_key=f"demo-{session}",
            status=Order.Status.PAID,
            total=sum((line.amount for line in order_lines), Decimal("0.00")),
            payment_reference=f"SIM-{number}",  # what the simulated provider answers
            paid_at=at,
            created_at=at,
            updated_at=at,
        )
        if ships(group):
            order.ship_to(addresses[user_id])
        orders.append(order)
        lines.append(order_lines)
    Order.objects.bulk_create(orders, batch_size=INSERT_BATCH)
    for order, order_lines in zip(orders, lines, strict=True):
        for line in order_lines:
            line.order = order
    OrderLine.objects.bulk_create(
        [line for order_lines in lines for line in order_lines], batch_size=INSERT_BATCH
    )
    paid_with = {
        (order.user_id, line.course_id): order
        for order, order_lines in zip(orders, lines, strict=True)
        for line in order_lines
        if line.course_id
    }
    return paid_with, len(orders)


def _addresses(
    first_shipped: dict[int, datetime], *, rng: np.random.Generator
) -> dict[int, DeliveryAddress]:
    """A default delivery address for each learner of ``first_shipped`` (the one they have, if
    any), saved when it was first shipped to."""
    users = sorted(first_shipped)
    existing = {
        address.user_id: address
        for address in DeliveryAddress.objects.filter(user_id__in=users, is_default=True)
    }

    def pick(options):
        return options[int(rng.integers(len(options)))]

    addresses = []
    for user_id in users:
        region, postal_code = pick(DELIVERY_REGIONS)
        digits = "".join(map(str, rng.integers(10, size=9)))
        addresses.append(
            DeliveryAddress(
                user_id=user_id,
                recipient=pick(SURNAMES) + pick(GIVEN_NAMES),
                phone=f"1{pick('358')}{digits[0]} {digits[1:5]} {digits[5:]}",
                region=region,
                street=f"{pick(STREETS)} {int(rng.integers(1, 300))} 号",
                postal_code=postal_code,
                is_default=True,
                created_at=first_shipped[user_id],
                updated_at=first_shipped[user_id],
            )
        )
    DeliveryAddress.objects.bulk_create(
        [address for address in addresses if address.user_id not in existing],
        batch_size=INSERT_BATCH,
    )
    return {address.user_id: address for address in addresses} | existing


def _enrollments(
    enrolled: dict[tuple[int, int], datetime], paid_with: dict[tuple[int, int], Order]
) -> int:
    """The courses learners bought (with the order they bought them with) or joined for free."""
    existing = set(
        Enrollment.objects.filter(user_id__in={u for u, _ in enrolled}).values_list(
            "user_id", "course_id"
        )
    )
    pairs = sorted(set(enrolled) - existing)
    rows = [
        Enrollment(user_id=u, course_id=c, order=paid_with.get((u, c)), created_at=enrolled[(u, c)])
        for u, c in pairs
    ]
    Enrollment.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    return len(rows)


def _progress(watched: dict[tuple[int, int], tuple[float, datetime]]) -> int:
    """How far learners got in the lessons they watched, and when they last watched them."""
    durations = dict(
        Lesson.objects.filter(pk__in={lesson for _, lesson in watched}).values_list(
            "pk", "duration_seconds"
        )
    )
    existing = set(
        LessonProgress.objects.filter(user_id__in={u for u, _ in watched}).values_list(
            "user_id", "lesson_id"
        )
    )
    pairs = sorted(set(watched) - existing)
    rows = []
    for user_id, lesson in pairs:
        share, at = watched[(user_id, lesson)]
        percent = min(100, round(share * 100))
        rows.append(
            LessonProgress(
                user_id=user_id,
                lesson_id=lesson,
                position_seconds=int(share * durations.get(lesson, 0)),
                percent_watched=percent,
                completed_at=at if percent >= LESSON_COMPLETE_PERCENT else None,
                updated_at=at,
            )
        )
    LessonProgress.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    return len(rows)


def demo_behaviour_exists() -> bool:
    return Event.objects.filter(page="demo", user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}").exists()


def build_behaviour(
    *,
    seed: int,
    now: datetime,
    events_per_learner: float = EVENTS_PER_LEARNER,
    latent_path: Path | None = None,
    progress: Progress | None = None,
) -> BehaviourSummary | None:
    """Simulate the demo learners' past once (None if it is already there), then derive their
    interest tags and the trending lists from it."""
    say = progress or (lambda message: None)
    if demo_behaviour_exists():
        return None
    summary = simulate(seed=seed, now=now, events_per_learner=events_per_learner, progress=say)
    _refresh_planner_statistics()
    if latent_path is not None:
        save_latent_interests(summary, latent_path)
    say(f"interest tags derived for {interests_derive(now=now):,} learners")
    sizes = trending_refresh(now=now)
    say("trending lists: " + ", ".join(f"{t} {n}" for t, n in sizes.items()))
    return summary


def _refresh_planner_statistics() -> None:
    """After a bulk load PostgreSQL's planner still believes the tables hold what they held
    before, and picks plans for empty tables (ten items looked up through the index of every
    published course; a learner's exclusions read through the index of every course event)
    until autovacuum gets round to them — and then autovacuum competes with the first
    requests. Vacuum and analyse the database now (only analyse inside a transaction, where
    VACUUM cannot run): the visibility map it writes also lets index-only scans skip the
    table."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def save_latent_interests(summary: BehaviourSummary, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.latent_interests, ensure_ascii=False, indent=1))
    return path
