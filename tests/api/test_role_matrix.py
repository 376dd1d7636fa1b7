"""Walks every route in the OpenAPI document with every role and with no key, against a declared matrix; then with
every role x {own council, other council} on real records of one council (api.scoping)."""

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
    ("POST", "/api/v1/instances"): ADMIN,  # a new council: admins create it and grant its members
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
    ("GET", "/api/v1/instances/{instance_id}/members"): ADMIN,
    ("PUT", "/api/v1/instances/{instance_id}/members/{user_id}"): ADMIN,
    ("DELETE", "/api/v1/instances/{instance_id}/members/{user_id}"): ADMIN,
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
    ("GET", "/api/v1/scenario-money"): SCENARIOS,
    ("GET", "/api/v1/expansion-runs/{run_id}/frontier"): SCENARIOS,
    # Transition plans and team calendars name learners; the counts are aggregates anyone may read.
    ("GET", "/api/v1/transitions/{run_id}/learners/{learner_id}"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/learners/{learner_id}/page"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/teams/{team_id}/calendar.ics"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/cases.csv"): LEARNER_LEVEL,
    ("GET", "/api/v1/transitions/{run_id}/team-weeks.csv"): LEARNER_LEVEL,
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


# ----------------------------------------------------------------------------------------------------------------
# The council dimension: every operation with each role, as a member of the council whose records it names ("own")
# and as a member of another council only ("other").

# Routes that reach a council through the body or the query rather than the path (the rest: {instance_id},
# {run_id} or {scenario_id} in the path). Everything else is global (no council's records).
COUNCIL_BY_BODY = {("POST", "/api/v1/runs"), ("POST", "/api/v1/scenarios"), ("GET", "/api/v1/scenario-comparisons")}
COUNCIL_PATH_PARAMETERS = ("{instance_id}", "{run_id}", "{scenario_id}")
# Changing a scenario or cancelling a run is for its owner's role (the records below are the planner's): other
# allowed roles of the same council get 403.
OWNED_BY_PLANNER = {("PATCH", "/api/v1/scenarios/{scenario_id}"), ("DELETE", "/api/v1/scenarios/{scenario_id}"),
                    ("DELETE", "/api/v1/runs/{run_id}")}
OTHER_ROLES = ("officer", "commissioner", "planner")
# Routes over a run whose kind narrows the route's roles further (api.jobs.RUN_KIND_ROLES): expansion runs are the
# planners'; a commissioner, allowed on the route, is refused on the run.
KIND_ROLES = {("GET", "/api/v1/expansion-runs/{run_id}/frontier"): {"planner", "admin"}}


def _council_scoped(method: str, path: str) -> bool:
    return (method, path) in COUNCIL_BY_BODY or any(p in path for p in COUNCIL_PATH_PARAMETERS)


def _seed_councils(service: Service) -> dict[str, Any]:
    """Council A (the service's instance) with a parent and child scenario and finished runs of every kind, all
    owned by A's planner (officer for the learner-level kinds); council B with one member per role."""
    from sqlmodel import Session, select

    from api import store
    from api.auth import create_user
    from api.service_tables import UserRow
    from api.tables import RunRow, ScenarioRow
    from tests.api.conftest import build_small_instance

    council = service.instance_id
    with Session(service.engine) as session:
        other = store.save_instance(session, build_small_instance().model_copy(update={"name": "Otherham"}), "t")
        keys = {f"other-{role}": create_user(session, f"other-{role}", role, councils=(other,))[1]
                for role in OTHER_ROLES}
        users = {u.name: u for u in session.exec(select(UserRow)).all()}
        planner, officer = users["user-planner"].id, users["user-officer"].id
        parent = ScenarioRow(name="A parent", base_instance_id=council, owner_user_id=planner, owner_role="planner")
        session.add(parent)
        session.flush()
        child = ScenarioRow(name="A child", base_instance_id=council, parent_scenario_id=parent.id,
                            owner_user_id=planner, owner_role="planner")
        session.add(child)
        runs = {}
        for kind, owner, role in (("placement", officer, "officer"), ("transitions", officer, "officer"),
                                  ("expansion", planner, "planner"), ("sleep", planner, "planner"),
                                  ("scenario", planner, "planner")):
            run = RunRow(kind=kind, instance_id=council, council_id=council, status="succeeded", progress=1.0,
                         owner_user_id=owner, owner_role=role)
            session.add(run)
            session.flush()
            runs[kind] = run.id
        session.commit()
        assert parent.id is not None
    service.keys.update(keys)
    return {"council": council, "other": other, "scenario": parent.id, "runs": runs}


def _real_path(path: str, seeded: dict[str, Any]) -> str:
    """Council A's real instance, scenario and run ids; record ids below them that do not exist (nothing is
    changed for a member; a non-member must be refused before the record is looked up)."""
    runs = seeded["runs"]
    kind = ("placement" if path.startswith("/api/v1/placements/") else
            "transitions" if path.startswith("/api/v1/transitions/") else
            "expansion" if path.startswith("/api/v1/expansion-runs/") else "sleep")

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "instance_id":
            return str(seeded["council"])
        if name == "scenario_id":
            return str(seeded["scenario"])
        if name == "run_id":
            return str(runs[kind])
        return "NO-SUCH-ID"
    return re.sub(r"\{([^}]+)\}", value, path)


def _council_request(method: str, path: str, seeded: dict[str, Any], call: int) -> dict[str, Any]:
    """The body or query that names council A for the routes that take the council there."""
    if (method, path) == ("POST", "/api/v1/runs"):
        return {"json": {"kind": "sleep", "instance_id": seeded["council"], "parameters": {"seconds": 0.01}}}
    if (method, path) == ("POST", "/api/v1/scenarios"):
        return {"json": {"name": f"matrix {call}", "base_instance_id": seeded["council"]}}
    if (method, path) == ("GET", "/api/v1/scenario-comparisons"):
        return {"params": {"run_ids": [seeded["runs"]["scenario"]]}}
    return {"json": {}} if method in ("POST", "PUT", "PATCH") else {}


def _names_council(response: Any, seeded: dict[str, Any]) -> bool:
    """A 404 that says council A's instance, scenario or run does not exist (they do: a scoping refusal)."""
    if response.status_code != 404:
        return False
    detail = response.json().get("detail", "")
    return any(detail == text for text in (
        f"no instance with id {seeded['council']}", f"no scenario with id {seeded['scenario']}",
        *(f"no run with id {run_id!r}" for run_id in seeded["runs"].values())))


def _own_council_failure(method: str, path: str, role: str, response: Any, seeded: dict[str, Any]) -> str | None:
    allowed, status = EXPECTED[(method, path)], response.status_code
    if "public" in allowed:
        return None if status < 400 else f"{status} on a public route"
    if role not in allowed:
        return None if status == 403 else f"{status}, expected 403 (role)"
    if (method, path) in OWNED_BY_PLANNER and role not in ("planner", "admin"):
        return None if status == 403 else f"{status}, expected 403 (not the owner's role)"
    if role not in KIND_ROLES.get((method, path), {role}):
        return None if status == 403 else f"{status}, expected 403 (the run's kind)"
    if status in (401, 403) or _names_council(response, seeded):
        return f"{status} ({response.json().get('detail')}), expected the member to be let in"
    return None


def _other_council_failure(method: str, path: str, role: str, response: Any) -> str | None:
    allowed, status = EXPECTED[(method, path)], response.status_code
    if "public" in allowed:
        return None if status < 400 else f"{status} on a public route"
    if role not in allowed:
        return None if status == 403 else f"{status}, expected 403 (role)"
    if _council_scoped(method, path):
        return None if status == 404 else f"{status}, expected 404 (another council's record)"
    return None if status not in (401, 403) else f"{status} on a route with no council's records"


def test_role_by_council_matrix_over_every_route(service: Service) -> None:
    seeded = _seed_councils(service)
    failures = []
    call = 0
    for method, path, _operation in _operations(service):
        url = _real_path(path, seeded)
        for role in OTHER_ROLES:  # members of council B only, on council A's records: first, so nothing changed
            call += 1
            response = service.call(method, url, f"other-{role}", **_council_request(method, path, seeded, call))
            failure = _other_council_failure(method, path, role, response)
            if failure or response.status_code >= 500:
                failures.append(f"{method} {url} as other-council {role}: {failure or response.status_code}")
        for role in (None, *ROLES):
            if (method, path) == ("DELETE", "/api/v1/instances/{instance_id}") and role == "admin":
                continue  # would delete council A; admins act on every council (covered with a missing id above)
            call += 1
            response = service.call(method, url, role, **_council_request(method, path, seeded, call))
            failure = _own_council_failure(method, path, role, response, seeded) if role is not None or \
                "public" in EXPECTED[(method, path)] else \
                (None if response.status_code == 401 else f"{response.status_code}, expected 401")
            if failure or response.status_code >= 500:
                failures.append(f"{method} {url} as {role}: {failure or response.status_code}")
    assert not failures, "\n".join(failures)


def test_listings_hold_only_the_callers_councils(service: Service) -> None:
    seeded = _seed_councils(service)
    for role in OTHER_ROLES:
        instances = service.call("GET", "/api/v1/instances", f"other-{role}").json()["items"]
        assert [i["id"] for i in instances] == [seeded["other"]], role
        runs = service.call("GET", "/api/v1/runs", f"other-{role}").json()["items"]
        assert not {r["id"] for r in runs} & set(seeded["runs"].values()), role
    scenarios = service.call("GET", "/api/v1/scenarios", "other-planner").json()
    assert scenarios["items"] == [] and scenarios["total"] == 0
    own = service.call("GET", "/api/v1/scenarios", "planner").json()["items"]
    assert {s["name"] for s in own} == {"A parent", "A child"}
    own_runs = {r["id"] for r in service.call("GET", "/api/v1/runs", "officer").json()["items"]}
    assert {seeded["runs"]["placement"], seeded["runs"]["transitions"], seeded["runs"]["sleep"]} <= own_runs
    assert seeded["runs"]["expansion"] not in own_runs  # an officer may not see expansion runs, even in A


def test_another_councils_officer_cannot_read_or_delete_its_learners(service: Service) -> None:
    """Defect 1 of issue 18: an officer of council B read (200) and deleted (204) council A's learners."""
    seeded = _seed_councils(service)
    council = seeded["council"]
    listed = service.call("GET", f"/api/v1/instances/{council}/learners", "other-officer")
    assert listed.status_code == 404 and "L-1" not in listed.text
    assert service.call("GET", f"/api/v1/instances/{council}/learners/L-1", "other-officer").status_code == 404
    assert service.call("DELETE", f"/api/v1/instances/{council}/learners/L-4", "other-officer").status_code == 404
    patched = service.call("PATCH", f"/api/v1/instances/{council}/learners/L-4", "other-officer", json={"ncy": 9})
    assert patched.status_code == 404
    still = service.call("GET", f"/api/v1/instances/{council}/learners/L-4", "officer")
    assert still.status_code == 200 and still.json()["ncy"] == 8
    # the same officer reads their own council's learners
    assert service.call("GET", f"/api/v1/instances/{seeded['other']}/learners", "other-officer").status_code == 200


def test_a_commissioner_cannot_change_or_delete_a_planners_scenario(service: Service) -> None:
    """Defect 1 of issue 18: a commissioner edited and deleted a planner's scenario."""
    council = service.instance_id
    created = service.call("POST", "/api/v1/scenarios", "planner", json={"name": "planner's", "base_instance_id":
                                                                          council})
    assert created.status_code == 201
    scenario = f"/api/v1/scenarios/{created.json()['id']}"
    assert service.call("PATCH", scenario, "commissioner", json={"name": "hijacked"}).status_code == 403
    assert service.call("DELETE", scenario, "commissioner").status_code == 403
    assert service.call("GET", scenario, "commissioner").json()["name"] == "planner's"  # may still read it
    assert service.call("PATCH", scenario, "planner", json={"description": "mine"}).status_code == 200
    assert service.call("DELETE", scenario, "admin").status_code == 204


def test_an_admin_grants_and_removes_council_members_through_the_api(service: Service) -> None:
    """The API twin of `placeplan users grant`: effective at once in this service, audited."""
    seeded = _seed_councils(service)
    council = seeded["council"]
    members = service.call("GET", f"/api/v1/instances/{council}/members", "admin").json()
    assert {(m["user_name"], m["role"]) for m in members} == {("user-officer", "officer"),
                                                               ("user-commissioner", "commissioner"),
                                                               ("user-planner", "planner")}
    learners = f"/api/v1/instances/{council}/learners"
    assert service.call("GET", learners, "other-officer").status_code == 404  # now cached as a non-member
    other = service.call("GET", "/api/v1/me", "other-officer").json()
    assert other["councils"] == [{"instance_id": seeded["other"], "role": "officer"}]
    from sqlmodel import Session, select

    from api.service_tables import UserRow

    with Session(service.engine) as session:
        user_id = session.exec(select(UserRow.id).where(UserRow.name == "other-officer")).one()
    granted = service.call("PUT", f"/api/v1/instances/{council}/members/{user_id}", "admin", json={"role": "officer"})
    assert granted.status_code == 200 and granted.json()["role"] == "officer"
    assert service.call("GET", learners, "other-officer").status_code == 200
    assert service.call("PUT", f"/api/v1/instances/{council}/members/{user_id}", "admin",
                        json={"role": "admin"}).status_code == 422
    assert service.call("DELETE", f"/api/v1/instances/{council}/members/{user_id}", "admin").status_code == 204
    assert service.call("GET", learners, "other-officer").status_code == 404
    assert service.call("DELETE", f"/api/v1/instances/{council}/members/{user_id}", "admin").status_code == 404
    audit = service.call("GET", "/api/v1/audit", "admin", params={"resource_type": "membership"}).json()
    assert [e["action"] for e in audit["items"]] == ["delete", "update"]
