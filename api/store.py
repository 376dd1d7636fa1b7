"""The store: the one place that converts between `planner.domain.models` models and the tables in `api.tables`.

Functions take an open SQLModel `Session` and never commit: the caller owns the transaction (use
`api.db.session_scope`, which commits on success and rolls back on any error), so an import or a replacement is
all-or-nothing. Records are written with bulk inserts (the county preset's 20,000 learners save in about a second on
SQLite) and loaded back in their saved order, so `load_instance(session, save_instance(session, x, s)) == x`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import String, bindparam, cast, delete, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col

from api.service_tables import MembershipRow
from api.tables import (
    INSTANCE_CHILD_TABLES,
    INSTANCE_OWNED_TABLES,
    ForecastRow,
    InstanceRow,
    LearnerRow,
    LocalityRow,
    RunRow,
    ScenarioRow,
    SettingRow,
    TeamRow,
    TravelTimeRow,
)
from planner.domain.codes import Need, SettingKind, parse_need
from planner.domain.models import Instance, Learner, Locality, NeedForecast, OutreachTeam, Point, Setting, TravelTime


class InstanceNotFound(LookupError):
    """No stored instance has this id (or name)."""

    def __init__(self, reference: int | str) -> None:
        self.reference = reference
        what = f"id {reference}" if isinstance(reference, int) else f"name {reference!r}"
        super().__init__(f"no stored instance with {what}: `placeplan demo` or an import creates one")


class InstanceInUse(ValueError):
    """The instance is the base of saved scenarios, which would be lost by deleting it."""

    def __init__(self, instance_id: int, scenario_names: list[str]) -> None:
        self.instance_id = instance_id
        self.scenario_names = scenario_names
        super().__init__(
            f"instance {instance_id} is the base of {len(scenario_names)} scenario(s) "
            f"({', '.join(scenario_names[:5])}{', ...' if len(scenario_names) > 5 else ''}): "
            "delete them first or ask for them to be deleted with the instance"
        )


class InstanceSummary(BaseModel):
    """A stored instance with its record counts (what list views show)."""

    id: int
    name: str
    base_year: int
    source: str
    created_at: datetime
    localities: int = Field(description="Number of localities")
    settings: int
    learners: int
    teams: int
    forecasts: int


# --------------------------------------------------------------------------------------------------------------
# Domain -> row dictionaries (column name -> value), for bulk inserts


def _locality_row(locality: Locality) -> dict[str, Any]:
    return {
        "locality_id": locality.id,
        "name": locality.name,
        "centroid_easting": locality.centroid.easting,
        "centroid_northing": locality.centroid.northing,
        "in_area": locality.in_area,
        "area_codes": sorted(locality.area_codes),
    }


def _setting_row(setting: Setting) -> dict[str, Any]:
    return {
        "setting_id": setting.id,
        "name": setting.name,
        "kind": setting.kind.value,
        "designations": sorted(need.value for need in setting.designations),
        "ncy_min": setting.ncy_min,
        "ncy_max": setting.ncy_max,
        "capacity": setting.capacity,
        "capacity_by_phase": {phase.value: places for phase, places in setting.capacity_by_phase.items()},
        "cost_per_place": setting.cost_per_place,
        "location_easting": setting.location.easting,
        "location_northing": setting.location.northing,
        "locality_id": setting.locality_id,
        "in_area": setting.in_area,
        "status": setting.status.value,
        "opens_year": setting.opens_year,
        "closes_year": setting.closes_year,
        "host_setting_id": setting.host_setting_id,
        "urn": setting.urn,
        "la_code": setting.la_code,
        "ukprn": setting.ukprn,
        "gender": setting.gender.value,
        "selective": setting.selective,
        "independent": setting.independent,
        "boarding": setting.boarding,
        "number_on_roll": setting.number_on_roll,
    }


def _learner_row(learner: Learner) -> dict[str, Any]:
    return {
        "learner_id": learner.id,
        "ncy": learner.ncy,
        "birth_date": learner.birth_date,
        "primary_need": learner.primary_need.value,
        "secondary_need": learner.secondary_need.value if learner.secondary_need else None,
        "home_easting": learner.home.easting,
        "home_northing": learner.home.northing,
        "locality_id": learner.locality_id,
        "current_setting_id": learner.current_setting_id,
        "requested_setting_ids": list(learner.requested_setting_ids),
        "pinned_setting_id": learner.pinned_setting_id,
        "sibling_group": learner.sibling_group,
        "looked_after": learner.looked_after,
        "excluded": learner.excluded,
        "at_risk_of_exclusion": learner.at_risk_of_exclusion,
        "suspensions": learner.suspensions,
        "needs_transport": learner.needs_transport,
        "max_journey_minutes": learner.max_journey_minutes,
        "plan_start": learner.plan_start,
        "plan_end": learner.plan_end,
        "setting_start": learner.setting_start,
        "last_review": learner.last_review,
        "sex": learner.sex.value if learner.sex else None,
        "lsoa": learner.lsoa,
        "arrangement": learner.arrangement.value if learner.arrangement else None,
        "provision_type": learner.provision_type.value if learner.provision_type else None,
        "acceptable_types": sorted(t.value for t in learner.acceptable_types),
        "needs_residential": learner.needs_residential,
    }


def _team_row(team: OutreachTeam) -> dict[str, Any]:
    return {
        "team_id": team.id,
        "name": team.name,
        "specialisms": sorted(need.value for need in team.specialisms),
        "hours_per_week": team.hours_per_week,
        "locality_ids": sorted(team.locality_ids),
        "base_easting": team.base.easting if team.base else None,
        "base_northing": team.base.northing if team.base else None,
    }


def _forecast_row(forecast: NeedForecast) -> dict[str, Any]:
    return {
        "academic_year": forecast.academic_year,
        "need": forecast.need.value,
        "phase": forecast.phase.value,
        "locality_id": forecast.locality_id,
        "p10": forecast.p10,
        "p50": forecast.p50,
        "p90": forecast.p90,
    }


# --------------------------------------------------------------------------------------------------------------
# Rows -> domain models (validated again: the database is an input like any other)


def locality_from_row(row: Any) -> Locality:
    return Locality(
        id=row.locality_id,
        name=row.name,
        centroid=Point(easting=row.centroid_easting, northing=row.centroid_northing),
        in_area=row.in_area,
        area_codes=frozenset(row.area_codes or ()),
    )


def setting_from_row(row: Any) -> Setting:
    """A domain Setting from a SettingRow (or any row with the same column names)."""
    return Setting.model_validate(
        {
            "id": row.setting_id,
            "name": row.name,
            "kind": row.kind,
            "designations": frozenset(row.designations),
            "ncy_min": row.ncy_min,
            "ncy_max": row.ncy_max,
            "capacity": row.capacity,
            "capacity_by_phase": dict(row.capacity_by_phase),
            "cost_per_place": row.cost_per_place,
            "location": {"easting": row.location_easting, "northing": row.location_northing},
            "locality_id": row.locality_id,
            "in_area": row.in_area,
            "status": row.status,
            "opens_year": row.opens_year,
            "closes_year": row.closes_year,
            "host_setting_id": row.host_setting_id,
            "urn": row.urn,
            "la_code": row.la_code,
            "ukprn": row.ukprn,
            "gender": row.gender,
            "selective": row.selective,
            "independent": row.independent,
            "boarding": row.boarding,
            "number_on_roll": row.number_on_roll,
        }
    )


def learner_from_row(row: Any) -> Learner:
    """A domain Learner from a LearnerRow (or any row with the same column names)."""
    return Learner.model_validate(
        {
            "id": row.learner_id,
            "ncy": row.ncy,
            "birth_date": row.birth_date,
            "primary_need": row.primary_need,
            "secondary_need": row.secondary_need,
            "home": {"easting": row.home_easting, "northing": row.home_northing},
            "locality_id": row.locality_id,
            "current_setting_id": row.current_setting_id,
            "requested_setting_ids": tuple(row.requested_setting_ids),
            "pinned_setting_id": row.pinned_setting_id,
            "sibling_group": row.sibling_group,
            "looked_after": row.looked_after,
            "excluded": row.excluded,
            "at_risk_of_exclusion": row.at_risk_of_exclusion,
            "suspensions": row.suspensions,
            "needs_transport": row.needs_transport,
            "max_journey_minutes": row.max_journey_minutes,
            "plan_start": row.plan_start,
            "plan_end": row.plan_end,
            "setting_start": row.setting_start,
            "last_review": row.last_review,
            "sex": row.sex,
            "lsoa": row.lsoa,
            "arrangement": row.arrangement,
            "provision_type": row.provision_type,
            "acceptable_types": frozenset(row.acceptable_types or ()),
            "needs_residential": row.needs_residential,
        }
    )


def team_from_row(row: Any) -> OutreachTeam:
    base = None
    if row.base_easting is not None and row.base_northing is not None:
        base = Point(easting=row.base_easting, northing=row.base_northing)
    return OutreachTeam.model_validate(
        {
            "id": row.team_id,
            "name": row.name,
            "specialisms": frozenset(row.specialisms),
            "hours_per_week": row.hours_per_week,
            "locality_ids": frozenset(row.locality_ids),
            "base": base,
        }
    )


def forecast_from_row(row: Any) -> NeedForecast:
    return NeedForecast.model_validate(
        {
            "academic_year": row.academic_year,
            "need": row.need,
            "phase": row.phase,
            "locality_id": row.locality_id,
            "p10": row.p10,
            "p50": row.p50,
            "p90": row.p90,
        }
    )


# --------------------------------------------------------------------------------------------------------------
# Instances


def _insert_records(session: Session, instance_id: int, instance: Instance) -> None:
    batches: list[tuple[type[SQLModel], list[dict[str, Any]]]] = [
        (LocalityRow, [_locality_row(x) for x in instance.localities]),
        (SettingRow, [_setting_row(x) for x in instance.settings]),
        (LearnerRow, [_learner_row(x) for x in instance.learners]),
        (TeamRow, [_team_row(x) for x in instance.teams]),
        (ForecastRow, [_forecast_row(x) for x in instance.forecasts]),
    ]
    for table, rows in batches:
        if not rows:
            continue
        for position, row in enumerate(rows):
            row["instance_id"] = instance_id
            row["position"] = position
        # Core executemany insert: one round trip per batch, no ORM objects (the fast path for 20,000 learners).
        session.execute(insert(table.__table__), rows)  # type: ignore[attr-defined]
    if instance.travel_times:
        save_travel_matrix(session, instance_id, instance.travel_matrix, replace=True)


class UnstorableText(ValueError):
    """Text the databases cannot hold the same way (PostgreSQL refuses the NUL character)."""


def _check_storable(instance: Instance, source: str) -> None:
    named: list[tuple[str, str]] = [("instance name", instance.name), ("source", source)]
    named += [(f"locality {x.id}: name", x.name) for x in instance.localities]
    named += [(f"setting {x.id}: name", x.name) for x in instance.settings]
    named += [(f"team {x.id}: name", x.name) for x in instance.teams]
    for label, text in named:
        if "\x00" in text:
            raise UnstorableText(f"{label} contains a NUL character, which the database cannot store")


def save_instance(session: Session, instance: Instance, source: str) -> int:
    """Store an instance and all its records; returns the new instance id. The caller commits."""
    _check_storable(instance, source)
    row = InstanceRow(name=instance.name, base_year=instance.base_year, census_date=instance.census_date,
                      source=source, meta=dict(instance.metadata))
    session.add(row)
    session.flush()
    assert row.id is not None
    _insert_records(session, row.id, instance)
    return row.id


def _instance_row(session: Session, instance_id: int) -> InstanceRow:
    row = session.get(InstanceRow, instance_id)
    if row is None:
        raise InstanceNotFound(instance_id)
    return row


def _ordered_rows(session: Session, table: type[SQLModel], instance_id: int) -> Sequence[Any]:
    columns = table.__table__.c  # type: ignore[attr-defined]
    return session.execute(
        select(columns).where(columns.instance_id == instance_id).order_by(columns.position)
    ).all()


def load_instance(session: Session, instance_id: int) -> Instance:
    """The stored instance as a validated domain model; InstanceNotFound when the id is unknown."""
    row = _instance_row(session, instance_id)
    return Instance(
        name=row.name,
        base_year=row.base_year,
        census_date=row.census_date,
        localities=tuple(locality_from_row(r) for r in _ordered_rows(session, LocalityRow, instance_id)),
        settings=tuple(setting_from_row(r) for r in _ordered_rows(session, SettingRow, instance_id)),
        learners=tuple(learner_from_row(r) for r in _ordered_rows(session, LearnerRow, instance_id)),
        teams=tuple(team_from_row(r) for r in _ordered_rows(session, TeamRow, instance_id)),
        forecasts=tuple(forecast_from_row(r) for r in _ordered_rows(session, ForecastRow, instance_id)),
        travel_times=tuple(TravelTime(origin_id=o, destination_id=d, minutes=m)
                           for (o, d), m in sorted(load_travel_matrix(session, instance_id).items())),
        metadata=dict(row.meta),
    )


def get_instance_row(session: Session, instance_id: int) -> InstanceRow:
    """The InstanceRow for an id; InstanceNotFound when unknown."""
    return _instance_row(session, instance_id)


def list_instances(session: Session, name: str | None = None) -> list[InstanceSummary]:
    """Every stored instance (optionally only those with a name), oldest first, with record counts."""
    query = select(InstanceRow).order_by(col(InstanceRow.id))
    if name is not None:
        query = query.where(col(InstanceRow.name) == name)
    rows = session.execute(query).scalars().all()
    ids = [r.id for r in rows]
    counts: dict[str, dict[int, int]] = {}
    for table in INSTANCE_CHILD_TABLES:
        columns = table.__table__.c  # type: ignore[attr-defined]
        result = session.execute(
            select(columns.instance_id, func.count()).where(columns.instance_id.in_(ids)).group_by(columns.instance_id)
        ).all()
        counts[str(table.__tablename__)] = {int(i): int(n) for i, n in result}
    return [
        InstanceSummary(
            id=r.id, name=r.name, base_year=r.base_year, source=r.source, created_at=r.created_at,
            localities=counts["localities"].get(r.id, 0), settings=counts["settings"].get(r.id, 0),
            learners=counts["learners"].get(r.id, 0), teams=counts["teams"].get(r.id, 0),
            forecasts=counts["forecasts"].get(r.id, 0),
        )
        for r in rows
        if r.id is not None
    ]


def latest_instance_id(session: Session, name: str | None = None) -> int | None:
    """The most recently stored instance (optionally with a given name), or None when there is none."""
    query = select(func.max(col(InstanceRow.id)))
    if name is not None:
        query = query.where(col(InstanceRow.name) == name)
    found = session.execute(query).scalar_one_or_none()
    return int(found) if found is not None else None


def _delete_records(session: Session, instance_id: int) -> None:
    # Explicit deletes rather than relying only on ON DELETE CASCADE: a SQLite connection opened without
    # PRAGMA foreign_keys would otherwise leave orphan records behind. The cascade stays as a safety net.
    for table in INSTANCE_OWNED_TABLES:
        columns = table.__table__.c  # type: ignore[attr-defined]
        session.execute(delete(table.__table__).where(columns.instance_id == instance_id))  # type: ignore[attr-defined]


def delete_instance(session: Session, instance_id: int, *, delete_scenarios: bool = False) -> None:
    """Delete an instance and its records. Runs that used it keep their results (their instance_id becomes NULL).

    Raises InstanceNotFound for an unknown id and InstanceInUse when scenarios are built on it, unless
    `delete_scenarios` is True (then those scenarios go too; their runs keep their results).
    """
    row = _instance_row(session, instance_id)
    scenarios = session.execute(
        select(col(ScenarioRow.id), col(ScenarioRow.name)).where(col(ScenarioRow.base_instance_id) == instance_id)
    ).all()
    if scenarios and not delete_scenarios:
        raise InstanceInUse(instance_id, sorted(name for _, name in scenarios))
    scenario_ids = [scenario_id for scenario_id, _ in scenarios]
    if scenario_ids:
        session.execute(update(RunRow).where(col(RunRow.scenario_id).in_(scenario_ids)).values(scenario_id=None))
        session.execute(
            update(ScenarioRow).where(col(ScenarioRow.parent_scenario_id).in_(scenario_ids))
            .values(parent_scenario_id=None)
        )
        session.execute(delete(ScenarioRow).where(col(ScenarioRow.id).in_(scenario_ids)))
    session.execute(update(RunRow).where(col(RunRow.instance_id) == instance_id).values(instance_id=None))
    # Runs of a deleted council belong to no council (admins only), and its members lose it: a reused instance id
    # must not inherit either (explicit, like _delete_records, in case foreign keys are off on this connection).
    session.execute(update(RunRow).where(col(RunRow.council_id) == instance_id).values(council_id=None))
    session.execute(delete(MembershipRow).where(col(MembershipRow.instance_id) == instance_id))
    _delete_records(session, instance_id)
    session.delete(row)
    session.flush()


def overwrite_instance(session: Session, instance_id: int, instance: Instance, source: str) -> None:
    """Replace an instance's records in place: same id, so its scenarios and runs still point at it.

    The travel matrix is replaced by the instance's own `travel_times` (a loaded instance carries its matrix, so
    load, change, overwrite keeps it; pairs to records that no longer exist cannot survive).
    """
    _check_storable(instance, source)
    row = _instance_row(session, instance_id)
    for table in INSTANCE_OWNED_TABLES:
        columns = table.__table__.c  # type: ignore[attr-defined]
        session.execute(delete(table.__table__).where(columns.instance_id == instance_id))  # type: ignore[attr-defined]
    row.name = instance.name
    row.base_year = instance.base_year
    row.census_date = instance.census_date
    row.source = source
    row.meta = dict(instance.metadata)
    row.data_version = (row.data_version or 1) + 1  # runs on the old data are now stale
    session.add(row)
    session.flush()
    _insert_records(session, instance_id, instance)


def replace_instance(session: Session, instance: Instance, source: str) -> int:
    """Store an instance in place of any earlier one with the same name; returns its id.

    The newest earlier instance is overwritten in place (its scenarios and runs keep pointing at it); older
    duplicates are deleted after their scenarios are moved onto the kept one. With no earlier instance this is
    `save_instance`.
    """
    earlier = session.execute(
        select(col(InstanceRow.id)).where(col(InstanceRow.name) == instance.name).order_by(col(InstanceRow.id).desc())
    ).scalars().all()
    if not earlier:
        return save_instance(session, instance, source)
    kept, *older = (int(i) for i in earlier if i is not None)
    if older:
        session.execute(
            update(ScenarioRow).where(col(ScenarioRow.base_instance_id).in_(older)).values(base_instance_id=kept)
        )
        for old_id in older:
            delete_instance(session, old_id)
    overwrite_instance(session, kept, instance, source)
    return kept


# --------------------------------------------------------------------------------------------------------------
# Queries for list views


def _need_code(need: Need | str) -> str:
    return need.value if isinstance(need, Need) else parse_need(need).value


def _kind_code(kind: SettingKind | str) -> str:
    if isinstance(kind, SettingKind):
        return kind.value
    try:
        return SettingKind(kind.strip().lower()).value
    except ValueError:
        raise ValueError(
            f"unknown setting kind {kind!r}: expected one of {', '.join(k.value for k in SettingKind)}"
        ) from None


def _setting_filters(
    instance_id: int,
    kind: SettingKind | str | None,
    need: Need | str | None,
    locality_id: str | None,
    in_area: bool | None,
) -> list[ColumnElement[bool]]:
    columns = SettingRow.__table__.c  # type: ignore[attr-defined]
    filters: list[ColumnElement[bool]] = [columns.instance_id == instance_id]
    if kind is not None:
        filters.append(columns.kind == _kind_code(kind))
    if need is not None:
        # Designations are a JSON list of quoted codes ('["ASD", "SLD"]'); matching the quoted code is exact
        # ("SLD" does not match "PMLD") and works the same on SQLite and PostgreSQL.
        # A specialist setting with no designations takes every need (Setting.designated_needs).
        designations = cast(columns.designations, String)
        specialist = [k.value for k in SettingKind if k.is_specialist]
        undesignated = designations.not_like('%"%') & columns.kind.in_(specialist)
        filters.append(or_(designations.like(f'%"{_need_code(need)}"%'), undesignated))
    if locality_id is not None:
        filters.append(columns.locality_id == locality_id)
    if in_area is not None:
        filters.append(columns.in_area == in_area)
    return filters


def query_settings(
    session: Session,
    instance_id: int,
    kind: SettingKind | str | None = None,
    need: Need | str | None = None,
    locality_id: str | None = None,
    in_area: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SettingRow]:
    """Settings of an instance, in saved order, filtered by kind, designated need, locality and in/out of area.

    Returns rows (ids for links, cheap to serialise); `setting_from_row` turns one into a domain Setting.
    An unknown kind or need raises ValueError naming it.
    """
    query = (
        select(SettingRow)
        .where(*_setting_filters(instance_id, kind, need, locality_id, in_area))
        .order_by(col(SettingRow.position))
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars().all())


def count_settings(
    session: Session,
    instance_id: int,
    kind: SettingKind | str | None = None,
    need: Need | str | None = None,
    locality_id: str | None = None,
    in_area: bool | None = None,
) -> int:
    """How many settings `query_settings` would return without limit and offset (for paging)."""
    return int(session.execute(settings_count_query(instance_id, kind, need, locality_id, in_area)).scalar_one())


def settings_count_query(
    instance_id: int,
    kind: SettingKind | str | None = None,
    need: Need | str | None = None,
    locality_id: str | None = None,
    in_area: bool | None = None,
) -> Any:
    """SQL: the count of `count_settings` (to run on its own or inside another statement)."""
    return select(func.count()).select_from(SettingRow).where(
        *_setting_filters(instance_id, kind, need, locality_id, in_area))


def query_learners(
    session: Session,
    instance_id: int,
    need: Need | str | None = None,
    locality_id: str | None = None,
    current_setting_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[LearnerRow]:
    """Learners of an instance, in saved order, filtered by primary need, locality and current setting."""
    query = select(LearnerRow).where(col(LearnerRow.instance_id) == instance_id)
    if need is not None:
        query = query.where(col(LearnerRow.primary_need) == _need_code(need))
    if locality_id is not None:
        query = query.where(col(LearnerRow.locality_id) == locality_id)
    if current_setting_id is not None:
        query = query.where(col(LearnerRow.current_setting_id) == current_setting_id)
    query = query.order_by(col(LearnerRow.position)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars().all())


# --------------------------------------------------------------------------------------------------------------
# Travel matrix


def save_travel_matrix(
    session: Session, instance_id: int, matrix: Mapping[tuple[str, str], float], *, replace: bool = False
) -> int:
    """Store known journey times for an instance; returns how many pairs it now holds.

    Pairs already stored are updated; `replace=True` first removes every stored pair.
    """
    _instance_row(session, instance_id)
    columns = TravelTimeRow.__table__.c  # type: ignore[attr-defined]
    if replace:
        session.execute(delete(TravelTimeRow).where(columns.instance_id == instance_id))
    else:
        existing = load_travel_matrix(session, instance_id)
        overlap = [pair for pair in matrix if pair in existing]
        for origin, destination in overlap:
            session.execute(
                delete(TravelTimeRow).where(columns.instance_id == instance_id, columns.origin_id == origin,
                                            columns.destination_id == destination)
            )
    rows = [{"instance_id": instance_id, "origin_id": o, "destination_id": d, "minutes": float(m)}
            for (o, d), m in matrix.items()]
    if rows:
        session.execute(insert(TravelTimeRow.__table__), rows)  # type: ignore[attr-defined]
    total = session.execute(select(func.count()).select_from(TravelTimeRow).where(columns.instance_id == instance_id))
    return int(total.scalar_one())


def load_travel_matrix(session: Session, instance_id: int) -> dict[tuple[str, str], float]:
    """The stored journey times of an instance, keyed (origin_id, destination_id) as TravelModel.matrix expects."""
    columns = TravelTimeRow.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        select(columns.origin_id, columns.destination_id, columns.minutes).where(columns.instance_id == instance_id)
    ).all()
    return {(o, d): float(m) for o, d, m in rows}


# --------------------------------------------------------------------------------------------------------------
# Single-record writes (the API's create and update routes; the caller has checked the instance's integrity)

def _record_table(record: Setting | Learner) -> tuple[type[SQLModel], str, dict[str, Any]]:
    if isinstance(record, Setting):
        return SettingRow, "setting_id", _setting_row(record)
    return LearnerRow, "learner_id", _learner_row(record)


def touch_data(session: Session, instance_id: int) -> None:
    """Record that an instance's learners or settings changed: runs that read the old data are stale from now on
    (api.scenario_store.stale_reasons). Every write to them calls this (overwrite_instance, the record writes and
    deletes)."""
    session.execute(_TOUCH_DATA, {"touched_instance": instance_id})


# Built once (a Core UPDATE of the table: the ORM's bulk update evaluated the change against the session's objects,
# which cost as much as the rest of a learner write).
_INSTANCES = InstanceRow.__table__  # type: ignore[attr-defined]
_TOUCH_DATA = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("touched_instance")) \
    .values(data_version=_INSTANCES.c.data_version + 1)


def append_record(session: Session, instance_id: int, record: Setting | Learner) -> None:
    """Store one new setting or learner after the instance's existing ones (load order is kept)."""
    touch_data(session, instance_id)
    table, _, row = _record_table(record)
    columns = table.__table__.c  # type: ignore[attr-defined]
    last = session.execute(select(func.max(columns.position)).where(columns.instance_id == instance_id)).scalar()
    session.execute(insert(table.__table__), [{**row, "instance_id": instance_id,  # type: ignore[attr-defined]
                                               "position": (last or 0) + 1}])


def update_record(session: Session, instance_id: int, record: Setting | Learner,
                  previous: Setting | Learner | None = None) -> None:
    """Replace the stored fields of one existing setting or learner (same id, same position).

    With `previous` (the record as stored), only the columns that differ are written: a PATCH of one field is an
    UPDATE of one column (building the statement for every column cost more than the rest of the write).
    """
    table, id_column, row = _record_table(record)
    columns = table.__table__.c  # type: ignore[attr-defined]
    before = _record_table(previous)[2] if previous is not None else {}
    values = {k: v for k, v in row.items() if k != id_column and (k not in before or before[k] != v)}
    if not values:
        return  # nothing changed: runs on this data stay current
    session.execute(update(table.__table__).where(columns.instance_id == instance_id,  # type: ignore[attr-defined]
                                                  columns[id_column] == row[id_column]).values(**values))
    # Last: raising the version locks the instance's row until the commit, and every writer of the council waits
    # on that lock, so it is taken as late as the write allows (callers write their audit event before this).
    touch_data(session, instance_id)
