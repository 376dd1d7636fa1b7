"""Scenario comparison: runs side by side per year, each figure's difference against the baseline, and the
committee's outputs (CSV, XLSX workbook, PNG/SVG chart).

The figures are the runs' own (`scenarios.runner.run_scenario` results); a difference is the scenario's figure minus
the baseline's for the same academic year (a negative unmet-need difference is need met). The baseline is the run
named "baseline" when one is compared, otherwise the first run (the table says which). When runs carry the money
view (`result["money"]`: the high-needs cost model's 10-year projection), it is laid out the same way.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from planner.costs.projection import money_totals, with_savings

BASELINE = "baseline"

# (name, label, unit) of every per-year measure a scenario run reports (scenarios.runner.kpis_from_sufficiency).
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
UNITS = {"demand": "learners", "placed_in_area": "learners", "unmet_need": "learners",
         "short_of_capacity": "learners", "out_of_reach": "learners", "out_of_area_placements": "learners",
         "out_of_area_cost": "GBP", "capital_spent": "GBP", "revenue_cost": "GBP",
         "mean_journey_minutes": "minutes", "p95_journey_minutes": "minutes"}
# Per-year money columns taken from result["money"] when present (the cost model's own figures, GBP).
MONEY_SERIES = (("money_total", "total", "High-needs spend, total (GBP a year)"),
                ("money_transport", "transport", "Home-to-school transport (GBP a year)"),
                ("money_unmet", "unmet", "Unmet need, priced as the placements it forces (GBP a year)"))
DIFF = "_vs_baseline"


def choose_baseline(labels: Sequence[str], baseline: str | None = None) -> str:
    """The label differences are taken against: the one asked for, else 'baseline' when compared, else the first."""
    if baseline is not None:
        if baseline not in labels:
            raise ValueError(f"baseline {baseline!r} is not one of the compared runs ({', '.join(labels)})")
        return baseline
    return BASELINE if BASELINE in labels else labels[0]


def _money_by_year(run: Mapping[str, Any]) -> dict[int, dict[str, float]]:
    money = run.get("money") or {}
    out: dict[int, dict[str, float]] = {}
    for position, year in enumerate(money.get("years") or []):
        out[int(year)] = {column: float(money[key][position]) for column, key, _ in MONEY_SERIES
                          if isinstance(money.get(key), list) and position < len(money[key])}
    return out


def _year_rows(runs: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, run in runs.items():
        money = _money_by_year(run)
        for year in run["years"]:
            rows.append({"scenario": name, "academic_year": int(year), **run["kpis"][year],
                         **money.get(int(year), {})})
    return rows


def _with_differences(rows: list[dict[str, Any]], baseline: str, columns: Sequence[str]) -> None:
    """Add `<column>_vs_baseline` (scenario minus baseline, same year; None where the baseline has no figure)."""
    base = {row["academic_year"]: row for row in rows if row["scenario"] == baseline}
    for row in rows:
        reference = base.get(row["academic_year"], {})
        for column in columns:
            value, other = row.get(column), reference.get(column)
            row[column + DIFF] = None if value is None or other is None else value - other


def money_summary(runs: Mapping[str, Mapping[str, Any]], baseline: str) -> dict[str, dict[str, Any]]:
    """Per scenario with a money view: capital, spend over the years, transport, the cost model's savings against
    its baseline and payback year (as it gives them), and total spend minus the compared baseline's."""
    sums: dict[str, dict[str, Any]] = {}
    views = compare_money(runs, baseline).get("views", {})
    for name, money in views.items():
        savings = money.get("savings_vs_baseline")
        sums[name] = {
            "capital": float(money.get("capital") or 0.0),
            "spend_total": float(sum(money.get("total") or [])),
            "transport_total": float(sum(money.get("transport") or [])),
            "unmet_total": float(sum(money.get("unmet") or [])),
            "savings_vs_baseline_total": None if savings is None else float(sum(savings)),
            "payback_year": money.get("payback_year"),
            "years": [int(y) for y in money.get("years") or []],
        }
    if baseline in sums:
        for summary in sums.values():
            summary["spend_total" + DIFF] = summary["spend_total"] - sums[baseline]["spend_total"]
    return sums


def compare_money(runs: Mapping[str, Mapping[str, Any]], baseline: str | None = None) -> dict[str, Any]:
    """Each run's money view against the baseline's (the label given, else the run named or labelled "baseline"),
    with savings per year and the payback year (planner.costs.projection.with_savings), and a summary line per run:
    capital, revenue, transport, unmet need, total, savings against the baseline, payback year."""
    views = {name: dict(run["money"]) for name, run in runs.items() if run.get("money")}
    if not views:
        return {}
    baseline_name = baseline if baseline in views else next(
        (name for name, run in runs.items() if name == "baseline" or run.get("scenario", {}).get("name") == "baseline"),
        None)
    if baseline_name is not None and baseline_name in views:
        base = views[baseline_name]
        views = {name: with_savings(money, base) for name, money in views.items()}
    return {"baseline": baseline_name, "views": views,
            "summary": [{"scenario": name, **money_totals(money)} for name, money in views.items()]}


def compare_runs(runs: Mapping[str, Mapping[str, Any]], baseline: str | None = None) -> dict[str, Any]:
    """Side-by-side table: one row per (scenario, year) with every KPI and its difference against the baseline,
    totals per scenario and their differences, and the money view when the runs carry it."""
    labels = list(runs)
    base = choose_baseline(labels, baseline)
    rows = _year_rows(runs)
    money_columns = [c for c, _, _ in MONEY_SERIES if any(c in row for row in rows)]
    _with_differences(rows, base, [n for n, _ in KPI_FIELDS] + money_columns)
    totals = {name: dict(run["totals"]) for name, run in runs.items()}
    totals_diff = {name: {k: v - totals[base][k] for k, v in t.items() if k in totals[base]}
                   for name, t in totals.items()}
    return {
        "metrics": [{"name": n, "label": label, "unit": UNITS[n]} for n, label in KPI_FIELDS]
        + [{"name": c, "label": label, "unit": "GBP"} for c, _, label in MONEY_SERIES if c in money_columns],
        "baseline": base,
        "scenarios": [{"label": name, "name": run.get("scenario", {}).get("name", name),
                       "lineage": list(run.get("scenario", {}).get("lineage", []))} for name, run in runs.items()],
        "rows": rows,
        "totals": totals,
        "totals_vs_baseline": totals_diff,
        "money": money_summary(runs, base),
    }


def _columns(table: Mapping[str, Any]) -> list[str]:
    names = [m["name"] for m in table["metrics"]]
    return ["scenario", "academic_year", *names, *(n + DIFF for n in names)]


def comparison_csv(table: Mapping[str, Any]) -> str:
    """One row per scenario and year: every measure, then every measure minus the baseline's."""
    from planner.io.cells import SafeDictWriter  # every cell escaped (formula injection)

    buffer = io.StringIO()
    fields = _columns(table)
    writer = SafeDictWriter(buffer, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in table["rows"]:
        writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k in fields})
    return buffer.getvalue()


def _axis_unit(unit: str) -> tuple[float, str]:
    """Scale and axis title for a unit: money in GBP millions (never 1e7 on an axis)."""
    return (1e6, "GBP m") if unit == "GBP" else (1.0, unit)


def _sheets(table: Mapping[str, Any]) -> dict[str, Any]:
    import pandas as pd

    labels = {m["name"]: f"{m['label']}" for m in table["metrics"]}
    scenarios = pd.DataFrame([{**s, "lineage": " > ".join(s.get("lineage") or []) or "(council's data)",
                               "baseline": "yes" if s["label"] == table["baseline"] else ""}
                              for s in table["scenarios"]])
    totals = pd.DataFrame(table["totals"]).T.rename(columns=labels).rename_axis("scenario")
    vs_base = pd.DataFrame(table["totals_vs_baseline"]).T.rename(columns=labels).rename_axis(
        f"scenario minus {table['baseline']}")
    sheets = {"scenarios": scenarios, "totals": totals, "totals vs baseline": vs_base,
              "by year": pd.DataFrame(table["rows"], columns=_columns(table))}
    if table.get("money"):
        sheets["money"] = pd.DataFrame(table["money"]).T.drop(columns=["years"]).rename_axis("scenario")
    sheets["metrics"] = pd.DataFrame(table["metrics"])
    return sheets


def comparison_xlsx(table: Mapping[str, Any]) -> bytes:
    """The committee's workbook: which runs (name, lineage, run, staleness), totals and their differences against
    the baseline, every year's figures with differences, the money view when present, and what each measure is."""
    from planner.io.cells import frames_xlsx  # every cell escaped (formula injection)

    return frames_xlsx({name: (frame, name in ("totals", "totals vs baseline", "money"))
                        for name, frame in _sheets(table).items()})


def comparison_chart(table: Mapping[str, Any], fmt: str = "png",
                     metrics: tuple[str, ...] = ("unmet_need", "out_of_area_placements", "revenue_cost",
                                                 "mean_journey_minutes")) -> bytes:
    """Small multiples (one panel per measure, one line per scenario, the baseline dashed) as PNG or SVG bytes;
    every axis titled with its unit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, readable by screen readers
    if fmt not in ("png", "svg"):
        raise ValueError(f"format: expected png or svg, got {fmt!r}")
    info = {m["name"]: m for m in table["metrics"]}
    shown = [m for m in (*metrics, *(c for c, _, _ in MONEY_SERIES[:1])) if m in info]
    figure, axes = plt.subplots(len(shown), 1, figsize=(8, 2.6 * len(shown)), sharex=True)
    axes_list = list(axes) if len(shown) > 1 else [axes]
    names = list(dict.fromkeys(row["scenario"] for row in table["rows"]))
    for axis, metric in zip(axes_list, shown, strict=True):
        scale, unit = _axis_unit(info[metric]["unit"])
        for name in names:
            points = [(row["academic_year"], row.get(metric)) for row in table["rows"]
                      if row["scenario"] == name and row.get(metric) is not None]
            axis.plot([p[0] for p in points], [p[1] / scale for p in points], marker="o", label=name,
                      linestyle="--" if name == table["baseline"] else "-")
        axis.set_title(info[metric]["label"], fontsize=10)
        axis.set_ylabel(unit)
        axis.grid(alpha=0.3)
    axes_list[0].legend(fontsize=8)
    years = sorted({row["academic_year"] for row in table["rows"]})
    axes_list[-1].set_xticks(years, [f"{y}/{(y + 1) % 100:02d}" for y in years], rotation=45)
    axes_list[-1].set_xlabel("Academic year")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    plt.close(figure)
    return buffer.getvalue()
