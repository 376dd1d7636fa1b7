"""The council's data version: raised by every change to an instance's learners or settings (store.touch_data), and
recorded on each run when it reads the data, so a run on data that has changed since (a baseline run, above all) is
shown as stale like a run of an edited scenario.

Revision ID: 0007_data_version
Revises: 0006_run_runner
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_data_version"
down_revision = "0006_run_runner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("data_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("data_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("data_version")
    with op.batch_alter_table("instances") as batch:
        batch.drop_column("data_version")
