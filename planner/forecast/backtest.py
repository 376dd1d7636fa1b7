"""Backtest: fit the forecast on history up to year Y-k, project Y-k+1..Y, compare with what happened.

"What happened" is the caseload the instance's own history records for those years (learners whose plan had
started and not ceased, by need and phase). The error is the mean absolute percentage error (MAPE) of the p50
by need x phase, over the years and cells with an actual caseload.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.domain.codes import NCY_MIN
from planner.domain.models import Instance
from planner.forecast.rates import NEEDS, PHASE_OF_NCY_INDEX, PHASES, G, caseload_arrays
from planner.forecast.simulation import ForecastParameters, forecast

P = len(PHASES)


def actual_caseload(instance: Instance, year: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Learners on the caseload in `year` by need x phase, from the history fields."""
    case = caseload_arrays(instance)
    on = case.on_caseload(year)
    phase = PHASE_OF_NCY_INDEX[case.ncy_in(year)[on] - NCY_MIN]
    out = np.zeros((G, P), dtype=np.int64)
    np.add.at(out, (case.need[on], phase), 1)
    return out


def backtest(instance: Instance, holdout_years: int = 2,
             parameters: ForecastParameters | dict[str, Any] | None = None) -> dict[str, Any]:
    """Fit up to base_year - holdout_years, forecast the holdout years; MAPE by need and phase (all plans)."""
    if holdout_years < 1:
        raise ValueError("holdout_years must be at least 1")
    params = ForecastParameters.model_validate(parameters or {})
    params = params.model_copy(update={"horizon_years": holdout_years})
    fitted_to = instance.base_year - holdout_years
    result = forecast(instance, params, up_to_year=fitted_to)
    p50 = result.total_quantile(0.5, "all_plans", keep=(0, 1))  # year, need, phase: median of the runs' sums
    rows = []
    errors: list[float] = []
    for y, year in enumerate(result.years):
        actual = actual_caseload(instance, year)
        for g in range(G):
            for p in range(P):
                if actual[g, p] > 0:
                    error = abs(float(p50[y, g, p]) - actual[g, p]) / actual[g, p]
                    errors.append(error)
                    rows.append({"academic_year": year, "need": NEEDS[g].value, "phase": PHASES[p].value,
                                 "actual": int(actual[g, p]), "forecast_p50": float(p50[y, g, p]),
                                 "ape": round(error, 4)})
    by_need = {need.value: _mean([r["ape"] for r in rows if r["need"] == need.value]) for need in NEEDS}
    by_phase = {phase.value: _mean([r["ape"] for r in rows if r["phase"] == phase.value]) for phase in PHASES}
    return {"fitted_up_to_year": fitted_to, "years": result.years, "mape": _mean(errors),
            "mape_by_need": {k: v for k, v in by_need.items() if v is not None},
            "mape_by_phase": {k: v for k, v in by_phase.items() if v is not None}, "rows": rows}


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None
