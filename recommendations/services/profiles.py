"""Learner profiles (用户画像): declared and derived interest tags, and personalisation choices.

Derived weights come from events: each event adds its weight (the training matrix's rule,
``recommendations.training.dataset.interaction_weights``), halved every
``RECOMMENDER_HALF_LIFE_DAYS``, to every tag of the object it is about; "not interested"
subtracts. Each learner's weights are scaled so the strongest tag is 1, and the
strongest ``MAX_DERIVED_TAGS`` above ``MIN_DERIVED_WEIGHT`` are kept.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import islice

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.services import account_sign_up
from accounts.versions import learner_changed
from courses.models import Course, Lesson, LiveSession, Product, ShortVideo, Tag
from recommendations.models import Event, InterestTag, LearnerProfile
from recommendations.training.dataset import interaction_weights

MAX_DERIVED_TAGS = 20
MIN_DERIVED_WEIGHT = 0.05
DERIVATION_WINDOW = timedelta(days=180)
NOT_INTERESTED_WEIGHT = -2.0
CHUNK = 20_000
STORE_CHUNK = 1000  # learners written per transaction


def learner_profile_for(*, user) -> LearnerProfile:
    profile, _ = LearnerProfile.objects.get_or_create(user=user)
    return profile


def personalization_enabled_for(user) -> bool:
    """False for anonymous visitors and for learners who switched personalisation off."""
    if not user.is_authenticated:
        return False
    return (
        LearnerProfile.objects.filter(user=user)
        .values_list("personalization_enabled", flat=True)
        .first()
        is not False
    )


def personalization_set(*, user, enabled: bool) -> LearnerProfile:
    """Switch personalised recommendations on or off; it takes effect on the next request of
    every door (the learner's version changes)."""
    profile = learner_profile_for(user=user)
    if profile.personalization_enabled != enabled:
        profile.personalization_enabled = enabled
        profile.save(update_fields=["personalization_enabled", "updated_at"])
        learner_changed(user)
    return profile


@transaction.atomic
def learner_sign_up(
    *, username: str, password: str, email: str, interest_tag_ids: Iterable[int] = ()
):
    """Create a learner account (``accounts.services.account_sign_up``: every rule of a
    sign-up) with the interest tags they picked, all or nothing."""
    user = account_sign_up(username=username, password=password, email=email)
    tag_ids = list(interest_tag_ids)
    if tag_ids:
        try:
            interests_declare(user=user, tags=tag_ids)
        except ValidationError as error:
            raise ValidationError({"interest_tag_ids": error.messages}) from None
    return user


@transaction.atomic
def interests_declare(*, user, tags: Iterable[Tag | int]) -> list[InterestTag]:
    """The learner picks interest tags (at sign-up or later); a dismissed tag comes back."""
    tag_ids = {tag.pk if isinstance(tag, Tag) else int(tag) for tag in tags}
    known = set(Tag.objects.filter(pk__in=tag_ids).values_list("pk", flat=True))
    if unknown := tag_ids - known:
        raise ValidationError({"tags": f"Unknown tag ids: {sorted(unknown)}."})
    rows = []
    for tag_id in sorted(known):
        row, _ = InterestTag.objects.update_or_create(
            user=user, tag_id=tag_id, defaults={"declared": True, "dismissed": False}
        )
        rows.append(row)
    _profile_changed(user)
    return rows


def _profile_changed(user) -> None:
    """Mark the profile as changed now, so recommendations computed before are not reused, and
    change the learner's version, so cached pages are not either."""
    profile = learner_profile_for(user=user)
    profile.save(update_fields=["updated_at"])
    learner_changed(user)


def interest_tag_delete(*, user, tag_id: int) -> bool:
    """Remove a tag from the learner's profile, and keep it out of future derivations."""
    updated = InterestTag.objects.filter(user=user, tag_id=tag_id, dismissed=False).update(
        declared=False, derived_weight=0.0, dismissed=True
    )
    if updated:
        _profile_changed(user)
    return updated > 0


def interest_tags_for(*, user) -> list[InterestTag]:
    """The tags shown to the learner: declared first, then derived by weight."""
    return list(
        InterestTag.objects.filter(user=user, dismissed=False)
        .select_related("tag")
        .order_by("-declared", "-derived_weight", "tag__name")
    )


def _object_tags(wanted: dict[str, set[int]] | None) -> dict[tuple[str, int], list[int]]:
    """Tag ids of each (object type, id) in ``wanted``, or of every object when it is None; a
    lesson has its course's tags."""
    tags: dict[tuple[str, int], list[int]] = defaultdict(list)
    direct = {
        Event.ObjectType.COURSE: (Course.tags.through, "course_id"),
        Event.ObjectType.LIVE: (LiveSession.tags.through, "livesession_id"),
        Event.ObjectType.VIDEO: (ShortVideo.tags.through, "shortvideo_id"),
        Event.ObjectType.PRODUCT: (Product.tags.through, "product_id"),
    }
    lessons = Lesson.objects.all()
    if wanted is not None:
        lessons = lessons.filter(pk__in=wanted.get(Event.ObjectType.LESSON, ()))
    lesson_course = dict(lessons.values_list("pk", "course_id"))
    for object_type, (through, column) in direct.items():
        rows = through.objects.values_list(column, "tag_id")
        if wanted is not None:
            ids = set(wanted.get(object_type, ()))
            if object_type == Event.ObjectType.COURSE:
                ids |= set(lesson_course.values())
            if not ids:
                continue
            rows = rows.filter(**{f"{column}__in": ids})
        for object_id, tag_id in rows:
            tags[(object_type, object_id)].append(tag_id)
    for lesson_id, course_id in lesson_course.items():
        tags[(Event.ObjectType.LESSON, lesson_id)] = tags.get(
            (Event.ObjectType.COURSE, course_id), []
        )
    return tags


def interests_derive(*, user_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Recompute derived interest weights from recent events; returns the learners updated."""
    now = now or timezone.now()
    half_life = timedelta(days=settings.RECOMMENDER_HALF_LIFE_DAYS).total_seconds()
    events = Event.objects.credible().filter(
        user__isnull=False, object_id__isnull=False, server_ts__gte=now - DERIVATION_WINDOW
    )
    if user_ids is not None:
        events = events.filter(user_id__in=list(user_ids))
    rows = events.order_by().values_list(
        "user_id", "event_type", "object_type", "object_id", "value", "server_ts"
    )
    if user_ids is not None:  # a few learners: look up only the items they touched
        rows = list(rows)
        wanted: dict[str, set[int]] = defaultdict(set)
        for _, _, object_type, object_id, _, _ in rows:
            wanted[object_type].add(object_id)
        object_tags = _object_tags(wanted)
    else:  # everyone: the whole catalog's tags, and the events streamed in chunks
        object_tags = _object_tags(None)
        rows = rows.iterator(chunk_size=CHUNK)
    scores: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK)):
        user, kind, otype, oid, value, ts = zip(*chunk, strict=True)
        kinds = np.array(kind, dtype=object)
        weights = interaction_weights(
            kinds, np.array([np.nan if v is None else v for v in value], dtype=np.float64)
        )
        weights[kinds == Event.Type.NOT_INTERESTED] = NOT_INTERESTED_WEIGHT
        age = np.array([(now - t).total_seconds() for t in ts], dtype=np.float64)
        weights *= 0.5 ** (age / half_life)
        for i in np.flatnonzero(weights):
            for tag_id in object_tags.get((otype[i], oid[i]), ()):
                scores[user[i]][tag_id] += weights[i]

    learners = sorted(set(scores) if user_ids is None else set(user_ids))
    for start in range(0, len(learners), STORE_CHUNK):
        chunk = learners[start : start + STORE_CHUNK]
        _store_derived({user_id: scores.get(user_id, {}) for user_id in chunk}, now)
    return len(learners)


def _top_weights(tag_scores: dict[int, float]) -> dict[int, float]:
    """The strongest positive tags, scaled so that the strongest is 1."""
    positive = {tag: score for tag, score in tag_scores.items() if score > 0}
    top = max(positive.values(), default=0.0)
    return {
        tag: round(score / top, 4)
        for tag, score in sorted(positive.items(), key=lambda kv: -kv[1])[:MAX_DERIVED_TAGS]
        if score / top >= MIN_DERIVED_WEIGHT
    }


@transaction.atomic
def _store_derived(scores_by_user: dict[int, dict[int, float]], now: datetime) -> None:
    """Write the derived weights of a chunk of learners with a handful of bulk statements."""
    users = list(scores_by_user)
    weights = {user_id: _top_weights(scores) for user_id, scores in scores_by_user.items()}
    existing = defaultdict(dict)
    for row in InterestTag.objects.filter(user_id__in=users):
        existing[row.user_id][row.tag_id] = row
    to_create, to_update = [], []
    for user_id in users:
        rows = existing[user_id]
        for tag_id, row in rows.items():
            new = 0.0 if row.dismissed else weights[user_id].get(tag_id, 0.0)
            if row.derived_weight != new:
                row.derived_weight = new
                row.updated_at = now
                to_update.append(row)
        to_create += [
            InterestTag(user_id=user_id, tag_id=tag_id, derived_weight=weight)
            for tag_id, weight in weights[user_id].items()
            if tag_id not in rows
        ]
    InterestTag.objects.bulk_create(to_create, batch_size=2000)
    InterestTag.objects.bulk_update(to_update, ["derived_weight", "updated_at"], batch_size=2000)
    InterestTag.objects.filter(
        user_id__in=users, declared=False, dismissed=False, derived_weight=0
    ).delete()
    profiles = LearnerProfile.objects.filter(user_id__in=users)
    have = set(profiles.values_list("user_id", flat=True))
    # Recommendations cached before this derivation are keyed by the profile's updated_at.
    profiles.update(interests_derived_at=now, updated_at=now)
    LearnerProfile.objects.bulk_create(
        [
            LearnerProfile(user_id=user_id, interests_derived_at=now)
            for user_id in users
            if user_id not in have
        ],
        batch_size=2000,
    )
