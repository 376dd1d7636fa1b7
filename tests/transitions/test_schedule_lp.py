"""The time-indexed LP bound (planner.transitions.schedule_bound) against brute force, and the squeaky-wheel list
schedule."""

from __future__ import annotations

import pytest
from ortools.math_opt.python import mathopt

from planner.transitions.schedule import (
    ScheduleActivity,
    TeamScheduleProblem,
    greedy_schedule,
    schedule_objective,
    solve_team_schedule,
    squeaky_wheel,
    unavoidable_lateness,
)
from planner.transitions.schedule_bound import allowed_weeks, time_indexed_lp_bound
from planner.validation.schedule import check_schedule

from .test_schedule import _brute_force, random_problem


@pytest.mark.parametrize("seed", range(10))
def test_lp_bound_never_exceeds_the_brute_force_optimum(seed: int) -> None:
    # Tight capacity (150-240 minutes a week for activities of 60-180) so that the lateness comes from capacity
    problem = random_problem(seed, cases=2, weeks=5, cap=150 + 30 * (seed % 4))
    lp = time_indexed_lp_bound(problem, time_limit=5)
    assert lp.status == "OPTIMAL"
    assert lp.bound <= _brute_force(problem)


@pytest.mark.parametrize("seed", range(10))
def test_lp_bound_is_at_least_the_cheap_bound(seed: int) -> None:
    problem = random_problem(seed, cases=6, weeks=10, cap=200 + 20 * seed)
    lp = time_indexed_lp_bound(problem, time_limit=5)
    assert lp.status == "OPTIMAL"
    assert lp.bound >= unavoidable_lateness(problem)
    # and below what the solver actually finds
    assert lp.bound <= solve_team_schedule(problem, time_limit=1, workers=1).objective


def test_glop_and_highs_agree() -> None:
    problem = random_problem(3, cases=6, weeks=10, cap=180)
    values = [time_indexed_lp_bound(problem, solver=s).lp_objective for s in
              (mathopt.SolverType.GLOP, mathopt.SolverType.HIGHS)]
    assert values[0] == pytest.approx(values[1], abs=1e-6)


def test_capacity_driven_lateness_is_proven() -> None:
    # Three reviews due in week 0, one hour each, and one hour a week: two of them must be late. Weights 3, 1, 1:
    # the heavy one first, then 1 + 2 weeks late = 3. Release weeks and precedence force nothing (cheap bound 0)
    acts = [ScheduleActivity(f"c{k}:review", f"c{k}", "review", 60, release_week=0, due_week=0,
                             weight=3 if k == 0 else 1) for k in range(3)]
    problem = TeamScheduleProblem(team_id="T", capacity=[60, 60, 60, 60], activities=acts, unscheduled_penalty=50)
    assert unavoidable_lateness(problem) == 0
    lp = time_indexed_lp_bound(problem)
    assert lp.bound == 3 == _brute_force(problem)
    result = solve_team_schedule(problem, time_limit=2, workers=1)
    assert result.objective == 3


def test_capacity_driven_chain_left_out_is_proven() -> None:
    # Two cases, each a session then a handover the week after, in a 2-week year with room for one activity a
    # week: one chain fits, the other loses both its activities (2 x 40 = 80). Nothing is forced by release or
    # precedence alone (cheap bound 0); the LP sees that the two weeks hold two of the four activities.
    acts: list[ScheduleActivity] = []
    for c in range(2):
        acts.append(ScheduleActivity(f"c{c}:s", f"c{c}", "session", 60, release_week=0, due_week=1))
        acts.append(ScheduleActivity(f"c{c}:h", f"c{c}", "handover", 60, release_week=0, due_week=1,
                                     predecessors=((f"c{c}:s", 0),)))
    problem = TeamScheduleProblem(team_id="T", capacity=[60, 60], activities=acts, unscheduled_penalty=40)
    optimum = _brute_force(problem)
    assert optimum == 80
    assert unavoidable_lateness(problem) == 0
    assert time_indexed_lp_bound(problem).bound == optimum


def test_allowed_weeks_follow_release_precedence_and_room() -> None:
    acts = [
        ScheduleActivity("r", "c", "review", 100, release_week=1, due_week=3),
        ScheduleActivity("v", "c", "visit", 200, release_week=0, due_week=5, predecessors=(("r", 1),)),
    ]
    problem = TeamScheduleProblem(team_id="T", capacity=[300, 300, 0, 150, 300, 300], activities=acts)
    # The review from week 1 in any week with hours; the visit 2 weeks after it at the earliest, not in week 3
    assert allowed_weeks(problem) == {"r": [1, 3, 4, 5], "v": [4, 5]}


@pytest.mark.parametrize("seed", range(8))
def test_squeaky_wheel_is_never_worse_and_passes_the_checker(seed: int) -> None:
    problem = random_problem(seed, cases=12, weeks=12, cap=260)
    start = greedy_schedule(problem)
    improved = squeaky_wheel(problem, start, unavoidable_lateness(problem))
    assert schedule_objective(problem, improved)[0] <= schedule_objective(problem, start)[0]
    assert check_schedule(problem, improved).ok

