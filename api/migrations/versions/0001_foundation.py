"""Foundation: instances and their records (localities, settings, learners, teams, forecasts, travel times),
scenarios and runs.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-22

Hand-checked against api/tables.py (tests/store/test_migrations.py proves no difference on SQLite and PostgreSQL).
Timestamps are DateTime(timezone=True): api.tables.UtcDateTime is that type plus read-back of the UTC zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """The columns every instance record starts with: its key, its instance (cascade) and its order."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    ]


def _record_constraints(table: str, domain_id: str | None) -> list[sa.Constraint]:
    constraints: list[sa.Constraint] = [
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], name=f"fk_{table}_instance_id_instances",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("instance_id", "position", name=f"uq_{table}_instance_id_position"),
    ]
    if domain_id is not None:
        constraints.append(
            sa.UniqueConstraint("instance_id", domain_id, name=f"uq_{table}_instance_id_{domain_id}")
        )
    return constraints


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_instances"),
    )
    op.create_index("ix_instances_name", "instances", ["name"])

    op.create_table(
        "localities",
        *_record_columns(),
        sa.Column("locality_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("centroid_easting", sa.Float(), nullable=False),
        sa.Column("centroid_northing", sa.Float(), nullable=False),
        sa.Column("in_area", sa.Boolean(), nullable=False),
        *_record_constraints("localities", "locality_id"),
    )

    op.create_table(
        "settings",
        *_record_columns(),
        sa.Column("setting_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("designations", sa.JSON(), nullable=False),
        sa.Column("ncy_min", sa.Integer(), nullable=False),
        sa.Column("ncy_max", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("capacity_by_phase", sa.JSON(), nullable=False),
        sa.Column("cost_per_place", sa.Integer(), nullable=False),
        sa.Column("location_easting", sa.Float(), nullable=False),
        sa.Column("location_northing", sa.Float(), nullable=False),
        sa.Column("locality_id", sa.String(length=64), nullable=True),
        sa.Column("in_area", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opens_year", sa.Integer(), nullable=True),
        sa.Column("closes_year", sa.Integer(), nullable=True),
        sa.Column("host_setting_id", sa.String(length=64), nullable=True),
        sa.Column("urn", sa.Integer(), nullable=True),
        *_record_constraints("settings", "setting_id"),
    )
    op.create_index("ix_settings_instance_kind", "settings", ["instance_id", "kind"])
    op.create_index("ix_settings_instance_locality", "settings", ["instance_id", "locality_id"])

    op.create_table(
        "learners",
        *_record_columns(),
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("ncy", sa.Integer(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("primary_need", sa.String(length=8), nullable=False),
        sa.Column("secondary_need", sa.String(length=8), nullable=True),
        sa.Column("home_easting", sa.Float(), nullable=False),
        sa.Column("home_northing", sa.Float(), nullable=False),
        sa.Column("locality_id", sa.String(length=64), nullable=True),
        sa.Column("current_setting_id", sa.String(length=64), nullable=True),
        sa.Column("requested_setting_ids", sa.JSON(), nullable=False),
        sa.Column("pinned_setting_id", sa.String(length=64), nullable=True),
        sa.Column("sibling_group", sa.String(length=64), nullable=True),
        sa.Column("looked_after", sa.Boolean(), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("at_risk_of_exclusion", sa.Boolean(), nullable=False),
        sa.Column("suspensions", sa.Integer(), nullable=False),
        sa.Column("needs_transport", sa.Boolean(), nullable=False),
        sa.Column("max_journey_minutes", sa.Integer(), nullable=True),
        sa.Column("plan_start", sa.Date(), nullable=True),
        sa.Column("plan_end", sa.Date(), nullable=True),
        sa.Column("setting_start", sa.Date(), nullable=True),
        *_record_constraints("learners", "learner_id"),
    )
    op.create_index("ix_learners_instance_need", "learners", ["instance_id", "primary_need"])
    op.create_index("ix_learners_instance_locality", "learners", ["instance_id", "locality_id"])
    op.create_index("ix_learners_instance_setting", "learners", ["instance_id", "current_setting_id"])

    op.create_table(
        "teams",
        *_record_columns(),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("specialisms", sa.JSON(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("locality_ids", sa.JSON(), nullable=False),
        sa.Column("base_easting", sa.Float(), nullable=True),
        sa.Column("base_northing", sa.Float(), nullable=True),
        *_record_constraints("teams", "team_id"),
    )

    op.create_table(
        "forecasts",
        *_record_columns(),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=8), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("locality_id", sa.String(length=64), nullable=False),
        sa.Column("p10", sa.Float(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=False),
        sa.Column("p90", sa.Float(), nullable=False),
        *_record_constraints("forecasts", None),
    )
    op.create_index("ix_forecasts_instance_need", "forecasts", ["instance_id", "need"])

    op.create_table(
        "travel_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("origin_id", sa.String(length=64), nullable=False),
        sa.Column("destination_id", sa.String(length=64), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], name="fk_travel_times_instance_id_instances",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_travel_times"),
        sa.UniqueConstraint("instance_id", "origin_id", "destination_id",
                            name="uq_travel_times_instance_id_origin_id_destination_id"),
    )

    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("base_instance_id", sa.Integer(), nullable=False),
        sa.Column("parent_scenario_id", sa.Integer(), nullable=True),
        sa.Column("edits", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        # No cascade: api.store refuses to delete an instance that scenarios are built on (unless told to).
        sa.ForeignKeyConstraint(["base_instance_id"], ["instances.id"], name="fk_scenarios_base_instance_id_instances"),
        sa.ForeignKeyConstraint(["parent_scenario_id"], ["scenarios.id"],
                                name="fk_scenarios_parent_scenario_id_scenarios", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_scenarios"),
        sa.UniqueConstraint("name", name="uq_scenarios_name"),
    )
    op.create_index("ix_scenarios_base_instance_id", "scenarios", ["base_instance_id"])

    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("scenario_id", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("statistics", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("resubmitted_from", sa.String(length=32), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')",
                           name="ck_runs_status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_runs_progress"),
        # Runs are history: they outlive the instance or scenario they used.
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], name="fk_runs_instance_id_instances",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], name="fk_runs_scenario_id_scenarios",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])


def downgrade() -> None:
    for table in ("runs", "scenarios", "travel_times", "forecasts", "teams", "learners", "settings", "localities",
                  "instances"):
        op.drop_table(table)
