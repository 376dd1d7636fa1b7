"""Resources, jobs, audit, errors and limits through the HTTP API (SQLite and PostgreSQL via the `service` fixture)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session

from api.main import create_app
from api.settings import ServiceSettings
from api.tables import RunRow

Service = Any  # the `service` fixture (tests/api/conftest.py)
V1 = "/api/v1"


def test_health_needs_no_key_and_has_security_headers(service: Service) -> None:
    response = service.client.get(f"{V1}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in response.headers  # CORS is off unless configured


def test_settings_list_filters_and_pages(service: Service) -> None:
    base = f"{V1}/instances/{service.instance_id}/settings"
    page = service.call("GET", base, "commissioner", params={"limit": 2}).json()
    assert page["total"] == 3 and [s["id"] for s in page["items"]] == ["100001", "100002"]
    second = service.call("GET", base, "planner", params={"limit": 2, "offset": 2})
    assert [s["id"] for s in second.json()["items"]] == ["100003"] and second.headers["x-total-count"] == "3"
    assert [s["id"] for s in service.call("GET", base, "officer", params={"need": "SEMH"}).json()["items"]] == [
        "100003"]
    assert service.call("GET", base, "officer", params={"kind": "special", "locality_id": "S"}).json()["total"] == 1
    one = service.call("GET", f"{base}/100002", "commissioner").json()
    assert one["designations"] == ["ASD", "SLD"] and one["capacity"] == 80
    # the list serialises rows directly; each item must equal the record read through the domain model
    listed = service.call("GET", base, "commissioner").json()
    assert listed["items"] == [service.call("GET", f"{base}/{item['id']}", "commissioner").json()
                               for item in listed["items"]]
    assert service.call("GET", base, "commissioner").headers["cache-control"] == "no-store"
    past_end = service.call("GET", base, "planner", params={"offset": 10}).json()
    assert past_end["items"] == [] and past_end["total"] == 3
    assert service.call("GET", f"{V1}/instances/999999/settings", "planner").status_code == 404


def test_settings_write_checks_the_whole_instance(service: Service) -> None:
    base = f"{V1}/instances/{service.instance_id}/settings"
    new = {"id": "100009", "name": "New Base", "kind": "special", "designations": ["ASD"], "ncy_min": 0,
           "ncy_max": 6, "capacity": 12, "location": {"easting": 431000, "northing": 431000}, "locality_id": "N"}
    created = service.call("POST", base, "admin", json=new)
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/settings/100009")
    assert service.call("POST", base, "admin", json=new).status_code == 409
    bad = service.call("POST", base, "admin", json={**new, "id": "100010", "locality_id": "NOWHERE"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "locality_id"
    patched = service.call("PATCH", f"{base}/100009", "admin", json={"capacity": 20})
    assert patched.status_code == 200 and patched.json()["capacity"] == 20
    # A setting a learner attends cannot be deleted; an unused one can.
    assert service.call("DELETE", f"{base}/100002", "admin").status_code == 409
    assert service.call("DELETE", f"{base}/100009", "admin").status_code == 204
    assert service.call("GET", f"{base}/100009", "admin").status_code == 404
    assert service.call("GET", f"{V1}/instances/{service.instance_id}", "planner").json()["settings"] == 3


def test_learners_are_officer_only_audited_and_never_logged(service: Service,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    base = f"{V1}/instances/{service.instance_id}/learners"
    assert service.call("GET", base, "commissioner").status_code == 403
    listed = service.call("GET", base, "officer", params={"need": "ASD"})
    assert listed.status_code == 200 and [x["id"] for x in listed.json()["items"]] == ["L-1"]
    assert listed.headers["cache-control"] == "no-store"
    learner = {"id": "L-9", "birth_date": "2015-03-14", "primary_need": "HI",
               "home": {"easting": 431234, "northing": 433321}, "locality_id": "N"}
    created = service.call("POST", base, "officer", json=learner)
    assert created.status_code == 201, created.text
    # minimised: the NCY and age band, not the birth date; the home to 100 m (tests/api/test_minimisation.py)
    assert created.json()["ncy"] == 7 and created.json()["birth_date"] is None
    assert created.json()["home"] == {"easting": 431200, "northing": 433300}
    assert service.call("PATCH", f"{base}/L-9", "officer", json={"current_setting_id": "100001"}).status_code == 200
    bad = service.call("PATCH", f"{base}/L-9", "officer", json={"current_setting_id": "NOPE"})
    assert bad.status_code == 422
    assert service.call("GET", f"{base}/L-9", "officer").json()["current_setting_id"] == "100001"
    # Deleting one of a sibling pair would leave a one-member group: refused.
    assert service.call("DELETE", f"{base}/L-2", "officer").status_code == 409
    assert service.call("DELETE", f"{base}/L-9", "officer").status_code == 204

    events = service.call("GET", f"{V1}/audit", "admin", params={"resource_type": "learner", "limit": 500}).json()
    seen = [(e["action"], e["resource_id"], e["user_name"]) for e in events["items"]]
    for action in ("create", "update", "read", "delete"):
        assert (action, "L-9", "user-officer") in seen
    assert ("read", "L-1", "user-officer") in seen
    assert all(e["key_id"] and e["client_host"] for e in events["items"])
    only_deletes = service.call("GET", f"{V1}/audit", "admin", params={"action": "delete", "resource_id": "L-9"})
    assert only_deletes.json()["total"] == 1
    # No birth date, no home coordinates, no names in any log line.
    text = caplog.text
    for secret in ("2015-03-14", "431234", "433321", "Autism outreach"):
        assert secret not in text


def test_problem_details_for_errors(service: Service) -> None:
    missing = service.call("GET", f"{V1}/instances/424242", "planner")
    assert missing.status_code == 404
    body = missing.json()
    assert missing.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == 404 and body["instance"] == f"{V1}/instances/424242"
    invalid = service.call("POST", f"{V1}/runs", "planner", json={"kind": "sleep", "instance_id": "x"})
    assert invalid.status_code == 422
    assert ["body", "instance_id"] in [e["loc"] for e in invalid.json()["errors"]]
    both = service.call("POST", f"{V1}/runs", "planner", json={"kind": "sleep", "instance_id": 1, "scenario_id": 1})
    assert both.status_code == 422 and "exactly one" in both.json()["errors"][0]["msg"]
    unknown = service.call("POST", f"{V1}/runs", "planner", json={"kind": "nope", "instance_id": 1})
    assert unknown.status_code == 422 and "unknown run kind" in unknown.json()["detail"]


def test_request_size_limit_is_a_clear_413(sqlite_engine: Any, service_factory: Any) -> None:
    svc = service_factory(sqlite_engine, max_request_bytes=2000, cors_origins=["https://council.example"])
    with svc.client:
        big = svc.call("POST", f"{V1}/scenarios", "planner",
                       json={"name": "x" * 5000, "base_instance_id": svc.instance_id})
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert "2000 bytes" in big.json()["detail"]
        small = svc.call("POST", f"{V1}/scenarios", "planner", json={"name": "ok", "base_instance_id": 1})
        assert small.status_code == 201
        preflight = svc.client.options(f"{V1}/instances", headers={
            "Origin": "https://council.example", "Access-Control-Request-Method": "GET"})
        assert preflight.headers["access-control-allow-origin"] == "https://council.example"


def test_scenarios_crud_and_lineage(service: Service) -> None:
    assert service.call("GET", f"{V1}/scenarios", "officer").status_code == 403
    base = {"base_instance_id": service.instance_id, "edits": []}
    root = service.call("POST", f"{V1}/scenarios", "planner", json={**base, "name": "root"})
    assert root.status_code == 201, root.text
    child = service.call("POST", f"{V1}/scenarios", "commissioner",
                         json={**base, "name": "child", "parent_scenario_id": root.json()["id"],
                               "edits": [{"op": "expand_places", "setting_id": "100002", "places": 10,
                                          "from_year": 2027}]})
    assert child.status_code == 201, child.text
    assert service.call("POST", f"{V1}/scenarios", "planner", json={**base, "name": "root"}).status_code == 409
    bad = service.call("POST", f"{V1}/scenarios", "planner",
                       json={**base, "name": "bad", "edits": [{"op": "explode"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][:3] == ["body", "edits", 0]
    lineage = service.call("GET", f"{V1}/scenarios/{child.json()['id']}/lineage", "planner").json()
    assert [s["name"] for s in lineage] == ["root", "child"]
    listed = service.call("GET", f"{V1}/scenarios", "planner", params={"parent_scenario_id": root.json()["id"]})
    assert [s["name"] for s in listed.json()["items"]] == ["child"]
    assert service.call("DELETE", f"{V1}/scenarios/{root.json()['id']}", "planner").status_code == 409
    # the child is the commissioner's: a planner may not change it (only the owner's role or an admin may)
    refused = service.call("PATCH", f"{V1}/scenarios/{child.json()['id']}", "planner", json={"name": "child-2"})
    assert refused.status_code == 403
    renamed = service.call("PATCH", f"{V1}/scenarios/{child.json()['id']}", "commissioner", json={"name": "child-2"})
    assert renamed.json()["name"] == "child-2"

    run = service.call("POST", f"{V1}/runs", "planner", json={"kind": "sleep", "scenario_id": child.json()["id"],
                                                              "parameters": {"seconds": 0.05}})
    assert run.status_code == 202
    finished = service.wait_for(run.json()["id"])
    assert finished["status"] == "succeeded", finished
    assert finished["result"]["learners"] == ["L-1", "L-2", "L-3", "L-4"]


def test_run_lifecycle_progress_result_and_audit(service: Service) -> None:
    response = service.call("POST", f"{V1}/runs", "officer",
                            json={"kind": "sleep", "instance_id": service.instance_id, "parameters": {"seconds": 0.3}})
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert response.headers["location"] == f"{V1}/runs/{run_id}"
    mid = service.wait_for(run_id, role="officer", until=lambda r: r["status"] == "running" and r["progress"] > 0)
    assert mid["message"].startswith("step") and mid["result"] is None
    done = service.wait_for(run_id, role="officer")
    assert done["status"] == "succeeded" and done["progress"] == 1.0
    assert done["statistics"]["objective"] == 4 and done["result"]["status"] == "optimal"
    assert done["started_at"] and done["finished_at"] and done["created_by"] == "user-officer"
    status_only = service.call("GET", f"{V1}/runs/{run_id}", "officer", params={"include_result": "false"}).json()
    assert status_only == {**done, "result": None}
    assert service.call("DELETE", f"{V1}/runs/{run_id}", "officer").status_code == 409
    listed = service.call("GET", f"{V1}/runs", "officer", params={"status": "succeeded"}).json()
    assert run_id in [r["id"] for r in listed["items"]] and "result" not in listed["items"][0]
    audit = service.call("GET", f"{V1}/audit", "admin", params={"resource_id": run_id}).json()
    assert {"create", "read"} <= {e["action"] for e in audit["items"]}
    reads = [e for e in audit["items"] if e["action"] == "read"]
    assert reads and all(e["key_id"] and e["user_name"] == "user-officer" for e in reads)  # status-only reads too


def test_failed_run_keeps_the_error(service: Service) -> None:
    run = service.call("POST", f"{V1}/runs", "planner", json={"kind": "fail", "instance_id": service.instance_id})
    done = service.wait_for(run.json()["id"])
    assert done["status"] == "failed" and "parameters.weight: must be positive" in done["error"]


def test_cancel_stops_a_running_solve_promptly(service: Service) -> None:
    run = service.call("POST", f"{V1}/runs", "planner",
                       json={"kind": "sleep", "instance_id": service.instance_id, "parameters": {"seconds": 30}})
    run_id = run.json()["id"]
    service.wait_for(run_id, until=lambda r: r["status"] == "running")
    cancelled = service.call("DELETE", f"{V1}/runs/{run_id}", "planner")
    assert cancelled.status_code == 202
    done = service.wait_for(run_id, timeout=5)
    assert done["status"] == "cancelled" and done["result"] is None


def test_run_kinds_carry_roles(service: Service) -> None:
    body = {"kind": "officer_only", "instance_id": service.instance_id, "parameters": {"seconds": 0.05}}
    assert service.call("POST", f"{V1}/runs", "commissioner", json=body).status_code == 403
    run_id = service.call("POST", f"{V1}/runs", "officer", json=body).json()["id"]
    service.wait_for(run_id, role="officer")
    # A commissioner can neither read, list, cancel nor resubmit a learner-level run.
    assert service.call("GET", f"{V1}/runs/{run_id}", "commissioner").status_code == 403
    assert run_id not in [r["id"] for r in service.call("GET", f"{V1}/runs", "commissioner").json()["items"]]
    assert service.call("POST", f"{V1}/runs/{run_id}/resubmit", "commissioner").status_code == 403
    assert service.call("GET", f"{V1}/runs/{run_id}", "admin").status_code == 200


def test_interrupted_runs_at_start_up_can_be_resubmitted(service: Service) -> None:
    finished = service.call("POST", f"{V1}/runs", "planner",
                            json={"kind": "sleep", "instance_id": service.instance_id,
                                  "parameters": {"seconds": 0.02}}).json()["id"]
    service.wait_for(finished)
    with Session(service.engine) as session:
        ghost = RunRow(kind="sleep", instance_id=service.instance_id, status="running", progress=0.5,
                       parameters={"seconds": 0.02})
        session.add(ghost)
        session.commit()
        ghost_id = ghost.id
    create_app(ServiceSettings(), service.engine, migrate=False)  # a restart: start-up marks it interrupted
    ghost_now = service.call("GET", f"{V1}/runs/{ghost_id}", "planner").json()
    assert ghost_now["status"] == "interrupted" and "resubmit" in ghost_now["message"]
    assert service.call("GET", f"{V1}/runs/{finished}", "planner").json()["status"] == "succeeded"
    again = service.call("POST", f"{V1}/runs/{ghost_id}/resubmit", "planner")
    assert again.status_code == 202 and again.json()["resubmitted_from"] == ghost_id
    assert service.wait_for(again.json()["id"])["status"] == "succeeded"
    with Session(service.engine) as session:  # nothing finished is ever touched again
        session.execute(update(RunRow).where(RunRow.id == finished).values(message="kept"))
        session.commit()
    create_app(ServiceSettings(), service.engine, migrate=False)
    assert service.call("GET", f"{V1}/runs/{finished}", "planner").json()["status"] == "succeeded"


def test_instances_round_trip_and_delete(service: Service, small_instance: Any) -> None:
    body = {"instance": small_instance.model_dump(mode="json"), "source": "test-upload"}
    assert service.call("POST", f"{V1}/instances", "commissioner", json=body).status_code == 403
    assert service.call("POST", f"{V1}/instances", "officer", json=body).status_code == 403  # a new council: admin
    created = service.call("POST", f"{V1}/instances", "admin", json=body)
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert created.json()["learners"] == 4 and created.json()["settings"] == 3
    broken = small_instance.model_dump(mode="json")
    broken["learners"][0]["current_setting_id"] = "NO-SUCH-SETTING"
    rejected = service.call("POST", f"{V1}/instances", "admin", json={"instance": broken})
    assert rejected.status_code == 422
    assert rejected.json()["errors"][0]["loc"][-1] == "current_setting_id"
    names = service.call("GET", f"{V1}/instances", "admin", params={"name": "Testshire"}).json()
    assert names["total"] == 2
    # the planner is a member of the first council only: the new one is neither listed nor readable
    names = service.call("GET", f"{V1}/instances", "planner", params={"name": "Testshire"}).json()
    assert [x["id"] for x in names["items"]] == [service.instance_id]
    assert service.call("GET", f"{V1}/instances/{new_id}/localities", "commissioner").status_code == 404
    localities = service.call("GET", f"{V1}/instances/{new_id}/localities", "admin").json()
    assert [x["id"] for x in localities["items"]] == ["N", "S"]
    teams = service.call("GET", f"{V1}/instances/{new_id}/teams", "admin", params={"locality_id": "S"})
    assert teams.json()["total"] == 0
    assert service.call("GET", f"{V1}/instances/{new_id}/teams/T1", "admin").json()["specialisms"] == ["ASD"]
    assert service.call("DELETE", f"{V1}/instances/{new_id}", "officer").status_code == 403
    assert service.call("DELETE", f"{V1}/instances/{new_id}", "admin").status_code == 204
    assert service.call("GET", f"{V1}/instances/{new_id}", "admin").status_code == 404
