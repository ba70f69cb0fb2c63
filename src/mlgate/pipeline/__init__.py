"""Pipelines: the stage DAG, cache keys, planning and running, lock records, run cache."""

from __future__ import annotations

from mlgate.pipeline._graph import Pipeline
from mlgate.pipeline._key import KEY_FORMAT, stage_key
from mlgate.pipeline._params import read_params
from mlgate.pipeline._plan import StagePlan, plan
from mlgate.pipeline._records import StageLock, read_lock
from mlgate.pipeline._run import Runner, StageResult

__all__ = [
    "KEY_FORMAT",
    "Pipeline",
    "Runner",
    "StageLock",
    "StagePlan",
    "StageResult",
    "plan",
    "read_lock",
    "read_params",
    "stage_key",
]
