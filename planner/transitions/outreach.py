"""Outreach allocation: each transition case to exactly one outreach team, a generalised assignment problem (GAP).

The hours a case takes depend on the team (travel from the team's base, and more hours when the case is outside the
team's specialisms); each team has hours per term; the cost is travel minutes plus a penalty for a poorer fit.
Cases that cannot be covered stay unallocated at a (large) penalty, and the report says how many extra hours at
which team would cover them. Solved exactly with CP-SAT (`solve_gap`), which also reproduces the published
OR-Library GAP optima (`placeplan gap FILE`).
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from planner.domain.codes import Need
from planner.domain.models import OutreachTeam, Point
from planner.domain.travel import TravelModel
from planner.transitions.gap import GapProblem, solve_gap
from planner.transitions.gap_types import solve_gap_by_types
from planner.transitions.school_calendar import SchoolCalendar, Term

log = logging.getLogger(__name__)



# ---------------------------------------------------------------------------------------------------------------
# Transition cases -> GAP
# ---------------------------------------------------------------------------------------------------------------


class OutreachParameters(BaseModel):
    """How team-specific hours and costs are derived. Every default is a setting."""

    model_config = ConfigDict(frozen=True)

    non_specialist_hours_factor: float = Field(default=1.25, ge=1,
                                               description="Hours multiplier when the need is not a team specialism")
    non_specialist_penalty: int = Field(default=120, ge=0, description="Cost points for a non-specialist team")
    allow_non_specialist: bool = Field(default=True, description="May a team take a case outside its specialisms")
    allow_other_locality: bool = Field(default=False,
                                       description="May a team take a case outside the localities it covers")
    other_locality_penalty: int = Field(default=240, ge=0, description="Cost points outside a team's localities")
    unallocated_penalty: int = Field(default=100_000, ge=0, description="Cost of leaving a case unallocated")
    availability: float = Field(default=1.0, gt=0, le=1,
                                description="Share of a team's weekly hours available for transition casework")
    time_limit_seconds: float = Field(default=20.0, gt=0, le=3600)
    probing_level: int = Field(default=2, ge=0, le=3, description="CP-SAT presolve probing (0 is faster on big "
                                                                   "allocations)")
    solver: Literal["types", "per_case"] = Field(
        default="types", description="types: exact integer model over interchangeable cases (HiGHS, "
                                     "planner.transitions.gap_types); per_case: one Boolean per case and team (CP-SAT)")
    relative_gap_tolerance: float = Field(default=1e-4, ge=0, lt=1,
                                          description="The types solver stops once its gap is within this")
    workers: int = Field(default=2, ge=1)
    seed: int = 0


TERMS: tuple[Term, ...] = tuple(Term)


def period_windows(periods: int) -> list[tuple[int, int]]:
    """Every run of consecutive periods (first, last): the allocator's resources. Work that can start no earlier
    than the first period and is due by the end of the last must fit in the team's hours over those periods."""
    return [(a, b) for a in range(periods) for b in range(a, periods)]


@dataclass(frozen=True)
class OutreachCase:
    """A case as the allocator sees it: need, place, and its work (team-independent minutes and in-person trips)
    keyed by term window (index of the term it can first take place in, index of the term it is due in)."""

    case_id: str
    need: Need
    locality_id: str | None
    location: Point
    work: dict[tuple[int, int], tuple[int, int]]  # (first period, due period) -> (minutes, trips)


@dataclass
class AllocationResult:
    status: str
    team_by_case: dict[str, str | None]
    objective: float | None
    bound: float | None
    gap: float | None
    wall_seconds: float
    minutes: dict[tuple[str, str], dict[tuple[int, int], int]]  # (case, team) -> minutes by window it belongs to
    costs: dict[tuple[str, str], int]
    capacity: dict[str, dict[Term, int]]
    used: dict[str, dict[Term, int]]  # minutes by the term the work can first take place in
    period_capacity: dict[str, list[int]]
    period_used: dict[str, list[int]]
    unallocated: list[dict[str, object]]
    extra_minutes_by_team: dict[str, int]
    breakdown: dict[str, int]


def team_term_capacity(team: OutreachTeam, calendar: SchoolCalendar, availability: float) -> dict[Term, int]:
    """A team's minutes per term: hours per school week x school weeks in the term x the share for transitions."""
    blocks = calendar.week_blocks()
    capacity: dict[Term, int] = {}
    for term in Term:
        weeks = sum(1 for block in blocks if block.school and block.term is term)
        capacity[term] = int(round(team.hours_per_week * 60 * availability)) * weeks
    return capacity


def team_period_capacity(team: OutreachTeam, calendar: SchoolCalendar, availability: float) -> list[int]:
    """A team's minutes in each term-time period (half-term in the default calendar)."""
    per_week = int(round(team.hours_per_week * 60 * availability))
    return [per_week * block.weeks for block in calendar.periods()]


def team_case_fit(case: OutreachCase, team: OutreachTeam, params: OutreachParameters) -> tuple[bool, int, float]:
    """(allowed, penalty points, hours factor) for a case and a team."""
    penalty, factor = 0, 1.0
    if team.locality_ids and case.locality_id not in team.locality_ids:
        if not params.allow_other_locality:
            return False, 0, 1.0
        penalty += params.other_locality_penalty
    if case.need not in team.specialisms:
        if not params.allow_non_specialist:
            return False, 0, 1.0
        penalty += params.non_specialist_penalty
        factor = params.non_specialist_hours_factor
    return True, penalty, factor


def derive_matrices(cases: Sequence[OutreachCase], teams: Sequence[OutreachTeam], params: OutreachParameters,
                    travel: TravelModel
                    ) -> tuple[dict[tuple[str, str], dict[tuple[int, int], int]], dict[tuple[str, str], int]]:
    """Team-specific minutes by term window and cost for every allowed (case, team) pair.

    Minutes = the case's work x the fit factor + a round trip from the team's base per in-person activity.
    Cost = travel minutes + fit penalties.
    """
    minutes: dict[tuple[str, str], dict[tuple[int, int], int]] = {}
    costs: dict[tuple[str, str], int] = {}
    for team in teams:
        for case in cases:
            allowed, penalty, factor = team_case_fit(case, team, params)
            if not allowed:
                continue
            one_way = travel.minutes(team.base, case.location) if team.base is not None else 0.0
            round_trip = int(round(2 * one_way))
            minutes[case.case_id, team.id] = {window: int(round(work * factor)) + round_trip * trips
                                              for window, (work, trips) in case.work.items()}
            costs[case.case_id, team.id] = round_trip * sum(trips for _, trips in case.work.values()) + penalty
    return minutes, costs


def window_use(by_window: dict[tuple[int, int], int], resource: tuple[int, int]) -> int:
    """Minutes of the work that must fall inside a resource window (starts no earlier, due no later)."""
    a, b = resource
    return sum(m for (first, last), m in by_window.items() if a <= first and last <= b)


def read_pair_matrix_csv(path: Path) -> dict[tuple[str, str], int]:
    """A CSV `case_id,team_id,value` of explicit hours (minutes) or costs; blank rows are skipped."""
    values: dict[tuple[str, str], int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        required = {"case_id", "team_id", "value"}
        if reader.fieldnames is None or not required <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected columns case_id,team_id,value (got {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            if not any(row.values()):
                continue
            try:
                values[row["case_id"], row["team_id"]] = int(round(float(row["value"])))
            except ValueError:
                raise ValueError(f"{path} line {line}: value {row['value']!r} is not a number") from None
    return values


def allocate_outreach(cases: Sequence[OutreachCase], teams: Sequence[OutreachTeam], calendar: SchoolCalendar,
                      params: OutreachParameters | None = None, travel: TravelModel | None = None,
                      minutes_override: dict[tuple[str, str], int] | None = None,
                      cost_override: dict[tuple[str, str], int] | None = None,
                      should_stop: Callable[[], bool] | None = None,
                      priority: Sequence[str] | None = None) -> AllocationResult:
    """Allocate cases to teams at least cost within each team's hours term by term (exact GAP with CP-SAT).

    The resources are period windows (periods = half-terms by default): for every run of periods, the work that can
    start no earlier than the first and is due by the end of the last must fit in the team's hours in those periods
    (so each term's hours are respected, and more finely).
    `minutes_override` / `cost_override` (from CSV) replace the derived figures for the pairs they give; an override
    of minutes spreads over the windows in the proportions of the derived figures.
    `priority` (case ids, e.g. earliest deadline first) decides which of several interchangeable cases get a team
    when not all can (the types solver); cases not listed come after, by id.
    """
    started = time.perf_counter()
    params = params or OutreachParameters()
    travel = travel or TravelModel()
    minutes, costs = derive_matrices(cases, teams, params, travel)
    for pair, total in (minutes_override or {}).items():
        if pair in minutes:
            derived = minutes[pair]
            derived_total = sum(derived.values()) or 1
            minutes[pair] = {w: int(round(total * m / derived_total)) for w, m in derived.items()}
    for pair, cost in (cost_override or {}).items():
        if pair in costs:
            costs[pair] = cost
    capacity = {team.id: team_term_capacity(team, calendar, params.availability) for team in teams}
    period_capacity = {team.id: team_period_capacity(team, calendar, params.availability) for team in teams}
    periods = calendar.periods()
    windows = period_windows(len(periods))
    window_capacity = {team.id: [sum(period_capacity[team.id][a:b + 1]) for a, b in windows] for team in teams}
    problem = GapProblem(
        costs=[[costs.get((c.case_id, t.id)) for t in teams] for c in cases],
        uses=[[[window_use(minutes[c.case_id, t.id], w) for w in windows] if (c.case_id, t.id) in minutes else []
               for t in teams] for c in cases],
        capacities=[window_capacity[t.id] for t in teams],
        unassigned_penalty=[params.unallocated_penalty] * len(cases),
        sense="min",
    )
    if params.solver == "types":
        rank = {case_id: k for k, case_id in enumerate(priority or ())}
        order = sorted(range(len(cases)), key=lambda j: (rank.get(cases[j].case_id, len(rank)), cases[j].case_id))
        left = max(0.5, params.time_limit_seconds - (time.perf_counter() - started))
        result = solve_gap_by_types(problem, time_limit=left, priority=order,
                                    relative_gap_tolerance=params.relative_gap_tolerance, should_stop=should_stop)
    else:
        result = solve_gap(problem, time_limit=params.time_limit_seconds, seed=params.seed, workers=params.workers,
                           should_stop=should_stop, probing_level=params.probing_level)
    team_by_case: dict[str, str | None] = {}
    used = {t.id: {term: 0 for term in TERMS} for t in teams}
    period_used = {t.id: [0] * len(periods) for t in teams}
    for case, agent in zip(cases, result.assignment, strict=True):
        team_id = teams[agent].id if agent is not None else None
        team_by_case[case.case_id] = team_id
        if team_id is not None:
            for (first, _), m in minutes[case.case_id, team_id].items():
                used[team_id][periods[first].term] += m
                period_used[team_id][first] += m
    unallocated: list[dict[str, object]] = []
    extra: dict[str, int] = {}
    for case in cases:
        if team_by_case[case.case_id] is not None:
            continue
        options = [t for t in teams if (case.case_id, t.id) in costs]
        if not options:
            unallocated.append({"case_id": case.case_id, "reason": "no team covers this locality or need"})
            continue
        best = min(options, key=lambda t: (costs[case.case_id, t.id], t.id))
        need = sum(minutes[case.case_id, best.id].values())
        unallocated.append({"case_id": case.case_id, "reason": "team hours are full", "cheapest_team": best.id,
                            "extra_hours": round(need / 60, 2)})
        extra[best.id] = extra.get(best.id, 0) + need
    # An estimate: the extra hours at each case's cheapest team, less the hours that team has left over in the year
    for team_id in extra:
        spare = max(0, sum(capacity[team_id].values()) - sum(used[team_id].values()))
        extra[team_id] = max(0, extra[team_id] - spare)
    return AllocationResult(status=result.status, team_by_case=team_by_case, objective=result.objective,
                            bound=result.bound, gap=result.gap, wall_seconds=result.wall_seconds,
                            minutes=minutes, costs=costs, capacity=capacity, used=used,
                            period_capacity=period_capacity, period_used=period_used, unallocated=unallocated,
                            extra_minutes_by_team=extra, breakdown=result.breakdown)


def recount_usage(allocation: AllocationResult, calendar: SchoolCalendar) -> None:
    """Recompute each team's minutes by term and by period from `team_by_case` (after cases were moved)."""
    periods = calendar.periods()
    for team_id in allocation.used:
        allocation.used[team_id] = {term: 0 for term in TERMS}
        allocation.period_used[team_id] = [0] * len(periods)
    for case_id, assigned in allocation.team_by_case.items():
        if assigned is None:
            continue
        for (first, _), m in allocation.minutes[case_id, assigned].items():
            allocation.used[assigned][periods[first].term] += m
            allocation.period_used[assigned][first] += m
