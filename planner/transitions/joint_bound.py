"""A valid lower bound for the whole transitions problem: allocation, weekly schedule and lateness together.

The whole problem is stated in planner.transitions.joint_problem. Three bounds, each valid for every plan of it:

- `no_capacity_bound` (joint_problem): each case alone, with unlimited hours (an activity still needs a week that
  can hold all of it): the cheapest of leaving it unallocated or its cheapest team plus the lateness it cannot
  avoid there. Instant; weak when hours are short.
- `solve_joint_lp`: the LP relaxation of the joint time-indexed model. z[c, t] (case c to team t) and u[c]
  (unallocated) with sum_t z + u = 1; for each activity a of c at t, cumulative shares y[a, t, j] of its allowed
  time buckets (a bucket is a run of consecutive weeks; single weeks by default), y non-decreasing and at most
  z[c, t]; precedence in the strong aggregated form; each team's minutes in each bucket at most the bucket's
  hours. An activity in a bucket costs its weight times the weeks late of its earliest allowed week in the bucket;
  a share left out costs the unscheduled penalty. Every plan maps onto a feasible point of this LP at no more than
  its cost (see the notes at each row), so the LP optimum rounded up (every plan's cost is an integer) is a valid
  lower bound. Exact and fast for small councils; its simplex takes minutes beyond a few hundred cases.
- `lagrangian_bound` (planner.transitions.lagrangian_bound): the weekly hours priced into the objective, each
  case's problem solved exactly by dynamic programming; at county size.

`whole_problem_bound` returns the largest it finds within its time.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from ortools.math_opt.python import mathopt

from planner.solving.model_proto import SparseModel
from planner.transitions.joint_problem import CaseOption, JointCase, JointProblem, no_capacity_bound
from planner.transitions.lagrangian_bound import lagrangian_bound
from planner.transitions.schedule import _topological

log = logging.getLogger(__name__)

Bucket = tuple[int, int]  # (first week, last week), inclusive


@dataclass
class JointBound:
    """The whole-problem lower bound and how it was found."""

    bound: int
    method: str  # "no_capacity", "lp_weeks", "lp_buckets" or "lagrangian"
    status: str
    wall_seconds: float
    no_capacity_bound: int
    lp_bound: int | None = None
    lp_objective: float | None = None
    lp_variables: int = 0
    lagrangian_bound: int | None = None
    lagrangian_iterations: int = 0
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# The joint LP relaxation
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Activity:
    """An activity at one option: its allowed buckets with the earliest and latest allowed week in each."""

    minutes: int
    weight: int
    due: int
    buckets: list[int]  # bucket indices, increasing
    first_week: list[int]  # earliest allowed week in each of those buckets
    last_week: list[int]  # latest allowed week in each


def _open_weeks_by_size(capacity: Sequence[int], sizes: set[int]) -> dict[int, list[int]]:
    """For each activity size, the weeks that can hold all of it (an activity takes place within one week)."""
    return {m: [w for w, cap in enumerate(capacity) if cap >= m] for m in sizes}


def _option_activities(case: JointCase, option: CaseOption, open_weeks: dict[int, list[int]],
                       bucket_of: Sequence[int]) -> dict[str, _Activity]:
    """Allowed buckets of each activity of a case at a team: at or after its release week and 1 + lag after its
    predecessors' earliest weeks (unlimited hours), in a week that can hold it. Empty: it cannot happen this year."""
    minutes = dict(zip((a.activity_id for a in case.activities), option.minutes, strict=True))
    earliest: dict[str, int | None] = {}
    result: dict[str, _Activity] = {}
    for act in _topological(case.activities, by_due=False):
        first: int | None = max(0, act.release_week)
        for pred, lag in act.predecessors:
            if pred in earliest:
                pred_week = earliest[pred]
                first = None if pred_week is None or first is None else max(first, pred_week + 1 + lag)
        weeks = open_weeks[minutes[act.activity_id]]
        start = bisect.bisect_left(weeks, first) if first is not None else len(weeks)
        earliest[act.activity_id] = weeks[start] if start < len(weeks) else None
        entry = _Activity(minutes=minutes[act.activity_id], weight=act.weight, due=act.due_week, buckets=[],
                          first_week=[], last_week=[])
        for week in weeks[start:]:
            bucket = bucket_of[week]
            if entry.buckets and entry.buckets[-1] == bucket:
                entry.last_week[-1] = week
            else:
                entry.buckets.append(bucket)
                entry.first_week.append(week)
                entry.last_week.append(week)
        result[act.activity_id] = entry
    return result


def weekly_buckets(weeks: int) -> list[Bucket]:
    return [(w, w) for w in range(weeks)]


def bucket_index(buckets: Sequence[Bucket], weeks: int) -> list[int]:
    """The bucket of each week; the buckets must cover weeks 0..weeks-1 in order without overlaps."""
    index = [-1] * weeks
    for k, (first, last) in enumerate(buckets):
        for week in range(first, min(last, weeks - 1) + 1):
            index[week] = k
    if -1 in index or any(b > a for a, b in zip(index[1:], index, strict=False)):
        raise ValueError("time buckets must cover every week of the year in order")
    return index


def _opens(problem: JointProblem, option: CaseOption,
           cache: dict[str, dict[int, list[int]]]) -> dict[int, list[int]]:
    by_size = cache.setdefault(option.team_id, {})
    missing = {m for m in option.minutes if m not in by_size}
    if missing:
        by_size.update(_open_weeks_by_size(problem.capacity[option.team_id], missing))
    return by_size


def _activity_columns(lp: SparseModel, entry: _Activity, z: int, team_id: str, late_week_cost: int,
                      penalty: float, load: dict[tuple[str, int], list[tuple[int, float]]]) -> int:
    """The cumulative columns y[a, t, j] of one activity at one team; returns the first column's id."""
    base = len(lp.upper)
    n = len(entry.buckets)
    for _ in range(n):
        lp.add_variable(1.0)
    # The case at this team pays the left-out penalty for the activity unless a share of it takes place
    lp.objective[z] += penalty
    cost = [float(late_week_cost * entry.weight * max(0, week - entry.due)) for week in entry.first_week]
    for j in range(n):
        # x_j = y_j - y_{j-1}: the cost of bucket j falls on y_j and is taken back from y_{j-1}; the last y takes
        # back the left-out penalty (a plan in a week of bucket j is late at least as much as the bucket's earliest
        # allowed week)
        lp.objective[base + j] += cost[j] - (cost[j + 1] if j + 1 < n else penalty)
        if j:
            # Cumulative shares never fall
            lp.add_row([(base + j - 1, 1.0), (base + j, -1.0)], upper=0.0)
        # The activity's minutes count against the hours of the bucket it takes place in
        cell = load.setdefault((team_id, entry.buckets[j]), [])
        cell.append((base + j, float(entry.minutes)))
        if j:
            cell.append((base + j - 1, -float(entry.minutes)))
    if n:
        # An activity takes place at a team only when the case is allocated to that team
        lp.add_row([(base + n - 1, 1.0), (z, -1.0)], upper=0.0)
    return base


def _precedence_rows(lp: SparseModel, case: JointCase, entries: Mapping[str, _Activity],
                     first_column: Mapping[str, int]) -> None:
    for act in case.activities:
        entry, base = entries[act.activity_id], first_column[act.activity_id]
        for pred, lag in act.predecessors:
            if pred not in entries:
                continue
            before, pred_base = entries[pred], first_column[pred]
            for j, latest in enumerate(entry.last_week):
                # Done by bucket j means done by week `latest` at the latest, so its predecessor was done by
                # week latest - 1 - lag: in a bucket whose earliest allowed week is no later than that (the
                # activity follows its predecessor by 1 + lag weeks: visits once the plan names the setting,
                # reg 22's 4 + 8 weeks; sessions and handover in order)
                k = bisect.bisect_right(before.first_week, latest - 1 - lag) - 1
                terms = [(base + j, 1.0)] if k < 0 else [(base + j, 1.0), (pred_base + k, -1.0)]
                lp.add_row(terms, upper=0.0)


def build_joint_lp(problem: JointProblem, buckets: Sequence[Bucket]) -> SparseModel:
    """The joint LP relaxation with the given time buckets (see the module docstring)."""
    bucket_of = bucket_index(buckets, problem.weeks)
    lp = SparseModel(name="transitions_joint_lp")
    penalty = float(problem.late_week_cost * problem.unscheduled_penalty)
    load: dict[tuple[str, int], list[tuple[int, float]]] = {}
    open_cache: dict[str, dict[int, list[int]]] = {}
    for case in problem.cases:
        # Each case goes to exactly one of its teams, or stays unallocated at its penalty
        choice = [(lp.add_variable(1.0, cost=float(case.unallocated_penalty)), 1.0)]
        for option in case.options:
            z = lp.add_variable(1.0, cost=float(option.cost))
            choice.append((z, 1.0))
            entries = _option_activities(case, option, _opens(problem, option, open_cache), bucket_of)
            first_column = {act.activity_id: _activity_columns(lp, entries[act.activity_id], z, option.team_id,
                                                               problem.late_week_cost, penalty, load)
                            for act in case.activities}
            _precedence_rows(lp, case, entries, first_column)
        lp.add_row(choice, lower=1.0, upper=1.0)
    for (team_id, bucket), cell in sorted(load.items()):
        first, last = buckets[bucket]
        hours = float(sum(problem.capacity[team_id][first:last + 1]))
        # A team cannot work more minutes in a run of weeks than it has in them (holidays: none); a row only
        # where it could bind
        if sum(v for _, v in cell if v > 0) > hours:
            merged: dict[int, float] = {}
            for column, value in cell:
                merged[column] = merged.get(column, 0.0) + value
            lp.add_row([(c, v) for c, v in merged.items() if v != 0.0], upper=hours)
    return lp


def weekly_size(problem: JointProblem) -> int:
    """An upper estimate of the weekly LP's columns: each (activity, option) from its release to the year's end."""
    weeks = problem.weeks
    return sum(max(0, weeks - max(0, act.release_week)) for case in problem.cases for _ in case.options
               for act in case.activities)


def solve_joint_lp(problem: JointProblem, buckets: Sequence[Bucket], time_limit: float,
                   solver: mathopt.SolverType = mathopt.SolverType.HIGHS) -> tuple[int | None, float | None, int, str]:
    """(bound rounded up or None, LP objective, columns, termination) of the joint LP with these buckets."""
    lp = build_joint_lp(problem, buckets)
    model = lp.to_model()
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=max(0.05, time_limit)))
    result = mathopt.solve(model, solver, params=params)
    reason = result.termination.reason
    if reason != mathopt.TerminationReason.OPTIMAL:
        return None, None, len(lp.upper), reason.name
    value = float(result.termination.objective_bounds.dual_bound)
    if not math.isfinite(value):
        value = float(result.objective_value())
    # Every plan's cost is an integer: round up, less a tolerance for the LP's rounding errors
    bound = max(0, math.ceil(value - 1e-6 * max(1.0, abs(value)) - 1e-6))
    return bound, value, len(lp.upper), reason.name


def whole_problem_bound(problem: JointProblem, upper_bound: float, time_limit: float = 10.0,
                        max_lp_columns: int = 60_000) -> JointBound:
    """The best valid lower bound on the whole problem found within the time.

    1. The no-capacity bound (instant). 2. The joint LP over single weeks when it is small enough (exact
    time-indexed relaxation; simplex takes minutes beyond a few hundred cases). 3. The Lagrangian bound on the
    weekly prices (planner.transitions.lagrangian_bound) with the time left, unless the bound already meets
    `upper_bound` (a plan's cost: then that plan is proven optimal)."""
    started = time.perf_counter()
    floor = no_capacity_bound(problem)
    result = JointBound(bound=floor, method="no_capacity", status="OPTIMAL", wall_seconds=0.0,
                        no_capacity_bound=floor)
    size = weekly_size(problem)
    if problem.cases and size <= max_lp_columns and floor < upper_bound:
        left = time_limit - (time.perf_counter() - started)
        bound, value, columns, reason = solve_joint_lp(problem, weekly_buckets(problem.weeks), max(0.1, left * 0.6))
        result.lp_variables, result.lp_objective, result.lp_bound = columns, value, bound
        if bound is None:
            result.notes.append(f"joint LP ({columns} columns) stopped: {reason}")
        elif bound > result.bound:
            result.bound, result.method = bound, "lp_weeks"
    elif size > max_lp_columns:
        result.notes.append(f"joint LP skipped: about {size} columns (limit {max_lp_columns})")
    left = time_limit - (time.perf_counter() - started)
    if problem.cases and result.bound < upper_bound and left > 0.05:
        lagrangian = lagrangian_bound(problem, upper_bound, time_limit=left)
        result.lagrangian_bound, result.lagrangian_iterations = lagrangian.bound, lagrangian.iterations
        if lagrangian.bound > result.bound:
            result.bound, result.method = lagrangian.bound, "lagrangian"
    result.wall_seconds = time.perf_counter() - started
    log.info("whole-problem bound %d (%s; no-capacity %d, LP %s, Lagrangian %s) in %.2fs", result.bound,
             result.method, floor, result.lp_bound, result.lagrangian_bound, result.wall_seconds)
    return result
