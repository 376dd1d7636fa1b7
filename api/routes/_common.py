"""Helpers shared by the service's resource routers: paging, id parameters, loading and changing an instance.

Single-record writes (a setting, a learner) re-check the whole instance's integrity before writing the one row,
so the database never holds an instance that `api.store.load_instance` would refuse.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic_core import to_json
from sqlalchemy import select as core_select
from sqlmodel import Session

from api import store
from api.problems import ProblemError
from api.tables import InstanceRow
from planner.domain.models import Instance, InstanceIntegrityError

MAX_DB_INT = 2_147_483_647
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"

InstanceId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Stored instance id")]
RecordId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="Record id")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT, description="Items to skip")]
IdFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)]


def set_total(response: Response, total: int) -> None:
    """Paging total in a header too (handy for clients that read only headers)."""
    response.headers["X-Total-Count"] = str(total)


def json_response(body: Any, total: int | None = None) -> Response:
    """JSON written once (pydantic-core's serialiser, the one FastAPI uses), plus X-Total-Count for pages.

    Hot read routes build their body from stored rows and return this: FastAPI would otherwise validate the
    return value against the route's response_model and serialise it again (the response_model still documents
    the schema in OpenAPI, and the tests compare these bodies with the validated single-record routes).
    """
    headers = {"X-Total-Count": str(total)} if total is not None else None
    return Response(content=to_json(body), media_type="application/json", headers=headers)


def instance_row(session: Session, instance_id: int) -> InstanceRow:
    row = session.get(InstanceRow, instance_id)
    if row is None:
        raise ProblemError(404, "Not Found", f"no instance with id {instance_id}")
    return row


def instance_base_year(session: Session, instance_id: int) -> int:
    """The instance's base year (404 problem when there is no such instance), without loading the row."""
    columns = InstanceRow.__table__.c  # type: ignore[attr-defined]
    base_year = session.execute(core_select(columns.base_year).where(columns.id == instance_id)).scalar()
    if base_year is None:
        raise ProblemError(404, "Not Found", f"no instance with id {instance_id}")
    return int(base_year)


def load(session: Session, instance_id: int) -> Instance:
    instance_row(session, instance_id)
    return store.load_instance(session, instance_id)


def checked_replace(instance: Instance, **changes: Any) -> Instance:
    """The instance with `changes`, or a 422 problem listing every integrity problem (record, field, message)."""
    try:
        return instance.replace(**changes)
    except InstanceIntegrityError as error:
        raise integrity_problem(error) from None


def integrity_problem(error: InstanceIntegrityError) -> ProblemError:
    errors = [{"loc": ["body", p.record, p.record_id, p.field], "msg": p.message, "type": "integrity"}
              for p in error.problems[:50]]
    return ProblemError(422, "Integrity check failed", str(error), type_slug="integrity-check-failed", errors=errors)
