"""Pictures for commissioners: a sufficiency heatmap and a forecast fan chart (PNG and SVG, matplotlib Agg).

The heatmap shows, for each year, need x locality coloured by the learners NOT placed in area (short of capacity
+ out of reach + placed out of area / independent), with the number written in each cell. The fan chart shows,
per need, the p10-p90 band and p50 line of the forecast learners by year.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from planner.domain.codes import Need  # noqa: E402
from planner.forecast.rates import NEEDS  # noqa: E402
from planner.forecast.simulation import MEASURES, ForecastResult  # noqa: E402
from planner.sufficiency import SufficiencyResult  # noqa: E402

IMAGE_FORMATS = ("png", "svg")


def _render(fig: Figure, fmt: str) -> bytes:
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}: expected one of {', '.join(IMAGE_FORMATS)}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def shortfall_matrix(result: SufficiencyResult, year: int, needs: list[str],
                     localities: list[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Learners not placed in area, need x locality, for one year (all phases and pools)."""
    grid = np.zeros((len(needs), len(localities)), dtype=np.int64)
    n_index = {n: i for i, n in enumerate(needs)}
    l_index = {loc: j for j, loc in enumerate(localities)}
    for row in result.rows:
        if row["academic_year"] == year and row["need"] in n_index and row["locality_id"] in l_index:
            grid[n_index[row["need"]], l_index[row["locality_id"]]] += (
                row["short_of_capacity"] + row["out_of_reach"] + row["placed_out_of_area"])
    return grid


def sufficiency_heatmap(result: SufficiencyResult, locality_names: dict[str, str], fmt: str = "png",
                        title: str = "Specialist place sufficiency") -> bytes:
    """A panel per year: need (rows) x locality (columns), colour = learners not placed in area."""
    needs = sorted({r["need"] for r in result.rows if r["demand"] > 0})
    localities = sorted({r["locality_id"] for r in result.rows})
    years = result.years
    grids = [shortfall_matrix(result, y, needs, localities) for y in years]
    vmax = max(1, max((int(g.max()) for g in grids), default=1))
    cols = min(len(years), 5)
    rows = max(1, math.ceil(len(years) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols + 1.5, 0.32 * len(needs) * rows + 1.8 * rows),
                             squeeze=False)
    image = None
    for k, ax in enumerate(axes.flat):
        if k >= len(years):
            ax.axis("off")
            continue
        grid = grids[k]
        image = ax.imshow(grid, cmap="Reds", vmin=0, vmax=vmax, aspect="auto")
        ax.set_title(f"{years[k]}/{(years[k] + 1) % 100:02d}", fontsize=10)
        ax.set_xticks(range(len(localities)))
        ax.set_xticklabels([locality_names.get(loc, loc) for loc in localities], rotation=60, ha="right",
                           fontsize=7)
        ax.set_yticks(range(len(needs)))
        ax.set_yticklabels(needs if k % cols == 0 else [], fontsize=7)
        if k % cols == 0:
            ax.set_ylabel("Primary need")
        if k // cols == rows - 1:
            ax.set_xlabel("Locality")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if grid[i, j]:
                    ax.text(j, i, str(grid[i, j]), ha="center", va="center", fontsize=6,
                            color="white" if grid[i, j] > vmax * 0.6 else "black")
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, fraction=0.02, pad=0.02)
        bar.set_label("Learners not placed in area (short + out of reach + out of area)")
    q = result.parameters.quantile
    fig.suptitle(f"{title}: learners not placed in area by need and locality (demand at p{round(q * 100)})")
    return _render(fig, fmt)


def forecast_fan_chart(result: ForecastResult, measure: str = "specialist", fmt: str = "png",
                       title: str = "Forecast learners with EHC plans", max_needs: int = 8) -> bytes:
    """Per need (largest first): the p10-p90 band and the p50 line of the council-wide total by year."""
    totals = result.totals_by_need(measure)
    ranked = sorted(totals, key=lambda need: -float(totals[need][1, -1]))[:max_needs]
    ranked = [need for need in ranked if float(totals[need][2].max()) > 0] or ranked[:1]
    cols = min(4, len(ranked))
    rows = math.ceil(len(ranked) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False)
    years = result.years
    for k, ax in enumerate(axes.flat):
        if k >= len(ranked):
            ax.axis("off")
            continue
        need = ranked[k]
        # The band starts from the known caseload in the base year.
        start = float(result.base_counts[NEEDS.index(Need(need)), MEASURES.index(measure)])
        q = np.concatenate([np.full((3, 1), start), totals[need]], axis=1)
        xs = [result.base_year, *years]
        ax.fill_between(xs, q[0], q[2], color="tab:blue", alpha=0.25, label="p10-p90")
        ax.plot(xs, q[1], color="tab:blue", marker="o", markersize=3, label="p50")
        ax.plot([result.base_year], [start], marker="s", color="black", linestyle="none", label="base year")
        ax.set_title(need, fontsize=10)
        ax.set_xlabel("Academic year (start)")
        ax.set_ylabel("Learners")
        ax.grid(alpha=0.3)
        ax.set_xticks(xs[:: max(1, len(xs) // 5)])
        if k == 0:
            ax.legend(fontsize=7, loc="upper left")
    label = {"all_plans": "all EHC plans", "specialist": "in specialist places",
             "alternative_provision": "in alternative provision"}.get(measure, measure)
    base = f"{result.base_year}/{(result.base_year + 1) % 100:02d}"
    fig.suptitle(f"{title} ({label}), {result.runs} runs, base year {base}")
    fig.tight_layout()
    return _render(fig, fmt)
