"""Choosing the executor from mlgate.yaml's `executor:` or the `--executor` option."""

from __future__ import annotations

from collections.abc import Mapping

from mlgate._errors import ConfigError
from mlgate.config import ExecutorConfig, RemoteConfig
from mlgate.execute._dask import DaskExecutor
from mlgate.execute._job import Executor
from mlgate.execute._local import LocalExecutor
from mlgate.store import Workspace


def parse_executor(text: str) -> str | ExecutorConfig:
    """``local``, or a Dask scheduler address such as ``tcp://host:8786``.

    Raises:
        ConfigError: anything else.
    """
    if text == "local":
        return "local"
    if "://" in text:
        return ExecutorConfig(dask=text)
    raise ConfigError(
        f"unknown executor {text!r}; use `local` or a Dask scheduler address such as "
        "tcp://host:8786"
    )


def open_executor(
    spec: str | ExecutorConfig,
    ws: Workspace,
    remote: RemoteConfig | None,
    environ: Mapping[str, str] | None = None,
) -> Executor:
    """The executor ``spec`` names (``local`` or an :class:`ExecutorConfig`).

    Raises:
        ExecutorError: a Dask scheduler cannot be reached, or no remote is configured.
    """
    if isinstance(spec, ExecutorConfig):
        return DaskExecutor(spec.dask, ws, remote, connect_timeout=spec.connect_timeout)
    return LocalExecutor(ws.root, environ)
