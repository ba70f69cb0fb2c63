"""The always-valid tests: their error rate under repeated looks, and their power."""

from __future__ import annotations

import numpy as np

from mlgate.deploy import Totals, analyse, bernoulli_cs, msprt_harm
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
    assert analyse(dead, dead, alpha=0.05, p99_budget_ms=None, buckets=LATENCY_BUCKETS_MS).decision == "inconclusive"
