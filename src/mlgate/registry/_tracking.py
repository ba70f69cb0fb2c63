"""Logging from training code: `mlgate.start_run`, `mlgate.log_metrics`, `mlgate.log_params`.

Values are buffered and written in batches, so a training loop that logs every step
costs one insert per thousands of values rather than one transaction per value. The
active run is per context (a ContextVar): the one opened by ``with start_run()``, or,
inside a pipeline stage, the run `mlgate run` names in ``MLGATE_RUN_ID``.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from contextvars import ContextVar, Token
from types import TracebackType

from mlgate._errors import RegistryError
from mlgate.registry._registry import Registry
from mlgate.registry._runs import MetricRow, RunStatus

_active: ContextVar[ActiveRun | None] = ContextVar("mlgate_active_run", default=None)

#: Buffered metric values that trigger a write.
BATCH = 5000


class ActiveRun:
    """A run being logged to. Use it as a context manager to end it."""

    def __init__(self, registry: Registry, run_id: int, *, owns_run: bool) -> None:
        self.registry = registry
        self.run_id = run_id
        self._owns_run = owns_run
        self._buffer: list[MetricRow] = []
        self._token: Token[ActiveRun | None] | None = None

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        self._buffer.append((key, value, step))
        if len(self._buffer) >= BATCH:
            self.flush()

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        self._buffer.extend((k, v, step) for k, v in metrics.items())
        if len(self._buffer) >= BATCH:
            self.flush()

    def log_params(self, params: Mapping[str, object]) -> None:
        self.registry.log_params(self.run_id, params)

    def flush(self) -> None:
        """Write the buffered metric values in one batch."""
        rows, self._buffer = self._buffer, []
        self.registry.log_metrics(self.run_id, rows)

    def end(self, status: RunStatus = "finished") -> None:
        """Flush, and close the run if this object opened it."""
        try:
            self.flush()
        finally:
            if self._owns_run:
                self.registry.finish_run(self.run_id, status)
                self.registry.close()

    def __enter__(self) -> ActiveRun:
        self._token = _active.set(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _active.reset(self._token)
        killed = kind is not None and issubclass(kind, KeyboardInterrupt)
        self.end("killed" if killed else "failed" if kind is not None else "finished")


def start_run(
    name: str = "script",
    *,
    params: Mapping[str, object] | None = None,
    url: str | None = None,
    root: str | None = None,
) -> ActiveRun:
    """Open a run in the registry of the repository around the current directory.

    Args:
        name: What the run is (shown by `mlgate runs`).
        params: Parameters to record at once.
        url: Registry URL (default: MLGATE_REGISTRY, else the repository's mlgate.yaml).
        root: Repository root for a relative SQLite URL and for the git commit.
    """
    from mlgate._git import git_state

    if url is None:
        url = os.environ.get("MLGATE_REGISTRY")
    if url is None or root is None:
        from mlgate.config import load_project

        project = load_project(root)
        url = url or project.config.registry
        root = root or project.root
    commit, dirty = git_state(root)
    registry = Registry(url, root=root)
    run_id = registry.start_run(name, params=params, git_commit=commit, git_dirty=dirty)
    return ActiveRun(registry, run_id, owns_run=True)


def active_run() -> ActiveRun:
    """The run to log to now.

    Raises:
        RegistryError: there is none.
    """
    run = _active.get()
    if run is not None:
        return run
    run_id = os.environ.get("MLGATE_RUN_ID")
    url = os.environ.get("MLGATE_REGISTRY")
    if run_id is None or url is None or not run_id.isdigit():
        raise RegistryError(
            "no active run to log to: wrap the training code in `with mlgate.start_run():`, "
            "or run it as a pipeline stage (`mlgate run` sets MLGATE_RUN_ID)"
        )
    run = ActiveRun(Registry(url), int(run_id), owns_run=False)
    _active.set(run)
    atexit.register(run.flush)  # the stage's process ends; its values must not be lost
    return run


def log_metrics(metrics: Mapping[str, float], step: int = 0) -> None:
    """Log metric values at ``step`` to the active run (buffered, written in batches)."""
    active_run().log_metrics(metrics, step)


def log_params(params: Mapping[str, object]) -> None:
    """Record parameters of the active run."""
    active_run().log_params(params)
