"""Console output helpers: Rich progress bars, created only when a terminal shows them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mlgate.store import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Callable

F = TypeVar("F", bound="Callable[..., Any]")


def quiet_option(func: F) -> F:
    """The `-q/--quiet` flag of every long-running command."""
    return click.option("-q", "--quiet", is_flag=True, help="No progress bars.")(func)


class RichProgress:
    """Renders :class:`mlgate.store.Progress` tasks as Rich bars on stderr."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)

    def task(
        self, description: str, total: int | None, unit: str = "files"
    ) -> AbstractContextManager[Callable[[int], None]]:
        return self._task(description, total, unit)

    @contextlib.contextmanager
    def _task(
        self, description: str, total: int | None, unit: str
    ) -> Iterator[Callable[[int], None]]:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        counter = (
            (DownloadColumn(), TransferSpeedColumn())
            if unit == "bytes"
            else (MofNCompleteColumn(),)
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            *counter,
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        ) as bar:
            task_id = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task_id, n)


def progress_for(quiet: bool) -> Progress:
    """Progress bars unless ``quiet`` or stderr is not a terminal."""
    import sys

    if quiet or not sys.stderr.isatty():
        return NO_PROGRESS
    return RichProgress()


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
