"""Tables the service itself needs: users, their API keys, their council memberships, the audit trail and run
cancellation requests.

Kept apart from `api/tables.py` (the planning data) because they describe who uses the service, not the
council's provision. Created by the Alembic revisions `0002_service`, `0004_council_scoping` (memberships and
the audit's learner count, purpose and channel) and `0006_run_runner` (the service processes that run solves).
Timestamps are timezone-aware UTC, stored with `api.tables.UtcDateTime` like every other table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from api.tables import UtcDateTime, utc_now


def _timestamp(nullable: bool = False, index: bool = False) -> Any:
    return Column(UtcDateTime(), nullable=nullable, index=index)


class UserRow(SQLModel, table=True):
    """A member of staff (or a system) that calls the API. The name is a staff name, never a learner's."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    role: str = Field(sa_column=Column(String(20), nullable=False),
                      description="admin (every council) or the default role for the user's council memberships")
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class ApiKeyRow(SQLModel, table=True):
    """One API key. Only a salted SHA-256 of the secret is stored; the key itself is shown once at creation."""

    __tablename__ = "api_keys"

    id: str = Field(sa_column=Column(String(32), primary_key=True), description="Public key id (middle of the key)")
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    salt: str = Field(sa_column=Column(String(64), nullable=False))
    secret_hash: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    revoked_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class MembershipRow(SQLModel, table=True):
    """A user's role in one council (instance): what api.scoping checks on every route that touches its data.

    Admins need none (they act on every council). Deleted with the user or the instance (so a reused instance id
    never inherits another council's members).
    """

    __tablename__ = "council_memberships"

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    instance_id: int = Field(sa_column=Column(Integer, ForeignKey("instances.id", ondelete="CASCADE"),
                                              primary_key=True, index=True))
    role: str = Field(sa_column=Column(String(20), nullable=False), description="officer|commissioner|planner")
    granted_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    granted_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))


class AuditEventRow(SQLModel, table=True):
    """Who read or changed which learner record or run, when, with which key, from where (ids only)."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_column=_timestamp(index=True))
    user_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    user_name: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    key_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    role: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    action: str = Field(sa_column=Column(String(20), nullable=False),
                        description="read | list | create | update | delete | cancel | resubmit")
    resource_type: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    resource_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, index=True))
    instance_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    method: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    path: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    client_host: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    learner_count: int | None = Field(default=None, sa_column=Column(Integer, nullable=True),
                                      description="Learners whose records the read or export emitted")
    purpose: str | None = Field(default=None, sa_column=Column(String(200), nullable=True),
                                description="Why, when the caller stated it (e.g. ?purpose= on a birth-date read)")
    channel: str | None = Field(default=None, sa_column=Column(String(8), nullable=True),
                                description="api | cli (the CLI records the OS user as user_name)")


class RunCancellationRow(SQLModel, table=True):
    """A request to stop a run. Workers (threads or processes) poll it through `Progress.should_stop()`."""

    __tablename__ = "run_cancellations"

    run_id: str = Field(sa_column=Column(String(32), primary_key=True))
    requested_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    requested_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))


class ServiceRunnerRow(SQLModel, table=True):
    """One service process that runs solves (`api.jobs.JobRunner`): where it runs, so that another process can tell
    whether the runs it owns are still being worked on (`api.runners`)."""

    __tablename__ = "service_runners"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    host: str = Field(sa_column=Column(String(255), nullable=False))
    pid: int = Field(sa_column=Column(Integer, nullable=False))
    process_token: str = Field(sa_column=Column(String(40), nullable=False),
                               description="The process's start time as the OS gives it: a reused pid differs")
    started_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
