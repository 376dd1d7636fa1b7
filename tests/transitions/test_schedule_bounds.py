"""The cheap schedule bound and the list schedule with successor-tightened due weeks; moving late cases."""

from __future__ import annotations

import pytest

from planner.transitions.outreach import period_windows
from planner.transitions.planning import TransitionParameters, plan_transitions, planning_calendar
from planner.transitions.rebalance import window_loads
from planner.transitions.schedule import (
    ScheduleActivity,
    TeamScheduleProblem,
    effective_due_weeks,
    greedy_schedule,
    schedule_objective,
    solve_team_schedule,
    unavoidable_lateness,
)
from planner.validation.schedule import check_schedule

from .conftest import build_small_instance
from .test_schedule import _brute_force, random_problem


@pytest.mark.parametrize("seed", range(6))
def test_unavoidable_lateness_never_exceeds_the_optimum(seed: int) -> None:
    problem = random_problem(seed, cases=2, weeks=5, cap=200)
    assert unavoidable_lateness(problem) <= _brute_force(problem)


def test_unavoidable_lateness_counts_a_chain_that_cannot_fit() -> None:
    # Review due week 0 but released week 1 (1 week late, weight 3); the visit needs 2 more weeks after a
    # lag of 1 and the horizon is 3 weeks, so it is left out (penalty 40); the handover follows it out
    acts = [
        ScheduleActivity("c:r", "c", "review", 60, release_week=1, due_week=0, weight=3),
        ScheduleActivity("c:v", "c", "visit", 60, release_week=0, due_week=2, predecessors=(("c:r", 1),)),
        ScheduleActivity("c:h", "c", "handover", 60, release_week=0, due_week=2, predecessors=(("c:v", 0),)),
    ]
    problem = TeamScheduleProblem(team_id="T", capacity=[100, 100, 100], activities=acts, unscheduled_penalty=40)
    assert unavoidable_lateness(problem) == 3 + 40 + 40
    result = solve_team_schedule(problem, time_limit=2, workers=1)
    assert result.status == "OPTIMAL" and result.objective == 83 and result.bound == 83


def test_due_weeks_tightened_by_successors() -> None:
    chain = [ScheduleActivity(f"s{k}", "c", "session", 60, release_week=0, due_week=10,
                              predecessors=((f"s{k - 1}", 0),) if k else ()) for k in range(4)]
    assert effective_due_weeks(chain) == {"s0": 7, "s1": 8, "s2": 9, "s3": 10}


@pytest.mark.parametrize("seed", range(6))
def test_the_solver_is_never_worse_than_either_list_schedule(seed: int) -> None:
    problem = random_problem(seed, cases=10, cap=200)
    both = [schedule_objective(problem, greedy_schedule(problem, modified_due=m))[0] for m in (True, False)]
    result = solve_team_schedule(problem, time_limit=1, workers=1)
    assert result.objective <= min(both)
    assert unavoidable_lateness(problem) <= result.bound <= result.objective


@pytest.mark.parametrize("seed", range(8))
def test_list_schedules_pass_the_checker(seed: int) -> None:
    problem = random_problem(seed, cases=10, cap=150 + 30 * seed)
    for modified in (True, False):
        weeks = greedy_schedule(problem, modified_due=modified)
        check = check_schedule(problem, weeks)
        assert check.ok, check.violations


def test_moving_late_cases_keeps_every_window_budget() -> None:
    # One team too short for its cases, a second with room: moved cases stay within the half-term budgets
    instance = build_small_instance(hours_per_week=4.0)
    params = TransitionParameters(year=2027, time_limit_seconds=10, extra_hours_analysis=False,
                                  outreach={"allow_non_specialist": True})
    result = plan_transitions(instance, params)
    stats = result["statistics"]
    assert stats["objective"] >= stats["bound"]
    calendar = planning_calendar(params)
    windows = period_windows(len(calendar.periods()))
    # Recompute every team's window load from the plan's own team per case, with the allocation's figures
    from planner.transitions.outreach import allocate_outreach
    from planner.transitions.planning import find_transitions, outreach_case

    cases = find_transitions(instance, params)
    allocation = allocate_outreach([outreach_case(c, calendar) for c in cases], list(instance.teams), calendar,
                                   params.outreach)
    allocation.team_by_case = {c["case_id"]: c["team_id"] for c in result["cases"]}
    for team in instance.teams:
        ids = [cid for cid, tid in allocation.team_by_case.items() if tid == team.id]
        loads = window_loads(allocation, team.id, ids, windows)
        capacity = [sum(allocation.period_capacity[team.id][a:b + 1]) for a, b in windows]
        assert all(load <= cap for load, cap in zip(loads, capacity, strict=True)), team.id
