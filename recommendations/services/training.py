"""Training runs: build the matrix, fit, evaluate, store, and promote only what is not worse.

A run (``model_train``) holds the training lock, records a ``ModelVersion`` row at once (so a
crash leaves a trace: the next run marks an orphaned "training" row as failed), and then:

1. builds the interaction matrix of the training window with a global temporal cut: the last
   ``RECOMMENDER_HOLDOUT_DAYS`` are held out;
2. fits on the rest: a tuning run (``tune=True``) chooses, for each item type, the model family,
   its parameters and its popularity weight on an inner validation split
   (``engine.selection.select`` among ``RECOMMENDER_FAMILIES``, each possibly blended with
   popularity, or a mix of them) and
   stores the choices in ``params["per_type"]``; a retrain reuses the latest tuning run's choices
   (the ALS parameters of ``RECOMMENDER_ALS_PARAMS`` before any). The model is a
   ``GroupedModel``: each item type is ranked by its own choice. It then measures nDCG@10,
   recall@10 and catalog coverage on the holdout, beside popularity on the same holdout for
   reference (a new site with too little history to hold any out trains on all of it,
   unevaluated; such a version replaces only unevaluated ones);
   A tuning run then chooses the weights of the social feedback (``_choose_event_weights``:
   follows, comments, questions, likes, shares; the settings' ``RECOMMENDER_EVENT_WEIGHTS`` are
   the defaults and the centre of the candidates) on an inner temporal split of that history,
   with the model just chosen, by how well it predicts later purchases, enrollments,
   reservations and watches (a target no weight changes), and stores the choice and every
   candidate's score in ``params["event_weight_choice"]``; a retrain reuses them. The weights
   the matrix was built with are in ``params["event_weights"]`` and in the artefacts (a
   learner newer than the model is folded in with the same weights);
3. refits the same parameters on the whole window and stores the artefacts;
4. promotes the version if its factors are finite, its coverage is not trivial, and its nDCG@10
   is not below the active version's by more than ``RECOMMENDER_PROMOTION_TOLERANCE`` (a share
   of the active one's score). Otherwise it stays ``rejected`` and the active model keeps serving.

Each version is measured on the holdout of its own data: re-scoring the active model on the new
holdout would flatter it, since it was trained on most of that period.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from recommendations.engine import (
    ALS,
    GroupedModel,
    Popularity,
    PopularityBlend,
    ScoreMix,
    selection,
)
from recommendations.engine.evaluation import evaluate
from recommendations.engine.metrics import catalog_coverage
from recommendations.engine.weighting import choose_weights, validation_score
from recommendations.models import ModelVersion
from recommendations.services.serving import forget_active_version
from recommendations.training.artefacts import artefacts_delete, artefacts_save, model_cache
from recommendations.training.dataset import (
    CHOSEN_WEIGHTS,
    ITEM_TYPES,
    STRONG_EVENTS,
    EventLog,
    ItemIndex,
    event_weights,
    events_read,
    latest_event_id,
)
from recommendations.training.lock import training_lock

PRECOMPUTE_TASK = "recommendations.tasks.precompute_recommendations"

logger = logging.getLogger(__name__)

Status = ModelVersion.Status
K = 10


class TrainingBusy(RuntimeError):
    """Another training run holds the lock."""


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=Status.ACTIVE).first()


# Keys of ``ModelVersion.params`` that are about the matrix, not the model.
WEIGHT_KEYS = ("event_weights", "event_weight_choice")
# A weighting replaces the best so far only if its mean per-learner gain on validation is more
# than this many standard errors of the per-learner gains: a few hundred learners' noise would
# otherwise move the weights at random (engine.weighting.choose_weights).
WEIGHT_EVIDENCE_Z = 2.0
# The inner validation window, in holdouts: long enough for a few hundred learners' new
# purchases and watches.
WEIGHT_VALIDATION_HOLDOUTS = 2


def _current_params() -> dict:
    tuned = (
        ModelVersion.objects.filter(kind="tune", status__in=[Status.ACTIVE, Status.RETIRED])
        .exclude(params={})
        .values_list("params", flat=True)
        .first()
    )
    return dict(tuned or settings.RECOMMENDER_ALS_PARAMS)


def _model_params(params: dict) -> dict:
    return {key: value for key, value in params.items() if key not in WEIGHT_KEYS}


def _current_weights(params: dict) -> dict[str, float]:
    """The type weights of a retrain: the social types' as the latest tuning run chose them
    (stored in its params), the others the settings'."""
    chosen = params.get("event_weight_choice", {}).get("chosen", {})
    return event_weights(chosen)


def _choose_event_weights(
    log: EventLog, params: dict, *, now, say: Callable[[str], None]
) -> dict[str, Any]:
    """The weights of the social types (``CHOSEN_WEIGHTS``) with which the model of ``params``,
    trained on the events before an inner cut (``WEIGHT_VALIDATION_HOLDOUTS`` holdouts before
    ``now``), best predicts the learners' new strong signals between the cut and ``now``
    (``STRONG_EVENTS``: purchases, enrollments, reservations, watches of items they had not
    touched). The candidates are the settings' weights times ``engine.weighting.SCALES`` (all
    together, then each type in turn), within ``RECOMMENDER_WEIGHT_BUDGET_SECONDS``; one
    replaces the best only with a gain of more than ``WEIGHT_EVIDENCE_Z`` standard errors.
    Returns the choice's record for ``params["event_weight_choice"]``; without an inner split
    (too little history) or a social event, the settings' weights, with the reason."""
    table = settings.RECOMMENDER_EVENT_WEIGHTS
    defaults = {kind: float(table.get(kind, 0.0)) for kind in CHOSEN_WEIGHTS}
    record: dict[str, Any] = {"chosen": dict(defaults), "defaults": dict(defaults)}
    validation_from = now - WEIGHT_VALIDATION_HOLDOUTS * timedelta(
        days=settings.RECOMMENDER_HOLDOUT_DAYS
    )
    inner = log.weight_validation(now=now, validation_from=validation_from, chosen=CHOSEN_WEIGHTS)
    if inner is None:
        record["note"] = "too little history before the holdout to validate on: the defaults"
        return record
    present = inner.parts.present()
    if not present:
        record["note"] = "no social feedback before the validation cut: the defaults"
        return record
    model_params = _model_params(params)

    def score(weights: dict[str, float]) -> float:
        matrix = inner.parts.matrix(weights)
        model = _build(model_params, matrix, inner.items)
        return validation_score(
            model, matrix, inner.users, inner.truth, inner.touched, k=K, per_user=True
        )

    def report(trial) -> None:
        kept = " (kept)" if trial.kept else ""
        say(
            f"  event weights {trial.step}: nDCG@{K} {trial.score:.4f}, gain {trial.gain:+.4f} "
            f"± {trial.standard_error:.4f}{kept}"
        )

    choice = choose_weights(
        score,
        defaults,
        kinds=[kind for kind in CHOSEN_WEIGHTS if kind in present],
        time_budget_s=settings.RECOMMENDER_WEIGHT_BUDGET_SECONDS,
        progress=report,
        min_z=WEIGHT_EVIDENCE_Z,
    )
    record["chosen"] = choice.weights
    record["validation"] = {
        f"ndcg@{K}": round(choice.score, 6),
        "defaults": round(choice.default_score, 6),
    }
    record["validation_users"] = len(inner.users)
    record["target"] = sorted(STRONG_EVENTS)
    record["evidence_z"] = WEIGHT_EVIDENCE_Z
    record["trials"] = [
        {
            "step": trial.step,
            "weights": trial.weights,
            f"ndcg@{K}": round(trial.score, 6),
            "gain": round(trial.gain, 6),
            "standard_error": round(trial.standard_error, 6),
            "kept": trial.kept,
        }
        for trial in choice.trials
    ]
    record["candidates_left"] = choice.candidates_left
    record["seconds"] = round(choice.search_seconds, 3)
    return record


def _fit(matrix, items: ItemIndex, *, tune: bool) -> tuple[Any, dict]:
    """The model and the parameters to refit it with: a tuning run chooses a family (and its
    parameters and popularity weight) per item type on validation; a retrain reuses the latest
    tuning run's choices (or the ALS defaults before any)."""
    if tune:
        params = {"per_type": _choose_per_type(matrix, items)}
    else:
        params = _current_params()
    return _build(params, matrix, items), params


def _choose_per_type(matrix, items: ItemIndex) -> dict[str, dict]:
    """For each item type, the family that ranks its items best on an inner validation split
    (``engine.selection.select``), within an equal share of the tuning budget. A type with too
    little held-out data to validate on gets the ALS defaults."""
    budget = settings.RECOMMENDER_TUNING_BUDGET_SECONDS / len(ITEM_TYPES)
    choices = {}
    for code, item_type in enumerate(ITEM_TYPES):
        try:
            report, _ = selection.select(
                matrix,
                time_budget_s=budget,
                random_state=0,
                families=tuple(settings.RECOMMENDER_FAMILIES),
                popularity_blend=settings.RECOMMENDER_POPULARITY_BLEND,
                items=items.types == code,
            )
        except ValueError:  # nobody held out an item of this type
            choices[item_type] = {
                "family": "als",
                "params": dict(settings.RECOMMENDER_ALS_PARAMS),
                "popularity_weight": 0.0,
                "validation": {},
            }
            continue
        choices[item_type] = {
            "family": report.chosen,
            "params": report.params,
            "popularity_weight": report.blend_weight,
            "validation": {
                "ndcg@10": round(report.score, 6),
                "popularity": round(report.popularity_score, 6),
                **{
                    result.family: round(result.blend_score, 6)
                    for result in report.families
                    if not result.note
                },
            },
        }
    return choices


def _build(params: dict, matrix, items: ItemIndex) -> Any:
    """Fit what ``params`` say: ALS parameters, or a choice per item type (types with the same
    choice share one fitted model)."""
    params = _model_params(params)
    if "per_type" not in params:
        return ALS(**params, random_state=0).fit(matrix)
    fitted: dict[str, Any] = {}
    models = {}
    for item_type, choice in params["per_type"].items():
        key = json.dumps([choice["family"], choice["params"], choice["popularity_weight"]])
        if key not in fitted:
            fitted[key] = _fit_choice(choice, matrix)
        models[item_type] = fitted[key]
    return GroupedModel(items.types, ITEM_TYPES, models)


def _fit_choice(choice: dict, matrix) -> Any:
    return selection.build(
        choice["family"], choice["params"], choice["popularity_weight"], matrix, random_state=0
    )


def _finite(model: Any) -> bool:
    if isinstance(model, GroupedModel):
        return all(_finite(part) for part in model.models.values())
    if isinstance(model, PopularityBlend):
        return _finite(model.base)
    if isinstance(model, ScoreMix):
        return all(_finite(part) for part in model.models)
    return model.parameters_finite()


def _coverage(model: Any, user_items) -> float:
    """Share of the catalog in the top 10 of (up to 2,000 of) the learners: a model that sends
    everyone to the same few items is broken, whatever its holdout score."""
    users = np.arange(min(user_items.shape[0], 2000))
    ids, _ = model.recommend(users, user_items, k=K, exclude_seen=True)
    return catalog_coverage(ids, user_items.shape[1])


def _promotable(version: ModelVersion, model: Any, active: ModelVersion | None) -> str:
    """Why the version may not be promoted, or "" if it may."""
    if not _finite(model):
        return "factors are not finite"
    coverage = version.metrics["catalog_coverage"]
    if coverage < settings.RECOMMENDER_MIN_COVERAGE:
        return f"catalog coverage {coverage:.3f} is below {settings.RECOMMENDER_MIN_COVERAGE}"
    if active is not None and "ndcg@10" in active.metrics:
        if "ndcg@10" not in version.metrics:
            return "there was no holdout to evaluate it on, and the active version was evaluated"
        floor = active.metrics["ndcg@10"] * (1 - settings.RECOMMENDER_PROMOTION_TOLERANCE)
        if version.metrics["ndcg@10"] < floor:
            return (
                f"nDCG@10 {version.metrics['ndcg@10']:.4f} is below the active v{active.pk}'s "
                f"{active.metrics['ndcg@10']:.4f} by more than the tolerance"
            )
    return ""


def _summary(scores: dict) -> dict:
    return {
        "ndcg@10": round(scores["ndcg"], 6),
        "recall@10": round(scores["recall"], 6),
        "coverage": round(scores["coverage"], 6),
    }


def _mark_orphans_failed() -> None:
    ModelVersion.objects.filter(status=Status.TRAINING).update(
        status=Status.FAILED,
        error="The worker stopped before the run finished.",
        finished_at=timezone.now(),
    )


def model_train(
    *,
    tune: bool | None = None,
    force: bool = False,
    task_id: str = "",
    progress: Callable[[str], None] | None = None,
) -> ModelVersion:
    """One training run; see the module docstring. Raises ``TrainingBusy`` if one is running.

    ``tune=None`` tunes only while no tuned version exists (and ``RECOMMENDER_TUNE_FIRST_MODEL``
    is on), so a new site's first model is already tuned and later retrains reuse its parameters.
    """
    with training_lock() as acquired:
        if not acquired:
            raise TrainingBusy("Another training run is in progress.")
        _mark_orphans_failed()
        if tune is None:
            tune = settings.RECOMMENDER_TUNE_FIRST_MODEL and not _tuned_exists()
        return _train_locked(
            tune=tune, force=force, task_id=task_id, say=progress or (lambda stage: None)
        )


def _tuned_exists() -> bool:
    return ModelVersion.objects.filter(
        kind="tune", status__in=[Status.ACTIVE, Status.RETIRED]
    ).exists()


def _train_locked(
    *, tune: bool, force: bool, task_id: str, say: Callable[[str], None]
) -> ModelVersion:
    now = timezone.now()
    newest = latest_event_id()
    previous = (
        ModelVersion.objects.exclude(status__in=[Status.FAILED, Status.SKIPPED])
        .exclude(last_event_id=None)
        .first()
    )
    kind = "tune" if tune else "retrain"
    if not force and not tune and previous is not None and previous.last_event_id >= newest:
        return ModelVersion.objects.create(
            kind=kind,
            status=Status.SKIPPED,
            last_event_id=newest,
            task_id=task_id,
            finished_at=now,
        )
    since = now - timedelta(days=settings.RECOMMENDER_TRAINING_WINDOW_DAYS)
    version = ModelVersion.objects.create(
        kind=kind, data_since=since, data_until=now, last_event_id=newest, task_id=task_id
    )
    started = time.perf_counter()
    try:
        say("building the interaction matrix")
        log = events_read(now=now, since=since, until_event_id=newest)
        holdout_from = now - timedelta(days=settings.RECOMMENDER_HOLDOUT_DAYS)
        params = {} if tune else _current_params()
        weights = event_weights() if tune else _current_weights(params)
        full = log.training_data(now=now, weights=weights)
        if full.matrix.nnz == 0:
            raise ValueError("There are no interactions in the training window.")
        split = log.training_data(now=now, holdout_from=holdout_from, weights=weights)
        evaluable = split.matrix.nnz > 0 and split.holdout is not None and split.holdout.nnz > 0
        if evaluable:
            say("tuning and fitting on the history before the holdout" if tune else "fitting")
            candidate, params = _fit(split.matrix, split.items, tune=tune)
            if tune:
                say("choosing the social feedback's weights on validation")
                choice = _choose_event_weights(log, params, now=holdout_from, say=say)
                weights = event_weights(choice["chosen"])
                params = {**params, "event_weight_choice": choice}
                if weights != event_weights():
                    split = log.training_data(now=now, holdout_from=holdout_from, weights=weights)
                    full = log.training_data(now=now, weights=weights)
                    candidate = _build(params, split.matrix, split.items)
            say("evaluating on the holdout")
            version.metrics = _summary(evaluate(candidate, split.matrix, split.holdout, k=K))
            popularity = Popularity().fit(split.matrix)
            version.baseline_metrics = {
                "popularity": _summary(evaluate(popularity, split.matrix, split.holdout, k=K))
            }
            say("refitting on the whole window")
            model = _build(params, full.matrix, full.items)
        else:  # too little history to hold any out (a new site): train on all of it
            say("fitting (too little history for a holdout)")
            model, params = _fit(full.matrix, full.items, tune=tune)
            if tune:
                params["event_weight_choice"] = {
                    "chosen": {kind: weights[kind] for kind in CHOSEN_WEIGHTS},
                    "defaults": {kind: weights[kind] for kind in CHOSEN_WEIGHTS},
                    "note": "too little history for a holdout: the defaults",
                }
        params = {**params, "event_weights": weights}
        version.params = params
        version.metrics["catalog_coverage"] = round(_coverage(model, full.matrix), 6)
        version.n_users, version.n_items = full.matrix.shape
        version.n_interactions = full.matrix.nnz
        say("saving the artefacts")
        version.artefact_path = artefacts_save(
            version_id=version.pk,
            model=model,
            user_ids=full.user_ids,
            items=full.items,
            user_items=full.matrix,
            event_weights=weights,
        )
        version.training_seconds = round(time.perf_counter() - started, 3)
        version.status = Status.CANDIDATE
        version.finished_at = timezone.now()
        version.save()
    except Exception as exc:
        logger.exception("Training run v%s failed", version.pk)
        version.status = Status.FAILED
        version.error = f"{type(exc).__name__}: {exc}"
        version.training_seconds = round(time.perf_counter() - started, 3)
        version.finished_at = timezone.now()
        version.save()
        return version

    say("checking whether it may serve")
    reason = _promotable(version, model, active_version())
    if reason:
        version.status = Status.REJECTED
        version.error = reason
        version.save(update_fields=["status", "error"])
        return version
    return model_promote(version=version)


@transaction.atomic
def model_promote(*, version: ModelVersion) -> ModelVersion:
    """Make ``version`` the one that serves, in one transaction; then precompute its lists."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status not in (Status.CANDIDATE, Status.RETIRED, Status.REJECTED):
        raise ValueError(f"v{version.pk} is {version.status} and cannot be made active.")
    if not version.artefact_path:
        raise ValueError(f"v{version.pk} has no artefacts.")
    ModelVersion.objects.select_for_update().filter(status=Status.ACTIVE).update(
        status=Status.RETIRED
    )
    version.status = Status.ACTIVE
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at"])
    transaction.on_commit(forget_active_version)  # serve it at once, not after the cache expires
    transaction.on_commit(partial(_queue_precompute, version.pk))
    return version


def _queue_precompute(version_id: int) -> None:
    """Queue ``recommendations.tasks.precompute_recommendations`` by name: the task module calls
    this one, so this one does not import it back."""
    current_app.signature(PRECOMPUTE_TASK, args=(version_id,)).delay()


def model_rollback(*, to_version_id: int | None = None) -> ModelVersion:
    """Serve an earlier version again: the given one, or the most recent retired one."""
    target = _rollback_target(to_version_id=to_version_id)
    if target is None:
        raise ValueError("There is no earlier version with artefacts to roll back to.")
    return model_promote(version=target)


def _rollback_target(*, to_version_id: int | None, leaving_out=()) -> ModelVersion | None:
    candidates = ModelVersion.objects.filter(status=Status.RETIRED).exclude(artefact_path="")
    if to_version_id is not None:
        candidates = candidates.filter(pk=to_version_id)
    return candidates.exclude(pk__in=leaving_out).first()


class ActiveVersionKept(ValueError):
    """The active version cannot be taken out of service: no earlier version can replace it."""


@transaction.atomic
def model_retire(
    *, version: ModelVersion, rollback_to: int | None = None, leaving_out=()
) -> ModelVersion | None:
    """Take ``version`` out of service. The active version is replaced first by an earlier one:
    ``rollback_to``, or else the most recent retired version with artefacts (none of
    ``leaving_out``), promoted in its place; without one it stays active and
    ``ActiveVersionKept`` says why, for the site would otherwise fall back to non-personalised
    lists without anyone having decided it. Returns the version promoted, or None when
    ``version`` was not serving (then nothing changes)."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.ACTIVE:
        return None
    target = _rollback_target(to_version_id=rollback_to, leaving_out=[version.pk, *leaving_out])
    if target is None:
        raise ActiveVersionKept(
            gettext(
                "v%(version)s is the active model version, and no earlier version with "
                "artefacts can serve in its place: it was kept. Promote another version first, "
                "or train a new one."
            )
            % {"version": version.pk}
        )
    return model_promote(version=target)


@transaction.atomic
def model_versions_delete(
    *, versions: list[ModelVersion], rollback_to: int | None = None
) -> ModelVersion | None:
    """Delete ``versions`` and, once that commits, their artefacts. The active one among them is
    retired first (``model_retire``: an earlier version, not one of these, is promoted in its
    place, or nothing is deleted and ``ActiveVersionKept`` says why). Returns the version
    promoted, if any."""
    ids = [version.pk for version in versions]
    rows = list(ModelVersion.objects.select_for_update().filter(pk__in=ids))
    promoted = None
    for version in rows:
        if version.status == Status.ACTIVE:
            promoted = model_retire(version=version, rollback_to=rollback_to, leaving_out=ids)
    ModelVersion.objects.filter(pk__in=ids).delete()
    paths = [version.artefact_path for version in rows if version.artefact_path]
    transaction.on_commit(partial(_artefacts_delete_all, paths))
    return promoted


def _artefacts_delete_all(paths: list[str]) -> None:
    for path in paths:
        artefacts_delete(path)
    model_cache.clear()


def artefacts_cleanup(*, keep: int | None = None) -> list[int]:
    """Delete the artefacts of all but the newest ``keep`` versions that have any (never the
    active one). Returns the ids cleaned."""
    keep = settings.RECOMMENDER_KEEP_VERSIONS if keep is None else keep
    with_files = list(ModelVersion.objects.exclude(artefact_path="").order_by("-id"))
    cleaned = []
    for version in with_files[keep:]:
        if version.status == Status.ACTIVE:
            continue
        artefacts_delete(version.artefact_path)
        version.artefact_path = ""
        version.save(update_fields=["artefact_path"])
        cleaned.append(version.pk)
    ModelVersion.objects.filter(status=Status.SKIPPED).exclude(
        pk__in=ModelVersion.objects.filter(status=Status.SKIPPED).order_by("-id")[:keep]
    ).delete()
    model_cache.clear()
    return cleaned
