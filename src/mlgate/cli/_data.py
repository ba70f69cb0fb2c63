"""Commands on tracked data: add, remove, status, checkout, gc."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click

from mlgate.cli._output import human_bytes, progress_for, quiet_option
from mlgate.config import load_project
from mlgate.store import Workspace


@contextmanager
def open_workspace() -> Iterator[Workspace]:
    """The workspace of the repository around the current directory."""
    with Workspace.for_project(load_project()) as ws:
        yield ws


@click.command("add")
@click.argument("paths", nargs=-1)
@quiet_option
def add_cmd(paths: tuple[str, ...], quiet: bool) -> None:
    """Version PATHS (files or directories) by content.

    With no PATHS, versions the paths listed under `track:` in mlgate.yaml. Commit the
    pointer files it writes under mlgate.lock/paths/.
    """
    with open_workspace() as ws:
        results = ws.add(paths, progress=progress_for(quiet))
    for r in results:
        what = f"{r.pointer.files} files, " if r.pointer.kind == "tree" else ""
        state = "updated" if r.changed else "unchanged"
        click.echo(
            f"{state}: {r.pointer.path} ({what}{human_bytes(r.pointer.size)}, "
            f"{r.new_objects} new objects) {r.pointer.digest[:12]}"
        )


@click.command("remove")
@click.argument("paths", nargs=-1, required=True)
def remove_cmd(paths: tuple[str, ...]) -> None:
    """Stop tracking PATHS. The data stays in the workspace and in the cache."""
    with open_workspace() as ws:
        for rel in ws.remove(paths):
            click.echo(f"untracked: {rel}")


_STYLE = {"modified": "yellow", "missing": "red", "untracked": "cyan", "not-in-cache": "magenta"}


@click.command("status")
@click.argument("paths", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status_cmd(paths: tuple[str, ...], as_json: bool) -> None:
    """Show tracked paths that are modified or missing, declared paths never added, and
    pipeline stages that are not up to date (with the reason)."""
    from mlgate._errors import PipelineError
    from mlgate.store import status

    project = load_project()
    stages: list[tuple[str, str, str]] = []
    problem = None
    with Workspace.for_project(project) as ws:
        entries = status(ws, paths)
        if project.config.stages and not paths:
            from mlgate.pipeline import Pipeline, plan

            try:
                planned = plan(ws, Pipeline.build(project.config.stages), project.lock_dir)
                stages = [(p.stage, p.action, p.reason) for p in planned if p.action != "skip"]
            except PipelineError as exc:
                problem = str(exc)
    if as_json:
        doc = {
            "paths": [
                {"path": e.path, "state": e.state, "details": list(e.details)} for e in entries
            ],
            "stages": [{"stage": n, "action": a, "reason": r} for n, a, r in stages],
        }
        if problem:
            doc["pipeline_error"] = problem
        click.echo(json.dumps(doc, indent=2))
        return
    changed = [e for e in entries if e.state != "ok"]
    for e in changed:
        click.echo(click.style(f"{e.state + ':':<14}", fg=_STYLE[e.state]) + e.path)
        for detail in e.details:
            click.echo(f"{'':<16}{detail}")
    for name, action, reason in stages:
        click.echo(
            click.style(f"{'stage ' + action + ':':<14}", fg="yellow") + f"{name}  ({reason})"
        )
    if problem:
        click.echo(click.style("pipeline:     ", fg="red") + problem)
    if not changed and not stages and not problem:
        click.echo(
            f"Up to date: {len(entries)} tracked path(s) match their pointers"
            + (
                f", {len(project.config.stages)} stage(s) up to date."
                if project.config.stages
                else "."
            )
        )
        return
    if changed:
        click.echo("\n`mlgate add PATH` records changes; `mlgate checkout PATH` discards them.")
    if stages:
        click.echo("`mlgate run` brings the stages up to date.")


@click.command("checkout")
@click.argument("paths", nargs=-1)
@click.option(
    "--force", is_flag=True, help="Overwrite or delete workspace data that is not in the cache."
)
@quiet_option
def checkout_cmd(paths: tuple[str, ...], force: bool, quiet: bool) -> None:
    """Make tracked PATHS (default: all) match their pointers, from the cache."""
    from mlgate.store import checkout

    with open_workspace() as ws:
        results = checkout(ws, paths, force=force, progress=progress_for(quiet))
    for r in results:
        if r.written or r.removed:
            click.echo(f"restored: {r.path} ({r.written} written, {r.removed} removed)")
    if not any(r.written or r.removed for r in results):
        click.echo(f"Nothing to do: {len(results)} tracked path(s) already match.")


@click.command("gc")
@click.option("--all-commits", is_flag=True, help="Also keep what any git commit references.")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
def gc_cmd(all_commits: bool, dry_run: bool) -> None:
    """Delete cache objects that no pointer references."""
    from mlgate.pipeline._records import referenced_outputs
    from mlgate.store import gc

    project = load_project()
    with Workspace.for_project(project) as ws:
        keep = referenced_outputs(
            project.root, project.lock_dir, project.state_dir, all_commits=all_commits
        )
        result = gc(ws, all_commits=all_commits, dry_run=dry_run, also_keep=keep)
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{verb} {result.removed} object(s), {human_bytes(result.freed)}; "
        f"kept {result.kept} referenced object(s)"
    )
    if result.unreadable:
        click.echo(f"warning: {result.unreadable} pointer file(s) in git history could not be read")
