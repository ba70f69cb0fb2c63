"""Gate reports stored with the model version they judged.

Revision ID: 0003_gate_reports
Revises: 0002_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_gate_reports"
down_revision = "0002_runs"


def upgrade() -> None:
    op.create_table(
        "gate_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("champion", sa.String(250), nullable=True),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["model", "version"], ["model_versions.model", "model_versions.version"]
        ),
    )
    op.create_index("ix_gate_reports_model_version", "gate_reports", ["model", "version"])


def downgrade() -> None:
    op.drop_index("ix_gate_reports_model_version", "gate_reports")
    op.drop_table("gate_reports")
