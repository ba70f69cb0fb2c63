"""Running a plan: independent stages in parallel, outputs into the store, lock records
replaced only after a stage succeeded."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mlgate._errors import MlgateError
from mlgate.config import ensure_gitignore_entry
from mlgate.execute import Executor, LocalExecutor, OnOutput, StageJob, collect_outputs
from mlgate.pipeline._graph import Pipeline
from mlgate.pipeline._metrics import read_metrics
from mlgate.pipeline._params import param_files
from mlgate.pipeline._plan import StageInputs, StagePlan, stage_inputs
from mlgate.pipeline._records import (
    CacheEntry,
    StageLock,
    read_cache,
    read_lock,
    write_cache,
    write_lock,
)
from mlgate.store import Pointer, Workspace, restore

if TYPE_CHECKING:
    from mlgate.registry import Registry

Status = Literal["skipped", "restored", "succeeded", "failed", "not-run"]


@dataclass(frozen=True)
class StageResult:
    """What happened to one stage.

    Attributes:
        status: ``skipped``, ``restored``, ``succeeded``, ``failed`` or ``not-run``
            (an upstream stage failed, or the run stopped at the first failure).
        detail: The reason, or the error's message.
    """

    stage: str
    status: Status
    detail: str
    seconds: float = 0.0


class Runner:
    """Executes a plan. Stage commands run in parallel; store and lock writes take turns
    (the workspace and its stat cache are used by one thread at a time)."""

    def __init__(
        self,
        ws: Workspace,
        pipeline: Pipeline,
        lock_dir: str,
        *,
        on_output: OnOutput = lambda _stage, _line: None,
        environ: Mapping[str, str] | None = None,
        registry: Registry | None = None,
        run_id: int | None = None,
        executor: Executor | None = None,
    ) -> None:
        """``registry`` and ``run_id``, when given, receive each stage's input and output
        digests, parameters and metrics; stage commands log to the same run through
        ``MLGATE_RUN_ID``. ``executor`` runs the commands (by default, on this machine)."""
        self.ws = ws
        self.pipeline = pipeline
        self.lock_dir = lock_dir
        self.on_output = on_output
        self.environ = dict(os.environ if environ is None else environ)
        self.registry = registry
        self.run_id = run_id
        self._run_env: dict[str, str] = {}
        if registry is not None and run_id is not None:
            self._run_env = {"MLGATE_RUN_ID": str(run_id), "MLGATE_REGISTRY": registry.url}
        self.executor = executor or LocalExecutor(ws.root, self.environ)
        # A tune stage's coordinator runs here, next to the study's journal; it sends the
        # trials to the cluster itself (MLGATE_EXECUTOR names the scheduler).
        self._local = LocalExecutor(ws.root, self.environ)
        address = getattr(self.executor, "address", None)
        self._tune_env = {"MLGATE_EXECUTOR": address} if isinstance(address, str) else {}
        self._store_lock = threading.Lock()

    def execute(
        self, plans: Sequence[StagePlan], *, jobs: int = 1, keep_going: bool = False
    ) -> list[StageResult]:
        """Run ``plans``; a stage starts once every stage it needs has finished well."""
        from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

        pending = {p.stage: p for p in plans}
        results: dict[str, StageResult] = {}
        stop = False
        jobs = max(1, jobs)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            running: dict[Future[StageResult], str] = {}
            while pending or running:
                for name in list(pending):
                    needs = self.pipeline.upstream[name] & ({p.stage for p in plans})
                    bad = [
                        u
                        for u in needs
                        if u in results and results[u].status in ("failed", "not-run")
                    ]
                    if bad or stop:
                        why = (
                            f"upstream stage '{bad[0]}' did not finish"
                            if bad
                            else "stopped after a failure (use --keep-going to continue)"
                        )
                        results[name] = StageResult(name, "not-run", why)
                        del pending[name]
                    elif all(u in results for u in needs) and len(running) < jobs:
                        # Only `jobs` at a time, so a failure stops what has not started.
                        running[pool.submit(self._stage, pending.pop(name))] = name
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    results[running.pop(future)] = result
                    if result.status == "failed" and not keep_going:
                        stop = True
        return [results[p.stage] for p in plans]

    # -- one stage ---------------------------------------------------------------------
    def _stage(self, plan: StagePlan) -> StageResult:
        started = time.monotonic()
        try:
            status, detail = self._do(plan)
        except MlgateError as exc:
            status, detail = "failed", str(exc)
        return StageResult(plan.stage, status, detail, time.monotonic() - started)

    def _do(self, plan: StagePlan) -> tuple[Status, str]:
        if plan.action == "skip":
            return "skipped", plan.reason
        name = plan.stage
        if plan.action == "restore":
            return self._restore(plan, plan.reason)
        with self._store_lock:
            inputs = stage_inputs(self.ws, self.pipeline, name, self.environ)
            deps, params, env, key = inputs.deps, inputs.params, inputs.env, inputs.key
            cached = plan.key is None and read_cache(self.ws.state_dir, key) is not None
            if not cached:
                self._protect_outputs(name)
                job = self._job(name, inputs)
        if cached:  # upstream outputs changed into something a cached run already saw
            again = StagePlan(name, "restore", "", key, deps, params, env)
            return self._restore(again, "its new inputs ran before (run cache)")
        produced = self._executor(name).run(job, self.on_output)
        with self._store_lock:
            if produced is None:
                outs = collect_outputs(self.ws, job)
            else:
                restore(self.ws, produced)
                outs = produced
            write_cache(self.ws.state_dir, CacheEntry(key=key, outs=outs, run_id=self.run_id))
            self._record(name, key, deps, params, env, outs)
        return "succeeded", plan.reason

    def _restore(self, plan: StagePlan, reason: str) -> tuple[Status, str]:
        assert plan.key is not None
        with self._store_lock:
            entry = read_cache(self.ws.state_dir, plan.key)
            lock = read_lock(self.lock_dir, plan.stage)
            outs = entry.outs if entry is not None else lock.outs if lock is not None else []
            restore(self.ws, outs)
            self._record(plan.stage, plan.key, plan.deps, plan.params, plan.env, outs)
        return "restored", reason

    def _record(
        self,
        name: str,
        key: str,
        deps: Mapping[str, str],
        params: Mapping[str, object],
        env: Mapping[str, str | None],
        outs: list[Pointer],
    ) -> None:
        stage = self.pipeline.stages[name]
        write_lock(
            self.lock_dir,
            StageLock(
                stage=name,
                key=key,
                cmd=stage.command,
                deps=dict(deps),
                params=dict(params),
                env=dict(env),
                outs=outs,
            ),
        )
        if self.registry is not None and self.run_id is not None:
            self.registry.record_io(self.run_id, name, "dep", deps)
            self.registry.record_io(self.run_id, name, "out", {o.path: o.digest for o in outs})
            if params:
                self.registry.log_params(self.run_id, params)
            metrics = read_metrics(self.ws.root, name, stage.metrics)
            if metrics:
                self.registry.log_metrics(self.run_id, metrics)
        for out in stage.outs:
            parent, _, leaf = out.rstrip("/").rpartition("/")
            ensure_gitignore_entry(self.ws.abspath(parent) if parent else self.ws.root, f"/{leaf}")

    def _protect_outputs(self, name: str) -> None:
        """Store the current outputs (so nothing is lost), then remove them, so a stale
        file cannot pass for a fresh one."""
        for out in self.pipeline.stages[name].produced:
            path = self.ws.abspath(out.rstrip("/"))
            if os.path.lexists(path):
                self.ws.put_path(out.rstrip("/"), cwd=self.ws.root)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)

    def _executor(self, name: str) -> Executor:
        return self._local if self.pipeline.stages[name].tune is not None else self.executor

    def _job(self, name: str, inputs: StageInputs) -> StageJob:
        """What the executor needs; for one that does not share the workspace, every
        dependency and parameter file goes into the cache so that it can travel."""
        stage = self.pipeline.stages[name]
        env = {k: v for k, v in inputs.env.items() if v is not None}
        pointers: tuple[Pointer, ...] = ()
        executor = self._executor(name)
        if executor.shares_workspace or not self._run_env.get("MLGATE_REGISTRY", "").startswith(
            "sqlite"
        ):  # a remote worker cannot reach this machine's SQLite file
            env |= self._run_env
        if stage.tune is not None:
            env |= self._tune_env
        if not executor.shares_workspace:
            files = [*(d.rstrip("/") for d in stage.deps), *param_files(stage)]
            pointers = tuple(self.ws.put_path(f, cwd=self.ws.root) for f in dict.fromkeys(files))
        cmd = stage.cmd
        if stage.tune is not None:  # the coordinator runs as the stage's command
            cmd = f"{shlex.quote(sys.executable)} -m mlgate tune run {shlex.quote(name)}"
        return StageJob(
            stage=name,
            cmd=cmd,
            wdir=stage.wdir,
            env=env,
            inputs=pointers,
            outputs=tuple(stage.produced),
            metrics=tuple(stage.metrics),
        )
