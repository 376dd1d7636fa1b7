"""Walks every route in the OpenAPI document with every role and with no key, against a declared matrix."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

EVERYONE = {"officer", "commissioner", "planner", "admin"}
LEARNER_LEVEL = {"officer", "admin"}
SCENARIOS = {"commissioner", "planner", "admin"}
ADMIN = {"admin"}
PUBLIC = {"public"}

# The declared matrix for every route: who may call what. A route missing here (a new route must be added on
# purpose) or declaring other roles in the OpenAPI document fails the test.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/api/v1/me"): EVERYONE,
    ("DELETE", "/api/v1/keys/{key_id}"): ADMIN,
    ("GET", "/api/v1/instances"): EVERYONE,
    ("POST", "/api/v1/instances"): LEARNER_LEVEL,
    ("GET", "/api/v1/instances/{instance_id}"): EVERYONE,
    ("DELETE", "/api/v1/instances/{instance_id}"): ADMIN,
    ("GET", "/api/v1/instances/{instance_id}/localities"): EVERYONE,
    ("GET", "/api/v1/instances/{instance_id}/localities/{locality_id}"): EVERYONE,
    ("GET", "/api/v1/instances/{instance_id}/teams"): EVERYONE,
    ("GET", "/api/v1/instances/{instance_id}/teams/{team_id}"): EVERYONE,
    # Localities are planning aggregates; team hours are commissioned and scheduled against (api/routes/areas.py).
    ("POST", "/api/v1/instances/{instance_id}/localities/derive"): {"planner", "commissioner", "admin"},
    ("PATCH", "/api/v1/instances/{instance_id}/localities/{locality_id}"): {"planner", "commissioner", "admin"},
    ("POST", "/api/v1/instances/{instance_id}/teams/default"): {"commissioner", "officer", "admin"},
    ("PATCH", "/api/v1/instances/{instance_id}/teams/{team_id}"): {"commissioner", "officer", "admin"},
    ("GET", "/api/v1/instances/{instance_id}/settings"): EVERYONE,
    ("POST", "/api/v1/instances/{instance_id}/settings"): ADMIN,
    ("GET", "/api/v1/instances/{instance_id}/settings/{setting_id}"): EVERYONE,
    ("PATCH", "/api/v1/instances/{instance_id}/settings/{setting_id}"): ADMIN,
    ("DELETE", "/api/v1/instances/{instance_id}/settings/{setting_id}"): ADMIN,
    ("GET", "/api/v1/instances/{instance_id}/learners"): LEARNER_LEVEL,
    ("POST", "/api/v1/instances/{instance_id}/learners"): LEARNER_LEVEL,
    ("GET", "/api/v1/instances/{instance_id}/learners/{learner_id}"): LEARNER_LEVEL,
    ("PATCH", "/api/v1/instances/{instance_id}/learners/{learner_id}"): LEARNER_LEVEL,
    ("DELETE", "/api/v1/instances/{instance_id}/learners/{learner_id}"): LEARNER_LEVEL,
    ("GET", "/api/v1/scenarios"): SCENARIOS,
    ("POST", "/api/v1/scenarios"): SCENARIOS,
    ("GET", "/api/v1/scenarios/{scenario_id}"): SCENARIOS,
    ("PATCH", "/api/v1/scenarios/{scenario_id}"): SCENARIOS,
    ("DELETE", "/api/v1/scenarios/{scenario_id}"): SCENARIOS,
    ("GET", "/api/v1/scenarios/{scenario_id}/lineage"): SCENARIOS,
    ("POST", "/api/v1/runs"): EVERYONE,  # the run kind decides further: see test_service.py
    ("GET", "/api/v1/runs"): EVERYONE,
    ("GET", "/api/v1/runs/{run_id}"): EVERYONE,
    ("DELETE", "/api/v1/runs/{run_id}"): EVERYONE,
    ("POST", "/api/v1/runs/{run_id}/resubmit"): EVERYONE,
    ("POST", "/api/v1/demo"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    # Placement results are learner-level: officers (and admins) only.
    ("GET", "/api/v1/placements/{run_id}/learners"): LEARNER_LEVEL,
    ("GET", "/api/v1/placements/{run_id}/learners/{learner_id}"): LEARNER_LEVEL,
    ("GET", "/api/v1/placements/{run_id}/learners/{learner_id}/options"): LEARNER_LEVEL,
    ("GET", "/api/v1/placements/{run_id}/export.csv"): LEARNER_LEVEL,
    ("GET", "/api/v1/placements/{run_id}/export.xlsx"): LEARNER_LEVEL,
    ("GET", "/api/v1/placements/{run_id}/breakdown"): LEARNER_LEVEL,
    # Forecast and sufficiency are aggregates for commissioners and planners.
    ("GET", "/api/v1/instances/{instance_id}/forecast/fan-chart.{fmt}"): SCENARIOS,
    ("GET", "/api/v1/instances/{instance_id}/forecast/scap.csv"): SCENARIOS,
    ("GET", "/api/v1/instances/{instance_id}/sufficiency/heatmap.{fmt}"): SCENARIOS,
    ("GET", "/api/v1/instances/{instance_id}/sufficiency/workbook.xlsx"): SCENARIOS,
    ("GET", "/api/v1/runs/{run_id}/download"): SCENARIOS,
    ("GET", "/api/v1/scenario-comparisons"): SCENARIOS,
    ("GET", "/api/v1/expansion-runs/{run_id}/frontier"): SCENARIOS,
    # Transition plans and team calendars name learners; the counts are aggregates anyone may read.
    ("GET", "/api/v1/transitions/{run_id}/learners/{learner_id}"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/learners/{learner_id}/page"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/teams/{team_id}/calendar.ics"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/counts"): EVERYONE,
}
ROLES = ("officer", "commissioner", "planner", "admin")
Service = Any  # the `service` fixture (tests/api/conftest.py)
METHODS = ("get", "post", "put", "patch", "delete")


def _fill(path: str) -> str:
    """Path parameters that do not exist (so nothing is changed: allowed roles get 404 or 422, never 403)."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "run_id":
            return "0" * 32
        if name.endswith("_id") and name in ("instance_id", "scenario_id"):
            return "999999"
        return "NO-SUCH-ID"
    return re.sub(r"\{([^}]+)\}", value, path)


def _operations(service: Service) -> list[tuple[str, str, dict[str, Any]]]:
    document = service.client.get("/openapi.json").json()
    return [(method.upper(), path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def test_every_route_declares_its_roles_and_mine_match_the_matrix(service: Service) -> None:
    operations = _operations(service)
    assert len(operations) >= len(EXPECTED)
    for method, path, operation in operations:
        roles = operation.get("x-roles")
        assert roles, f"{method} {path} declares no roles (use **allow(...) from api.auth)"
        assert set(roles) <= EVERYONE | PUBLIC, f"{method} {path}: unknown roles {roles}"
        assert (method, path) in EXPECTED, f"{method} {path} is not in the declared matrix: add it on purpose"
        assert set(roles) == EXPECTED[(method, path)], f"{method} {path}: {roles}"
    declared = {(m, p) for m, p, _ in operations}
    assert set(EXPECTED) <= declared, f"routes missing from the API: {set(EXPECTED) - declared}"


def test_role_matrix_over_every_route(service: Service) -> None:
    failures = []
    for method, path, _operation in _operations(service):
        allowed = EXPECTED[(method, path)]
        url = _fill(path)
        body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
        for role in (None, *ROLES):
            response = service.call(method, url, role, json=body)
            status = response.status_code
            if status >= 500:
                failures.append(f"{method} {path} as {role}: {status}")
            elif "public" in allowed:
                if status in (401, 403):
                    failures.append(f"{method} {path} as {role}: {status} on a public route")
            elif role is None:
                if status != 401:
                    failures.append(f"{method} {path} without a key: {status}, expected 401")
            elif role in allowed:
                if status in (401, 403):
                    failures.append(f"{method} {path} as {role}: {status}, expected 2xx or 4xx-not-403")
            elif status != 403:
                failures.append(f"{method} {path} as {role}: {status}, expected 403")
            if status >= 400:
                assert response.headers["content-type"].startswith("application/problem+json"), (method, path)
    assert not failures, "\n".join(failures)


def test_bad_and_revoked_keys_are_401(service: Service) -> None:
    from sqlmodel import Session

    from api.auth import parse_key, revoke_key

    for header in ("Bearer nonsense", "Bearer pp_abc_def", "Basic dXNlcjpwYXNz", f"Bearer {service.keys['admin']}x"):
        response = service.client.get("/api/v1/instances", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"
    key = service.keys["planner"]
    assert service.call("GET", "/api/v1/instances", "planner").status_code == 200
    parsed = parse_key(key)
    assert parsed is not None
    with Session(service.engine) as session:  # revoked through this process: refused at once (cache dropped)
        assert revoke_key(session, parsed[0], cache=service.app.state.key_cache)
        session.commit()
    assert service.call("GET", "/api/v1/instances", "planner").status_code == 401
    # through the API (admin): refused from the next request, audited, unknown ids 404
    assert service.call("GET", "/api/v1/instances", "officer").status_code == 200  # cached now
    officer_key_id = parse_key(service.keys["officer"])
    assert officer_key_id is not None
    assert service.call("DELETE", f"/api/v1/keys/{officer_key_id[0]}", "admin").status_code == 204
    assert service.call("GET", "/api/v1/instances", "officer").status_code == 401
    assert service.call("DELETE", "/api/v1/keys/abcdef123456", "admin").status_code == 404
    audit = service.call("GET", "/api/v1/audit", "admin", params={"resource_type": "api_key"}).json()
    assert [e["resource_id"] for e in audit["items"]] == [officer_key_id[0]]


def test_a_key_revoked_by_another_process_is_refused_once_the_cache_entry_expires(
    sqlite_engine: Engine, service_factory: Callable[..., Service]
) -> None:
    from sqlmodel import Session

    from api.auth import parse_key, revoke_key

    service = service_factory(sqlite_engine, auth_cache_seconds=0.3)
    with service.client:
        assert service.call("GET", "/api/v1/instances", "officer").status_code == 200  # now cached
        parsed = parse_key(service.keys["officer"])
        assert parsed is not None
        with Session(service.engine) as session:  # as `placeplan users revoke` would: the app's cache not told
            assert revoke_key(session, parsed[0])
            session.commit()
        time.sleep(0.35)
        assert service.call("GET", "/api/v1/instances", "officer").status_code == 401
        # a wrong secret is refused even while the key's record is cached
        assert service.call("GET", "/api/v1/instances", "admin").status_code == 200
        bad = service.client.get("/api/v1/instances", headers={"Authorization": f"Bearer {service.keys['admin']}x"})
        assert bad.status_code == 401
