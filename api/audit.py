"""The audit trail: who read or changed which learner record or run, when, with which key, from where.

Events hold ids only (learner id, run id, instance id), never names, postcodes or birth dates. Routes call
`record_audit` inside their own transaction, so an event is stored exactly when the change it describes is.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.auth import Principal
from api.guards import client_address
from api.service_tables import AuditEventRow
from api.tables import RunRow


def record_audit(
    session: Session,
    principal: Principal | None,
    request: Request | None,
    *,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
    instance_id: str | None = None,
) -> AuditEventRow:
    """Add one audit event to the session (the caller commits)."""
    event = AuditEventRow(
        user_id=principal.user_id if principal else None,
        user_name=principal.user_name if principal else None,
        key_id=principal.key_id if principal else None,
        role=principal.role.value if principal else None,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        instance_id=instance_id,
        method=request.method if request else None,
        path=request.url.path[:300] if request else None,
        client_host=client_address(request),
    )
    session.add(event)
    return event


def query_audit(
    session: Session,
    *,
    user_id: int | None = None,
    key_id: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEventRow], int]:
    """Audit events matching every given filter, newest first, with the total count before paging."""
    conditions = []
    if user_id is not None:
        conditions.append(col(AuditEventRow.user_id) == user_id)
    if key_id is not None:
        conditions.append(col(AuditEventRow.key_id) == key_id)
    if action is not None:
        conditions.append(col(AuditEventRow.action) == action)
    if resource_type is not None:
        conditions.append(col(AuditEventRow.resource_type) == resource_type)
    if resource_id is not None:
        conditions.append(col(AuditEventRow.resource_id) == resource_id)
    if since is not None:
        conditions.append(col(AuditEventRow.at) >= since)
    if until is not None:
        conditions.append(col(AuditEventRow.at) <= until)
    total = session.exec(select(func.count()).select_from(AuditEventRow).where(*conditions)).one()
    rows = session.exec(
        select(AuditEventRow).where(*conditions)
        .order_by(col(AuditEventRow.at).desc(), col(AuditEventRow.id).desc())
        .offset(offset).limit(limit)
    ).all()
    return list(rows), int(total)


def record_learner_reads(session: Session, principal: Principal, request: Request, run: RunRow,
                         learner_ids: list[str]) -> None:
    """One audit event per learner shown from a run's result (ids only), committed with the read."""
    instance_id = str(run.instance_id) if run.instance_id is not None else None
    for learner_id in learner_ids:
        record_audit(session, principal, request, action="read", resource_type="learner", resource_id=learner_id,
                     instance_id=instance_id)
    session.commit()
