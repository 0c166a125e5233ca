"""Learner profiles (用户画像): declared and derived interest tags, and personalisation choices.

Derived weights come from events: each event adds its type's weight (settings
``RECOMMENDER_EVENT_WEIGHTS``; a watch scaled by the share watched, a rating by ``rating - 3``),
halved every ``RECOMMENDER_HALF_LIFE_DAYS``, to every tag of the object it is about; "not
interested" subtracts. Each learner's weights are scaled so the strongest tag is 1, and the
strongest ``MAX_DERIVED_TAGS`` above ``MIN_DERIVED_WEIGHT`` are kept.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import Course, Lesson, LiveSession, Product, ShortVideo, Tag
from recommendations.models import Event, InterestTag, LearnerProfile

MAX_DERIVED_TAGS = 20
MIN_DERIVED_WEIGHT = 0.05
DERIVATION_WINDOW = timedelta(days=180)
NOT_INTERESTED_WEIGHT = -2.0


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
    profile = learner_profile_for(user=user)
    if profile.personalization_enabled != enabled:
        profile.personalization_enabled = enabled
        profile.save(update_fields=["personalization_enabled", "updated_at"])
    return profile


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
    """Mark the profile as changed now, so recommendations computed before are not reused."""
    profile = learner_profile_for(user=user)
    profile.save(update_fields=["updated_at"])


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


def _object_tags(wanted: dict[str, set[int]]) -> dict[tuple[str, int], list[int]]:
    tags: dict[tuple[str, int], list[int]] = defaultdict(list)
    direct = {
        Event.ObjectType.COURSE: (Course.tags.through, "course_id"),
        Event.ObjectType.LIVE: (LiveSession.tags.through, "livesession_id"),
        Event.ObjectType.VIDEO: (ShortVideo.tags.through, "shortvideo_id"),
        Event.ObjectType.PRODUCT: (Product.tags.through, "product_id"),
    }
    lesson_course = dict(
        Lesson.objects.filter(pk__in=wanted.get(Event.ObjectType.LESSON, ())).values_list(
            "pk", "course_id"
        )
    )
    course_ids = set(wanted.get(Event.ObjectType.COURSE, ())) | set(lesson_course.values())
    for object_type, (through, column) in direct.items():
        ids = course_ids if object_type == Event.ObjectType.COURSE else wanted.get(object_type)
        if not ids:
            continue
        rows = through.objects.filter(**{f"{column}__in": ids}).values_list(column, "tag_id")
        for object_id, tag_id in rows:
            tags[(object_type, object_id)].append(tag_id)
    for lesson_id, course_id in lesson_course.items():
        tags[(Event.ObjectType.LESSON, lesson_id)] = tags.get(
            (Event.ObjectType.COURSE, course_id), []
        )
    return tags


def event_weight(event_type: str, value: float | None) -> float:
    if event_type == Event.Type.NOT_INTERESTED:
        return NOT_INTERESTED_WEIGHT
    weight = settings.RECOMMENDER_EVENT_WEIGHTS.get(event_type, 0.0)
    if event_type == Event.Type.WATCH:
        return weight * (value or 0.0)
    if event_type == Event.Type.RATING:
        return weight * ((value or 3.0) - 3.0)
    return weight


def interests_derive(*, user_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Recompute derived interest weights from recent events; returns the learners updated."""
    now = now or timezone.now()
    half_life = timedelta(days=settings.RECOMMENDER_HALF_LIFE_DAYS).total_seconds()
    events = Event.objects.filter(
        user__isnull=False, object_id__isnull=False, server_ts__gte=now - DERIVATION_WINDOW
    )
    if user_ids is not None:
        events = events.filter(user_id__in=list(user_ids))
    rows = list(
        events.values_list(
            "user_id", "event_type", "object_type", "object_id", "value", "server_ts"
        )
    )
    wanted: dict[str, set[int]] = defaultdict(set)
    for _, _, object_type, object_id, _, _ in rows:
        wanted[object_type].add(object_id)
    object_tags = _object_tags(wanted)

    scores: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for user_id, event_type, object_type, object_id, value, ts in rows:
        weight = event_weight(event_type, value)
        if not weight:
            continue
        weight *= 0.5 ** ((now - ts).total_seconds() / half_life)
        for tag_id in object_tags.get((object_type, object_id), ()):
            scores[user_id][tag_id] += weight

    learners = set(scores) if user_ids is None else set(user_ids)
    for user_id in learners:
        _store_derived(user_id, scores.get(user_id, {}), now)
    return len(learners)


@transaction.atomic
def _store_derived(user_id: int, tag_scores: dict[int, float], now: datetime) -> None:
    positive = {tag: score for tag, score in tag_scores.items() if score > 0}
    top = max(positive.values(), default=0.0)
    weights = {
        tag: score / top
        for tag, score in sorted(positive.items(), key=lambda kv: -kv[1])[:MAX_DERIVED_TAGS]
        if score / top >= MIN_DERIVED_WEIGHT
    }
    existing = {row.tag_id: row for row in InterestTag.objects.filter(user_id=user_id)}
    to_create, to_update = [], []
    for tag_id, row in existing.items():
        new = 0.0 if row.dismissed else round(weights.get(tag_id, 0.0), 4)
        if row.derived_weight != new:
            row.derived_weight = new
            row.updated_at = now
            to_update.append(row)
    for tag_id, weight in weights.items():
        if tag_id not in existing:
            to_create.append(
                InterestTag(user_id=user_id, tag_id=tag_id, derived_weight=round(weight, 4))
            )
    InterestTag.objects.bulk_create(to_create)
    InterestTag.objects.bulk_update(to_update, ["derived_weight", "updated_at"])
    InterestTag.objects.filter(
        user_id=user_id, declared=False, dismissed=False, derived_weight=0
    ).delete()
    LearnerProfile.objects.update_or_create(user_id=user_id, defaults={"interests_derived_at": now})
