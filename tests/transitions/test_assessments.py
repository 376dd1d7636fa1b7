"""New needs assessments on the 20-week clock, scheduled against the teams' hours (planner.transitions.assessments),
and read from a SEN2 return's Requests and Assessment modules (planner.io.sen2.requests). Dated examples: the 20
weeks are calendar weeks (SEND Regulations 2014 reg 13(2)), so the summer holiday counts."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from planner.io.sen2.model import Sen2Person
from planner.io.sen2.requests import read_open_requests
from planner.io.sen2.writer import write_sen2_csv
from planner.transitions.casework_calendar import AssessmentRequest
from planner.transitions.planning import TransitionParameters, plan_transitions, planning_calendar

from .conftest import build_small_instance

# Received 20 July 2026, in the summer holiday before the 2026/27 year: decision by 31 August 2026 (6 weeks,
# still the holiday: the team has no hours then), final plan by Monday 7 December 2026 (140 calendar days).
SUMMER = AssessmentRequest(request_id="R-SUMMER", received=date(2026, 7, 20))
# Received Monday 14 September 2026 in term time: decision by 26 October (half-term week), no-plan notice by
# 4 January 2027, final plan by 1 February 2027.
AUTUMN = AssessmentRequest(request_id="R-AUTUMN", received=date(2026, 9, 14))
# Received 14 June 2027 and being assessed: every remaining step falls due after the planning year (2027/28)
JUNE = AssessmentRequest(request_id="R-JUNE", received=date(2027, 6, 14), stage="assessment")


def _plan(*requests: AssessmentRequest, hours: float = 20.0) -> dict[str, Any]:
    params = TransitionParameters(year=2027, time_limit_seconds=5, workers=1, extra_hours_analysis=False,
                                  assessment_requests=requests)
    return plan_transitions(build_small_instance(hours_per_week=hours), params)


def _case(result: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(c for c in result["cases"] if c["case_id"] == case_id)


def test_summer_request_runs_its_twenty_calendar_weeks_through_the_holiday() -> None:
    result = _plan(SUMMER, AUTUMN, JUNE)
    summer = _case(result, "A-R-SUMMER")
    assert summer["transition"] == "new_assessment" and summer["statutory"]
    assert summer["deadline"] == "2026-12-07"  # 20 calendar weeks: the 6 weeks of holiday count
    acts = {a["kind"]: a for a in summer["activities"]}
    assert list(acts) == ["decision_to_assess", "needs_assessment", "draft_plan", "final_plan"]
    # The 6-week decision fell due on 31 August 2026 (last full week ending Friday 28 August), before the first
    # term-time week: no hours then, so it is late from the start, and the case is listed first with the reason
    assert acts["decision_to_assess"]["due_date"] == "2026-08-28"
    assert acts["decision_to_assess"]["weeks_late"] > 0
    assert summer["misses_deadline"] and "decision_to_assess" in summer["reason"]
    assert result["cases"][0]["misses_deadline"]
    # The final plan is still on time: due in the week ending Friday 4 December 2026
    assert acts["final_plan"]["due_date"] == "2026-12-04" and acts["final_plan"]["weeks_late"] == 0
    calendar = planning_calendar(TransitionParameters(year=2027))
    school_weeks = set(calendar.school_weeks())
    # Every step is booked in a term-time week, each after the one before it; the draft leaves the family's
    # 15 days (two whole weeks) before the final plan (reg 13(1))
    assert all(a["week"] in school_weeks for a in summer["activities"])
    weeks = [a["week"] for a in summer["activities"]]
    assert weeks == sorted(weeks) and weeks[3] - weeks[2] >= 3


def test_term_time_request_is_on_time_and_the_dates_are_the_statutory_ones() -> None:
    result = _plan(AUTUMN)
    autumn = _case(result, "A-R-AUTUMN")
    assert autumn["deadline"] == "2027-02-01" and not autumn["misses_deadline"] and autumn["slack_weeks"] >= 0
    acts = {a["kind"]: a for a in autumn["activities"]}
    assert acts["decision_to_assess"]["due_date"] == "2026-10-23"  # 26 October 2026 is a Monday
    assert acts["needs_assessment"]["due_date"] == "2027-01-01"  # 16 weeks: Monday 4 January 2027
    assert acts["final_plan"]["due_date"] == "2027-01-29"
    rows = [r for r in result["statutory_calendar"]["rows"] if r["process"] == "new_assessment"]
    assert rows[0]["steps"] == {"decision_to_assess_by": "2026-10-26", "no_plan_notice_by": "2027-01-04",
                                "final_plan_by": "2027-02-01"}


def test_a_request_with_nothing_due_this_year_is_in_the_calendar_only_and_the_work_uses_team_hours() -> None:
    result = _plan(AUTUMN, JUNE)
    assert not any(c["case_id"] == "A-R-JUNE" for c in result["cases"])
    assert any(r["learner_id"] == "R-JUNE" for r in result["statutory_calendar"]["rows"])
    # The assessment's hours count against its team's weekly hours, never over them
    autumn = _case(result, "A-R-AUTUMN")
    team = next(t for t in result["teams"] if t["team_id"] == autumn["team_id"])
    for act in autumn["activities"]:
        assert team["load_hours_by_week"][act["week"]] >= act["hours"]
    assert all(b <= c for b, c in zip(team["load_hours_by_week"], team["capacity_hours_by_week"], strict=True))
    assert result["statistics"]["bound"] <= result["statistics"]["objective"]


def test_a_short_team_makes_a_request_late_and_the_schedule_stays_valid() -> None:
    # A 2-hour team: no step (2-4 hours plus the round trip) fits in one of its weeks, so all are left out and the
    # case will miss its deadline, saying why
    result = _plan(AUTUMN, hours=2.0)
    autumn = _case(result, "A-R-AUTUMN")
    assert autumn["team_id"] == "T1" and autumn["misses_deadline"] and autumn["slack_weeks"] is None
    assert not any(a["scheduled"] for a in autumn["activities"])
    assert "needs more than the team's 2 hours in a week" in autumn["reason"]
    assert result["cases"][0]["misses_deadline"]
    assert result["statistics"]["weeks_over_capacity"] == 0


def _person(pid: str, received: date, plan_start: date | None = None) -> Sen2Person:
    return Sen2Person(person_table_id=pid, upn="", forename="A", surname="B", birth_date=date(2015, 3, 1), sex="F",
                      postcode="", request_received=received, plan_start=plan_start)


def _rewrite(path: Path, column: str, values: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    key = next(iter(rows[0]))
    for row in rows:
        row[column] = values.get(row[key], row[column])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_open_requests_read_from_a_sen2_return(tmp_path: Path) -> None:
    census = date(2025, 1, 16)
    persons = [
        _person("P1", date(2024, 12, 2)),  # decision yet to be made (RequestOutcome A)
        _person("P2", date(2024, 10, 1), plan_start=date(2024, 12, 20)),  # plan issued: closed
        _person("P3", date(2024, 11, 4), plan_start=date(2024, 12, 20)),  # rewritten below: being assessed
        _person("P4", date(2025, 2, 3)),  # received after the census date: not in this return's caseload
        _person("P5", date(2024, 9, 9)),  # rewritten below: withdrawn
    ]
    write_sen2_csv(tmp_path, persons, census, "990", blade_names=False)
    _rewrite(tmp_path / "assessment.csv", "assessmentoutcome", {"P3-A1": "A"})
    _rewrite(tmp_path / "requests.csv", "requestoutcome", {"P5-R1": "W"})
    found = read_open_requests(tmp_path, pseudonym_key="k")
    assert [(r.received, r.stage) for r in found] == [(date(2024, 12, 2), "decision"),
                                                      (date(2024, 11, 4), "assessment")]
    assert all(r.learner_id and r.learner_id.startswith("P") and len(r.learner_id) == 17 for r in found)
    assert all(r.request_id.startswith(str(r.learner_id)) for r in found)
    # A drafting request: a plan will be issued (AssessmentOutcome Y) but none has started by the census date
    later = read_open_requests(tmp_path, pseudonym_key="k", census_date=date(2024, 12, 1))
    assert ("drafting", date(2024, 10, 1)) in [(r.stage, r.received) for r in later]


def test_cli_schedules_the_open_requests_of_a_sen2_return(tmp_path: Path, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from api.cli.main import app

    monkeypatch.setenv("PLACEPLAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    write_sen2_csv(tmp_path / "sen2", [_person("P1", date(2026, 9, 14)), _person("P2", date(2026, 10, 5))],
                   date(2026, 10, 8), "990", blade_names=False)
    source = tmp_path / "council.json"
    source.write_text(build_small_instance().model_dump_json(), encoding="utf-8")
    out = CliRunner().invoke(app, ["transitions", "plan", "--instance", str(source), "--year", "2027",
                                   "--time-limit", "5", "--sen2-requests", str(tmp_path / "sen2"),
                                   "--out", str(tmp_path / "plan")], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "2 open needs-assessment requests from sen2" in out.output
    with (tmp_path / "plan" / "transition_cases.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["transition"] == "new_assessment"]
    # Received 14 September and 5 October 2026: final plans by 1 and 22 February 2027 (20 calendar weeks)
    assert sorted(r["deadline"] for r in rows) == ["2027-02-01", "2027-02-22"]
    assert all(r["learner_id"].startswith("P") and r["team_id"] for r in rows)
