"""The expansion optimiser's demand and allocation rules, taken from the forecast and the sufficiency model.

Why this module: the optimiser must trade off the same learners, under the same rules, that a commissioner's
sufficiency report counts. So demand per (need, phase, locality, pool) and year is the forecast's (the chosen
quantile, rounded to whole learners exactly as `planner.sufficiency.demand_by_year` does, or one Monte Carlo run
of it), and whether a place can take a group is decided with sufficiency's own helpers (`POOL_OF_KIND`,
`places_for_phase`, `is_out_of_area`, `setting_cost`) and its journey-limit rule.

Accessor note: `forecast_cells` and `draw_demand` read `ForecastResult.counts` directly (run x year x need x
phase x locality x measure); a public accessor for one run's counts would belong in `planner.forecast.simulation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.domain.codes import Need, Phase
from planner.domain.models import Instance, Setting
from planner.forecast.rates import NEEDS, PHASES
from planner.forecast.simulation import MEASURES, ForecastResult
from planner.sufficiency import POOL_OF_KIND, POOLS, demand_by_year, places_for_phase

Cell = tuple[Need, Phase, str, str]
"""A demand group: need, phase, locality id, pool ("specialist" or "alternative_provision")."""


def cell_label(cell: Cell) -> str:
    need, phase, locality, pool = cell
    return f"{need.value}/{phase.value}/{locality}/{pool}"


def forecast_cells(result: ForecastResult) -> list[Cell]:
    """Every group with demand in any Monte Carlo run and year (so central and drawn demand share one model)."""
    cells: list[Cell] = []
    for pool, measure in POOLS.items():
        seen = (result.counts[..., MEASURES.index(measure)] > 0).any(axis=(0, 1))  # need, phase, locality
        for g, p, loc in zip(*np.nonzero(seen), strict=True):
            cells.append((NEEDS[g], PHASES[p], result.locality_ids[loc], pool))
    return sorted(cells, key=lambda c: (c[0].value, c[1].value, c[2], c[3]))


def quantile_demand(result: ForecastResult, quantile: float, cells: Sequence[Cell]) -> list[list[float]]:
    """Demand rows (cell x year) at a forecast quantile, in whole learners as sufficiency rounds them."""
    by_year = demand_by_year(result, quantile)
    return [[float(by_year[year].get(cell, 0)) for year in result.years] for cell in cells]


def draw_demand(result: ForecastResult, run: int, cells: Sequence[Cell]) -> list[list[float]]:
    """Demand rows (cell x year) of one Monte Carlo run of the forecast (a real draw, not a perturbation)."""
    if not 0 <= run < result.runs:
        raise ValueError(f"draw {run}: the forecast has runs 0..{result.runs - 1}")
    g = np.array([NEEDS.index(c[0]) for c in cells], dtype=np.int64)
    p = np.array([PHASES.index(c[1]) for c in cells], dtype=np.int64)
    loc_index = {loc: i for i, loc in enumerate(result.locality_ids)}
    loc = np.array([loc_index[c[2]] for c in cells], dtype=np.int64)
    m = np.array([MEASURES.index(POOLS[c[3]]) for c in cells], dtype=np.int64)
    values = result.counts[run][:, g, p, loc, m]  # year x cell
    return [[float(v) for v in values[:, i]] for i in range(len(cells))]


def forecast_draws(result: ForecastResult, cells: Sequence[Cell], draws: int) -> list[list[list[float]]]:
    """The first `draws` Monte Carlo runs as demand paths (each cell x year)."""
    if draws > result.runs:
        raise ValueError(f"robust_draws: {draws} draws asked, the forecast has {result.runs} runs")
    return [draw_demand(result, run, cells) for run in range(draws)]


@dataclass(frozen=True)
class AllocationRules:
    """Sufficiency's journey rule: in-area places within the phase's limit; out of area within its own, if any."""

    journey_limits: dict[Phase, int]
    out_of_area_limit: int | None = None

    def reachable(self, phase: Phase, minutes: float, outside: bool) -> bool:
        if outside:
            return self.out_of_area_limit is None or minutes <= self.out_of_area_limit
        return minutes <= self.journey_limits[phase]


def suits(setting: Setting, cell: Cell) -> bool:
    """A place must be of the cell's pool, designated for its need (none listed: any) and take its phase."""
    need, phase, _, pool = cell
    return (POOL_OF_KIND.get(setting.kind) == pool and need in setting.designated_needs
            and places_for_phase(setting, phase) > 0)


def allocation_sources(instance: Instance) -> list[Setting]:
    """The settings sufficiency allocates to (in area and out of area), sorted by id."""
    return sorted((s for s in instance.settings if s.kind in POOL_OF_KIND and s.capacity > 0), key=lambda s: s.id)

