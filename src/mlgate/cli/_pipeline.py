"""Commands on the pipeline: dag."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from mlgate.config import load_project

if TYPE_CHECKING:
    from mlgate.pipeline import Pipeline, StageResult
    from mlgate.pipeline._compare import Change


@click.command("dag")
@click.argument("stages", nargs=-1)
@click.option("--dot", is_flag=True, help="Graphviz output (pipe into `dot -Tpng`).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--downstream", is_flag=True, help="Also show the stages after STAGES.")
def dag_cmd(stages: tuple[str, ...], dot: bool, as_json: bool, downstream: bool) -> None:
    """Show the stage graph (of STAGES and what they need, or all) in run order."""
    from mlgate.pipeline import Pipeline

    pipeline = Pipeline.build(load_project().config.stages)
    chosen = pipeline.select(stages, downstream=downstream)
    if as_json:
        click.echo(json.dumps({name: sorted(pipeline.upstream[name]) for name in chosen}, indent=2))
    elif dot:
        click.echo("digraph pipeline {\n  rankdir=LR;")
        for name in chosen:
            click.echo(f'  "{name}";')
            for up in sorted(pipeline.upstream[name]):
                click.echo(f'  "{up}" -> "{name}";')
        click.echo("}")
    elif not chosen:
        click.echo("No stages yet: add them under `stages:` in mlgate.yaml.")
    else:
        for name in chosen:
            needs = ", ".join(sorted(pipeline.upstream[name]))
            click.echo(f"{name}" + (f"  <- {needs}" if needs else ""))


@click.command("run")
@click.argument("stages", nargs=-1)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Stages to run at once (independent ones only).",
)
@click.option(
    "--dry", is_flag=True, help="Only show what would run, be restored or skipped, and why."
)
@click.option("--force", is_flag=True, help="Run the selected stages even if up to date.")
@click.option(
    "--keep-going", is_flag=True, help="After a failure, still run what does not depend on it."
)
@click.option("--downstream", is_flag=True, help="Also run the stages after STAGES.")
@click.option(
    "--executor",
    "executor_spec",
    metavar="local|ADDRESS",
    help="Where commands run: `local`, or a Dask scheduler (tcp://host:8786). "
    "Default: `executor:` in mlgate.yaml, else local.",
)
def run_cmd(
    stages: tuple[str, ...],
    jobs: int,
    dry: bool,
    force: bool,
    keep_going: bool,
    downstream: bool,
    executor_spec: str | None,
) -> None:
    """Run the pipeline (or STAGES and what they need), rebuilding only what changed."""
    import contextlib
    import threading

    from mlgate.pipeline import Pipeline, Runner, plan
    from mlgate.store import Workspace

    project = load_project()
    pipeline = Pipeline.build(project.config.stages)
    with Workspace.for_project(project) as ws:
        plans = plan(ws, pipeline, project.lock_dir, stages, downstream=downstream, force=force)
        if not dry and plans and all(p.action == "skip" for p in plans):
            # Nothing executes, so there is no run to record (and no registry to load).
            for p in plans:
                click.echo(f"{'skipped':<10} {p.stage:<20} {p.reason}")
            return
        if dry or not plans:
            for p in plans:
                click.echo(f"{p.action:<8} {p.stage:<20} {p.reason}")
            if not plans:
                click.echo("No stages yet: add them under `stages:` in mlgate.yaml.")
            return
        printing = threading.Lock()

        def show(stage: str, line: str) -> None:
            with printing:
                click.echo(f"[{stage}] {line}")

        if not any(p.action == "run" for p in plans):
            # Only restores: they re-use earlier runs' results (the run cache names them),
            # so there is no new run to record and no registry to load.
            _summary(
                Runner(ws, pipeline, project.lock_dir, on_output=show).execute(
                    plans, jobs=jobs, keep_going=keep_going
                )
            )
            return
        from mlgate._git import git_state
        from mlgate.execute import open_executor, parse_executor
        from mlgate.registry import Registry

        spec = parse_executor(executor_spec) if executor_spec else project.config.executor
        executor = open_executor(spec, ws, project.config.remote_config)
        commit, dirty = git_state(project.root)
        with (
            contextlib.closing(executor),
            Registry(project.config.registry, root=project.root, create=True) as registry,
        ):
            run_id = registry.start_run("pipeline", git_commit=commit, git_dirty=dirty)
            runner = Runner(
                ws,
                pipeline,
                project.lock_dir,
                on_output=show,
                registry=registry,
                run_id=run_id,
                executor=executor,
            )
            try:
                results = runner.execute(plans, jobs=jobs, keep_going=keep_going)
            except KeyboardInterrupt:
                registry.finish_run(run_id, "killed")
                raise
            failed_any = any(r.status == "failed" for r in results)
            registry.finish_run(run_id, "failed" if failed_any else "finished")
        click.echo(f"run {run_id} recorded in the registry (`mlgate runs {run_id}`)")
    _summary(results)


def _summary(results: list[StageResult]) -> None:
    for r in results:
        first = r.detail.splitlines()[0] if r.detail else ""
        took = f" ({r.seconds:.1f} s)" if r.status == "succeeded" else ""
        click.echo(f"{r.status:<10} {r.stage:<20} {first}{took}")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        from mlgate._errors import PipelineError

        raise PipelineError("\n".join(r.detail for r in failed))


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _table(changes: list[Change], *, as_json: bool, md: bool, only_changed: bool) -> None:
    rows = [c for c in changes if not only_changed or c.old != c.new]
    if as_json:
        click.echo(
            json.dumps(
                [{"name": c.name, "old": c.old, "new": c.new, "change": c.delta} for c in rows],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("No differences.")
        return
    if md:
        click.echo("| name | before | now | change |\n|---|---|---|---|")
        for c in rows:
            delta = "" if c.delta is None else f"{c.delta:+.6g}"
            click.echo(f"| {c.name} | {_fmt(c.old)} | {_fmt(c.new)} | {delta} |")
        return
    width = max(len(c.name) for c in rows)
    for c in rows:
        delta = "" if c.delta is None else f"  ({c.delta:+.6g})"
        click.echo(f"{c.name:<{width}}  {_fmt(c.old):>12} -> {_fmt(c.new):<12}{delta}")


def _pipeline() -> tuple[str, Pipeline]:
    from mlgate.pipeline import Pipeline

    project = load_project()
    return project.root, Pipeline.build(project.config.stages)


_OUTPUT = [
    click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
    click.option("--md", is_flag=True, help="A Markdown table (for pull requests)."),
]


@click.group("params")
def params_group() -> None:
    """Compare stage parameters with a git revision."""


@params_group.command("diff")
@click.argument("rev", default="HEAD")
@_OUTPUT[0]
@_OUTPUT[1]
def params_diff_cmd(rev: str, as_json: bool, md: bool) -> None:
    """Parameters that differ from what each stage ran with at REV (default HEAD)."""
    from mlgate.pipeline._compare import params_diff

    root, pipeline = _pipeline()
    _table(params_diff(root, pipeline, rev), as_json=as_json, md=md, only_changed=True)


@click.group("metrics")
def metrics_group() -> None:
    """Show the stages' metrics, or compare them with a git revision."""


@metrics_group.command("show")
@_OUTPUT[0]
@_OUTPUT[1]
def metrics_show_cmd(as_json: bool, md: bool) -> None:
    """The metrics in the stages' metrics files now."""
    from mlgate.pipeline._compare import Change, metrics_now

    root, pipeline = _pipeline()
    now = metrics_now(root, pipeline)
    _table(
        [Change(k, None, v) for k, v in sorted(now.items())],
        as_json=as_json,
        md=md,
        only_changed=False,
    )


@metrics_group.command("diff")
@click.argument("rev", default="HEAD")
@_OUTPUT[0]
@_OUTPUT[1]
def metrics_diff_cmd(rev: str, as_json: bool, md: bool) -> None:
    """Every metric at REV (default HEAD) and now, with the change."""
    from mlgate.pipeline._compare import metrics_diff

    root, pipeline = _pipeline()
    _table(metrics_diff(root, pipeline, rev), as_json=as_json, md=md, only_changed=False)
