"""The experiments' statistics, against exact small cases, published values and simulation."""

import math

import numpy as np
import pytest

from recommendations.engine.sequential import (
    Z95,
    always_valid_interval,
    always_valid_p_values,
    difference_interval,
    mixture_likelihood_ratio,
    rejection_rate,
    wilson_interval,
)


def test_the_95_percent_quantile_is_the_textbook_one():
    assert abs(Z95 - 1.959964) < 1e-6


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Published Wilson intervals (Newcombe 1998, table I; and the 0 of 10 classic).
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    interval = wilson_interval(successes, n)
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


def test_wilson_interval_without_observations_is_everything_and_refuses_impossible_counts():
    assert wilson_interval(0, 0) == wilson_interval(0, -1)
    assert (wilson_interval(0, 0).low, wilson_interval(0, 0).high) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_difference_interval_by_hand():
    # 50/100 against 60/100: difference 0.1, standard error sqrt(0.25/100 + 0.24/100) = 0.07.
    interval = difference_interval(50, 100, 60, 100)
    assert interval.low == pytest.approx(0.1 - Z95 * 0.07)
    assert interval.high == pytest.approx(0.1 + Z95 * 0.07)
    assert interval.contains(0.0) and not interval.contains(0.3)
    assert (difference_interval(0, 0, 1, 2).low, difference_interval(0, 0, 1, 2).high) == (-1, 1)


def test_mixture_likelihood_ratio_by_hand():
    # V = 0.0049, θ = 0.1, τ² = 0.01:
    # Λ = sqrt(0.0049 / 0.0149) · exp(0.01 · 0.01 / (2 · 0.0049 · 0.0149)) = 1.137434…
    ratio = float(mixture_likelihood_ratio(50, 100, 60, 100, tau=0.1))
    expected = math.sqrt(0.0049 / 0.0149) * math.exp(0.0001 / (2 * 0.0049 * 0.0149))
    assert ratio == pytest.approx(expected, rel=1e-12)
    assert ratio == pytest.approx(1.137434, abs=1e-6)


def test_no_variance_is_no_evidence_and_tau_must_be_positive():
    assert float(mixture_likelihood_ratio(0, 0, 0, 0, tau=0.1)) == 1.0
    assert float(mixture_likelihood_ratio(0, 50, 0, 50, tau=0.1)) == 1.0
    assert float(mixture_likelihood_ratio(0, 50, 50, 50, tau=0.1)) == 1.0
    with pytest.raises(ValueError):
        mixture_likelihood_ratio(1, 2, 1, 2, tau=0)


def test_equal_rates_carry_less_than_no_evidence():
    # θ̂ = 0: Λ = sqrt(V / (V + τ²)) < 1, so the p-value stays at 1.
    assert float(mixture_likelihood_ratio(30, 100, 30, 100, tau=0.1)) < 1
    assert always_valid_p_values([30], [100], [30], [100], tau=0.1).tolist() == [1.0]


def test_p_value_is_the_running_minimum_over_looks():
    # Cumulative counts: a difference appears, then fades; the p-value never rises again.
    a = np.array([10, 20, 30, 100])
    b = np.array([10, 45, 60, 105])
    n = np.array([100, 200, 300, 1000])
    p = always_valid_p_values(a, n, b, n, tau=0.1)
    single = np.minimum(1, 1 / mixture_likelihood_ratio(a, n, b, n, tau=0.1))
    assert p.tolist() == np.minimum.accumulate(single).tolist()
    assert p[1] < 0.05 and single[3] > p[3] and p[3] == p[2]


@pytest.mark.parametrize(
    ("a", "b", "n"), [(50, 60, 100), (100, 160, 1000), (100, 130, 1000), (5, 0, 40)]
)
def test_p_value_below_alpha_exactly_when_zero_is_outside_the_interval(a, b, n):
    alpha, tau = 0.05, 0.05
    p = float(always_valid_p_values(a, n, b, n, tau=tau))
    interval = always_valid_interval(a, n, b, n, tau=tau, alpha=alpha)
    assert (p < alpha) == (not interval.contains(0.0))
    # The always-valid interval is wider than the fixed-sample one at the same look.
    fixed = difference_interval(a, n, b, n)
    assert interval.low < fixed.low and interval.high > fixed.high


def test_always_valid_interval_without_variance_is_everything():
    interval = always_valid_interval(0, 10, 0, 10, tau=0.1, alpha=0.05)
    assert (interval.low, interval.high) == (-1.0, 1.0)


def test_a_a_false_positive_rate_under_continuous_peeking_is_at_most_alpha():
    # 4,000 A/A experiments, a look after every 20 learners per arm, 100 looks (2,000 learners
    # per arm). Peeking this often with a fixed-sample z-test rejects about a third of them.
    alpha, experiments = 0.05, 4000
    rate = rejection_rate(
        rate_a=0.1,
        rate_b=0.1,
        experiments=experiments,
        looks=100,
        per_look=20,
        tau=0.05,
        alpha=alpha,
        seed=18,
    )
    slack = 3 * math.sqrt(alpha * (1 - alpha) / experiments)
    assert rate <= alpha + slack


def test_naive_peeking_would_fail_the_same_a_a_check():
    """The simulation can tell a broken stopping rule: a z-test at every look rejects far more
    than 5% of the same A/A experiments."""
    rng = np.random.default_rng(18)
    looks, per_look = 100, 20
    a = rng.binomial(per_look, 0.1, size=(4000, looks)).cumsum(axis=1)
    b = rng.binomial(per_look, 0.1, size=(4000, looks)).cumsum(axis=1)
    n = per_look * np.arange(1, looks + 1)
    pa, pb = a / n, b / n
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (pb - pa) / np.sqrt(pa * (1 - pa) / n + pb * (1 - pb) / n)
    assert (np.abs(z) > Z95).any(axis=1).mean() > 0.2


def test_the_test_finds_a_real_difference():
    power = rejection_rate(
        rate_a=0.10,
        rate_b=0.15,
        experiments=1000,
        looks=100,
        per_look=20,
        tau=0.05,
        alpha=0.05,
        seed=18,
    )
    assert power > 0.8
