"""Workload levelling (planner.transitions.levelling): second to lateness, never over a week's hours, never later.

The front-loading test fails on the code before levelling: the list schedule books the team to 100% in weeks 0-2
and leaves it idle for the six weeks after, though every activity is due in week 8.
"""

from __future__ import annotations

import pytest

from planner.transitions.levelling import level_schedule, load_profile, weekly_load
from planner.transitions.planning import TransitionParameters, plan_transitions
from planner.transitions.schedule import (
    ScheduleActivity,
    TeamScheduleProblem,
    schedule_objective,
    solve_team_schedule,
)
from planner.validation.schedule import check_schedule

from .conftest import build_counter_example
from .test_schedule import random_problem


def _front_loaded() -> TeamScheduleProblem:
    """Six one-hour visits due in week 8, two hours a week for nine weeks: room for all of them on time."""
    acts = [ScheduleActivity(f"c{k}:visit", f"c{k}", "visit", 60, release_week=0, due_week=8) for k in range(6)]
    return TeamScheduleProblem(team_id="T", capacity=[120] * 9, activities=acts, unscheduled_penalty=50)


def _squares(problem: TeamScheduleProblem, weeks: dict[str, int | None]) -> float:
    load = weekly_load(problem, weeks)
    return sum(load[w] ** 2 / problem.capacity[w] for w in range(problem.weeks) if problem.capacity[w] > 0)


def test_the_solver_alone_front_loads_and_levelling_spreads_the_load() -> None:
    problem = _front_loaded()
    solved = solve_team_schedule(problem, time_limit=1, workers=1)
    before = load_profile(problem, solved.week_by_activity)
    assert solved.objective == 0
    assert before.peak_share == 1.0 and before.first_weeks_share == 1.0  # weeks 0-2 full, weeks 3-8 idle
    levelled = level_schedule(problem, solved.week_by_activity, margin_weeks=2)
    after = load_profile(problem, levelled)
    check = check_schedule(problem, levelled)
    assert check.ok and check.objective == 0  # still on time, nothing over a week's hours
    assert after.peak_share == 0.5  # one visit a week
    assert after.first_weeks_share == 0.5
    # and none moved into the last two weeks before the due week (the margin)
    assert max(w for w in levelled.values() if w is not None) <= 6


@pytest.mark.parametrize("seed", range(8))
def test_levelling_never_makes_an_activity_later_nor_breaks_a_rule(seed: int) -> None:
    problem = random_problem(seed, cases=8, cap=200 + 40 * seed)
    solved = solve_team_schedule(problem, time_limit=1, workers=1)
    levelled = level_schedule(problem, solved.week_by_activity, margin_weeks=1)
    check = check_schedule(problem, levelled)
    assert check.ok, check.violations
    _, late_before = schedule_objective(problem, solved.week_by_activity)
    for activity_id, late in check.late_weeks.items():
        assert late <= late_before[activity_id]
    assert {a for a, w in levelled.items() if w is None} == {a for a, w in solved.week_by_activity.items()
                                                              if w is None}
    assert _squares(problem, levelled) <= _squares(problem, solved.week_by_activity) + 1e-9


def test_plan_is_never_over_a_week_hours_and_levelling_keeps_the_objective() -> None:
    """40 cases on a team with 30 hours a week: a schedule with every activity on time and within the hours exists
    (the list schedule finds it), so no week may be over, and levelling spreads the load at no cost."""
    instance = build_counter_example(cases=40, hours_per_week=30.0)
    base = TransitionParameters(year=2027, time_limit_seconds=10, workers=1, extra_hours_analysis=False,
                                casework_calendar=False)
    plain = plan_transitions(instance, base.model_copy(update={"level_workload": False}))
    levelled = plan_transitions(instance, base)
    for result in (plain, levelled):
        stats = result["statistics"]
        assert stats["weeks_over_capacity"] == 0 and stats["late_cases"] == 0
        team = result["teams"][0]
        assert all(load <= cap for load, cap in zip(team["load_hours_by_week"], team["capacity_hours_by_week"],
                                                    strict=True))
    assert levelled["statistics"]["objective"] == plain["statistics"]["objective"]
    assert levelled["statistics"]["bound"] <= levelled["statistics"]["objective"]
    before, after = plain["teams"][0], levelled["teams"][0]
    assert before["peak_load_share"] == 1.0 and after["peak_load_share"] < 0.5
    assert after["first_3_weeks_share"] < before["first_3_weeks_share"] / 2
    assert after["load_share_spread"] < before["load_share_spread"]


def test_an_activity_taking_no_hours_stays_where_it_is() -> None:
    # A zero-minute activity may sit in a holiday week (no hours): levelling leaves it there, no division by zero
    acts = [ScheduleActivity("a", "c", "visit", 0, release_week=0, due_week=3),
            ScheduleActivity("b", "c", "visit", 60, release_week=0, due_week=3)]
    problem = TeamScheduleProblem(team_id="T", capacity=[0, 120, 120, 120], activities=acts, unscheduled_penalty=9)
    levelled = level_schedule(problem, {"a": 0, "b": 1}, margin_weeks=0)
    assert levelled["a"] == 0 and check_schedule(problem, levelled).ok
