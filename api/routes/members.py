"""A council's members (admin): who may use an instance's data, and with which role there.

The API twin of `placeplan users grant`: an admin who creates a council (`POST /instances`) grants its members
here. Changes are audited and take effect in this service at once (its key cache is cleared); another service
process sees them within its key cache lifetime.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlmodel import col, select

from api.audit import record_audit
from api.auth import CurrentPrincipal, KeyCache, allow, grant_membership, remove_membership
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes._common import MAX_DB_INT, InstanceId, instance_row
from api.service_tables import MembershipRow, UserRow

router = APIRouter(tags=["members"])
UserId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="User id (`placeplan users list`)")]


class MemberPublic(BaseModel):
    """One member of a council: the user and their role there."""

    user_id: int
    user_name: str
    role: str

    model_config = ConfigDict(json_schema_extra={"examples": [{"user_id": 3, "user_name": "j.smith",
                                                               "role": "officer"}]})


class MemberGrant(BaseModel):
    """The role a user gets in the council (admins act on every council and are never members)."""

    role: Literal["officer", "commissioner", "planner"]

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "officer"}]})


def _user(session: SessionDep, user_id: int) -> UserRow:
    user = session.get(UserRow, user_id)
    if user is None:
        raise ProblemError(404, "Not Found", f"no user with id {user_id}")
    return user


def _forget_keys(request: Request) -> None:
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    if cache is not None:
        cache.clear()  # memberships are cached with the keys: this service applies the change from now on


@router.get("/instances/{instance_id}/members", response_model=list[MemberPublic], **allow())
def list_members(instance_id: InstanceId, session: SessionDep) -> list[MemberPublic]:
    """The council's members and their roles, by user id."""
    instance_row(session, instance_id)
    rows = session.exec(select(MembershipRow, UserRow).join(UserRow, col(UserRow.id) == col(MembershipRow.user_id))
                        .where(col(MembershipRow.instance_id) == instance_id)
                        .order_by(col(MembershipRow.user_id))).all()
    return [MemberPublic(user_id=m.user_id, user_name=u.name, role=m.role) for m, u in rows]


@router.put("/instances/{instance_id}/members/{user_id}", response_model=MemberPublic, **allow())
def grant_member(instance_id: InstanceId, user_id: UserId, body: MemberGrant, session: SessionDep,
                 principal: CurrentPrincipal, request: Request) -> MemberPublic:
    """Make a user a member of the council with a role (replacing the role they had there)."""
    instance_row(session, instance_id)
    user = _user(session, user_id)
    try:
        row = grant_membership(session, user, instance_id, body.role, granted_by=principal.user_name)
    except ValueError as error:
        raise ProblemError(409, "Conflict", str(error)) from None
    record_audit(session, principal, request, action="update", resource_type="membership", resource_id=str(user_id),
                 instance_id=str(instance_id))
    session.commit()
    _forget_keys(request)
    return MemberPublic(user_id=user_id, user_name=user.name, role=row.role)


@router.delete("/instances/{instance_id}/members/{user_id}", status_code=204, **allow())
def remove_member(instance_id: InstanceId, user_id: UserId, session: SessionDep, principal: CurrentPrincipal,
                  request: Request) -> Response:
    """Take the council away from a user (their keys stop reaching its data)."""
    instance_row(session, instance_id)
    if not remove_membership(session, _user(session, user_id), instance_id):
        raise ProblemError(404, "Not Found", f"user {user_id} is not a member of instance {instance_id}")
    record_audit(session, principal, request, action="delete", resource_type="membership", resource_id=str(user_id),
                 instance_id=str(instance_id))
    session.commit()
    _forget_keys(request)
    return Response(status_code=204)
