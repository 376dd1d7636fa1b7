"""Every API route that emits learner-level data writes audit events with the learner count (issue 18, defect 2:
`GET /runs/{id}` of a placement run returned 912 learner decisions and wrote 0 learner events).

The routes are derived from the OpenAPI document: every GET declared for officers only (learner-level, see
api/auth.py) plus the run routes whose result is learner-level for some kinds. A new learner-level route is
called here with real ids; without an audit event carrying `learner_count` it fails this test.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from api.auth import parse_key
from api.service_tables import AuditEventRow

V1 = "/api/v1"
LEARNER_LEVEL = {"officer", "admin"}
# Open to other roles, but learner-level for placement and transitions runs (api.audit.LEARNER_LEVEL_RESULTS).
ALSO_LEARNER_LEVEL = {"/api/v1/runs/{run_id}"}
# Shows learner ids only for a hard rule that could not hold: audited with the count, which may be 0.
# Officer-only routes of learner-level runs that show no learner (aggregates): still audited, with learner_count 0
MAY_SHOW_NONE = {"/api/v1/placements/{run_id}/breakdown", "/api/v1/transitions/{run_id}/team-weeks.csv"}
Service = Any


def _learner_level_reads(service: Service) -> list[str]:
    document = service.client.get("/openapi.json").json()
    paths = [path for path, item in document["paths"].items()
             if "get" in item and (set(item["get"].get("x-roles", [])) == LEARNER_LEVEL or path in ALSO_LEARNER_LEVEL)]
    assert len(paths) >= 12, paths  # the learner, placement and transitions reads, run results
    return sorted(paths)


def _run(service: Service, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    response = service.call("POST", f"{V1}/runs", "officer",
                            json={"kind": kind, "instance_id": service.instance_id, "parameters": parameters})
    assert response.status_code == 202, response.text
    run = service.wait_for(response.json()["id"], role="admin", timeout=120)
    assert run["status"] == "succeeded", run
    return run


def _add_transfer_learner(service: Service) -> None:
    """An ASD learner in Year 6 in the north (where the autism outreach team works): a 2027 transfer case that
    team supports, so its calendar lists a learner."""
    learner = {"id": "L-7", "ncy": 6, "primary_need": "ASD", "home": {"easting": 430049, "northing": 434051},
               "locality_id": "N", "current_setting_id": "100001"}
    created = service.call("POST", f"{V1}/instances/{service.instance_id}/learners", "officer", json=learner)
    assert created.status_code == 201, created.text


def _fill(path: str, ids: dict[str, str]) -> str:
    kind = "transitions" if path.startswith(f"{V1}/transitions/") else "placement"

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return ids[f"{kind}_{name}"] if f"{kind}_{name}" in ids else ids[name]
    return re.sub(r"\{([^}]+)\}", value, path)


def _events_since(service: Service, after: int, key_id: str) -> list[AuditEventRow]:
    with Session(service.engine) as session:
        return list(session.exec(select(AuditEventRow).where(col(AuditEventRow.id) > after,
                                                             col(AuditEventRow.key_id) == key_id)).all())


def _last_id(service: Service) -> int:
    with Session(service.engine) as session:
        return max([e.id or 0 for e in session.exec(select(AuditEventRow)).all()], default=0)


def test_every_learner_level_read_is_audited_with_its_learner_count(sqlite_service: Service) -> None:
    service = sqlite_service
    _add_transfer_learner(service)
    placement = _run(service, "placement", {})
    transitions = _run(service, "transitions", {"year": 2027, "time_limit_seconds": 5})
    decisions, cases = placement["result"]["decisions"], transitions["result"]["cases"]
    assert decisions and cases
    team = next(case["team_id"] for case in cases if case.get("team_id"))
    ids = {"instance_id": str(service.instance_id), "learner_id": "L-1", "run_id": placement["id"],
           "placement_learner_id": decisions[0]["learner_id"], "transitions_run_id": transitions["id"],
           "transitions_learner_id": cases[0]["learner_id"], "team_id": team}
    parsed = parse_key(service.keys["officer"])
    assert parsed is not None
    for path in _learner_level_reads(service):
        before = _last_id(service)
        url = _fill(path, ids)
        response = service.call("GET", url, "officer")
        assert response.status_code == 200, (url, response.text)
        counted = [e for e in _events_since(service, before, parsed[0]) if e.learner_count is not None]
        assert counted, f"GET {path} emitted learner-level data without an audit event carrying learner_count"
        assert all(e.channel == "api" and e.role == "officer" for e in counted)
        if path not in MAY_SHOW_NONE:
            assert sum(e.learner_count or 0 for e in counted) >= 1, path
    # a run's whole result: one event with the number of learners in it
    for run, learners in ((placement, len(decisions)), (transitions, len(cases))):
        before = _last_id(service)
        assert service.call("GET", f"{V1}/runs/{run['id']}", "officer").status_code == 200
        events = _events_since(service, before, parsed[0])
        assert [(e.resource_type, e.resource_id, e.learner_count) for e in events] == [("run", run["id"], learners)]
    # polling without the result shows no learner (status, progress, aggregate statistics): no event
    before = _last_id(service)
    polled = service.call("GET", f"{V1}/runs/{placement['id']}", "officer", params={"include_result": "false"})
    assert polled.status_code == 200 and polled.json()["result"] is None
    assert _events_since(service, before, parsed[0]) == []


def _points(value: Any) -> list[dict[str, Any]]:
    """Every {"easting", "northing"} object anywhere in a JSON value."""
    if isinstance(value, dict):
        own = [value] if {"easting", "northing"} <= value.keys() else []
        return own + [p for v in value.values() for p in _points(v)]
    if isinstance(value, list):
        return [p for v in value for p in _points(v)]
    return []


def test_run_results_and_learner_reads_never_carry_a_home_to_the_metre(sqlite_service: Service) -> None:
    """Homes leave the service rounded to 100 m: learner records, and any location in a run's result."""
    service = sqlite_service
    _add_transfer_learner(service)
    placement = _run(service, "placement", {})
    transitions = _run(service, "transitions", {"year": 2027, "time_limit_seconds": 5})
    learners = service.call("GET", f"{V1}/instances/{service.instance_id}/learners", "officer").json()
    homes = [item["home"] for item in learners["items"]]
    assert len(homes) == 5
    points = homes + _points(placement["result"]) + _points(transitions["result"])
    assert all(p["easting"] % 100 == 0 and p["northing"] % 100 == 0 for p in points), points


def test_polling_a_run_never_reads_its_result(sqlite_service: Service) -> None:
    """A poll (`include_result=false`) leaves the megabyte result column unread: the audit must not touch it
    (reading `run.result` to decide the event's learner count loaded it on every poll and cut the service's
    throughput under load)."""
    from sqlalchemy import inspect
    from sqlmodel import Session

    from api.auth import Principal, Role
    from api.jobs import load_run_for

    service = sqlite_service
    run = _run(service, "placement", {})
    admin = Principal(user_id=0, user_name="test-admin", role=Role.ADMIN, key_id="test")
    with Session(service.engine) as session:
        polled = load_run_for(session, admin, run["id"], None, with_result=False, count_learners=True)
        assert "result" in inspect(polled).unloaded  # still deferred after the audit event was written
        session.rollback()
