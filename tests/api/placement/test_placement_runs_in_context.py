"""Placement routes on runs in context: a run on a scenario (its materialised instance, not the base), an instance
changed after the run (409, never a wrong explanation), determinism, and the demo council end to end."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import Session, select

from api import store
from api.auth import grant_membership
from api.service_tables import UserRow
from planner.domain.models import Instance
from planner.placement.explain import recommend
from planner.placement.plan import PlacementPlan
from planner.validation.placement import check_placement_plan

Service = Any  # conftest.Service
V1 = "/api/v1"
FERN = {"op": "add_setting", "id": "S-F", "name": "Fern Academy", "kind": "mainstream", "ncy_min": 7, "ncy_max": 11,
        "places": 5, "opens_year": 2027, "location": {"easting": 430_500, "northing": 430_000}, "locality_id": "N"}


def _get(svc: Service, path: str, role: str = "officer", **params: Any) -> Any:
    return svc.call("GET", f"{V1}/placements/{path}", role, params=params or None)


def _rows(svc: Service, run_id: str, **params: Any) -> dict[str, dict[str, Any]]:
    page = _get(svc, f"{run_id}/learners", limit=500, **params).json()
    return {row["learner_id"]: row for row in page["items"]}


def test_a_scenario_run_is_explained_against_the_scenario(service: Service) -> None:
    created = service.call("POST", f"{V1}/scenarios", "planner",
                           json={"name": "Fern opens", "base_instance_id": service.instance_id, "edits": [FERN]})
    assert created.status_code == 201, created.text
    run = service.placement(scenario_id=created.json()["id"])
    rows = _rows(service, run["id"])
    # Fern (next door to P-2, only in the scenario) takes P-2; the rest is as in the base round.
    assert rows["P-2"]["setting_id"] == "S-F" and rows["P-2"]["setting_name"] == "Fern Academy"
    assert rows["P-2"]["travel_minutes"] == 11
    assert rows["P-1"]["setting_id"] == "S-A" and rows["P-5"]["status"] == "unplaced"
    detail = _get(service, f"{run['id']}/learners/P-2").json()
    assert detail["chosen"]["name"] == "Fern Academy"
    assert {a["setting_id"] for a in detail["alternatives"]} == {"S-A", "S-B", "S-C", "S-D", "S-E"}
    options = _get(service, f"{run['id']}/learners/P-2/options").json()["items"]
    # the proposal, then with a place by travel, then full
    assert [o["setting_id"] for o in options] == ["S-F", "S-C", "S-E", "S-A"]
    exported = list(csv.DictReader(io.StringIO(_get(service, f"{run['id']}/export.csv").text)))
    assert {r["learner_id"]: r["setting_name"] for r in exported}["P-2"] == "Fern Academy"
    # The base instance's run is unchanged by the scenario.
    base = service.placement()
    assert _rows(service, base["id"])["P-2"]["setting_id"] == "S-C"


def test_an_instance_changed_after_the_run_is_a_409_not_a_wrong_answer(sqlite_service: Service) -> None:
    svc = sqlite_service
    run = svc.placement()
    instance_path = f"{V1}/instances/{svc.instance_id}"
    assert svc.call("DELETE", f"{instance_path}/learners/P-5", "officer").status_code == 204
    response = _get(svc, f"{run['id']}/learners/P-5")
    assert response.status_code == 409 and response.json()["title"] == "Instance changed since the run"
    assert "learner 'P-5' is no longer in the instance" in response.json()["detail"]
    assert _get(svc, f"{run['id']}/learners/P-5/options").status_code == 409
    assert _get(svc, f"{run['id']}/learners").json()["total"] == 5  # the stored plan is still listed
    # Birch (where P-4 is proposed) is removed: its explanation and the export cannot be rebuilt.
    assert svc.call("DELETE", f"{instance_path}/settings/S-B", "admin").status_code == 204
    assert _get(svc, f"{run['id']}/learners/P-4").status_code == 409
    assert _get(svc, f"{run['id']}/export.csv").status_code == 409
    assert _get(svc, f"{run['id']}/export.xlsx").status_code == 409
    assert _rows(svc, run["id"])["P-4"]["setting_name"] is None
    assert _get(svc, f"{run['id']}/learners/P-2").status_code == 200  # unaffected learners still explained


def test_same_instance_same_answer(sqlite_service: Service) -> None:
    first, second = sqlite_service.placement(), sqlite_service.placement()
    assert first["id"] != second["id"]
    assert _get(sqlite_service, f"{first['id']}/learners").json() == \
        _get(sqlite_service, f"{second['id']}/learners").json()
    assert _get(sqlite_service, f"{first['id']}/export.csv").text == \
        _get(sqlite_service, f"{second['id']}/export.csv").text


def _demo(svc: Service) -> tuple[int, Instance]:
    from scenarios.demo import build_demo

    instance = build_demo("demo", 2026)
    with Session(svc.engine) as session:
        instance_id = store.save_instance(session, instance, "demo:demo:2026")
        officer = session.exec(select(UserRow).where(UserRow.name == "user-officer")).one()
        grant_membership(session, officer, instance_id, "officer")  # a new council: its officer is granted it
        session.commit()
    svc.app.state.key_cache.clear()
    return instance_id, instance


def test_the_demo_council_end_to_end(sqlite_service: Service) -> None:
    svc = sqlite_service
    instance_id, instance = _demo(svc)
    run = svc.placement(instance_id=instance_id)
    plan = PlacementPlan.model_validate(run["result"])
    assert check_placement_plan(instance, plan) == []  # the solver-independent oracle
    assert plan.statistics.status == "OPTIMAL" and plan.statistics.unplaced > 0
    rid = run["id"]
    page = _get(svc, f"{rid}/learners", limit=500).json()
    assert page["total"] == len(plan.decisions) == plan.statistics.learners
    unplaced = _get(svc, f"{rid}/learners", status="unplaced", limit=500).json()
    assert unplaced["total"] == plan.statistics.unplaced
    not_met = _get(svc, f"{rid}/learners", preference_met="false", limit=500).json()
    assert all(r["preference_not_met_reason"] for r in not_met["items"])
    assert not_met["total"] == sum(1 for d in plan.decisions if d.requests and d.preference_rank is None)
    # Every unplaced learner: the reason category, and nearest-first eligible settings that are full.
    for row in unplaced["items"][:5]:
        body = _get(svc, f"{rid}/learners/{row['learner_id']}").json()
        assert body["unplaced_reason"] == row["unplaced_reason"]
        nearest = body["nearest_with_one_more_place"]
        assert all(o["eligible"] and not o["has_place"] for o in nearest)
        assert [o["travel_minutes"] for o in nearest] == sorted(o["travel_minutes"] for o in nearest)
        if row["unplaced_reason"] == "ALL_FULL":
            assert nearest
    # Options are planner.placement.explain.recommend against the same plan.
    learner_id = page["items"][0]["learner_id"]
    options = _get(svc, f"{rid}/learners/{learner_id}/options", n=7).json()["items"]
    assert [o["setting_id"] for o in options] == [a.setting_id for a in recommend(instance, plan, learner_id, 7)]
    exported = list(csv.DictReader(io.StringIO(_get(svc, f"{rid}/export.csv").text)))
    assert len(exported) == len(plan.decisions)
    assert all(r["travel_minutes"] == "" or r["travel_minutes"].isdigit() for r in exported)
    breakdown = _get(svc, f"{rid}/breakdown").json()
    assert breakdown["summary"]["placed"] == plan.statistics.placed
    assert {r["rule"]: r["value"] for r in breakdown["objective"]} == plan.statistics.objective


def test_an_infeasible_round_reports_the_broken_rule(sqlite_service: Service) -> None:
    svc = sqlite_service
    # P-6 (MLD) pinned to Birch Special, which is not designated for MLD: the pin cannot hold.
    patched = svc.call("PATCH", f"{V1}/instances/{svc.instance_id}/learners/P-6", "officer",
                       json={"pinned_setting_id": "S-B"})
    assert patched.status_code == 200, patched.text
    run = svc.placement()
    breakdown = _get(svc, f"{run['id']}/breakdown").json()
    assert breakdown["status"] == "INFEASIBLE"
    assert [(i["rule"], i["learner_id"], i["setting_id"]) for i in breakdown["infeasibilities"]] == [
        ("pinned_placement", "P-6", "S-B")]
    assert "NOT_DESIGNATED" in breakdown["infeasibilities"][0]["detail"]
    assert _get(svc, f"{run['id']}/learners").json()["total"] == 0  # no plan to list
    assert _get(svc, f"{run['id']}/learners/P-6").status_code == 404
    events = svc.call("GET", f"{V1}/audit", "admin", params={"resource_type": "learner", "resource_id": "P-6",
                                                              "action": "read"}).json()["items"]
    assert [e["path"] for e in events] == [f"{V1}/placements/{run['id']}/breakdown"]
