"""End to end on a small instance: run_transitions, validated schedules, exports, parameter errors."""

from __future__ import annotations

import json

import pytest

from planner.domain import Instance
from planner.io.transition_export import activities_csv, learner_html, team_ics
from planner.progress import NullProgress
from planner.transitions import TransitionPlanError, run_transitions


def test_run_transitions_allocates_and_schedules_everyone(small_instance: Instance) -> None:
    result = run_transitions(small_instance, {"year": 2027, "time_limit_seconds": 10, "workers": 1},
                             NullProgress())
    json.dumps(result)  # JSON-serialisable
    assert result["statistics"]["cases"] == 8
    assert result["counts"]["unallocated"] == 0
    assert result["status"] == "OPTIMAL" and result["statistics"]["gap"] == 0
    assert result["statistics"]["late_cases"] == 0
    for case in result["cases"]:
        assert case["team_id"] in {"T1", "T2"}
        weeks = [a["week"] for a in case["activities"]]
        assert all(w is not None for w in weeks)
        review = case["activities"][0]
        assert review["kind"] == "review" and review["week"] <= review["due_week"]


def test_short_team_reports_late_cases_and_extra_hours(small_instance: Instance) -> None:
    short = small_instance.replace(teams=tuple(t.model_copy(update={"hours_per_week": 3.0})
                                               for t in small_instance.teams))
    result = run_transitions(short, {"year": 2027, "time_limit_seconds": 10, "workers": 1,
                                     "outreach": {"unallocated_penalty": 1_000_000}}, NullProgress())
    assert result["status"] == "FEASIBLE"
    stats = result["statistics"]
    assert stats["late_cases"] + stats["breakdown"]["unallocated_cases"] > 0
    assert result["shortfall"] or result["unallocated"]


def test_exports(small_instance: Instance) -> None:
    result = run_transitions(small_instance, {"year": 2027, "time_limit_seconds": 10, "workers": 1},
                             NullProgress())
    csv_text = activities_csv(result)
    assert csv_text.splitlines()[0].startswith("case_id,learner_id,transition")
    assert len(csv_text.splitlines()) == 1 + sum(len(c["activities"]) for c in result["cases"])
    html = learner_html(result["cases"][0])
    assert result["cases"][0]["learner_id"] in html and "<script" not in html
    ics = team_ics(result, "T1")
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    assert ics.count("BEGIN:VEVENT") == sum(
        1 for c in result["cases"] if c["team_id"] == "T1" for a in c["activities"] if a["week"] is not None)


def test_bad_parameters_name_the_field(small_instance: Instance) -> None:
    with pytest.raises(TransitionPlanError, match="year"):
        run_transitions(small_instance, {}, NullProgress())
    with pytest.raises(TransitionPlanError, match="pru_stay_weeks"):
        run_transitions(small_instance, {"year": 2027, "pru_stay_weeks": 0}, NullProgress())
