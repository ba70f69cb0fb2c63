"""The always-valid tests: their error rate under repeated looks, and their power."""

from __future__ import annotations

import numpy as np

from mlgate.deploy import Totals, analyse, bernoulli_cs, msprt_harm, prediction_shift
from mlgate.serve import LATENCY_BUCKETS_MS


def test_msprt_holds_its_false_alarm_rate_when_looking_after_every_batch() -> None:
    rng = np.random.default_rng(3)
    alarms = 0
    for _ in range(300):
        a = b = na = nb = 0
        for _look in range(50):  # 50 looks, 40 requests each
            a += int(rng.binomial(20, 0.02))
            b += int(rng.binomial(20, 0.02))
            na += 20
            nb += 20
            if msprt_harm(a, na, b, nb, alpha=0.05).reject:
                alarms += 1
                break
    assert alarms / 300 <= 0.05


def test_msprt_detects_a_broken_canary_quickly_and_ignores_improvements() -> None:
    assert msprt_harm(12, 60, 0, 540, alpha=0.05).reject
    assert not msprt_harm(0, 60, 12, 540, alpha=0.05).reject
    assert not msprt_harm(0, 0, 0, 10, alpha=0.05).reject
    assert not msprt_harm(0, 100, 0, 100, alpha=0.05).reject


def test_confidence_sequence_covers_and_shrinks() -> None:
    low, high = bernoulli_cs(0, 0, 0.05)
    assert (low, high) == (0.0, 1.0)
    low, high = bernoulli_cs(50, 1000, 0.05)
    assert low < 0.05 < high and high - low < 0.15
    wide = bernoulli_cs(5, 100, 0.05)
    assert wide[1] - wide[0] > high - low


def test_analysis_verdicts() -> None:
    fast = Totals(1000, 0, (1000,) + (0,) * len(LATENCY_BUCKETS_MS))
    slow = Totals(1000, 0, (0,) * 8 + (1000,) + (0,) * (len(LATENCY_BUCKETS_MS) - 8))
    ok = analyse(fast, fast, alpha=0.05, p99_budget_ms=50, buckets=LATENCY_BUCKETS_MS)
    assert ok.decision == "continue"
    late = analyse(fast, slow, alpha=0.05, p99_budget_ms=50, buckets=LATENCY_BUCKETS_MS)
    assert late.decision == "abort" and "p99 latency is over the budget of 50 ms" in late.reason
    dead = Totals(100, 100, ())
    assert (
        analyse(dead, dead, alpha=0.05, p99_budget_ms=None, buckets=LATENCY_BUCKETS_MS).decision
        == "inconclusive"
    )


def _classes(**shares: int) -> Totals:
    return Totals(sum(shares.values()), 0, (), predictions=tuple(sorted(shares.items())))


def test_prediction_shift_is_shown_only_beyond_the_tolerance() -> None:
    stable = _classes(no=900, yes=100)
    shifted = _classes(no=500, yes=500)
    verdict = analyse(
        stable,
        shifted,
        alpha=0.05,
        p99_budget_ms=None,
        buckets=LATENCY_BUCKETS_MS,
        max_prediction_shift=0.1,
    )
    assert verdict.decision == "abort"
    assert "canary predicts 'no' for 50.0% of 1000 rows, stable for 90.0%" in verdict.reason
    # Unchecked without a tolerance, and a shift smaller than the tolerance never aborts,
    # however many rows show it.
    assert prediction_shift(stable, shifted, 0.05, 0.5) is None
    assert (
        analyse(stable, shifted, alpha=0.05, p99_budget_ms=None, buckets=()).decision == "continue"
    )
    small = prediction_shift(
        _classes(no=90_000, yes=10_000), _classes(no=85_000, yes=15_000), 0.05, 0.1
    )
    assert small is None
    # A class only one side predicts counts as a share of 0 on the other.
    assert prediction_shift(_classes(no=1000), _classes(maybe=1000), 0.05, 0.1) is not None
    assert prediction_shift(_classes(), shifted, 0.05, 0.1) is None  # nothing to compare yet


def test_prediction_shift_false_alarms_stay_under_alpha_when_looking_often() -> None:
    """Equal class distributions, 300 simulated rollouts, a look after every 50 rows up
    to 3,000: aborts (any look, tolerance 0) stay near or under alpha."""
    rng = np.random.default_rng(3)
    alarms = 0
    for _ in range(300):
        a = rng.random(3000) < 0.3
        b = rng.random(3000) < 0.3
        for n in range(50, 3001, 50):
            sa, sb = int(a[:n].sum()), int(b[:n].sum())
            if prediction_shift(
                _classes(no=n - sa, yes=sa), _classes(no=n - sb, yes=sb), 0.05, 0.0
            ):
                alarms += 1
                break
    assert alarms / 300 <= 0.05
