"""Every output shows each team's hours booked against its hours in every week, and each case's deadline and slack,
with the cases that will miss a deadline first and the reason (API result, CSVs, ICS, CLI tables)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from planner.io.transition_export import cases_csv, team_ics, team_weeks_csv
from planner.transitions.planning import TransitionParameters, plan_transitions

from .conftest import build_counter_example


@pytest.fixture(scope="module")
def short_plan() -> dict[str, Any]:
    """Issue 16's counter-example: 40 reviews for a 5-hour team, so some cases run late."""
    params = TransitionParameters(year=2027, time_limit_seconds=10, workers=1, extra_hours_analysis=False,
                                  casework_calendar=False)
    return plan_transitions(build_counter_example(), params)


def test_result_lists_cases_missing_a_deadline_first_with_reason_and_slack(short_plan: dict[str, Any]) -> None:
    cases = short_plan["cases"]
    missing = [c["misses_deadline"] for c in cases]
    assert missing[0] and missing == sorted(missing, reverse=True)
    for case in cases:
        late_weeks = [a["weeks_late"] or 0 for a in case["activities"]]
        if case["misses_deadline"]:
            assert case["reason"] and ("late (due" in case["reason"] or "not scheduled" in case["reason"])
            assert case["slack_weeks"] is None or case["slack_weeks"] < 0
        else:
            assert case["reason"] == "" and max(late_weeks) == 0 and case["slack_weeks"] >= 0
    # Slack is the least of (due week - booked week) over the case's activities: one case checked by hand
    on_time = next(c for c in cases if not c["misses_deadline"])
    weeks = {a["kind"]: (a["week"], a["due_week"]) for a in on_time["activities"]}
    assert on_time["slack_weeks"] == min(due - week for week, due in weeks.values())


def test_cases_csv_and_team_weeks_csv(short_plan: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(cases_csv(short_plan))))
    assert len(rows) == 40
    flags = [r["misses_deadline"] == "True" for r in rows]
    assert flags[0] and flags == sorted(flags, reverse=True)
    assert all(r["reason"] and r["deadline"] for r in rows if r["misses_deadline"] == "True")
    weeks = list(csv.DictReader(io.StringIO(team_weeks_csv(short_plan))))
    calendar = short_plan["calendar"]
    assert len(weeks) == calendar["weeks"]  # one team, every week of the year
    booked: dict[int, float] = {}
    for case in short_plan["cases"]:
        for act in case["activities"]:
            if act["week"] is not None:
                booked[act["week"]] = booked.get(act["week"], 0.0) + act["hours"]
    for row in weeks:
        week = int(row["week"])
        assert float(row["hours_booked"]) == pytest.approx(booked.get(week, 0.0), abs=0.02)
        assert float(row["hours_booked"]) <= float(row["hours_available"])
        assert row["over_capacity"] == "False"
        # 5 hours a week in term time, none in the holidays
        assert float(row["hours_available"]) == (5.0 if week in calendar["school_weeks"] else 0.0)


def test_ics_events_carry_deadline_and_slack(short_plan: dict[str, Any]) -> None:
    text = team_ics(short_plan, "T1").replace("\r\n ", "")
    descriptions = [line for line in text.split("\r\n") if line.startswith("DESCRIPTION:")]
    assert descriptions and all("case deadline" in d and "slack" in d for d in descriptions)
    assert "WILL MISS DEADLINE" in descriptions[0]  # the late cases come first in the file
    assert any("WILL MISS DEADLINE" not in d for d in descriptions)


def test_cli_prints_team_weeks_and_cases_and_writes_both_csvs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli.main import app

    source = tmp_path / "council.json"
    source.write_text(build_counter_example().model_dump_json(), encoding="utf-8")
    out = CliRunner().invoke(app, ["transitions", "plan", "--instance", str(source), "--year", "2027",
                                   "--time-limit", "5", "--out", str(tmp_path / "plan")], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "Hours booked /" in out.output
    # every term-time week of the team: hours booked / its 5 hours, never over
    cells = re.findall(r"│ (\d{4}-\d\d-\d\d) │ +([\d.]+)/([\d.]+) │", out.output)
    assert len(cells) == len(build_counter_example().teams) * 39
    assert all(float(booked) <= float(available) == 5.0 for _, booked, available in cells)
    assert "will miss a deadline (listed first)" in out.output
    cases = list(csv.DictReader(io.StringIO((tmp_path / "plan" / "transition_cases.csv").read_text("utf-8"))))
    assert cases[0]["misses_deadline"] == "True"
    # The CLI table lists the latest case (least slack) first
    least = min(int(r["slack_weeks"]) for r in cases if r["slack_weeks"])
    latest = {r["learner_id"]: r for r in cases if r["slack_weeks"] and int(r["slack_weeks"]) == least}
    table = out.output[out.output.index("will miss a deadline"):]
    first_row = next(line for line in table.splitlines() if line.startswith("│ L"))
    cells = [cell.strip() for cell in first_row.split("│")]
    assert cells[1] in latest and str(least) in cells and "late" in table
    assert (tmp_path / "plan" / "team_weeks.csv").read_text("utf-8").startswith("team_id,team_name,week,")


def test_learner_page_shows_slack_and_the_reason(short_plan: dict[str, Any]) -> None:
    from planner.io.transition_export import learner_html

    late = short_plan["cases"][0]
    page = learner_html(late)
    assert "will miss the deadline: " + late["reason"].split(" (")[0] in page
    on_time = next(c for c in short_plan["cases"] if not c["misses_deadline"])
    assert f"{on_time['slack_weeks']}\nweek(s)" in learner_html(on_time)
