"""Run a scenario and compare scenarios side by side, per academic year.

`run_scenario` (run kind "scenario") takes an already materialised instance (or materialises a named scenario /
a list of edits itself), projects specialist demand, and allocates it year by year to the places the scenario
provides (the expansion model with the programme fixed: an LP over need x phase x locality groups, the same
numbers the optimiser trades off). It reports per year: demand, unmet need, out-of-area/independent placements
and cost, capital spent, revenue cost and mean/p95 journey. When the sufficiency module is installed its own
result is attached under "sufficiency" (headline figures), so the two views can be read together.

`compare_runs` lays any number of run results side by side; its figures are the runs' own (a test checks it).
"""

from __future__ import annotations

import importlib
import io
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from planner.codes import Phase
from planner.domain import Instance
from planner.expansion import DEFAULT_JOURNEY_LIMITS, ExpansionParameters, build_expansion_data
from planner.expansion_model import ObjectiveWeights, SolveOptions, solve_expansion_data
from planner.progress import Progress
from scenarios.what_if import capital_by_year, materialise

KPI_FIELDS: tuple[tuple[str, str], ...] = (
    ("demand", "Learners needing a specialist place"),
    ("placed_in_area", "Placed in area"),
    ("unmet_need", "Unmet need (no suitable place within reach)"),
    ("out_of_area_placements", "Out-of-area / independent placements"),
    ("out_of_area_cost", "Out-of-area / independent cost (GBP)"),
    ("capital_spent", "Capital spent (GBP)"),
    ("revenue_cost", "Revenue cost of in-area places (GBP)"),
    ("mean_journey_minutes", "Mean journey (minutes)"),
    ("p95_journey_minutes", "95th percentile journey (minutes)"),
)


class ScenarioRunParameters(BaseModel):
    """Parameters of a scenario run; the what-if overrides (journey limits, rates) arrive here too."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(default=None, description="Shipped scenario to materialise on the instance")
    edits: list[dict[str, Any]] = Field(default_factory=list, description="Edits to apply first (if any)")
    horizon_years: int = Field(default=10, ge=1, le=25)
    growth_rate: float | dict[str, float] = Field(default=0.05, description="Annual specialist demand growth")
    joiner_rate_scale: dict[str, float] = Field(default_factory=dict, description="'*' / 'ASD' / 'ASD/secondary'")
    journey_limits: dict[Phase, int] = Field(default_factory=lambda: dict(DEFAULT_JOURNEY_LIMITS))
    demand_quantile: str = Field(default="p50", pattern="^(p10|p50|p90)$")
    weights: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    cost_changes: list[dict[str, Any]] = Field(default_factory=list, description="Log only: already applied")
    run_sufficiency: bool = Field(default=False, description="Also run planner.sufficiency and attach its summary")
    sufficiency_parameters: dict[str, Any] = Field(default_factory=dict)


def _growth(params: ScenarioRunParameters) -> tuple[float, dict[str, float]]:
    """Base growth and per-need growth after applying joiner-rate scales (a scale multiplies the growth)."""
    base = params.growth_rate.get("*", 0.05) if isinstance(params.growth_rate, dict) else params.growth_rate
    by_need = {k: v for k, v in params.growth_rate.items() if k != "*"} if isinstance(params.growth_rate, dict) \
        else {}
    scale_all = params.joiner_rate_scale.get("*", 1.0)
    base *= scale_all
    for key, scale in params.joiner_rate_scale.items():
        if key != "*":
            by_need[key] = by_need.get(key, base / scale_all) * scale * scale_all
    return base, by_need


def _weighted_p95(pairs: list[tuple[float, float]]) -> float:
    total = sum(w for _, w in pairs)
    if total <= 0:
        return 0.0
    running = 0.0
    for minutes, weight in sorted(pairs):
        running += weight
        if running >= 0.95 * total - 1e-9:
            return minutes
    return sorted(pairs)[-1][0]


def evaluate_instance(instance: Instance, params: ScenarioRunParameters) -> dict[str, Any]:
    """Allocate projected specialist demand to the instance's places, year by year; KPIs per year."""
    base_growth, growth_by_need = _growth(params)
    expansion_params = ExpansionParameters(
        horizon_years=params.horizon_years, candidates=[], growth_rate=base_growth, growth_by_need=growth_by_need,
        journey_limits=params.journey_limits, demand_quantile=params.demand_quantile, weights=params.weights,
        budget_per_year=None, budget_total=None, marginal_values=False, frontier_fractions=[],
        nearest_sources=50,
    )
    data, labels = build_expansion_data(instance, expansion_params, candidates=[])
    solution = solve_expansion_data(data, params.weights, SolveOptions(relative_gap=1e-9))
    capital = capital_by_year(instance)
    oa_cost = float(labels["out_of_area_cost"])
    per_year: dict[str, dict[str, float]] = {}
    for t, year in enumerate(data.years):
        journeys: list[tuple[float, float]] = []
        revenue = 0.0
        placed = 0.0
        for (a, tt), amount in solution.flows.items():
            if tt != t:
                continue
            arc = data.arcs[a]
            journeys.append((arc.minutes, amount))
            revenue += arc.revenue_per_learner * amount
            placed += amount
        weight = sum(w for _, w in journeys)
        per_year[str(year)] = {
            "demand": sum(row[t] for row in data.demand),
            "placed_in_area": placed,
            "unmet_need": solution.unmet_by_year.get(year, 0.0),
            "out_of_area_placements": solution.out_of_area_by_year.get(year, 0.0),
            "out_of_area_cost": solution.out_of_area_by_year.get(year, 0.0) * oa_cost,
            "capital_spent": capital.get(year, 0.0),
            "revenue_cost": revenue,
            "mean_journey_minutes": sum(m * w for m, w in journeys) / weight if weight > 0 else 0.0,
            "p95_journey_minutes": _weighted_p95(journeys),
        }
    totals = {name: sum(row[name] for row in per_year.values()) for name, _ in KPI_FIELDS
              if not name.endswith("journey_minutes")}
    return {"status": solution.status, "objective": solution.objective, "bound": solution.bound,
            "gap": solution.gap, "wall_seconds": solution.wall_seconds, "years": list(per_year),
            "kpis": per_year, "totals": totals, "out_of_area_cost_per_place": oa_cost}


def _sufficiency_summary(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    try:
        module = importlib.import_module("planner.sufficiency")
    except ImportError:
        return {"status": "unavailable", "reason": "planner.sufficiency is not installed"}
    result: dict[str, Any] = module.run_sufficiency(instance, parameters, progress)
    return {key: value for key, value in result.items() if key in ("status", "statistics", "summary", "by_year",
                                                                    "totals")}


def run_scenario(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run kind "scenario": KPIs per year for the instance (materialising `scenario`/`edits` first if given)."""
    started = time.perf_counter()
    params = ScenarioRunParameters.model_validate(parameters)
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
        params = ScenarioRunParameters.model_validate(merged)
        lineage = [m.name for m in spec_lineage(spec, lookup)]
    if params.edits:
        instance, overrides = materialise(instance, params.edits)
        params = ScenarioRunParameters.model_validate(
            {**params.model_dump(exclude={"edits"}, exclude_unset=True), **overrides})
    progress.report(0.1, f"scenario {name}: allocating demand over {params.horizon_years} years")
    evaluation = evaluate_instance(instance, params)
    result: dict[str, Any] = {
        "status": evaluation["status"],
        "scenario": {"name": name, "lineage": lineage},
        "years": evaluation["years"],
        "kpis": evaluation["kpis"],
        "totals": evaluation["totals"],
        "statistics": {"wall_seconds": time.perf_counter() - started, "objective": evaluation["objective"],
                       "bound": evaluation["bound"], "gap": evaluation["gap"]},
    }
    if params.run_sufficiency:
        progress.report(0.6, "running sufficiency")
        result["sufficiency"] = _sufficiency_summary(instance, params.sufficiency_parameters, progress)
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
    import csv

    buffer = io.StringIO()
    fields = ["scenario", "academic_year"] + [m["name"] for m in table["metrics"]]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in table["rows"]:
        writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k in fields})
    return buffer.getvalue()


def comparison_xlsx(table: Mapping[str, Any]) -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    frame = pd.DataFrame(table["rows"])
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="by year", index=False)
        pd.DataFrame(table["totals"]).T.rename_axis("scenario").to_excel(writer, sheet_name="totals")
        pd.DataFrame(table["metrics"]).to_excel(writer, sheet_name="metrics", index=False)
    return buffer.getvalue()


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
