"""Paired tests on the rows of one evaluation set: McNemar, DeLong, paired t and
Wilcoxon, and corrections for testing several hypotheses at once.

Every function is pure: arrays in, a frozen :class:`TestResult` out. ``gain`` arrays are
oriented so that positive means "the candidate is better"; ``threshold`` is the value
the gain must exceed (``-margin`` for non-inferiority, 0 for superiority).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class TestResult:
    """One paired comparison.

    Attributes:
        test: The test's name, as a report shows it.
        estimate: The candidate's gain over the champion (positive is better).
        low: Lower bound of the two-sided ``1 - 2*alpha`` interval of the gain: the
            one-sided ``alpha`` bound that non-inferiority and superiority look at.
        high: Upper bound of that interval.
        p_value: One-sided p-value of "gain <= threshold" (before any correction).
        statistic: The test statistic (z, t, chi-square, W), when it has one.
    """

    test: str
    estimate: float
    low: float
    high: float
    p_value: float
    statistic: float | None = None


def mcnemar(
    cand_correct: NDArray[np.bool_], champ_correct: NDArray[np.bool_], alpha: float = 0.05
) -> TestResult:
    """Exact McNemar test of superiority in accuracy.

    The p-value is one-sided, P(X >= wins) for X ~ Binomial(discordant, 1/2); the
    interval is the Wald interval of the accuracy difference. :func:`mcnemar_table`
    gives the two-sided exact and chi-square versions.
    """
    from scipy.stats import binom, norm

    wins = int(np.count_nonzero(cand_correct & ~champ_correct))
    losses = int(np.count_nonzero(~cand_correct & champ_correct))
    n = len(cand_correct)
    diff = (wins - losses) / n
    p = float(binom.sf(wins - 1, wins + losses, 0.5)) if wins + losses else 1.0
    se = math.sqrt(max(wins + losses - (wins - losses) ** 2 / n, 0.0)) / n
    z = float(norm.ppf(1 - alpha))
    return TestResult("McNemar (exact)", diff, diff - z * se, diff + z * se, p, float(wins))


@dataclass(frozen=True)
class McNemarTable:
    """Two-sided McNemar statistics of a 2x2 table of paired outcomes."""

    exact_p: float
    chi2: float
    chi2_p: float


def mcnemar_table(table: list[list[int]]) -> McNemarTable:
    """Two-sided exact p-value and the continuity-corrected chi-square of ``table``,
    whose off-diagonal cells ``b = table[0][1]`` and ``c = table[1][0]`` are the
    discordant pairs."""
    from scipy.stats import binom, chi2

    b, c = table[0][1], table[1][0]
    if b + c == 0:
        return McNemarTable(1.0, 0.0, 1.0)
    exact = min(1.0, 2 * float(binom.cdf(min(b, c), b + c, 0.5)))
    stat = (abs(b - c) - 1) ** 2 / (b + c)
    return McNemarTable(exact, stat, float(chi2.sf(stat, 1)))


def midranks(x: Array) -> Array:
    """Ranks from 1, ties sharing their mean rank (``scipy.stats.rankdata``'s default),
    without importing scipy.stats (over a second of import time)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return np.asarray((ends - (counts - 1) / 2.0)[inverse], dtype=np.float64)


@dataclass(frozen=True)
class DeLong:
    """The DeLong comparison of two correlated ROC AUCs."""

    auc_candidate: float
    auc_champion: float
    variance: float  # of auc_candidate - auc_champion


def delong(y: NDArray[np.bool_], cand: Array, champ: Array) -> DeLong:
    """AUCs and the variance of their difference by the fast algorithm of Sun and Xu
    (2014): midranks instead of the O(m*n) placement sums of DeLong et al. (1988)."""
    pos, neg = y, ~y
    m, n = int(pos.sum()), int(neg.sum())
    v10 = np.empty((2, m))
    v01 = np.empty((2, n))
    aucs = np.empty(2)
    for k, score in enumerate((cand, champ)):
        x, z = score[pos], score[neg]
        tz = midranks(np.concatenate([x, z]))
        tx, ty = midranks(x), midranks(z)
        aucs[k] = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
        v10[k] = (tz[:m] - tx) / n
        v01[k] = 1.0 - (tz[m:] - ty) / m
    s = np.cov(v10) / m + np.cov(v01) / n
    return DeLong(float(aucs[0]), float(aucs[1]), float(s[0, 0] + s[1, 1] - 2 * s[0, 1]))


def delong_test(
    y: NDArray[np.bool_], cand: Array, champ: Array, threshold: float, alpha: float = 0.05
) -> TestResult:
    """DeLong's z-test of "AUC(candidate) - AUC(champion) <= threshold"."""
    from scipy.special import ndtr, ndtri

    d = delong(y, cand, champ)
    diff = d.auc_candidate - d.auc_champion
    se = math.sqrt(max(d.variance, 0.0))
    z_a = float(ndtri(1 - alpha))
    if se == 0.0:
        p = 0.0 if diff > threshold else 1.0
        return TestResult("DeLong", diff, diff, diff, p, None)
    z = (diff - threshold) / se
    return TestResult("DeLong", diff, diff - z_a * se, diff + z_a * se, float(ndtr(-z)), z)


def paired_t(gain: Array, threshold: float, alpha: float = 0.05) -> TestResult:
    """Paired t-test of "mean per-row gain <= threshold"."""
    from scipy.stats import t as student

    n = len(gain)
    mean = float(gain.mean())
    se = float(gain.std(ddof=1)) / math.sqrt(n)
    q = float(student.ppf(1 - alpha, n - 1))
    if se == 0.0:
        return TestResult("paired t", mean, mean, mean, 0.0 if mean > threshold else 1.0)
    stat = (mean - threshold) / se
    return TestResult(
        "paired t", mean, mean - q * se, mean + q * se, float(student.sf(stat, n - 1)), stat
    )


def wilcoxon(gain: Array, threshold: float, alpha: float = 0.05) -> TestResult:
    """Wilcoxon signed-rank test of "the per-row gain is centred at or below threshold";
    the estimate and interval are those of the mean gain (for the report)."""
    from scipy.stats import wilcoxon as signed_rank

    shifted = gain - threshold
    if not np.any(shifted):
        p, stat = 1.0, 0.0
    else:
        res = signed_rank(shifted, alternative="greater", zero_method="wilcox")
        p, stat = float(res.pvalue), float(res.statistic)
    t = paired_t(gain, threshold, alpha)
    return TestResult("Wilcoxon signed-rank", t.estimate, t.low, t.high, p, stat)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (controls the family-wise error rate)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (controls the false discovery rate)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [0.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted
