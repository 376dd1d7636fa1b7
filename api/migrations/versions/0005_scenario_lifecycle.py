"""Scenario lifecycle: a scenario's version (raised by every change to its edits or parent) and when it changed; a
run's scenario name and lineage as they were when it ran, so runs of an edited or deleted scenario are kept and
shown as stale.

Revision ID: 0005_scenario_lifecycle
Revises: 0004_council_scoping
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.tables import UtcDateTime

revision = "0005_scenario_lifecycle"
down_revision = "0004_council_scoping"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scenarios") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("scenario_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("scenario_lineage", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("scenario_lineage")
        batch.drop_column("scenario_name")
    with op.batch_alter_table("scenarios") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("version")
