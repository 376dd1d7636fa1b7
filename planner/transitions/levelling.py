"""Workload levelling: a team's schedule spread evenly over its weeks, after lateness (lexicographic).

The schedule solvers (planner.transitions.schedule) minimise weighted lateness and place each activity in the first
week with room, so a team is booked to 100% in the first weeks of the year and idle after. Levelling is the second
objective, applied only to schedules the first has already chosen, and never at its expense:

- every move keeps the team's minutes in every week within its hours (a hard limit: no week over capacity), the
  release week, and each precedence (1 + lag weeks after the predecessor, before each successor);
- no activity becomes later than it was: an on-time activity stays on time, a late one may only move earlier (so
  weighted lateness, the plan's objective, never rises and the whole-problem bound stays valid unchanged);
- an on-time activity is not moved into the last `margin_weeks` before its due week (it may stay there if the
  lateness objective put it there): slack is kept for the unexpected (a local rule, `levelling_margin_weeks`).

Within those limits it minimises sum over open weeks of load^2 / hours: with the total fixed, that is least when
every week is booked to the same share of its hours (equal utilisation). Local search: each activity in turn moves
to the week that lowers the sum most, until a pass moves nothing or the time is up. `load_profile` gives the
figures the plan reports (peak weekly share, spread of the weekly shares, share booked in the first weeks).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from planner.transitions.schedule import ScheduleActivity, TeamScheduleProblem


@dataclass(frozen=True)
class LoadProfile:
    """How a team's booked minutes sit against its hours over the weeks it has any (term time)."""

    peak_share: float  # the highest week's minutes / hours
    spread: float  # standard deviation of the weekly shares (0 = perfectly level)
    first_weeks_share: float  # share of all booked minutes that fall in the first `first_weeks` open weeks
    open_weeks: int


def weekly_load(problem: TeamScheduleProblem, weeks: Mapping[str, int | None]) -> list[int]:
    """Minutes booked in each week of the year."""
    load = [0] * problem.weeks
    for act in problem.activities:
        week = weeks.get(act.activity_id)
        if week is not None:
            load[week] += act.minutes
    return load


def load_profile(problem: TeamScheduleProblem, weeks: Mapping[str, int | None], first_weeks: int = 3) -> LoadProfile:
    """Peak weekly share, the spread of weekly shares and the front-loaded share of a team's schedule."""
    load = weekly_load(problem, weeks)
    open_weeks = [w for w in range(problem.weeks) if problem.capacity[w] > 0]
    shares = [load[w] / problem.capacity[w] for w in open_weeks]
    if not shares:
        return LoadProfile(0.0, 0.0, 0.0, 0)
    mean = sum(shares) / len(shares)
    spread = math.sqrt(sum((s - mean) ** 2 for s in shares) / len(shares))
    total = sum(load)
    first = sum(load[w] for w in open_weeks[:first_weeks])
    return LoadProfile(peak_share=max(shares), spread=spread, first_weeks_share=first / total if total else 0.0,
                       open_weeks=len(open_weeks))


def _window(act: ScheduleActivity, current: int, weeks: Mapping[str, int | None],
            successors: Mapping[str, list[tuple[str, int]]], by_id: Mapping[str, ScheduleActivity],
            margin_weeks: int) -> tuple[int, int]:
    """The weeks an activity may move to without breaking precedence or becoming later than it is."""
    earliest = max(0, act.release_week)
    for pred, lag in act.predecessors:
        pred_week = weeks.get(pred) if pred in by_id else None
        if pred_week is not None:
            # It follows its predecessor by 1 + lag weeks
            earliest = max(earliest, pred_week + 1 + lag)
    # Never later than it is when late; when on time, not into the margin before its due week
    latest = current if current > act.due_week else max(current, act.due_week - margin_weeks)
    for succ, lag in successors.get(act.activity_id, []):
        succ_week = weeks.get(succ)
        if succ_week is not None:
            # and precedes each scheduled successor by 1 + lag weeks
            latest = min(latest, succ_week - 1 - lag)
    return earliest, latest


def level_schedule(problem: TeamScheduleProblem, weeks: Mapping[str, int | None], margin_weeks: int = 2,
                   time_limit: float = 2.0, max_passes: int = 50) -> dict[str, int | None]:
    """The schedule with its load spread evenly (see the module docstring); left-out activities stay out."""
    started = time.perf_counter()
    by_id = {a.activity_id: a for a in problem.activities}
    successors: dict[str, list[tuple[str, int]]] = {}
    for act in problem.activities:
        for pred, lag in act.predecessors:
            successors.setdefault(pred, []).append((act.activity_id, lag))
    result = dict(weeks)
    load = weekly_load(problem, result)
    capacity = problem.capacity
    # Latest-due first: the work with the most room to move goes first
    order = sorted((a for a in problem.activities if result.get(a.activity_id) is not None),
                   key=lambda a: (-a.due_week, a.activity_id))
    for _ in range(max_passes):
        moved = 0
        for act in order:
            current = result[act.activity_id]
            assert current is not None
            m = act.minutes
            if m <= 0 or capacity[current] <= 0:
                continue  # takes no hours (it may sit in a week with none): nothing to level
            earliest, latest = _window(act, current, result, successors, by_id, margin_weeks)
            # What leaving the current week saves: (L - m)^2 - L^2 over its hours
            leave = (m * m - 2 * m * load[current]) / capacity[current]
            best_week, best_delta = current, -1e-9
            for week in range(earliest, latest + 1):
                if week == current or capacity[week] <= 0 or load[week] + m > capacity[week]:
                    continue  # a team never works more hours in a week than it has
                delta = leave + (m * m + 2 * m * load[week]) / capacity[week]
                if delta < best_delta:
                    best_week, best_delta = week, delta
            if best_week != current:
                load[current] -= m
                load[best_week] += m
                result[act.activity_id] = best_week
                moved += 1
        if not moved or time.perf_counter() - started > time_limit:
            break
    return result
