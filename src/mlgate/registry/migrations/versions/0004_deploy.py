"""Deployments: events (failed loads, rollout steps), rollouts, and replica statistics.

Revision ID: 0004_deploy
Revises: 0003_gate_reports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_deploy"
down_revision = "0003_gate_reports"


def upgrade() -> None:
    op.create_table(
        "deploy_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_deploy_events_model", "deploy_events", ["model", "id"])
    op.create_table(
        "rollouts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("stable", sa.Integer, nullable=False),
        sa.Column("canary", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("shadow", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_rollouts_model_alias", "rollouts", ["model", "alias", "status"])
    op.create_table(
        "serve_stats",
        sa.Column("rollout_id", sa.Integer, sa.ForeignKey("rollouts.id"), primary_key=True),
        sa.Column("replica", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.JSON, nullable=False),
        sa.Column("disagreements", sa.Integer, nullable=False),
        sa.Column("compared", sa.Integer, nullable=False),
        sa.Column("prediction_gap", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("serve_stats")
    op.drop_index("ix_rollouts_model_alias", "rollouts")
    op.drop_table("rollouts")
    op.drop_index("ix_deploy_events_model", "deploy_events")
    op.drop_table("deploy_events")
