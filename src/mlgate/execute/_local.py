"""The default executor: stage commands run as processes on this machine, inside the
repository."""

from __future__ import annotations

import os
from collections.abc import Mapping

from mlgate.execute._command import run_command
from mlgate.execute._job import OnOutput, StageJob
from mlgate.store import Pointer


class LocalExecutor:
    """Runs each stage as a child process in the repository; the pipeline's ``-j``
    decides how many run at once. Thread-safe: each call owns its process."""

    shares_workspace = True

    def __init__(self, root: str, environ: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.environ = dict(os.environ if environ is None else environ)

    def run(self, job: StageJob, on_output: OnOutput) -> list[Pointer] | None:
        run_command(job, self.root, self.environ, on_output)
        return None

    def close(self) -> None:
        pass
