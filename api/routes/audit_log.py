"""GET /api/v1/audit: the audit trail, for admins, newest first, with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.audit import query_audit
from api.auth import allow
from api.deps import SessionDep
from api.routes._common import MAX_DB_INT, Limit, Offset, set_total
from api.schemas import AuditEventPublic, Page

router = APIRouter(tags=["audit"])
Text = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")]


@router.get("/audit", response_model=Page[AuditEventPublic], **allow())
def list_audit_events(
    session: SessionDep, response: Response, limit: Limit = 100, offset: Offset = 0,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None, key_id: Text = None, action: Text = None,
    resource_type: Text = None, resource_id: Text = None,
    since: datetime | None = None, until: datetime | None = None,
) -> Page[AuditEventPublic]:
    """Who read or changed which learner record or run, when, with which key and from where."""
    rows, total = query_audit(session, user_id=user_id, key_id=key_id, action=action, resource_type=resource_type,
                              resource_id=resource_id, since=since, until=until, limit=limit, offset=offset)
    set_total(response, total)
    return Page(items=[AuditEventPublic.model_validate(r.model_dump()) for r in rows], total=total, limit=limit,
                offset=offset)
