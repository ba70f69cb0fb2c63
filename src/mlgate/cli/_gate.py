"""`mlgate gate`: judge a candidate model and write its report."""

from __future__ import annotations

import os

import click

from mlgate.config import load_project


@click.command("gate")
@click.argument("ref", required=False)
@click.option(
    "--out",
    "out_dir",
    default="gate-report",
    show_default=True,
    help="Directory for report.md, report.json, junit.xml and comparisons.png.",
)
@click.option("--data", help="Evaluation data to use instead of `evaluation.data`.")
def gate_cmd(ref: str | None, out_dir: str, data: str | None) -> None:
    """Evaluate REF (NAME@VERSION, NAME@ALIAS; default: the model the pipeline made)
    against the gates in mlgate.yaml. Exits 0 when every gate passes, 1 when one fails,
    2 on an error."""
    from mlgate._errors import GateFailed
    from mlgate.cli._judge import judge, write_report
    from mlgate.registry import Registry, default_actor
    from mlgate.store import Workspace

    project = load_project()
    with (
        Workspace.for_project(project) as ws,
        Registry(project.config.registry, root=project.root, create=True) as registry,
    ):
        judged = judge(project, ws, registry, ref, data)
        report = judged.report
        out = os.path.join(os.getcwd(), out_dir)
        written = write_report(out, judged)
        if judged.version is not None:
            registry.save_gate_report(
                judged.version.model,
                judged.version.version,
                report.to_dict(),
                passed=report.passed,
                champion=report.champion,
                actor=default_actor(),
            )
    for note in report.notes:
        click.echo(f"note: {note}")
    for r in report.results:
        click.echo(f"{r.status:<5} {r.gate:<32} {r.message}")
    click.echo(f"report: {', '.join(os.path.relpath(p) for p in written)}")
    if judged.version is not None:
        click.echo(f"stored with {judged.version.ref} in the registry")
    if not report.passed:
        names = ", ".join(r.gate for r in report.failed)
        raise GateFailed(f"{report.candidate} failed {len(report.failed)} gate(s): {names}")
    skipped = sum(1 for r in report.results if r.status == "skip")
    passed = len(report.results) - skipped
    click.echo(f"PASSED: {report.candidate} passed {passed} check(s), {skipped} skipped")
