"""Planning: for each stage, run, restore or skip, and why. Hashes only what the stat
cache does not already know."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from mlgate._errors import PipelineError
from mlgate.config import Stage
from mlgate.pipeline._graph import Pipeline
from mlgate.pipeline._key import stage_key
from mlgate.pipeline._params import param_files, read_params
from mlgate.pipeline._records import StageLock, read_cache, read_lock
from mlgate.store import Digest, Workspace

Action = Literal["run", "restore", "skip"]


@dataclass(frozen=True)
class StagePlan:
    """What will happen to one stage.

    Attributes:
        stage: Its name.
        action: ``run``, ``restore`` (outputs from the cache) or ``skip`` (up to date).
        reason: Why, in words: which dependency, parameter or command changed.
        key: The cache key; None when an upstream stage runs first and decides it.
    """

    stage: str
    action: Action
    reason: str
    key: str | None = None
    deps: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    env: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class StageInputs:
    """What a stage's result depends on now, and the key they hash to."""

    deps: dict[str, str]
    params: dict[str, object]
    env: dict[str, str | None]
    key: str


class _Unpredictable(Exception):
    """A dependency lies inside an output that a restore is about to replace."""


def stage_inputs(
    ws: Workspace,
    pipeline: Pipeline,
    name: str,
    environ: Mapping[str, str],
    upcoming: Mapping[str, str] | None = None,
) -> StageInputs:
    """The dependency digests, parameters and environment of a stage, and its key.

    Args:
        upcoming: Output path -> digest that upstream restores will put in place; a
            dependency on exactly such a path takes that digest.

    Raises:
        PipelineError: a dependency is missing; the message names the stage and the fix.
    """
    stage = pipeline.stages[name]
    deps: dict[str, str] = {}
    for dep in stage.deps:
        path = dep.rstrip("/")
        if upcoming:
            if path in upcoming:
                deps[dep] = upcoming[path]
                continue
            if any(path.startswith(p + "/") or p.startswith(path + "/") for p in upcoming):
                raise _Unpredictable(dep)
        digest = ws.snapshot(path).digest
        if digest is None:
            raise PipelineError(
                f"stage '{name}' depends on '{dep}', which does not exist; create it, "
                f"`mlgate pull` it, or fix `deps` in mlgate.yaml"
            )
        deps[dep] = digest
    if upcoming and any(f in upcoming for f in param_files(stage)):
        raise _Unpredictable(name)
    params = read_params(ws.root, name, stage)
    env = {var: environ.get(var) for var in stage.env}
    key = stage_key(cmd=stage.command, deps=deps, params=params, env=env, outs=stage.produced)
    return StageInputs(deps, params, env, key)


def plan(
    ws: Workspace,
    pipeline: Pipeline,
    lock_dir: str,
    names: Iterable[str] = (),
    *,
    downstream: bool = False,
    force: bool = False,
    environ: Mapping[str, str] | None = None,
) -> list[StagePlan]:
    """Decide, for each selected stage in order, whether it runs, is restored or skipped."""
    environ = os.environ if environ is None else environ
    running: set[str] = set()  # stages whose commands run: their outputs are unknown yet
    upcoming: dict[str, str] = {}  # outputs that restores will put in place, by digest
    plans: list[StagePlan] = []
    for name in pipeline.select(names, downstream=downstream):
        stage = pipeline.stages[name]
        upstream = sorted(pipeline.upstream[name] & running)
        try:
            if upstream:
                raise _Unpredictable(upstream[0])
            inputs = stage_inputs(ws, pipeline, name, environ, upcoming)
        except _Unpredictable:
            # Its inputs change first; the key is decided then (a run-cache hit restores).
            first = upstream[0] if upstream else sorted(pipeline.upstream[name])[0]
            plans.append(StagePlan(name, "run", f"upstream stage '{first}' changes first"))
            running.add(name)
            continue
        lock = read_lock(lock_dir, name)
        action, reason = _decide(ws, lock, inputs, stage, force=force)
        key = inputs.key
        plans.append(StagePlan(name, action, reason, key, inputs.deps, inputs.params, inputs.env))
        if action == "run":
            running.add(name)
        elif action == "restore":
            entry = read_cache(ws.state_dir, key)
            outs = (
                lock.outs
                if lock is not None and lock.key == key
                else (entry.outs if entry is not None else [])
            )
            upcoming.update({o.path: o.digest for o in outs})
    return plans


def _decide(
    ws: Workspace, lock: StageLock | None, inputs: StageInputs, stage: Stage, *, force: bool
) -> tuple[Action, str]:
    key = inputs.key
    if force:
        return "run", "--force"
    if stage.always_run:
        return "run", "always_run is set"
    if lock is not None and lock.key == key:
        changed = [o.path for o in lock.outs if ws.snapshot(o.path).digest != o.digest]
        if not changed:
            return "skip", "up to date"
        if all(ws.cache.has(Digest(o.digest)) for o in lock.outs):
            return "restore", f"output '{changed[0]}' was modified or deleted"
        return "run", f"output '{changed[0]}' changed and its cached copy is gone"
    entry = read_cache(ws.state_dir, key)
    if entry is not None and all(ws.cache.has(Digest(o.digest)) for o in entry.outs):
        return "restore", "these exact inputs ran before (run cache)"
    return "run", _why(lock, inputs, stage)


def _why(lock: StageLock | None, inputs: StageInputs, stage: Stage) -> str:
    deps, params, env = inputs.deps, inputs.params, inputs.env
    if lock is None:
        return "never run"
    if lock.cmd != stage.command:
        return "the command changed"
    for path in sorted(set(deps) | set(lock.deps)):
        if path not in lock.deps:
            return f"new dependency '{path}'"
        if path not in deps:
            return f"dependency '{path}' was removed"
        if deps[path] != lock.deps[path]:
            return f"dependency '{path}' changed"
    for param in sorted(set(params) | set(lock.params)):
        if params.get(param) != lock.params.get(param):
            return (
                f"parameter '{param}' changed from {lock.params.get(param)!r} to "
                f"{params.get(param)!r}"
            )
    for var in sorted(set(env) | set(lock.env)):
        if env.get(var) != lock.env.get(var):
            return f"environment variable {var} changed"
    if sorted(o.path for o in lock.outs) != sorted(stage.produced):
        return "the outputs changed"
    return f"the key changed ({lock.key[:8]} -> {inputs.key[:8]})"
