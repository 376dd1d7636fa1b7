"""The whole transitions problem as one model (allocation + weekly schedule + lateness), for its lower bounds.

The planner solves the problem in two steps (cases to teams within half-term budgets, then each team's weeks), so
neither step's bound is a bound for the whole: the allocation treats each window's hours as a hard limit, while the
whole problem lets an activity run late, or be left out, at a price. The whole problem is

    minimise  sum over allocated cases of (travel + fit cost at its team)
            + unallocated penalty x cases left without a team
            + late_week_cost x (weight x weeks late of each activity + unscheduled penalty x activities left out)
    subject to each team's minutes in each week (none in the holidays), release weeks and precedence,

which is exactly what a plan's reported objective adds up. This module holds that model (`JointProblem`), a
plan's cost in it, and the cheapest bound: each case on its own (`no_capacity_bound`). The stronger bounds are in
`planner.transitions.joint_bound` (the joint LP) and `planner.transitions.lagrangian_bound`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.transitions.schedule import ScheduleActivity, TeamScheduleProblem, unavoidable_lateness


@dataclass(frozen=True)
class CaseOption:
    """One team a case may go to: its allocation cost there and each activity's minutes there (travel included)."""

    team_id: str
    cost: int
    minutes: tuple[int, ...]  # one per activity of the case, in the case's activity order


@dataclass(frozen=True)
class JointCase:
    """A case's activities (release, due, weight, precedence; their minutes are per option) and its options."""

    case_id: str
    activities: tuple[ScheduleActivity, ...]
    options: tuple[CaseOption, ...]
    unallocated_penalty: int


@dataclass(frozen=True)
class JointProblem:
    """The whole problem: cases, each team's minutes per week, and the prices of lateness."""

    cases: tuple[JointCase, ...]
    capacity: Mapping[str, Sequence[int]]  # team -> minutes per week (the horizon is the list's length)
    unscheduled_penalty: int  # weighted weeks charged for an activity left out of the year
    late_week_cost: int  # cost points per weighted week late

    @property
    def weeks(self) -> int:
        return max((len(c) for c in self.capacity.values()), default=0)


def plan_cost(problem: JointProblem, team_by_case: Mapping[str, str | None], weighted_lateness: float) -> float:
    """A plan's whole-problem objective: allocation costs, unallocated penalties, and `late_week_cost` x its
    weighted lateness (the sum of the teams' schedule objectives, left-out activities included)."""
    total = 0.0
    for case in problem.cases:
        team = team_by_case.get(case.case_id)
        if team is None:
            total += case.unallocated_penalty
            continue
        total += next(o.cost for o in case.options if o.team_id == team)
    return total + problem.late_week_cost * weighted_lateness


def with_minutes(act: ScheduleActivity, minutes: int) -> ScheduleActivity:
    """The same activity with another team's minutes."""
    return ScheduleActivity(activity_id=act.activity_id, case_id=act.case_id, kind=act.kind, minutes=minutes,
                            release_week=act.release_week, due_week=act.due_week, weight=act.weight,
                            predecessors=act.predecessors)


def case_floor(problem: JointProblem, case: JointCase) -> int:
    """The least a case can cost on its own (no other case competing for its team's hours)."""
    best = case.unallocated_penalty
    for option in case.options:
        alone = TeamScheduleProblem(
            team_id=option.team_id, capacity=problem.capacity[option.team_id],
            activities=[with_minutes(a, m) for a, m in zip(case.activities, option.minutes, strict=True)],
            unscheduled_penalty=problem.unscheduled_penalty)
        # Unlimited hours: only release weeks, precedence and a week that can hold the activity constrain it
        best = min(best, option.cost + problem.late_week_cost * unavoidable_lateness(alone))
    return best


def no_capacity_bound(problem: JointProblem) -> int:
    """Sum over cases of each case's own floor: valid because cases interact only through the teams' hours."""
    return sum(case_floor(problem, case) for case in problem.cases)
