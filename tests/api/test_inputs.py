"""Hostile inputs (issue 18, items 7 and 8): out-of-range ids and numbers, NUL characters, oversize bodies, keys
checked before a body is read, security headers on 500 answers, X-Forwarded-For only from trusted proxies and the
API docs served without a CDN. SQLite and PostgreSQL where the database matters (the `service` fixture)."""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from api.main import create_app
from api.service_tables import AuditEventRow
from api.settings import ServiceSettings

from .conftest import Service

TOO_BIG = 2**64  # overflows a signed 64-bit integer (SQLite's and PostgreSQL's bigint)
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy")


def _unbounded_numbers(schema: dict[str, Any], where: str, components: dict[str, Any], seen: set[str]) -> list[str]:
    """Paths of integer/number fields a client can send with no upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _unbounded_numbers(components[name], name, components, seen)
    found = []
    numeric = schema.get("type") in ("integer", "number")
    if numeric and "maximum" not in schema and "exclusiveMaximum" not in schema:
        found.append(where)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded_numbers(sub, where, components, seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded_numbers(sub, f"{where}.{name}", components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _unbounded_numbers(schema[key], f"{where}[]", components, seen)
    return found


def test_every_number_a_client_can_send_has_bounds(sqlite_service: Service) -> None:
    document = sqlite_service.client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    unbounded: list[str] = []
    seen: set[str] = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                unbounded += _unbounded_numbers(parameter.get("schema", {}), f"{method} {path} {parameter['name']}",
                                                components, seen)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                unbounded += _unbounded_numbers(body, f"{method} {path} body", components, seen)
    assert unbounded == []


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/v1/instances/{big}", None),
    ("GET", "/api/v1/scenarios/{big}", None),
    ("GET", "/api/v1/instances/{big}/learners", None),
    ("POST", "/api/v1/runs", {"kind": "sleep", "instance_id": TOO_BIG}),
    ("POST", "/api/v1/runs", {"kind": "sleep", "scenario_id": TOO_BIG}),
    ("POST", "/api/v1/scenarios", {"name": "x", "base_instance_id": TOO_BIG}),
    ("POST", "/api/v1/scenarios", {"name": "x", "base_instance_id": 1, "parent_scenario_id": TOO_BIG}),
    ("GET", "/api/v1/audit?user_id={big}", None),
])
def test_ids_beyond_64_bits_are_refused_with_422(service: Service, method: str, path: str, body: Any) -> None:
    response = service.call(method, path.format(big=TOO_BIG), "admin", json=body)
    assert response.status_code == 422, response.text


def test_out_of_range_numbers_in_instances_and_edits_are_refused(service: Service) -> None:
    instance = service.call("GET", f"/api/v1/instances/{service.instance_id}/settings/100002", "admin").json()
    response = service.call("PATCH", f"/api/v1/instances/{service.instance_id}/settings/100002", "admin",
                            json={"capacity": 10**18})
    assert response.status_code == 422 and instance["capacity"] == 80
    scenario = service.call("POST", "/api/v1/scenarios", "admin", json={
        "name": "huge", "base_instance_id": service.instance_id,
        "edits": [{"op": "expand_places", "setting_id": "100002", "places": 10**18, "from_year": 2027}]})
    assert scenario.status_code == 422, scenario.text
    run = service.call("POST", "/api/v1/runs", "admin", json={
        "kind": "placement", "instance_id": service.instance_id, "parameters": {"time_limit_seconds": 10**18}})
    assert run.status_code == 422, run.text


def _instance_body(name: str, locality_name: str = "North", source: str = "api") -> dict[str, Any]:
    return {"source": source, "instance": {"name": name, "base_year": 2026, "localities": [
        {"id": "L1", "name": locality_name, "centroid": {"easting": 431200.0, "northing": 433800.0}}]}}


@pytest.mark.parametrize("body", [
    _instance_body("Nul\u0000shire"),
    _instance_body("Fine", locality_name="Nor\u0000th"),
    _instance_body("Fine", source="up\u0000load"),
])
def test_nul_characters_are_refused_in_every_string_field(service: Service, body: dict[str, Any]) -> None:
    before = service.call("GET", "/api/v1/instances", "admin").json()["total"]
    response = service.call("POST", "/api/v1/instances", "admin", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert service.call("GET", "/api/v1/instances", "admin").json()["total"] == before


def test_nul_refused_in_learner_fields_and_query_strings_but_escaped_backslashes_pass(service: Service) -> None:
    base = f"/api/v1/instances/{service.instance_id}/learners"
    assert service.call("PATCH", f"{base}/L-4", "officer", json={"sibling_group": "G\u00009"}).status_code == 422
    assert service.call("GET", f"{base}?locality_id=N%00", "officer").status_code == 422
    # a literal backslash followed by "u0000" is text, not a NUL: it is stored as sent
    setting = f"/api/v1/instances/{service.instance_id}/settings/100002"
    response = service.call("PATCH", setting, "admin", json={"name": "South \\u0000 Special"})
    assert response.status_code == 200 and response.json()["name"] == "South \\u0000 Special"


def test_unexpected_errors_carry_the_security_headers(sqlite_service: Service) -> None:
    app = sqlite_service.app

    @app.get("/api/v1/test-boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-boom", headers=sqlite_service.headers("admin"))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    for name in SECURITY_HEADERS:
        assert name in response.headers, name
    assert response.headers["cache-control"] == "no-store"


def _asgi_post(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int, bytes]:
    """POST /api/v1/instances straight through ASGI; returns (status, body chunks the app pulled, response body)."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(chunks):
            pulled += 1
            return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/instances", "raw_path": b"/api/v1/instances", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "state": {}}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), pulled, body


def test_a_body_without_a_valid_key_is_refused_before_it_is_read(sqlite_service: Service) -> None:
    size = 19 * 1024 * 1024
    chunks = [b" " * (1024 * 1024)] * 19
    for auth in ([], [(b"authorization", b"Bearer pp_nokey_nosecret")]):
        status, pulled, _ = _asgi_post(sqlite_service.app, [(b"content-length", str(size).encode()), *auth], chunks)
        assert (status, pulled) == (401, 0)


def test_oversize_bodies_get_413_declared_or_chunked(service_factory: Any, sqlite_engine: Any) -> None:
    svc = service_factory(sqlite_engine, max_request_bytes=1000)
    key = [(b"authorization", f"Bearer {svc.keys['admin']}".encode())]
    declared, _, _ = _asgi_post(svc.app, [(b"content-length", b"5000"), *key], [b"x" * 5000])
    chunked, _, body = _asgi_post(svc.app, [(b"transfer-encoding", b"chunked"), *key], [b"x" * 600] * 3)
    assert (declared, chunked) == (413, 413), body


def _audited_client_hosts(svc: Service) -> list[str | None]:
    with Session(svc.engine) as session:
        rows = session.exec(select(AuditEventRow).order_by(col(AuditEventRow.id))).all()
        return [row.client_host for row in rows]


@pytest.mark.parametrize("trusted,expected", [([], "10.1.1.1"), (["10.1.1.0/24"], "203.0.113.9")])
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(service_factory: Any, sqlite_engine: Any,
                                                               trusted: list[str], expected: str) -> None:
    svc = service_factory(sqlite_engine, trusted_proxies=trusted)
    with TestClient(svc.app, client=("10.1.1.1", 4000)) as client:
        response = client.get(f"/api/v1/instances/{svc.instance_id}/learners/L-1",
                              headers={**svc.headers("officer"), "X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
    assert response.status_code == 200
    assert _audited_client_hosts(svc)[-1] == expected


def test_api_docs_use_no_cdn() -> None:
    engine = create_engine(f"sqlite:///{tempfile.mkdtemp()}/docs.db")
    with TestClient(create_app(ServiceSettings(), engine)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "cdn" not in page.text.lower() and "https://" not in page.text
        script = client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
    engine.dispose()


def test_only_public_routes_answer_without_a_key(sqlite_service: Service) -> None:
    assert sqlite_service.client.get("/api/v1/health").status_code == 200
    refused = sqlite_service.client.get(f"/api/v1/instances/{sqlite_service.instance_id}")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
