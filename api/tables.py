"""Database tables (SQLModel, table=True): the stored form of instances, scenarios and solve runs.

The tables mirror `planner.domain.models` field for field; `api.store` is the one place that converts between the two.
Design choices other modules rely on:

- Every instance child row (locality, setting, learner, team, forecast) has its own integer primary key, the
  owning `instance_id` (ON DELETE CASCADE: deleting an instance deletes its records), a `position` that keeps the
  instance's tuple order (so a load gives back exactly what was saved), and, where the domain model has one, the
  domain id as a string column unique within the instance (`locality_id`, `setting_id`, `learner_id`, `team_id`).
- Enumerations (need, kind, phase, status) are stored as their string codes; sets, tuples and dicts as JSON
  (`sqlalchemy.JSON`, so the same schema works on SQLite and PostgreSQL); points as easting/northing columns.
- Timestamps are timezone-aware UTC (`UtcDateTime` adds the zone back on SQLite, which does not keep it).
- Scenarios refer to their base instance without cascade: deleting an instance that scenarios are built on is
  refused by `api.store.delete_instance` unless asked to delete the scenarios too. Runs keep their history when
  the instance or scenario they used is deleted (the reference becomes NULL).
- Constraint and index names follow `NAMING_CONVENTION`, so migrations can name what they create and drop.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Constraint names must be stable for migrations (and SQLite batch mode needs names to drop anything).
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the only clock the tables use)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone; PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given: store timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(nullable: bool = False) -> Any:
    return Column(JSON, nullable=nullable)


def _timestamp(nullable: bool = False) -> Any:
    return Column(UtcDateTime(), nullable=nullable)


def _instance_fk() -> Any:
    return Column(Integer, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)


# --------------------------------------------------------------------------------------------------------------
# Instances and their records


class InstanceRow(SQLModel, table=True):
    """One stored instance: a council's planning data for a base academic year."""

    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_name", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    base_year: int
    census_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    source: str = Field(sa_column=Column(String(500), nullable=False),
                        description='Where the data came from: "demo:<preset>:<seed>", "gias:<file>", "api"')
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False),
                                 description="Instance.metadata (provenance); the column is named metadata")
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    # Raised by every change to the instance's learners or settings (store.touch_data); a run records the version it
    # read, so its figures are shown stale once the data change (migration 0007_data_version).
    data_version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))


class LocalityRow(SQLModel, table=True):
    """planner.domain.models.Locality."""

    __tablename__ = "localities"
    __table_args__ = (
        UniqueConstraint("instance_id", "locality_id"),
        UniqueConstraint("instance_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(sa_column=_instance_fk())
    position: int = Field(description="Order within the instance")
    locality_id: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    centroid_easting: float = Field(sa_column=Column(Float, nullable=False))
    centroid_northing: float = Field(sa_column=Column(Float, nullable=False))
    in_area: bool = True
    area_codes: list[str] | None = Field(default=None, sa_column=_json(nullable=True))


class SettingRow(SQLModel, table=True):
    """planner.domain.models.Setting; `designations` is a sorted JSON list of need codes."""

    __tablename__ = "settings"
    __table_args__ = (
        UniqueConstraint("instance_id", "setting_id"),
        UniqueConstraint("instance_id", "position"),
        Index("ix_settings_instance_kind", "instance_id", "kind"),
        Index("ix_settings_instance_locality", "instance_id", "locality_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(sa_column=_instance_fk())
    position: int
    setting_id: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    designations: list[str] = Field(default_factory=list, sa_column=_json())
    ncy_min: int
    ncy_max: int
    capacity: int
    capacity_by_phase: dict[str, int] = Field(default_factory=dict, sa_column=_json())
    cost_per_place: int = 0
    location_easting: float = Field(sa_column=Column(Float, nullable=False))
    location_northing: float = Field(sa_column=Column(Float, nullable=False))
    locality_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    in_area: bool = True
    status: str = Field(sa_column=Column(String(16), nullable=False))
    opens_year: int | None = None
    closes_year: int | None = None
    host_setting_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    urn: int | None = None
    la_code: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    ukprn: int | None = None
    gender: str = Field(default="mixed", sa_column=Column(String(8), nullable=False, server_default="mixed"))
    selective: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    independent: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    boarding: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    number_on_roll: int | None = None


class LearnerRow(SQLModel, table=True):
    """planner.domain.models.Learner: pseudonymous; the home is a grid point (postcode centroid), never a postcode."""

    __tablename__ = "learners"
    __table_args__ = (
        UniqueConstraint("instance_id", "learner_id"),
        UniqueConstraint("instance_id", "position"),
        Index("ix_learners_instance_need", "instance_id", "primary_need"),
        Index("ix_learners_instance_locality", "instance_id", "locality_id"),
        Index("ix_learners_instance_setting", "instance_id", "current_setting_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(sa_column=_instance_fk())
    position: int
    learner_id: str = Field(sa_column=Column(String(64), nullable=False))
    ncy: int | None = None
    birth_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    primary_need: str = Field(sa_column=Column(String(8), nullable=False))
    secondary_need: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    home_easting: float = Field(sa_column=Column(Float, nullable=False))
    home_northing: float = Field(sa_column=Column(Float, nullable=False))
    locality_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    current_setting_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    requested_setting_ids: list[str] = Field(default_factory=list, sa_column=_json())
    pinned_setting_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    sibling_group: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    looked_after: bool = False
    excluded: bool = False
    at_risk_of_exclusion: bool = False
    suspensions: int = 0
    needs_transport: bool = False
    max_journey_minutes: int | None = None
    plan_start: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    plan_end: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    setting_start: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    last_review: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    sex: str | None = Field(default=None, sa_column=Column(String(1), nullable=True))
    lsoa: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    arrangement: str | None = Field(default=None, sa_column=Column(String(4), nullable=True))
    provision_type: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    acceptable_types: list[str] | None = Field(default=None, sa_column=_json(nullable=True))
    needs_residential: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class TeamRow(SQLModel, table=True):
    """planner.domain.models.OutreachTeam; the base point is optional (both coordinates NULL when absent)."""

    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("instance_id", "team_id"),
        UniqueConstraint("instance_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(sa_column=_instance_fk())
    position: int
    team_id: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    specialisms: list[str] = Field(default_factory=list, sa_column=_json())
    hours_per_week: float = Field(sa_column=Column(Float, nullable=False))
    locality_ids: list[str] = Field(default_factory=list, sa_column=_json())
    base_easting: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    base_northing: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class ForecastRow(SQLModel, table=True):
    """planner.domain.models.NeedForecast. Forecasts have no domain id: (year, need, phase, locality) plus position."""

    __tablename__ = "forecasts"
    __table_args__ = (
        UniqueConstraint("instance_id", "position"),
        Index("ix_forecasts_instance_need", "instance_id", "need"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(sa_column=_instance_fk())
    position: int
    academic_year: int
    need: str = Field(sa_column=Column(String(8), nullable=False))
    phase: str = Field(sa_column=Column(String(16), nullable=False))
    locality_id: str = Field(sa_column=Column(String(64), nullable=False))
    p10: float = Field(sa_column=Column(Float, nullable=False))
    p50: float = Field(sa_column=Column(Float, nullable=False))
    p90: float = Field(sa_column=Column(Float, nullable=False))


class TravelTimeRow(SQLModel, table=True):
    """A known journey time (from a council's travel matrix): overrides the distance estimate for that pair.

    Loaded into `planner.domain.models.Instance.travel_times` by `store.load_instance`, so every solver sees it.
    Origins are learner, locality or team ids, destinations setting ids (as in the matrix CSV).
    """

    __tablename__ = "travel_times"
    __table_args__ = (UniqueConstraint("instance_id", "origin_id", "destination_id"),)

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(sa_column=_instance_fk())
    origin_id: str = Field(sa_column=Column(String(64), nullable=False))
    destination_id: str = Field(sa_column=Column(String(64), nullable=False))
    minutes: float = Field(sa_column=Column(Float, nullable=False))


# --------------------------------------------------------------------------------------------------------------
# Scenarios and runs


class ScenarioRow(SQLModel, table=True):
    """A named what-if: a base instance plus an ordered list of edits (format owned by scenarios.what_if)."""

    __tablename__ = "scenarios"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    base_instance_id: int = Field(sa_column=Column(Integer, ForeignKey("instances.id"), nullable=False, index=True))
    parent_scenario_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("scenarios.id", ondelete="SET NULL"), nullable=True)
    )
    edits: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    created_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    # Raised by every change to the edits or the parent: a run records the versions of its lineage, so a run of an
    # older version is shown as stale (migration 0005_scenario_lifecycle).
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    updated_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Owner (api.scoping): only a user with the owner's role in the council (or an admin) may change or delete it.
    owner_user_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    owner_role: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))


class RunStatus(StrEnum):
    """Life cycle of a solve run. `interrupted`: the process stopped while the run was queued or running."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


FINISHED_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED})


def new_run_id() -> str:
    return uuid.uuid4().hex


class RunRow(SQLModel, table=True):
    """One solve run (a job): what was asked, how far it got, and what came back."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')", name="status"
        ),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_created_at", "created_at"),
    )

    id: str = Field(default_factory=new_run_id, sa_column=Column(String(32), primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(default=RunStatus.QUEUED.value, sa_column=Column(String(16), nullable=False))
    instance_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("instances.id", ondelete="SET NULL"), nullable=True)
    )
    scenario_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("scenarios.id", ondelete="SET NULL"), nullable=True)
    )
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    progress: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    statistics: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    result: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    started_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    created_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    resubmitted_from: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    # What the run was of, as it was when it ran: the scenario's name and its lineage (root first, each
    # {"id", "name", "version", "source"}); kept when the scenario is edited or deleted, so the run is shown stale.
    scenario_name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    scenario_lineage: list[dict[str, Any]] | None = Field(default=None, sa_column=_json(nullable=True))
    # The council (instance) whose data the run read: the instance, or the scenario's base instance. Kept when the
    # scenario is deleted; NULL when the instance is deleted (then only admins may read the run: api.scoping).
    council_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("instances.id", ondelete="SET NULL"), nullable=True, index=True))
    owner_user_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    owner_role: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    # The service process (api.service_tables.ServiceRunnerRow) that queued the run and executes it: when that
    # process is gone, the run is marked interrupted (api.runners); NULL for runs queued before 0006.
    runner_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    # The council's data_version when the run read it (api.scenario_store.stamp_run); stale once it has changed.
    data_version: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class RunFacts(Protocol):
    """What scoping and staleness read of a run: a `RunRow`, or a poll's plain columns (api.routes.runs)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def council_id(self) -> int | None: ...
    @property
    def instance_id(self) -> int | None: ...
    @property
    def scenario_lineage(self) -> list[dict[str, Any]] | None: ...
    @property
    def data_version(self) -> int | None: ...


# The records of an instance (what load_instance reads back), in insertion order.
INSTANCE_CHILD_TABLES: tuple[type[SQLModel], ...] = (LocalityRow, SettingRow, LearnerRow, TeamRow, ForecastRow)
# Everything deleted with an instance.
INSTANCE_OWNED_TABLES: tuple[type[SQLModel], ...] = (*INSTANCE_CHILD_TABLES, TravelTimeRow)


# --------------------------------------------------------------------------------------------------------------
# Reference data shared by every instance


class PostcodeRow(SQLModel, table=True):
    """One postcode's grid reference from an open lookup (OS Code-Point Open, the ONS Postcode Directory / NSPL).

    Public reference data, not learner data: learners' postcodes are resolved against this table at import and
    never stored. `postcode` is normalised (upper case, no spaces: "SW1A1AA"). `terminated` marks postcodes the
    ONS lists as no longer in use (Code-Point Open carries live postcodes only).
    """

    __tablename__ = "postcodes"

    postcode: str = Field(sa_column=Column(String(8), primary_key=True))
    easting: int = Field(sa_column=Column(Integer, nullable=False))
    northing: int = Field(sa_column=Column(Integer, nullable=False))
    lsoa: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    ward: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    district: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    terminated: bool = False
    source: str = Field(sa_column=Column(String(40), nullable=False),
                        description='"codepoint-open" or "onspd" (which product the row came from)')

