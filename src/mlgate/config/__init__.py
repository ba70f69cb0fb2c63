"""mlgate.yaml: schema, loading with line-numbered errors, and `mlgate init`."""

from __future__ import annotations

from mlgate.config._gates import (
    DataChecks,
    DeployConfig,
    DriftCheck,
    EvaluationConfig,
    GatesConfig,
    LatencyGate,
    MetricGate,
    ModelConfig,
    NullCheck,
    SizeGate,
)
from mlgate.config._init import InitResult, ensure_gitignore_entry, init_project
from mlgate.config._load import (
    CONFIG_NAME,
    LOCK_DIR,
    STATE_DIR,
    Project,
    check_relative_path,
    find_root,
    load_config,
    load_project,
    parse_config,
)
from mlgate.config._schema import CacheConfig, Config, ExecutorConfig, RemoteConfig, Stage
from mlgate.config._tune import ParamSpec, TuneConfig

__all__ = [
    "CONFIG_NAME",
    "LOCK_DIR",
    "STATE_DIR",
    "CacheConfig",
    "DataChecks",
    "DeployConfig",
    "DriftCheck",
    "EvaluationConfig",
    "GatesConfig",
    "LatencyGate",
    "MetricGate",
    "ModelConfig",
    "NullCheck",
    "SizeGate",
    "Config",
    "InitResult",
    "Project",
    "ExecutorConfig",
    "RemoteConfig",
    "ParamSpec",
    "Stage",
    "TuneConfig",
    "check_relative_path",
    "ensure_gitignore_entry",
    "find_root",
    "init_project",
    "load_config",
    "load_project",
    "parse_config",
]
