"""`mlgate ci`: one command from a commit to a verdict (and, with --deploy, to
production), and `mlgate ci init` for GitHub Actions and GitLab CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from mlgate.config import Project, load_project

if TYPE_CHECKING:
    from mlgate.evaluate import GateReport
    from mlgate.registry import ModelVersion


@contextmanager
def _step(title: str, out_dir: str, *, gated: bool = False) -> Iterator[None]:
    """A collapsible group in GitHub Actions' log, a heading elsewhere. An error in the
    step still leaves a report: mlgate-report.md and junit.xml say which step failed
    and why, so the pull-request comment and the test report are never stale."""
    from mlgate._errors import MlgateError

    github = os.environ.get("GITHUB_ACTIONS") == "true"
    click.echo(f"::group::{title}" if github else f"== {title}")
    try:
        yield
    except MlgateError as exc:
        if exc.exit_code == 2:
            _write_error(out_dir, title, str(exc), gated=gated)
        raise
    finally:
        if github:
            click.echo("::endgroup::")


def _write_error(out_dir: str, step: str, message: str, *, gated: bool) -> None:
    """The report of a run that stopped with an error. After the gates (``gated``), it
    is added to their report, which stays; before, it replaces any earlier report."""
    import xml.etree.ElementTree as ET

    from mlgate._fs import atomic_write

    if gated:
        _append_report(out_dir, f"### Deploy\n\n⚠️ error: {message}\n")
        return

    root = ET.Element("testsuites", tests="1", failures="0", errors="1")
    suite = ET.SubElement(root, "testsuite", name="mlgate ci", tests="1", failures="0", errors="1")
    case = ET.SubElement(suite, "testcase", classname="mlgate.ci", name=step, time="0")
    ET.SubElement(case, "error", message=message).text = message
    ET.indent(root)
    os.makedirs(out_dir, exist_ok=True)
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
    atomic_write(os.path.join(out_dir, "junit.xml"), xml.encode())
    markdown = (
        f"## ⚠️ mlgate: error in step “{step}”\n\n```\n{message}\n```\n\n"
        "The candidate was not gated. Fix the cause and push again; `mlgate ci` in a "
        "checkout of this commit reproduces it.\n"
    )
    atomic_write(os.path.join(out_dir, "mlgate-report.md"), markdown.encode())
    _summarise(markdown)


def _summarise(markdown: str) -> None:
    """Append to the GitHub Actions job summary, when there is one."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")


@click.group("ci", invoke_without_command=True)
@click.option("--deploy", is_flag=True, help="After the gates pass, roll out to the alias.")
@click.option("--out", "out_dir", default=".", show_default=True, help="Where the reports go.")
@click.option("-j", "--jobs", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--no-push",
    is_flag=True,
    help="Do not push the pipeline's outputs and run cache to the remote after the run.",
)
@click.pass_context
def ci_group(ctx: click.Context, deploy: bool, out_dir: str, jobs: int, no_push: bool) -> None:
    """Pull, run the pipeline (restoring what is cached), push its outputs and run cache,
    register the candidate, gate it against the champion, and report: mlgate-report.md,
    junit.xml, and the job summary on GitHub Actions. Exit 0 passed, 1 a gate failed,
    2 an error. With a remote, a later checkout of the same inputs (the merge, a re-run)
    restores what this one trained instead of training again."""
    if ctx.invoked_subcommand is not None:
        return
    from mlgate._errors import ConfigError, GateFailed

    with _step("read mlgate.yaml", out_dir):
        project = load_project()
        if project.config.model is None:
            raise ConfigError(
                "`mlgate ci` needs `model:` and `evaluation:` in mlgate.yaml: they name the "
                "candidate and how it is judged"
            )
    if project.config.remote_config is not None:
        with _step("pull data and the run cache", out_dir):
            _pull(project, jobs)
    with _step("run the pipeline", out_dir):
        from mlgate.cli._pipeline import run_cmd

        ctx.invoke(
            run_cmd,
            stages=(),
            jobs=jobs,
            dry=False,
            force=False,
            keep_going=False,
            downstream=False,
            executor_spec=None,
        )
    if project.config.remote_config is not None and not no_push:
        with _step("push outputs and the run cache", out_dir):
            _push(project, jobs)
    with _step("register the candidate", out_dir):
        version = _register(ctx, project)
    with _step("gate the candidate", out_dir):
        report = _gate(project, version.ref, out_dir)
    if not report.passed:
        raise GateFailed(f"{version.ref} failed {len(report.failed)} gate(s); see mlgate-report.md")
    if deploy:
        with _step("deploy", out_dir, gated=True):
            _deploy(project, version.version, out_dir)


def _pull(project: Project, jobs: int) -> None:
    """Before the run: the tracked data and the run cache from the remote."""
    from mlgate.pipeline._share import pull_run_cache
    from mlgate.store import Workspace, open_remote, pull

    remote = open_remote(project.config.remote_config)
    with Workspace.for_project(project) as ws:
        entries = pull_run_cache(ws, remote, jobs=jobs * 8)
        fetched, restored = pull(ws, remote, jobs=jobs * 8)
    click.echo(
        f"run cache: {entries.entries} new entr(ies); data: {fetched.transferred} object(s) "
        f"fetched, {len(restored)} path(s) checked out"
    )


def _push(project: Project, jobs: int) -> None:
    """After the run: the tracked data and the run cache (with the outputs it names) to
    the remote. A remote this job may only read (a common setup for pull requests) is a
    warning, not an error: the verdict does not depend on it."""
    from mlgate._errors import RemoteError
    from mlgate.pipeline._share import push_run_cache
    from mlgate.store import Workspace, open_remote, push

    remote = open_remote(project.config.remote_config)
    try:
        with Workspace.for_project(project) as ws:
            pushed = push(ws, remote, jobs=jobs * 8)
            entries = push_run_cache(ws, remote, jobs=jobs * 8)
    except RemoteError as exc:
        prefix = "::warning::" if os.environ.get("GITHUB_ACTIONS") == "true" else "warning: "
        click.echo(
            f"{prefix}could not push to the remote, so other jobs will run these stages "
            f"again: {exc}. Give this job write access to the remote, or pass --no-push.",
            err=True,
        )
        return
    click.echo(
        f"data: {pushed.transferred} object(s) pushed; run cache: {entries.entries} "
        f"entr(ies) pushed ({entries.objects.transferred} object(s))"
    )


def _register(ctx: click.Context, project: Project) -> ModelVersion:
    from mlgate.cli._judge import registered_as
    from mlgate.cli._registry import open_registry, register_cmd

    model = project.config.model
    assert model is not None
    path = os.path.join(project.root, model.path)
    if not os.path.isfile(path):
        from mlgate._errors import PipelineError

        raise PipelineError(
            f"the pipeline did not produce the model '{model.path}' that `model.path` names; "
            "fix the stage's outs or model.path"
        )
    with open_registry() as registry:
        known = registered_as(registry, model.name, path)
    if known is not None:
        click.echo(f"unchanged: {known.ref} is this model (nothing to register)")
        return known
    ctx.invoke(
        register_cmd,
        name=model.name,
        path=path,
        flavor=model.flavor,
        run_id=None,
        params_file=None,
        metrics_file=None,
        example_file=None,
    )
    with open_registry() as registry:
        version = registered_as(registry, model.name, path)
    assert version is not None
    return version


def _gate(project: Project, ref: str, out_dir: str) -> GateReport:
    """The candidate's gate report: the stored one when nothing it depends on changed
    (same version, same champion), else a fresh one."""
    from mlgate._fs import atomic_write
    from mlgate.cli._judge import judge, write_report
    from mlgate.evaluate import GateReport, to_junit, to_markdown
    from mlgate.registry import Registry, default_actor
    from mlgate.store import Workspace

    model = project.config.model
    assert model is not None
    name, _, number = ref.partition("@")
    with (
        Workspace.for_project(project) as ws,
        Registry(project.config.registry, root=project.root, create=True) as registry,
    ):
        champion = registry.alias(name, model.champion)
        champion_ref = (
            f"{name}@{champion}" if champion is not None and str(champion) != number else None
        )
        stored = registry.gate_reports(name, int(number))
        if stored and stored[0].champion == champion_ref:
            report = GateReport.from_dict(dict(stored[0].report))
            click.echo(
                f"re-using the gate report stored with {ref} (nothing it depends on changed)"
            )
            os.makedirs(out_dir, exist_ok=True)
            atomic_write(os.path.join(out_dir, "junit.xml"), to_junit(report).encode())
            markdown = to_markdown(report)
        else:
            judged = judge(project, ws, registry, ref, None)
            report = judged.report
            registry.save_gate_report(
                name,
                int(number),
                report.to_dict(),
                passed=report.passed,
                champion=report.champion,
                actor=default_actor(),
            )
            write_report(os.path.join(out_dir, "gate-report"), judged)
            atomic_write(
                os.path.join(out_dir, "junit.xml"), to_junit(report, judged.seconds).encode()
            )
            markdown = to_markdown(report, "gate-report/comparisons.png")
    for r in report.results:
        click.echo(f"{r.status:<5} {r.gate:<32} {r.message}")
    atomic_write(os.path.join(out_dir, "mlgate-report.md"), markdown.encode())
    _summarise(markdown)
    click.echo(f"report: {os.path.join(out_dir, 'mlgate-report.md')} and junit.xml")
    return report


def _deploy(project: Project, version: int, out_dir: str) -> None:
    """Promote directly, or roll out by canary; the outcome is added to the report."""
    from mlgate._errors import GateFailed

    outcome, ok = _roll_out(project, version)
    click.echo(outcome)
    _append_report(out_dir, f"### Deploy\n\n{'✅' if ok else '❌'} {outcome}\n")
    if not ok:
        raise GateFailed(outcome)


def _roll_out(project: Project, version: int) -> tuple[str, bool]:
    from mlgate.cli._registry import open_registry
    from mlgate.cli._serve import rollout_plan
    from mlgate.deploy import promote, run_rollout
    from mlgate.registry import default_actor

    model = project.config.model
    assert model is not None
    settings = project.config.deploy
    alias = settings.alias or model.champion
    with open_registry() as registry:
        current = registry.alias(model.name, alias)
        if current == version:
            return f"{model.name}@{alias} already is version {version}", True
        if current is None or not settings.steps:
            event = promote(
                registry,
                model.name,
                version,
                alias,
                force=False,
                reason=None,
                actor=default_actor(),
            )
            return f"{model.name}@{alias}: {event.from_version} -> {event.to_version}", True
        done = run_rollout(
            registry,
            model.name,
            version,
            alias,
            rollout_plan(settings),
            actor=default_actor(),
            say=click.echo,
        )
    if done.status != "promoted":
        return f"the rollout of {model.name}@{version} ended {done.status}: {done.reason}", False
    return f"{model.name}@{alias}: {current} -> {version} after a canary rollout", True


def _append_report(out_dir: str, markdown: str) -> None:
    """Add a section to mlgate-report.md (rewritten whole, atomically) and the summary."""
    from mlgate._fs import atomic_write

    path = os.path.join(out_dir, "mlgate-report.md")
    with open(path, encoding="utf-8") as fh:
        before = fh.read()
    atomic_write(path, f"{before.rstrip()}\n\n{markdown}".encode())
    _summarise(markdown)


@ci_group.command("init")
@click.argument("platform", type=click.Choice(["github", "gitlab"]))
@click.option("--force", is_flag=True, help="Overwrite an existing workflow file.")
def ci_init_cmd(platform: str, force: bool) -> None:
    """Write a ready CI workflow: a pull-request job that gates and comments, and a
    main-branch job that deploys."""
    from mlgate._errors import PathError
    from mlgate._fs import atomic_write

    project = load_project()
    rel = ".github/workflows/mlgate.yml" if platform == "github" else ".gitlab-ci.yml"
    path = os.path.join(project.root, rel)
    if os.path.exists(path) and not force:
        raise PathError(f"{rel} exists; pass --force to overwrite it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    from importlib.resources import files

    template = files("mlgate.cli").joinpath("templates", f"{platform}.yml").read_bytes()
    atomic_write(path, template)
    click.echo(f"wrote {rel}")
