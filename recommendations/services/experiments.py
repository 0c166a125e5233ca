"""Experiments of the recommender: defining, starting and stopping them, and serving them.

- **Which experiment.** At most one running experiment covers a slot (``experiment_start``
  refuses an overlap), so a list is served by at most one variant. The running experiments are
  cached (``RUNNING_KEY``) with a token that changes whenever one starts, stops or is edited.
- **Assignment** is deterministic: the first 8 bytes of SHA-256 of ``"<key>:<learner id>"``,
  modulo ``BUCKETS``, falls in one variant's range of the cumulative shares. It is sticky: the
  variant is stored (``Assignment``) at the learner's first exposure and read from there (and
  from the cache) afterwards, so changing the shares later moves nobody already in.
- **Who is in.** Signed-in learners with personalisation on. Every variant reads the learner's
  history (at least to leave out what they bought or dismissed), so every experiment
  personalises: learners with personalisation off, and anonymous visitors, get the
  non-personalised lists, are never assigned and are never counted.
- **Exposures.** Each list served to an assigned learner is one ``Exposure`` row with the
  request id its cards carry; the impressions, clicks and "not interested" events sent back with
  that id, and the learner's purchases after their first exposure, make the results
  (``recommendations.services.experiment_results``).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.cache import cache_delete_many, cache_get, cache_set
from recommendations.models import Assignment, Experiment, Exposure, ModelVersion, Variant

logger = logging.getLogger(__name__)

BUCKETS = 10_000
RUNNING_KEY = "recommender:experiments:running"
RUNNING_SECONDS = 300
ASSIGNMENT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Arm:
    """What serving needs of a learner's variant."""

    token: str  # changes when any running experiment changes: cached lists carry it
    experiment_id: int
    experiment_key: str
    variant_id: int
    variant_name: str
    family: str
    model_version: dict | None  # the summary ``serving.active_model_summary`` gives, or None
    mmr_lambda: float
    reason_style: str
    source_order: str


@dataclass(frozen=True)
class RunningExperiment:
    pk: int
    key: str
    slots: tuple[str, ...]
    arms: tuple[tuple[int, Arm], ...]  # (share, arm), in a stable order


@dataclass(frozen=True)
class Running:
    token: str
    experiments: tuple[RunningExperiment, ...] = ()

    def for_slot(self, slot: str) -> RunningExperiment | None:
        return next((e for e in self.experiments if slot in e.slots), None)


# --- definition -----------------------------------------------------------------------------


def experiment_check(*, experiment: Experiment, variants: list[Variant]) -> None:
    """Raise a ``ValidationError`` with every reason ``experiment`` cannot run with ``variants``
    (those not being deleted): the shares, the control and the slots shared with another
    running experiment."""
    errors = []
    if not experiment.slot_list:
        errors.append(_("Name at least one slot."))
    if len(variants) < 2:
        errors.append(_("An experiment needs a control and at least one other variant."))
    total = sum(v.share or 0 for v in variants)
    if total != 100:
        errors.append(_("The traffic shares add up to %(total)s%%, not 100%%.") % {"total": total})
    controls = sum(1 for v in variants if v.is_control)
    if controls != 1:
        errors.append(_("Mark exactly one variant as the control (now %(n)s).") % {"n": controls})
    if experiment.status == Experiment.Status.RUNNING:
        mine = set(experiment.slot_list)
        for other in Experiment.objects.filter(status=Experiment.Status.RUNNING).exclude(
            pk=experiment.pk
        ):
            shared = sorted(mine & set(other.slot_list))
            if shared:
                errors.append(
                    _("Slot %(slots)s is in running experiment “%(key)s”: stop that one first.")
                    % {"slots": ", ".join(shared), "key": other.key}
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def experiment_start(*, experiment: Experiment) -> Experiment:
    """Start ``experiment`` (a draft, or a stopped one resumed): checked as a whole first."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status == Experiment.Status.RUNNING:
        return experiment
    experiment.status = Experiment.Status.RUNNING
    experiment_check(experiment=experiment, variants=list(experiment.variants.all()))
    experiment.started_at = experiment.started_at or timezone.now()
    experiment.stopped_at = None
    experiment.save()
    transaction.on_commit(experiments_changed)
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment) -> Experiment:
    """Stop ``experiment``: its learners get the site's usual lists from the next request on;
    their assignments and exposures stay for the results."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != Experiment.Status.RUNNING:
        return experiment
    experiment.status = Experiment.Status.STOPPED
    experiment.stopped_at = timezone.now()
    experiment.save()
    transaction.on_commit(experiments_changed)
    return experiment


def experiments_changed() -> None:
    """Forget the cached running experiments (after any change to one, through any door)."""
    cache_delete_many([RUNNING_KEY])


# --- serving --------------------------------------------------------------------------------


def _version_summary(version: ModelVersion | None) -> dict | None:
    if version is None:
        return None
    return {
        "pk": version.pk,
        "artefact_path": version.artefact_path,
        "data_until": version.data_until,
        "last_event_id": version.last_event_id,
    }


def running_experiments(cached: dict | None = None) -> Running:
    """The running experiments, from ``cached`` (what a ``cache_get_many`` answered) or the
    cache, else from the database (one query) and then cached."""
    running = cached.get(RUNNING_KEY) if cached is not None else cache_get(RUNNING_KEY)
    if running is not None:
        return running
    token = uuid.uuid4().hex[:12]
    experiments = []
    variants = Variant.objects.filter(experiment__status=Experiment.Status.RUNNING)
    by_experiment: dict[int, list[Variant]] = {}
    for variant in variants.select_related("experiment", "model_version").order_by("pk"):
        by_experiment.setdefault(variant.experiment_id, []).append(variant)
    for variants_of in by_experiment.values():
        experiment = variants_of[0].experiment
        arms = tuple(
            (
                v.share,
                Arm(
                    token=token,
                    experiment_id=experiment.pk,
                    experiment_key=experiment.key,
                    variant_id=v.pk,
                    variant_name=v.name,
                    family=v.family,
                    model_version=_version_summary(v.model_version),
                    mmr_lambda=1.0 - v.diversity_weight,
                    reason_style=v.reason_style,
                    source_order=v.source_order,
                ),
            )
            for v in variants_of
        )
        experiments.append(
            RunningExperiment(experiment.pk, experiment.key, tuple(experiment.slot_list), arms)
        )
    running = Running(token, tuple(experiments))
    cache_set(RUNNING_KEY, running, RUNNING_SECONDS)
    return running


def bucket_of(*, user_id: int, experiment_key: str) -> int:
    """The learner's bucket in ``[0, BUCKETS)`` for an experiment: the same on every machine."""
    digest = hashlib.sha256(f"{experiment_key}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for_bucket(arms: tuple[tuple[int, Arm], ...], bucket: int) -> Arm:
    """The arm whose range of the cumulative shares (in hundredths of a percent) holds
    ``bucket``; the last arm takes any rounding left over."""
    upper = 0
    for share, arm in arms:
        upper += share * BUCKETS // 100
        if bucket < upper:
            return arm
    return arms[-1][1]


def assignment_key(user_id: int) -> str:
    return f"recommender:experiments:u{user_id}"


def learner_arm(*, user, experiment: RunningExperiment, cached: dict | None = None) -> Arm:
    """The learner's arm in ``experiment``: as stored (from ``cached``, the cache or the
    database), else chosen by their bucket and stored now (their first exposure)."""
    key = assignment_key(user.pk)
    known = (cached or {}).get(key) or {}
    arms = {arm.variant_id: arm for _, arm in experiment.arms}
    variant_id = known.get(experiment.pk)
    if variant_id not in arms:
        variant_id = (
            Assignment.objects.filter(experiment_id=experiment.pk, user=user)
            .values_list("variant_id", flat=True)
            .first()
        )
        if variant_id not in arms:
            bucket = bucket_of(user_id=user.pk, experiment_key=experiment.key)
            variant_id = arm_for_bucket(experiment.arms, bucket).variant_id
            try:
                with transaction.atomic():
                    Assignment.objects.create(
                        experiment_id=experiment.pk,
                        variant_id=variant_id,
                        user=user,
                        assigned_at=timezone.now(),
                    )
            except IntegrityError:  # assigned a moment ago by another request: that one holds
                variant_id = Assignment.objects.get(
                    experiment_id=experiment.pk, user=user
                ).variant_id
        cache_set(key, {**known, experiment.pk: variant_id}, ASSIGNMENT_SECONDS)
    return arms[variant_id]


def exposure_record(*, arm: Arm, user, request_id, slot: str, item_type: str, latency_ms: float):
    """Store that ``user`` was shown the list ``request_id`` under ``arm``."""
    with transaction.atomic():  # a failure leaves the request's own transaction usable
        return Exposure.objects.create(
            experiment_id=arm.experiment_id,
            variant_id=arm.variant_id,
            user=user,
            request_id=request_id,
            slot=slot,
            item_type=item_type,
            served_at=timezone.now(),
            latency_ms=latency_ms,
        )
