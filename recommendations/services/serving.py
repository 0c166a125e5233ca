"""Serving: "recommend k items of type T in slot S for this learner".

Candidates come from the first source that has them, then the next sources fill up:

1. **the model** — the learner's precomputed list (cache, keyed by model version); a learner with
   events newer than the model, or not in it, is folded in from their events instead (one small
   least-squares solve), so a new learner gets personal results after a few actions; if the
   cache is away the loaded model (memory-mapped, per process) answers;
2. **content** — items carrying the learner's interest tags (declared or derived);
3. **trending** — the stored trending list of the type.

Then live filters drop what the learner bought, enrolled in or marked "not interested", and what
is unpublished, inactive, out of stock or over; a diversity re-rank (MMR on shared tags, at most
``MAX_PER_INSTRUCTOR`` items from one instructor) picks ``k``; every item gets a reason; and the
list gets a request id that impressions and clicks carry back.

A learner in a running experiment of the slot (``recommendations.services.experiments``) gets
their variant's configuration (model family or version, diversity, reasons, source order), and
each list served to them is recorded as an exposure under its request id.

With personalisation off (or signed out) only trending is used, nothing about the learner is
read, and no experiment applies. Any failure of the model path is logged and the next source
answers: a page never fails because of the recommender.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import connection
from django.db.models import CharField, Min, Value
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from commerce.models import Enrollment
from config.cache import (
    cache_delete_many,
    cache_get,
    cache_get_many,
    cache_set,
    cache_set_many,
)
from courses.generations import DISCOUNTS, generation_from, generation_key
from courses.models import Course, Lesson, LiveSession, Product, ShortVideo
from courses.pricing import discounted_course_ids
from recommendations.engine import mmr_rerank
from recommendations.models import Event, InterestTag, LearnerProfile, ModelVersion
from recommendations.services.experiments import (
    RUNNING_KEY,
    Arm,
    assignment_key,
    exposure_record,
    learner_arm,
    running_experiments,
)
from recommendations.services.trending import trending_ids
from recommendations.training.artefacts import LoadedModel, model_cache
from recommendations.training.dataset import ITEM_MODELS, ITEM_TYPES, interaction_weights

logger = logging.getLogger(__name__)

POOL = 4  # candidates per requested item for the re-ranking
MAX_PER_INSTRUCTOR = 2
MMR_LAMBDA = 0.85
ACTIVE_KEY = "recommender:active-version"
ACTIVE_CACHE_SECONDS = 30
LIST_CACHE_SECONDS = 2 * 24 * 3600
RESULT_CACHE_SECONDS = 60
_last_version = [0]  # the active version this process saw last (a guess for prefetching)
FOLD_IN_EVENTS = 300


@dataclass
class Reason:
    kind: str  # "item", "tag", "trending"
    text: str


@dataclass
class Recommendation:
    item_type: str
    object: object
    score: float
    reason: Reason


@dataclass(frozen=True)
class ExperimentTag:
    """The experiment and variant that served a list."""

    key: str
    variant: str


@dataclass
class RecommendationList:
    item_type: str
    slot: str
    request_id: uuid.UUID
    personalised: bool
    source: str  # where the first candidates came from: model, fold_in, content, trending
    items: list[Recommendation] = field(default_factory=list)
    experiment: ExperimentTag | None = None
    # Made from nothing but what the request's one cache round trip brought (the learner's
    # precomputed list) and the process's own copies of the catalog: made again as cheaply as
    # it would be read back from the result cache, so it is not stored there.
    remade_cheaply: bool = field(default=False, repr=False, compare=False)


# --- the active model ---------------------------------------------------------------------


def active_model_summary(*, cached: bool = True) -> dict | None:
    """The serving version's id, artefacts, data end and newest event, cached for a few
    seconds (a promotion clears it); None before any model has been trained. ``cached=False``
    reads the database (for a caller that found nothing cached)."""
    active = cache_get(ACTIVE_KEY) if cached else None
    if active is None:
        version = (
            ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
            .values("pk", "artefact_path", "data_until", "last_event_id")
            .first()
        )
        active = version or {}
        cache_set(ACTIVE_KEY, active, ACTIVE_CACHE_SECONDS)
    return active or None


def forget_active_version() -> None:
    cache_delete_many([ACTIVE_KEY])


def list_cache_key(version_id: int, user_id: int, item_type: str) -> str:
    return f"recommender:v{version_id}:u{user_id}:{item_type}"


def model_candidates(
    loaded: LoadedModel, *, row: int | None, user_items_row, item_type: str, n: int
) -> tuple[list[int], list[float], list[tuple[str, int] | None]]:
    """Top ``n`` object ids of ``item_type`` for a learner, with scores and the learner's own
    item (type, id) that contributes most to each score (None when nothing does)."""
    model, items = loaded.model_for(item_type), loaded.items
    mask = items.types != ITEM_TYPES.index(item_type)
    if row is not None:
        ids, scores = model.recommend(
            [row], loaded.user_items, k=n, exclude_seen=True, item_mask=mask
        )
        user_items_row = loaded.user_items[row]
    else:
        vector = model.fold_in(user_items_row)
        seen = np.zeros(len(items), dtype=bool)
        seen[user_items_row.indices] = True
        ids, scores = model.recommend_vector(vector, k=n, item_mask=mask | seen)
    ids, scores = ids[0], scores[0]
    valid = ids >= 0
    ids, scores = ids[valid], scores[valid]
    if not len(ids):
        return [], [], []
    top = model.explain(user_items_row, ids).top_contributors
    return items.ids[ids].tolist(), scores.astype(float).tolist(), _reason_items(items, top)


def _reason_items(items, columns) -> list[tuple[str, int] | None]:
    """(type, id) of each explaining column, None where nothing explains."""
    columns = np.asarray(columns, dtype=np.int64)
    safe = np.maximum(columns, 0)
    return [
        (ITEM_TYPES[t], pk) if c >= 0 else None
        for c, t, pk in zip(
            columns.tolist(), items.types[safe].tolist(), items.ids[safe].tolist(), strict=True
        )
    ]


_CODE_WORD = re.compile(r"^[a-z_]+$")


@functools.cache
def _words(*values: str) -> str:
    """Values of the code's own (event kinds, item types) as SQL literals. Written into the
    queries below rather than bound, so the plan PostgreSQL keeps for a prepared statement
    knows them: bound, they left it unable to use the partial index on a learner's exclusions,
    and every execution was planned afresh. Cached: the same few are written on every list."""
    for value in values:
        if not _CODE_WORD.match(value):
            raise ValueError(f"not a code word: {value!r}")
    return ", ".join(f"'{value}'" for value in values)


@functools.cache
def _credible_sql(alias: str = "") -> str:
    """``Event.objects.credible()`` as an SQL condition, for the queries written out below:
    commerce's facts only as the server recorded them."""
    kinds = _words(*sorted(Event.SERVER_ONLY_TYPES))
    server = _words(Event.Client.SERVER.value)
    return f"({alias}client = {server} OR {alias}event_type NOT IN ({kinds}))"


def _events_row(loaded: LoadedModel, user, since):
    """The learner's recent events (after ``since``, if given) as a 1 x items row of weights
    (for fold-in); a lesson counts for its course, as in training. One query, written out like
    ``learner_state``'s: it runs on every folded-in list, and reads the (user, -id) index
    backwards."""
    events, lessons = Event._meta.db_table, Lesson._meta.db_table
    sql = (
        "SELECT e.event_type, "
        "CASE WHEN e.object_type = 'lesson' THEN 'course' ELSE e.object_type END, "
        "CASE WHEN e.object_type = 'lesson' THEN l.course_id ELSE e.object_id END, e.value "
        f"FROM {events} e LEFT JOIN {lessons} l "
        "ON e.object_type = 'lesson' AND l.id = e.object_id "
        "WHERE e.user_id = %s AND e.object_id IS NOT NULL "
        f"AND e.event_type NOT IN ({_words('impression', 'search', 'not_interested')}) "
        f"AND {_credible_sql('e.')}"
    )
    params = [user.pk]
    if since is not None:
        sql += " AND e.server_ts > %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY e.id DESC LIMIT %s", [*params, FOLD_IN_EVENTS])
        rows = cursor.fetchall()
    kinds = np.array([r[0] for r in rows], dtype=object)
    types = np.array([r[1] for r in rows], dtype=object)
    ids = np.array([-1 if r[2] is None else r[2] for r in rows], dtype=np.int64)
    values = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64)
    columns = np.full(len(rows), -1, dtype=np.int64)
    for item_type in ITEM_TYPES:  # one look-up per type, not per event
        of_type = types == item_type
        if of_type.any():
            columns[of_type] = loaded.items.columns(item_type, ids[of_type])
    known = columns >= 0
    cols, kinds, values = columns[known], kinds[known], values[known]
    weights = interaction_weights(kinds, values, loaded.event_weights)  # the model's own
    # One weight per item, summed over its events; only positive sums count. Built as CSR
    # directly: going through COO costs more than the arithmetic for one short row.
    items, inverse = np.unique(cols, return_inverse=True)
    summed = np.bincount(inverse, weights=weights, minlength=len(items)).astype(np.float32)
    positive = summed > 0
    data, indices = summed[positive], items[positive].astype(np.int32)
    indptr = np.array([0, len(data)], dtype=np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(1, len(loaded.items)))


def _from_model(user, item_type: str, n: int, state: LearnerState, active, prefetched: dict):
    """(source, ids, scores, reason items) from the active model, or None. ``prefetched`` holds
    what the cache answered for keys already asked (a missing key there was not asked); the
    source is "precomputed" for a precomputed list found there, which the list shows as
    "model"."""
    if not active:
        return None
    cleared = state.history_cleared_at
    model_knows_history = cleared is None or cleared < active["data_until"]
    fresh = state.newest_event <= (active["last_event_id"] or 0)
    key = list_cache_key(active["pk"], user.pk, item_type)
    if fresh and model_knows_history:
        cached = prefetched[key] if key in prefetched else cache_get(key)
        if cached is not None:
            ids, scores, reasons = cached
            reasons = [tuple(r) if r else None for r in reasons[:n]]
            return ("precomputed" if key in prefetched else "model"), ids[:n], scores[:n], reasons
    loaded = model_cache.get(active["pk"], active["artefact_path"])
    row = loaded.row_of(user.pk) if model_knows_history else None
    if fresh and row is not None:
        ids, scores, reasons = model_candidates(
            loaded, row=row, user_items_row=None, item_type=item_type, n=n
        )
        return "model", ids, scores, reasons
    events_row = _events_row(loaded, user, since=None if model_knows_history else cleared)
    if not events_row.nnz:
        return None
    ids, scores, reasons = model_candidates(
        loaded, row=None, user_items_row=events_row, item_type=item_type, n=n
    )
    return "fold_in", ids, scores, reasons


def _reason_titles(
    keys: list[tuple[str, int] | None], generations: dict[str, str | None] | None = None
) -> dict[tuple[str, int], str]:
    """Titles of the learner's own items that explain recommendations: with the catalog
    ``generations``, from the available items the process keeps; the others in one query."""
    titles: dict[tuple[str, int], str] = {}
    by_type: dict[str, set[int]] = {}
    for key in keys:
        if not key:
            continue
        held = available_now(key[0], generations[key[0]]).titles if generations else {}
        if key[1] in held:
            titles[key] = held[key[1]]
        else:
            by_type.setdefault(key[0], set()).add(key[1])
    queries = [
        ITEM_MODELS[item_type]
        .objects.filter(pk__in=ids)
        .order_by()
        .annotate(item_type=Value(item_type, output_field=CharField()))
        .values_list("item_type", "pk", "title")
        for item_type, ids in by_type.items()
    ]
    if queries:
        rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        titles.update(((item_type, pk), title) for item_type, pk, title in rows)
    return titles


# --- content and trending ------------------------------------------------------------------


def _interest_tags(user) -> dict[int, tuple[str, float]]:
    rows = InterestTag.objects.filter(user=user, dismissed=False).values_list(
        "tag_id", "tag__name", "declared", "derived_weight"
    )
    return {
        tag_id: (name, max(derived, 1.0 if declared else 0.0))
        for tag_id, name, declared, derived in rows
        if declared or derived > 0
    }


def _from_content(user, item_type: str, n: int):
    tags = _interest_tags(user)
    if not tags:
        return [], [], {}
    model = ITEM_MODELS[item_type]
    through = model.tags.through
    column = f"{model._meta.model_name}_id"
    pairs = through.objects.filter(
        tag_id__in=list(tags), **{f"{column}__in": available_items(item_type).values("pk")}
    ).values_list(column, "tag_id")
    scores: dict[int, float] = {}
    best_tag: dict[int, tuple[float, str]] = {}
    for object_id, tag_id in pairs:
        name, weight = tags[tag_id]
        scores[object_id] = scores.get(object_id, 0.0) + weight
        if weight > best_tag.get(object_id, (0.0, ""))[0]:
            best_tag[object_id] = (weight, name)
    trending_rank = {pk: rank for rank, pk in enumerate(trending_ids(item_type=item_type))}
    order = sorted(scores, key=lambda pk: (-scores[pk], trending_rank.get(pk, 10**9), pk))[:n]
    return order, [scores[pk] for pk in order], {pk: best_tag[pk][1] for pk in order}


# --- filters --------------------------------------------------------------------------------


def available_items(item_type: str):
    """What may be recommended at all, for everyone, right now."""
    now = timezone.now()
    if item_type == "course":
        return Course.objects.published(now)
    if item_type == "live":  # open sessions, and ended ones with a replay (watched like a lesson)
        return LiveSession.objects.open(now) | LiveSession.objects.with_replay()
    if item_type == "video":
        return ShortVideo.objects.published(now)
    return Product.objects.purchasable()


def available_objects(item_type: str, ids: list[int]) -> dict:
    """The items of ``ids`` still available, by id, with their instructors (for the cards).
    Unordered: the catalog's ordering would make the planner walk its publication index."""
    return available_items(item_type).select_related("instructor").order_by().in_bulk(ids)


def availability_changes_at(item_type: str, now: datetime) -> datetime | None:
    """When the clock next changes what ``available_items`` holds (a course or video whose
    publication time comes, a live session that ends); None if only writes change it."""
    if item_type == "course":
        upcoming = Course.objects.publishing_after(now)
        return upcoming.aggregate(at=Min("published_at"))["at"]
    if item_type == "live":
        return LiveSession.objects.open(now).aggregate(at=Min("scheduled_end"))["at"]
    if item_type == "video":
        upcoming = ShortVideo.objects.publishing_after(now)
        return upcoming.aggregate(at=Min("published_at"))["at"]
    return None


@dataclass
class AvailableItems:
    """The items of one type available now, with each one's instructor, tags and title, and
    the model instances of those a list has shown (read on demand, kept with the rest)."""

    item_type: str
    generation: str | None
    until: datetime  # when this must be read again at the latest
    owners: dict[int, int]
    tags: dict[int, list[int]]
    titles: dict[int, str]
    objects: dict[int, object] = field(default_factory=dict)

    def objects_for(self, ids: list[int]) -> dict:
        """The available items among ``ids``, by id, with their instructors: those kept, and
        the others read in one query. Shared by the requests of the process: read-only."""
        missing = [pk for pk in ids if pk in self.owners and pk not in self.objects]
        if missing:
            self.objects.update(available_objects(self.item_type, missing))
        return {pk: self.objects[pk] for pk in ids if pk in self.objects}


FACETS_SECONDS = 60  # the longest this process trusts its copy (a write that skipped the services)
FACETS_SECONDS_WITHOUT_CACHE = 5  # with the cache away no generation says what changed
_available: dict[str, AvailableItems] = {}


def available_now(item_type: str, generation: str | None) -> AvailableItems:
    """``available_items`` with instructors and tags, kept in the process while the catalog
    generation holds and until the clock changes what is available: a list's candidates are
    filtered, and its items mostly found, without a query."""
    now = timezone.now()
    held = _available.get(item_type)
    if held is not None and held.generation == generation and now < held.until:
        return held
    owners: dict[int, int] = {}
    tags: dict[int, list[int]] = {}
    titles: dict[int, str] = {}
    # One row per (item, tag), or (item, None) for an item without tags.
    rows = available_items(item_type).order_by()
    for pk, owner, title, tag_id in rows.values_list("pk", "instructor_id", "title", "tags"):
        owners[pk] = owner
        titles[pk] = title
        tags.setdefault(pk, [])
        if tag_id is not None:
            tags[pk].append(tag_id)
    seconds = FACETS_SECONDS if generation is not None else FACETS_SECONDS_WITHOUT_CACHE
    until = now + timedelta(seconds=seconds)
    changes = availability_changes_at(item_type, now)
    held = AvailableItems(
        item_type, generation, min(until, changes) if changes else until, owners, tags, titles
    )
    _available[item_type] = held
    return held


def _diversify(
    tag_lists: list[list[int]],
    owners: list[int],
    scores: list[float],
    k: int,
    mmr_lambda: float = MMR_LAMBDA,
) -> list[int]:
    """Indexes of the candidates picked by MMR on shared tags, capped per instructor."""
    if not tag_lists:
        return []
    n = len(tag_lists)
    flat = [tag for tags in tag_lists for tag in tags]
    vocabulary, columns = np.unique(np.asarray(flat, dtype=np.int64), return_inverse=True)
    has = np.zeros((n, max(len(vocabulary), 1)))
    has[np.repeat(np.arange(n), [len(tags) for tags in tag_lists]), columns] = 1.0
    shared = has @ has.T
    sizes = has.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    sim = np.divide(shared, union, out=np.eye(n), where=union > 0)  # Jaccard of tag sets
    return [
        int(i)
        for i in mmr_rerank(
            np.arange(n),
            np.asarray(scores, dtype=np.float64),
            sim,
            k,
            lambda_=mmr_lambda,
            owner_ids=np.asarray(owners),
            max_per_owner=MAX_PER_INSTRUCTOR,
        )
    ]


# --- the service ----------------------------------------------------------------------------


def _trending_candidates(item_type: str, ranked: list, pool: int, result) -> list:
    result.remade_cheaply = False  # a round trip of its own
    floor = min((s for _, s, _, _ in ranked), default=0.0) - 1
    return [
        (pk, floor - rank / 1000, Reason("trending", _("Trending now")), None)
        for rank, pk in enumerate(trending_ids(item_type=item_type)[: pool * 2])
    ]


OFFER_VIEWS = ("view", "click", "cart")
"""What counts as having looked at a course, for the limited-time offer reason."""
MAX_OFFERS = 3
LOOKS_WINDOW = 200
"""How many of a learner's newest events are looked through for their looks at offers."""


def _from_offers(
    user, discounted: list[int], state: LearnerState, result: RecommendationList
) -> list[tuple[int, Reason]]:
    """Courses the learner looked at (opened, clicked, put in the cart) that have a
    time-limited discount running now, most recently looked at first: the same offer as for
    everyone, recommended because of their own interest. Read with the learner's state when
    this process guessed the running discounts right; else one query of its own."""
    if not discounted:
        return []
    if state.offers_asked == tuple(discounted):
        looked = state.offers_looked_at
    else:
        result.remade_cheaply = False
        sql, params = _looks_sql(user, discounted)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            looked = [pk for _, pk in cursor.fetchall()]
    reason = Reason("offer", _("Limited-time offer on a course you looked at"))
    return [(pk, reason) for pk in dict.fromkeys(looked)][:MAX_OFFERS]


def _looks_sql(user, courses) -> tuple[str, list]:
    """The learner's newest looks (``OFFER_VIEWS``) at ``courses`` among their newest
    ``LOOKS_WINDOW`` events: (event id, course id) rows, newest first, as SQL and parameters.
    A look that recent is an interest the offer can name; and the window is read from the
    index on the learner's newest events, where looking through all of them read every event
    of a learner with hundreds (0.25 against 0.07 ms on the bench database)."""
    listed = ", ".join(["%s"] * len(courses))
    sql = (
        "SELECT id, object_id FROM (SELECT id, object_id, object_type, event_type "
        f"FROM {Event._meta.db_table} WHERE user_id = %s ORDER BY id DESC LIMIT {LOOKS_WINDOW}) "
        f"AS recent WHERE object_type = 'course' AND event_type IN ({_words(*OFFER_VIEWS)}) "
        f"AND object_id IN ({listed}) ORDER BY id DESC LIMIT {MAX_OFFERS * 10}"
    )
    return sql, [user.pk, *courses]


def _offers_token(discounted: list[int]) -> str:
    """What a learner's list depends on of the running discounts (the courses on one), so a
    list is computed afresh when a discount starts or ends."""
    discounted = sorted(discounted)
    return f"{len(discounted)}.{hash(tuple(discounted)) & 0xFFFFFFFF:x}" if discounted else "-"


def _available_candidates(
    ranked: list, available: AvailableItems, excluded: frozenset[int], pool: int
):
    """The first ``pool`` ranked candidates, first occurrence of each, that are available and
    not excluded."""
    seen: set[int] = set()
    unique = []
    for entry in ranked:
        pk = entry[0]
        if pk not in seen and pk not in excluded and pk in available.owners:
            seen.add(pk)
            unique.append(entry)
            if len(unique) == pool:
                break
    return unique


def recommendations_for(*, user, item_type: str, slot: str = "home", k: int = 10):
    """The list for one section; see the module docstring. Never raises for recommender faults.

    A computed list is cached briefly under everything it depends on — the learner's newest
    event, their profile's last change, the slot and the language in the key; the active model
    version in the entry — so any action of the learner (a click, a "not interested", a
    purchase, a switch in the privacy center) or a new model gets a fresh list at once. The
    entry holds ids; the items come from those the process keeps for the catalog generation of
    the type (``available_now``), so a repeated request costs one indexed query and one cache
    round trip, a change to the catalog shows at once, and a list with an item no longer
    available (withdrawn, sold out, a live session over) is computed afresh. A list made from
    nothing but the learner's precomputed list, which that same round trip brings, is not
    stored: made again, it costs what reading it back would.
    """
    if item_type not in ITEM_MODELS:
        raise ValueError(f"Unknown item type {item_type!r}: use one of {list(ITEM_MODELS)}.")
    if not 1 <= k <= 50:
        raise ValueError("k must be between 1 and 50.")
    started = time.perf_counter()
    # The courses on a discount as this process last saw them: the learner's looks at them are
    # read with their state, and the guess is checked once the cache has answered.
    guess = (
        discounted_course_ids(check=False)
        if item_type == "course" and user.is_authenticated
        else []
    )
    state = (
        learner_state(user, item_type=item_type, offer_courses=guess)
        if user.is_authenticated
        else None
    )
    personalised = state is not None and state.personalization_enabled
    key = ":".join(
        str(part)
        for part in (
            "recommender:list",
            user.pk if personalised else "all",
            item_type,
            slot,
            k,
            state.newest_event if personalised else 0,
            state.profile_changed if personalised else 0,
            get_language(),
        )
    )
    # One round trip for the active version, the catalog generations (this type's for the
    # list, every type's for the titles in reasons), this list, (should the list be missing)
    # the learner's precomputed list under the version seen last, and for a learner with
    # personalisation on the running experiments and their own assignments; for courses, the
    # discounts' generation (what the offers depend on).
    keys = [ACTIVE_KEY, *(generation_key(t) for t in ITEM_TYPES), key]
    if personalised and item_type == "course":
        keys.append(generation_key(DISCOUNTS))
    precomputed = []
    if personalised and _last_version[0]:
        precomputed.append(list_cache_key(_last_version[0], user.pk, item_type))
    experiment_keys = [RUNNING_KEY, assignment_key(user.pk)] if personalised else []
    cached = cache_get_many(keys + precomputed + experiment_keys)
    discounted = (
        discounted_course_ids(cached=cached) if personalised and item_type == "course" else []
    )
    offers = _offers_token(discounted)
    active = cached[ACTIVE_KEY] if ACTIVE_KEY in cached else active_model_summary(cached=False)
    version = _last_version[0] = active["pk"] if active else 0
    arm = _arm(user, slot, cached) if personalised else None
    if arm is not None and arm.model_version is not None:
        active = arm.model_version  # the variant's own model version
        version = active["pk"]
    generations = {t: generation_from(cached, t) for t in ITEM_TYPES}
    generation = generations[item_type]
    entry = cached.get(key)
    result = None
    if (
        entry is not None
        and entry.version == version
        and entry.arm == _arm_stamp(arm)
        and entry.offers == offers
    ):
        result = _from_cached(
            entry,
            available_now(item_type, generation),
            item_type=item_type,
            slot=slot,
            personalised=personalised,
        )
    if result is None:
        result = _compute(
            user,
            item_type=item_type,
            slot=slot,
            k=k,
            state=state,
            personalised=personalised,
            active=active,
            generations=generations,
            prefetched={key: cached.get(key) for key in precomputed},
            arm=arm,
            discounted=discounted,
        )
        if not result.remade_cheaply:
            _store(key, version, result, arm, offers)
    if arm is not None:
        result.experiment = ExperimentTag(arm.experiment_key, arm.variant_name)
        _expose(arm, user, result, latency_ms=(time.perf_counter() - started) * 1000)
    return result


def _arm(user, slot: str, cached: dict) -> Arm | None:
    """The learner's arm of the experiment running on ``slot``, if any; None on any fault (the
    usual list is served)."""
    try:
        experiment = running_experiments(cached).for_slot(slot)
        return learner_arm(user=user, experiment=experiment, cached=cached) if experiment else None
    except Exception:
        logger.exception("Experiment assignment failed for user %s", user.pk)
        return None


def _arm_stamp(arm: Arm | None) -> str:
    return f"{arm.token}:{arm.variant_id}" if arm is not None else ""


def _expose(arm: Arm, user, result: RecommendationList, *, latency_ms: float) -> None:
    try:
        exposure_record(
            arm=arm,
            user=user,
            request_id=result.request_id,
            slot=result.slot,
            item_type=result.item_type,
            latency_ms=latency_ms,
        )
    except Exception:  # the list is served all the same
        logger.exception("Exposure of request %s not recorded", result.request_id)


@dataclass(frozen=True)
class LearnerState:
    """What a learner's cached list depends on, and what it must leave out, read in one query."""

    personalization_enabled: bool = True
    history_cleared_at: datetime | None = None
    profile_changed: float = 0.0  # the profile's last change as a timestamp; 0 without one
    newest_event: int = 0  # the id of their newest event; 0 without any
    excluded: frozenset[int] = frozenset()  # marked not interested, bought or enrolled in
    offers_asked: tuple[int, ...] = ()  # the discounted courses their looks were read for ...
    offers_looked_at: tuple[int, ...] = ()  # ... and those they looked at, most recent first


def _excluded_sql(user, item_type: str) -> tuple[str, list]:
    """The ids of items of ``item_type`` the learner must not be shown, as SQL and parameters."""
    kinds = ["not_interested", "purchase"] + (["enroll"] if item_type == "course" else [])
    sql = (
        f"SELECT object_id FROM {Event._meta.db_table} WHERE user_id = %s "
        f"AND object_type = {_words(item_type)} AND event_type IN ({_words(*kinds)}) "
        f"AND {_credible_sql()}"
    )
    params = [user.pk]
    if item_type == "course":
        sql += f" UNION SELECT course_id FROM {Enrollment._meta.db_table} WHERE user_id = %s"
        params.append(user.pk)
    return sql, params


def learner_state(user, *, item_type: str, offer_courses=()) -> LearnerState:
    """The learner's profile switches, newest event id, the items of ``item_type`` to leave
    out and, of ``offer_courses``, those they looked at (for the offers' reason): one query of
    indexed look-ups, written out since it runs on every recommended section (its ORM form costs
    twice as much to build as to run)."""
    profiles, events = LearnerProfile._meta.db_table, Event._meta.db_table
    postgresql = connection.vendor == "postgresql"

    def joined(expression: str) -> str:  # values of a subquery as one text value
        if postgresql:
            return f"string_agg(CAST({expression} AS TEXT), ',')"
        return f"group_concat({expression}, ',')"

    excluded_sql, excluded_params = _excluded_sql(user, item_type)
    offer_courses = tuple(offer_courses)
    looks_sql, looks_params = "NULL", []
    if offer_courses:  # the newest looks at each, as "event id:course id"
        look = joined("CAST(y.id AS TEXT) || ':' || CAST(y.object_id AS TEXT)")
        inner, looks_params = _looks_sql(user, offer_courses)
        looks_sql = f"(SELECT {look} FROM ({inner}) AS y)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.personalization_enabled, p.history_cleared_at, p.updated_at, "
            f"(SELECT e.id FROM {events} e WHERE e.user_id = %s ORDER BY e.id DESC LIMIT 1), "
            f"(SELECT {joined('x.object_id')} FROM ({excluded_sql}) AS x), {looks_sql} "
            f"FROM (SELECT 1 AS one) AS o LEFT JOIN {profiles} p ON p.user_id = %s",
            [user.pk, *excluded_params, *looks_params, user.pk],
        )
        enabled, cleared, changed, newest, excluded, looks = cursor.fetchone()
    excluded = frozenset(int(pk) for pk in excluded.split(",")) if excluded else frozenset()
    pairs = sorted(
        (tuple(map(int, each.split(":"))) for each in (looks or "").split(",") if each),
        reverse=True,
    )
    offers = {"offers_asked": offer_courses, "offers_looked_at": tuple(pk for _, pk in pairs)}
    if enabled is None:  # no profile yet: the defaults
        return LearnerState(newest_event=newest or 0, excluded=excluded, **offers)
    return LearnerState(
        personalization_enabled=bool(enabled),
        history_cleared_at=_datetime(cleared),
        profile_changed=_datetime(changed).timestamp(),
        newest_event=newest or 0,
        excluded=excluded,
        **offers,
    )


def _datetime(value) -> datetime | None:
    """A datetime column read without the ORM: SQLite answers a naive datetime (or text) in
    UTC, PostgreSQL an aware one."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class _Entry:
    """A cached list: the model version it was made under, where its first candidates came
    from, and its items' ids with their scores and reasons."""

    version: int
    source: str
    rows: list[tuple[int, float, str, str]]
    arm: str = ""  # the experiment's token and variant it was served under; "" outside one
    offers: str = "-"  # the running discounts it was made under (``_offers_token``)


def _store(
    key: str, version: int, result: RecommendationList, arm: Arm | None = None, offers: str = "-"
) -> None:
    rows = [(r.object.pk, r.score, r.reason.kind, r.reason.text) for r in result.items]
    entry = _Entry(version, result.source, rows, _arm_stamp(arm), offers)
    cache_set(key, entry, RESULT_CACHE_SECONDS)


def _from_cached(
    entry: _Entry, available: AvailableItems, *, item_type: str, slot: str, personalised: bool
) -> RecommendationList | None:
    """The cached list with its items as they are now; None if any is no longer available."""
    objects = available.objects_for([pk for pk, _, _, _ in entry.rows])
    if len(objects) < len(entry.rows):
        return None
    return RecommendationList(
        item_type=item_type,
        slot=slot,
        request_id=uuid.uuid4(),
        personalised=personalised,
        source=entry.source,
        items=[
            Recommendation(item_type, objects[pk], score, Reason(kind, text))
            for pk, score, kind, text in entry.rows
        ],
    )


def _compute(
    user,
    *,
    item_type,
    slot,
    k,
    state,
    personalised,
    active,
    generations,
    prefetched,
    arm=None,
    discounted=(),
) -> RecommendationList:
    result = RecommendationList(
        item_type=item_type,
        slot=slot,
        request_id=uuid.uuid4(),
        personalised=personalised,
        source="trending",
        remade_cheaply=True,  # until a source does more than read what the request brought
    )
    pool = k * POOL
    available = available_now(item_type, generations[item_type])
    excluded = state.excluded if personalised else frozenset()

    # (object id, score, reason, the learner's own item that explains a model pick)
    ranked: list[tuple[int, float, Reason | None, tuple[str, int] | None]] = []
    popularity_only = arm is not None and arm.family == "popularity"
    content_first = arm is not None and arm.source_order == "content_first"
    if personalised and not popularity_only:
        if content_first:
            ranked += _content_candidates(user, item_type, pool, ranked, result)
        if len(ranked) < pool:
            ranked += _model_candidates(
                user, item_type, pool + len(excluded), state, active, prefetched, ranked, result
            )
        if len(ranked) < pool and not content_first:  # the model does not fill the pool
            ranked += _content_candidates(user, item_type, pool, ranked, result)
        # Offers on courses the learner looked at come first: scored above every other source.
        offers = _from_offers(user, list(discounted), state, result)
        ranked = [(pk, 1e9 - i, reason, None) for i, (pk, reason) in enumerate(offers)] + ranked
    if len(ranked) < pool:
        ranked += _trending_candidates(item_type, ranked, pool, result)
    unique = _available_candidates(ranked, available, excluded, pool)
    if len(unique) < k and all(
        reason is None or reason.kind != "trending" for _, _, reason, _ in ranked
    ):
        ranked += _trending_candidates(item_type, ranked, pool, result)  # filters left too few
        unique = _available_candidates(ranked, available, excluded, pool)
    if not unique:
        result.remade_cheaply = False
        fallback = list(
            available_items(item_type)
            .exclude(pk__in=excluded)
            .select_related("instructor")
            .prefetch_related("tags")
            .order_by("-pk")[:k]
        )
        result.items = [
            Recommendation(item_type, obj, 0.0, Reason("trending", _("New on Zhibo")))
            for obj in fallback
        ]
        return result
    picked = _diversify(
        [available.tags[e[0]] for e in unique],
        [available.owners[e[0]] for e in unique],
        [e[1] for e in unique],
        k,
        arm.mmr_lambda if arm is not None else MMR_LAMBDA,
    )
    # Exclusions held a moment ago; availability is checked again as missing items are read.
    objects = available.objects_for([unique[i][0] for i in picked])
    # Precomputed lists carry the explaining item's title; fold-in looks titles up.
    titles = _reason_titles(
        [unique[i][3] for i in picked if unique[i][2] is None and len(unique[i][3] or ()) == 2],
        generations,
    )
    for i in picked:
        pk, score, reason, why = unique[i]
        if pk not in objects:  # withdrawn a moment ago
            continue
        if reason is None:
            title = why[2] if why and len(why) == 3 else titles.get(why)
            reason = (
                Reason("item", _("Because you showed interest in “%(title)s”") % {"title": title})
                if title
                else Reason("item", _("Picked for you from what you have watched and bought"))
            )
        if arm is not None and arm.reason_style == "generic" and reason.kind != "trending":
            reason = Reason(reason.kind, _("Recommended for you"))
        result.items.append(Recommendation(item_type, objects[pk], score, reason))
    return result


def _model_candidates(user, item_type, n, state, active, prefetched, ranked, result) -> list:
    """The model's candidates (scored below any already ``ranked``), naming the source when
    they come first; none on any fault of the model path (logged)."""
    try:
        found = _from_model(user, item_type, n, state, active, prefetched)
    except Exception:  # any fault: the next source answers, and it is logged
        logger.exception("Model recommendations failed for user %s", user.pk)
        found = None
    if not found:
        return []
    source, ids, scores, reason_items = found
    if source != "precomputed":
        result.remade_cheaply = False  # scored, or read with a round trip of its own
    if not ranked:
        result.source = "model" if source == "precomputed" else source
        return [(pk, s, None, why) for pk, s, why in zip(ids, scores, reason_items, strict=True)]
    base = min(s for _, s, _, _ in ranked)  # after interests: in the model's order, below them
    return [
        (pk, base - 1 - rank / 1000, None, why)
        for rank, (pk, why) in enumerate(zip(ids, reason_items, strict=True))
    ]


def _content_candidates(user, item_type, pool, ranked, result) -> list:
    """Items with the learner's interest tags, scored below any already ``ranked``."""
    ids, scores, tags = _from_content(user, item_type, pool)
    result.remade_cheaply = False  # it asked the database
    if ids and not ranked:
        result.source = "content"
    base = min((s for _, s, _, _ in ranked), default=0.0)
    return [
        (
            pk,
            base - 1 + s / 1000,
            Reason("tag", _("Because you like #%(tag)s") % {"tag": tags[pk]}),
            None,
        )
        for pk, s in zip(ids, scores, strict=True)
    ]


def precompute_for_users(*, version_id: int, user_rows: range) -> int:
    """Store the top-N lists of the given rows of a version's model in the cache: for the whole
    chunk at once per item type, then one explanation (one solve) per learner for all types."""
    version = ModelVersion.objects.get(pk=version_id)
    loaded = model_cache.get(version.pk, version.artefact_path)
    items = loaded.items
    n = settings.RECOMMENDER_TOP_N
    rows = np.arange(user_rows.start, user_rows.stop)
    if not len(rows):
        return 0
    # Each item type is ranked and explained by the model chosen for it; types that share a
    # model are explained together (one solve per learner and model).
    models: dict[int, tuple[object, list[str]]] = {}
    for item_type in ITEM_TYPES:
        model = loaded.model_for(item_type)
        models.setdefault(id(model), (model, []))[1].append(item_type)
    per_type = {
        item_type: loaded.model_for(item_type).recommend(
            rows, loaded.user_items, k=n, exclude_seen=True, item_mask=items.types != code
        )
        for code, item_type in enumerate(ITEM_TYPES)
    }
    values, explained = {}, {}
    for i, row in enumerate(rows):
        picked = {t: ids[i][ids[i] >= 0] for t, (ids, _) in per_type.items()}
        history = loaded.user_items[row]
        user_id = int(loaded.user_ids[row])
        for model, item_types in models.values():
            everything = np.concatenate([picked[t] for t in item_types])
            top = model.explain(history, everything).top_contributors if everything.size else []
            offset = 0
            for item_type in item_types:
                ids = picked[item_type]
                scores = per_type[item_type][1][i][: len(ids)]
                reasons = _reason_items(items, top[offset : offset + len(ids)])
                explained.update(dict.fromkeys(r for r in reasons if r))
                values[list_cache_key(version.pk, user_id, item_type)] = (
                    items.ids[ids].tolist(),
                    scores.astype(float).tolist(),
                    reasons,
                )
                offset += len(ids)
    titles = _reason_titles(list(explained))  # one query for the chunk, so serving needs none
    for _ids, _scores, reasons in values.values():
        reasons[:] = [(*r, titles[r]) if r in titles else r for r in reasons]
    cache_set_many(values, LIST_CACHE_SECONDS)
    return len(rows)
