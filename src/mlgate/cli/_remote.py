"""Commands that talk to the remote: push, fetch, pull."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import msgspec

from mlgate.cli._data import open_workspace
from mlgate.cli._output import human_bytes, progress_for, quiet_option
from mlgate.config import RemoteConfig, load_project
from mlgate.store import Remote, TransferResult, Workspace, open_remote


def _remote_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.argument("paths", nargs=-1)(func)
    func = click.option(
        "-j",
        "--jobs",
        type=click.IntRange(1, 256),
        default=None,
        help="Concurrent transfers (default: remote.jobs, 16).",
    )(func)
    func = click.option(
        "--remote",
        "remote_url",
        metavar="URL",
        help="Use this remote instead of the configured one.",
    )(func)
    func = click.option("--run-cache", is_flag=True, help="Also share the pipeline's run cache.")(
        func
    )
    return quiet_option(func)


def _open(remote_url: str | None) -> tuple[Remote, int]:
    configured = load_project().config.remote_config
    config = configured
    if remote_url:
        config = (
            msgspec.structs.replace(configured, url=remote_url)
            if configured
            else RemoteConfig(url=remote_url)
        )
    remote = open_remote(config)
    return remote, config.jobs if config else 16


def _report(verb: str, result: TransferResult) -> None:
    click.echo(
        f"{verb} {result.transferred} object(s) ({human_bytes(result.bytes)}); "
        f"{result.skipped} already there"
    )


def _share(ws: Workspace, remote: Remote, jobs: int, quiet: bool, *, up: bool) -> None:
    from mlgate.pipeline._share import pull_run_cache, push_run_cache

    move = push_run_cache if up else pull_run_cache
    moved = move(ws, remote, jobs=jobs, progress=progress_for(quiet))
    verb = "pushed" if up else "fetched"
    click.echo(
        f"{verb} {moved.entries} run-cache entr{'y' if moved.entries == 1 else 'ies'} "
        f"({moved.objects.transferred} object(s))"
    )


@click.command("push")
@_remote_options
def push_cmd(
    paths: tuple[str, ...], jobs: int | None, remote_url: str | None, run_cache: bool, quiet: bool
) -> None:
    """Upload the objects of tracked PATHS (default: all) that the remote lacks."""
    from mlgate.store import push

    remote, default_jobs = _open(remote_url)
    with open_workspace() as ws:
        result = push(ws, remote, paths, jobs=jobs or default_jobs, progress=progress_for(quiet))
        _report("pushed", result)
        if run_cache:
            _share(ws, remote, jobs or default_jobs, quiet, up=True)


@click.command("fetch")
@_remote_options
def fetch_cmd(
    paths: tuple[str, ...], jobs: int | None, remote_url: str | None, run_cache: bool, quiet: bool
) -> None:
    """Download into the cache the objects of tracked PATHS that it lacks."""
    from mlgate.store import fetch

    remote, default_jobs = _open(remote_url)
    with open_workspace() as ws:
        result = fetch(ws, remote, paths, jobs=jobs or default_jobs, progress=progress_for(quiet))
        _report("fetched", result)
        if run_cache:
            _share(ws, remote, jobs or default_jobs, quiet, up=False)


@click.command("pull")
@_remote_options
@click.option("--force", is_flag=True, help="Overwrite workspace data that is not in the cache.")
def pull_cmd(
    paths: tuple[str, ...],
    jobs: int | None,
    remote_url: str | None,
    run_cache: bool,
    quiet: bool,
    force: bool,
) -> None:
    """Fetch the objects of tracked PATHS, then check them out."""
    from mlgate.store import pull

    remote, default_jobs = _open(remote_url)
    with open_workspace() as ws:
        if run_cache:
            _share(ws, remote, jobs or default_jobs, quiet, up=False)
        fetched, restored = pull(
            ws, remote, paths, jobs=jobs or default_jobs, force=force, progress=progress_for(quiet)
        )
    _report("fetched", fetched)
    written = sum(r.written for r in restored)
    click.echo(f"checked out {len(restored)} path(s), {written} file(s) written")
