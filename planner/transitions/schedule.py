"""Week-by-week schedule of one outreach team's transition activities (CP-SAT interval variables).

Each activity (a review meeting, a visit, an outreach session, a handover) takes one school week of a team's time
and is an optional interval of one week. Precedence links the activities of a case (review -> visits after the
setting is named -> sessions -> handover), each team has minutes per week (none in holidays), and every activity
has a due week. A late activity is allowed and costs its weight per week late; an activity that cannot be fitted in
the year at all is left out at a large penalty. So a short team gives an answer, not an infeasibility, and
`extra_hours_to_meet_deadlines` says how many extra hours in which weeks would make every deadline.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.solving.cpsat import STATUS_NAMES, StopWhenAsked, relative_gap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleActivity:
    """One activity of a case. `predecessors` are (activity id, lag weeks): start >= predecessor's week + 1 + lag."""

    activity_id: str
    case_id: str
    kind: str
    minutes: int
    release_week: int
    due_week: int
    weight: int = 1
    predecessors: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class TeamScheduleProblem:
    team_id: str
    capacity: Sequence[int]  # minutes per week; its length is the horizon in weeks
    activities: Sequence[ScheduleActivity]
    unscheduled_penalty: int = 1_000
    closed_weeks: frozenset[int] = frozenset()  # holidays: no extra hours can be bought there either

    @property
    def weeks(self) -> int:
        return len(self.capacity)


@dataclass
class TeamSchedule:
    """Weeks chosen for each activity (None = left out) with the objective, bound and lateness figures."""

    team_id: str
    status: str
    week_by_activity: dict[str, int | None]
    objective: float
    bound: float
    gap: float
    wall_seconds: float
    late_weeks_by_activity: dict[str, int] = field(default_factory=dict)
    extra_minutes_by_week: dict[int, int] = field(default_factory=dict)
    extra_status: str | None = None


def schedule_objective(problem: TeamScheduleProblem, weeks: dict[str, int | None]) -> tuple[int, dict[str, int]]:
    """Weighted weeks late plus the penalty for activities left out; and weeks late per activity."""
    total, late = 0, {}
    for act in problem.activities:
        week = weeks.get(act.activity_id)
        if week is None:
            total += problem.unscheduled_penalty
            continue
        late[act.activity_id] = max(0, week - act.due_week)
        total += act.weight * late[act.activity_id]
    return total, late


def effective_due_weeks(activities: Sequence[ScheduleActivity]) -> dict[str, int]:
    """Due weeks tightened by successors (Lawler's modified due dates): an activity is due no later than each
    successor's (tightened) due week minus 1 + lag, since the successor must follow it. A chain of six sessions and
    a handover due in week 45 gives the first session week 38, so earliest-due-first interleaves the chains."""
    by_id = {a.activity_id: a for a in activities}
    successors: dict[str, list[tuple[str, int]]] = {a.activity_id: [] for a in activities}
    for a in activities:
        for p, lag in a.predecessors:
            if p in by_id:
                successors[p].append((a.activity_id, lag))
    due: dict[str, int] = {}
    for act in reversed(_topological(activities, by_due=False)):
        tightened = act.due_week
        for s, lag in successors[act.activity_id]:
            tightened = min(tightened, due[s] - 1 - lag)
        due[act.activity_id] = tightened
    return due


def unavoidable_lateness(problem: TeamScheduleProblem) -> int:
    """A cheap valid lower bound on the objective: lateness that no schedule can avoid, whatever the hours.

    With unlimited hours in every week that has any, each activity can start no earlier than its release week and
    1 + lag after its predecessors' earliest weeks (weeks with no hours skipped). One that cannot start by its due
    week is at least that late, or left out (whichever costs less); one that cannot start in the year is left out.
    """
    open_weeks = [w for w in range(problem.weeks) if problem.capacity[w] > 0]
    earliest: dict[str, int | None] = {}
    total = 0
    for act in _topological(problem.activities, by_due=False):
        first: int | None = max(0, act.release_week)
        for pred, lag in act.predecessors:
            if pred not in earliest:
                continue
            pred_week = earliest[pred]
            first = None if pred_week is None or first is None else max(first, pred_week + 1 + lag)
        week = next((w for w in open_weeks if w >= first), None) if first is not None else None
        # An activity needs a week with enough hours for all of it
        week = next((w for w in open_weeks if week is not None and w >= week
                     and problem.capacity[w] >= act.minutes), None)
        earliest[act.activity_id] = week
        if week is None:
            total += problem.unscheduled_penalty
        elif week > act.due_week:
            total += min(problem.unscheduled_penalty, act.weight * (week - act.due_week))
    return total


def _topological(activities: Sequence[ScheduleActivity], by_due: bool = True,
                 priority: dict[str, int] | None = None) -> list[ScheduleActivity]:
    """Activities so that predecessors come first; among ready ones the earliest (priority, else) due first (EDF)."""
    by_id = {a.activity_id: a for a in activities}
    key = priority or {a.activity_id: a.due_week for a in activities}
    if not by_due:
        key = {a.activity_id: 0 for a in activities}
    waiting = {a.activity_id: sum(1 for p, _ in a.predecessors if p in by_id) for a in activities}
    successors: dict[str, list[str]] = {a.activity_id: [] for a in activities}
    for a in activities:
        for p, _ in a.predecessors:
            if p in by_id:
                successors[p].append(a.activity_id)
    ready = [(key[a.activity_id], a.release_week, a.activity_id) for a in activities if waiting[a.activity_id] == 0]
    heapq.heapify(ready)
    order: list[ScheduleActivity] = []
    while ready:
        _, _, activity_id = heapq.heappop(ready)
        order.append(by_id[activity_id])
        for s in successors[activity_id]:
            waiting[s] -= 1
            if waiting[s] == 0:
                heapq.heappush(ready, (key[s], by_id[s].release_week, s))
    if len(order) != len(activities):
        raise ValueError("activity precedence has a cycle")
    return order


def greedy_schedule(problem: TeamScheduleProblem, modified_due: bool = True,
                    priority: dict[str, int] | None = None) -> dict[str, int | None]:
    """Earliest-due-first list scheduling: each activity in the first week with room after its predecessors.

    With `modified_due` the order uses due weeks tightened by successors (`effective_due_weeks`); an explicit
    `priority` (smaller first, among activities whose predecessors are placed) overrides both."""
    remaining = list(problem.capacity)
    weeks: dict[str, int | None] = {}
    if priority is None:
        priority = effective_due_weeks(problem.activities) if modified_due else None
    for act in _topological(problem.activities, priority=priority):
        earliest = act.release_week
        feasible = True
        for p, lag in act.predecessors:
            if p not in weeks:
                continue
            pred_week = weeks[p]
            if pred_week is None:
                feasible = False
                break
            earliest = max(earliest, pred_week + 1 + lag)
        chosen: int | None = None
        if feasible:
            for week in range(max(0, earliest), problem.weeks):
                if remaining[week] >= act.minutes:
                    chosen = week
                    break
        weeks[act.activity_id] = chosen
        if chosen is not None:
            remaining[chosen] -= act.minutes
    return weeks


def squeaky_wheel(problem: TeamScheduleProblem, start: dict[str, int | None], floor: int = 0,
                  rounds: int = 30, patience: int = 10, step: int = 1) -> dict[str, int | None]:
    """Repeat the list schedule, each round moving the cases that came out late or left out earlier in the order.

    The order key is 4 x the successor-tightened due week less a boost per case; each round every late case's
    boost grows by `step` (a quarter of a week), so a case the team could not fit is placed before the cases that
    crowded it out, and the others move back only as far as the boosts say. Stops at `floor` (nothing better is
    possible), after `rounds`, or after `patience` rounds without a better schedule; returns the best seen
    (never worse than `start`). On county the physical/medical team's three left-out chains fit after 7 rounds.
    """
    best, best_objective = start, schedule_objective(problem, start)[0]
    due = effective_due_weeks(problem.activities)
    boost: dict[str, int] = {}
    weeks, since_better = start, 0
    for _ in range(rounds):
        if best_objective <= floor or since_better >= patience:
            break
        _, late = schedule_objective(problem, weeks)
        for act in problem.activities:
            if weeks.get(act.activity_id) is None or late.get(act.activity_id, 0) > 0:
                boost[act.case_id] = boost.get(act.case_id, 0) + step
        # Cases that could not be fitted come earlier in the order, by a quarter week per round they were late
        weeks = greedy_schedule(problem, priority={a.activity_id: 4 * due[a.activity_id] - boost.get(a.case_id, 0)
                                                   for a in problem.activities})
        objective = schedule_objective(problem, weeks)[0]
        if objective < best_objective:
            best, best_objective, since_better = weeks, objective, 0
        else:
            since_better += 1
    return best


def _capacity_blockers(model: cp_model.CpModel, capacity: Sequence[int], top: int,
                       overtime: Sequence[cp_model.IntVar] | None = None
                       ) -> tuple[list[cp_model.IntervalVar], list[cp_model.LinearExprT]]:
    """Fixed one-week intervals that take up the capacity a week does not have (holidays take all of it)."""
    intervals: list[cp_model.IntervalVar] = []
    demands: list[cp_model.LinearExprT] = []
    for week, cap in enumerate(capacity):
        if cap >= top and overtime is None:
            continue
        intervals.append(model.new_interval_var(week, 1, week + 1, f"blocked_{week}"))
        demands.append(top - cap - overtime[week] if overtime is not None else top - cap)
    return intervals, demands


def _lateness_model(problem: TeamScheduleProblem) -> tuple[cp_model.CpModel, dict[str, cp_model.IntVar],
                                                           dict[str, cp_model.IntVar],
                                                           dict[str, dict[int, cp_model.IntVar]]]:
    """The schedule model: an optional one-week interval per activity, linked to one Boolean per possible week.

    The intervals carry the cumulative (weekly hours) reasoning; the week Booleans give the LP relaxation the exact
    lateness and capacity rows, which is what lets CP-SAT prove its lower bound.
    """
    top = max(problem.capacity, default=0)
    model = cp_model.CpModel()
    horizon = problem.weeks
    start: dict[str, cp_model.IntVar] = {}
    present: dict[str, cp_model.IntVar] = {}
    weekly: dict[str, dict[int, cp_model.IntVar]] = {}
    intervals: list[cp_model.IntervalVar] = []
    demands: list[cp_model.LinearExprT] = []
    objective_terms: list[cp_model.LinearExprT] = []
    for act in problem.activities:
        aid = act.activity_id
        # An activity takes place in a week at or after its release week with enough of the team's hours
        weeks = [w for w in range(max(0, act.release_week), horizon) if problem.capacity[w] >= act.minutes]
        weekly[aid] = {w: model.new_bool_var(f"in_{aid}_{w}") for w in weeks}
        present[aid] = model.new_bool_var(f"done_{aid}")
        # It takes place at most once, in exactly one of those weeks, or is left out
        model.add(sum(weekly[aid].values()) == present[aid])
        start[aid] = model.new_int_var(0, horizon - 1, f"week_{aid}")
        model.add(start[aid] == sum(w * v for w, v in weekly[aid].items()))
        intervals.append(model.new_optional_interval_var(start[aid], 1, start[aid] + 1, present[aid], f"slot_{aid}"))
        demands.append(act.minutes)
        # Weeks past the due week count as late, times the activity's weight; an activity left out costs the penalty
        objective_terms.append(sum(act.weight * (w - act.due_week) * v for w, v in weekly[aid].items()
                                   if w > act.due_week))
        objective_terms.append(problem.unscheduled_penalty * (1 - present[aid]))
    ids = set(start)
    for act in problem.activities:
        for pred, lag in act.predecessors:
            if pred not in ids:
                continue
            # An activity follows its predecessor by 1 + lag weeks (e.g. visits once the plan names the setting)
            model.add(start[act.activity_id] >= start[pred] + 1 + lag).only_enforce_if(present[act.activity_id])
            # and cannot take place if its predecessor does not
            model.add(present[act.activity_id] <= present[pred])
    # A team cannot work more hours in a week than it has (holidays: none)
    for w in range(horizon):
        in_week = [(act.minutes, weekly[act.activity_id][w]) for act in problem.activities
                   if w in weekly[act.activity_id]]
        if in_week and sum(m for m, _ in in_week) > problem.capacity[w]:
            model.add(sum(m * v for m, v in in_week) <= problem.capacity[w])
    blockers, blocker_demands = _capacity_blockers(model, problem.capacity, top)
    model.add_cumulative(intervals + blockers, demands + blocker_demands, top)
    model.minimize(sum(objective_terms))
    return model, start, present, weekly


def solve_team_schedule(problem: TeamScheduleProblem, time_limit: float = 10.0, seed: int = 0, workers: int = 2,
                        should_stop: Callable[[], bool] | None = None,
                        min_cp_sat_seconds: float = 0.25) -> TeamSchedule:
    """Minimise weighted lateness (and left-out activities) for one team, exactly within the time limit.

    A list schedule comes first; when it meets `unavoidable_lateness` it is returned as proven optimal at once.
    Otherwise CP-SAT starts from it (given at least `min_cp_sat_seconds` + a second per thousand activities, the
    time building the model takes) and never returns anything worse."""
    started = time.perf_counter()
    # Two list schedules (due weeks tightened by successors, and plain ones): the better is the start
    hint = min((greedy_schedule(problem, modified_due=m) for m in (True, False)),
               key=lambda weeks: schedule_objective(problem, weeks)[0])
    floor = unavoidable_lateness(problem)
    if schedule_objective(problem, hint)[0] > floor:
        # Squeaky wheel: the cases left late move up the order, round by round
        hint = squeaky_wheel(problem, hint, floor)
    hint_objective, hint_late = schedule_objective(problem, hint)
    if hint_objective <= floor:
        # The list schedule meets the lower bound (0 when nothing is late): it is optimal
        return TeamSchedule(team_id=problem.team_id, status="OPTIMAL", week_by_activity=hint,
                            objective=float(hint_objective), bound=float(hint_objective), gap=0.0,
                            wall_seconds=time.perf_counter() - started, late_weeks_by_activity=hint_late)
    if time_limit < min_cp_sat_seconds + len(problem.activities) / 1000:
        # (building the model alone takes about a second per thousand activities)
        # No time for CP-SAT: keep the list schedule with the cheap bound
        return TeamSchedule(team_id=problem.team_id, status="FEASIBLE", week_by_activity=hint,
                            objective=float(hint_objective), bound=float(floor),
                            gap=relative_gap(hint_objective, floor), wall_seconds=time.perf_counter() - started,
                            late_weeks_by_activity=hint_late)
    model, start, present, weekly = _lateness_model(problem)
    for act in problem.activities:
        week = hint[act.activity_id]
        model.add_hint(present[act.activity_id], 0 if week is None else 1)
        if week is not None:
            model.add_hint(start[act.activity_id], week)
        for w, var in weekly[act.activity_id].items():
            model.add_hint(var, 1 if week == w else 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    # A deterministic work limit too, so that one worker with the same seed gives the same plan on any machine
    solver.parameters.max_deterministic_time = max(0.01, time_limit / 4)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    callback = StopWhenAsked(should_stop) if should_stop is not None else None
    code = solver.solve(model, callback) if callback is not None else solver.solve(model)
    status = STATUS_NAMES.get(code, str(code))
    weeks: dict[str, int | None]
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        weeks = {a.activity_id: (int(solver.value(start[a.activity_id]))
                                 if solver.value(present[a.activity_id]) else None) for a in problem.activities}
        bound = float(solver.best_objective_bound)
        if schedule_objective(problem, weeks)[0] > hint_objective:
            weeks = hint  # never return worse than the greedy start
    else:  # no solution in time: keep the greedy plan (feasible by construction); bound from the solver if any
        weeks, status = hint, "FEASIBLE"
        bound = max(0.0, float(solver.best_objective_bound)) if code == cp_model.UNKNOWN else 0.0
    total, late_weeks = schedule_objective(problem, weeks)
    objective = float(total)
    bound = min(max(bound, float(floor)), objective)
    return TeamSchedule(team_id=problem.team_id, status=status, week_by_activity=weeks, objective=objective,
                        bound=bound, gap=relative_gap(objective, bound), wall_seconds=time.perf_counter() - started,
                        late_weeks_by_activity=late_weeks)


def extra_hours_to_meet_deadlines(problem: TeamScheduleProblem, time_limit: float = 5.0, seed: int = 0,
                                  workers: int = 2) -> tuple[str, dict[int, int]]:
    """Fewest extra minutes per week (overtime, or borrowed staff) that let every activity meet its due week.

    Activities whose due week comes before they can start (the deadline has already passed) are given the earliest
    term-time week they could take place instead: no extra hours can bring back lost time. No extra hours are
    bought in holidays.
    """
    model = cp_model.CpModel()
    horizon = problem.weeks
    open_weeks = [w for w in range(horizon) if w not in problem.closed_weeks]
    weekly: dict[str, dict[int, cp_model.IntVar]] = {}
    intervals: list[cp_model.IntervalVar] = []
    earliest: dict[str, int] = {}
    for act in _topological(problem.activities):
        first = max(0, act.release_week)
        for pred, lag in act.predecessors:
            if pred in earliest:
                first = max(first, earliest[pred] + 1 + lag)
        candidates = [w for w in open_weeks if w >= first]
        if not candidates:
            continue  # cannot take place this year whatever the hours
        earliest[act.activity_id] = candidates[0]
        due = max(act.due_week, candidates[0])
        weekly[act.activity_id] = {w: model.new_bool_var(f"in_{act.activity_id}_{w}") for w in candidates if w <= due}
        # Every activity takes place by its due week
        model.add_exactly_one(weekly[act.activity_id].values())
        start = model.new_int_var(0, horizon - 1, f"week_{act.activity_id}")
        model.add(start == sum(w * v for w, v in weekly[act.activity_id].items()))
        intervals.append(model.new_interval_var(start, 1, start + 1, f"slot_{act.activity_id}"))
    for act in problem.activities:
        if act.activity_id not in weekly:
            continue
        for pred, lag in act.predecessors:
            if pred in weekly:
                # Same precedence as the schedule
                for w in weekly[act.activity_id]:
                    model.add(sum(v for u, v in weekly[act.activity_id].items() if u <= w)
                              <= sum(v for u, v in weekly[pred].items() if u <= w - 1 - lag))
    minutes = {a.activity_id: a.minutes for a in problem.activities}
    overtime: dict[int, cp_model.IntVar] = {}
    for w in open_weeks:
        in_week = [(minutes[aid], by_week[w]) for aid, by_week in weekly.items() if w in by_week]
        total = sum(m for m, _ in in_week)
        if total <= problem.capacity[w]:
            continue
        overtime[w] = model.new_int_var(0, total - problem.capacity[w], f"extra_{w}")
        # Weekly hours plus the extra hours bought in that week
        model.add(sum(m * v for m, v in in_week) <= problem.capacity[w] + overtime[w])
    model.minimize(sum(overtime.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    status = STATUS_NAMES.get(code, str(code))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, {}
    return status, {w: int(solver.value(v)) for w, v in overtime.items() if solver.value(v) > 0}
