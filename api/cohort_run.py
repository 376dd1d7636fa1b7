"""Run-kind entry point of the cohort model (api/run_kinds.py, `cohort_forecast`; in the API layer because it
reads files through planner.io, which a solver package may not import): the council's own forecast of EHC
plans from several of its yearly SEN2 returns (planner.forecast.cohort), with its out-of-sample backtest beside it.

The returns are files (zip, XML or module-CSV folder per year) that the service reads where the API put them:
`parameters["return_paths"]` is set by `api.cohort_inputs` from a folder name under the service's returns folder,
never taken from a caller. Types of provision come from the run's instance's settings (the council's GIAS extract
as stored). Children are matched across returns by a pseudonym made with a key drawn for this run only (matching
needs the same key within the run, nothing more), so no id in the run can be linked to a stored learner. The result
holds totals only: per measure and year the p10/p50/p90 of the totals of the draws, the yearly counts of the
returns, and the backtest's median absolute percentage error.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from planner.domain.models import Instance
from planner.forecast.cohort import MEASURES, CohortSettings
from planner.forecast.cohort_backtest import ReturnsBacktest, backtest_returns
from planner.forecast.cohort_calibration import forecast_returns
from planner.io.sen2.history import read_returns
from planner.solving.progress import Progress

BACKTEST_YEARS = 3  # the backtest scores the last three returns when there are five or more


def backtest_summary(check: ReturnsBacktest | None, horizon: int) -> dict[str, Any] | None:
    """The same shape as `planner.forecast.published_backtest.own_backtest_summary` (percentages)."""
    if check is None or not check.rows:
        return None

    def pct(value: float | None) -> float | None:
        return None if value is None else 100.0 * value

    return {"train_to": check.train_to, "horizon": horizon,
            "tested_years": [check.train_to + h for h in range(1, horizon + 1)],
            "ape_p50": {m: pct(check.ape("p50", horizon, m)) for m in MEASURES},
            "ape_compound_growth": {m: pct(check.ape("compound_growth", horizon, m)) for m in MEASURES},
            "coverage_p10_p90": {m: pct(check.coverage(m)) for m in MEASURES},
            "spread_scale": dict(check.spread_scales),
            "rows": [{"measure": r.measure, "year": r.year, "actual": r.actual, "p10": r.p10, "p50": r.p50,
                      "p90": r.p90} for r in check.rows]}


def run_cohort_forecast(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """parameters: `return_paths` (set by the API, module docstring), optional `horizon_years` (default 5),
    `draws` (default 1000), `parameter_sets`, `seed`."""
    paths = parameters.get("return_paths")
    if not isinstance(paths, list) or len(paths) < 2:
        raise ValueError("the cohort model needs at least two yearly SEN2 returns (parameter 'returns')")
    horizon = int(parameters.get("horizon_years", 5))
    if not 1 <= horizon <= 10:
        raise ValueError("horizon_years must be between 1 and 10")
    settings = CohortSettings(**{k: parameters[k] for k in ("draws", "parameter_sets", "seed") if k in parameters})
    snapshots = read_returns([Path(p) for p in paths], instance.settings, secrets.token_hex(32))
    progress.report(0.2, f"{len(snapshots)} returns read")
    result, scales = forecast_returns(snapshots, horizon, settings)
    progress.report(0.6, "forecast done")
    back = min(BACKTEST_YEARS, len(snapshots) - 2)  # at least two training returns (one year of transitions)
    check = backtest_returns(snapshots, snapshots[-1 - back].year, back, settings) if back >= 1 else None
    progress.report(1.0, "backtest done")
    return {
        "status": "ok",
        "statistics": {"draws": settings.draws, "years": horizon, "returns": len(snapshots),
                       "instance": instance.name},
        "last_year": result.base_year, "years": list(result.years),
        "forecast": {m: {name: [float(v) for v in row] for name, row in zip(("p10", "p50", "p90"),
                                                                           result.quantiles(m), strict=True)}
                     for m in MEASURES},
        "history": {m: {str(s.year): s.totals()[m] for s in snapshots} for m in MEASURES},
        "left_out": {str(s.year): s.left_out for s in snapshots},
        "spread_scale": scales,  # sqrt(k) per measure: the bands' calibration (planner.forecast.cohort_calibration)
        "backtest": backtest_summary(check, back),
    }
