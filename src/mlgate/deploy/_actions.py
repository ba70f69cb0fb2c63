"""Promote, roll back and roll out: the only code that moves aliases for deployment.

Every move goes through the registry's compare-and-set, so a concurrent move is an
:class:`~mlgate.AliasConflict`, never a silent overwrite.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mlgate._errors import GateFailed, RegistryError
from mlgate.deploy._analysis import Totals, analyse, totals
from mlgate.registry import AliasEvent, Registry, Rollout

Say = Callable[[str], None]


def promote(
    registry: Registry,
    name: str,
    version: int,
    alias: str,
    *,
    force: bool,
    reason: str | None,
    actor: str,
) -> AliasEvent:
    """Point ``alias`` at ``version`` if its newest gate report passed.

    Raises:
        GateFailed: no gate report, or the newest one failed (and no ``force``).
        RegistryError: ``force`` without a reason.
    """
    reports = registry.gate_reports(name, version)
    registry.get(name, version)
    passed = bool(reports) and reports[0].passed
    if not passed and not force:
        state = "failed its gates" if reports else "has no gate report"
        raise GateFailed(
            f"{name}@{version} {state}; run `mlgate gate {name}@{version}`, or override with "
            "`--force --reason TEXT` (the override is recorded)"
        )
    if force and not passed:
        if not reason:
            raise RegistryError("--force needs --reason TEXT: the override goes into the history")
        registry.record_deploy_event(
            name,
            alias,
            version,
            "promote-forced",
            f"promoted without a passing gate: {reason}",
            actor,
        )
    why = reason or f"gate report {reports[0].id} passed"
    return registry.set_alias(
        name, alias, version, expected=registry.alias(name, alias), reason=why, actor=actor
    )


def rollback(
    registry: Registry, name: str, alias: str, *, to: int | None, reason: str, actor: str
) -> AliasEvent:
    """Move ``alias`` back: to ``to``, or to the version it held before. A running
    rollout behind it is aborted first.

    Raises:
        RegistryError: there is nothing to go back to.
    """
    running = registry.active_rollout(name, alias)
    if running is not None:
        registry.finish_rollout(running.id, "aborted", f"rolled back: {reason}", actor)
    current = registry.alias(name, alias)
    target = to if to is not None else registry.previous(name, alias)
    if target is None:
        raise RegistryError(
            f"{name}@{alias} has no earlier version to go back to; name one with --to VERSION"
        )
    if target == current:
        raise RegistryError(f"{name}@{alias} already is version {target}")
    return registry.set_alias(
        name, alias, target, expected=current, reason=f"rollback: {reason}", actor=actor
    )


def _shares(stable: Totals, canary: Totals) -> str:
    """The predicted classes' shares on both sides, when there are a few to show."""
    a, b = stable.share(), canary.share()
    labels = sorted(set(a) | set(b))
    if not a or not b or len(labels) > 5:
        return ""
    pairs = ", ".join(
        f"{label!r} {b.get(label, 0):.0%} vs {a.get(label, 0):.0%}" for label in labels
    )
    return f"\n  predicted classes, canary vs stable: {pairs}"


@dataclass(frozen=True)
class RolloutPlan:
    """How a rollout proceeds.

    Attributes:
        steps: Canary weights in percent, e.g. (10, 50, 100).
        step_seconds: How long each step is observed.
        min_requests: Canary requests a step needs; fewer is inconclusive, never a pass.
        p99_budget_ms: The canary's p99 latency budget, if any.
        alpha: The false-alarm rate of the always-valid tests.
        shadow: Mirror traffic instead of answering with the canary; never promotes.
        max_prediction_shift: Classifiers: abort when some class's share of the
            canary's predictions differs from stable's by more than this (0.1 = ten
            points); None does not check.
    """

    steps: Sequence[int] = (10, 50, 100)
    step_seconds: float = 60.0
    min_requests: int = 200
    p99_budget_ms: float | None = None
    alpha: float = 0.05
    shadow: bool = False
    poll: float = 1.0
    max_prediction_shift: float | None = None


def run_rollout(
    registry: Registry,
    name: str,
    version: int,
    alias: str,
    plan: RolloutPlan,
    *,
    actor: str,
    say: Say = lambda _text: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Rollout:
    """Roll ``version`` out behind ``alias`` step by step, analysing as it goes; abort
    by itself on evidence of harm, promote after the last step."""
    from mlgate.serve import LATENCY_BUCKETS_MS

    first = plan.steps[0] / 100 if not plan.shadow else plan.steps[0] / 100
    rollout = registry.start_rollout(
        name, alias, version, weight=first, shadow=plan.shadow, actor=actor
    )
    say(f"rollout {rollout.id}: {name}@{version} against {name}@{rollout.stable}")
    try:
        for i, step in enumerate(plan.steps):
            if i > 0:
                rollout = registry.set_rollout_weight(rollout.id, step / 100, actor)
            before = totals(registry.rollout_stats(rollout.id), rollout.canary).requests
            mode = "mirroring" if plan.shadow else "canary at"
            say(f"step {i + 1}/{len(plan.steps)}: {mode} {step}%")
            deadline = clock() + plan.step_seconds
            while True:
                sleep(plan.poll)
                stats = registry.rollout_stats(rollout.id)
                stable, canary = totals(stats, rollout.stable), totals(stats, rollout.canary)
                verdict = analyse(
                    stable,
                    canary,
                    alpha=plan.alpha,
                    p99_budget_ms=plan.p99_budget_ms,
                    buckets=LATENCY_BUCKETS_MS,
                    max_prediction_shift=plan.max_prediction_shift,
                )
                if verdict.decision == "abort":
                    say(f"abort: {verdict.reason}")
                    return registry.finish_rollout(rollout.id, "aborted", verdict.reason, actor)
                if verdict.decision == "inconclusive":
                    say(f"inconclusive: {verdict.reason}")
                    return registry.finish_rollout(
                        rollout.id, "inconclusive", verdict.reason, actor
                    )
                if clock() >= deadline:
                    break
            seen = canary.requests - before
            if seen < plan.min_requests:
                reason = (
                    f"step {step}% saw {seen} canary requests in {plan.step_seconds:g} s, fewer "
                    f"than the {plan.min_requests} it needs; no data is not a pass"
                )
                say(f"inconclusive: {reason}")
                return registry.finish_rollout(rollout.id, "inconclusive", reason, actor)
            say(
                f"  canary {canary.requests} requests, {canary.errors} errors; stable "
                f"{stable.requests} requests, {stable.errors} errors: no evidence of harm"
                + _shares(stable, canary)
            )
        if plan.shadow:
            rate = canary.disagreements / canary.compared if canary.compared else 0.0
            gap = canary.gap / canary.compared if canary.compared else 0.0
            reason = (
                f"shadow of {canary.compared} requests: answers differed on {rate:.1%}, mean "
                f"absolute difference {gap:.4g}; {canary.errors} errors"
            )
            registry.record_deploy_event(name, alias, version, "shadow-report", reason, actor)
            say(reason)
            return registry.finish_rollout(
                rollout.id, "inconclusive", f"shadow finished: {reason}", actor
            )
        reason = (
            f"no evidence of harm over {len(plan.steps)} steps ({canary.requests} canary requests, "
            f"{canary.errors} errors)"
        )
        say(f"promote: {reason}")
        return registry.finish_rollout(rollout.id, "promoted", reason, actor)
    except BaseException:
        current = registry.rollout(rollout.id)
        if current.status == "running":
            registry.finish_rollout(
                rollout.id, "aborted", "the rollout command was interrupted", actor
            )
        raise
