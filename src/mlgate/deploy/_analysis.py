"""The canary analysis: compare canary with stable on error rate and latency, from the
counters every replica reports, with always-valid tests. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mlgate.deploy._sequential import bernoulli_cs, msprt_harm
from mlgate.registry import ReplicaStats

Decision = Literal["continue", "abort", "inconclusive"]


@dataclass(frozen=True)
class Totals:
    """One version's counters summed over replicas."""

    requests: int = 0
    errors: int = 0
    histogram: tuple[int, ...] = ()
    disagreements: int = 0
    compared: int = 0
    gap: float = 0.0

    def over(self, budget_ms: float, buckets: Sequence[float]) -> int:
        """Requests certainly slower than ``budget_ms``: those in buckets that start at
        or above it."""
        lower = [0.0, *buckets]
        return sum(c for edge, c in zip(lower, self.histogram, strict=False) if edge >= budget_ms)


def totals(stats: Sequence[ReplicaStats], version: int) -> Totals:
    rows = [s for s in stats if s.version == version]
    width = max((len(s.latency_ms) for s in rows), default=0)
    hist = tuple(sum(s.latency_ms[i] for s in rows if i < len(s.latency_ms)) for i in range(width))
    return Totals(
        sum(s.requests for s in rows),
        sum(s.errors for s in rows),
        hist,
        sum(s.disagreements for s in rows),
        sum(s.compared for s in rows),
        sum(s.prediction_gap for s in rows),
    )


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str


def analyse(
    stable: Totals,
    canary: Totals,
    *,
    alpha: float,
    p99_budget_ms: float | None,
    buckets: Sequence[float],
) -> Verdict:
    """Abort on evidence that the canary errs more often than stable, or that more than
    1% of its requests exceed the latency budget (its p99 is over budget); otherwise
    continue. Every canary request failing, on both sides, is inconclusive."""
    if canary.requests and canary.errors == canary.requests and stable.errors == stable.requests:
        return Verdict(
            "inconclusive", "every request failed on both versions; nothing was measured"
        )
    harm = msprt_harm(canary.errors, canary.requests, stable.errors, stable.requests, alpha)
    if harm.reject:
        return Verdict(
            "abort",
            f"canary error rate {canary.errors / canary.requests:.1%} vs stable "
            f"{stable.errors / max(stable.requests, 1):.1%} over {canary.requests} and "
            f"{stable.requests} requests (mSPRT, always-valid p = {harm.p_value:.2g})",
        )
    if p99_budget_ms is not None and canary.requests:
        over = canary.over(p99_budget_ms, buckets)
        low, _ = bernoulli_cs(over, canary.requests, alpha)
        if low > 0.01:
            return Verdict(
                "abort",
                f"canary p99 latency is over the budget of {p99_budget_ms:g} ms: {over} of "
                f"{canary.requests} requests slower (at least {low:.1%} with confidence "
                f"{1 - alpha:.0%}, confidence sequence)",
            )
    return Verdict("continue", "no evidence of harm")
