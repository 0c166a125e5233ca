"""Differential privacy for the counts of learners instructors are shown.

Every count an instructor sees of learners (funnel steps, viewers, drop-off curves) is released
through OpenDP's discrete Laplace mechanism (``make_laplace`` on integers, also called the
geometric mechanism): the released value is the true count plus integer noise with scale
``sensitivity / epsilon``, where the sensitivity is 1 (one learner-day moves one count by at most
one). Released values below ``ANALYTICS_DP_SUPPRESS_BELOW`` are suppressed (shown as "fewer than
N"), decided on the noisy value so the suppression itself reveals nothing more.

Each instructor has a budget per day (``ANALYTICS_DP_DAILY_EPSILON``); one release (the figures
of one period, made at most once a day) costs ``ANALYTICS_DP_EPSILON``. Releases are stored, so
a repeated view shows the same figures and spends nothing. When the day's budget is spent, the
newest earlier release of the same period is shown, with a message, until the next day.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import opendp.prelude as dp
from django.conf import settings
from django.db import transaction
from django.db.models import Subquery, Sum
from django.utils import timezone

from analytics.models import Release
from courses.models import Instructor

dp.enable_features("contrib")

SENSITIVITY = 1


def noise_scale(*, epsilon: float, sensitivity: int = SENSITIVITY) -> float:
    """The Laplace scale that makes one release of counts ``epsilon``-DP: sensitivity / ε."""
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    return sensitivity / epsilon


def count_mechanism(*, size: int, epsilon: float, sensitivity: int = SENSITIVITY):
    """OpenDP's discrete Laplace mechanism over ``size`` integer counts, each of which one
    learner-day changes by at most ``sensitivity``; checked to spend no more than ``epsilon``."""
    mechanism = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int), size=size),
        dp.l1_distance(T=int),
        scale=noise_scale(epsilon=epsilon, sensitivity=sensitivity),
    )
    # OpenDP's own accounting: what a change of ``sensitivity`` costs is at most epsilon.
    assert mechanism.map(sensitivity) <= epsilon * (1 + 1e-9)
    return mechanism


def counts_release(counts: list[int], *, epsilon: float, suppress_below: int) -> list[int | None]:
    """The counts with noise, clipped at zero, those below ``suppress_below`` as ``None``."""
    if not counts:
        return []
    noisy = count_mechanism(size=len(counts), epsilon=epsilon)([int(c) for c in counts])
    return [None if value < suppress_below else int(value) for value in noisy]


@dataclass
class Budget:
    epsilon: float
    daily: float
    spent: float

    @property
    def remaining(self) -> float:
        return max(0.0, self.daily - self.spent)


@dataclass
class Released:
    figures: dict[str, int | None]
    release: Release | None
    budget: Budget
    fresh: bool  # made by this call (budget spent now)
    exhausted: bool  # the day's budget did not allow a new release


def budget_for(instructor: Instructor, *, on: date | None = None) -> Budget:
    on = on or timezone.localdate()
    spent = Release.objects.filter(instructor=instructor, released_on=on).aggregate(
        total=Sum("epsilon")
    )["total"]
    return Budget(
        epsilon=settings.ANALYTICS_DP_EPSILON,
        daily=settings.ANALYTICS_DP_DAILY_EPSILON,
        spent=spent or 0.0,
    )


def figures_release(
    *,
    instructor: Instructor,
    period_start: date,
    period_end: date,
    exact: Callable[[], dict[str, int]],
    today: date | None = None,
) -> Released:
    """Release ``exact()`` (key -> true count) for one instructor and period, once a day; the
    true counts are read only when a new release is made.

    The instructor's row is locked while the budget is checked and the release stored, so two
    requests at once spend the budget once."""
    today = today or timezone.localdate()
    epsilon = settings.ANALYTICS_DP_EPSILON
    this_release = Release.objects.filter(
        instructor=instructor, released_on=today, period_start=period_start, period_end=period_end
    )
    spent_today = (
        Release.objects.filter(instructor=instructor, released_on=today)
        .values("instructor")
        .annotate(total=Sum("epsilon"))
        .values("total")
    )
    # Seen today already: no lock needed, and the day's budget comes in the same query.
    if (stored := this_release.annotate(spent=Subquery(spent_today)).first()) is not None:
        budget = Budget(
            epsilon=epsilon, daily=settings.ANALYTICS_DP_DAILY_EPSILON, spent=stored.spent or 0.0
        )
        return Released(stored.figures, stored, budget, False, False)
    with transaction.atomic():
        Instructor.objects.select_for_update().filter(pk=instructor.pk).first()
        stored = this_release.first()  # made by a request that held the lock before this one
        budget = budget_for(instructor, on=today)
        if stored is not None:
            return Released(stored.figures, stored, budget, fresh=False, exhausted=False)
        if budget.spent + epsilon > budget.daily + 1e-9:
            earlier = (
                Release.objects.filter(
                    instructor=instructor,
                    period_start=period_start,
                    period_end=period_end,
                    released_on__lt=today,
                )
                .order_by("-released_on")
                .first()
            )
            return Released(
                earlier.figures if earlier else {}, earlier, budget, fresh=False, exhausted=True
            )
        counts = exact()
        keys = sorted(counts)
        values = counts_release(
            [counts[key] for key in keys],
            epsilon=epsilon,
            suppress_below=settings.ANALYTICS_DP_SUPPRESS_BELOW,
        )
        release = Release.objects.create(
            instructor=instructor,
            released_on=today,
            period_start=period_start,
            period_end=period_end,
            epsilon=epsilon,
            figures=dict(zip(keys, values, strict=True)),
        )
        budget.spent += epsilon
        return Released(release.figures, release, budget, fresh=True, exhausted=False)
