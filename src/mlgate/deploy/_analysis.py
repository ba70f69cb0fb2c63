"""The canary analysis: compare canary with stable on error rate, latency and the
distribution of predicted classes, from the counters every replica reports, with
always-valid tests. Pure."""

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
    predictions: tuple[tuple[str, int], ...] = ()

    def share(self) -> dict[str, float]:
        """Each predicted class's share of the predicted rows."""
        rows = sum(n for _, n in self.predictions)
        return {label: n / rows for label, n in self.predictions} if rows else {}

    def over(self, budget_ms: float, buckets: Sequence[float]) -> int:
        """Requests certainly slower than ``budget_ms``: those in buckets that start at
        or above it."""
        lower = [0.0, *buckets]
        return sum(c for edge, c in zip(lower, self.histogram, strict=False) if edge >= budget_ms)


def totals(stats: Sequence[ReplicaStats], version: int) -> Totals:
    rows = [s for s in stats if s.version == version]
    width = max((len(s.latency_ms) for s in rows), default=0)
    hist = tuple(sum(s.latency_ms[i] for s in rows if i < len(s.latency_ms)) for i in range(width))
    classes: dict[str, int] = {}
    for s in rows:
        for label, n in s.predictions:
            classes[label] = classes.get(label, 0) + n
    return Totals(
        sum(s.requests for s in rows),
        sum(s.errors for s in rows),
        hist,
        sum(s.disagreements for s in rows),
        sum(s.compared for s in rows),
        sum(s.prediction_gap for s in rows),
        tuple(sorted(classes.items())),
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
    max_prediction_shift: float | None = None,
) -> Verdict:
    """Abort on evidence that the canary errs more often than stable, that more than
    1% of its requests exceed the latency budget (its p99 is over budget), or that the
    share of some predicted class differs from stable's by more than
    ``max_prediction_shift``; otherwise continue. Every canary request failing, on both
    sides, is inconclusive."""
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
    if max_prediction_shift is not None:
        shift = prediction_shift(stable, canary, alpha, max_prediction_shift)
        if shift is not None:
            return Verdict("abort", shift)
    return Verdict("continue", "no evidence of harm")


def prediction_shift(stable: Totals, canary: Totals, alpha: float, tolerance: float) -> str | None:
    """Why the canary's predicted classes are shifted beyond ``tolerance`` (an absolute
    difference of shares), or None without such evidence.

    Each class's share on each side gets a confidence sequence at level alpha / (2K) for
    K classes, so all 2K hold at once with probability 1 - alpha, at every look: the
    shift is shown when the two sequences are further apart than the tolerance.
    """
    a, b = dict(stable.predictions), dict(canary.predictions)
    n_a, n_b = sum(a.values()), sum(b.values())
    labels = sorted(set(a) | set(b))
    if not n_a or not n_b or not labels:
        return None
    level = alpha / (2 * len(labels))
    for label in labels:
        low_a, high_a = bernoulli_cs(a.get(label, 0), n_a, level)
        low_b, high_b = bernoulli_cs(b.get(label, 0), n_b, level)
        gap = max(low_b - high_a, low_a - high_b)
        if gap > tolerance:
            return (
                f"canary predicts {label!r} for {b.get(label, 0) / n_b:.1%} of {n_b} rows, "
                f"stable for {a.get(label, 0) / n_a:.1%} of {n_a}: a shift of at least "
                f"{gap:.1%} (more than the {tolerance:.0%} allowed) with confidence "
                f"{1 - alpha:.0%}, confidence sequences"
            )
    return None
