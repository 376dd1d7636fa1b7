"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API returns has `type`, `title`, `status`, `detail` and `instance` (the request path); validation
errors (422) add `errors`: a list of `{loc, msg, type}` naming the field path. Raise `ProblemError` from routes;
create_app installs the handlers that turn it, HTTPException and validation errors into problem responses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://placeplan.example/problems/"

logger = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One invalid field: where it is (path through the request) and what is wrong."""

    loc: list[str | int] = Field(description="Path to the field, e.g. ['body', 'parameters', 'time_limit']")
    msg: str
    type: str

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"loc": ["body", "kind"], "msg": "Field required", "type": "missing"}]}
    )


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(description="URI naming the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="HTTP status code")
    detail: str = Field(description="What went wrong in this case, in plain words")
    instance: str = Field(description="The request path the problem occurred on")
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields (422 only)")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://placeplan.example/problems/not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "no run with id '5f0c...'",
                    "instance": "/api/v1/runs/5f0c",
                }
            ]
        }
    )


class ProblemError(Exception):
    """Raise from a route to answer with a problem response."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str = "",
        *,
        type_slug: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.title = title or _phrase(status)
        self.detail = detail or self.title
        self.type_slug = type_slug or _slug(self.title if title else _phrase(status))
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None
        super().__init__(f"{status} {self.title}: {self.detail}")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split()) or "error"


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
) -> JSONResponse:
    """A problem+json response for the request."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (type_slug or _slug(title)),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = jsonable_encoder(list(errors))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


def _clean_validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Field path, message and type only: never echo the submitted value (it may be personal data)."""
    cleaned = []
    for error in errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        cleaned.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))})
    return cleaned


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error as problem+json."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.title, exc.detail, type_slug=exc.type_slug,
                                headers=exc.headers, errors=exc.errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(request, exc.status_code, _phrase(exc.status_code), detail,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation_errors(exc.errors())
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
        return problem_response(request, 422, "Validation failed", f"invalid request: {fields}",
                                type_slug="validation-failed", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "Internal Server Error", "an unexpected error occurred; it was logged")
