"""GET /api/v1/me: who the key belongs to and what its role may do (the dashboard's navigation reads it).

DELETE /api/v1/keys/{key_id} (admin): revoke a key; this service refuses it at once (its cache entry is dropped).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.audit import record_audit
from api.auth import CurrentPrincipal, KeyCache, Principal, Role, allow, require_roles, revoke_key
from api.deps import SessionDep
from api.problems import ProblemError

router = APIRouter(tags=["me"])

ALL_ROLES = (Role.OFFICER, Role.COMMISSIONER, Role.PLANNER, Role.ADMIN)
Caller = Annotated[Principal, Depends(require_roles(*ALL_ROLES))]


class CouncilRole(BaseModel):
    """One council membership: the instance and the caller's role there."""

    instance_id: int
    role: Role


class MePublic(BaseModel):
    """The caller: user name, role and key id (never the key itself)."""

    user_name: str
    role: Role
    key_id: str
    learner_level: bool = Field(description="Whether this role may read learner-level records (in some council)")
    councils: list[CouncilRole] = Field(
        default_factory=list, description="The councils (instances) the caller is a member of and the role in each; "
                                          "empty for admins, who act on every council")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"user_name": "a.officer", "role": "officer", "key_id": "3f9a1c2b7d4e", "learner_level": True,
         "councils": [{"instance_id": 1, "role": "officer"}]}
    ]})


@router.get("/me", response_model=MePublic, **allow(*ALL_ROLES))
def me(principal: Caller) -> MePublic:
    """The caller's identity and role."""
    return MePublic(user_name=principal.user_name, role=principal.role, key_id=principal.key_id,
                    learner_level=principal.holds_any((Role.OFFICER, Role.ADMIN)),
                    councils=[CouncilRole(instance_id=c, role=r) for c, r in principal.councils])


@router.delete("/keys/{key_id}", status_code=204, **allow())
def revoke(key_id: Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]+$",
                                       description="Key id: the middle part of pp_<key id>_<secret>")],
           session: SessionDep, principal: CurrentPrincipal, request: Request) -> Response:
    """Revoke an API key (admin). Refused by this service from the next request; audited."""
    cache: KeyCache = request.app.state.key_cache
    if not revoke_key(session, key_id, cache=cache):
        raise ProblemError(404, "Not Found", f"no API key with id {key_id!r}")
    record_audit(session, principal, request, action="delete", resource_type="api_key", resource_id=key_id)
    session.commit()
    cache.forget(key_id)  # again after the commit: a request in between may have cached the unrevoked record
    return Response(status_code=204)
