"""Scenarios: a base instance plus ordered what-if edits, with lineage (a child refines its parent).

Commissioners and planners (and admins) create and read them; they hold no learner-level data. Each is scoped to
its base instance's council and owned by its creator: only a user holding the owner's role in that council (or an
admin) may change or delete it (`api.scoping`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from api.audit import record_audit
from api.auth import CurrentPrincipal, Principal, Role, allow, check_council_role
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes._common import MAX_DB_INT, Limit, Offset, instance_row, set_total
from api.schemas import Page, ScenarioCreate, ScenarioPublic, ScenarioUpdate
from api.scoping import check_can_change, council_condition, scenario_for
from api.tables import RunRow, ScenarioRow

router = APIRouter(tags=["scenarios"])
SCENARIO_ROLES = (Role.COMMISSIONER, Role.PLANNER)
ScenarioId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Scenario id")]
MAX_LINEAGE = 50


def _public(row: ScenarioRow) -> ScenarioPublic:
    return ScenarioPublic.model_validate(row.model_dump())


def _get(session: Session, principal: Principal, scenario_id: int) -> ScenarioRow:
    """A scenario of one of the caller's councils (404 otherwise, as for a missing id; 403 role there)."""
    return scenario_for(session, principal, scenario_id, SCENARIO_ROLES)


def _changeable(session: Session, principal: Principal, scenario_id: int) -> ScenarioRow:
    """A scenario the caller may change or delete: its owner's role in its council, or an admin (else 403)."""
    row = _get(session, principal, scenario_id)
    check_can_change(principal, row.base_instance_id, row.owner_user_id, row.owner_role, f"scenario {scenario_id}")
    return row


def lineage(session: Session, scenario: ScenarioRow) -> list[ScenarioRow]:
    """The scenario and its ancestors, root first."""
    chain = [scenario]
    seen = {scenario.id}
    while chain[0].parent_scenario_id is not None and len(chain) < MAX_LINEAGE:
        parent = session.get(ScenarioRow, chain[0].parent_scenario_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        chain.insert(0, parent)
    return chain


def _check_edits(edits: list[dict[str, Any]], offset: int = 0) -> None:
    """Edits are validated now (their shape), so a bad one is a clear 422 naming its index and field."""
    try:
        from scenarios.what_if import ScenarioEditError, parse_edits
    except ModuleNotFoundError:
        return
    try:
        parse_edits(edits)
    except ScenarioEditError as error:
        raise ProblemError(422, "Invalid scenario edit", str(error), type_slug="invalid-scenario-edit",
                           errors=[{"loc": ["body", "edits", error.index, error.field], "msg": str(error),
                                    "type": "value_error"}]) from None


def _unique_name(session: Session, name: str, exclude_id: int | None = None) -> None:
    found = session.exec(select(ScenarioRow.id).where(col(ScenarioRow.name) == name)).first()
    if found is not None and found != exclude_id:
        # no id: the scenario may belong to another council (names are unique across the database)
        raise ProblemError(409, "Conflict", f"a scenario named {name!r} already exists: choose another name")


@router.get("/scenarios", response_model=Page[ScenarioPublic], **allow(*SCENARIO_ROLES))
def list_scenarios(session: SessionDep, principal: CurrentPrincipal, response: Response, limit: Limit = 50,
                   offset: Offset = 0,
                   base_instance_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
                   parent_scenario_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
                   ) -> Page[ScenarioPublic]:
    """Scenarios of the caller's councils (where their role may use scenarios), oldest first."""
    conditions = council_condition(ScenarioRow.base_instance_id, principal, SCENARIO_ROLES)
    if base_instance_id is not None:
        conditions.append(col(ScenarioRow.base_instance_id) == base_instance_id)
    if parent_scenario_id is not None:
        conditions.append(col(ScenarioRow.parent_scenario_id) == parent_scenario_id)
    total = int(session.exec(select(func.count()).select_from(ScenarioRow).where(*conditions)).one())
    rows = session.exec(select(ScenarioRow).where(*conditions).order_by(col(ScenarioRow.id))
                        .offset(offset).limit(limit)).all()
    set_total(response, total)
    return Page(items=[_public(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/scenarios", response_model=ScenarioPublic, status_code=201, **allow(*SCENARIO_ROLES))
def create_scenario(body: ScenarioCreate, session: SessionDep, principal: CurrentPrincipal, request: Request,
                    response: Response) -> ScenarioPublic:
    role = check_council_role(principal, body.base_instance_id, SCENARIO_ROLES)
    instance_row(session, body.base_instance_id)
    if body.parent_scenario_id is not None:
        parent = _get(session, principal, body.parent_scenario_id)
        if parent.base_instance_id != body.base_instance_id:
            raise ProblemError(422, "Invalid lineage", f"the parent scenario {parent.id} is built on instance "
                               f"{parent.base_instance_id}, not {body.base_instance_id}",
                               errors=[{"loc": ["body", "parent_scenario_id"], "msg": "different base instance",
                                        "type": "value_error"}])
    _check_edits(body.edits)
    _unique_name(session, body.name)
    row = ScenarioRow(name=body.name, description=body.description, base_instance_id=body.base_instance_id,
                      parent_scenario_id=body.parent_scenario_id, edits=body.edits, created_by=principal.user_name,
                      owner_user_id=principal.user_id, owner_role=role.value)
    session.add(row)
    session.flush()
    record_audit(session, principal, request, action="create", resource_type="scenario", resource_id=str(row.id),
                 instance_id=str(body.base_instance_id))
    session.commit()
    session.refresh(row)
    response.headers["Location"] = f"/api/v1/scenarios/{row.id}"
    return _public(row)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioPublic, **allow(*SCENARIO_ROLES))
def get_scenario(scenario_id: ScenarioId, session: SessionDep, principal: CurrentPrincipal) -> ScenarioPublic:
    return _public(_get(session, principal, scenario_id))


@router.get("/scenarios/{scenario_id}/lineage", response_model=list[ScenarioPublic], **allow(*SCENARIO_ROLES))
def get_lineage(scenario_id: ScenarioId, session: SessionDep, principal: CurrentPrincipal) -> list[ScenarioPublic]:
    """The scenario's ancestors and itself, root first: their edits apply in this order."""
    return [_public(r) for r in lineage(session, _get(session, principal, scenario_id))]


@router.patch("/scenarios/{scenario_id}", response_model=ScenarioPublic, **allow(*SCENARIO_ROLES))
def update_scenario(scenario_id: ScenarioId, body: ScenarioUpdate, session: SessionDep,
                    principal: CurrentPrincipal, request: Request) -> ScenarioPublic:
    row = _changeable(session, principal, scenario_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "edits" in changes:
        _check_edits(changes["edits"])
    if "name" in changes:
        _unique_name(session, changes["name"], exclude_id=row.id)
    for name, value in changes.items():
        setattr(row, name, value)
    session.add(row)
    record_audit(session, principal, request, action="update", resource_type="scenario", resource_id=str(row.id),
                 instance_id=str(row.base_instance_id))
    session.commit()
    session.refresh(row)
    return _public(row)


@router.delete("/scenarios/{scenario_id}", status_code=204, **allow(*SCENARIO_ROLES))
def delete_scenario(scenario_id: ScenarioId, session: SessionDep, principal: CurrentPrincipal,
                    request: Request) -> Response:
    """Delete a scenario (refused while child scenarios build on it); its runs keep their results."""
    row = _changeable(session, principal, scenario_id)
    children = session.exec(select(ScenarioRow.id).where(col(ScenarioRow.parent_scenario_id) == scenario_id)).all()
    if children:
        raise ProblemError(409, "Conflict", f"scenarios {', '.join(str(c) for c in children)} build on scenario "
                           f"{scenario_id}: delete them first")
    session.execute(update(RunRow).where(col(RunRow.scenario_id) == scenario_id).values(scenario_id=None))
    session.delete(row)
    record_audit(session, principal, request, action="delete", resource_type="scenario",
                 resource_id=str(scenario_id), instance_id=str(row.base_instance_id))
    session.commit()
    return Response(status_code=204)
