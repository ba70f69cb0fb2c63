"""The values a gate evaluation returns: one :class:`GateResult` per check, and the
:class:`GateReport` around them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class GateResult:
    """One check of one gate (one slice, for a gate evaluated per slice).

    Attributes:
        gate: The gate's name (with ``[column=value]`` for a slice).
        kind: ``metric`` (absolute bound), ``comparison`` (paired test), ``latency``,
            ``size`` or ``data``.
        status: ``pass``, ``fail``, or ``skip`` (cannot apply, e.g. no champion yet).
        message: What happened, in plain words.
        metric: The metric's name, for metric gates.
        value: The candidate's value (of the metric, latency or size).
        baseline: The compared model's value.
        estimate: The candidate's gain over the baseline (positive is better).
        low: Lower bound of the gain's ``1 - 2*alpha`` interval.
        high: Upper bound of that interval.
        p_value: The test's one-sided p-value.
        p_adjusted: After the multiple-comparison correction.
        threshold: The bound the value or gain had to clear.
        test: The statistical test used.
        alpha: The gate's significance level.
    """

    gate: str
    kind: str
    status: Status
    message: str
    metric: str | None = None
    value: float | None = None
    baseline: float | None = None
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    threshold: float | None = None
    test: str | None = None
    alpha: float | None = None


@dataclass(frozen=True)
class GateReport:
    """The verdict on a candidate, with every check behind it.

    Attributes:
        passed: True when no check failed.
        candidate: What was evaluated (``name@version`` or a path).
        champion: The compared model (``name@version``), or None when there was none.
        rows: Evaluation rows.
        notes: Things a reviewer must know (no champion yet; a model loaded from pickle).
    """

    passed: bool
    candidate: str
    champion: str | None
    rows: int
    results: tuple[GateResult, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> list[GateResult]:
        return [r for r in self.results if r.status == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateReport:
        results = tuple(GateResult(**r) for r in data["results"])
        return cls(
            passed=bool(data["passed"]),
            candidate=str(data["candidate"]),
            champion=data.get("champion"),
            rows=int(data["rows"]),
            results=results,
            notes=tuple(data.get("notes", ())),
        )
