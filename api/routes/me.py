"""GET /api/v1/me: who the key belongs to and what its role may do (the dashboard's navigation reads it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, Role, allow, require_roles

router = APIRouter(tags=["me"])

ALL_ROLES = (Role.OFFICER, Role.COMMISSIONER, Role.PLANNER, Role.ADMIN)
Caller = Annotated[Principal, Depends(require_roles(*ALL_ROLES))]


class MePublic(BaseModel):
    """The caller: user name, role and key id (never the key itself)."""

    user_name: str
    role: Role
    key_id: str
    learner_level: bool = Field(description="Whether this role may read learner-level records")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"user_name": "a.officer", "role": "officer", "key_id": "3f9a1c2b7d4e", "learner_level": True}
    ]})


@router.get("/me", response_model=MePublic, **allow(*ALL_ROLES))
def me(principal: Caller) -> MePublic:
    """The caller's identity and role."""
    return MePublic(user_name=principal.user_name, role=principal.role, key_id=principal.key_id,
                    learner_level=principal.role in (Role.OFFICER, Role.ADMIN))
