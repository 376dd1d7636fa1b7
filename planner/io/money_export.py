"""Money views as a committee reads them: CSV (per scenario and year), XLSX (by year, summary, assumptions), PNG/SVG."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from planner.costs.projection import money_totals
from planner.io.cells import SafeDictWriter, frames_xlsx


def money_rows(views: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per scenario and year: spend by type, transport, unmet need, total, savings against the baseline."""
    kinds = sorted({kind for money in views.values() for kind in money["by_type"]})
    rows: list[dict[str, Any]] = []
    for name, money in views.items():
        savings = money.get("savings_vs_baseline")
        capital = money.get("capital_by_year", {})
        for i, year in enumerate(money["years"]):
            rows.append({
                "scenario": name, "academic_year": year,
                **{f"placements_{kind}": money["by_type"].get(kind, [0.0] * len(money["years"]))[i] for kind in kinds},
                "transport": money["transport"][i], "unmet_need": money["unmet"][i], "total": money["total"][i],
                "capital": float(capital.get(str(year), 0.0)),
                "savings_vs_baseline": None if savings is None else savings[i],
            })
    return rows


def money_summary(views: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"scenario": name, **money_totals(money)} for name, money in views.items()]


def money_csv(views: Mapping[str, Mapping[str, Any]]) -> str:
    rows = money_rows(views)
    buffer = io.StringIO()
    if rows:
        writer = SafeDictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def money_xlsx(views: Mapping[str, Mapping[str, Any]]) -> bytes:
    import pandas as pd

    assumptions = [{"scenario": name, "assumptions": json.dumps(money.get("assumptions", {}), default=str)}
                   for name, money in views.items()]
    return frames_xlsx({"summary": (pd.DataFrame(money_summary(views)), False),
                        "by year": (pd.DataFrame(money_rows(views)), False),
                        "assumptions": (pd.DataFrame(assumptions), False)})


def money_chart(views: Mapping[str, Mapping[str, Any]], fmt: str = "png") -> bytes:
    """Two panels: high-needs spend per year by scenario; cumulative savings against the capital spent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if fmt not in ("png", "svg"):
        raise ValueError(f"format: expected png or svg, got {fmt!r}")
    figure, (spend, payback) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    for name, money in views.items():
        spend.plot(money["years"], [v / 1e6 for v in money["total"]], marker="o", label=name)
        savings = money.get("savings_vs_baseline")
        if savings is not None and money["capital"] > 0:
            running, cumulative = 0.0, []
            for value in savings:
                running += value
                cumulative.append(running / 1e6)
            line = payback.plot(money["years"], cumulative, marker="o", label=f"{name}: cumulative savings")[0]
            payback.axhline(money["capital"] / 1e6, color=line.get_color(), linestyle="--",
                            label=f"{name}: capital")
    spend.set_title("High-needs placement spend incl. transport and unmet need (GBP million a year)", fontsize=10)
    payback.set_title("Savings against the baseline, cumulative, and capital (GBP million)", fontsize=10)
    payback.set_xlabel("Academic year (start)")
    for axis in (spend, payback):
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    plt.close(figure)
    return buffer.getvalue()
