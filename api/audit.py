"""The audit trail: who read, exported or changed which learner records or run, when, with which key (or, from the
CLI, which OS user), from where, how many learners and why.

Events hold ids only (learner id, run id, instance id), never names, postcodes or birth dates. Routes call
`record_audit` inside their own transaction, so an event is stored exactly when the change it describes is; CLI
commands call `record_cli_audit` (the CLI has the database open: the same table). Every learner-level read or
export records `learner_count` (how many learners' records left the service) and `purpose` when one was stated:
UK GDPR Art. 5(2) (accountability) and Art. 30 (records of processing), and the DPA 2018 Sch. 1 Part 4
appropriate policy document for special-category data, expect a council to be able to show who saw which
learners' data and why.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from api.auth import Principal
from api.guards import client_address
from api.service_tables import AuditEventRow
from api.tables import RunRow, utc_now

# One prepared INSERT for every event: an ORM object per event cost more than the rest of a poll's work (building
# and flushing it), and the parameters below are the only thing that changes from one event to the next.
_INSERT_EVENT = insert(AuditEventRow.__table__)  # type: ignore[attr-defined]


# Every column of an event but its id: each INSERT names every column (None where unknown), so that all events
# share one compiled statement (SQLAlchemy caches a statement by the set of columns given).
_EVENT_COLUMNS = ("at", "user_id", "user_name", "key_id", "role", "action", "resource_type", "resource_id",
                  "instance_id", "method", "path", "client_host", "learner_count", "purpose", "channel")


def _event(**values: Any) -> dict[str, Any]:
    """An event's column values: the given ones, `at` now, every other column None."""
    return {**dict.fromkeys(_EVENT_COLUMNS), "at": utc_now(), **values}


def record_audit(
    session: Session,
    principal: Principal | None,
    request: Request | None,
    *,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
    instance_id: str | None = None,
    learner_count: int | None = None,
    purpose: str | None = None,
) -> None:
    """Add one audit event to the session's transaction (the caller commits)."""
    event = _api_event(principal, request, action=action, resource_type=resource_type, resource_id=resource_id,
                       instance_id=instance_id, learner_count=learner_count, purpose=purpose)
    session.connection().execute(_INSERT_EVENT, event)  # Core, on the session's transaction (no ORM layer)


def _api_event(principal: Principal | None, request: Request | None, *, action: str, resource_type: str,
               resource_id: str | None = None, instance_id: str | None = None, learner_count: int | None = None,
               purpose: str | None = None) -> dict[str, Any]:
    """The column values of one API audit event."""
    return _event(
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
        learner_count=learner_count,
        purpose=purpose[:200] if purpose else None,
        channel="api",
    )


def cli_user() -> str:
    """The OS user running a CLI command (the CLI has no API key: whoever can open the database is accountable)."""
    try:
        return getpass.getuser()[:120]
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (e.g. some containers)
        return "unknown"


def record_cli_audit(
    session: Session,
    *,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
    instance_id: int | str | None = None,
    learner_count: int | None = None,
    purpose: str | None = None,
) -> None:
    """Add one audit event for a CLI command, as the OS user (the caller commits)."""
    session.execute(_INSERT_EVENT, _event(
        user_name=cli_user(), action=action, resource_type=resource_type, resource_id=resource_id,
        instance_id=str(instance_id) if instance_id is not None else None, learner_count=learner_count,
        purpose=purpose[:200] if purpose else None, channel="cli",
    ))


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
    """One audit event per learner shown from a run's result (ids only, learner_count 1), committed with the read;
    a learner-level route that showed no learner (an empty page or team) records one event with learner_count 0."""
    council = run.council_id if run.council_id is not None else run.instance_id
    instance_id = str(council) if council is not None else None
    if not learner_ids:
        record_audit(session, principal, request, action="read", resource_type="learner", instance_id=instance_id,
                     learner_count=0)
    events = [_api_event(principal, request, action="read", resource_type="learner", resource_id=learner_id,
                         instance_id=instance_id, learner_count=1) for learner_id in learner_ids]
    if events:
        session.execute(_INSERT_EVENT, events)  # one executemany for a page or a team
    session.commit()


# Run kinds whose result is learner-level, and where in the result the learners are (api.jobs.RUN_KIND_ROLES:
# officers only). A placement result lists one decision per learner; a transitions result one case per learner.
LEARNER_LEVEL_RESULTS: dict[str, str] = {"placement": "decisions", "transitions": "cases"}


def learners_in_result(kind: str, result: dict[str, Any] | None) -> int | None:
    """How many learners a run's stored result holds (None: the kind's result is not learner-level)."""
    key = LEARNER_LEVEL_RESULTS.get(kind)
    if key is None:
        return None
    rows = (result or {}).get(key)
    return len(rows) if isinstance(rows, list) else 0
