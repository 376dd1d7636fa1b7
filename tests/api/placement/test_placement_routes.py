"""The placement routes on a finished run of the hand-worked round (see conftest.py for the known answer), on SQLite
and PostgreSQL: content, filters, paging, explanations, options, exports, breakdown, roles, audit and errors."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlmodel import Session

from api.tables import RunRow

Service = Any  # conftest.Service
Placed = tuple[Any, dict[str, Any]]
V1 = "/api/v1"
PLACEMENT_ROUTES = {
    "/api/v1/placements/{run_id}/learners",
    "/api/v1/placements/{run_id}/learners/{learner_id}",
    "/api/v1/placements/{run_id}/learners/{learner_id}/options",
    "/api/v1/placements/{run_id}/export.csv",
    "/api/v1/placements/{run_id}/export.xlsx",
    "/api/v1/placements/{run_id}/breakdown",
}
# The proven optimum of the round (worked by hand in conftest.py): learner -> (setting, choice met, minutes).
# Minutes: car model 10.8 + 0.95 min/km, rounded: P-1 1 km, P-2 9.5 km, P-4 ~0.5 km, P-6 1 km.
EXPECTED = {"P-1": ("S-A", 1, 12), "P-2": ("S-C", None, 20), "P-4": ("S-B", None, 11), "P-5": (None, None, None),
            "P-6": ("S-C", None, 12)}


def _get(svc: Service, path: str, role: str = "officer", **params: Any) -> Any:
    return svc.call("GET", f"{V1}/placements/{path}", role, params=params or None)


def _ids(page: dict[str, Any]) -> list[str]:
    return [row["learner_id"] for row in page["items"]]


def test_list_is_the_proven_optimum_with_reasons(placed: Placed) -> None:
    svc, run = placed
    response = _get(svc, f"{run['id']}/learners")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 5 and page["limit"] == 50 and page["offset"] == 0
    rows = {row["learner_id"]: row for row in page["items"]}
    assert {lid: (r["setting_id"], r["preference_rank"], r["travel_minutes"]) for lid, r in rows.items()} == EXPECTED
    assert "X-1" not in rows  # stays at Cedar: not in the round
    assert rows["P-1"] | {"reason": ""} == {
        "learner_id": "P-1", "status": "placed", "setting_id": "S-A", "setting_name": "Ashgrove Academy",
        "pinned": False, "over_capacity": False, "preference_rank": 1, "preference_met": True,
        "preference_not_met_reason": None, "travel_minutes": 12, "unplaced_reason": None, "reason": ""}
    assert rows["P-1"]["reason"].startswith("Requested setting (choice 1) named: Ashgrove Academy")
    assert rows["P-2"]["preference_met"] is False
    assert rows["P-2"]["preference_not_met_reason"] == "choice 1 S-D: UNSUITABLE (NOT_DESIGNATED)"
    assert rows["P-2"]["setting_name"] == "Cedar High"
    assert rows["P-4"]["preference_met"] is None  # no request
    assert rows["P-5"]["status"] == "unplaced" and rows["P-5"]["unplaced_reason"] == "ALL_FULL"
    assert rows["P-5"]["setting_name"] is None and rows["P-5"]["reason"]
    assert rows["P-6"]["pinned"] is True and rows["P-6"]["reason"].startswith("Agreed placement at Cedar High")
    # The list is the run's stored plan, in its order.
    assert _ids(page) == [d["learner_id"] for d in run["result"]["decisions"]]


def test_list_filters_and_pages(placed: Placed) -> None:
    svc, run = placed
    path = f"{run['id']}/learners"
    assert _ids(_get(svc, path, status="unplaced").json()) == ["P-5"]
    assert sorted(_ids(_get(svc, path, status="placed").json())) == ["P-1", "P-2", "P-4", "P-6"]
    assert _ids(_get(svc, path, preference_met="true").json()) == ["P-1"]
    assert _ids(_get(svc, path, preference_met="false").json()) == ["P-2"]
    assert sorted(_ids(_get(svc, path, setting_id="S-C").json())) == ["P-2", "P-6"]
    assert _ids(_get(svc, path, setting_id="S-C", preference_met="false").json()) == ["P-2"]
    none = _get(svc, path, status="unplaced", setting_id="S-C")
    assert none.json()["items"] == [] and none.json()["total"] == 0 and none.headers["x-total-count"] == "0"
    everyone = _ids(_get(svc, path).json())
    pages = [_get(svc, path, limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [len(p.json()["items"]) for p in pages] == [2, 2, 1]
    assert all(p.json()["total"] == 5 and p.headers["x-total-count"] == "5" for p in pages)
    assert [lid for p in pages for lid in _ids(p.json())] == everyone
    assert _get(svc, path, offset=10).json() == {"items": [], "total": 5, "limit": 50, "offset": 10}
    placed_page = _get(svc, path, status="placed", limit=3, offset=3).json()
    assert placed_page["total"] == 4 and len(placed_page["items"]) == 1
    for bad in ({"status": "maybe"}, {"preference_met": "perhaps"}, {"limit": 0}, {"limit": 501}, {"offset": -1},
                {"setting_id": "bad id!"}):
        response = _get(svc, path, **bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")


def test_explanation_of_a_placed_learner(placed: Placed) -> None:
    svc, run = placed
    body = _get(svc, f"{run['id']}/learners/P-2").json()
    assert body["learner_id"] == "P-2" and body["status"] == "placed" and body["academic_year"] == 2027
    assert body["chosen"] == {"setting_id": "S-C", "name": "Cedar High", "kind": "mainstream", "travel_minutes": 20,
                              "rules": {"placed": 0, "preference": 4, "restrictiveness": 0, "travel": 20,
                                        "cost": body["chosen"]["rules"]["cost"]}}
    assert body["requests"] == [{"setting_id": "S-D", "setting_name": "Dale SEMH", "rank": 1,
                                 "outcome": "UNSUITABLE", "ground": "UNSUITABLE",
                                 "detail": "NOT_DESIGNATED"}]
    assert body["nearest_with_one_more_place"] == [] and body["unplaced_reason"] is None
    alternatives = {a["setting_id"]: a for a in body["alternatives"]}
    assert set(alternatives) == {"S-A", "S-B", "S-D", "S-E"}  # every setting but the chosen one
    assert alternatives["S-A"]["eligible"] and alternatives["S-A"]["reasons"] == ["FULL"]
    assert not alternatives["S-A"]["has_place"] and alternatives["S-A"]["spare_places"] == 0
    assert alternatives["S-B"]["reasons"] == ["NOT_DESIGNATED"] and not alternatives["S-B"]["eligible"]
    assert alternatives["S-D"]["requested"] == 1 and alternatives["S-D"]["reasons"] == ["NOT_DESIGNATED"]
    assert alternatives["S-E"]["reasons"] == ["WORSE_ON_TRAVEL"] and alternatives["S-E"]["detail"] == \
        "worse on travel by 5"
    assert alternatives["S-E"]["travel_minutes"] == 25 and alternatives["S-E"]["distance_km"] == 14.5
    pinned = _get(svc, f"{run['id']}/learners/P-6").json()
    assert pinned["pinned"] is True and pinned["chosen"]["setting_id"] == "S-C"


def test_explanation_of_an_unplaced_learner_names_what_would_take_them(placed: Placed) -> None:
    svc, run = placed
    body = _get(svc, f"{run['id']}/learners/P-5").json()
    assert body["status"] == "unplaced" and body["chosen"] is None and body["unplaced_reason"] == "ALL_FULL"
    assert body["reason"] == "Suitable settings within reach are all full"
    nearest = body["nearest_with_one_more_place"]
    assert [o["setting_id"] for o in nearest] == ["S-B"]  # the one setting for PMLD, full with P-4
    assert nearest[0]["eligible"] and not nearest[0]["has_place"] and nearest[0]["reasons"] == ["FULL"]
    assert len(body["alternatives"]) == 5
    assert {a["setting_id"] for a in body["alternatives"] if not a["eligible"]} == {"S-A", "S-C", "S-D", "S-E"}


def test_options_are_the_best_n_against_the_plan(placed: Placed) -> None:
    svc, run = placed
    body = _get(svc, f"{run['id']}/learners/P-2/options").json()
    assert body["run_id"] == run["id"] and body["learner_id"] == "P-2" and body["chosen_setting_id"] == "S-C"
    assert body["n"] == 5
    # The plan's proposal first, then settings with a place (Elm), then full ones (Ashgrove, naming whom it would
    # displace); ineligible ones never.
    assert [(o["setting_id"], o["proposed"]) for o in body["items"]] == [("S-C", True), ("S-E", False),
                                                                         ("S-A", False)]
    assert [o["has_place"] for o in body["items"][1:]] == [True, False]
    assert body["items"][1]["would_displace"] == [] and len(body["items"][2]["would_displace"]) == 1
    elm = body["items"][1]
    # The fields the dashboard (api/web/static/placements.js) shows.
    assert elm["name"] == "Elm Academy" and elm["kind"] == "mainstream" and elm["distance_km"] == 14.5
    assert elm["free_places"] == 10 and elm["requested"] is None and elm["travel_minutes"] == 25
    assert [o["setting_id"] for o in _get(svc, f"{run['id']}/learners/P-2/options", n=1).json()["items"]] == ["S-C"]
    # PMLD: only Birch, chosen
    assert [o["setting_id"] for o in _get(svc, f"{run['id']}/learners/P-4/options").json()["items"]] == ["S-B"]
    assert [o["setting_id"] for o in _get(svc, f"{run['id']}/learners/P-5/options").json()["items"]] == ["S-B"]
    for n in (0, 51, "x"):
        assert _get(svc, f"{run['id']}/learners/P-2/options", n=n).status_code == 422


def test_csv_and_xlsx_exports(placed: Placed) -> None:
    svc, run = placed
    response = _get(svc, f"{run['id']}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="placements-2027-{run["id"][:8]}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["learner_id", "setting_id", "setting_name", "preference_met", "travel_minutes",
                             "pinned", "step_down", "reason"]
    by_id = {r["learner_id"]: r for r in rows}
    assert {lid: (r["setting_id"] or None, int(r["preference_met"]) if r["preference_met"].isdigit() else None,
                  int(r["travel_minutes"]) if r["travel_minutes"] else None) for lid, r in by_id.items()} == EXPECTED
    # Not met and nothing requested are told apart (P-2 requested S-D and was refused; P-4 requested nothing).
    assert (by_id["P-2"]["preference_met"], by_id["P-4"]["preference_met"]) == ("not met", "nothing requested")
    assert by_id["P-1"]["setting_name"] == "Ashgrove Academy" and by_id["P-6"]["pinned"] == "True"
    assert "choice 1 S-D: UNSUITABLE [UNSUITABLE] (NOT_DESIGNATED)" in by_id["P-2"]["reason"]
    assert by_id["P-5"]["reason"] == "Suitable settings within reach are all full"
    unplaced = list(csv.DictReader(io.StringIO(_get(svc, f"{run['id']}/export.csv", status="unplaced").text)))
    assert [r["learner_id"] for r in unplaced] == ["P-5"]

    response = _get(svc, f"{run['id']}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"] == \
        f'attachment; filename="placements-2027-{run["id"][:8]}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["placements"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == list(rows[0])
    xlsx = {row[0]: row for row in values[1:]}
    assert {lid: (r[1] or None, r[3] if isinstance(r[3], int) else None, r[4]) for lid, r in xlsx.items()} == EXPECTED
    assert xlsx["P-2"][2] == "Cedar High" and xlsx["P-6"][5] is True
    assert xlsx["P-2"][6] is False and xlsx["P-2"][7] == by_id["P-2"]["reason"]
    filtered = load_workbook(io.BytesIO(_get(svc, f"{run['id']}/export.xlsx", setting_id="S-C").content))
    assert sorted(row[0].value for row in filtered["placements"].iter_rows(min_row=2)) == ["P-2", "P-6"]


def test_breakdown_is_the_per_rule_objective_and_statistics(placed: Placed) -> None:
    svc, run = placed
    body = _get(svc, f"{run['id']}/breakdown").json()
    assert body["run_id"] == run["id"] and body["status"] == "OPTIMAL" and body["academic_year"] == 2027
    objective = {row["rule"]: (row["value"], row["bound"]) for row in body["objective"]}
    assert [row["rule"] for row in body["objective"]] == ["placed", "preference", "restrictiveness", "travel", "cost"]
    # placed: P-5; preference: P-2's unmet request (penalty 4); restrictiveness: P-4 in a special school (3);
    # travel: 12 + 20 + 11 + 12.
    assert objective["placed"] == (1, 1) and objective["preference"] == (4, 4)
    assert objective["restrictiveness"] == (3, 3) and objective["travel"] == (55, 55)
    assert body["statistics"]["gap"] == 0.0 and body["statistics"]["eligible_pairs"] > 0
    assert body["statistics"]["objective"] == {rule: value for rule, (value, _) in objective.items()}
    assert body["summary"] == {
        "learners": 5, "placed": 4, "unplaced": 1, "pinned": 1, "over_capacity": 0, "with_requests": 2,
        "preference_met": 1, "preference_met_by_rank": {"1": 1}, "unplaced_by_reason": {"ALL_FULL": 1},
        "travel_minutes_total": 55, "travel_minutes_mean": 13.75, "travel_minutes_max": 20}
    assert body["infeasibilities"] == []


def test_only_officers_and_admins_and_never_without_a_key(placed: Placed) -> None:
    svc, run = placed
    document = svc.client.get("/openapi.json").json()
    mine = {path: item for path, item in document["paths"].items() if path.startswith("/api/v1/placements/")}
    assert set(mine) == PLACEMENT_ROUTES
    assert all(set(item) == {"get"} and item["get"]["x-roles"] == ["officer", "admin"] for item in mine.values())
    for path in PLACEMENT_ROUTES:
        url = path.replace("{run_id}", run["id"]).replace("{learner_id}", "P-2")
        assert svc.call("GET", url, "officer").status_code == 200, url
        assert svc.call("GET", url, "admin").status_code == 200, url
        for role in ("commissioner", "planner"):
            response = svc.call("GET", url, role)
            assert response.status_code == 403, (url, role)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "Cedar" not in response.text and "setting_id" not in response.text  # nothing of the plan
        anonymous = svc.call("GET", url, None)
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        assert svc.client.get(url, headers={"Authorization": "Bearer pp_nope_nope"}).status_code == 401


def test_every_schema_has_an_example(placed: Placed) -> None:
    svc, _ = placed
    schemas = svc.client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("PlacementRow", "SettingOption", "ChosenSetting", "RequestPublic", "LearnerPlacementDetail",
                 "LearnerOptions", "RuleValue", "InfeasibilityPublic", "PlacementSummary", "PlacementBreakdown"):
        assert schemas[name].get("examples"), name
    page = schemas["Page_PlacementRow_"]
    assert page["properties"]["items"]["items"]["$ref"].endswith("/PlacementRow")


def _learner_reads(svc: Service, learner_id: str) -> list[dict[str, Any]]:
    events = svc.call("GET", f"{V1}/audit", "admin",
                      params={"resource_type": "learner", "resource_id": learner_id, "limit": 500}).json()["items"]
    return [e for e in events if e["action"] == "read" and "/placements/" in (e["path"] or "")]


def test_learner_level_reads_are_audited(placed: Placed) -> None:
    svc, run = placed
    rid = run["id"]
    assert _learner_reads(svc, "P-2") == []
    _get(svc, f"{rid}/learners/P-2")
    events = _learner_reads(svc, "P-2")
    assert len(events) == 1
    event = events[0]
    assert event["user_name"] == "user-officer" and event["role"] == "officer" and event["method"] == "GET"
    assert event["path"] == f"{V1}/placements/{rid}/learners/P-2"
    assert event["instance_id"] == str(svc.instance_id)
    _get(svc, f"{rid}/learners/P-2/options", role="admin")
    assert [e["user_name"] for e in _learner_reads(svc, "P-2")] == ["user-admin", "user-officer"]
    # A list page audits exactly the learners on that page.
    _get(svc, f"{rid}/learners", status="unplaced")
    assert len(_learner_reads(svc, "P-5")) == 1 and len(_learner_reads(svc, "P-1")) == 0
    # An export audits every learner in it.
    _get(svc, f"{rid}/export.csv")
    _get(svc, f"{rid}/export.xlsx", preference_met="true")
    assert {lid: len(_learner_reads(svc, lid)) for lid in EXPECTED} == {"P-1": 2, "P-2": 3, "P-4": 1, "P-5": 2,
                                                                        "P-6": 1}
    # The run itself is audited as read on every route, including the aggregate breakdown.
    before = svc.call("GET", f"{V1}/audit", "admin", params={"resource_id": rid, "action": "read"}).json()["total"]
    _get(svc, f"{rid}/breakdown")
    after = svc.call("GET", f"{V1}/audit", "admin", params={"resource_id": rid, "action": "read"}).json()["total"]
    assert after == before + 1
    # Refused calls read nothing.
    for role in ("commissioner", "planner"):
        assert _get(svc, f"{rid}/learners/P-4", role=role).status_code == 403
        assert _get(svc, f"{rid}/export.csv", role=role).status_code == 403
    assert len(_learner_reads(svc, "P-4")) == 1


def test_unknown_runs_and_learners_are_404(placed: Placed) -> None:
    svc, run = placed
    for path in ("learners", "learners/P-1", "learners/P-1/options", "export.csv", "export.xlsx", "breakdown"):
        response = _get(svc, f"{'0' * 32}/{path}")
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "no run with id" in response.json()["detail"]
    for learner in ("NOPE", "X-1"):  # unknown; and in the instance but not in this round
        for suffix in ("", "/options"):
            response = _get(svc, f"{run['id']}/learners/{learner}{suffix}")
            assert response.status_code == 404, (learner, suffix)
            assert f"learner {learner!r} is not in placement run" in response.json()["detail"]
    assert _get(svc, "not-a-run-id/learners").status_code == 422


def test_runs_that_are_not_finished_placements_are_409(service: Service) -> None:
    other = service.wait_for(service.start({"kind": "sleep", "instance_id": service.instance_id}))
    assert other["status"] == "succeeded"
    response = _get(service, f"{other['id']}/learners")
    assert response.status_code == 409 and response.json()["title"] == "Not a placement run"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "'sleep' run" in response.json()["detail"]

    failed = service.wait_for(service.start({"kind": "placement", "instance_id": service.instance_id,
                                             "parameters": {"no_such_parameter": 1}}))
    assert failed["status"] == "failed"
    for path in ("learners", "learners/P-1", "learners/P-1/options", "export.csv", "export.xlsx", "breakdown"):
        response = _get(service, f"{failed['id']}/{path}")
        assert response.status_code == 409, path
        assert response.json()["title"] == "Placement run not finished"
        assert response.json()["detail"] == f"run {failed['id']} is failed: start a new placement run"

    # A placement run still queued or running, or cancelled (rows written directly: a real solve here is too quick
    # to catch in flight).
    with Session(service.engine) as session:
        rows = {status: RunRow(kind="placement", instance_id=service.instance_id, status=status)
                for status in ("queued", "running", "cancelled", "interrupted")}
        session.add_all(rows.values())
        session.commit()
        ids = {status: row.id for status, row in rows.items()}
    for status, run_id in ids.items():
        response = _get(service, f"{run_id}/learners/P-1")
        assert response.status_code == 409, status
        hint = "wait for it to finish" if status in ("queued", "running") else "start a new placement run"
        assert response.json()["detail"] == f"run {run_id} is {status}: {hint}"
