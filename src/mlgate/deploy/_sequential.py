"""Always-valid sequential tests: the analysis may look after every batch of requests
without inflating its false alarms.

* :func:`msprt_harm`: the mixture sequential probability ratio test of Johari, Koomen,
  Pekelis and Walsh ("Always valid inference", 2017) on the difference of two error
  rates, with a normal mixing distribution.
* :func:`bernoulli_cs`: a normal-mixture confidence sequence (Howard, Ramdas, McAuliffe
  and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences", 2021)
  for a rate of [0, 1] observations, which are sub-Gaussian with variance proxy 1/4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    """The state of a sequential test.

    Attributes:
        statistic: The mixture likelihood ratio (mSPRT) or the bound that was crossed.
        p_value: The always-valid p-value, 1 / statistic, capped at 1.
        reject: Whether the evidence crossed 1 / alpha.
    """

    statistic: float
    p_value: float
    reject: bool


def msprt_harm(
    errors_a: int, n_a: int, errors_b: int, n_b: int, alpha: float, tau: float = 0.02
) -> Evidence:
    """Evidence that rate A (the canary's errors) is above rate B (the stable one's).

    Uses the pooled variance under the null hypothesis of equal rates, and the mixture
    N(0, tau^2) over the difference; rejects only in the harmful direction.
    """
    if n_a == 0 or n_b == 0:
        return Evidence(1.0, 1.0, False)
    pooled = (errors_a + errors_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    diff = errors_a / n_a - errors_b / n_b
    if variance <= 0.0 or diff <= 0.0:
        return Evidence(1.0, 1.0, False)
    t2 = tau * tau
    log_ratio = 0.5 * math.log(variance / (variance + t2)) + diff * diff * t2 / (
        2 * variance * (variance + t2)
    )
    ratio = math.exp(min(log_ratio, 700.0))
    return Evidence(ratio, min(1.0, 1.0 / ratio), ratio >= 1.0 / alpha)


def bernoulli_cs(successes: int, n: int, alpha: float, t_opt: int = 500) -> tuple[float, float]:
    """A (1 - alpha) confidence sequence for a rate after ``n`` observations: valid at
    every n at once. ``t_opt`` is the sample size where it is tightest."""
    if n == 0:
        return 0.0, 1.0
    variance = 0.25  # sub-Gaussian proxy of a [0, 1] observation
    log_a = math.log(1 / alpha)
    rho = t_opt * variance / (2 * log_a + math.log(1 + 2 * log_a))
    v = n * variance
    radius = math.sqrt((v + rho) * math.log((v + rho) / (rho * alpha * alpha))) / n
    rate = successes / n
    return max(0.0, rate - radius), min(1.0, rate + radius)
