"""Multi-year place sufficiency: is there a suitable specialist place, near enough, for forecast demand?

For each forecast year, demand (learners forecast in specialist settings, and separately in alternative
provision, by need x phase x locality, at a chosen quantile; each pool's yearly total is the quantile of the runs'
totals, shared among its cells: `demand_by_year`) is allocated to that year's places by an exact
min-cost flow (OR-Tools): costs are travel from the locality centroid, the annual cost of the place and a
least-restrictive weight; out-of-area and independent settings are dearer arcs; unplaced demand flows on a
penalty arc reported as "out of reach" (no suitable in-area setting within the journey limit, whatever its
capacity) or "short of capacity" (suitable settings exist but are full). Totals reconcile for every cell:
demand = placed in area + short of capacity + out of reach + placed out of area.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from planner.domain.codes import DEFAULT_COST_PER_PLACE, RESTRICTIVENESS, Need, Phase, SettingKind
from planner.domain.models import Instance, Setting
from planner.domain.travel import DEFAULT_JOURNEY_LIMITS, TravelModel, complete_journey_limits, travel_model_for
from planner.forecast.rates import NEEDS, PHASES
from planner.forecast.simulation import ForecastParameters, ForecastResult, forecast
from planner.solving.progress import NullProgress, Progress, RunCancelled, ScaledProgress

# Which demand each pool of places serves: specialist places (resourced provision, SEN units, special and SEMH
# special schools, independent special, specialist post-16) and alternative provision (PRU/AP).
POOLS: dict[str, str] = {"specialist": "specialist", "alternative_provision": "alternative_provision"}
POOL_OF_KIND: dict[SettingKind, str] = {
    SettingKind.RESOURCED_PROVISION: "specialist",
    SettingKind.SEN_UNIT: "specialist",
    SettingKind.SPECIAL: "specialist",
    SettingKind.SEMH_SPECIAL: "specialist",
    SettingKind.INDEPENDENT_SPECIAL: "specialist",
    SettingKind.POST16_SPECIALIST: "specialist",
    SettingKind.PRU_AP: "alternative_provision",
}



class SufficiencyWeights(BaseModel):
    """Integer cost weights per learner placed (the objective is their sum)."""

    model_config = ConfigDict(extra="forbid")

    travel_per_minute: int = Field(default=10, ge=0, description="Per minute of journey (locality centroid)")
    cost_per_thousand_pounds: int = Field(default=5, ge=0, description="Per GBP 1,000 of annual place cost")
    restrictiveness: int = Field(default=100, ge=0, description="Per step of RESTRICTIVENESS (least restrictive)")
    out_of_area: int = Field(default=1_000, ge=0, description="Extra for a place out of area or independent")
    unplaced: int = Field(default=1_000_000, ge=1, description="Per learner left without a place (penalty arc)")


class SufficiencyParameters(BaseModel):
    """Everything a sufficiency run takes; defaults are documented in docs/sufficiency.md."""

    model_config = ConfigDict(extra="forbid")

    quantile: float = Field(default=0.5, ge=0, le=1, description="Forecast quantile used as demand (0.5 = p50)")
    journey_limit_minutes: dict[Phase, int] = Field(default_factory=lambda: dict(DEFAULT_JOURNEY_LIMITS))
    out_of_area_journey_limit_minutes: int | None = Field(
        default=None, gt=0, description="Limit for out-of-area/independent places (None: none, e.g. residential)")
    weights: SufficiencyWeights = Field(default_factory=SufficiencyWeights)
    travel: TravelModel = Field(default_factory=TravelModel)
    forecast: ForecastParameters = Field(default_factory=ForecastParameters)

    @field_validator("journey_limit_minutes")
    @classmethod
    def _every_phase(cls, value: dict[Phase, int]) -> dict[Phase, int]:
        return complete_journey_limits(value)


def parse_sufficiency_parameters(parameters: dict[str, Any] | SufficiencyParameters | None) -> SufficiencyParameters:
    if isinstance(parameters, SufficiencyParameters):
        return parameters
    try:
        return SufficiencyParameters.model_validate(parameters or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"sufficiency parameter {where}: {first['msg']}") from error


def round_demand(value: NDArray[np.float64]) -> NDArray[np.int64]:
    """Quantile demand to whole learners: round half up (2.5 -> 3), so a half learner counts as one."""
    return np.floor(np.asarray(value) + 0.5).astype(np.int64)


def is_out_of_area(setting: Setting, instance: Instance) -> bool:
    """Independent special schools and settings outside the council's area are 'out of area' places."""
    if setting.kind is SettingKind.INDEPENDENT_SPECIAL or not setting.in_area:
        return True
    locality = instance.locality_by_id.get(setting.locality_id or "")
    return locality is not None and not locality.in_area


def setting_cost(setting: Setting) -> int:
    return setting.cost_per_place or DEFAULT_COST_PER_PLACE[setting.kind]


def places_for_phase(setting: Setting, phase: Phase) -> int:
    """Places a setting offers a phase: its phase cap when given, else its total (shared by its phases)."""
    if phase not in setting.phases:
        return 0
    return min(setting.capacity_by_phase.get(phase, setting.capacity), setting.capacity)


@dataclass
class YearAllocation:
    """The min-cost flow answer for one year."""

    academic_year: int
    rows: list[dict[str, Any]]
    spare: list[dict[str, Any]]
    objective: int
    status: str


def allocate_year(instance: Instance, year: int, demand: dict[tuple[Need, Phase, str, str], int],
                  params: SufficiencyParameters) -> YearAllocation:
    """Allocate one year's integer demand {(need, phase, locality_id, pool): learners} to that year's places."""
    settings = [s for s in instance.settings
                if s.kind in POOL_OF_KIND and s.is_open_in(year) and s.capacity > 0]
    localities = instance.localities
    loc_index = {loc.id: i for i, loc in enumerate(localities)}
    cells = sorted((key for key, value in demand.items() if value > 0),
                   key=lambda k: (k[0].value, k[1].value, k[2], k[3]))
    n_cells, n_settings = len(cells), len(settings)
    w = params.weights
    quantity = np.array([demand[c] for c in cells], dtype=np.int64)
    cell_need = np.array([NEEDS.index(c[0]) for c in cells], dtype=np.int64)
    cell_phase = np.array([PHASES.index(c[1]) for c in cells], dtype=np.int64)
    cell_loc = np.array([loc_index[c[2]] for c in cells], dtype=np.int64)
    cell_pool = np.array([c[3] == "alternative_provision" for c in cells], dtype=bool)

    # Setting facts: pool, designations (Setting.designated_needs: none listed = any need), places per phase,
    # out of area, unit cost.
    set_pool = np.array([POOL_OF_KIND[s.kind] == "alternative_provision" for s in settings], dtype=bool)
    designated = np.array([[n in s.designated_needs for n in NEEDS] for s in settings],
                          dtype=bool).reshape(n_settings, len(NEEDS))
    phase_places = np.array([[places_for_phase(s, p) for p in PHASES] for s in settings],
                            dtype=np.int64).reshape(n_settings, len(PHASES))
    outside = np.array([is_out_of_area(s, instance) for s in settings], dtype=bool)
    fixed_cost = np.array([w.cost_per_thousand_pounds * int(round(setting_cost(s) / 1000))
                           + w.restrictiveness * RESTRICTIVENESS[s.kind] + (w.out_of_area if is_out_of_area(s, instance)
                                                                              else 0)
                           for s in settings], dtype=np.int64)
    origins = np.array([[loc.centroid.easting, loc.centroid.northing] for loc in localities]).reshape(-1, 2)
    destinations = np.array([[s.location.easting, s.location.northing] for s in settings]).reshape(-1, 2)
    # Journeys from each locality centroid; a travel matrix keyed by locality id replaces the estimate.
    travel = travel_model_for(instance, params.travel)
    minutes = travel.minutes_matrix(origins, destinations, [loc.id for loc in localities], [s.id for s in settings])
    journey = minutes[cell_loc]  # cells x settings
    phase_limit = np.array([params.journey_limit_minutes[p] for p in PHASES], dtype=np.float64)[cell_phase]
    out_limit = params.out_of_area_journey_limit_minutes
    # A place must be of the right pool, designated for the need and take the phase (places for it > 0).
    suitable = ((cell_pool[:, None] == set_pool[None, :]) & designated[:, cell_need].T
                & (phase_places[:, cell_phase].T > 0))
    # In area: within the phase's journey limit. Out of area / independent: within its own limit, if any.
    reachable = np.where(outside[None, :], True if out_limit is None else journey <= out_limit,
                         journey <= phase_limit[:, None])
    eligible = suitable & reachable
    # Out of reach = no suitable in-area setting within the journey limit, whatever its capacity.
    has_in_area_option = (eligible & ~outside[None, :]).any(axis=1)

    # Nodes: cells, then (setting, phase) pairs with places, then settings, then the sink.
    sp_setting, sp_phase = np.nonzero(phase_places > 0)
    sp_node = np.full((n_settings, len(PHASES)), -1, dtype=np.int64)
    sp_node[sp_setting, sp_phase] = n_cells + np.arange(sp_setting.size)
    setting_node = n_cells + sp_setting.size + np.arange(n_settings)
    sink = n_cells + sp_setting.size + n_settings
    arc_cell, arc_setting = np.nonzero(eligible)
    arc_minutes = journey[arc_cell, arc_setting]
    placement_costs = w.travel_per_minute * np.rint(arc_minutes).astype(np.int64) + fixed_cost[arc_setting]
    tails = np.concatenate([arc_cell, np.arange(n_cells), sp_node[sp_setting, sp_phase], setting_node])
    heads = np.concatenate([sp_node[arc_setting, cell_phase[arc_cell]], np.full(n_cells, sink),
                            setting_node[sp_setting], np.full(n_settings, sink)])
    # Placement arcs carry up to the cell's demand; the penalty arc takes whatever cannot be placed; a phase cap
    # limits places for that phase within the setting; the commissioned places limit the setting.
    capacities = np.concatenate([quantity[arc_cell], quantity, phase_places[sp_setting, sp_phase],
                                 np.array([s.capacity for s in settings], dtype=np.int64)])
    costs = np.concatenate([placement_costs, np.full(n_cells, w.unplaced, dtype=np.int64),
                            np.zeros(sp_setting.size + n_settings, dtype=np.int64)])
    supplies = np.concatenate([quantity, np.zeros(sink - n_cells, dtype=np.int64), [-int(quantity.sum())]])
    objective = 0
    flows = np.zeros(tails.size, dtype=np.int64)
    if tails.size:
        smcf = min_cost_flow.SimpleMinCostFlow()
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                                         capacities, costs)
        smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
        status = smcf.solve()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow for {year} ended with status {status}: the network is malformed")
        flows = np.asarray(smcf.flows(arcs), dtype=np.int64)
        objective = int(smcf.optimal_cost())
    n_arcs = arc_cell.size
    placed_flow = flows[:n_arcs]
    unplaced = flows[n_arcs:n_arcs + n_cells]
    in_flow = np.bincount(arc_cell, weights=placed_flow * ~outside[arc_setting], minlength=n_cells)
    out_flow = np.bincount(arc_cell, weights=placed_flow * outside[arc_setting], minlength=n_cells)
    unit_cost = np.array([setting_cost(s) for s in settings], dtype=np.int64)
    cost = np.bincount(arc_cell, weights=placed_flow * unit_cost[arc_setting], minlength=n_cells)
    # The part of that cost paid for out-of-area and independent places (what the dashboard shows against them).
    out_cost = np.bincount(arc_cell, weights=placed_flow * unit_cost[arc_setting] * outside[arc_setting],
                           minlength=n_cells)
    used = np.bincount(arc_setting, weights=placed_flow, minlength=n_settings).astype(np.int64)
    rows: list[dict[str, Any]] = []
    used_arcs = np.flatnonzero(placed_flow > 0)
    journeys_by_cell: dict[int, list[tuple[float, int]]] = {}
    for a in used_arcs:
        journeys_by_cell.setdefault(int(arc_cell[a]), []).append((float(arc_minutes[a]), int(placed_flow[a])))
    for c, (need, phase, loc_id, pool) in enumerate(cells):
        journeys = sorted(journeys_by_cell.get(c, []))
        placed = sum(f for _, f in journeys)
        rows.append({
            "academic_year": year, "need": need.value, "phase": phase.value, "locality_id": loc_id, "pool": pool,
            "demand": int(quantity[c]), "placed_in_area": int(in_flow[c]),
            "short_of_capacity": int(unplaced[c]) if has_in_area_option[c] else 0,
            "out_of_reach": 0 if has_in_area_option[c] else int(unplaced[c]),
            "placed_out_of_area": int(out_flow[c]), "cost_gbp": int(cost[c]),
            "out_of_area_cost_gbp": int(out_cost[c]),
            "mean_journey_minutes": round(sum(m * f for m, f in journeys) / placed, 1) if placed else None,
            "p95_journey_minutes": round(weighted_p95(journeys), 1) if placed else None,
        })
    spare = [{"academic_year": year, "setting_id": s.id, "setting_name": s.name, "kind": s.kind.value,
              "out_of_area": bool(outside[j]), "capacity": s.capacity, "used": int(used[j]),
              "spare_places": s.capacity - int(used[j])} for j, s in enumerate(settings)]
    return YearAllocation(academic_year=year, rows=rows, spare=spare, objective=objective, status="optimal")


def weighted_p95(pairs: Sequence[tuple[float, float]]) -> float:
    """95th percentile of journey minutes over learners: (minutes, learners) pairs, weights may be fractional."""
    total = sum(w for _, w in pairs)
    if total <= 0:
        return 0.0
    ordered = sorted(pairs)
    running = 0.0
    for minutes, weight in ordered:
        running += weight
        if running >= 0.95 * total - 1e-9:
            return minutes
    return ordered[-1][0]


@dataclass
class SufficiencyResult:
    years: list[int]
    rows: list[dict[str, Any]]
    spare: list[dict[str, Any]]
    objective_by_year: dict[int, int]
    parameters: SufficiencyParameters
    wall_seconds: float

    def totals_by_year(self) -> list[dict[str, Any]]:
        out = []
        for year in self.years:
            rows = [r for r in self.rows if r["academic_year"] == year]
            out.append({"academic_year": year, **{k: sum(r[k] for r in rows) for k in RECONCILED + COSTED}})
        return out


RECONCILED = ("demand", "placed_in_area", "short_of_capacity", "out_of_reach", "placed_out_of_area")
# Annual cost of the places used (each setting's cost per place, else DEFAULT_COST_PER_PLACE by kind), all of it
# and the out-of-area / independent part.
COSTED = ("cost_gbp", "out_of_area_cost_gbp")


def demand_by_year(result: ForecastResult, quantile: float) -> dict[int, dict[tuple[Need, Phase, str, str], int]]:
    """Integer demand per year at a forecast quantile, whose total is the quantile of the total.

    For each pool and year the total demand is the quantile over runs of the runs' totals (rounded half up), never
    the sum of the cells' quantiles (at p90 that sum is far above the p90 of the total). It is shared among the
    cells (need x phase x locality) in proportion to their own quantiles and rounded by largest remainder, so the
    cells add up to the total exactly (top-down reconciliation of a hierarchy of forecasts).
    """
    out: dict[int, dict[tuple[Need, Phase, str, str], int]] = {year: {} for year in result.years}
    for pool, measure in POOLS.items():
        cells = result.quantile(quantile, measure)  # year, need, phase, locality
        totals = round_demand(result.total_quantile(quantile, measure))  # year
        for y, year in enumerate(result.years):
            values = share_total(cells[y], int(totals[y]))
            for g, p, loc in zip(*np.nonzero(values), strict=True):
                out[year][(NEEDS[g], PHASES[p], result.locality_ids[loc], pool)] = int(values[g, p, loc])
    return out


def share_total(weights: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """`total` whole learners shared in proportion to `weights` (largest remainder; ties to the first cell).
    With no weight anywhere, the total goes nowhere (there is no cell to put it in)."""
    flat = np.asarray(weights, dtype=np.float64).reshape(-1)
    weight_sum = float(flat.sum())
    if total <= 0 or weight_sum <= 0:
        return np.zeros(weights.shape, dtype=np.int64)
    exact = flat * (total / weight_sum)
    whole = np.floor(exact).astype(np.int64)
    short = total - int(whole.sum())
    if short > 0:
        order = np.argsort(-(exact - whole), kind="stable")
        whole[order[:short]] += 1
    return whole.reshape(weights.shape)


def assess_sufficiency(instance: Instance, result: ForecastResult,
                       parameters: dict[str, Any] | SufficiencyParameters | None = None,
                       progress: Progress | None = None) -> SufficiencyResult:
    """Allocate every forecast year's demand to that year's places."""
    params = parse_sufficiency_parameters(parameters)
    progress = progress or NullProgress()
    started = time.perf_counter()
    demand = demand_by_year(result, params.quantile)
    rows: list[dict[str, Any]] = []
    spare: list[dict[str, Any]] = []
    objectives: dict[int, int] = {}
    for i, year in enumerate(result.years):
        if progress.should_stop():
            raise RunCancelled("sufficiency cancelled")
        allocation = allocate_year(instance, year, demand[year], params)
        rows.extend(allocation.rows)
        spare.extend(allocation.spare)
        objectives[year] = allocation.objective
        progress.report((i + 1) / len(result.years), f"sufficiency {year}")
    return SufficiencyResult(years=list(result.years), rows=rows, spare=spare, objective_by_year=objectives,
                             parameters=params, wall_seconds=time.perf_counter() - started)


def run_sufficiency(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run-kind entry point: forecast then sufficiency, as a JSON-serialisable dict."""
    params = parse_sufficiency_parameters(parameters)
    started = time.perf_counter()
    projection = forecast(instance, params.forecast, ScaledProgress(progress, 0.0, 0.7))
    result = assess_sufficiency(instance, projection, params, ScaledProgress(progress, 0.7, 1.0))
    objective = sum(result.objective_by_year.values())
    return {
        "status": "optimal",
        "statistics": {"wall_seconds": round(time.perf_counter() - started, 3),
                       "forecast_wall_seconds": round(projection.wall_seconds, 3),
                       "sufficiency_wall_seconds": round(result.wall_seconds, 3),
                       "objective": objective, "bound": objective, "gap": 0.0, "runs": projection.runs,
                       "years": len(projection.years)},
        "quantile": params.quantile,
        "years": result.years,
        "objective_by_year": {str(k): v for k, v in result.objective_by_year.items()},
        "totals": result.totals_by_year(),
        "rows": result.rows,
        "spare_places": result.spare,
        "rounding": ("per pool and year, the quantile of the total (rounded half up) shared among cells in "
                     "proportion to their quantiles, largest remainder"),
    }


