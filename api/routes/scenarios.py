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
from api.scenario_store import (
    CouncilRecords,
    baseline_entry,
    council_edit_problem,
    lineage_rows,
    reserved_names,
    shipped_entries,
)
from api.schemas import Page, ScenarioCreate, ScenarioPublic, ScenarioUpdate
from api.scoping import check_can_change, council_condition, scenario_for
from api.tables import RunRow, ScenarioRow, utc_now

router = APIRouter(tags=["scenarios"])
SCENARIO_ROLES = (Role.COMMISSIONER, Role.PLANNER)
ScenarioId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Scenario id")]


def _public(session: Session, row: ScenarioRow, councils: dict[int, CouncilRecords] | None = None
            ) -> ScenarioPublic:
    """A stored scenario with its lineage's names and, when the council's data has changed under it, the problem."""
    chain = lineage(session, row)
    councils = {} if councils is None else councils
    if row.base_instance_id not in councils:
        councils[row.base_instance_id] = CouncilRecords.load(session, row.base_instance_id)
    found = council_edit_problem([r.edits or [] for r in chain], councils[row.base_instance_id])
    problem = None if found is None else (
        f"scenario {chain[found.member].name!r}, edit {found.index + 1}: {found.message}")
    return ScenarioPublic.model_validate({**row.model_dump(), "key": str(row.id), "source": "stored",
                                         "editable": True, "lineage": [r.name for r in chain],
                                         "run_target": {"scenario_id": row.id}, "problem": problem})


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
    return lineage_rows(session, scenario)


def _edit_error(index: int, field: str, message: str) -> ProblemError:
    """A 422 naming the edit as the dashboard numbers it (1-based); `loc` keeps the JSON position (0-based)."""
    return ProblemError(422, "Invalid scenario edit", message, type_slug="invalid-scenario-edit",
                        errors=[{"loc": ["body", "edits", index, field], "msg": message, "type": "value_error"}])


def _check_shape(edits: list[dict[str, Any]]) -> None:
    """Each edit is a known operation with valid fields (scenarios.what_if)."""
    from scenarios.what_if import ScenarioEditError, parse_edit

    for index, raw in enumerate(edits):
        try:
            parse_edit(index, raw)
        except ScenarioEditError as error:
            detail = str(error).partition(": ")[2]  # "<field>: <message>" after what_if's 0-based "edit N (op)"
            label = f"edit {index + 1}" + (f" ({error.op})" if error.op else "")
            raise _edit_error(index, error.field, f"{label}: {detail}") from None


def _check_council(session: Session, base_instance_id: int, chain: list[ScenarioRow], edits: list[dict[str, Any]],
                   subject: str | None = None) -> None:
    """Every setting and locality the edits (after their ancestors') name exists in the council, no year is before
    its base year. `chain` holds the ancestors, root first; `subject` names a descendant being re-checked."""
    council = CouncilRecords.load(session, base_instance_id)
    problem = council_edit_problem([r.edits or [] for r in chain] + [edits], council)
    if problem is None:
        if subject is None:
            _check_fitting(session, base_instance_id, edits)
        return
    message = f"edit {problem.index + 1}: {problem.message}"
    if problem.member < len(chain):
        message = f"scenario {chain[problem.member].name!r} (which this builds on), {message}"
    if subject is not None:
        message = f"scenario {subject!r} (which builds on this one) would break: {message}"
    index = problem.index if problem.member == len(chain) and subject is None else 0
    raise _edit_error(index, problem.field, message)


def _check_fitting(session: Session, base_instance_id: int, edits: list[dict[str, Any]]) -> None:
    """The scenario's own edits that choose the council's settings (scenarios.fitting) find something to choose."""
    from scenarios.fitting import FITTING_OPS, DoesNotFit, FittingEdit, resolve
    from scenarios.what_if import parse_edit

    chosen = [(i, e) for i, e in enumerate(edits) if e.get("op") in FITTING_OPS]
    if not chosen:
        return
    from api import store

    instance = store.load_instance(session, base_instance_id)
    for index, raw in chosen:
        edit = parse_edit(index, raw)
        if not isinstance(edit, FittingEdit):
            continue
        try:
            resolve(instance, edit)
        except DoesNotFit as error:
            raise _edit_error(index, "pick", f"edit {index + 1} ({edit.op}): does not fit: {error.reason}") from None


def _check_descendants(session: Session, row: ScenarioRow, edits: list[dict[str, Any]]) -> None:
    """Scenarios building on `row` still fit once its edits change."""
    pending = [row]
    while pending:
        parent = pending.pop()
        children = session.exec(select(ScenarioRow).where(col(ScenarioRow.parent_scenario_id) == parent.id)).all()
        for child in children:
            chain = lineage(session, child)[:-1]
            chain = [r if r.id != row.id else ScenarioRow(name=r.name, edits=edits, base_instance_id=0)
                     for r in chain]
            _check_council(session, child.base_instance_id, chain, child.edits or [], subject=child.name)
            pending.append(child)


def _unique_name(session: Session, name: str, exclude_id: int | None = None) -> None:
    if name in reserved_names():
        raise ProblemError(409, "Conflict", f"the name {name!r} is taken by the baseline or a shipped scenario: "
                           "choose another")
    found = session.exec(select(ScenarioRow.id).where(col(ScenarioRow.name) == name)).first()
    if found is not None and found != exclude_id:
        # no id: the scenario may belong to another council (names are unique across the database)
        raise ProblemError(409, "Conflict", f"a scenario named {name!r} already exists: choose another name")


@router.get("/scenarios", response_model=Page[ScenarioPublic], **allow(*SCENARIO_ROLES))
def list_scenarios(session: SessionDep, principal: CurrentPrincipal, response: Response, limit: Limit = 50,
                   offset: Offset = 0,
                   base_instance_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
                   parent_scenario_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
                   catalogue: Annotated[bool, Query(description="With base_instance_id: list the baseline and the "
                                                    "shipped scenarios that fit the council first")] = False,
                   ) -> Page[ScenarioPublic]:
    """Scenarios of the caller's councils (where their role may use scenarios), oldest first."""
    conditions = council_condition(ScenarioRow.base_instance_id, principal, SCENARIO_ROLES)
    if base_instance_id is not None:
        conditions.append(col(ScenarioRow.base_instance_id) == base_instance_id)
    if parent_scenario_id is not None:
        conditions.append(col(ScenarioRow.parent_scenario_id) == parent_scenario_id)
    extra: list[ScenarioPublic] = []
    if catalogue and base_instance_id is not None and parent_scenario_id is None:
        instance_row(session, base_instance_id)
        extra = [ScenarioPublic.model_validate(e) for e in
                 [baseline_entry(base_instance_id), *shipped_entries(session, base_instance_id)]]
    stored_total = int(session.exec(select(func.count()).select_from(ScenarioRow).where(*conditions)).one())
    shown = extra[offset:offset + limit]
    rows = session.exec(select(ScenarioRow).where(*conditions).order_by(col(ScenarioRow.id))
                        .offset(max(0, offset - len(extra))).limit(limit - len(shown))).all()
    total = stored_total + len(extra)
    set_total(response, total)
    councils: dict[int, CouncilRecords] = {}
    return Page(items=shown + [_public(session, r, councils) for r in rows], total=total, limit=limit,
                offset=offset)


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
    _check_shape(body.edits)
    parents = lineage(session, _get(session, principal, body.parent_scenario_id)) if body.parent_scenario_id else []
    _check_council(session, body.base_instance_id, parents, body.edits)
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
    return _public(session, row)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioPublic, **allow(*SCENARIO_ROLES))
def get_scenario(scenario_id: ScenarioId, session: SessionDep, principal: CurrentPrincipal) -> ScenarioPublic:
    return _public(session, _get(session, principal, scenario_id))


@router.get("/scenarios/{scenario_id}/lineage", response_model=list[ScenarioPublic], **allow(*SCENARIO_ROLES))
def get_lineage(scenario_id: ScenarioId, session: SessionDep, principal: CurrentPrincipal) -> list[ScenarioPublic]:
    """The scenario's ancestors and itself, root first: their edits apply in this order."""
    councils: dict[int, CouncilRecords] = {}
    return [_public(session, r, councils) for r in lineage(session, _get(session, principal, scenario_id))]


@router.patch("/scenarios/{scenario_id}", response_model=ScenarioPublic, **allow(*SCENARIO_ROLES))
def update_scenario(scenario_id: ScenarioId, body: ScenarioUpdate, session: SessionDep,
                    principal: CurrentPrincipal, request: Request) -> ScenarioPublic:
    """Change the name, description or edits. New edits are checked against the council (and so are those of
    the scenarios building on this one); the version rises, so earlier runs are shown as stale, never deleted."""
    row = _changeable(session, principal, scenario_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "edits" in changes:
        _check_shape(changes["edits"])
        _check_council(session, row.base_instance_id, lineage(session, row)[:-1], changes["edits"])
        _check_descendants(session, row, changes["edits"])
    if "name" in changes:
        _unique_name(session, changes["name"], exclude_id=row.id)
    if "edits" in changes and changes["edits"] != (row.edits or []):
        row.version = (row.version or 1) + 1  # runs of the earlier edits become stale
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = utc_now()
    session.add(row)
    record_audit(session, principal, request, action="update", resource_type="scenario", resource_id=str(row.id),
                 instance_id=str(row.base_instance_id))
    session.commit()
    session.refresh(row)
    return _public(session, row)


@router.delete("/scenarios/{scenario_id}", status_code=204, **allow(*SCENARIO_ROLES))
def delete_scenario(scenario_id: ScenarioId, session: SessionDep, principal: CurrentPrincipal,
                    request: Request) -> Response:
    """Delete a scenario (refused while child scenarios build on it). Its runs are kept, with their results and the
    name and lineage they ran with, and are shown as stale."""
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
