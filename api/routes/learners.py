"""Learner records of a stored instance: learner-level personal data, officers and admins only, every access audited.

Minimised (api.minimise): responses give the base-year NCY and an age band, never the birth date, and the home
rounded to 100 m; an officer who needs one learner's birth date asks for that learner with `?purpose=...` (the
purpose is kept in the audit event). Responses carry `Cache-Control: no-store` (set by create_app for every API
route). Logs never include learner fields: only ids appear, in the audit trail.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Row, and_, bindparam, func
from sqlalchemy import select as core_select
from sqlmodel import col, select

from api import store
from api.audit import record_audit
from api.auth import Principal, Role, allow, require_roles
from api.deps import SessionDep
from api.learner_writes import check_learner_write
from api.learner_writes import delete_learner as delete_learner_record
from api.minimise import learner_public
from api.problems import ProblemError
from api.routes._common import (
    IdFilter,
    InstanceId,
    Limit,
    Offset,
    RecordId,
    instance_base_year,
    instance_row,
    set_total,
)
from api.schemas import LearnerCreate, LearnerPublic, LearnerUpdate, Page
from api.tables import InstanceRow, LearnerRow
from planner.domain.codes import NCY_MAX, NCY_MIN, Need
from planner.domain.models import Learner

router = APIRouter(tags=["learners"])
Officer = Annotated[Principal, Depends(require_roles(Role.OFFICER))]


Purpose = Annotated[str | None, Query(
    min_length=3, max_length=200, pattern=r"^[^\x00-\x1f]+$",
    description="Why you need this learner's birth date (e.g. 'EHCP annual review'): returns it, and is recorded "
                "in the audit event. Without it the record has the NCY and age band only")]


def _public(learner: Learner, base_year: int, with_birth_date: bool = False) -> LearnerPublic:
    return LearnerPublic.model_validate(learner_public(learner, base_year, with_birth_date))


def _domain(learner_id: str, fields: dict[str, Any]) -> Learner:
    try:
        return Learner.model_validate({**fields, "id": learner_id})
    except ValueError as error:
        raise ProblemError(422, "Validation failed", "the learner record is not valid",
                           type_slug="validation-failed",
                           errors=[{"loc": ["body"], "msg": _message(error), "type": "value_error"}]) from None


def _learner_row(session: SessionDep, instance_id: int, learner_id: str) -> Row[Any] | None:
    """The stored learner's columns (a plain row: `store.learner_from_row` reads it by column name)."""
    table = LearnerRow.__table__  # type: ignore[attr-defined]
    return session.execute(core_select(table).where(table.c.instance_id == instance_id,
                                                    table.c.learner_id == learner_id)).first()


# Built once: a new statement per write cost a third of the write's CPU (building, hashing, adapting its result).
_LEARNERS, _INSTANCES = LearnerRow.__table__, InstanceRow.__table__  # type: ignore[attr-defined]
_BASE_YEAR_AND_LEARNER = (
    core_select(_INSTANCES.c.base_year.label("instance_base_year"), _LEARNERS)
    .select_from(_INSTANCES.outerjoin(_LEARNERS, and_(_LEARNERS.c.instance_id == _INSTANCES.c.id,
                                                      _LEARNERS.c.learner_id == bindparam("learner"))))
    .where(_INSTANCES.c.id == bindparam("instance")))


def _base_year_and_learner_row(session: SessionDep, instance_id: int,
                               learner_id: str) -> tuple[int, Row[Any] | None]:
    """The instance's base year (404 problem when there is no such instance) and the stored learner's columns (None
    when it has no such learner), in one statement: the instance, outer-joined to its learner."""
    row = session.connection().execute(_BASE_YEAR_AND_LEARNER,
                                       {"instance": instance_id, "learner": learner_id}).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no instance with id {instance_id}")
    return int(row.instance_base_year), (row if row.learner_id is not None else None)


def _message(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors(include_input=False))
    return str(error)[:500]


@router.get("/instances/{instance_id}/learners", response_model=Page[LearnerPublic], **allow(Role.OFFICER))
def list_learners(instance_id: InstanceId, session: SessionDep, principal: Officer, request: Request,
                  response: Response, limit: Limit = 50, offset: Offset = 0, need: Need | None = None,
                  locality_id: IdFilter = None, current_setting_id: IdFilter = None,
                  ncy: Annotated[int | None, Query(ge=NCY_MIN, le=NCY_MAX)] = None) -> Page[LearnerPublic]:
    """Learners in saved order, filtered by primary need, locality, current setting and base-year NCY."""
    base_year = instance_row(session, instance_id).base_year
    conditions = [col(LearnerRow.instance_id) == instance_id]
    if need is not None:
        conditions.append(col(LearnerRow.primary_need) == need.value)
    if locality_id is not None:
        conditions.append(col(LearnerRow.locality_id) == locality_id)
    if current_setting_id is not None:
        conditions.append(col(LearnerRow.current_setting_id) == current_setting_id)
    if ncy is not None:
        conditions.append(col(LearnerRow.ncy) == ncy)
    total = int(session.exec(select(func.count()).select_from(LearnerRow).where(*conditions)).one())
    rows = session.exec(select(LearnerRow).where(*conditions).order_by(col(LearnerRow.position))
                        .offset(offset).limit(limit)).all()
    items = [_public(store.learner_from_row(r), base_year) for r in rows]
    for item in items:  # every learner record shown is a learner-level read
        record_audit(session, principal, request, action="read", resource_type="learner", resource_id=item.id,
                     instance_id=str(instance_id), learner_count=1)
    session.commit()
    set_total(response, total)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/instances/{instance_id}/learners/{learner_id}", response_model=LearnerPublic, **allow(Role.OFFICER))
def get_learner(instance_id: InstanceId, learner_id: RecordId, session: SessionDep, principal: Officer,
                request: Request, purpose: Purpose = None) -> LearnerPublic:
    """One learner (NCY and age band); with `purpose`, the birth date too (the purpose is audited)."""
    base_year = instance_row(session, instance_id).base_year
    row = session.exec(select(LearnerRow).where(col(LearnerRow.instance_id) == instance_id,
                                                col(LearnerRow.learner_id) == learner_id)).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no learner {learner_id!r} in instance {instance_id}")
    record_audit(session, principal, request, action="read", resource_type="learner", resource_id=learner_id,
                 instance_id=str(instance_id), learner_count=1, purpose=purpose)
    session.commit()
    return _public(store.learner_from_row(row), base_year, with_birth_date=purpose is not None)


@router.post("/instances/{instance_id}/learners", response_model=LearnerPublic, status_code=201,
             **allow(Role.OFFICER))
def create_learner(instance_id: InstanceId, body: LearnerCreate, session: SessionDep, principal: Officer,
                   request: Request, response: Response) -> LearnerPublic:
    base_year = instance_base_year(session, instance_id)
    if _learner_row(session, instance_id, body.id) is not None:
        raise ProblemError(409, "Conflict", f"learner {body.id!r} already exists in instance {instance_id}")
    learner = _domain(body.id, body.model_dump(exclude={"id"}))
    check_learner_write(session, instance_id, base_year, learner, previous=None)  # this record's rules only
    store.append_record(session, instance_id, learner)
    record_audit(session, principal, request, action="create", resource_type="learner", resource_id=learner.id,
                 instance_id=str(instance_id))
    session.commit()
    response.headers["Location"] = f"/api/v1/instances/{instance_id}/learners/{learner.id}"
    return _public(learner, base_year)


@router.patch("/instances/{instance_id}/learners/{learner_id}", response_model=LearnerPublic,
              **allow(Role.OFFICER))
def update_learner(instance_id: InstanceId, learner_id: RecordId, body: LearnerUpdate, session: SessionDep,
                   principal: Officer, request: Request) -> LearnerPublic:
    base_year, row = _base_year_and_learner_row(session, instance_id, learner_id)
    if row is None:
        raise ProblemError(404, "Not Found", f"no learner {learner_id!r} in instance {instance_id}")
    current = store.learner_from_row(row)
    learner = _domain(learner_id, {**current.model_dump(exclude={"id"}), **body.model_dump(exclude_unset=True)})
    check_learner_write(session, instance_id, base_year, learner, previous=current)  # this record's rules only
    record_audit(session, principal, request, action="update", resource_type="learner", resource_id=learner_id,
                 instance_id=str(instance_id))  # before the write: it raises the council's data version last
    store.update_record(session, instance_id, learner, previous=current)
    session.commit()
    return _public(learner, base_year)


@router.delete("/instances/{instance_id}/learners/{learner_id}", status_code=204, **allow(Role.OFFICER))
def delete_learner(instance_id: InstanceId, learner_id: RecordId, session: SessionDep, principal: Officer,
                   request: Request) -> Response:
    row = _learner_row(session, instance_id, learner_id)
    if row is None:
        instance_base_year(session, instance_id)  # 404 for the instance first
        raise ProblemError(404, "Not Found", f"no learner {learner_id!r} in instance {instance_id}")
    delete_learner_record(session, instance_id, learner_id, row.sibling_group)  # this record's rules only
    store.touch_data(session, instance_id)  # runs on the old data are stale from now on
    record_audit(session, principal, request, action="delete", resource_type="learner", resource_id=learner_id,
                 instance_id=str(instance_id))
    session.commit()
    return Response(status_code=204)
