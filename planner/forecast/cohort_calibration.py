"""Bands of the cohort model (planner.forecast.cohort) calibrated on the training returns' own forecast errors.

The same method as the totals model's (planner.forecast.totals, "Bands calibrated on the training years' own
forecast errors"): before forecasting, the uncalibrated cohort model is refitted at every earlier origin inside the
training returns (at least two returns up to the origin: one year of transitions), forecasts each later training
return, and the standardised log errors z = (log actual - mean) / sd of the draws' totals are collected per measure
(an inner rolling-origin backtest: no return after the training year is involved). Their mean square, with
`calibration_prior_errors` pseudo-errors at 1 (the model's own spread), is the variance factor k; each measure's
draws are spread by sqrt(k) in logs about their median, year by year, so the p50 is unchanged. This is the
empirical prediction-interval method of Williams & Goodman (1971, JASA 66:752-754), FPP3 section 5.5. With two
training returns there is no earlier origin and k = 1 (the bands are the model's own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from planner.forecast.cohort import MEASURES, CohortForecast, CohortSettings, Snapshot, fit_cohort, simulate_cohort
from planner.forecast.totals import TotalsSettings, spread_scale, squared_errors


def inner_errors(snapshots: Sequence[Snapshot], settings: CohortSettings) -> dict[str, list[float]]:
    """Squared standardised errors of the uncalibrated model at every earlier origin inside `snapshots`."""
    snaps = sorted(snapshots, key=lambda s: s.year)
    out: dict[str, list[float]] = {m: [] for m in MEASURES}
    for i in range(1, len(snaps) - 1):  # origin snaps[i]: returns 0..i (two at least), later ones scored
        ahead = snaps[i + 1:]
        draws = simulate_cohort(fit_cohort(snaps[:i + 1]), ahead[-1].year - snaps[i].year, settings).draws
        offsets = [s.year - snaps[i].year - 1 for s in ahead]
        for measure in MEASURES:
            actuals = [s.totals()[measure] for s in ahead]
            if any(a <= 0 for a in actuals):
                continue
            columns = draws[measure][:, offsets]
            out[measure].extend(squared_errors(columns, actuals))
    return out


def spread_scales(snapshots: Sequence[Snapshot], settings: CohortSettings) -> dict[str, float]:
    """sqrt(k) per measure (module docstring); 1 for every measure when calibration is off."""
    if not settings.calibrate:
        return {m: 1.0 for m in MEASURES}
    errors = inner_errors(snapshots, settings)
    prior = TotalsSettings(calibration_prior_errors=settings.calibration_prior_errors)
    return {m: spread_scale(errors[m], prior) for m in MEASURES}


def rescaled(forecast: CohortForecast, scales: Mapping[str, float]) -> CohortForecast:
    """The draws of each measure spread by its scale in logs about their median, year by year."""
    draws = {}
    for measure, values in forecast.draws.items():
        logs = np.log(np.maximum(values, 1.0))
        center = np.median(logs, axis=0)
        scale = scales.get(measure, 1.0)
        draws[measure] = values if scale == 1.0 else np.exp(center + scale * (logs - center))
    return CohortForecast(base_year=forecast.base_year, years=forecast.years, draws=draws)


def forecast_returns(snapshots: Sequence[Snapshot], horizon: int, settings: CohortSettings | None = None
                     ) -> tuple[CohortForecast, dict[str, float]]:
    """The calibrated forecast `horizon` years after the last of `snapshots`, and the scales used."""
    settings = settings or CohortSettings()
    scales = spread_scales(snapshots, settings)
    return rescaled(simulate_cohort(fit_cohort(snapshots), horizon, settings), scales), scales
