"""Moving cases that a team's week-by-week schedule cannot fit to another team with room (after the allocation).

The allocation (planner.transitions.outreach) checks each team's hours over windows of half-terms; the schedule works in
weeks, with chains of activities one week apart. A team filled to its half-term budgets can still be unable to fit
a few activities in the weeks (a visit in a week with 2 hours left), and an activity left out costs more than a
few hours of travel. So after the list schedules, each case with a late or left-out activity is offered to its
other allowed teams, cheapest first, where it still fits every window budget (the allocation's constraints stay
satisfied), or, when none has room, to a team that makes room by passing one of its cases on to a third team
with room; a team's moves are kept only when allocation cost + lateness cost goes down (both teams rescheduled).
It is a heuristic improvement of a feasible plan: bounds are untouched, the objective can only fall.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from planner.solving.cpsat import relative_gap
from planner.transitions.outreach import AllocationResult, window_use
from planner.transitions.schedule import TeamSchedule, TeamScheduleProblem

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
    use_cache: dict[tuple[str, str], list[int]] = {}
    for source in team_ids:
        if time.perf_counter() > deadline:
            break
        if source not in schedules:
            continue
        tentative: list[CaseMove] = []
        taken: set[str] = set()

        def uses_at(case_id: str, team: str) -> list[int]:
            key = (case_id, team)
            if key not in use_cache:
                use_cache[key] = [window_use(allocation.minutes[key], w) for w in windows]
            return use_cache[key]

        def fits(team: str, extra: list[int], less: list[int] | None = None) -> bool:
            # The receiving team's hours in every window of half-terms must still cover its cases
            return all(load + e - (less[k] if less else 0) <= cap
                       for k, (load, e, cap) in enumerate(zip(loads[team], extra, capacity[team], strict=True)))

        def add(team: str, delta: list[int], sign: int) -> None:
            loads[team] = [load + sign * d for load, d in zip(loads[team], delta, strict=True)]

        for case_id in late_cases(problems[source], schedules[source]):
            targets = sorted((t for t in team_ids if t != source and (case_id, t) in allocation.costs),
                             key=lambda t: (allocation.costs[case_id, t], t))
            placed = False
            for target in targets:
                uses = uses_at(case_id, target)
                if fits(target, uses):
                    add(target, uses, 1)
                    tentative.append(CaseMove(case_id, source, target, allocation.costs[case_id, target]
                                              - allocation.costs[case_id, source]))
                    placed = True
                    break
            if placed or time.perf_counter() > deadline:
                continue
            # No room anywhere: make room at a target by moving one of its cases on to a third team with room
            for target in targets:
                uses = uses_at(case_id, target)
                for other in sorted(cases_by_team.get(target, [])):
                    if other in taken:
                        continue
                    freed = uses_at(other, target)
                    if not fits(target, uses, freed):
                        continue
                    third = next((t for t in sorted(team_ids, key=lambda t: (allocation.costs.get((other, t), 0), t))
                                  if t not in (source, target) and (other, t) in allocation.costs
                                  and fits(t, uses_at(other, t))), None)
                    if third is None:
                        continue
                    add(target, uses, 1)
                    add(target, freed, -1)
                    add(third, uses_at(other, third), 1)
                    taken.add(other)
                    tentative.append(CaseMove(case_id, source, target, allocation.costs[case_id, target]
                                              - allocation.costs[case_id, source]))
                    tentative.append(CaseMove(other, target, third, allocation.costs[other, third]
                                              - allocation.costs[other, target]))
                    placed = True
                    break
                if placed:
                    break
        if not tentative:
            continue
        touched = {source} | {m.to_team for m in tentative} | {m.from_team for m in tentative}
        new_lists = {t: list(cases_by_team.get(t, [])) for t in touched}
        for move in tentative:
            new_lists[move.from_team].remove(move.case_id)
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
            moves.extend(tentative)
        for t in touched:  # exact loads again, whether the moves were kept or not
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


def place_unallocated_cases(allocation: AllocationResult, cases_by_team: dict[str, list[str]],
                            schedules: dict[str, TeamSchedule], problems: dict[str, TeamScheduleProblem],
                            reschedule: Callable[[str, list[str]], tuple[TeamScheduleProblem, TeamSchedule]],
                            order: Sequence[str], late_week_cost: int, unallocated_penalty: int,
                            deadline: float) -> list[CaseMove]:
    """Give unallocated cases a team wherever travel + the lateness they cause costs less than leaving them out.

    The allocation leaves a case out when no team's half-term budgets can hold it, but a case without a team still
    has its statutory review due (SEND Regulations 2014 reg 18 and 20: the plan is reviewed and, at a transfer,
    amended by its date whatever the hours), and the whole problem prices a late or missed activity, not an empty
    budget. Each unallocated case (in `order`: earliest deadline first) is tried at each team allowed to take it;
    the team whose rescheduled weeks make cost + lateness fall most takes it. Updates every argument in place; the
    bounds are untouched (a heuristic on a feasible plan: the objective only falls). Stops at `deadline`.
    """
    placed: list[CaseMove] = []
    teams = sorted(allocation.capacity)
    for case_id in order:
        if allocation.team_by_case.get(case_id, "") is not None or time.perf_counter() > deadline:
            continue
        best: tuple[int, str, list[str], tuple[TeamScheduleProblem, TeamSchedule]] | None = None
        for team in sorted((t for t in teams if (case_id, t) in allocation.costs),
                           key=lambda t: (allocation.costs[case_id, t], t)):
            if time.perf_counter() > deadline:
                break
            ids = sorted([*cases_by_team.get(team, []), case_id])
            result = reschedule(team, ids)
            before = schedules[team].objective if team in schedules else 0.0
            change = int(allocation.costs[case_id, team] + late_week_cost * (result[1].objective - before)
                         - unallocated_penalty)
            if change < 0 and (best is None or change < best[0]):
                best = (change, team, ids, result)
        if best is None:
            continue
        change, team, ids, (problem, schedule) = best
        cases_by_team[team], problems[team], schedules[team] = ids, problem, schedule
        _record_placement(allocation, case_id, team, unallocated_penalty)
        placed.append(CaseMove(case_id, "", team, change))
    if placed:
        log.info("placed %d unallocated cases at a lateness price", len(placed))
    return placed


def _record_placement(allocation: AllocationResult, case_id: str, team: str, unallocated_penalty: int) -> None:
    """The allocation's figures after an unallocated case is given a team."""
    cost = allocation.costs[case_id, team]
    allocation.team_by_case[case_id] = team
    if allocation.objective is not None:
        allocation.objective += cost - unallocated_penalty
        if allocation.bound is not None:
            allocation.gap = relative_gap(allocation.objective, allocation.bound)
    allocation.breakdown["cost"] = allocation.breakdown.get("cost", 0) + cost
    allocation.breakdown["unallocated_penalty"] = allocation.breakdown.get("unallocated_penalty", 0) \
        - unallocated_penalty
    allocation.breakdown["unallocated"] = allocation.breakdown.get("unallocated", 0) - 1
    entry = next((u for u in allocation.unallocated if u.get("case_id") == case_id), None)
    if entry is not None:
        allocation.unallocated.remove(entry)
        cheapest, hours = entry.get("cheapest_team"), entry.get("extra_hours")
        known = isinstance(cheapest, str) and cheapest in allocation.extra_minutes_by_team
        if known and isinstance(cheapest, str) and isinstance(hours, (int, float)):
            remaining = allocation.extra_minutes_by_team[cheapest] - int(round(hours * 60))
            allocation.extra_minutes_by_team[cheapest] = max(0, remaining)
