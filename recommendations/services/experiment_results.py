"""The results of an experiment: per variant, the learners exposed, the primary metric with its
95% interval, the difference to the control with a fixed-sample and an always-valid interval,
the guardrails, and the decision the always-valid test allows.

The unit is the learner (the unit of assignment): the metric is the share of a variant's
exposed learners who clicked at least one card of the experiment's lists (click-through) or who
bought anything within 7 days of their first exposure (purchases). Card-level click-through
(clicks / impressions) is shown beside it, but not tested: the cards of one learner are not
independent. Each look at the results (``experiment_look``) lowers the stored always-valid
p-value of each variant if it fell; it never rises, so a winner once called stays called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils.translation import gettext as _

from recommendations.engine.sequential import (
    Interval,
    always_valid_interval,
    always_valid_p_values,
    difference_interval,
    wilson_interval,
)
from recommendations.models import Assignment, Event, Experiment, Exposure, Variant

PURCHASE_WINDOW = timedelta(days=7)


@dataclass
class VariantResult:
    variant: Variant
    learners: int = 0
    lists: int = 0
    impressions: int = 0
    clicks: int = 0
    successes: int = 0
    not_interested_learners: int = 0
    latency_p95_ms: float | None = None
    rate: float = 0.0
    interval: Interval = field(default_factory=lambda: Interval(0.0, 1.0))
    # against the control (None for the control itself)
    difference: float | None = None
    fixed_interval: Interval | None = None
    valid_interval: Interval | None = None
    p_value: float | None = None
    verdict: str = ""
    guardrails: list[str] = field(default_factory=list)

    @property
    def card_ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def not_interested_rate(self) -> float:
        return self.not_interested_learners / self.learners if self.learners else 0.0


@dataclass
class ExperimentResults:
    experiment: Experiment
    variants: list[VariantResult]
    alpha_per_comparison: float
    decision: str
    outcome: str = "collecting"  # winner, loss, guardrail, planned, collecting, no_control


def _learners(experiment) -> dict[int, int]:
    rows = Assignment.objects.filter(experiment=experiment).values("variant_id")
    return dict(rows.annotate(n=Count("pk")).values_list("variant_id", "n"))


def _card_events(experiment) -> dict[tuple[int, str], tuple[int, int]]:
    """(variant, event type) → (events, distinct learners) of the impressions, clicks and "not
    interested" sent back with the request ids of the experiment's lists, by their learners."""
    exposures = Exposure.objects.filter(
        experiment=experiment, request_id=OuterRef("request_id"), user_id=OuterRef("user_id")
    )
    rows = (
        Event.objects.filter(
            request_id__isnull=False,
            event_type__in=["impression", "click", "not_interested"],
        )
        .filter(Exists(exposures))
        .annotate(variant_id=Subquery(exposures.values("variant_id")[:1]))
        .values("variant_id", "event_type")
        .annotate(n=Count("pk"), learners=Count("user_id", distinct=True))
        .order_by()
    )
    return {(r["variant_id"], r["event_type"]): (r["n"], r["learners"]) for r in rows}


def _purchasers(experiment) -> dict[int, int]:
    """Learners per variant who bought anything within 7 days of their first exposure."""
    bought = (
        Event.objects.credible()
        .filter(
            user_id=OuterRef("user_id"),
            event_type=Event.Type.PURCHASE,
            server_ts__gte=OuterRef("assigned_at"),
            server_ts__lt=OuterRef("assigned_at") + PURCHASE_WINDOW,
        )
        .values("pk")
    )
    rows = (
        Assignment.objects.filter(experiment=experiment)
        .filter(Exists(bought))
        .values("variant_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows.values_list("variant_id", "n"))


def _latency_p95(experiment) -> dict[int, float]:
    rows = Exposure.objects.filter(experiment=experiment).values_list("variant_id", "latency_ms")
    by_variant: dict[int, list[float]] = {}
    for variant_id, ms in rows.iterator(chunk_size=5000):
        by_variant.setdefault(variant_id, []).append(ms)
    return {v: float(np.percentile(ms, 95)) for v, ms in by_variant.items()}


def experiment_look(*, experiment: Experiment) -> ExperimentResults:
    """Compute the results now and keep each variant's always-valid p-value at its lowest."""
    variants = list(experiment.variants.all())
    learners, events = _learners(experiment), _card_events(experiment)
    metric_clicks = experiment.primary_metric == Experiment.Metric.CLICK_THROUGH
    successes = (
        {v.pk: events.get((v.pk, "click"), (0, 0))[1] for v in variants}
        if metric_clicks
        else _purchasers(experiment)
    )
    latency = _latency_p95(experiment)
    lists = dict(
        Exposure.objects.filter(experiment=experiment)
        .values("variant_id")
        .annotate(n=Count("pk"))
        .values_list("variant_id", "n")
    )
    results = []
    for v in variants:
        n, s = learners.get(v.pk, 0), successes.get(v.pk, 0)
        results.append(
            VariantResult(
                variant=v,
                learners=n,
                lists=lists.get(v.pk, 0),
                impressions=events.get((v.pk, "impression"), (0, 0))[0],
                clicks=events.get((v.pk, "click"), (0, 0))[0],
                successes=s,
                not_interested_learners=events.get((v.pk, "not_interested"), (0, 0))[1],
                latency_p95_ms=latency.get(v.pk),
                rate=s / n if n else 0.0,
                interval=wilson_interval(s, n),
            )
        )
    control = next((r for r in results if r.variant.is_control), None)
    treatments = [r for r in results if r is not control]
    alpha = experiment.alpha / max(len(treatments), 1)  # Bonferroni over the comparisons
    for r in results:
        _guardrails(experiment, r)
    if control is None:
        return ExperimentResults(
            experiment, results, alpha, _("The experiment has no control."), "no_control"
        )
    for r in treatments:
        _compare(experiment, control, r, alpha)
    outcome, decision = _decision(experiment, results, treatments, alpha)
    return ExperimentResults(experiment, results, alpha, decision, outcome)


def _guardrails(experiment, r: VariantResult) -> None:
    if r.learners and r.not_interested_rate > experiment.max_not_interested_rate:
        r.guardrails.append(
            _("Not-interested rate %(rate).1f%% is above %(limit).1f%%.")
            % {
                "rate": 100 * r.not_interested_rate,
                "limit": 100 * experiment.max_not_interested_rate,
            }
        )
    if r.latency_p95_ms is not None and r.latency_p95_ms > experiment.max_latency_ms:
        r.guardrails.append(
            _("Serving time (95th percentile) %(ms).0f ms is above %(limit).0f ms.")
            % {"ms": r.latency_p95_ms, "limit": experiment.max_latency_ms}
        )


def _compare(experiment, control: VariantResult, r: VariantResult, alpha: float) -> None:
    args = (control.successes, control.learners, r.successes, r.learners)
    r.difference = r.rate - control.rate
    r.fixed_interval = difference_interval(*args)
    r.valid_interval = always_valid_interval(*args, tau=experiment.mixture_sd, alpha=alpha)
    now = float(always_valid_p_values(*args, tau=experiment.mixture_sd))
    if now < r.variant.always_valid_p:
        Variant.objects.filter(pk=r.variant.pk, always_valid_p__gt=now).update(always_valid_p=now)
        r.variant.always_valid_p = now
    r.p_value = r.variant.always_valid_p
    if r.p_value < alpha:
        r.verdict = (
            _("Better than the control") if r.difference > 0 else _("Worse than the control")
        )
    else:
        r.verdict = _("No winner yet")


def _decision(experiment, results, treatments, alpha: float) -> tuple[str, str]:
    """The outcome (a word for the page's look) and the decision in words."""
    called = [r for r in treatments if r.p_value < alpha]
    breached = [r for r in results if r.guardrails]
    if breached:
        names = ", ".join(r.variant.name for r in breached)
        return "guardrail", _("Guardrail breached by %(names)s: look before going on.") % {
            "names": names
        }
    if called:
        best = max(called, key=lambda r: r.difference)
        if best.difference > 0:
            return "winner", _(
                "“%(name)s” beats the control: the always-valid test allows stopping now."
            ) % {"name": best.variant.name}
        return "loss", _("No variant beats the control; the called differences are losses.")
    planned = experiment.planned_learners
    if planned and all(r.learners >= planned for r in results):
        return "planned", _("The planned sample is reached without a difference: stop, no winner.")
    return "collecting", _(
        "No winner may be called yet: the always-valid p-value has not crossed α. "
        "Keep collecting; looking again is safe."
    )
