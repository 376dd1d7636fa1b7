"""Transition support: who faces a key transition, by when, with what support, from which team, in which weeks.

1. `find_transitions` (planner.transitions.cases, re-exported here) lists every learner at a transition point for a
   transfer year (`year=2027`: moves taking effect in September 2027, planned during 2026/27), with the statutory
   timeline (planner.transitions.deadlines) and a support proposal from transparent rules
   (planner.transitions.support).
2. `plan_transitions` allocates the cases to outreach teams (an exact GAP over half-term budgets,
   planner.transitions.outreach), schedules each team's activities week by week (planner.transitions.schedule),
   improves the plan where the weeks disagree with the budgets (planner.transitions.rebalance: late cases moved,
   unallocated cases placed at a lateness price), and says which cases miss which deadline and how many extra hours
   in which weeks would prevent it.

The solve is decomposed, so neither the allocation's bound nor the teams' bounds bound the whole problem: the
allocation treats each half-term's hours as a hard limit, while the objective lets work run late at a price. The
plan's `bound` is therefore computed for the whole problem (allocation + schedule + lateness together,
planner.transitions.joint_bound: the joint time-indexed LP when small, a Lagrangian bound at county size), and
`gap` is measured against it. The allocation MIP's own gap is reported under that name (`allocation_gap`), never
as the problem's.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from planner.domain.models import Instance, OutreachTeam
from planner.domain.travel import TravelModel
from planner.solving.cpsat import relative_gap
from planner.solving.progress import NullProgress, Progress, RunCancelled
from planner.transitions.assessments import assessment_cases
from planner.transitions.cases import (
    SCHOOL_PHASE_TRANSFERS,
    SEPTEMBER_TRANSFERS,
    CaseActivity,
    TransitionCase,
    TransitionParameters,
    TransitionType,
    build_team_problem,
    case_activities,
    classify,
    find_transitions,
    joint_problem,
    outreach_case,
    planning_calendar,
    statutory_deadline,
    team_problem,
    team_week_capacity,
)
from planner.transitions.joint_bound import JointBound, whole_problem_bound
from planner.transitions.joint_problem import plan_cost
from planner.transitions.levelling import level_schedule
from planner.transitions.outreach import AllocationResult, allocate_outreach, period_windows, recount_usage
from planner.transitions.plan_result import assemble_result
from planner.transitions.rebalance import move_late_cases, place_unallocated_cases
from planner.transitions.schedule import (
    TeamSchedule,
    TeamScheduleProblem,
    extra_hours_to_meet_deadlines,
    schedule_objective,
    solve_team_schedule,
)
from planner.transitions.schedule_bound import time_indexed_lp_bound
from planner.transitions.school_calendar import SchoolCalendar
from planner.transitions.statutory_plan import attach_to_cases, statutory_calendar

__all__ = [
    "SCHOOL_PHASE_TRANSFERS", "SEPTEMBER_TRANSFERS", "CaseActivity", "TransitionCase", "TransitionParameters",
    "TransitionPlanError", "TransitionType", "build_team_problem", "case_activities", "classify", "find_transitions",
    "joint_problem", "outreach_case", "plan_transitions", "planning_calendar", "run_transitions",
    "statutory_deadline", "team_problem", "team_week_capacity",
]

log = logging.getLogger(__name__)


class TransitionPlanError(ValueError):
    """Parameters or data that the transition planner cannot use; the message names the field."""


def _validate(parameters: dict[str, Any]) -> TransitionParameters:
    try:
        return TransitionParameters.model_validate(parameters)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "parameters"
        raise TransitionPlanError(f"transitions parameter {where}: {first['msg']}") from None


@dataclass
class _Run:
    """One planning run's state as it passes through the phases."""

    instance: Instance
    params: TransitionParameters
    progress: Progress
    travel: TravelModel
    calendar: SchoolCalendar
    started: float
    cases: list[TransitionCase] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    cases_by_team: dict[str, list[str]] = field(default_factory=dict)
    problems: dict[str, TeamScheduleProblem] = field(default_factory=dict)
    schedules: dict[str, TeamSchedule] = field(default_factory=dict)
    levelling_seconds: float = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self, reserve: bool = True) -> float:
        """Seconds left of the budget (less the whole-problem bound's reserve unless `reserve` is False)."""
        kept = self.params.whole_bound_share * self.params.time_limit_seconds if reserve else 0.0
        return self.params.time_limit_seconds - self.elapsed() - kept

    def phase_done(self, name: str) -> None:
        self.phases[name] = self.elapsed() - sum(self.phases.values())

    def check(self, fraction: float, message: str) -> None:
        self.progress.report(fraction, message)
        if self.progress.should_stop():
            raise RunCancelled("transitions run cancelled")

    def team(self, team_id: str) -> OutreachTeam:
        return next(t for t in self.instance.teams if t.id == team_id)

    def list_schedule(self, team_id: str, case_ids: list[str]) -> tuple[TeamScheduleProblem, TeamSchedule]:
        """A team's problem for these cases and its list schedule (fast; proven optimal when nothing is late)."""
        by_id = {c.case_id: c for c in self.cases}
        problem = build_team_problem(self.team(team_id), [by_id[c] for c in case_ids], self.params, self.calendar,
                                     self.travel)
        return problem, solve_team_schedule(problem, time_limit=0.0, seed=self.params.seed,
                                            workers=self.params.workers)


def _allocate(run: _Run) -> AllocationResult:
    """The GAP over half-term budgets: each case to one team (or unallocated), least travel + fit cost."""
    params, calendar = run.params, run.calendar
    run.check(0.1, f"allocating {len(run.cases)} cases to {len(run.instance.teams)} outreach teams")
    outreach_params = params.outreach.model_copy(update={
        "time_limit_seconds": max(1.0, run.left() * params.allocation_share),
        "workers": params.workers, "seed": params.seed})
    period_by_week, school_weeks = calendar.period_by_week(), calendar.school_weeks()
    o_cases = [outreach_case(c, calendar, period_by_week, school_weeks) for c in run.cases]
    # When not every case can have a team, the earliest deadlines go first among interchangeable cases
    priority = [c.case_id for c in sorted(run.cases, key=lambda c: (c.planning_deadline, c.case_id))]
    allocation = allocate_outreach(o_cases, list(run.instance.teams), calendar, outreach_params, run.travel,
                                   should_stop=run.progress.should_stop, priority=priority)
    run.phase_done("allocation")
    return allocation


def _list_schedules(run: _Run, allocation: AllocationResult) -> None:
    for team in run.instance.teams:
        ids = [c.case_id for c in run.cases if allocation.team_by_case.get(c.case_id) == team.id]
        if ids:
            run.cases_by_team[team.id] = ids
    for index, team_id in enumerate(run.cases_by_team):
        run.check(0.7 + 0.1 * index / max(1, len(run.cases_by_team)), f"list schedule for team {team_id}")
        run.problems[team_id], run.schedules[team_id] = run.list_schedule(team_id, run.cases_by_team[team_id])
    run.phase_done("list_schedules")


def _improve(run: _Run, allocation: AllocationResult) -> None:
    """Move late cases to teams with room, then place unallocated cases wherever cost + lateness falls."""
    params = run.params
    if params.move_late_cases:
        windows = period_windows(len(run.calendar.periods()))
        deadline = time.perf_counter() + max(0.0, run.left() * 0.4)
        moved = 0
        while time.perf_counter() < deadline:  # rounds until no move helps (a move frees room for the next)
            moves = move_late_cases(allocation, run.cases_by_team, run.schedules, run.problems, run.list_schedule,
                                    windows, params.late_week_cost, deadline)
            moved += len(moves)
            if not moves:
                break
        if moved:
            allocation.breakdown["moved_after_scheduling"] = moved
    run.phase_done("moves")
    if params.place_unallocated:
        order = [c.case_id for c in sorted(run.cases, key=lambda c: (c.planning_deadline, c.case_id))]
        deadline = time.perf_counter() + max(0.0, run.left() * 0.4)
        placed = place_unallocated_cases(allocation, run.cases_by_team, run.schedules, run.problems,
                                         run.list_schedule, order, params.late_week_cost,
                                         params.outreach.unallocated_penalty, deadline)
        if placed:
            allocation.breakdown["placed_at_a_lateness_price"] = len(placed)
    recount_usage(allocation, run.calendar)
    run.phase_done("place_unallocated")


def _team_lateness_bound(run: _Run, problem: TeamScheduleProblem, result: TeamSchedule, teams_left: int) -> None:
    """Lateness from full weeks: the time-indexed LP sees capacity, the cheap bound does not."""
    budget = run.left() * 0.5 / max(1, teams_left)
    if budget < 0.2:
        return
    lp = time_indexed_lp_bound(problem, time_limit=budget)
    if lp.bound > result.bound:
        result.bound = float(min(lp.bound, result.objective))
        result.gap = relative_gap(result.objective, result.bound)
        if result.bound >= result.objective:
            result.status = "OPTIMAL"


def _shortfall_rows(run: _Run, team_id: str, problem: TeamScheduleProblem,
                    result: TeamSchedule) -> list[dict[str, Any]]:
    acts = {a.activity_id: a for a in problem.activities}
    rows = []
    for activity_id, week in result.week_by_activity.items():
        weeks_late = result.late_weeks_by_activity.get(activity_id, 0)
        if week is not None and weeks_late <= 0:
            continue
        act = acts[activity_id]
        rows.append({
            "case_id": act.case_id, "team_id": team_id, "activity": activity_id, "kind": act.kind,
            "due_week": act.due_week, "due_date": run.calendar.friday(act.due_week).isoformat(),
            "week": week, "weeks_late": result.late_weeks_by_activity.get(activity_id), "left_out": week is None,
        })
    return rows


def _level(problem: TeamScheduleProblem, result: TeamSchedule, margin_weeks: int, time_limit: float) -> None:
    """Spread the team's load over its weeks (planner.transitions.levelling), second to lateness: no activity ends
    later, so the objective can only fall and every bound stays valid."""
    weeks = level_schedule(problem, result.week_by_activity, margin_weeks=margin_weeks, time_limit=time_limit)
    objective, late = schedule_objective(problem, weeks)
    if objective > result.objective:  # cannot happen (no activity moves later than it was); keep the safe plan
        log.warning("levelling team %s would have raised lateness: kept the unlevelled schedule", problem.team_id)
        return
    result.week_by_activity, result.late_weeks_by_activity = weeks, late
    result.objective = float(objective)
    result.gap = relative_gap(result.objective, result.bound)
    if result.objective <= result.bound:
        result.status = "OPTIMAL"


def _solve_teams(run: _Run) -> list[dict[str, Any]]:
    """CP-SAT (from the list schedule), the team's LP bound and the extra-hours analysis for teams still late."""
    params = run.params
    shortfall: list[dict[str, Any]] = []
    team_ids = [t.id for t in run.instance.teams if run.cases_by_team.get(t.id)]
    for index, team_id in enumerate(team_ids):
        run.check(0.8 + 0.12 * index / max(1, len(team_ids)), f"scheduling team {team_id}")
        problem, result = run.problems[team_id], run.schedules[team_id]
        teams_left = len(team_ids) - index
        if result.status != "OPTIMAL":
            # Each team's share of what is left for CP-SAT, started from the list schedule
            per_team = max(0.0, run.left() * 0.5 / teams_left)
            result = solve_team_schedule(problem, time_limit=per_team, seed=params.seed, workers=params.workers,
                                         should_stop=run.progress.should_stop)
            if result.objective > result.bound and params.lp_bound:
                _team_lateness_bound(run, problem, result, teams_left)
        if params.level_workload:
            # Levelling shares at most a tenth of the time left among the teams still to do (pure Python)
            started = time.perf_counter()
            _level(problem, result, params.levelling_margin_weeks, max(0.05, run.left() * 0.1 / teams_left))
            run.levelling_seconds += time.perf_counter() - started
        rows = _shortfall_rows(run, team_id, problem, result)
        if rows and params.extra_hours_analysis:
            budget = min(5.0, run.left() * 0.5 / teams_left)
            if budget >= 0.5 + len(problem.activities) / 1000:  # the model takes about 1 s per 1,000 to build
                status, extra = extra_hours_to_meet_deadlines(problem, time_limit=budget, seed=params.seed,
                                                              workers=params.workers)
            else:
                status, extra = "NOT_RUN", {}  # the time budget is spent: say so rather than overrun
            result.extra_minutes_by_week, result.extra_status = extra, status
        run.schedules[team_id] = result
        shortfall.extend(rows)
    run.phase_done("cp_sat_and_extra_hours")
    return shortfall


def _whole_bound(run: _Run, allocation: AllocationResult) -> tuple[float, JointBound]:
    """The plan's whole-problem objective and a valid lower bound for it, within the time left (the reserve)."""
    run.check(0.93, "bounding the whole problem")
    problem = joint_problem(run.instance, run.cases, allocation.costs, run.params, run.calendar, run.travel)
    lateness = sum(s.objective for s in run.schedules.values())
    objective = plan_cost(problem, allocation.team_by_case, lateness)
    budget = max(0.5, run.left(reserve=False))
    bound = whole_problem_bound(problem, upper_bound=objective, time_limit=budget)
    run.phase_done("whole_problem_bound")
    return objective, bound


def plan_transitions(instance: Instance, params: TransitionParameters, progress: Progress | None = None,
                     travel: TravelModel | None = None) -> dict[str, Any]:
    """Find the cases, allocate them to teams, schedule every team and bound the whole problem; JSON-ready."""
    run = _Run(instance=instance, params=params, progress=progress or NullProgress(), travel=travel or TravelModel(),
               calendar=planning_calendar(params), started=time.perf_counter())
    run.check(0.02, "finding learners at transition points")
    run.cases = find_transitions(instance, params, run.travel)
    # Open requests for a needs assessment: casework on the 20-week clock, scheduled with the rest
    run.cases += assessment_cases(instance, params, run.calendar)
    run.phase_done("find_cases")
    allocation = _allocate(run)
    allocation_mip = {"status": allocation.status, "objective": allocation.objective, "bound": allocation.bound,
                      "gap": allocation.gap, "wall_seconds": round(allocation.wall_seconds, 3)}
    run.check(0.7, "list schedules")
    _list_schedules(run, allocation)
    _improve(run, allocation)
    shortfall = _solve_teams(run)
    objective, bound = _whole_bound(run, allocation)
    run.progress.report(0.97, "assembling the plan")
    plan = assemble_result(instance, params, run.calendar, run.cases, allocation, run.schedules, run.problems,
                           shortfall, run.elapsed(), allocation_mip, bound)
    if abs(plan["statistics"]["objective"] - objective) > 1e-6:
        log.warning("plan objective %s differs from the whole-problem cost %s", plan["statistics"]["objective"],
                    objective)
    if params.casework_calendar:
        run.check(0.98, "the statutory casework calendar")
        plan["statutory_calendar"] = statutory_calendar(instance, params, run.calendar, run.cases)
        attach_to_cases(plan, plan["statutory_calendar"]["rows"])
        run.phase_done("casework_calendar")
    plan["statistics"]["phase_seconds"] = {k: round(v, 3) for k, v in run.phases.items()}
    plan["statistics"]["phase_seconds"]["levelling (in cp_sat_and_extra_hours)"] = round(run.levelling_seconds, 3)
    return plan


def run_transitions(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run kind `transitions`: parameters as TransitionParameters (`year` required); see docs/transitions.md."""
    params = _validate(parameters)
    return plan_transitions(instance, params, progress)
