"""Stages on a Dask cluster. Workers share no disk with the repository: a stage's inputs
travel to the worker through the remote store by digest, and its outputs come back the
same way."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from typing import Any

from mlgate._errors import ExecutorError, MlgateError
from mlgate.config import RemoteConfig
from mlgate.execute._command import collect_outputs, run_command
from mlgate.execute._job import OnOutput, StageJob
from mlgate.store import Pointer, Workspace

_TOPIC = "mlgate-output-"


class DaskExecutor:
    """Sends each stage to a Dask scheduler as one task.

    The coordinator pushes the stage's inputs to the remote, the worker fetches them into
    a scratch directory, runs the command there, pushes its outputs and returns their
    pointers; the coordinator then fetches those objects into the local cache. Output
    lines stream back live through the scheduler's event log.

    Thread-safe: Runner threads call :meth:`run` at once; transfers through the local
    cache take turns, the commands themselves run in parallel on the workers.
    """

    shares_workspace = False

    def __init__(
        self,
        address: str,
        ws: Workspace,
        remote: RemoteConfig | None,
        *,
        connect_timeout: float = 10.0,
    ) -> None:
        """Connect to the scheduler at ``address``.

        Raises:
            ExecutorError: no remote is configured, or the scheduler cannot be reached.
        """
        if remote is None:
            raise ExecutorError(
                f"the Dask executor ({address}) needs a remote store that its workers can "
                "reach, because they share no disk with this repository; add `remote: "
                "s3://bucket/prefix` to mlgate.yaml (or set MLGATE_REMOTE)"
            )
        from mlgate.store import open_remote

        self.address = address
        self.ws = ws
        self.remote_config = remote
        self.remote = open_remote(remote)
        self._transfers = threading.Lock()
        self._handlers: dict[str, OnOutput] = {}
        self._topic = _TOPIC + uuid.uuid4().hex
        self.client = connect(address, connect_timeout)
        self.client.subscribe_topic(self._topic, self._on_event)

    def _on_event(self, event: tuple[float, dict[str, str]]) -> None:
        _, msg = event
        handler = self._handlers.get(msg["stage"])
        if handler is not None:
            handler(msg["stage"], msg["line"])

    def run(self, job: StageJob, on_output: OnOutput) -> list[Pointer] | None:
        from mlgate.store import fetch_pointers, push_pointers

        with self._transfers:
            push_pointers(self.ws, self.remote, job.inputs)
        self._handlers[job.stage] = on_output
        try:
            future = self.client.submit(
                run_on_worker,
                job,
                self.remote_config,
                self._topic,
                key=f"mlgate-{job.stage}-{uuid.uuid4().hex}",
                pure=False,
            )
            outs: list[Pointer] = _result(future, job, self.address)
        finally:
            self._handlers.pop(job.stage, None)
        with self._transfers:
            fetch_pointers(self.ws, self.remote, outs)
        return outs

    def close(self) -> None:
        self.client.close()


def connect(address: str, timeout: float) -> Any:
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {address} ({exc}); start it (`dask "
            "scheduler`, and `dask worker ADDRESS` on each machine), fix `executor: {dask: "
            "...}` in mlgate.yaml, or run locally with `--executor local`"
        ) from None


def _result(future: Any, job: StageJob, address: str) -> list[Pointer]:
    from distributed import KilledWorker

    try:
        outs: list[Pointer] = future.result()
    except MlgateError:
        raise
    except KilledWorker:
        raise ExecutorError(
            f"stage '{job.stage}': the Dask workers running it died repeatedly (out of "
            f"memory, or killed); its lock record was not changed. Check the workers of "
            f"{address} and run again"
        ) from None
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"stage '{job.stage}': lost the Dask scheduler at {address} ({exc}); its lock "
            "record was not changed. Run again once the scheduler is back"
        ) from None
    return outs


def run_on_worker(job: StageJob, remote_config: RemoteConfig, topic: str) -> list[Pointer]:
    """The task a Dask worker runs: materialise the inputs in a fresh scratch directory,
    run the command, store and push the outputs, and return their pointers.

    Objects fetched once stay in the worker's own cache for later stages.
    """
    from distributed import get_worker

    from mlgate.store import fetch_pointers, open_remote, push_pointers, restore

    worker = get_worker()
    base = os.path.join(worker.local_directory, "mlgate")
    os.makedirs(os.path.join(base, "scratch"), exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f"{job.stage}-", dir=os.path.join(base, "scratch"))
    root = os.path.join(scratch, "work")
    os.makedirs(os.path.join(root, job.wdir), exist_ok=True)

    def forward(stage: str, line: str) -> None:
        worker.log_event(topic, {"stage": stage, "line": line})

    ws = worker_workspace(root, base, scratch)
    try:
        remote = open_remote(remote_config)
        fetch_pointers(ws, remote, job.inputs)
        restore(ws, job.inputs, force=True)
        run_command(job, root, os.environ, forward)
        outs = collect_outputs(ws, job)
        push_pointers(ws, remote, outs)
        return outs
    finally:
        ws.close()
        shutil.rmtree(scratch, ignore_errors=True)


def worker_workspace(root: str, base: str, scratch: str) -> Workspace:
    """A workspace at ``root`` on a worker, on the worker's own object cache."""
    return Workspace(
        root,
        cache_dir=os.path.join(base, "cache"),
        state_dir=os.path.join(scratch, "state"),
        lock_dir=os.path.join(scratch, "lock"),
        link="copy",
    )


def materialise_on_worker(inputs: tuple[Pointer, ...], remote_config: RemoteConfig) -> str:
    """The inputs, fetched by digest into a directory of this worker that depends only on
    their digests (so later tasks with the same inputs reuse it); returns its path."""
    import hashlib

    from distributed import get_worker

    from mlgate.store import fetch_pointers, open_remote, restore

    base = os.path.join(get_worker().local_directory, "mlgate")
    tag = hashlib.sha256("".join(sorted(p.path + p.digest for p in inputs)).encode()).hexdigest()
    root = os.path.join(base, "inputs", tag[:16])
    done = os.path.join(root, ".mlgate-complete")
    if os.path.exists(done):
        return root
    os.makedirs(base, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="inputs-", dir=base)
    ws = worker_workspace(os.path.join(scratch, "work"), base, scratch)
    try:
        os.makedirs(ws.root, exist_ok=True)
        fetch_pointers(ws, open_remote(remote_config), inputs)
        restore(ws, inputs, force=True)
        with open(os.path.join(ws.root, ".mlgate-complete"), "w"):
            pass
        os.makedirs(os.path.dirname(root), exist_ok=True)
        try:
            os.rename(ws.root, root)  # atomic: a half-fetched directory is never used
        except OSError:
            pass  # another task of this worker got there first
    finally:
        ws.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return root
