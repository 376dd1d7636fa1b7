"""Moving cases that a team's week-by-week schedule cannot fit to another team with room (after the allocation).

The allocation (planner.outreach) checks each team's hours over windows of half-terms; the schedule works in
weeks, with chains of activities one week apart. A team filled to its half-term budgets can still be unable to fit
a few activities in the weeks (a visit in a week with 2 hours left), and an activity left out costs more than a
few hours of travel. So after the list schedules, each case with a late or left-out activity is offered to its
other allowed teams, cheapest first, where it still fits every window budget (the allocation's constraints stay
satisfied); a team's moves are kept only when allocation cost + lateness cost goes down (both teams rescheduled).
It is a heuristic improvement of a feasible plan: bounds are untouched, the objective can only fall.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from planner.outreach import AllocationResult, relative_gap, window_use
from planner.schedule import TeamSchedule, TeamScheduleProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseMove:
    case_id: str
    from_team: str
    to_team: str
    cost_change: int


def window_loads(allocation: AllocationResult, team_id: str, case_ids: Sequence[str],
                 windows: Sequence[tuple[int, int]]) -> list[int]:
    """Minutes of a team's cases that must fall in each window (the allocation's resource use)."""
    loads = [0] * len(windows)
    for case_id in case_ids:
        by_window = allocation.minutes[case_id, team_id]
        for k, window in enumerate(windows):
            loads[k] += window_use(by_window, window)
    return loads


def late_cases(problem: TeamScheduleProblem, schedule: TeamSchedule) -> list[str]:
    """Cases with an activity late or left out, in id order."""
    bad = {a.case_id for a in problem.activities
           if schedule.week_by_activity.get(a.activity_id) is None
           or schedule.late_weeks_by_activity.get(a.activity_id, 0) > 0}
    return sorted(bad)


def move_late_cases(allocation: AllocationResult, cases_by_team: dict[str, list[str]],
                    schedules: dict[str, TeamSchedule], problems: dict[str, TeamScheduleProblem],
                    reschedule: Callable[[str, list[str]], tuple[TeamScheduleProblem, TeamSchedule]],
                    windows: Sequence[tuple[int, int]], late_week_cost: int, deadline: float) -> list[CaseMove]:
    """Move late cases to teams with room where that lowers cost + lateness; updates every argument in place.

    `reschedule(team, case ids)` builds and list-schedules a team. Stops at `deadline` (perf_counter).
    """
    team_ids = sorted(allocation.capacity)
    capacity = {t: [sum(allocation.period_capacity[t][a:b + 1]) for a, b in windows] for t in team_ids}
    loads = {t: window_loads(allocation, t, cases_by_team.get(t, []), windows) for t in team_ids}
    moves: list[CaseMove] = []
    for source in team_ids:
        if time.perf_counter() > deadline:
            break
        if source not in schedules:
            continue
        tentative: list[CaseMove] = []
        for case_id in late_cases(problems[source], schedules[source]):
            targets = sorted((t for t in team_ids if t != source and (case_id, t) in allocation.costs),
                             key=lambda t: (allocation.costs[case_id, t], t))
            for target in targets:
                uses = [window_use(allocation.minutes[case_id, target], w) for w in windows]
                # The receiving team's hours in every window of half-terms must still cover its cases
                if all(load + use <= cap for load, use, cap in zip(loads[target], uses, capacity[target],
                                                                   strict=True)):
                    loads[target] = [load + use for load, use in zip(loads[target], uses, strict=True)]
                    tentative.append(CaseMove(case_id, source, target, allocation.costs[case_id, target]
                                              - allocation.costs[case_id, source]))
                    break
        if not tentative:
            continue
        new_lists = {t: list(cases_by_team.get(t, [])) for t in {source} | {m.to_team for m in tentative}}
        for move in tentative:
            new_lists[source].remove(move.case_id)
            new_lists[move.to_team].append(move.case_id)
        rescheduled = {t: reschedule(t, sorted(ids)) for t, ids in new_lists.items()}
        before = sum(schedules[t].objective for t in new_lists if t in schedules)
        after = sum(s.objective for _, s in rescheduled.values())
        change = sum(m.cost_change for m in tentative) + late_week_cost * (after - before)
        if change < 0:
            for t, ids in new_lists.items():
                cases_by_team[t] = sorted(ids)
                problems[t], schedules[t] = rescheduled[t]
            for move in tentative:
                allocation.team_by_case[move.case_id] = move.to_team
            loads[source] = window_loads(allocation, source, cases_by_team[source], windows)
            moves.extend(tentative)
        else:
            for t in {m.to_team for m in tentative}:
                loads[t] = window_loads(allocation, t, cases_by_team.get(t, []), windows)
    if moves:
        cost_change = sum(m.cost_change for m in moves)
        if allocation.objective is not None:
            allocation.objective += cost_change
            if allocation.bound is not None:
                allocation.gap = relative_gap(allocation.objective, allocation.bound)
                if allocation.gap > 0:
                    allocation.status = "FEASIBLE"
        allocation.breakdown["cost"] = allocation.breakdown.get("cost", 0) + cost_change
        allocation.breakdown["moved_after_scheduling"] = len(moves)
        log.info("moved %d late cases to teams with room (cost change %d)", len(moves), cost_change)
    return moves
