"""The registry's tables, as SQLAlchemy 2 declarative models.

Only this package sees them: everything it returns is a frozen record from
:mod:`mlgate.registry._records`. Changing a table means a new Alembic migration in
``migrations/versions`` and a new :data:`SCHEMA_REVISION`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: The Alembic revision this code reads and writes (the head of migrations/versions).
SCHEMA_REVISION = "0005_predictions"

_naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_naming)


class ModelRow(Base):
    """A named model; its versions are numbered from 1 by ``next_version``."""

    __tablename__ = "models"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]


class VersionRow(Base):
    """One registered version of a model: its artifact and its lineage."""

    __tablename__ = "model_versions"

    model: Mapped[str] = mapped_column(ForeignKey("models.name"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_digest: Mapped[str] = mapped_column(String(64))
    flavor: Mapped[str] = mapped_column(String(50))
    signature: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    input_example: Mapped[object | None] = mapped_column(JSON, nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    git_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data_digests: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class AliasRow(Base):
    """Where an alias (production, staging, ...) of a model points now."""

    __tablename__ = "aliases"

    model: Mapped[str] = mapped_column(ForeignKey("models.name"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class AliasEventRow(Base):
    """One move of an alias: the audit history that rollback reads."""

    __tablename__ = "alias_events"
    __table_args__ = (Index("ix_alias_events_model_alias", "model", "alias", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(ForeignKey("models.name"))
    alias: Mapped[str] = mapped_column(String(100))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    command: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class RunRow(Base):
    """One pipeline execution (or one training script run)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    git_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    git_dirty: Mapped[bool] = mapped_column(Boolean)
    host: Mapped[str] = mapped_column(String(200))
    user: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RunParamRow(Base):
    __tablename__ = "run_params"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class RunMetricRow(Base):
    """A metric value at a step; a training loop logs many of these in batches."""

    __tablename__ = "run_metrics"
    __table_args__ = (Index("ix_run_metrics_run_key_step", "run_id", "key", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    key: Mapped[str] = mapped_column(String(250))
    step: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]


class RunIORow(Base):
    """The digest of a stage's input or output in a run: the lineage of what it made."""

    __tablename__ = "run_io"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)  # dep | out
    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))


class GateReportRow(Base):
    """A gate report, stored with the version it judged."""

    __tablename__ = "gate_reports"
    __table_args__ = (
        ForeignKeyConstraint(
            ["model", "version"], ["model_versions.model", "model_versions.version"]
        ),
        Index("ix_gate_reports_model_version", "model", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    champion: Mapped[str | None] = mapped_column(String(250), nullable=True)
    report: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class DeployEventRow(Base):
    """Something that happened to a deployment: a version that failed to load or to
    smoke-test, a rollout's start, steps and end, a forced promotion."""

    __tablename__ = "deploy_events"
    __table_args__ = (Index("ix_deploy_events_model", "model", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(200))
    alias: Mapped[str] = mapped_column(String(100))
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class RolloutRow(Base):
    """A canary or shadow rollout of ``canary`` behind ``model@alias``."""

    __tablename__ = "rollouts"
    __table_args__ = (Index("ix_rollouts_model_alias", "model", "alias", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(200))
    alias: Mapped[str] = mapped_column(String(100))
    stable: Mapped[int] = mapped_column(Integer)
    canary: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)
    shadow: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ServeStatsRow(Base):
    """Cumulative counters one server replica reports for one version in a rollout."""

    __tablename__ = "serve_stats"

    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id"), primary_key=True)
    replica: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[list[float]] = mapped_column(JSON)
    disagreements: Mapped[int] = mapped_column(Integer)
    compared: Mapped[int] = mapped_column(Integer)
    prediction_gap: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
    predictions: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
