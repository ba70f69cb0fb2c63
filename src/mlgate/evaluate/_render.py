"""A gate report as Markdown (for the pull request), JSON, JUnit XML and a PNG plot of
the comparisons. Pure: each function returns text or bytes."""

from __future__ import annotations

import json

from mlgate.evaluate._report_types import GateReport, GateResult

_WORDS = {"pass": "passed", "fail": "FAILED", "skip": "skipped"}
_ICON = {"pass": "✅", "fail": "❌", "skip": "⏭️"}


def _num(value: float | None, fmt: str = ".4f") -> str:
    return "" if value is None else format(value, fmt)


def to_markdown(report: GateReport, plot: str | None = None) -> str:
    """The verdict first, then one table per kind of gate."""
    failed = report.failed
    if report.passed:
        skipped = sum(1 for r in report.results if r.status == "skip")
        verdict = (
            f"## ✅ mlgate: `{report.candidate}` passed {len(report.results) - skipped} "
            f"check(s), {skipped} skipped"
        )
    else:
        names = ", ".join(f"`{r.gate}`" for r in failed[:5])
        verdict = f"## ❌ mlgate: `{report.candidate}` failed {len(failed)} check(s): {names}"
    against = (
        f"against `{report.champion}`" if report.champion else "with no champion to compare with"
    )
    lines = [verdict, "", f"Evaluated on {report.rows:,} rows, {against}.", ""]
    lines += [f"> **Note:** {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    sections = [
        ("Comparisons with the champion", "comparison", _comparison_table),
        ("Metric bounds", "metric", _simple_table),
        ("Latency and size", ("latency", "size"), _simple_table),
        ("Data checks", "data", _simple_table),
    ]
    for title, kinds, table in sections:
        rows = [
            r for r in report.results if r.kind in (kinds if isinstance(kinds, tuple) else (kinds,))
        ]
        if rows:
            lines += [f"### {title}", "", *table(rows), ""]
    if plot:
        lines += [f"![Gain of the candidate over the champion, with intervals]({plot})", ""]
    return "\n".join(lines)


def _comparison_table(rows: list[GateResult]) -> list[str]:
    out = [
        "| gate | result | candidate | champion | gain (positive is better) | interval "
        "| p (adjusted) | must exceed | test |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        interval = (
            f"[{r.low:+.4f}, {r.high:+.4f}]" if r.low is not None and r.high is not None else ""
        )
        p = (
            f"{r.p_value:.4g} ({r.p_adjusted:.4g})"
            if r.p_value is not None and r.p_adjusted is not None
            else ""
        )
        gain = _num(r.estimate, "+.4f")
        out.append(
            f"| {r.gate} | {_ICON[r.status]} {_WORDS[r.status]} | {_num(r.value)} | "
            f"{_num(r.baseline)} | {gain} | {interval} | {p} | {_num(r.threshold, '+g')} "
            f"| {r.test or ''} |"
        )
    out += ["", *[f"- **{r.gate}**: {r.message}" for r in rows]]
    return out


def _simple_table(rows: list[GateResult]) -> list[str]:
    out = ["| check | result | what happened |", "|---|---|---|"]
    out += [f"| {r.gate} | {_ICON[r.status]} {_WORDS[r.status]} | {r.message} |" for r in rows]
    return out


def to_json(report: GateReport) -> str:
    return (
        json.dumps(report.to_dict(), indent=2, sort_keys=True, allow_nan=False, default=str) + "\n"
    )


def to_junit(report: GateReport, seconds: float = 0.0) -> str:
    """One testsuite, one testcase per check; failures and skips carry the message."""
    import xml.etree.ElementTree as ET

    failures = str(len(report.failed))
    total = str(len(report.results))
    root = ET.Element("testsuites", tests=total, failures=failures)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"mlgate gate {report.candidate}",
        tests=total,
        failures=failures,
        errors="0",
        skipped=str(sum(1 for r in report.results if r.status == "skip")),
        time=f"{seconds:.3f}",
    )
    for r in report.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"mlgate.gates.{r.kind}", name=r.gate, time="0"
        )
        if r.status == "fail":
            ET.SubElement(case, "failure", message=r.message).text = r.message
        elif r.status == "skip":
            ET.SubElement(case, "skipped", message=r.message)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def comparison_plot(report: GateReport) -> bytes | None:
    """A PNG of every comparison's gain with its interval and the bound it had to clear;
    None when there are no comparisons."""
    rows = [r for r in report.results if r.kind == "comparison" and r.estimate is not None]
    if not rows:
        return None
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.5 * len(rows) + 1.5), dpi=110)
    for i, r in enumerate(rows):
        assert r.estimate is not None
        color = {"pass": "tab:green", "fail": "tab:red", "skip": "tab:gray"}[r.status]
        low = r.low if r.low is not None else r.estimate
        high = r.high if r.high is not None else r.estimate
        ax.errorbar(
            r.estimate,
            i,
            xerr=[[r.estimate - low], [high - r.estimate]],
            fmt="o",
            color=color,
            capsize=4,
        )
        if r.threshold is not None:
            ax.plot([r.threshold, r.threshold], [i - 0.35, i + 0.35], color="black", linewidth=1.5)
    ax.axvline(0.0, color="gray", linestyle=":", linewidth=1)
    ax.set_yticks(range(len(rows)), [f"{r.gate} ({r.metric})" for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel(
        "gain of the candidate over the champion (positive is better); | = bound to clear"
    )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
