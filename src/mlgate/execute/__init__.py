"""Where stage commands run: this machine (the default) or a Dask cluster.

A :class:`Executor` runs a :class:`StageJob`. :class:`LocalExecutor` runs it inside the
repository; :class:`DaskExecutor` runs it on a worker that gets its inputs from the
remote store by digest and puts its outputs back, never relying on a shared disk.
"""

from __future__ import annotations

from mlgate.execute._command import collect_outputs, run_command
from mlgate.execute._dask import DaskExecutor
from mlgate.execute._job import Executor, OnOutput, StageJob
from mlgate.execute._local import LocalExecutor
from mlgate.execute._open import open_executor, parse_executor

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "OnOutput",
    "StageJob",
    "collect_outputs",
    "open_executor",
    "parse_executor",
    "run_command",
]
