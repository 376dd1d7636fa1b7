"""Service processes that run solves, and which of them owns each run: several service processes (uvicorn
--workers) can share one database, each marking interrupted only the runs of processes that are gone.

Revision ID: 0006_run_runner
Revises: 0005_scenario_lifecycle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.tables import UtcDateTime

revision = "0006_run_runner"
down_revision = "0005_scenario_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_runners",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("process_token", sa.String(length=40), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("runner_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("runner_id")
    op.drop_table("service_runners")
