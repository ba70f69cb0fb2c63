"""How long operations report progress without printing anything themselves."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """A sink for progress. The CLI renders it with Rich; tests and libraries pass
    :data:`NO_PROGRESS`.

    ``task`` opens one bar and yields a function to call with the amount done since
    the last call. It may be called from one thread only.
    """

    def task(
        self, description: str, total: int | None, unit: str = "files"
    ) -> AbstractContextManager[Advance]: ...


class _NoProgress:
    def task(
        self, description: str, total: int | None, unit: str = "files"
    ) -> AbstractContextManager[Advance]:
        return _noop()


@contextlib.contextmanager
def _noop() -> Iterator[Advance]:
    yield lambda _n: None


NO_PROGRESS: Progress = _NoProgress()
