"""Helpers shared by the service's resource routers: paging, id parameters, loading and changing an instance.

Single-record writes (a setting, a learner) re-check the whole instance's integrity before writing the one row,
so the database never holds an instance that `api.store.load_instance` would refuse.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BaseModel
from sqlmodel import Session

from api import store
from api.problems import ProblemError
from api.tables import InstanceRow
from planner.domain import Instance, InstanceIntegrityError

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


def page_response(page: BaseModel, total: int) -> Response:
    """A page serialised once by pydantic (already validated when built), with the X-Total-Count header.

    Hot list routes return this instead of the model: FastAPI would otherwise validate and serialise the page a
    second time against the route's response_model (which still documents the schema in OpenAPI).
    """
    return Response(content=page.model_dump_json(), media_type="application/json",
                    headers={"X-Total-Count": str(total)})


def instance_row(session: Session, instance_id: int) -> InstanceRow:
    row = session.get(InstanceRow, instance_id)
    if row is None:
        raise ProblemError(404, "Not Found", f"no instance with id {instance_id}")
    return row


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
