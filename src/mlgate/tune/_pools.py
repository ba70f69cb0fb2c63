"""Where trials run: processes of this machine, or a Dask cluster whose workers fetch
the objective's inputs from the remote store by digest."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from mlgate.config import RemoteConfig
from mlgate.store import Pointer
from mlgate.tune._trial import Objective, Outcome, run_trial


class TrialPool(Protocol):
    """Runs trials; not thread-safe (the coordinator alone uses it)."""

    prunes: bool

    def submit(self, number: int, params: dict[str, Any]) -> None: ...

    def running(self) -> int: ...

    def wait(self) -> list[Outcome]:
        """Block until at least one trial ended; return how each ended."""
        ...

    def close(self) -> None: ...


class LocalPool:
    """Trials in spawned processes, ``jobs`` at a time; intermediate values reach the
    coordinator's pruner through a manager queue."""

    prunes = True

    def __init__(
        self, root: str, objective: Objective, jobs: int, reports: Any, decisions: Any
    ) -> None:
        self.root, self.objective, self.jobs = root, objective, max(1, jobs)
        self.reports, self.decisions = reports, decisions
        self.context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(self.jobs, mp_context=self.context)
        self.futures: dict[Future[Outcome], int] = {}

    def submit(self, number: int, params: dict[str, Any]) -> None:
        future = self.pool.submit(
            run_trial, self.root, self.objective, number, params, self.reports, self.decisions
        )
        self.futures[future] = number

    def running(self) -> int:
        return len(self.futures)

    def wait(self) -> list[Outcome]:
        done, _ = wait(self.futures, return_when=FIRST_COMPLETED)
        out: list[Outcome] = []
        broken = False
        for future in done:
            number = self.futures.pop(future)
            try:
                out.append(future.result())
            except BrokenProcessPool:
                out.append(
                    Outcome(number, "fail", message="its process died (killed by a signal?)")
                )
                broken = True
        if broken:  # every process of the pool is gone: fail what ran, start afresh
            for future, number in list(self.futures.items()):
                out.append(Outcome(number, "fail", message="its process pool died"))
                self.futures.pop(future)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=self.context)
        return out

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """Trials as Dask tasks. Each worker fetches the stage's declared inputs (the
    objective's module among them) by digest, once, and imports the objective from
    there; it never relies on a shared disk. Intermediate values are not sent back, so
    trials on Dask are not pruned."""

    prunes = False

    def __init__(
        self,
        client: Any,
        inputs: tuple[Pointer, ...],
        remote: RemoteConfig,
        objective: Objective,
        jobs: int,
    ) -> None:
        self.client, self.inputs, self.remote, self.objective = client, inputs, remote, objective
        self.futures: dict[Any, int] = {}
        self.jobs = max(1, jobs)

    def submit(self, number: int, params: dict[str, Any]) -> None:
        future = self.client.submit(
            trial_on_worker,
            self.inputs,
            self.remote,
            self.objective,
            number,
            params,
            pure=False,
            key=f"mlgate-trial-{number}-{id(self)}",
        )
        self.futures[future] = number

    def running(self) -> int:
        return len(self.futures)

    def wait(self) -> list[Outcome]:
        import time

        while not any(f.done() for f in self.futures):  # this client is not the default
            time.sleep(0.02)
        done = [f for f in self.futures if f.done()]
        out: list[Outcome] = []
        for future in done:
            number = self.futures.pop(future)
            try:
                out.append(future.result())
            except Exception as exc:  # a worker died, or the task could not run
                out.append(Outcome(number, "fail", message=f"on Dask: {type(exc).__name__}: {exc}"))
        return out

    def close(self) -> None:
        for future in self.futures:
            future.cancel()
        self.client.close()


def trial_on_worker(
    inputs: tuple[Pointer, ...],
    remote: RemoteConfig,
    objective: Objective,
    number: int,
    params: dict[str, Any],
) -> Outcome:
    """A trial on a Dask worker: its inputs by digest, then the objective."""
    from mlgate.execute._dask import materialise_on_worker

    root = materialise_on_worker(inputs, remote)
    return run_trial(root, objective, number, params, None, None)
