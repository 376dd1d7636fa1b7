"""The cohort model's out-of-sample backtest on a council's own returns (planner.forecast.cohort): fitted, and its
bands calibrated (planner.forecast.cohort_calibration), on the returns up to the training year only, then scored
on the later returns against the compound-growth and last-value baselines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.forecast.cohort import MEASURES, CohortSettings, Snapshot
from planner.forecast.cohort_calibration import forecast_returns
from planner.forecast.totals import compound_growth, last_value


@dataclass(frozen=True)
class ReturnsBacktestRow:
    measure: str
    year: int
    horizon: int
    actual: float
    p10: float
    p50: float
    p90: float
    compound_growth: float
    last_value: float


@dataclass(frozen=True)
class ReturnsBacktest:
    """The model fitted on returns up to `train_to` only, scored on the later returns (and the naive baselines)."""

    train_to: int
    rows: tuple[ReturnsBacktestRow, ...]
    spread_scales: Mapping[str, float] = field(default_factory=dict)  # sqrt(k) per measure (cohort_calibration)

    def ape(self, attribute: str, horizon: int, measure: str | None = None) -> float | None:
        """Median absolute percentage error of a forecast column at a horizon (over measures, or one)."""
        errors = [abs(getattr(r, attribute) - r.actual) / r.actual for r in self.rows
                  if r.horizon == horizon and (measure is None or r.measure == measure) and r.actual > 0]
        return float(np.median(errors)) if errors else None

    def coverage(self, measure: str | None = None) -> float | None:
        cells = [r for r in self.rows if measure is None or r.measure == measure]
        return sum(r.p10 <= r.actual <= r.p90 for r in cells) / len(cells) if cells else None

    def summary(self) -> str:
        """One line: the p50's APE by horizon, p10-p90 coverage, the baselines' APE at the last horizon."""
        def pct(v: float | None) -> str:
            return "n/a" if v is None else f"{100 * v:.1f}%"

        horizons = sorted({r.horizon for r in self.rows})
        parts = [f"returns_backtest: train_to={self.train_to} horizon={max(horizons, default=0)}"]
        parts += [f"ape_p50_h{h}={pct(self.ape('p50', h))}" for h in horizons]
        parts.append(f"coverage_p10_p90={pct(self.coverage())}")
        if horizons:
            h = horizons[-1]
            parts.append(f"cagr_ape_h{h}={pct(self.ape('compound_growth', h))}")
            parts.append(f"last_value_ape_h{h}={pct(self.ape('last_value', h))}")
        parts += [f"spread_scale_{m}={v:.2f}" for m, v in self.spread_scales.items()]
        return " ".join(parts)


def backtest_returns(snapshots: Sequence[Snapshot], train_to: int, horizon: int,
                     settings: CohortSettings | None = None) -> ReturnsBacktest:
    """Fit on the returns up to `train_to` (January census year) only; forecast the later ones (up to `horizon`)."""
    training = [s for s in snapshots if s.year <= train_to]
    later = {s.year: s for s in snapshots if train_to < s.year <= train_to + horizon}
    if not later:
        raise ValueError(f"no return after {train_to} to score the forecast against")
    result, scales = forecast_returns(training, max(later) - train_to, settings)  # calibrated on `training` only
    rows = []
    for measure in MEASURES:
        history = {s.year: s.totals()[measure] for s in training}
        q = result.quantiles(measure)
        cagr = compound_growth(history, len(result.years))
        last = last_value(history, len(result.years))
        for h, year in enumerate(result.years):
            if year in later:
                rows.append(ReturnsBacktestRow(measure, year, h + 1, later[year].totals()[measure], float(q[0, h]),
                                               float(q[1, h]), float(q[2, h]), float(cagr[h]), float(last[h])))
    return ReturnsBacktest(train_to=train_to, rows=tuple(rows), spread_scales=scales)
