"""Run a scenario and compare scenarios side by side, per academic year.

`run_scenario` (run kind "scenario") takes an already materialised instance (or materialises a named scenario /
a list of edits itself) and runs the commissioner's own models on it: demand from
`planner.forecast.simulation.forecast` (the scenario's demand levers mapped onto `ForecastParameters` by
`planner.forecast.levers`), allocation from `planner.sufficiency.assess_sufficiency` (the scenario's journey limits
and weights as `SufficiencyParameters`). Its per-year KPIs are sums of the sufficiency report's cells and spare
places, so a scenario's figures are the figures its sufficiency report shows. Capital comes from the edits
(`scenario_capital` metadata); headline placement figures for next year's round come from
`planner.placement.matching.run_placement`.

`compare_runs` lays any number of run results side by side; its figures are the runs' own (a test checks it).
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.domain.codes import Phase
from planner.domain.models import Instance
from planner.forecast.levers import ForecastLevers, forecast_parameters
from planner.forecast.simulation import ForecastParameters, MoveShift, forecast
from planner.solving.progress import Progress, ScaledProgress
from planner.sufficiency import (
    DEFAULT_JOURNEY_LIMITS,
    SufficiencyParameters,
    SufficiencyResult,
    SufficiencyWeights,
    assess_sufficiency,
    setting_cost,
    weighted_p95,
)
from scenarios.what_if import capital_by_year, materialise

KPI_FIELDS: tuple[tuple[str, str], ...] = (
    ("demand", "Learners needing a specialist or AP place (forecast quantile)"),
    ("placed_in_area", "Placed in area"),
    ("unmet_need", "Unmet need (short of capacity + out of reach)"),
    ("short_of_capacity", "Short of capacity (suitable places in reach are full)"),
    ("out_of_reach", "Out of reach (no suitable in-area place within the journey limit)"),
    ("out_of_area_placements", "Out-of-area / independent placements"),
    ("out_of_area_cost", "Out-of-area / independent cost (GBP a year)"),
    ("capital_spent", "Capital spent (GBP)"),
    ("revenue_cost", "Revenue cost of in-area places (GBP a year)"),
    ("mean_journey_minutes", "Mean journey (minutes, placed learners)"),
    ("p95_journey_minutes", "95th percentile journey (minutes; learner-weighted over cells' p95)"),
)
JOURNEY_FIELDS = ("mean_journey_minutes", "p95_journey_minutes")


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
    try:
        return ScenarioRunParameters.model_validate(dict(parameters))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"scenario parameter {where}: {first['msg'].removeprefix('Value error, ')}") from error



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
        "totals": totals,
        "quantile": params.quantile,
        "statistics": {"objective": objective, "bound": objective, "gap": 0.0, "runs": projection.runs,
                       "forecast_wall_seconds": round(projection.wall_seconds, 3),
                       "sufficiency_wall_seconds": round(sufficiency.wall_seconds, 3)},
    }
    if params.placement_kpis:
        progress.report(0.85, f"scenario {name}: next year's placement round")
        result["placement"] = _placement_headline(instance, params, ScaledProgress(progress, 0.85, 1.0))
    result["statistics"]["wall_seconds"] = time.perf_counter() - started
    progress.report(1.0, "scenario done")
    return result


def compare_runs(runs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Side-by-side table: one row per (scenario, year) with every KPI, plus totals per scenario."""
    rows: list[dict[str, Any]] = []
    totals: dict[str, dict[str, float]] = {}
    for name, run in runs.items():
        for year in run["years"]:
            rows.append({"scenario": name, "academic_year": int(year), **run["kpis"][year]})
        totals[name] = dict(run["totals"])
    return {"metrics": [{"name": n, "label": label} for n, label in KPI_FIELDS], "rows": rows, "totals": totals}


def comparison_csv(table: Mapping[str, Any]) -> str:
    from planner.io.cells import SafeDictWriter

    buffer = io.StringIO()
    fields = ["scenario", "academic_year"] + [m["name"] for m in table["metrics"]]
    writer = SafeDictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in table["rows"]:
        writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k in fields})
    return buffer.getvalue()


def comparison_xlsx(table: Mapping[str, Any]) -> bytes:
    import pandas as pd

    from planner.io.cells import frames_xlsx

    return frames_xlsx({"by year": (pd.DataFrame(table["rows"]), False),
                        "totals": (pd.DataFrame(table["totals"]).T.rename_axis("scenario"), True),
                        "metrics": (pd.DataFrame(table["metrics"]), False)})


def comparison_chart(table: Mapping[str, Any], fmt: str = "png",
                     metrics: tuple[str, ...] = ("unmet_need", "out_of_area_placements", "revenue_cost",
                                                 "mean_journey_minutes")) -> bytes:
    """A small-multiples line chart (one panel per metric, one line per scenario) as PNG or SVG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if fmt not in ("png", "svg"):
        raise ValueError(f"format: expected png or svg, got {fmt!r}")
    labels = {m["name"]: m["label"] for m in table["metrics"]}
    figure, axes = plt.subplots(len(metrics), 1, figsize=(8, 2.6 * len(metrics)), sharex=True)
    axes_list = list(axes) if len(metrics) > 1 else [axes]
    names = list(dict.fromkeys(row["scenario"] for row in table["rows"]))
    for axis, metric in zip(axes_list, metrics, strict=True):
        for name in names:
            points = [(row["academic_year"], row[metric]) for row in table["rows"] if row["scenario"] == name]
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
        axis.set_title(labels.get(metric, metric), fontsize=10)
        axis.grid(alpha=0.3)
    axes_list[0].legend(fontsize=8)
    axes_list[-1].set_xlabel("Academic year (start)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    plt.close(figure)
    return buffer.getvalue()
