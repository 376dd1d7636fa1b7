"""Stored instances, and the localities and outreach teams in them (read-only: they change with the instance)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import func
from sqlmodel import col, select

from api import store
from api.audit import record_audit
from api.auth import CurrentPrincipal, Role, allow
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes._common import IdFilter, InstanceId, Limit, Offset, RecordId, instance_row, set_total
from api.schemas import InstanceCreate, InstancePublic, LocalityPublic, Page, TeamPublic
from api.scoping import councils_with
from api.tables import InstanceRow, LocalityRow, TeamRow

router = APIRouter(tags=["instances"])
EVERYONE = (Role.OFFICER, Role.COMMISSIONER, Role.PLANNER)


def _public(summary: store.InstanceSummary) -> InstancePublic:
    return InstancePublic.model_validate(summary.model_dump())


def instance_public(session: SessionDep, instance_id: int) -> InstancePublic:
    row = instance_row(session, instance_id)
    found = [s for s in store.list_instances(session, row.name) if s.id == instance_id]
    return _public(found[0])


@router.get("/instances", response_model=Page[InstancePublic], **allow(*EVERYONE))
def list_instances(
    session: SessionDep, principal: CurrentPrincipal, response: Response, limit: Limit = 50, offset: Offset = 0,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Page[InstancePublic]:
    """The caller's councils (every stored instance for admins), oldest first, with record counts; `name` filters
    by exact name."""
    councils = councils_with(principal, EVERYONE)
    summaries = [s for s in store.list_instances(session, name) if councils is None or s.id in councils]
    set_total(response, len(summaries))
    return Page(items=[_public(s) for s in summaries[offset:offset + limit]], total=len(summaries), limit=limit,
                offset=offset)


@router.post("/instances", response_model=InstancePublic, status_code=status.HTTP_201_CREATED, **allow())
def create_instance(body: InstanceCreate, session: SessionDep, principal: CurrentPrincipal, request: Request,
                    response: Response) -> InstancePublic:
    """Store a whole instance: a new council, so admins only (they then grant its members with
    `placeplan users grant`)."""
    instance_id = store.save_instance(session, body.instance, body.source)
    record_audit(session, principal, request, action="create", resource_type="instance",
                 resource_id=str(instance_id), instance_id=str(instance_id))
    session.commit()
    response.headers["Location"] = f"/api/v1/instances/{instance_id}"
    return instance_public(session, instance_id)


@router.get("/instances/{instance_id}", response_model=InstancePublic, **allow(*EVERYONE))
def get_instance(instance_id: InstanceId, session: SessionDep) -> InstancePublic:
    return instance_public(session, instance_id)


@router.delete("/instances/{instance_id}", status_code=status.HTTP_204_NO_CONTENT, **allow())
def delete_instance(instance_id: InstanceId, session: SessionDep, principal: CurrentPrincipal, request: Request,
                    delete_scenarios: bool = False) -> Response:
    """Delete an instance and its records (admin). Runs keep their results; scenarios block it unless asked."""
    instance_row(session, instance_id)
    try:
        store.delete_instance(session, instance_id, delete_scenarios=delete_scenarios)
    except store.InstanceInUse as error:
        raise ProblemError(409, "Conflict", str(error)) from None
    record_audit(session, principal, request, action="delete", resource_type="instance",
                 resource_id=str(instance_id), instance_id=str(instance_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _locality(row: LocalityRow) -> LocalityPublic:
    return LocalityPublic.model_validate(store.locality_from_row(row).model_dump())


@router.get("/instances/{instance_id}/localities", response_model=Page[LocalityPublic], **allow(*EVERYONE))
def list_localities(instance_id: InstanceId, session: SessionDep, response: Response, limit: Limit = 50,
                    offset: Offset = 0, in_area: bool | None = None) -> Page[LocalityPublic]:
    instance_row(session, instance_id)
    conditions = [col(LocalityRow.instance_id) == instance_id]
    if in_area is not None:
        conditions.append(col(LocalityRow.in_area) == in_area)
    total = int(session.exec(select(func.count()).select_from(LocalityRow).where(*conditions)).one())
    rows = session.exec(select(LocalityRow).where(*conditions).order_by(col(LocalityRow.position))
                        .offset(offset).limit(limit)).all()
    set_total(response, total)
    return Page(items=[_locality(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/instances/{instance_id}/localities/{locality_id}", response_model=LocalityPublic, **allow(*EVERYONE))
def get_locality(instance_id: InstanceId, locality_id: RecordId, session: SessionDep) -> LocalityPublic:
    row = session.exec(select(LocalityRow).where(col(LocalityRow.instance_id) == instance_id,
                                                 col(LocalityRow.locality_id) == locality_id)).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no locality {locality_id!r} in instance {instance_id}")
    return _locality(row)


def _team(row: TeamRow) -> TeamPublic:
    team = store.team_from_row(row)
    return TeamPublic(id=team.id, name=team.name, specialisms=sorted(team.specialisms),
                      hours_per_week=team.hours_per_week, locality_ids=sorted(team.locality_ids), base=team.base)


@router.get("/instances/{instance_id}/teams", response_model=Page[TeamPublic], **allow(*EVERYONE))
def list_teams(instance_id: InstanceId, session: SessionDep, response: Response, limit: Limit = 50,
               offset: Offset = 0, locality_id: IdFilter = None) -> Page[TeamPublic]:
    instance_row(session, instance_id)
    rows = [r for r in session.exec(select(TeamRow).where(col(TeamRow.instance_id) == instance_id)
                                    .order_by(col(TeamRow.position))).all()
            if locality_id is None or not r.locality_ids or locality_id in r.locality_ids]
    set_total(response, len(rows))
    return Page(items=[_team(r) for r in rows[offset:offset + limit]], total=len(rows), limit=limit, offset=offset)


@router.get("/instances/{instance_id}/teams/{team_id}", response_model=TeamPublic, **allow(*EVERYONE))
def get_team(instance_id: InstanceId, team_id: RecordId, session: SessionDep) -> TeamPublic:
    row = session.exec(select(TeamRow).where(col(TeamRow.instance_id) == instance_id,
                                             col(TeamRow.team_id) == team_id)).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no team {team_id!r} in instance {instance_id}")
    return _team(row)


__all__ = ["router", "InstanceRow"]
