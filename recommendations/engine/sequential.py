"""Statistics of online experiments: intervals for proportions and an always-valid sequential
test for a difference in proportions (numpy only, no Django).

The test is the mixture sequential probability ratio test (mSPRT) with a normal mixture of
Johari, Koomen, Pekelis and Walsh, "Peeking at A/B Tests" (KDD 2017), in its two-sample form
for Bernoulli outcomes. With ``θ̂ = p̂_B − p̂_A`` and its plug-in variance
``V = p̂_A(1 − p̂_A)/n_A + p̂_B(1 − p̂_B)/n_B``, the mixture likelihood ratio of "θ ~ N(0, τ²)"
against "θ = 0" is::

    Λ = sqrt(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))

Under the null hypothesis Λ is (asymptotically) a martingale with mean 1, so by Ville's
inequality the chance that it *ever* reaches ``1/α`` is at most ``α``. That is what makes it
safe to look at the results after every new learner: the always-valid p-value is the running
minimum of ``min(1, 1/Λ)`` over all looks, and the always-valid confidence interval is the set
of differences the test does not reject, which in closed form is::

    θ̂ ± sqrt(V (V + τ²) / τ² · (log((V + τ²) / V) − 2 log α))

(Both answers agree: the p-value is below ``α`` exactly when 0 is outside the interval.)
``τ`` is the spread of the effects one expects; the test is valid for any ``τ > 0``, and is
most powerful for effects of about that size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval:
    """The Wilson score interval of a proportion (good at small counts and near 0 or 1);
    [0, 1] without observations."""
    if n <= 0:
        return Interval(0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def difference_interval(
    successes_a: int, n_a: int, successes_b: int, n_b: int, *, confidence: float = 0.95
) -> Interval:
    """The fixed-sample (Wald, unpooled) interval of ``p_B − p_A``: valid for ONE look at a
    sample size fixed in advance, shown beside the always-valid one."""
    if n_a <= 0 or n_b <= 0:
        return Interval(-1.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    half = z * math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return Interval(p_b - p_a - half, p_b - p_a + half)


def _difference_and_variance(successes_a, n_a, successes_b, n_b):
    s_a, s_b = np.asarray(successes_a, dtype=np.float64), np.asarray(successes_b, dtype=np.float64)
    n_a, n_b = np.asarray(n_a, dtype=np.float64), np.asarray(n_b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a = np.where(n_a > 0, s_a / n_a, 0.0)
        p_b = np.where(n_b > 0, s_b / n_b, 0.0)
        variance = np.where(
            (n_a > 0) & (n_b > 0), p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b, 0.0
        )
    return p_b - p_a, variance


def mixture_likelihood_ratio(successes_a, n_a, successes_b, n_b, *, tau: float) -> np.ndarray:
    """Λ of the mSPRT for ``p_B − p_A`` (see the module docstring), element-wise over arrays of
    counts. Without variance (no observations yet, or every outcome the same in both arms) there
    is no evidence either way: Λ = 1."""
    if tau <= 0:
        raise ValueError("tau must be positive")
    theta, variance = _difference_and_variance(successes_a, n_a, successes_b, n_b)
    tau2 = tau * tau
    positive = variance > 0
    safe = np.where(positive, variance, 1.0)
    log_ratio = 0.5 * np.log(safe / (safe + tau2)) + tau2 * theta**2 / (2 * safe * (safe + tau2))
    return np.where(positive, np.exp(np.minimum(log_ratio, 700.0)), 1.0)


def always_valid_p_values(successes_a, n_a, successes_b, n_b, *, tau: float) -> np.ndarray:
    """The always-valid p-value after each look: arrays whose LAST axis runs over the looks in
    order (cumulative counts); the running minimum of ``min(1, 1/Λ)``."""
    ratio = mixture_likelihood_ratio(successes_a, n_a, successes_b, n_b, tau=tau)
    single = np.minimum(1.0, 1.0 / ratio)
    return np.minimum.accumulate(single, axis=-1) if single.ndim else single


def always_valid_interval(
    successes_a: int, n_a: int, successes_b: int, n_b: int, *, tau: float, alpha: float
) -> Interval:
    """The (1 − α) always-valid interval of ``p_B − p_A`` at this look (not yet intersected
    with earlier looks' intervals); the whole range [-1, 1] without variance."""
    theta, variance = _difference_and_variance(successes_a, n_a, successes_b, n_b)
    theta, variance = float(theta), float(variance)
    if variance <= 0:
        return Interval(-1.0, 1.0)
    tau2 = tau * tau
    half = math.sqrt(
        variance
        * (variance + tau2)
        / tau2
        * (math.log((variance + tau2) / variance) - 2 * math.log(alpha))
    )
    return Interval(theta - half, theta + half)


def rejection_rate(
    *,
    rate_a: float,
    rate_b: float,
    experiments: int,
    looks: int,
    per_look: int,
    tau: float,
    alpha: float,
    seed: int = 0,
) -> float:
    """The share of simulated experiments (outcomes Bernoulli with ``rate_a`` and ``rate_b``) in
    which the always-valid p-value ever fell below ``alpha``, peeking after every batch of
    ``per_look`` learners per arm. With equal rates (an A/A test) this is the false-positive
    rate under continuous monitoring; with different rates, the power."""
    rng = np.random.default_rng(seed)
    a = rng.binomial(per_look, rate_a, size=(experiments, looks)).cumsum(axis=1)
    b = rng.binomial(per_look, rate_b, size=(experiments, looks)).cumsum(axis=1)
    n = per_look * np.arange(1, looks + 1)
    p = always_valid_p_values(a, n, b, n, tau=tau)
    return float((p[:, -1] < alpha).mean())
