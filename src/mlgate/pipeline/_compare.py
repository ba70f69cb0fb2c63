"""Comparing parameters and metrics with any git revision (`mlgate params/metrics diff`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from mlgate._errors import PipelineError
from mlgate._git import run_git
from mlgate.config import LOCK_DIR
from mlgate.pipeline._graph import Pipeline
from mlgate.pipeline._metrics import _flatten, read_metrics
from mlgate.pipeline._params import read_params
from mlgate.pipeline._records import StageLock


@dataclass(frozen=True)
class Change:
    """One value then and now (None where absent)."""

    name: str
    old: object
    new: object

    @property
    def delta(self) -> float | None:
        if (
            isinstance(self.old, int | float)
            and isinstance(self.new, int | float)
            and not (isinstance(self.old, bool) or isinstance(self.new, bool))
        ):
            return float(self.new) - float(self.old)
        return None


def _show(root: str, rev: str, path: str) -> bytes | None:
    done = run_git(root, "show", f"{rev}:{path}")
    if done is None:
        raise PipelineError("comparing with a revision needs git on PATH; install git")
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace")
        if (
            "invalid object name" in message
            or "unknown revision" in message
            or ("bad revision" in message)
        ):
            raise PipelineError(f"'{rev}' is not a git revision here; use a commit, branch or tag")
        return None  # the file does not exist at that revision
    return done.stdout


def params_diff(root: str, pipeline: Pipeline, rev: str) -> list[Change]:
    """Parameters each stage ran with at ``rev`` (its lock record) against now."""
    changes: list[Change] = []
    for name, stage in pipeline.stages.items():
        now = read_params(root, name, stage)
        raw = _show(root, rev, f"{LOCK_DIR}/stages/{name}.json")
        then: Mapping[str, object] = {}
        if raw is not None:
            try:
                then = msgspec.json.decode(raw, type=StageLock).params
            except msgspec.DecodeError:
                then = {}
        for key in sorted(set(now) | set(then)):
            if now.get(key) != then.get(key):
                changes.append(Change(f"{name}: {key}", then.get(key), now.get(key)))
    return changes


def metrics_now(root: str, pipeline: Pipeline) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, stage in pipeline.stages.items():
        for file in stage.metrics:
            try:
                values.update(
                    {f"{file}:{k}": v for k, v in read_metrics(root, name, [file]).items()}
                )
            except PipelineError:
                continue  # not produced yet: shown as absent
    return values


def metrics_diff(root: str, pipeline: Pipeline, rev: str) -> list[Change]:
    """Every metric in the stages' metrics files at ``rev`` and now."""
    now = metrics_now(root, pipeline)
    then: dict[str, float] = {}
    for stage in pipeline.stages.values():
        for file in stage.metrics:
            raw = _show(root, rev, file)
            if raw is None:
                continue
            try:
                flat: dict[str, float] = {}
                _flatten(json.loads(raw), "", flat)
            except ValueError:
                continue
            then.update({f"{file}:{k}": v for k, v in flat.items()})
    return [Change(k, then.get(k), now.get(k)) for k in sorted(set(now) | set(then))]
