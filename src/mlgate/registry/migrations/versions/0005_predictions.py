"""Replica statistics count predicted classes, for the canary's prediction-shift check.

Revision ID: 0005_predictions
Revises: 0004_deploy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_predictions"
down_revision = "0004_deploy"


def upgrade() -> None:
    with op.batch_alter_table("serve_stats") as batch:
        batch.add_column(sa.Column("predictions", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("serve_stats") as batch:
        batch.drop_column("predictions")
