"""Pipelines: the stage DAG, its cache keys and the parameters stages read."""

from __future__ import annotations

from mlgate.pipeline._graph import Pipeline
from mlgate.pipeline._key import KEY_FORMAT, stage_key
from mlgate.pipeline._params import read_params

__all__ = ["KEY_FORMAT", "Pipeline", "read_params", "stage_key"]
