"""Settings (schools, bases, colleges) of a stored instance: aggregates, readable by every role; admin writes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Text, bindparam, cast, delete
from sqlalchemy import select as core_select
from sqlmodel import col, select

from api import store
from api.audit import record_audit
from api.auth import CurrentPrincipal, Role, allow
from api.deps import ReadSessionDep, SessionDep
from api.problems import ProblemError
from api.routes._common import (
    IdFilter,
    InstanceId,
    Limit,
    Offset,
    RecordId,
    checked_replace,
    instance_row,
    json_response,
    load,
)
from api.schemas import Page, SettingCreate, SettingPublic, SettingUpdate
from api.tables import SettingRow
from planner.domain.codes import Need, SettingKind
from planner.domain.models import Setting

router = APIRouter(tags=["settings"])
EVERYONE = (Role.OFFICER, Role.COMMISSIONER, Role.PLANNER)


def _public(setting: Setting) -> SettingPublic:
    data = setting.model_dump(mode="json")
    data["designations"] = sorted(data["designations"])
    return SettingPublic.model_validate(data)


def _domain(setting_id: str, fields: dict[str, Any]) -> Setting:
    try:
        return Setting.model_validate({**fields, "id": setting_id})
    except ValueError as error:
        raise ProblemError(422, "Validation failed", str(error).splitlines()[0] if str(error) else "invalid setting",
                           type_slug="validation-failed",
                           errors=[{"loc": ["body"], "msg": str(error)[:500], "type": "value_error"}]) from None


# The columns the list route reads, in the order `_public_json` unpacks them.
LIST_COLUMNS = ("setting_id", "name", "kind", "designations", "ncy_min", "ncy_max", "capacity", "capacity_by_phase",
                "cost_per_place", "location_easting", "location_northing", "locality_id", "in_area", "status",
                "opens_year", "closes_year", "host_setting_id", "urn")


def _public_json(row: tuple[Any, ...], designations: list[str], capacity_by_phase: dict[str, int]) -> dict[str, Any]:
    """One list item from a row of LIST_COLUMNS and its two JSON columns (decoded for the whole page at once).

    Exactly what `_public(store.setting_from_row(row))` serialises to (a test compares them on every item). Stored
    settings passed the domain checks when they were written, and validating 50 rows again per page was the
    largest single cost of this route (positional unpacking: reading a Row by attribute name is slow too).
    """
    (setting_id, name, kind, _, ncy_min, ncy_max, capacity, _, cost_per_place, easting,
     northing, locality_id, in_area, status, opens_year, closes_year, host_setting_id, urn) = row
    return {
        "id": setting_id, "name": name, "kind": kind, "designations": sorted(designations), "ncy_min": ncy_min,
        "ncy_max": ncy_max, "capacity": capacity, "capacity_by_phase": capacity_by_phase,
        "cost_per_place": cost_per_place, "location": {"easting": easting, "northing": northing},
        "locality_id": locality_id, "in_area": in_area, "status": status, "opens_year": opens_year,
        "closes_year": closes_year, "host_setting_id": host_setting_id, "urn": urn,
    }


# The JSON columns of LIST_COLUMNS: read as text and decoded with one json.loads per page (SQLAlchemy's JSON type
# decodes each value on its own, which cost more than the rest of the page).
JSON_LIST_COLUMNS = ("designations", "capacity_by_phase")


def _page_columns() -> list[Any]:
    """LIST_COLUMNS, with the JSON columns read as text."""
    columns = SettingRow.__table__.c  # type: ignore[attr-defined]
    return [cast(columns[name], Text) if name in JSON_LIST_COLUMNS else columns[name] for name in LIST_COLUMNS]


def _decode_json_columns(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Per row: (designations, capacity_by_phase), decoded from the stored JSON texts in one pass."""
    first, second = (LIST_COLUMNS.index(name) for name in JSON_LIST_COLUMNS)
    decoded = json.loads("[" + ",".join(f"[{row[first]},{row[second]}]" for row in rows) + "]")
    return [tuple(values) for values in decoded]


def _page_statement(kind: SettingKind | None = None, need: Need | None = None, locality_id: str | None = None,
                    in_area: bool | None = None) -> Any:
    """A page of settings and, in every row, the total: one statement, one round trip to the database. The total
    is an uncorrelated scalar subquery, which PostgreSQL and SQLite evaluate once (a window count made SQLite sort
    every matching row). The instance, offset and limit are the bound parameters `instance`, `page_offset` and
    `page_limit`."""
    columns = SettingRow.__table__.c  # type: ignore[attr-defined]
    instance: Any = bindparam("instance")
    filters = store._setting_filters(instance, kind, need, locality_id, in_area)  # type: ignore[arg-type]
    total = store.settings_count_query(instance, kind, need, locality_id, in_area)  # type: ignore[arg-type]
    return (core_select(*_page_columns(), total.scalar_subquery()).where(*filters).order_by(columns.position)
            .offset(bindparam("page_offset")).limit(bindparam("page_limit")))


# The list without filters (what the dashboard and pollers ask for), built once: building and hashing the
# statement cost a fifth of the route's time.
_UNFILTERED_PAGE = _page_statement()


@router.get("/instances/{instance_id}/settings", response_model=Page[SettingPublic], **allow(*EVERYONE))
def list_settings(instance_id: InstanceId, session: ReadSessionDep, limit: Limit = 50,
                  offset: Offset = 0, kind: SettingKind | None = None, need: Need | None = None,
                  locality_id: IdFilter = None, in_area: bool | None = None) -> Response:
    """Settings in saved order; filter by kind, designated need, locality and in/out of area."""
    unfiltered = kind is None and need is None and locality_id is None and in_area is None
    statement = _UNFILTERED_PAGE if unfiltered else _page_statement(kind, need, locality_id, in_area)
    rows = [tuple(r) for r in session.connection().execute(  # Core: no ORM layer for plain columns
        statement, {"instance": instance_id, "page_offset": offset, "page_limit": limit}).all()]
    total = int(rows[0][-1]) if rows else store.count_settings(session, instance_id, kind, need, locality_id, in_area)
    rows = [row[:-1] for row in rows]
    if not total:  # no settings at all: is there no such instance (404)?
        instance_row(session, instance_id)
    session.close()  # nothing to commit: release the connection here rather than in another thread hop
    items = [_public_json(row, *json_columns)
             for row, json_columns in zip(rows, _decode_json_columns(rows), strict=True)]
    body = {"items": items, "total": total, "limit": limit, "offset": offset}
    return json_response(body, total)


def _row(session: SessionDep, instance_id: int, setting_id: str) -> SettingRow:
    row = session.exec(select(SettingRow).where(col(SettingRow.instance_id) == instance_id,
                                                col(SettingRow.setting_id) == setting_id)).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no setting {setting_id!r} in instance {instance_id}")
    return row


@router.get("/instances/{instance_id}/settings/{setting_id}", response_model=SettingPublic, **allow(*EVERYONE))
def get_setting(instance_id: InstanceId, setting_id: RecordId, session: ReadSessionDep) -> SettingPublic:
    return _public(store.setting_from_row(_row(session, instance_id, setting_id)))


@router.post("/instances/{instance_id}/settings", response_model=SettingPublic, status_code=201, **allow())
def create_setting(instance_id: InstanceId, body: SettingCreate, session: SessionDep, principal: CurrentPrincipal,
                   request: Request, response: Response) -> SettingPublic:
    instance = load(session, instance_id)
    if body.id in instance.setting_by_id:
        raise ProblemError(409, "Conflict", f"setting {body.id!r} already exists in instance {instance_id}")
    setting = _domain(body.id, body.model_dump(exclude={"id"}))
    checked_replace(instance, settings=(*instance.settings, setting))
    store.append_record(session, instance_id, setting)
    record_audit(session, principal, request, action="create", resource_type="setting", resource_id=setting.id,
                 instance_id=str(instance_id))
    session.commit()
    response.headers["Location"] = f"/api/v1/instances/{instance_id}/settings/{setting.id}"
    return _public(setting)


@router.patch("/instances/{instance_id}/settings/{setting_id}", response_model=SettingPublic, **allow())
def update_setting(instance_id: InstanceId, setting_id: RecordId, body: SettingUpdate, session: SessionDep,
                   principal: CurrentPrincipal, request: Request) -> SettingPublic:
    instance = load(session, instance_id)
    current = instance.setting_by_id.get(setting_id)
    if current is None:
        raise ProblemError(404, "Not Found", f"no setting {setting_id!r} in instance {instance_id}")
    merged = {**current.model_dump(exclude={"id"}), **body.model_dump(exclude_unset=True)}
    setting = _domain(setting_id, merged)
    checked_replace(instance, settings=tuple(setting if s.id == setting_id else s for s in instance.settings))
    store.update_record(session, instance_id, setting)
    record_audit(session, principal, request, action="update", resource_type="setting", resource_id=setting_id,
                 instance_id=str(instance_id))
    session.commit()
    return _public(setting)


@router.delete("/instances/{instance_id}/settings/{setting_id}", status_code=204, **allow())
def delete_setting(instance_id: InstanceId, setting_id: RecordId, session: SessionDep, principal: CurrentPrincipal,
                   request: Request) -> Response:
    """Delete a setting; refused (409) while learners, bases or teams refer to it."""
    instance = load(session, instance_id)
    if setting_id not in instance.setting_by_id:
        raise ProblemError(404, "Not Found", f"no setting {setting_id!r} in instance {instance_id}")
    try:
        checked_replace(instance, settings=tuple(s for s in instance.settings if s.id != setting_id))
    except ProblemError as problem:
        raise ProblemError(409, "Conflict", f"setting {setting_id!r} is still referred to: {problem.detail}",
                           errors=problem.errors) from None
    store.touch_data(session, instance_id)  # runs on the old data are stale from now on
    session.execute(delete(SettingRow).where(col(SettingRow.instance_id) == instance_id,
                                             col(SettingRow.setting_id) == setting_id))
    record_audit(session, principal, request, action="delete", resource_type="setting", resource_id=setting_id,
                 instance_id=str(instance_id))
    session.commit()
    return Response(status_code=204)
