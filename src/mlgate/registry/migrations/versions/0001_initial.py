"""The first registry schema: models, versions, aliases and their history.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("next_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column("model", sa.String(200), sa.ForeignKey("models.name"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("artifact_digest", sa.String(64), nullable=False),
        sa.Column("flavor", sa.String(50), nullable=False),
        sa.Column("signature", sa.JSON, nullable=True),
        sa.Column("input_example", sa.JSON, nullable=True),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("git_commit", sa.String(64), nullable=True),
        sa.Column("data_digests", sa.JSON, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "aliases",
        sa.Column("model", sa.String(200), sa.ForeignKey("models.name"), primary_key=True),
        sa.Column("alias", sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "alias_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), sa.ForeignKey("models.name"), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_alias_events_model_alias", "alias_events", ["model", "alias", "id"])
