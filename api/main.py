"""The FastAPI application: `create_app()` wires settings, the database, jobs, routers, errors and limits.

`placeplan serve` runs `uvicorn api.main:create_app --factory`. Nothing is read or connected at import time: the
app's engine, settings and job runner live on `app.state`, so tests build as many independent apps as they like.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import store
from api.auth import PUBLIC, ROLES_EXTENSION, KeyCache, Role
from api.db import read_only_engine
from api.docs import mount_docs
from api.guards import AuthenticateFirstMiddleware, NulGuardMiddleware, UnexpectedErrorMiddleware
from api.jobs import JobRunner, JobSettings, RunFunctionRef
from api.problems import PROBLEM_MEDIA_TYPE, Problem, install_problem_handlers, problem_response
from api.routes import RESOURCE_ROUTER_MODULES
from api.routes.core import SERVICE_ROUTER_MODULES
from api.routes.demo import LONG_RUNNING_PATHS
from api.settings import ServiceSettings, get_settings
from api.web import mount_web
from planner.domain.models import InstanceIntegrityError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
PROBLEM_STATUSES_ALL = ("400", "404", "409", "413", "422", "500", "504")
PROBLEM_STATUSES_AUTH = ("401", "403")


def _problem_json(status: int, title: str, detail: str, path: str) -> bytes:
    import json

    return json.dumps({"type": f"https://placeplan.example/problems/{title.lower().replace(' ', '-')}",
                       "title": title, "status": status, "detail": detail, "instance": path}).encode()


async def _send_problem(send: Send, status: int, title: str, detail: str, path: str) -> None:
    body = _problem_json(status, title, detail, path)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class RequestLimitsMiddleware:
    """413 for bodies over `max_bytes` (declared or streamed), 504 when a request takes over `timeout` seconds.

    The timeout answers the client; work already running in a thread carries on to its end (Python cannot kill a
    thread), which is why long solves are runs, not requests.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float, exempt_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit_text = f"the request body is larger than the limit of {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await _send_problem(send, 413, "Content Too Large", limit_text, path)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if path in self.exempt_paths:
                await self.app(scope, limited_receive, tracking_send)
            else:
                # asyncio.timeout cancels this task in place: no extra task per request, unlike wait_for
                async with asyncio.timeout(self.timeout):
                    await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_problem(send, 413, "Content Too Large", limit_text, path)
        except TimeoutError:
            logger.warning("request timed out after %.0fs: %s %s", self.timeout, scope.get("method"), path)
            if not started:
                await _send_problem(send, 504, "Gateway Timeout",
                                    f"the request took longer than {self.timeout:g} seconds", path)


class SecurityHeadersMiddleware:
    """Headers every response gets; API responses (which may hold learner data) are never cached."""

    HEADERS: tuple[tuple[bytes, bytes], ...] = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"referrer-policy", b"no-referrer"),
    )
    API_HEADERS = (*HEADERS, (b"cache-control", b"no-store"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.API_HEADERS if scope.get("path", "").startswith(API_PREFIX) else self.HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _install_domain_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InstanceIntegrityError)
    async def _integrity(request: Request, exc: InstanceIntegrityError) -> JSONResponse:
        errors = [{"loc": ["body", p.record, p.record_id, p.field], "msg": p.message, "type": "integrity"}
                  for p in exc.problems[:50]]
        return problem_response(request, 422, "Integrity check failed", str(exc), errors=errors)

    @app.exception_handler(store.InstanceNotFound)
    async def _not_found(request: Request, exc: store.InstanceNotFound) -> JSONResponse:
        return problem_response(request, 404, "Not Found", str(exc))

    @app.exception_handler(IntegrityError)
    async def _db_conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        logger.info("database integrity conflict on %s %s", request.method, request.url.path)
        return problem_response(request, 409, "Conflict", "the change conflicts with stored data")

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # Backstop: every number a client sends is bounded in its schema (SQLite raises this beyond 64 bits).
        return problem_response(request, 422, "Unprocessable value", "a number in the request is out of range")

    @app.exception_handler(DataError)
    async def _db_data(request: Request, exc: DataError) -> JSONResponse:
        return problem_response(request, 422, "Unprocessable value", "the database rejected a value in the request")


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document with problem+json error responses (and the Problem schema) on every operation."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in components["Problem"].pop("$defs", {}).items():
        components.setdefault(name, sub)
    problem_content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            roles = operation.get(ROLES_EXTENSION) or []
            statuses = PROBLEM_STATUSES_ALL if PUBLIC in roles else PROBLEM_STATUSES_ALL + PROBLEM_STATUSES_AUTH
            for status in statuses:
                description = {"400": "Malformed request body", "409": "Conflicts with stored data",
                               "401": "No or invalid API key", "403": "The key's role may not call this route",
                               "404": "Not found", "413": "Request body too large", "422": "Validation failed",
                               "500": "Unexpected error", "504": "Timed out"}[status]
                operation["responses"][status] = {"description": description, "content": problem_content}
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def _sqlite_normal_sync(engine: Engine) -> None:
    """WAL with synchronous=NORMAL: a commit no longer waits for an fsync (each audit event is a commit).

    Still safe when the service process is killed (SIGKILL: nothing committed is lost); only an operating-system
    crash or power cut can lose the last moments' commits. PostgreSQL is the production database.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections opened before (migrations) are replaced by ones with the pragma


def create_app(
    settings: ServiceSettings | None = None,
    engine: Engine | None = None,
    *,
    migrate: bool = True,
    job_settings: JobSettings | None = None,
    extra_run_kinds: Mapping[str, RunFunctionRef] | None = None,
    extra_run_kind_roles: Mapping[str, tuple[Role, ...]] | None = None,
) -> FastAPI:
    """Build the application. Migrates the database to head and marks runs a dead process left as interrupted.

    Tests pass their own `settings`/`engine`, `job_settings` (e.g. run_executor="thread") and `extra_run_kinds`
    (kind -> function or "module:function") with `extra_run_kind_roles`.
    """
    settings = settings or get_settings()
    owns_engine = engine is None
    if engine is None:
        from api.db import make_engine

        engine = make_engine(settings=settings)
    database_url = engine.url.render_as_string(hide_password=False)
    if migrate:
        from api.migrate import upgrade_to_head

        upgrade_to_head(engine)
    if engine.dialect.name == "sqlite":
        _sqlite_normal_sync(engine)
    jobs = JobRunner.build(engine, database_url, settings.run_workers, job_settings, extra_run_kinds,
                           extra_run_kind_roles)
    jobs.register()
    jobs.mark_interrupted()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in anyio's thread pool (40 threads by default). On a small machine more threads only
        # add GIL hand-offs: each thread that blocks on the database or a socket has to win the GIL back.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # A thread back from the database or a socket waits for the GIL until the holder's switch interval ends
        # (5 ms by default): with a few busy threads that wait, repeated at every query, is most of a request's
        # latency. A shorter interval hands the GIL over sooner. Process-wide, so only when the service is the
        # process (placeplan serve / uvicorn); solve worker processes are not affected.
        if settings.gil_switch_interval_ms > 0:
            sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
        yield
        jobs.shutdown()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="placeplan",
        version="0.1.0",
        description="Placement and place-planning for SEND services. Authenticate with an API key from "
                    "`placeplan users add NAME --role ROLE` sent as `Authorization: Bearer <key>`.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_docs from the installed swagger-ui-bundle package, not a CDN
        redoc_url=None,  # ReDoc has no packaged build; Swagger UI at /docs covers the same document
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_only_engine(engine)
    app.state.jobs = jobs
    app.state.key_cache = KeyCache(ttl_seconds=settings.auth_cache_seconds)

    install_problem_handlers(app)
    _install_domain_error_handlers(app)
    for module_name in SERVICE_ROUTER_MODULES + RESOURCE_ROUTER_MODULES:
        app.include_router(importlib.import_module(module_name).router, prefix=API_PREFIX)
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]

    # Added innermost first: headers -> 500s -> CORS -> key -> limits -> NUL check -> routes (see api.guards).
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(RequestLimitsMiddleware, max_bytes=settings.max_request_bytes,
                       timeout=settings.request_timeout_seconds, exempt_paths=LONG_RUNNING_PATHS)
    app.add_middleware(AuthenticateFirstMiddleware, prefix=API_PREFIX + "/", public_paths=_public_paths(app))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    mount_docs(app)
    mount_web(app)
    return app


def _public_paths(app: FastAPI) -> frozenset[str]:
    """Paths of the operations declared public() (health): the only API paths reachable without a key.

    Read from the OpenAPI document (built once and cached), which sees through included routers."""
    return frozenset(path for path, item in app.openapi().get("paths", {}).items()
                     if any(isinstance(op, dict) and PUBLIC in (op.get(ROLES_EXTENSION) or ()) for op in item.values())
                     and "{" not in path)
