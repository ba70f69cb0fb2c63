"""The model registry: versions with lineage, aliases with an audit history.

Backed by SQLAlchemy 2 on SQLite (default, WAL) or PostgreSQL; the schema is migrated
by Alembic (`mlgate registry upgrade`), and a registry older than the code refuses to
run. Everything returned is a frozen record.
"""

from __future__ import annotations

from mlgate.registry._records import (
    AliasEvent,
    DeployEvent,
    Lineage,
    Model,
    ModelVersion,
    ReplicaStats,
    Rollout,
    Run,
    RunIO,
    StoredGateReport,
)
from mlgate.registry._registry import RESERVED_ALIASES, Registry, default_actor
from mlgate.registry._schema import SCHEMA_REVISION
from mlgate.registry._tracking import ActiveRun, active_run, log_metrics, log_params, start_run

__all__ = [
    "ActiveRun",
    "RESERVED_ALIASES",
    "SCHEMA_REVISION",
    "AliasEvent",
    "DeployEvent",
    "Lineage",
    "Model",
    "ModelVersion",
    "Registry",
    "ReplicaStats",
    "Rollout",
    "Run",
    "RunIO",
    "StoredGateReport",
    "active_run",
    "default_actor",
    "log_metrics",
    "log_params",
    "start_run",
]
