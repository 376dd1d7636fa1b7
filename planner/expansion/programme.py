"""Expansion programme optimiser for a council: which special-school, resourced-provision, PRU and post-16 projects
to fund, at what size and when, within capital budgets.

Why this shape: learners needing a specialist place are interchangeable within a need x phase x locality group, so
the strategic model aggregates them (DESIGN.md) and solves a multi-period capacitated facility-location MIP
(`planner.expansion.model`, the code path proven on the OR-Library CFLP optima).

Built on the forecast and sufficiency (`planner.expansion.demand`): demand per need x phase x locality x pool and
year is the forecast's (p50 by default, any quantile on request; the forecast's Monte Carlo runs are the draws a
programme is evaluated against), and places follow sufficiency's rules: pool, designation, the phase's places, the
phase's journey limit in area, out-of-area and independent settings as capacitated places at their own fee. What
sufficiency cannot place is unmet need. Scenario levers (joiner-rate scales, growth, growth cap, kind shifts) reach
the forecast through `planner.forecast.levers`. Candidate projects come from the parameters, or are generated
deterministically from the instance (expansions of existing specialist settings and new builds per locality).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.costs.assumptions import cost_assumptions
from planner.domain.codes import DEFAULT_COST_PER_PLACE, Need, Phase, SettingKind, SettingStatus
from planner.domain.models import Instance, Point, Setting
from planner.domain.parsing import validate_or_explain
from planner.domain.travel import TravelModel, complete_journey_limits
from planner.expansion.demand import (
    AllocationRules,
    allocation_sources,
    cell_label,
    forecast_cells,
    forecast_draws,
    quantile_demand,
    suits,
)
from planner.expansion.followup import (
    budget_frontier,
    evaluate_programme,
    fixed_programme,
    marginal_values,
    with_budget,
    with_demand,
    without_project,
)
from planner.expansion.model import (
    Arc,
    ExpansionData,
    ExpansionModel,
    ExpansionSolution,
    ObjectiveWeights,
    ProjectOption,
    SolveOptions,
    SubCapacity,
    build_expansion_model,
)
from planner.expansion.money import money_against_nothing, programme_money
from planner.forecast.levers import ForecastLevers, forecast_parameters
from planner.forecast.simulation import ForecastParameters, ForecastResult, MoveShift, forecast
from planner.solving.progress import Progress
from planner.sufficiency import DEFAULT_JOURNEY_LIMITS, is_out_of_area, places_for_phase, setting_cost

# The follow-up helpers live in planner.expansion.followup; they stay importable from here.
__all__ = ["CandidateProject", "ExpansionParameters", "budget_frontier", "build_expansion_data", "evaluate_programme",
           "fixed_programme", "frontier_chart", "generate_candidates", "marginal_values", "run_expansion",
           "with_budget", "with_demand", "without_project"]


class CandidateProject(BaseModel):
    """A project the council could fund: a new setting or more places at an existing one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = ""
    kind: SettingKind = SettingKind.SPECIAL
    designations: frozenset[Need] = Field(min_length=1)
    ncy_min: int = Field(ge=-2, le=20)
    ncy_max: int = Field(ge=-2, le=20)
    locality_id: str | None = None
    location: Point | None = Field(default=None, description="Site; default the locality centroid")
    expands_setting_id: str | None = Field(default=None, description="Existing setting this project expands")
    place_steps: tuple[int, ...] = Field(min_length=1, description="Allowed sizes in places, e.g. (8, 16, 24)")
    capital_fixed: float = Field(ge=0, description="GBP capital whatever the size")
    capital_per_place: float = Field(ge=0, description="GBP capital per place")
    earliest_year: int = Field(description="First academic year it could open")
    lead_time_years: int = Field(default=1, ge=0, description="Years between capital spend and opening")
    annual_cost_per_place: float | None = Field(default=None, ge=0, description="Default by kind")
    capital_by_size: dict[int, float] | None = Field(
        default=None, description="GBP capital per allowed size (a council's costed options); else fixed + per place")
    ramp: tuple[float, ...] | None = Field(
        default=None, description="Share of places usable in the 1st, 2nd... year open; default the run's ramp_up")

    @model_validator(mode="after")
    def _coherent(self) -> CandidateProject:
        if self.ncy_min > self.ncy_max:
            raise ValueError(f"candidate {self.id}: ncy_min {self.ncy_min} above ncy_max {self.ncy_max}")
        if any(step <= 0 for step in self.place_steps):
            raise ValueError(f"candidate {self.id}: place_steps must be positive")
        if self.location is None and self.locality_id is None:
            raise ValueError(f"candidate {self.id}: give a location or a locality_id")
        if self.capital_by_size is not None and set(self.capital_by_size) != set(self.place_steps):
            raise ValueError(f"candidate {self.id}: capital_by_size must give every size in place_steps")
        if self.ramp is not None and any(not 0 < share <= 1 for share in self.ramp):
            raise ValueError(f"candidate {self.id}: ramp shares must be in (0, 1]")
        return self

    def capital(self, places: int) -> float:
        if self.capital_by_size is not None:
            return float(self.capital_by_size[places])
        return self.capital_fixed + self.capital_per_place * places

    @property
    def revenue_per_place(self) -> float:
        return float(self.annual_cost_per_place if self.annual_cost_per_place is not None
                     else DEFAULT_COST_PER_PLACE[self.kind])


# New provision fills over its first years: a new special school usually opens with some year groups and grows
# (half its places usable in the first year, three quarters in the second); places added to a running school fill
# faster (three quarters in the first year). A planning assumption to edit per council (no national statistic of
# fill rates is published); `ramp_up` in the parameters, or `ramp` per candidate project.
DEFAULT_RAMP_UP: dict[str, tuple[float, ...]] = {"new": (0.5, 0.75), "expansion": (0.75,)}


class ExpansionParameters(BaseModel):
    """Parameters of an expansion run (every default documented in docs/expansion.md).

    The demand levers (`joiner_rate_scale`, `growth_rate`, `growth_cap`, `move_shifts`) and `journey_limits` take
    the overrides a scenario's edits produce, so an expansion run on a scenario projects and allocates as its
    scenario run does.
    """

    model_config = ConfigDict(extra="forbid")

    horizon_years: int = Field(default=10, ge=1, le=10, description="Forecast years planned (base year + 1 on)")
    candidates: list[CandidateProject] | None = Field(default=None, description="Default: generated")
    candidate_count: int = Field(default=40, ge=1, le=500, description="How many to generate when none given")
    budget_by_year: dict[int, float] = Field(default_factory=dict, description="GBP capital per spend year")
    budget_per_year: float | None = Field(default=15_000_000, ge=0, description="Applies to years not listed")
    budget_total: float | None = Field(default=60_000_000, ge=0)
    weights: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    solve: SolveOptions = Field(default_factory=lambda: SolveOptions(relative_gap=0.005, time_limit_seconds=60))
    forecast: ForecastParameters = Field(default_factory=ForecastParameters,
                                         description="The forecast (runs, seed, rates); its horizon is horizon_years")
    quantile: float = Field(default=0.5, ge=0, le=1, description="Forecast quantile used as demand (0.5 = p50)")
    journey_limits: dict[Phase, int] = Field(default_factory=lambda: dict(DEFAULT_JOURNEY_LIMITS),
                                             description="Longest journey by phase (sufficiency's defaults)")
    out_of_area_journey_limit_minutes: int | None = Field(default=None, gt=0,
                                                          description="Limit for out-of-area places (None: none)")
    joiner_rate_scale: dict[str, float] = Field(default_factory=dict, description="Scenario lever (scenario_levers)")
    growth_rate: float | dict[str, float] | None = Field(default=None, description="Scenario lever: joiner growth")
    growth_cap: float | None = Field(default=None, ge=0, le=1, description="Scenario lever: yearly growth cap")
    move_shifts: list[MoveShift] = Field(default_factory=list, description="Scenario lever: kind shifts")
    cost_changes: list[dict[str, Any]] = Field(default_factory=list, description="Log only: already applied")
    nearest_sources: int | None = Field(
        default=12, ge=1, description="Nearest suitable existing settings per group in area and out of area "
                                      "(None: every one, exactly sufficiency's choice set)")
    marginal_values: bool = Field(default=True, description="Re-solve without each chosen project")
    frontier_budgets: list[float] | None = Field(default=None, description="Total budgets for the frontier")
    frontier_fractions: list[float] = Field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    robust_draws: int = Field(default=10, ge=0, le=1000, description="Forecast runs the programme is evaluated on")
    seed: int = Field(default=0, description="Seed of the candidate generator")
    costs: dict[str, Any] = Field(default_factory=dict, description="Cost assumption overrides (planner.costs)")
    ramp_up: dict[str, list[float]] = Field(
        default_factory=lambda: {key: list(value) for key, value in DEFAULT_RAMP_UP.items()},
        description="Share of places usable in the 1st, 2nd... year open, for 'new' settings and 'expansion's")

    @field_validator("ramp_up")
    @classmethod
    def _ramp_shares(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        for key, shares in value.items():
            if key not in DEFAULT_RAMP_UP:
                raise ValueError(f"unknown key {key!r}: expected 'new' or 'expansion'")
            if any(not 0 < share <= 1 for share in shares):
                raise ValueError(f"{key}: shares must be in (0, 1], got {shares}")
        return value

    def ramp_for(self, candidate: CandidateProject) -> tuple[float, ...]:
        """The candidate's own ramp-up, else the run's profile for new settings or expansions."""
        if candidate.ramp is not None:
            return candidate.ramp
        return tuple(self.ramp_up.get("expansion" if candidate.expands_setting_id else "new", ()))

    @field_validator("journey_limits")
    @classmethod
    def _every_phase(cls, value: dict[Phase, int]) -> dict[Phase, int]:
        return complete_journey_limits(value)

    def levers(self) -> ForecastLevers:
        return ForecastLevers(joiner_rate_scale=self.joiner_rate_scale, growth_rate=self.growth_rate,
                              growth_cap=self.growth_cap, move_shifts=self.move_shifts)

    def forecast_parameters(self, instance: Instance) -> ForecastParameters:
        base = self.forecast.model_copy(update={"horizon_years": self.horizon_years})
        return forecast_parameters(instance, base, self.levers())


def is_supply(setting: Setting) -> bool:
    """Specialist, in-area, council-commissioned settings: the ones the candidate generator may expand."""
    return setting.kind.is_specialist and setting.kind is not SettingKind.INDEPENDENT_SPECIAL and setting.in_area


def project_forecast(instance: Instance, params: ExpansionParameters,
                     progress: Progress | None = None) -> ForecastResult:
    """The forecast the optimiser plans against (the scenario levers applied)."""
    return forecast(instance, params.forecast_parameters(instance), progress)


def generate_candidates(instance: Instance, count: int = 40, seed: int = 0,
                        first_year: int | None = None) -> list[CandidateProject]:
    """A deterministic, plausible candidate list: expansions of existing specialist settings and new builds.

    Indicative capital (a setting, never truth): new special school GBP 3m fixed + 75k a place (2 years to build);
    expansion GBP 0.4m + 60k a place (1 year); resourced provision 0.15m + 45k a place (1 year).
    """
    start = first_year if first_year is not None else instance.base_year
    rng = random.Random(seed)
    existing = sorted((s for s in instance.settings if is_supply(s) and s.kind in (
        SettingKind.SPECIAL, SettingKind.SEMH_SPECIAL, SettingKind.POST16_SPECIALIST)), key=lambda s: s.id)
    rng.shuffle(existing)
    localities = sorted((loc for loc in instance.localities if loc.in_area), key=lambda loc: loc.id)
    candidates: list[CandidateProject] = []
    for setting in existing[: count // 2]:
        candidates.append(CandidateProject(
            id=f"EXP-{setting.id}"[:64], name=f"Expand {setting.name}", kind=setting.kind,
            designations=setting.designated_needs, ncy_min=setting.ncy_min, ncy_max=setting.ncy_max,
            locality_id=setting.locality_id, location=setting.location, expands_setting_id=setting.id,
            place_steps=(8, 16, 24, 32), capital_fixed=400_000, capital_per_place=60_000, earliest_year=start + 1,
            lead_time_years=1, annual_cost_per_place=float(setting.cost_per_place) or None,
        ))
    templates: list[tuple[str, SettingKind, frozenset[Need], int, int, tuple[int, ...], float, float, int]] = [
        ("ASD primary special", SettingKind.SPECIAL, frozenset({Need.ASD, Need.SLCN}), 0, 6, (40, 60, 80),
         3_000_000, 75_000, 2),
        ("ASD secondary special", SettingKind.SPECIAL, frozenset({Need.ASD}), 7, 14, (60, 90, 120),
         3_000_000, 75_000, 2),
        ("SEMH special", SettingKind.SEMH_SPECIAL, frozenset({Need.SEMH}), 5, 11, (30, 50, 70),
         2_500_000, 80_000, 2),
        ("SLCN resourced provision", SettingKind.RESOURCED_PROVISION, frozenset({Need.SLCN, Need.ASD}), 0, 6,
         (8, 12, 16), 150_000, 45_000, 1),
        ("SLD/PMLD all-through special", SettingKind.SPECIAL, frozenset({Need.SLD, Need.PMLD, Need.MLD}), 0, 14,
         (40, 80), 3_500_000, 85_000, 2),
        ("Post-16 specialist", SettingKind.POST16_SPECIALIST, frozenset({Need.ASD, Need.SLD, Need.MLD, Need.SEMH}),
         12, 14, (20, 40), 1_500_000, 50_000, 1),
    ]
    position = 0
    while len(candidates) < count and localities:
        label, kind, needs, low, high, steps, fixed, per_place, lead = templates[position % len(templates)]
        locality = localities[(position // len(templates) + position) % len(localities)]
        candidates.append(CandidateProject(
            id=f"NEW-{position + 1:03d}", name=f"{label} in {locality.name}", kind=kind, designations=needs,
            ncy_min=low, ncy_max=high, locality_id=locality.id, place_steps=steps, capital_fixed=fixed,
            capital_per_place=per_place, earliest_year=start + lead, lead_time_years=lead,
        ))
        position += 1
    return candidates[:count]


def candidate_setting(candidate: CandidateProject, instance: Instance) -> Setting:
    """The setting a built project would be, so sufficiency's rules decide whom it can take."""
    location = candidate.location or instance.locality_by_id[candidate.locality_id or ""].centroid
    return Setting(id=candidate.id, name=candidate.name or candidate.id, kind=candidate.kind,
                   designations=candidate.designations, ncy_min=candidate.ncy_min, ncy_max=candidate.ncy_max,
                   capacity=max(candidate.place_steps), cost_per_place=int(round(candidate.revenue_per_place)),
                   location=location, locality_id=candidate.locality_id, status=SettingStatus.PROPOSED,
                   opens_year=candidate.earliest_year)


def build_expansion_data(instance: Instance, params: ExpansionParameters,
                         candidates: Sequence[CandidateProject] | None = None,
                         projection: ForecastResult | None = None,
                         progress: Progress | None = None) -> tuple[ExpansionData, dict[str, Any]]:
    """Turn an instance, its forecast and parameters into the MIP's numbers; also returns labels for reporting.

    `projection` (a forecast of this instance with these levers) is run here when not given; the labels carry it
    (key "projection") with the demand groups ("cells"), so draws can be taken from the same Monte Carlo runs.
    """
    if projection is None:
        projection = project_forecast(instance, params, progress)
    years = tuple(projection.years)
    if candidates is None:
        candidates = params.candidates if params.candidates is not None else generate_candidates(
            instance, params.candidate_count, params.seed, instance.base_year)
    for candidate in candidates:
        if candidate.locality_id is not None and candidate.locality_id not in instance.locality_by_id:
            raise ValueError(f"candidate {candidate.id}: unknown locality {candidate.locality_id!r}")
    cells = forecast_cells(projection)
    demand = quantile_demand(projection, params.quantile, cells)
    rules = AllocationRules(journey_limits=dict(params.journey_limits),
                            out_of_area_limit=params.out_of_area_journey_limit_minutes)

    supply = allocation_sources(instance)
    outside = tuple(is_out_of_area(s, instance) for s in supply)
    capacity = tuple(tuple(float(s.capacity) if s.is_open_in(y) else 0.0 for y in years) for s in supply)
    built = [candidate_setting(c, instance) for c in candidates]
    localities = instance.locality_by_id
    origin_ids = sorted({c[2] for c in cells})
    origin_row = {loc: i for i, loc in enumerate(origin_ids)}
    travel = TravelModel()
    origins = np.array([[localities[loc].centroid.easting, localities[loc].centroid.northing]
                        for loc in origin_ids]).reshape(-1, 2)

    def minutes_to(settings: Sequence[Setting]) -> np.ndarray:
        if not settings or not origin_ids:
            return np.zeros((len(origin_ids), len(settings)))
        points = np.array([[s.location.easting, s.location.northing] for s in settings]).reshape(-1, 2)
        return travel.minutes_matrix(origins, points, origin_ids, [s.id for s in settings])

    minutes_existing = minutes_to(supply)
    minutes_projects = minutes_to(built)

    arcs: list[Arc] = []
    for d, cell in enumerate(cells):
        row = origin_row[cell[2]]
        phase = cell[1]
        options: dict[bool, list[tuple[float, int]]] = {False: [], True: []}
        for s, setting in enumerate(supply):
            minutes = float(minutes_existing[row, s])
            if suits(setting, cell) and rules.reachable(phase, minutes, outside[s]):
                options[outside[s]].append((minutes, s))
        for is_outside in (False, True):
            # The nearest suitable settings carry the strategy (None: every one, sufficiency's exact choice set).
            for minutes, s in sorted(options[is_outside])[: params.nearest_sources]:
                arcs.append(Arc(source=s, demand=d, revenue_per_learner=float(setting_cost(supply[s])),
                                minutes=minutes))
        for p, setting in enumerate(built):
            minutes = float(minutes_projects[row, p])
            if suits(setting, cell) and rules.reachable(phase, minutes, False):
                arcs.append(Arc(source=len(supply) + p, demand=d, revenue_per_learner=0.0, minutes=minutes))

    # A setting's cap for one phase limits that phase's learners within its places.
    sub_capacities = []
    for s, setting in enumerate(supply):
        for phase in sorted(setting.phases, key=lambda item: item.value):
            cap = places_for_phase(setting, phase)
            if 0 < cap < setting.capacity:
                members = tuple(d for d, cell in enumerate(cells) if cell[1] is phase)
                sub_capacities.append(SubCapacity(source=s, demands=members, capacity=tuple(
                    float(cap) if setting.is_open_in(y) else 0.0 for y in years)))
    projects = tuple(
        ProjectOption(
            id=c.id, sizes=tuple(c.place_steps), capital_by_size=tuple(c.capital(n) for n in c.place_steps),
            open_years=tuple(y for y in years if y >= c.earliest_year), lead_time_years=c.lead_time_years,
            revenue_per_place=c.revenue_per_place, ramp=params.ramp_for(c),
        )
        for c in candidates
    )
    first = years[0]
    spend_years = set(years) | {max(first, y - c.lead_time_years) for c in candidates for y in years}
    budget_by_year = dict(params.budget_by_year)
    if params.budget_per_year is not None:
        for year in spend_years:
            budget_by_year.setdefault(year, params.budget_per_year)
    data = ExpansionData(
        years=years, demand_ids=tuple(cell_label(c) for c in cells),
        demand=tuple(tuple(row) for row in demand), source_ids=tuple(s.id for s in supply),
        source_capacity=capacity, projects=projects, arcs=tuple(arcs), out_of_area_cost=(), allow_unmet=True,
        budget_by_year=budget_by_year, budget_total=params.budget_total, source_out_of_area=outside,
        sub_capacities=tuple(sub_capacities),
    )
    labels = {"candidates": {c.id: c for c in candidates}, "projection": projection, "cells": cells}
    return data, labels


def parse_expansion_parameters(parameters: dict[str, Any] | ExpansionParameters) -> ExpansionParameters:
    """Validate run parameters; a ValueError names the field."""
    if isinstance(parameters, ExpansionParameters):
        return parameters
    return validate_or_explain(ExpansionParameters, parameters, "expansion parameter")


# How the one time limit of a run is shared after the forecast and the model are built: the main solve first,
# then the budget frontier, the marginal values and the robust KPIs (an unused share passes on to the next part).
TIME_SHARES: dict[str, float] = {"main_solve": 0.55, "frontier": 0.25, "marginal_values": 0.10, "money": 0.05,
                                 "robust": 0.05}


def _part_deadline(deadline: float, parts_left: Sequence[str]) -> float:
    """The instant the first of `parts_left` must end: its share of the time left (by TIME_SHARES)."""
    now = time.perf_counter()
    total = sum(TIME_SHARES[p] for p in parts_left)
    return now + max(0.0, deadline - now) * TIME_SHARES[parts_left[0]] / total


def run_expansion(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run kind "expansion": the programme, marginal values, budget frontier and robust KPIs as JSON.

    `solve.time_limit_seconds` is the wall-clock limit of the whole call (forecast, model, main solve, frontier,
    marginal values and robust KPIs); `statistics.time_split` reports where the time went.
    """
    started = time.perf_counter()
    params = parse_expansion_parameters(parameters)
    # Parts are planned to end a little early (3%), so reading results back keeps the call within its limit.
    deadline = started + 0.97 * params.solve.time_limit_seconds
    split: dict[str, float] = {}
    projection = project_forecast(instance, params)
    split["forecast"] = time.perf_counter() - started
    mark = time.perf_counter()
    data, labels = build_expansion_data(instance, params, projection=projection)
    split["build"] = time.perf_counter() - mark
    progress.report(0.02, f"{len(data.projects)} candidate projects, {len(data.years)} years")
    parts = [name for name, wanted in (("main_solve", True), ("frontier", True),
                                       ("marginal_values", params.marginal_values), ("money", True),
                                       ("robust", params.robust_draws > 0)) if wanted]
    mark = time.perf_counter()
    built = build_expansion_model(data, params.weights, params.solve)
    split["build"] += time.perf_counter() - mark
    mark = time.perf_counter()
    solution = built.solve(params.solve, progress, deadline=_part_deadline(deadline, parts), started=started)
    if not solution.has_solution:
        # No programme found in time: fall back on building nothing (always feasible; an LP), so the frontier and
        # the rest still have an incumbent. Its gap is unknown, and its status says so.
        # It may use the first half of the 10% the limit allows, so a run always returns a programme to compare.
        solution = built.solve(params.solve, deadline=started + 1.05 * params.solve.time_limit_seconds,
                               without=[p.id for p in data.projects if not p.forced_in])
        solution.bound, solution.gap = None, None
        solution.status = "feasible" if solution.has_solution else solution.status
    split["main_solve"] = time.perf_counter() - mark
    result = _result_head(solution, data, projection, params)
    if solution.has_solution:
        _follow_up(result, built, solution, labels, params, progress, deadline, parts[1:], split)
        mark = time.perf_counter()
        result["money"] = _money(instance, built, solution, labels, params, _part_deadline(deadline, ["money", *(
            ["robust"] if params.robust_draws else [])]))
        split["money"] = time.perf_counter() - mark
        if params.robust_draws:
            mark = time.perf_counter()
            paths = forecast_draws(labels["projection"], labels["cells"], params.robust_draws)
            result["robust"] = evaluate_programme(data, solution.programme, paths, params.weights,
                                                  deadline=deadline, expected_seconds=built.build_seconds)
            split["robust"] = time.perf_counter() - mark
    split["total"] = time.perf_counter() - started
    result["statistics"]["time_split"] = {key: round(value, 3) for key, value in split.items()}
    result["statistics"]["time_limit_seconds"] = params.solve.time_limit_seconds
    result["statistics"]["total_wall_seconds"] = split["total"]
    return result


def _result_head(solution: ExpansionSolution, data: ExpansionData, projection: ForecastResult,
                 params: ExpansionParameters) -> dict[str, Any]:
    return {
        "status": solution.status,
        "status_text": solution.status_text,
        "statistics": {"wall_seconds": solution.wall_seconds, "objective": solution.objective,
                       "bound": solution.bound, "gap": solution.gap, "projects": len(data.projects),
                       "years": len(data.years), "demand_groups": len(data.demand_ids),
                       "forecast_wall_seconds": projection.wall_seconds, "forecast_runs": projection.runs,
                       "quantile": params.quantile,
                       # The greedy and local search's programme the MIP started from (planner.expansion.local_search)
                       "first_programme": solution.heuristic},
        "breakdown": solution.breakdown,
        "programme": [],
        "unmet_by_year": {str(k): v for k, v in solution.unmet_by_year.items()},
        "out_of_area_by_year": {str(k): v for k, v in solution.out_of_area_by_year.items()},
        "capital_by_year": {str(k): v for k, v in solution.capital_by_year.items()},
    }


def _follow_up(result: dict[str, Any], built: ExpansionModel, solution: ExpansionSolution, labels: dict[str, Any],
               params: ExpansionParameters, progress: Progress, deadline: float, parts: list[str],
               split: dict[str, float]) -> None:
    """Frontier, marginal values and robust KPIs, each within its share of what is left of the time limit."""
    follow_up = params.solve
    data = built.data
    if params.frontier_budgets is not None:
        budgets = list(params.frontier_budgets)
    else:
        reference = params.budget_total or sum(data.budget_by_year.values())
        budgets = [reference * f for f in params.frontier_fractions]
    mark = time.perf_counter()
    result["frontier"] = budget_frontier(data, budgets, params.weights, follow_up, progress, main=solution,
                                         deadline=_part_deadline(deadline, parts), built=built) if budgets else []
    split["frontier"] = time.perf_counter() - mark
    parts = parts[1:]
    values: dict[str, dict[str, Any]] = {}
    if params.marginal_values:
        mark = time.perf_counter()
        values = marginal_values(data, solution, params.weights, follow_up, progress,
                                 deadline=_part_deadline(deadline, parts), built=built)
        split["marginal_values"] = time.perf_counter() - mark
        parts = parts[1:]
    candidates: dict[str, CandidateProject] = labels["candidates"]
    for decision in solution.programme:
        candidate = candidates[decision.id]
        value = values.get(decision.id, {})
        result["programme"].append({
            "id": decision.id, "name": candidate.name, "kind": candidate.kind.value,
            "designations": sorted(n.value for n in candidate.designations), "locality_id": candidate.locality_id,
            "expands_setting_id": candidate.expands_setting_id, "places": decision.places,
            "open_year": decision.open_year, "spend_year": decision.spend_year, "capital": decision.capital,
            "ramp": list(params.ramp_for(candidate)),
            "marginal_value": value.get("value"), "marginal_value_note": value.get("note", "not computed"),
            "marginal_value_resolve_gap": value.get("resolve_gap"),
        })


def _money(instance: Instance, built: ExpansionModel, solution: ExpansionSolution, labels: dict[str, Any],
           params: ExpansionParameters, deadline: float) -> dict[str, Any]:
    """The programme's high-needs spend (planner.costs), with savings and payback against building nothing."""
    assumptions = cost_assumptions(instance, params.costs)
    data = built.data
    money = programme_money(instance, data, labels["cells"], solution, labels["candidates"], assumptions)
    nothing = built.solve(params.solve, deadline=deadline,
                          without=[p.id for p in data.projects if not p.forced_in]) if solution.programme else solution
    if not nothing.has_solution:
        return money
    baseline = programme_money(instance, data, labels["cells"], nothing, labels["candidates"], assumptions)
    return money_against_nothing(money, baseline)


def frontier_chart(rows: Sequence[dict[str, Any]], fmt: str = "png") -> bytes:
    """Budget frontier as PNG/SVG: unmet and out-of-area learner-years against total capital budget."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if fmt not in ("png", "svg"):
        raise ValueError(f"format: expected png or svg, got {fmt!r}")
    budgets = [row["budget_total"] / 1e6 for row in rows]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(budgets, [row["out_of_area_learner_years"] or 0 for row in rows], marker="o",
              label="out-of-area learner-years")
    axis.plot(budgets, [row["unmet_learner_years"] or 0 for row in rows], marker="s", label="unmet learner-years")
    axis.set_xlabel("Total capital budget (GBP million)")
    axis.set_ylabel("Learner-years over the horizon")
    axis.set_title("Expansion budget frontier")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    plt.close(figure)
    return buffer.getvalue()
