"""The counts instructors see are noised as stated, suppressed when small, and paid for once a
day per period out of a daily budget."""

import math
from datetime import date, timedelta
from statistics import fmean

import pytest

from analytics.models import Release
from analytics.privacy import (
    budget_for,
    count_mechanism,
    counts_release,
    figures_release,
    noise_scale,
)
from tests.factories import InstructorFactory

TODAY = date(2026, 12, 6)
SAMPLES = 40_000


def discrete_laplace_moments(scale):
    """Mean absolute value and variance of the discrete Laplace distribution with this scale
    (P(k) proportional to exp(-|k| / scale)); close to scale and 2·scale² for large scales."""
    alpha = math.exp(-1 / scale)
    return 2 * alpha / (1 - alpha**2), 2 * alpha / (1 - alpha) ** 2


@pytest.mark.parametrize(("epsilon", "sensitivity"), [(0.5, 1), (1.0, 1), (0.25, 2)])
def test_noise_scale_is_sensitivity_over_epsilon_and_the_spread_matches_it(epsilon, sensitivity):
    scale = noise_scale(epsilon=epsilon, sensitivity=sensitivity)
    assert scale == pytest.approx(sensitivity / epsilon)
    mechanism = count_mechanism(size=SAMPLES, epsilon=epsilon, sensitivity=sensitivity)
    assert mechanism.map(sensitivity) <= epsilon * (1 + 1e-9)  # OpenDP's own accounting
    noise = [value - 100 for value in mechanism([100] * SAMPLES)]
    mad, variance = discrete_laplace_moments(scale)
    # Standard errors at 40,000 samples are about 0.5% (mean |x|) and 1.2% (variance): the
    # bounds are several of them wide, and far from what the wrong scale would give.
    assert abs(fmean(noise)) < 0.05 * scale
    assert fmean(abs(x) for x in noise) == pytest.approx(mad, rel=0.04)
    assert fmean(x * x for x in noise) == pytest.approx(variance, rel=0.08)


def test_the_wrong_scale_would_be_caught():
    noise = [v - 100 for v in count_mechanism(size=SAMPLES, epsilon=0.5)([100] * SAMPLES)]
    wrong_mad, _ = discrete_laplace_moments(1.0)  # the scale for epsilon 1, not 0.5
    assert fmean(abs(x) for x in noise) != pytest.approx(wrong_mad, rel=0.04)


def test_epsilon_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        noise_scale(epsilon=0)


def test_small_released_counts_are_suppressed():
    # At a huge epsilon the noise is nil, so what is suppressed is exactly what is small.
    assert counts_release([1000, 5, 4, 0], epsilon=1e6, suppress_below=5) == [1000, 5, None, None]
    assert counts_release([], epsilon=0.5, suppress_below=5) == []


def test_suppression_is_decided_on_the_noisy_value():
    released = counts_release([5] * 2000, epsilon=0.5, suppress_below=5)
    assert None in released and any(v is not None and v != 5 for v in released)
    assert all(v is None or v >= 5 for v in released)


@pytest.fixture
def instructor(db):
    return InstructorFactory()


def release(instructor, start, end=None, exact=None, today=TODAY):
    return figures_release(
        instructor=instructor,
        period_start=start,
        period_end=end or start,
        exact=exact or (lambda: {"a": 100, "b": 1}),
        today=today,
    )


def test_a_release_spends_epsilon_and_a_repeat_spends_nothing(instructor, settings):
    settings.ANALYTICS_DP_EPSILON, settings.ANALYTICS_DP_DAILY_EPSILON = 0.5, 2.0
    first = release(instructor, date(2026, 11, 1))
    assert first.fresh and not first.exhausted
    assert first.budget.spent == pytest.approx(0.5) and first.budget.remaining == 1.5
    # Both figures released (a count of 1 is usually suppressed, but on its noisy value: the
    # suppression itself is tested above).
    assert set(first.figures) == {"a", "b"}

    def must_not_read():
        raise AssertionError("a stored release reads no counts")

    again = release(instructor, date(2026, 11, 1), exact=must_not_read)
    assert not again.fresh and again.figures == first.figures
    assert budget_for(instructor, on=TODAY).spent == pytest.approx(0.5)
    assert Release.objects.count() == 1


def test_the_budget_runs_out_and_shows_the_figures_released_before(instructor, settings):
    settings.ANALYTICS_DP_EPSILON, settings.ANALYTICS_DP_DAILY_EPSILON = 0.5, 1.0
    period = date(2026, 11, 1)
    yesterday = release(instructor, period, today=TODAY - timedelta(days=1))
    release(instructor, date(2026, 10, 1))
    release(instructor, date(2026, 10, 2))
    assert budget_for(instructor, on=TODAY).remaining == 0
    refused = release(instructor, period)
    assert refused.exhausted and not refused.fresh
    assert refused.figures == yesterday.figures
    assert refused.release.released_on == TODAY - timedelta(days=1)
    never = release(instructor, date(2026, 9, 1))
    assert never.exhausted and never.figures == {} and never.release is None
    assert budget_for(instructor, on=TODAY).spent == pytest.approx(1.0)


def test_the_budget_is_new_each_day(instructor, settings):
    settings.ANALYTICS_DP_EPSILON, settings.ANALYTICS_DP_DAILY_EPSILON = 0.5, 0.5
    release(instructor, date(2026, 11, 1))
    assert release(instructor, date(2026, 11, 2)).exhausted
    tomorrow = release(instructor, date(2026, 11, 2), today=TODAY + timedelta(days=1))
    assert tomorrow.fresh and tomorrow.budget.spent == pytest.approx(0.5)
    # The same period again the next day is a new release, paid from the new day's budget.
    assert release(instructor, date(2026, 11, 1), today=TODAY + timedelta(days=2)).fresh


def test_budgets_are_per_instructor(instructor, settings):
    settings.ANALYTICS_DP_EPSILON, settings.ANALYTICS_DP_DAILY_EPSILON = 0.5, 0.5
    release(instructor, date(2026, 11, 1))
    assert release(InstructorFactory(), date(2026, 11, 1)).fresh
    assert str(Release.objects.first()).endswith(str(TODAY))


@pytest.mark.django_db(transaction=True)
def test_two_views_at_once_spend_the_budget_once(postgres, settings):
    import threading
    import time

    from django.db import connection

    settings.ANALYTICS_DP_EPSILON, settings.ANALYTICS_DP_DAILY_EPSILON = 0.5, 2.0
    instructor = InstructorFactory()
    started = threading.Barrier(2)
    results = []

    def slow_counts():
        time.sleep(0.5)  # the first view holds the lock while the second arrives
        return {"a": 100}

    def view():
        try:
            started.wait()
            results.append(release(instructor, date(2026, 11, 1), exact=slow_counts))
        finally:
            connection.close()

    threads = [threading.Thread(target=view) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.fresh for r in results) == [False, True]
    assert results[0].figures == results[1].figures
    assert Release.objects.count() == 1
    assert budget_for(instructor, on=TODAY).spent == pytest.approx(0.5)
