"""Run a scenario and compare scenarios side by side, per academic year.

`run_scenario` (run kind "scenario") takes an already materialised instance (or materialises a named scenario /
a list of edits itself) and runs the commissioner's own models on it: demand from
`planner.forecast.simulation.forecast` (the scenario's demand levers mapped onto `ForecastParameters` by
`planner.forecast.levers`), allocation from `planner.sufficiency.assess_sufficiency` (the scenario's journey limits
and weights as `SufficiencyParameters`). Its per-year KPIs are sums of the sufficiency report's cells and spare
places, so a scenario's figures are the figures its sufficiency report shows. Capital comes from the edits
(`scenario_capital` metadata); headline placement figures for next year's round come from
`planner.placement.matching.run_placement`.

`compare_runs` (scenarios.comparison) lays run results side by side; its figures are the runs' own (a test checks it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from planner.costs.assumptions import cost_assumptions
from planner.costs.projection import money_view
from planner.domain.codes import Phase, SettingKind
from planner.domain.models import Instance
from planner.domain.parsing import validate_or_explain
from planner.forecast.levers import ForecastLevers, forecast_parameters
from planner.forecast.simulation import ForecastParameters, MoveShift, forecast
from planner.solving.progress import Progress, ScaledProgress
from planner.sufficiency import (
    DEFAULT_JOURNEY_LIMITS,
    POOL_OF_KIND,
    POOLS,
    SufficiencyParameters,
    SufficiencyResult,
    SufficiencyWeights,
    assess_sufficiency,
    setting_cost,
    weighted_p95,
)
from scenarios.comparison import (  # noqa: F401 - the comparison was here; callers import it from here
    KPI_FIELDS,
    compare_money,
    compare_runs,
    comparison_chart,
    comparison_csv,
    comparison_xlsx,
)
from scenarios.what_if import capital_by_year, materialise

JOURNEY_FIELDS = ("mean_journey_minutes", "p95_journey_minutes")
AD_HOC = "baseline with ad hoc edits"  # the name of a run given `edits` on the council's data


class ScenarioRunParameters(BaseModel):
    """Parameters of a scenario run; the what-if overrides (journey limits, demand levers) arrive here too."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(default=None, description="Shipped scenario to materialise on the instance")
    edits: list[dict[str, Any]] = Field(default_factory=list, description="Edits to apply first (if any)")
    horizon_years: int = Field(default=10, ge=1, le=10, description="Forecast years after the base year")
    runs: int = Field(default=1000, ge=1, le=20_000, description="Forecast Monte Carlo runs")
    seed: int = Field(default=2026, description="Forecast seed: same seed, same figures")
    quantile: float = Field(default=0.5, ge=0, le=1, description="Forecast quantile used as demand (0.5 = p50)")
    forecast: ForecastParameters | None = Field(
        default=None, description="Full forecast parameters (rates, estimation); horizon/runs/seed above win")
    journey_limits: dict[Phase, int] = Field(default_factory=lambda: dict(DEFAULT_JOURNEY_LIMITS))
    out_of_area_journey_limit_minutes: int | None = Field(default=None, gt=0)
    weights: SufficiencyWeights = Field(default_factory=SufficiencyWeights)
    joiner_rate_scale: dict[str, float] = Field(default_factory=dict, description="'*' / 'ASD' / 'ASD/secondary'")
    growth_rate: float | dict[str, float] | None = Field(default=None, description="Joiner growth, all needs")
    growth_cap: float | None = Field(default=None, ge=0, le=1)
    move_shifts: list[MoveShift] = Field(default_factory=list)
    cost_changes: list[dict[str, Any]] = Field(default_factory=list, description="Log only: already applied")
    placement_kpis: bool = Field(default=True, description="Also run next year's placement round (headline KPIs)")
    placement_parameters: dict[str, Any] = Field(default_factory=dict, description="For planner.placement.matching")
    costs: dict[str, Any] = Field(default_factory=dict, description="Cost assumption overrides (planner.costs: "
                                  "place_costs, setting_costs, transport_bands, unmet_cost_by_need, inflation...)")

    def levers(self) -> ForecastLevers:
        return ForecastLevers(joiner_rate_scale=self.joiner_rate_scale, growth_rate=self.growth_rate,
                              growth_cap=self.growth_cap, move_shifts=self.move_shifts)

    def forecast_parameters(self, instance: Instance) -> ForecastParameters:
        base = (self.forecast or ForecastParameters()).model_copy(
            update={"horizon_years": self.horizon_years, "runs": self.runs, "seed": self.seed})
        return forecast_parameters(instance, base, self.levers())

    def sufficiency_parameters(self, forecast_params: ForecastParameters) -> SufficiencyParameters:
        return SufficiencyParameters(quantile=self.quantile, journey_limit_minutes=dict(self.journey_limits),
                                     out_of_area_journey_limit_minutes=self.out_of_area_journey_limit_minutes,
                                     weights=self.weights, forecast=forecast_params)


def parse_run_parameters(parameters: Mapping[str, Any]) -> ScenarioRunParameters:
    """Validate run parameters; a ValueError names the field."""
    return validate_or_explain(ScenarioRunParameters, dict(parameters), "scenario parameter")



def kpis_from_sufficiency(instance: Instance, result: SufficiencyResult) -> dict[str, dict[str, float]]:
    """Per-year KPIs as sums over the sufficiency report's cells and spare places (nothing recomputed).

    Costs split by where the place is: each setting's used places times its annual cost per place (the report's
    cell costs add up to the same total, which a test checks).
    """
    settings = instance.setting_by_id
    capital = capital_by_year(instance)
    per_year: dict[str, dict[str, float]] = {}
    for year in result.years:
        rows = [r for r in result.rows if r["academic_year"] == year]
        spare = [s for s in result.spare if s["academic_year"] == year]
        placed_pairs = [(float(r["mean_journey_minutes"]), float(r["placed_in_area"] + r["placed_out_of_area"]))
                        for r in rows if r["mean_journey_minutes"] is not None]
        p95_pairs = [(float(r["p95_journey_minutes"]), float(r["placed_in_area"] + r["placed_out_of_area"]))
                     for r in rows if r["p95_journey_minutes"] is not None]
        placed = sum(w for _, w in placed_pairs)
        short = float(sum(r["short_of_capacity"] for r in rows))
        reach = float(sum(r["out_of_reach"] for r in rows))
        per_year[str(year)] = {
            "demand": float(sum(r["demand"] for r in rows)),
            "placed_in_area": float(sum(r["placed_in_area"] for r in rows)),
            "unmet_need": short + reach,
            "short_of_capacity": short,
            "out_of_reach": reach,
            "out_of_area_placements": float(sum(r["placed_out_of_area"] for r in rows)),
            "out_of_area_cost": float(sum(s["used"] * setting_cost(settings[s["setting_id"]]) for s in spare
                                          if s["out_of_area"])),
            "capital_spent": capital.get(year, 0.0),
            "revenue_cost": float(sum(s["used"] * setting_cost(settings[s["setting_id"]]) for s in spare
                                      if not s["out_of_area"])),
            "mean_journey_minutes": sum(m * w for m, w in placed_pairs) / placed if placed > 0 else 0.0,
            "p95_journey_minutes": weighted_p95(p95_pairs),
        }
    return per_year


POOL_FIELDS = ("demand", "placed_in_area", "short_of_capacity", "out_of_reach", "placed_out_of_area")


def kpis_by_pool(instance: Instance, result: SufficiencyResult) -> dict[str, dict[str, dict[str, float]]]:
    """Per year and pool of places ("specialist", "alternative_provision": planner.sufficiency.POOLS) the
    sufficiency cells' demand, placed in area, short of places, out of reach and placed out of area, and the annual
    cost of the out-of-area places by the pool of the setting's kind (POOL_OF_KIND). The pools are separate demand
    met by separate places, so the dashboard shows them apart; each figure over both pools is the year's KPI."""
    settings = instance.setting_by_id
    out: dict[str, dict[str, dict[str, float]]] = {}
    for year in result.years:
        by_pool = {pool: dict.fromkeys((*POOL_FIELDS, "out_of_area_cost"), 0.0) for pool in POOLS}
        for row in result.rows:
            if row["academic_year"] == year:
                for name in POOL_FIELDS:
                    by_pool[row["pool"]][name] += float(row[name])
        for spare in result.spare:
            if spare["academic_year"] == year and spare["out_of_area"]:
                pool = POOL_OF_KIND[SettingKind(spare["kind"])]
                by_pool[pool]["out_of_area_cost"] += spare["used"] * setting_cost(settings[spare["setting_id"]])
        out[str(year)] = by_pool
    return out


def _placement_headline(instance: Instance, params: ScenarioRunParameters, progress: Progress) -> dict[str, Any]:
    """Next year's placement round in brief: placed, unplaced, and requested settings named."""
    from planner.placement.matching import run_placement

    parameters = {"journey_limit_minutes": {p.value: m for p, m in params.journey_limits.items()},
                  **params.placement_parameters}
    result = run_placement(instance, parameters, progress)
    decisions = result.get("decisions", [])
    requested = [d for d in decisions if d.get("requests")]
    stats = result["statistics"]
    return {
        "status": result["status"], "academic_year": result.get("academic_year"),
        "learners": stats["learners"], "placed": stats["placed"], "unplaced": stats["unplaced"],
        "with_requests": len(requested),
        "first_preference_met": sum(1 for d in requested if d.get("preference_rank") == 1),
        "any_preference_met": sum(1 for d in requested if d.get("preference_rank") is not None),
        "wall_seconds": stats["wall_seconds"],
    }


def run_scenario(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run kind "scenario": forecast + sufficiency KPIs per year (materialising `scenario`/`edits` first if given)."""
    started = time.perf_counter()
    params = parse_run_parameters(parameters)
    name = params.scenario or instance.metadata.get("scenario", {}).get("name", "baseline")
    if params.edits and name == "baseline":
        name = AD_HOC  # edits passed with the run: not the baseline, and no scenario of that name
    lineage = instance.metadata.get("scenario", {}).get("lineage", [])
    if params.scenario is not None:
        from scenarios.registry import get_scenario
        from scenarios.spec import all_edits, all_parameters
        from scenarios.spec import lineage as spec_lineage

        spec = get_scenario(params.scenario)
        lookup = get_scenario
        instance, overrides = materialise(instance, all_edits(spec, lookup))
        merged = {**all_parameters(spec, lookup), **overrides,
                  **params.model_dump(exclude_unset=True, exclude={"scenario"})}
        params = parse_run_parameters(merged)
        lineage = [m.name for m in spec_lineage(spec, lookup)]
    if params.edits:
        instance, overrides = materialise(instance, params.edits)
        params = parse_run_parameters({**params.model_dump(exclude={"edits"}, exclude_unset=True), **overrides})
    forecast_params = params.forecast_parameters(instance)
    progress.report(0.02, f"scenario {name}: forecasting {params.horizon_years} years ({params.runs} runs)")
    projection = forecast(instance, forecast_params, ScaledProgress(progress, 0.02, 0.6))
    progress.report(0.6, f"scenario {name}: sufficiency per year")
    sufficiency = assess_sufficiency(instance, projection, params.sufficiency_parameters(forecast_params),
                                     ScaledProgress(progress, 0.6, 0.85))
    per_year = kpis_from_sufficiency(instance, sufficiency)
    totals = {field: sum(row[field] for row in per_year.values()) for field, _ in KPI_FIELDS
              if field not in JOURNEY_FIELDS}
    first_year = sufficiency.years[0]
    totals["capital_spent_before_first_year"] = sum(v for y, v in capital_by_year(instance).items() if y < first_year)
    objective = float(sum(sufficiency.objective_by_year.values()))
    result: dict[str, Any] = {
        "status": "optimal",
        "scenario": {"name": name, "lineage": lineage},
        "years": [str(y) for y in sufficiency.years],
        "kpis": per_year,
        "kpis_by_pool": kpis_by_pool(instance, sufficiency),
        "totals": totals,
        "quantile": params.quantile,
        "statistics": {"objective": objective, "bound": objective, "gap": 0.0, "runs": projection.runs,
                       "forecast_wall_seconds": round(projection.wall_seconds, 3),
                       "sufficiency_wall_seconds": round(sufficiency.wall_seconds, 3)},
    }
    # The money view of exactly these placements (planner.costs): spend by type, transport, unmet need, capital.
    result["money"] = money_view(instance, sufficiency.years, sufficiency.rows, sufficiency.spare,
                                 capital_by_year(instance), cost_assumptions(instance, params.costs))
    if params.placement_kpis:
        progress.report(0.85, f"scenario {name}: next year's placement round")
        result["placement"] = _placement_headline(instance, params, ScaledProgress(progress, 0.85, 1.0))
    result["statistics"]["wall_seconds"] = time.perf_counter() - started
    progress.report(1.0, f"scenario {name}: done")
    return result
