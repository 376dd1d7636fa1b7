"""Scenarios as named objects through the API: names and lineage on runs and in the committee's workbook, the
baseline and shipped scenarios as first-class entries, edits checked against the council, edit/delete with stale
runs kept. Runs the real "scenario" run kind on the small test council (a few hundredths of a second each)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from api.scenario_store import DATA_CHANGED

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
    about = {row[0]: row for row in sheets["scenarios"].iter_rows(values_only=True)}
    header = about["label"]
    assert about["Phase 3 plus SEMH"][header.index("lineage")] == "Phase 3 autism places > Phase 3 plus SEMH"
    assert about["Phase 3 plus SEMH"][header.index("run_id")] == scenario_run["id"]
    assert about["baseline"][header.index("baseline")] == "yes"
    table = service.call("GET", f"{V1}/scenario-comparisons", "planner", params={
        "run_ids": [baseline_run["id"], scenario_run["id"]], "baseline_run_id": scenario_run["id"]}).json()
    assert table["baseline"] == "Phase 3 plus SEMH"
    assert all(row["demand_vs_baseline"] == 0 for row in table["rows"] if row["scenario"] == "Phase 3 plus SEMH")


def test_progress_messages_name_the_scenario(service: Service) -> None:
    scenario = _scenario(service, "Riverside annex", [EXPAND])
    queued = service.call("POST", f"{V1}/runs", "planner",
                          json={"kind": "sleep", "scenario_id": scenario, "parameters": {"seconds": 0.4}})
    assert queued.json()["scenario_name"] == "Riverside annex"  # named from the moment it is queued
    mid = service.wait_for(queued.json()["id"], until=lambda r: r["status"] == "running" and r["progress"] > 0)
    assert mid["message"].startswith("scenario Riverside annex: step"), mid["message"]
    service.wait_for(queued.json()["id"])


def test_edits_naming_what_the_council_lacks_are_a_422_numbered_as_the_dashboard_numbers_them(
        service: Service) -> None:
    base = {"base_instance_id": service.instance_id}
    edits = [EXPAND, {**EXPAND, "setting_id": "999999"}]
    unknown = service.call("POST", f"{V1}/scenarios", "planner", json={**base, "name": "bad", "edits": edits})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == "edit 2: setting '999999' does not exist in this council"
    assert unknown.json()["errors"][0]["loc"] == ["body", "edits", 1, "setting_id"]
    place = {"op": "add_setting", "id": "NEW-1", "name": "New unit", "kind": "sen_unit", "designations": ["ASD"],
             "ncy_min": 0, "ncy_max": 6, "places": 8, "opens_year": 2027, "locality_id": "NOWHERE"}
    locality = service.call("POST", f"{V1}/scenarios", "planner", json={**base, "name": "bad", "edits": [place]})
    assert locality.json()["detail"] == "edit 1: locality 'NOWHERE' does not exist in this council"
    shape = service.call("POST", f"{V1}/scenarios", "planner",
                         json={**base, "name": "bad", "edits": [EXPAND, {**EXPAND, "places": 0}]})
    assert shape.status_code == 422 and shape.json()["detail"].startswith("edit 2 (expand_places): places:")
    # A setting added by an earlier edit (here the parent's) may be named by a later one.
    parent = _scenario(service, "New unit", [{**place, "locality_id": "N"}])
    _scenario(service, "New unit grows", [{**EXPAND, "setting_id": "NEW-1"}], parent=parent)
    # Changing the parent so that its child would name a setting that no longer exists is refused.
    broken = service.call("PATCH", f"{V1}/scenarios/{parent}", "planner", json={"edits": [EXPAND]})
    assert broken.status_code == 422
    assert broken.json()["detail"] == ("scenario 'New unit grows' (which builds on this one) would break: "
                                       "edit 1: setting 'NEW-1' does not exist in this council")


def test_edited_and_deleted_scenarios_keep_their_runs_marked_stale(service: Service) -> None:
    scenario = _scenario(service, "Riverside annex", [EXPAND])
    first = _run(service, scenario_id=scenario)
    assert first["stale"] is False and first["scenario_lineage"][0]["version"] == 1
    renamed = service.call("PATCH", f"{V1}/scenarios/{scenario}", "planner", json={"description": "same edits"})
    assert renamed.json()["version"] == 1  # a new description does not change the figures
    assert service.call("GET", f"{V1}/runs/{first['id']}", "planner").json()["stale"] is False
    edited = service.call("PATCH", f"{V1}/scenarios/{scenario}", "planner", json={"edits": [{**EXPAND, "places": 20}]})
    assert edited.status_code == 200 and edited.json()["version"] == 2 and edited.json()["updated_at"]
    again = service.call("GET", f"{V1}/runs/{first['id']}", "planner").json()
    assert again["stale"] is True
    assert again["stale_reason"] == "scenario 'Riverside annex' has been edited since this run"
    second = _run(service, scenario_id=scenario)
    assert second["stale"] is False
    assert service.call("DELETE", f"{V1}/scenarios/{scenario}", "planner").status_code == 204
    kept = service.call("GET", f"{V1}/runs", "planner", params={"scenario_name": "Riverside annex"}).json()["items"]
    assert {r["id"]: r["stale_reason"] for r in kept} == {
        run["id"]: "scenario 'Riverside annex' has been deleted since this run" for run in (first, second)}
    result = service.call("GET", f"{V1}/runs/{second['id']}", "planner").json()["result"]
    assert result["scenario"]["name"] == "Riverside annex" and result["kpis"]  # the figures are kept


def test_reserved_names_are_refused(service: Service) -> None:
    for name in ("baseline", "phase2-special-expansion"):
        refused = service.call("POST", f"{V1}/scenarios", "planner",
                               json={"name": name, "base_instance_id": service.instance_id})
        assert refused.status_code == 409 and "taken by the baseline or a shipped scenario" in refused.json()["detail"]


def _second_council(service: Service, settings: tuple[Any, ...]) -> int:
    """The small council with these settings instead, stored as a second council the service's users belong to."""
    from sqlmodel import Session, col, select

    from api import store
    from api.auth import grant_membership
    from api.service_tables import UserRow
    from tests.api.conftest import build_small_instance

    small = build_small_instance()
    known = {s.id for s in settings}
    council = small.replace(name="Second shire", settings=settings, learners=tuple(
        lr.model_copy(update={"requested_setting_ids": tuple(x for x in lr.requested_setting_ids if x in known)})
        for lr in small.learners))
    with Session(service.engine) as session:
        instance_id = store.save_instance(session, council, "test")
        # The service's users are members of the first council only (api.scoping): give them this one too.
        for user in session.exec(select(UserRow).where(col(UserRow.role) != "admin")).all():
            grant_membership(session, user, int(instance_id), user.role, granted_by="test")
        session.commit()
    return int(instance_id)


def _with_a_pru(service: Service) -> int:
    """The small council plus a pupil referral unit for ages 5-16 (NCY 1-11), without its SEMH special school."""
    from planner.domain.models import Setting
    from tests.api.conftest import build_small_instance

    small = build_small_instance()
    pru = Setting.model_validate({**small.setting_by_id["100003"].model_dump(), "id": "100004", "name": "Vale PRU",
                                  "kind": "pru_ap", "designations": frozenset(), "ncy_min": 1, "ncy_max": 11})
    return _second_council(service, tuple(s for s in small.settings if s.id != "100003") + (pru,))


def test_the_shipped_scenarios_that_fit_are_listed_and_run_on_a_council_they_were_not_written_for(
        service: Service) -> None:
    # The small council (a mainstream primary, an ASD/SLD special school, an SEMH school; no PRU, no specialist
    # post-16 institution): phase 2 fits it (its edits choose the council's own settings), the others do not.
    listed = service.call("GET", f"{V1}/scenarios", "commissioner",
                          params={"base_instance_id": service.instance_id, "catalogue": "true"}).json()
    assert [(s["key"], s["source"], s["editable"]) for s in listed["items"]] == [
        ("baseline", "baseline", False), ("shipped:phase2-special-expansion", "shipped", False)]
    shipped = listed["items"][1]
    # What its edits mean here: 100002 is the council's only ASD special school taking NCY 9 (and its largest SLD
    # one, so the second expansion is an annex of its own); the Reception-Year 6 base goes in North Primary.
    resolved = shipped["resolved_edits"]
    assert resolved[0] == {"op": "expand_places", "setting_id": "100002", "places": 32, "from_year": 2028,
                           "capital_cost": 2_400_000}
    assert (resolved[1]["op"], resolved[1]["id"], resolved[1]["places"]) == ("add_setting", "100002:ncy0-2028", 24)
    assert resolved[3]["host_setting_id"] == "100001" and shipped["edits"][0]["op"] == "expand_chosen"
    run = _run(service, **{**shipped["run_target"],
                           "parameters": {**FAST, **shipped["run_target"]["parameters"]}})
    assert run["scenario_name"] == "phase2-special-expansion" and run["result"]["scenario"]["name"] == shipped["name"]
    assert [m["source"] for m in run["scenario_lineage"]] == ["shipped"] and run["stale"] is False
    # 32 places at 100002 (the only ASD special school) and 24 more there as the largest SLD one from 2028, and the
    # autism school opening in 2029 (its GBP 14m spent the year before, 2028); the resourced provision opening in 2027
    # is paid for in the base year (scenarios.what_if: capital is spent the year before opening).
    assert run["result"]["totals"]["capital_spent"] == 32 * 75_000 + 24 * 87_500 + 14_000_000
    assert run["result"]["totals"]["capital_spent_before_first_year"] == 600_000
    baseline = _run(service, **listed["items"][0]["run_target"])
    assert baseline["scenario_name"] == "baseline" and baseline["result"]["totals"]["capital_spent"] == 0


def test_a_shipped_scenario_that_does_not_fit_is_refused_with_the_reason(service: Service) -> None:
    council = _with_a_pru(service)  # before the first call: a principal's councils are cached (api.auth)
    refused = service.call("POST", f"{V1}/runs", "planner", json={
        "kind": "scenario", "instance_id": service.instance_id, "parameters": {**FAST, "scenario": "pru-restructure"}})
    assert refused.status_code == 422
    assert refused.json()["detail"] == ("scenario 'pru-restructure' does not fit: no pupil referral unit or AP in "
                                        "this council (edit 1, reduce_chosen)")
    listed = service.call("GET", f"{V1}/scenarios", "planner",
                          params={"base_instance_id": council, "catalogue": "true"}).json()["items"]
    assert "shipped:pru-restructure" not in [s["key"] for s in listed]
    no_semh = service.call("POST", f"{V1}/runs", "planner", json={
        "kind": "sufficiency", "instance_id": council, "parameters": {"scenario": "pru-restructure"}})
    assert no_semh.status_code == 422, no_semh.text
    assert no_semh.json()["detail"] == ("scenario 'pru-restructure' does not fit: no SEMH special school designated "
                                        "SEMH taking NCY 3 in this council (edit 4, redesignate_chosen)")
    unknown = service.call("POST", f"{V1}/runs", "planner", json={
        "kind": "expansion", "instance_id": council, "parameters": {"scenario": "phase9"}})
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["detail"].startswith("unknown scenario 'phase9'")


def test_a_run_given_its_own_edits_is_not_labelled_baseline(service: Service) -> None:
    run = _run(service, instance_id=service.instance_id, parameters={**FAST, "edits": [EXPAND]})
    assert run["scenario_name"] == run["result"]["scenario"]["name"] == "baseline with ad hoc edits"


def test_a_scenario_the_councils_new_data_no_longer_fits_says_why(service: Service) -> None:
    from sqlmodel import Session

    from api import store
    from tests.api.conftest import build_small_instance

    scenario = _scenario(service, "Vale SEMH annex", [{**EXPAND, "setting_id": "100003"}])
    assert service.call("GET", f"{V1}/scenarios/{scenario}", "planner").json()["problem"] is None
    small = build_small_instance()
    refreshed = small.replace(settings=tuple(s for s in small.settings if s.id != "100003"),
                              learners=tuple(lr.model_copy(update={"requested_setting_ids": ()})
                                             for lr in small.learners))
    with Session(service.engine) as session:  # a later import without the SEMH school
        store.overwrite_instance(session, service.instance_id, refreshed, "test")
        session.commit()
    listed = service.call("GET", f"{V1}/scenarios", "planner",
                          params={"base_instance_id": service.instance_id}).json()["items"]
    assert [s["problem"] for s in listed] == [
        "scenario 'Vale SEMH annex', edit 1: setting '100003' does not exist in this council"]


def test_baseline_runs_go_stale_when_the_councils_data_change(service: Service) -> None:
    changed = "the council's data (learners, settings) have changed since this run"
    baseline = _run(service, instance_id=service.instance_id)
    scenario_run = _run(service, scenario_id=_scenario(service, "Riverside annex", [EXPAND]))
    assert baseline["stale"] is False and scenario_run["stale"] is False
    # A change to a setting (admin) makes every run on the old data stale, the baseline's first of all.
    patched = service.call("PATCH", f"{V1}/instances/{service.instance_id}/settings/100002", "admin",
                           json={"capacity": 90})
    assert patched.status_code == 200, patched.text
    again = service.call("GET", f"{V1}/runs/{baseline['id']}", "planner").json()
    assert (again["stale"], again["stale_reason"]) == (True, changed)
    assert service.call("GET", f"{V1}/runs/{scenario_run['id']}", "planner").json()["stale_reason"] == changed
    fresh = _run(service, instance_id=service.instance_id)
    assert fresh["stale"] is False
    # So does a learner's removal (officer); the list shows the same reasons as the single reads.
    removed = service.call("DELETE", f"{V1}/instances/{service.instance_id}/learners/L-4", "officer")
    assert removed.status_code == 204, removed.text
    listed = service.call("GET", f"{V1}/runs", "planner", params={"scenario_name": "baseline"}).json()["items"]
    assert {r["id"]: r["stale_reason"] for r in listed} == {baseline["id"]: changed, fresh["id"]: changed}


def test_a_shipped_scenario_is_the_target_of_sufficiency_and_expansion_runs(service: Service) -> None:
    from sqlmodel import Session

    from api.jobs import load_run_input
    from api.tables import RunRow

    shipped = {"scenario": "phase2-special-expansion"}
    queued = service.call("POST", f"{V1}/runs", "planner", json={
        "kind": "sufficiency", "instance_id": service.instance_id,
        "parameters": {**shipped, "forecast": {"runs": 20, "horizon_years": 3}}})
    assert queued.status_code == 202, queued.text
    sufficiency = service.wait_for(queued.json()["id"])
    assert sufficiency["status"] == "succeeded", sufficiency
    assert sufficiency["scenario_name"] == "phase2-special-expansion"
    assert [m["source"] for m in sufficiency["scenario_lineage"]] == ["shipped"]
    # Its places are the scenario's: the autism school it opens in 2029 (base year 2026 + 3) has 120.
    opened = {(r["academic_year"], r["capacity"]) for r in sufficiency["result"]["spare_places"]
              if r["setting_id"] == "NEW-ASD-SPECIAL"}
    assert opened == {(2029, 120)}
    queued = service.call("POST", f"{V1}/runs", "planner", json={
        "kind": "expansion", "instance_id": service.instance_id, "parameters": {
            **shipped, "candidate_count": 3, "horizon_years": 3, "forecast": {"runs": 20}, "robust_draws": 0,
            "marginal_values": False, "frontier_fractions": []}})
    assert queued.status_code == 202, queued.text
    expansion = service.wait_for(queued.json()["id"])
    assert expansion["status"] == "succeeded", expansion
    assert expansion["scenario_name"] == "phase2-special-expansion" and expansion["stale"] is False
    with Session(service.engine) as session:  # what the expansion solved: the scenario's settings, not the data's
        row = session.get(RunRow, expansion["id"])
        assert row is not None
        instance, parameters = load_run_input(session, row)
    assert instance.setting_by_id["NEW-ASD-SPECIAL"].capacity == 120 and "scenario" not in parameters


def test_a_stored_scenario_choosing_what_the_council_lacks_is_a_422(service: Service) -> None:
    close = {"op": "close_chosen", "pick": {"kinds": ["pru_ap"]}, "years_from_base": 1}
    refused = service.call("POST", f"{V1}/scenarios", "planner", json={
        "name": "no PRU here", "base_instance_id": service.instance_id, "edits": [EXPAND, close]})
    assert refused.status_code == 422
    assert refused.json()["detail"] == ("edit 2 (close_chosen): does not fit: no pupil referral unit or AP in this "
                                        "council")
    assert refused.json()["errors"][0]["loc"] == ["body", "edits", 1, "pick"]
    fits = {**close, "pick": {"kinds": ["semh_special"], "need": "SEMH"}}
    _scenario(service, "close the SEMH school", [fits])


def test_a_poll_says_what_the_full_read_says_but_the_result(service: Service) -> None:
    """`?include_result=false` is read in one query without the ORM: the same fields, the same staleness (fresh,
    data changed, scenario edited), the same 404 for a council the caller is not in."""
    def both(run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        full = service.call("GET", f"{V1}/runs/{run_id}", "planner").json()
        polled = service.call("GET", f"{V1}/runs/{run_id}", "planner", params={"include_result": "false"}).json()
        return {**full, "result": None}, polled

    baseline = _run(service, instance_id=service.instance_id)
    scenario_run = _run(service, scenario_id=_scenario(service, "Riverside annex", [EXPAND]))
    for run in (baseline, scenario_run):
        full, polled = both(run["id"])
        assert polled == full and polled["stale"] is False
    service.call("PATCH", f"{V1}/instances/{service.instance_id}/settings/100002", "admin", json={"capacity": 90})
    full, polled = both(baseline["id"])
    assert polled == full and polled["stale_reason"] == DATA_CHANGED
    missing = service.call("GET", f"{V1}/runs/{'0' * 32}", "planner", params={"include_result": "false"})
    assert missing.status_code == 404
