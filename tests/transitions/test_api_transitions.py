"""The transitions routes: learner plan (JSON, page), team calendar, counts; roles, audit and errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api import store
from api.auth import Role, create_user, grant_membership
from api.jobs import JobSettings
from api.main import create_app
from api.service_tables import AuditEventRow, UserRow
from api.settings import ServiceSettings
from api.tables import RunRow

from .conftest import build_small_instance

ROLES = ("officer", "commissioner", "planner", "admin")


@dataclass
class Api:
    client: TestClient
    keys: dict[str, str]
    instance_id: int
    engine: Engine

    def get(self, path: str, role: str | None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return self.client.get(path, headers=headers)


@pytest.fixture
def api(sqlite_engine: Engine) -> Iterator[Api]:
    with Session(sqlite_engine) as session:
        instance_id = store.save_instance(session, build_small_instance(), "transitions test")
        keys = {role: create_user(session, f"user-{role}", Role(role),
                                  councils=() if role == "admin" else (instance_id,))[1] for role in ROLES}
        session.commit()
    app = create_app(ServiceSettings(), sqlite_engine, migrate=False,
                     job_settings=JobSettings(run_executor="thread", progress_interval_seconds=0.0,
                                              cancel_poll_seconds=0.0))
    with TestClient(app) as client:
        yield Api(client=client, keys=keys, instance_id=instance_id, engine=sqlite_engine)


@pytest.fixture
def run_id(api: Api) -> str:
    """A transitions run started and finished through the generic run API (real solve, small instance)."""
    response = api.client.post("/api/v1/runs", headers={"Authorization": f"Bearer {api.keys['officer']}"},
                               json={"kind": "transitions", "instance_id": api.instance_id,
                                     "parameters": {"year": 2027, "time_limit_seconds": 10}})
    assert response.status_code == 202, response.text
    rid: str = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/runs/{rid}", "officer").json()
        if body["status"] not in ("queued", "running"):
            assert body["status"] == "succeeded", body
            return rid
        time.sleep(0.05)
    raise AssertionError("the transitions run did not finish")


def _learner_audits(api: Api, learner_id: str) -> int:
    with Session(api.engine) as session:
        rows = session.exec(select(AuditEventRow).where(AuditEventRow.resource_type == "learner",
                                                        AuditEventRow.resource_id == learner_id)).all()
        return len(rows)


def test_officer_reads_a_learner_plan_and_it_is_audited(api: Api, run_id: str) -> None:
    before = _learner_audits(api, "PS1")
    response = api.get(f"/api/v1/transitions/{run_id}/learners/PS1", "officer")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["learner_id"] == "PS1" and plan["transition"] == "primary_to_secondary"
    assert plan["deadline"] == "2027-02-15" and plan["team_id"] == "T1"
    assert [a["kind"] for a in plan["activities"]][0] == "review"
    assert _learner_audits(api, "PS1") == before + 1


def test_printable_page_is_html_for_that_learner(api: Api, run_id: str) -> None:
    response = api.get(f"/api/v1/transitions/{run_id}/learners/PS1/page", "admin")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Transition plan: learner PS1" in response.text


def test_team_calendar_is_ics_with_its_learners_only(api: Api, run_id: str) -> None:
    response = api.get(f"/api/v1/transitions/{run_id}/teams/T2/calendar.ics", "officer")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    text = response.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "learner SP1" in text and "learner PS1" not in text  # PS1 (SEMH) is T1's
    assert _learner_audits(api, "SP1") >= 1


def test_counts_for_commissioner_and_planner_without_learner_ids(api: Api, run_id: str) -> None:
    officer_plan = api.get(f"/api/v1/transitions/{run_id}/learners/PS1", "officer").json()
    for role in ("commissioner", "planner", "officer", "admin"):
        response = api.get(f"/api/v1/transitions/{run_id}/counts", role)
        assert response.status_code == 200, (role, response.text)
        counts = response.json()
        assert counts["cases"] == 8 and counts["by_transition"]["primary_to_secondary"] == 1
        assert "PS1" not in response.text and officer_plan["learner_id"] not in str(counts["by_team"])


@pytest.mark.parametrize("path", ["learners/PS1", "learners/PS1/page", "teams/T1/calendar.ics"])
@pytest.mark.parametrize("role", ["commissioner", "planner"])
def test_learner_level_routes_refuse_other_roles(api: Api, run_id: str, path: str, role: str) -> None:
    response = api.get(f"/api/v1/transitions/{run_id}/{path}", role)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_no_key_is_401_and_unknowns_are_404(api: Api, run_id: str) -> None:
    assert api.get(f"/api/v1/transitions/{run_id}/counts", None).status_code == 401
    assert api.get(f"/api/v1/transitions/{'0' * 32}/counts", "commissioner").status_code == 404
    assert api.get(f"/api/v1/transitions/{run_id}/learners/NOBODY", "officer").status_code == 404
    assert api.get(f"/api/v1/transitions/{run_id}/teams/T9/calendar.ics", "officer").status_code == 404


def test_unfinished_or_other_kind_runs_are_409(api: Api) -> None:
    with Session(api.engine) as session:
        queued = RunRow(kind="transitions", instance_id=api.instance_id, parameters={"year": 2027})
        other = RunRow(kind="placement", status="succeeded", instance_id=api.instance_id, result={"cases": []})
        session.add(queued)
        session.add(other)
        session.commit()
        queued_id, other_id = queued.id, other.id
    assert api.get(f"/api/v1/transitions/{queued_id}/learners/PS1", "officer").status_code == 409
    assert api.get(f"/api/v1/transitions/{queued_id}/counts", "commissioner").status_code == 409
    assert api.get(f"/api/v1/transitions/{other_id}/counts", "commissioner").status_code == 409


# ---- the receiving setting from the council's latest placement run --------------------------------------------


def _start_and_wait(api: Api, instance_id: int, parameters: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post("/api/v1/runs", headers={"Authorization": f"Bearer {api.keys['officer']}"},
                               json={"kind": "transitions", "instance_id": instance_id, "parameters": parameters})
    assert response.status_code == 202, response.text
    rid = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/runs/{rid}", "officer").json()
        if body["status"] not in ("queued", "running"):
            assert body["status"] == "succeeded", body
            result: dict[str, Any] = body["result"]
            return result
        time.sleep(0.05)
    raise AssertionError("the transitions run did not finish")


def _store_placement_run(api: Api, instance_id: int, decisions: dict[str, str], status: str = "succeeded") -> str:
    with Session(api.engine) as session:
        row = RunRow(kind="placement", instance_id=instance_id, status=status, created_by="test",
                     result={"decisions": [{"learner_id": k, "setting_id": v} for k, v in decisions.items()]})
        session.add(row)
        session.commit()
        return row.id


def _sources(result: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    return {c["learner_id"]: (c["receiving_setting_id"], c["receiving_source"]) for c in result["cases"]}


def test_api_run_takes_the_receiving_setting_from_the_latest_placement_run(api: Api) -> None:
    base = build_small_instance()
    # SP1's setting is agreed (pinned): it wins over any run
    pinned = base.replace(learners=tuple(lr.model_copy(update={"pinned_setting_id": "SPEC"}) if lr.id == "SP1"
                                         else lr for lr in base.learners))
    with Session(api.engine) as session:
        instance_id = store.save_instance(session, pinned, "receiving settings")
        officer = session.exec(select(UserRow).where(col(UserRow.name) == "user-officer")).one()
        grant_membership(session, officer, instance_id, Role.OFFICER)  # a second council: the officer's too
        session.commit()
    params = {"year": 2027, "time_limit_seconds": 5, "casework_calendar": False}
    no_run = _start_and_wait(api, instance_id, params)
    assert _sources(no_run)["PS1"] == ("SPEC", "request")  # no placement run: the family's first request
    assert _sources(no_run)["SP1"] == ("SPEC", "pinned")
    assert no_run["receiving_settings"]["placement_run_id"] is None
    _store_placement_run(api, instance_id, {"PS1": "JUN", "IJ1": "JUN"})
    _store_placement_run(api, instance_id, {"PS1": "PRU"}, status="failed")  # not finished: never used
    latest = _store_placement_run(api, instance_id, {"PS1": "SEC", "SP1": "COL"})
    with_run = _start_and_wait(api, instance_id, params)
    sources = _sources(with_run)
    assert sources["PS1"] == ("SEC", "placement_run")  # the latest finished run, not the request (SPEC)
    assert sources["SP1"] == ("SPEC", "pinned")  # pinned beats the run
    assert sources["IJ1"] == (None, None)  # the latest run did not place IJ1: its request is not assumed
    assert with_run["receiving_settings"]["placement_run_id"] == latest
    assert with_run["receiving_settings"]["by_source"]["placement_run"] >= 1
    # "none" plans from the requests again; a named run that is not this instance's fails the run
    assert _sources(_start_and_wait(api, instance_id, {**params, "placement_run_id": "none"}))["PS1"] == \
        ("SPEC", "request")
    response = api.client.post("/api/v1/runs", headers={"Authorization": f"Bearer {api.keys['officer']}"},
                               json={"kind": "transitions", "instance_id": instance_id,
                                     "parameters": {**params, "placement_run_id": "nosuchrun"}})
    rid = response.json()["id"]
    deadline = time.monotonic() + 30
    while (body := api.get(f"/api/v1/runs/{rid}", "officer").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert body["status"] == "failed" and "nosuchrun" in body["error"]


def test_result_and_csvs_carry_slack_reason_and_team_week_hours(api: Api, run_id: str) -> None:
    import csv
    import io

    result = api.get(f"/api/v1/runs/{run_id}", "officer").json()["result"]
    missing = [c["misses_deadline"] for c in result["cases"]]
    assert missing == sorted(missing, reverse=True)  # the cases that will miss a deadline first
    assert all("slack_weeks" in c and "reason" in c for c in result["cases"])
    response = api.get(f"/api/v1/transitions/{run_id}/cases.csv", "officer")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["learner_id"] for r in rows] == [c["learner_id"] for c in result["cases"]]
    assert _learner_audits(api, rows[0]["learner_id"]) >= 1
    weeks = list(csv.DictReader(io.StringIO(api.get(f"/api/v1/transitions/{run_id}/team-weeks.csv",
                                                    "officer").text)))
    assert len(weeks) == len(result["teams"]) * result["calendar"]["weeks"]
    for row in weeks:
        team = next(t for t in result["teams"] if t["team_id"] == row["team_id"])
        assert float(row["hours_booked"]) == team["load_hours_by_week"][int(row["week"])]
        assert float(row["hours_booked"]) <= float(row["hours_available"])
    assert api.get(f"/api/v1/transitions/{run_id}/team-weeks.csv", "commissioner").status_code == 403


def test_api_run_schedules_needs_assessment_requests_given_as_parameters(api: Api) -> None:
    result = _start_and_wait(api, api.instance_id, {
        "year": 2027, "time_limit_seconds": 5,
        "assessment_requests": [{"request_id": "R1", "received": "2026-09-14"}]})
    case = next(c for c in result["cases"] if c["case_id"] == "A-R1")
    assert case["transition"] == "new_assessment" and case["deadline"] == "2027-02-01"  # 20 weeks
    assert case["team_id"] is not None and all(a["scheduled"] for a in case["activities"])
