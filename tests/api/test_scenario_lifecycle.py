"""Scenarios as named objects through the API: names and lineage on runs and in the committee's workbook, the
baseline and shipped scenarios as first-class entries, edits checked against the council, edit/delete with stale
runs kept. Runs the real "scenario" run kind on the small test council (a few hundredths of a second each)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

Service = Any  # the `service` fixture (tests/api/conftest.py)
V1 = "/api/v1"
FAST = {"runs": 20, "horizon_years": 2, "placement_kpis": False}
EXPAND = {"op": "expand_places", "setting_id": "100002", "places": 10, "from_year": 2027}


def _scenario(service: Service, name: str, edits: list[dict[str, Any]], parent: int | None = None) -> int:
    created = service.call("POST", f"{V1}/scenarios", "planner", json={
        "name": name, "base_instance_id": service.instance_id, "edits": edits, "parent_scenario_id": parent})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _run(service: Service, **target: Any) -> dict[str, Any]:
    queued = service.call("POST", f"{V1}/runs", "planner", json={"kind": "scenario", "parameters": FAST, **target})
    assert queued.status_code == 202, queued.text
    done = service.wait_for(queued.json()["id"])
    assert done["status"] == "succeeded", done
    return done


def test_the_scenario_name_survives_into_the_comparison_workbook(service: Service) -> None:
    root = _scenario(service, "Phase 3 autism places", [EXPAND])
    child = _scenario(service, "Phase 3 plus SEMH", [{**EXPAND, "setting_id": "100003", "places": 5}], parent=root)
    scenario_run = _run(service, scenario_id=child)
    baseline_run = _run(service, instance_id=service.instance_id)
    assert scenario_run["result"]["scenario"]["name"] == "Phase 3 plus SEMH"
    assert scenario_run["result"]["scenario"]["lineage"] == ["Phase 3 autism places", "Phase 3 plus SEMH"]
    assert scenario_run["scenario_name"] == "Phase 3 plus SEMH"
    assert baseline_run["result"]["scenario"]["name"] == "baseline"
    listed = service.call("GET", f"{V1}/runs", "planner", params={"kind": "scenario"}).json()["items"]
    assert {r["id"]: r["scenario_name"] for r in listed} == {scenario_run["id"]: "Phase 3 plus SEMH",
                                                             baseline_run["id"]: "baseline"}
    workbook = service.call("GET", f"{V1}/scenario-comparisons", "commissioner", params={
        "run_ids": [baseline_run["id"], scenario_run["id"]], "format": "xlsx"})
    assert workbook.status_code == 200, workbook.text
    sheets = load_workbook(io.BytesIO(workbook.content), read_only=True)
    by_year = list(sheets["by year"].iter_rows(values_only=True))
    labels = {row[by_year[0].index("scenario")] for row in by_year[1:]}
    assert labels == {"baseline", "Phase 3 plus SEMH"}


def test_progress_messages_name_the_scenario(service: Service) -> None:
    scenario = _scenario(service, "Riverside annex", [EXPAND])
    queued = service.call("POST", f"{V1}/runs", "planner",
                          json={"kind": "sleep", "scenario_id": scenario, "parameters": {"seconds": 0.4}})
    assert queued.json()["scenario_name"] == "Riverside annex"  # named from the moment it is queued
    mid = service.wait_for(queued.json()["id"], until=lambda r: r["status"] == "running" and r["progress"] > 0)
    assert mid["message"].startswith("scenario Riverside annex: step"), mid["message"]
    service.wait_for(queued.json()["id"])
