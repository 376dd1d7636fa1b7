"""Council scoping: users' memberships of councils (instances) with a role each, owners of scenarios and runs, the
council a run read, and the audit's learner count, purpose and channel.

Upgrading an existing database (nothing that worked stops working on a single-council install):
- every existing non-admin user becomes a member of every existing instance with the role they had (admins need
  no membership: they act on every council). Remove memberships afterwards with `placeplan users grant --remove`.
- scenarios and runs get as owner the user whose name is in `created_by` (with that user's role); when no user
  has that name the owner stays NULL and only admins may change or delete the record.
- runs get as council their instance, or their scenario's base instance.

Revision ID: 0004_council_scoping
Revises: 0003_real_council
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.tables import UtcDateTime

revision = "0004_council_scoping"
down_revision = "0003_real_council"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_memberships",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.Column("granted_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "instance_id", name="pk_council_memberships"),
    )
    op.create_index("ix_council_memberships_instance_id", "council_memberships", ["instance_id"])
    with op.batch_alter_table("scenarios") as batch:
        batch.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_role", sa.String(length=20), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("council_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_role", sa.String(length=20), nullable=True))
        batch.create_foreign_key("fk_runs_council_id_instances", "instances", ["council_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_runs_council_id", ["council_id"])
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("learner_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("purpose", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=True))
    _backfill()


def _backfill() -> None:
    """Existing users keep what they could do; owners and councils from what the rows already record."""
    op.execute(sa.text(
        "INSERT INTO council_memberships (user_id, instance_id, role, granted_at, granted_by) "
        "SELECT users.id, instances.id, users.role, CURRENT_TIMESTAMP, 'migration 0004_council_scoping' "
        "FROM users CROSS JOIN instances WHERE users.role <> 'admin'"
    ))
    for table in ("scenarios", "runs"):
        op.execute(sa.text(
            f"UPDATE {table} SET owner_user_id = (SELECT users.id FROM users WHERE users.name = {table}.created_by), "
            f"owner_role = (SELECT users.role FROM users WHERE users.name = {table}.created_by)"
        ))
    op.execute(sa.text(
        "UPDATE runs SET council_id = COALESCE(instance_id, "
        "(SELECT scenarios.base_instance_id FROM scenarios WHERE scenarios.id = runs.scenario_id))"
    ))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        for column in ("channel", "purpose", "learner_count"):
            batch.drop_column(column)
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_council_id")
        batch.drop_constraint("fk_runs_council_id_instances", type_="foreignkey")
        for column in ("owner_role", "owner_user_id", "council_id"):
            batch.drop_column(column)
    with op.batch_alter_table("scenarios") as batch:
        for column in ("owner_role", "owner_user_id"):
            batch.drop_column(column)
    op.drop_index("ix_council_memberships_instance_id", table_name="council_memberships")
    op.drop_table("council_memberships")
