"""Commands on the model registry: registry upgrade, models, alias, history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from mlgate.cli._app import invocation
from mlgate.config import Project, load_project

if TYPE_CHECKING:
    from mlgate.registry import Registry


@contextmanager
def open_registry(*, check: bool = True) -> Iterator[Registry]:
    """The registry configured for the repository around the current directory."""
    from mlgate.registry import Registry

    project = load_project()
    with Registry(
        project.config.registry, root=project.root, check=check, create=check
    ) as registry:
        yield registry


@click.group("registry")
def registry_group() -> None:
    """Manage the registry database itself."""


@registry_group.command("upgrade")
def upgrade_cmd() -> None:
    """Create or migrate the registry schema to this mlgate's version."""
    with open_registry(check=False) as registry:
        before, after = registry.upgrade()
    if before == after:
        click.echo(f"The registry schema is up to date ({after}).")
    else:
        click.echo(f"Migrated the registry schema from {before or 'nothing'} to {after}.")


@click.group("models")
def models_group() -> None:
    """Browse registered models and their versions."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def models_list_cmd(as_json: bool) -> None:
    """Every model with its latest version and aliases."""
    with open_registry() as registry:
        models = registry.models()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"name": m.name, "latest_version": m.latest_version, "aliases": dict(m.aliases)}
                    for m in models
                ],
                indent=2,
            )
        )
        return
    if not models:
        click.echo("No models yet.")
    for m in models:
        aliases = ", ".join(f"{a}={v}" for a, v in sorted(m.aliases.items())) or "-"
        click.echo(f"{m.name:<30} latest {m.latest_version or '-':<6} aliases {aliases}")


@models_group.command("show")
@click.argument("ref")
def models_show_cmd(ref: str) -> None:
    """One version (NAME@VERSION, NAME@ALIAS) or every version of NAME."""
    with open_registry() as registry:
        versions = [registry.resolve(ref)] if "@" in ref else registry.versions(ref)
    for v in versions:
        click.echo(
            f"{v.ref}  {v.flavor}  artifact {v.artifact_digest[:12]}  "
            f"registered {v.created_at:%Y-%m-%d %H:%M:%S} by {v.created_by}"
        )
        if v.git_commit:
            click.echo(f"    commit {v.git_commit}")
        for label, values in (
            ("params", v.params),
            ("metrics", v.metrics),
            ("data", v.data_digests),
        ):
            if values:
                shown = ", ".join(f"{k}={str(val)[:12]}" for k, val in sorted(values.items()))
                click.echo(f"    {label}: {shown}")


@click.group("alias")
def alias_group() -> None:
    """Move or delete aliases (every move is recorded with who, when and why)."""


def _expected(value: str | None, current: int | None) -> int | None:
    if value is None:
        return current
    if value == "none":
        return None
    if not value.isdigit():
        raise click.BadParameter("expected a version number or 'none'", param_hint="--expect")
    return int(value)


@alias_group.command("set")
@click.argument("name")
@click.argument("alias")
@click.argument("version", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why; recorded in the history.")
@click.option(
    "--expect",
    metavar="VERSION|none",
    help="Fail unless the alias points there now (default: what it points to now).",
)
def alias_set_cmd(name: str, alias: str, version: int, reason: str, expect: str | None) -> None:
    """Point ALIAS of model NAME at VERSION, by compare-and-set."""
    with open_registry() as registry:
        expected = _expected(expect, registry.alias(name, alias) if expect is None else None)
        event = registry.set_alias(
            name,
            alias,
            version,
            expected=expected,
            reason=reason,
            command=invocation(),
        )
    was = f"version {event.from_version}" if event.from_version is not None else "unset"
    click.echo(f"{name}@{alias}: {was} -> version {event.to_version}")


@alias_group.command("delete")
@click.argument("name")
@click.argument("alias")
@click.option("--reason", required=True, help="Why; recorded in the history.")
def alias_delete_cmd(name: str, alias: str, reason: str) -> None:
    """Remove ALIAS of model NAME."""
    with open_registry() as registry:
        current = registry.alias(name, alias)
        if current is None:
            raise click.ClickException(f"model '{name}' has no alias '{alias}'")
        registry.set_alias(
            name,
            alias,
            None,
            expected=current,
            reason=reason,
            command=invocation(),
        )
    click.echo(f"{name}@{alias}: version {current} -> deleted")


@click.command("history")
@click.argument("name")
@click.option("--alias", help="Only this alias.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def history_cmd(name: str, alias: str | None, as_json: bool) -> None:
    """Every alias move of model NAME (when, who, from, to, why, which command) and its
    deployment events: rollouts, failed loads, forced promotions."""
    with open_registry() as registry:
        events = registry.history(name, alias)
        deploys = registry.deploy_events(name, alias)
    if as_json:
        moves = [
            {
                "at": e.at.isoformat(),
                "kind": "alias-move",
                "alias": e.alias,
                "from": e.from_version,
                "to": e.to_version,
                "actor": e.actor,
                "reason": e.reason,
                "command": e.command,
            }
            for e in events
        ]
        others = [
            {
                "at": d.at.isoformat(),
                "kind": d.kind,
                "alias": d.alias,
                "version": d.version,
                "actor": d.actor,
                "reason": d.message,
            }
            for d in deploys
        ]
        click.echo(json.dumps(sorted(moves + others, key=lambda r: str(r["at"])), indent=2))
        return
    if not events and not deploys:
        click.echo(f"No alias of '{name}' has moved yet.")
    lines: list[tuple[object, str]] = []
    for e in events:
        frm = "-" if e.from_version is None else e.from_version
        to = "deleted" if e.to_version is None else e.to_version
        lines.append(
            (
                e.at,
                f"{e.at:%Y-%m-%d %H:%M:%S}  {e.alias:<12} {frm} -> {to:<8} {e.actor}: "
                f"{e.reason}  [{e.command}]",
            )
        )
    for d in deploys:
        lines.append(
            (d.at, f"{d.at:%Y-%m-%d %H:%M:%S}  {d.alias:<12} {d.kind} (v{d.version}): {d.message}")
        )
    for _, line in sorted(lines, key=lambda item: str(item[0])):
        click.echo(line)


def _read_mapping(path: str | None, what: str) -> dict[str, object]:
    if path is None:
        return {}
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=what) from None
    except yaml.YAMLError as exc:
        raise click.BadParameter(
            f"{path} is not valid JSON or YAML: {exc}", param_hint=what
        ) from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path} must hold a mapping of names to values", param_hint=what)
    return data


def _producing_run(lock_dir: str, state_dir: str, digest: str) -> int | None:
    """The registry run whose pipeline stage produced the artifact ``digest``, if any."""
    import os

    from mlgate.pipeline._records import read_cache, read_lock

    stages = os.path.join(lock_dir, "stages")
    for name in sorted(os.listdir(stages)) if os.path.isdir(stages) else []:
        lock = read_lock(lock_dir, name.removesuffix(".json"))
        if lock is not None and any(o.digest == digest for o in lock.outs):
            entry = read_cache(state_dir, lock.key)
            return entry.run_id if entry is not None else None
    return None


@click.command("register")
@click.argument("name")
@click.argument("path")
@click.option("--flavor", required=True, help="How to load it: sklearn, onnx, python, ...")
@click.option(
    "--run",
    "run_id",
    type=int,
    help="The run that produced it (default: found through the pipeline's records).",
)
@click.option("--params", "params_file", help="A JSON/YAML file of parameters.")
@click.option("--metrics", "metrics_file", help="A JSON/YAML file of metrics.")
@click.option(
    "--example",
    "example_file",
    help="Input rows (CSV/Parquet) for the signature and input example "
    "(default: evaluation.data without its target).",
)
def register_cmd(
    name: str,
    path: str,
    flavor: str,
    run_id: int | None,
    params_file: str | None,
    metrics_file: str | None,
    example_file: str | None,
) -> None:
    """Store the model at PATH and record it as the next version of NAME, with lineage:
    the git commit, the digest of every tracked dataset, parameters and metrics, and
    the model's signature and an input example."""
    from mlgate._git import git_state
    from mlgate.store import Workspace

    project = load_project()
    signature, example = _signature(project, path, flavor, example_file)
    with Workspace.for_project(project) as ws:
        artifact = ws.put_path(path)
        data = {p.path: p.digest for p in ws.pointers.all()}
        if run_id is None:
            run_id = _producing_run(project.lock_dir, project.state_dir, artifact.digest)
    commit, _dirty = git_state(project.root)
    params: dict[str, object] = {}
    metrics: dict[str, object] = {}
    with open_registry() as registry:
        if run_id is not None:
            run = registry.run(run_id)
            params, metrics = dict(run.params), dict(run.metrics)
            commit = run.git_commit or commit
        params |= _read_mapping(params_file, "--params")
        metrics |= _read_mapping(metrics_file, "--metrics")
        numeric: dict[str, float] = {}
        for key, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise click.BadParameter(
                    f"metric '{key}' must be a number, not {value!r}", param_hint="--metrics"
                )
            numeric[key] = float(value)
        version = registry.register(
            name,
            artifact_digest=artifact.digest,
            flavor=flavor,
            run_id=run_id,
            git_commit=commit,
            data_digests=data,
            params=params,
            metrics=numeric,
            signature=signature,
            input_example=example,
        )
    if signature is None:
        click.echo(
            "note: no signature or input example (no `evaluation:` in mlgate.yaml and no "
            "--example); the server cannot validate inputs or smoke-test this version"
        )
    click.echo(
        f"registered {version.ref} ({flavor}, artifact {artifact.digest[:12]}, "
        f"{len(data)} dataset(s) in its lineage)"
    )


@click.command("lineage")
@click.argument("ref")
def lineage_cmd(ref: str) -> None:
    """Where REF (NAME@VERSION or NAME@ALIAS) came from: commit, run, data digests."""
    with open_registry() as registry:
        lineage = registry.lineage(ref)
    v = lineage.version
    click.echo(f"{v.ref}  {v.flavor}  artifact {v.artifact_digest}")
    click.echo(f"  commit   {v.git_commit or '(not in git)'}")
    for path, digest in sorted(v.data_digests.items()):
        click.echo(f"  data     {path}  {digest}")
    run = lineage.run
    if run is None:
        click.echo("  run      (none recorded)")
        return
    dirty = " (uncommitted changes)" if run.git_dirty else ""
    click.echo(
        f"  run      {run.id} '{run.name}' {run.status} on {run.host} by {run.user}"
        f", commit {run.git_commit or '-'}{dirty}"
    )
    for io in run.io:
        click.echo(f"    {io.stage:<12} {io.role:<3} {io.path}  {io.digest}")
    if run.params:
        click.echo("    params  " + ", ".join(f"{k}={v}" for k, v in sorted(run.params.items())))


@click.command("runs")
@click.argument("run_id", required=False, type=int)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
def runs_cmd(run_id: int | None, limit: int) -> None:
    """The latest runs, or one run (RUN_ID) with its params, metrics and digests."""
    with open_registry() as registry:
        if run_id is None:
            runs = registry.runs(limit)
            if not runs:
                click.echo("No runs yet.")
            for r in runs:
                click.echo(
                    f"{r.id:>6}  {r.started_at:%Y-%m-%d %H:%M:%S}  {r.status:<9} {r.name}"
                    f"  {(r.git_commit or '-')[:12]}"
                )
            return
        run = registry.run(run_id)
    click.echo(
        f"run {run.id} '{run.name}' {run.status}, started {run.started_at:%Y-%m-%d %H:%M:%S}"
    )
    for label, values in (("params", run.params), ("metrics", run.metrics)):
        for k, val in sorted(values.items()):
            click.echo(f"  {label[:-1]:<7} {k} = {val}")
    for io in run.io:
        click.echo(f"  {io.stage:<12} {io.role:<3} {io.path}  {io.digest[:12]}")


def _signature(
    project: Project, path: str, flavor: str, example_file: str | None
) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """Load the model (so a corrupt file or a wrong flavor is refused now) and infer its
    signature and input example from example rows."""
    import os

    from mlgate.cli._judge import read_table
    from mlgate.models import EXAMPLE_ROWS, infer_signature, input_example, load_model

    evaluation = project.config.evaluation
    source = example_file or (evaluation.data if evaluation is not None else None)
    if source is None:
        return None, None
    frame = read_table(os.getcwd() if example_file else project.root, source, "example data")
    if evaluation is not None:
        frame = frame.drop(columns=[evaluation.target], errors="ignore")
    trust = project.config.model.trust if project.config.model is not None else False
    model = load_model(os.path.abspath(path), flavor, root=project.root, trust=trust)
    head = frame.head(EXAMPLE_ROWS)
    return infer_signature(head, model.predict(head)), input_example(head)
