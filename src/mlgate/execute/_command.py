"""Running one stage command and collecting what it wrote: the same on every executor."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping

from mlgate._errors import PipelineError
from mlgate.execute._job import OnOutput, StageJob
from mlgate.store import Pointer, Workspace


def run_command(job: StageJob, root: str, environ: Mapping[str, str], on_output: OnOutput) -> None:
    """Run ``job.cmd`` in ``root``/``job.wdir`` and stream its output line by line.

    The parent directory of every declared output is created first.

    Raises:
        PipelineError: it could not start, exited non-zero or was killed by a signal.
    """
    cwd = os.path.join(root, job.wdir)
    env = {**environ, **job.env, "MLGATE_STAGE": job.stage}
    try:
        # The directory of each output exists, wherever the command runs.
        for out in job.outputs:
            os.makedirs(os.path.dirname(os.path.join(root, out.rstrip("/"))), exist_ok=True)
        proc = subprocess.Popen(
            job.cmd,
            shell=True,
            cwd=cwd,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=1,
            errors="replace",
        )
    except OSError as exc:
        raise PipelineError(f"stage '{job.stage}' could not start: {exc}") from None
    with proc:  # closes the pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            on_output(job.stage, line.rstrip("\n"))
        code = proc.wait()
    if code < 0:
        raise PipelineError(
            f"stage '{job.stage}' was killed by {signal.Signals(-code).name}; its outputs and "
            "lock record were not changed. Run it again"
        )
    if code != 0:
        raise PipelineError(
            f"stage '{job.stage}' failed: `{job.cmd}` exited with {code}; fix the command "
            "and run again (its lock record was not changed)"
        )


def collect_outputs(ws: Workspace, job: StageJob) -> list[Pointer]:
    """Put every output of ``job`` into ``ws``'s cache, in order.

    Raises:
        PipelineError: a declared output was not written.
    """
    missing = [out for out in job.outputs if not os.path.lexists(ws.abspath(out.rstrip("/")))]
    if missing:
        raise PipelineError(_not_written(job, missing[0]))
    return [ws.put_path(out.rstrip("/"), cwd=ws.root) for out in job.outputs]


def _not_written(job: StageJob, out: str) -> str:
    what, key = ("metrics file", "metrics") if out in job.metrics else ("output", "outs")
    return (
        f"stage '{job.stage}' declares {what} '{out}', which it did not write; fix the "
        f"command or `{key}` in mlgate.yaml. Its lock record was not changed"
    )
