"""A totals forecast per local authority and measure from the published SEN2 tables (no person-level data).

Why a totals model: a council with only the DfE published tables (planner.forecast.published) still needs a
defensible forecast, and the field's cohort models (MastodonC witan.send: joiner, leaver and mover rates per
academic year x need x setting, each a Beta/Dirichlet posterior shrunk towards the pooled rate of its academic year,
~1,000 simulations; src/clj/witan/send/params.clj `beta-params-leavers`, `beta-params-movers`,
`beta-params-joiners`) need person-level transitions the published tables do not have. What the tables do have is
each LA's yearly total and the same total for England, so the model works on growth rates:

- **Reference growth, damped.** England's log growth per training year R_t; the trend is their mean and is damped
  by phi per year ahead (Gardner & McKenzie's damped trend on the log scale: growth h years ahead = phi^h x trend).
  phi is the lag-1 ratio of England's growth rates (least squares through the origin, sum R_t R_t-1 / sum
  R_t-1^2), kept within [0.8, 0.98], the range the forecast literature uses for damped trends (Hyndman &
  Athanasopoulos, FPP3 section 8.2, and the R `forecast` package's bounds).
- **Shrinkage to England.** The LA's growth deviation from England, d_t = r_t - R_t, has mean d over its n training
  years. Its own trend is England's plus w x d with w = tau^2 / (tau^2 + s^2 / n) (empirical Bayes, Morris 1983):
  s^2 is the typical within-LA variance of d_t (median over the LAs in the tables) and tau^2 the between-LA
  variance of the mean deviations beyond what that noise explains (method of moments, at least 0). A short or
  noisy history (small n) leans on England. Both are estimated on the training years of every LA in the tables.
- **Uncertainty, honest with horizon.** Each of `draws` simulations (i) resamples England's training-year growth
  rates with replacement (a bootstrap of the trend), (ii) draws the LA's deviation from its posterior
  N(w d, (1 - w) tau^2), (iii) draws the residual variance from its scaled inverse chi-square posterior (the LA's
  own residual variance pooled with s^2 at `variance_prior_df` degrees of freedom), and (iv) adds a shock of that
  variance plus England's year-to-year variance to every year's growth. Shocks accumulate in the level (variance
  grows with h) and the trend's uncertainty grows with the sum of phi^h, so bands widen with the horizon.
- **Bands calibrated on the training years' own forecast errors.** Those parts assume an LA's growth deviation is
  constant plus independent yearly noise; in the DfE tables LAs' trends also drift (Manchester's growth jumped in
  2024, Leeds' fell in 2023), and three or four growth years per LA cannot tell the two apart. So before forecasting,
  the model is refitted at every earlier origin inside the training years (at least two growth years each), each
  LA is forecast up to the last training year, and the standardised log errors z = (log actual - mean) / sd of the
  draws are collected (an inner rolling-origin backtest, no year after the training year involved). Their mean
  square, with `calibration_prior_errors` pseudo-errors at 1 (the model's own spread), is the variance factor k;
  the draws' log levels are spread by sqrt(k) about their median, so the p50 is unchanged. This is the empirical
  prediction-interval method of Williams & Goodman (1971, JASA 66:752-754) as FPP3 section 5.5 describes it; k below 1
  narrows the bands just as honestly. `spread_scale` on the measure's fit records sqrt(k).

The naive baselines the backtest compares against (last value, straight-line trend, compound growth) are here too.
Deterministic: the draws of an LA and measure come from numpy's SeedSequence of (seed, CRC-32 of the LA code,
measure index), whatever other LAs are forecast with it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

# Used only when no LA in the tables has two training growth years: 3 percentage points of log growth a year, the
# order of the median within-LA spread of growth deviations in the DfE 2019-2022 caseload rows of the four LAs in
# tests/data/sen2-2025 (caseload.csv, ehcplans).
FALLBACK_DEVIATION_VARIANCE = 0.03 ** 2


class TotalsSettings(BaseModel):
    """Settings of the totals model (module docstring); defaults are documented in docs/sufficiency.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draws: int = Field(default=1000, ge=50, le=20_000, description="Simulations per LA and measure")
    seed: int = Field(default=2026, description="Seed: same seed, same draws")
    damping_min: float = Field(default=0.8, gt=0, le=1, description="Lowest damping phi")
    damping_max: float = Field(default=0.98, gt=0, le=1, description="Highest damping phi")
    variance_prior_df: float = Field(
        default=4.0, gt=0, description="Weight of the typical residual variance, in degrees of freedom")
    drift: bool = Field(default=True, description="Let growth rates drift (a local level in growth)")
    calibrate: bool = Field(default=True, description="Calibrate the bands on the training years' own errors")
    calibration_prior_errors: float = Field(
        default=4.0, gt=0, description="Weight of the model's own spread (k = 1) in the calibration, in errors")


@dataclass(frozen=True)
class MeasureFit:
    """What the model estimates from every area's training years for one measure."""

    measure: str
    damping: float
    reference_growth: tuple[float, ...]  # England's log growth rates, one per training growth year
    between_variance: float  # tau^2
    within_variance: float  # s^2
    las_used: int
    spread_scale: float = 1.0  # sqrt(k): the calibration of the bands (module docstring)
    drift_variance: float = 0.0  # sigma_eta^2: yearly change of an LA's growth rate (module docstring)


@dataclass(frozen=True)
class LaFit:
    """One LA's training summary for one measure."""

    la_code: str
    measure: str
    last_year: int
    last_value: float
    growth_years: int  # n: training years with a growth deviation from England
    mean_deviation: float
    residual_variance: float  # the LA's own variance of d_t (0 when n < 2)
    growth: tuple[float, ...] = ()  # the LA's own log growth rates r_t, oldest first


@dataclass(frozen=True)
class TotalsForecast:
    """Quantiles (and the draws) of one LA and measure, years after the last training year."""

    la_code: str
    measure: str
    years: tuple[int, ...]
    draws: NDArray[np.float64]  # (draws, horizon)

    def quantile(self, q: float) -> NDArray[np.float64]:
        return np.asarray(np.quantile(self.draws, q, axis=0), dtype=np.float64)


# ---------------------------------------------------------------- histories and growth rates


def contiguous_history(values: Mapping[int, float], last_year: int) -> dict[int, float]:
    """The unbroken run of positive yearly values ending at `last_year` (empty when that year is missing)."""
    out: dict[int, float] = {}
    year = last_year
    while values.get(year) is not None and values[year] > 0:
        out[year] = float(values[year])
        year -= 1
    return dict(sorted(out.items()))


def log_growth(values: Mapping[int, float]) -> dict[int, float]:
    """log(v_t / v_t-1) for every year t whose previous year is present (both positive)."""
    return {y: float(np.log(v / values[y - 1])) for y, v in sorted(values.items())
            if y - 1 in values and v > 0 and values[y - 1] > 0}


def deviations(la_growth: Mapping[int, float], reference_growth: Mapping[int, float]) -> NDArray[np.float64]:
    return np.array([g - reference_growth[y] for y, g in sorted(la_growth.items()) if y in reference_growth])


def damping(reference_growth: Sequence[float], settings: TotalsSettings) -> float:
    """phi = sum R_t R_t-1 / sum R_t-1^2 over consecutive reference growth rates, clipped (module docstring)."""
    r = np.asarray(reference_growth, dtype=np.float64)
    denominator = float((r[:-1] ** 2).sum()) if r.size >= 2 else 0.0
    if denominator <= 0:
        return settings.damping_max
    return float(np.clip((r[1:] * r[:-1]).sum() / denominator, settings.damping_min, settings.damping_max))


def fit_la(la_code: str, measure: str, history: Mapping[int, float],
           reference_growth: Mapping[int, float]) -> LaFit:
    """The LA's deviations from the reference growth over its (contiguous) training history."""
    last_year = max(history)
    d = deviations(log_growth(history), reference_growth)
    own = log_growth(history)
    return LaFit(la_code=la_code, measure=measure, last_year=last_year, last_value=float(history[last_year]),
                 growth_years=int(d.size), mean_deviation=float(d.mean()) if d.size else 0.0,
                 residual_variance=float(d.var(ddof=1)) if d.size >= 2 else 0.0,
                 growth=tuple(own[y] for y in sorted(own)))


def drift_variance(la_fits: Sequence[LaFit]) -> float:
    """sigma_eta^2 of growth rates that drift: r_t = mu_t + e_t, mu_t = mu_t-1 + eta_t (a local level in growth).

    First differences D_t = r_t - r_t-1 have Var(D) = sigma_eta^2 + 2 sigma_e^2 and lag-1 covariance -sigma_e^2,
    so sigma_eta^2 = Var(D) + 2 Cov(D_t, D_t-1) (method of moments pooled over every LA's training years; at
    least 0). Harvey (1989), Forecasting, structural time series models and the Kalman filter, section 2.5.
    """
    squares: list[float] = []
    products: list[float] = []
    for fit in la_fits:
        d = np.diff(np.asarray(fit.growth, dtype=np.float64))
        squares.extend((d ** 2).tolist())
        products.extend((d[1:] * d[:-1]).tolist())
    if not squares or not products:
        return 0.0
    return max(0.0, float(np.mean(squares)) + 2.0 * float(np.mean(products)))


def fit_measure(measure: str, la_fits: Sequence[LaFit], reference_growth: Mapping[int, float],
                settings: TotalsSettings) -> MeasureFit:
    """Damping from the reference series; within- and between-LA variances from every LA's training deviations."""
    growth = [reference_growth[y] for y in sorted(reference_growth)]
    variances = [f.residual_variance for f in la_fits if f.growth_years >= 2]
    within = float(np.median(variances)) if variances else FALLBACK_DEVIATION_VARIANCE
    with_history = [f for f in la_fits if f.growth_years >= 1]
    if len(with_history) >= 3:
        means = np.array([f.mean_deviation for f in with_history])
        noise = float(np.mean([within / f.growth_years for f in with_history]))
        between = max(0.0, float(means.var(ddof=1)) - noise)
    else:
        # Too few LAs to tell signal from noise: trust an LA's own deviation like one more year of history.
        between = within
    return MeasureFit(measure=measure, damping=damping(growth, settings), reference_growth=tuple(growth),
                      between_variance=between, within_variance=within, las_used=len(with_history),
                      drift_variance=drift_variance(la_fits) if settings.drift else 0.0)


def shrinkage_weight(la: LaFit, fit: MeasureFit) -> float:
    """w = tau^2 / (tau^2 + s^2 / n): the weight of the LA's own mean deviation (0 with no history)."""
    if la.growth_years == 0 or fit.between_variance <= 0:
        return 0.0
    return fit.between_variance / (fit.between_variance + fit.within_variance / la.growth_years)


# ---------------------------------------------------------------- simulation


def rng_for(seed: int, la_code: str, measure_index: int) -> np.random.Generator:
    """The LA and measure's own generator: independent of which other LAs are forecast, and of their order."""
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, zlib.crc32(la_code.encode()),
                                                         measure_index]))


def simulate(la: LaFit, fit: MeasureFit, horizon: int, settings: TotalsSettings,
             rng: np.random.Generator) -> NDArray[np.float64]:
    """Draws of the LA's total for the `horizon` years after its last training year, shape (draws, horizon)."""
    n_draws = settings.draws
    reference = np.asarray(fit.reference_growth, dtype=np.float64)
    if reference.size:
        picks = rng.integers(0, reference.size, size=(n_draws, reference.size))
        trend = reference[picks].mean(axis=1)  # bootstrap over England's training-year growth rates
        reference_var = float(reference.var(ddof=1)) if reference.size >= 2 else 0.0
    else:
        trend, reference_var = np.zeros(n_draws), 0.0
    w = shrinkage_weight(la, fit)
    deviation = rng.normal(w * la.mean_deviation, np.sqrt(max((1.0 - w) * fit.between_variance, 0.0)), n_draws)
    own_df = max(la.growth_years - 1, 0)
    df = own_df + settings.variance_prior_df
    residual_var = (own_df * la.residual_variance + settings.variance_prior_df * fit.within_variance) / df
    scaled = residual_var * df / rng.chisquare(df, n_draws)  # scaled inverse chi-square posterior
    shocks = rng.standard_normal((n_draws, horizon)) * np.sqrt(scaled + reference_var)[:, None]
    steps = fit.damping ** np.arange(1, horizon + 1)
    growth = (trend + deviation)[:, None] * steps[None, :] + shocks
    if fit.drift_variance > 0:  # the growth rate itself wanders from the last training year on
        growth += np.cumsum(rng.standard_normal((n_draws, horizon)) * np.sqrt(fit.drift_variance), axis=1)
    levels = np.cumsum(growth, axis=1)
    if fit.spread_scale != 1.0:
        center = np.median(levels, axis=0)
        levels = center + fit.spread_scale * (levels - center)  # calibrated spread, same median
    return np.asarray(la.last_value * np.exp(levels), dtype=np.float64)


def spread_scale(squared_errors: Sequence[float], settings: TotalsSettings) -> float:
    """sqrt(k), k = (sum z^2 + prior) / (n + prior): the mean square standardised error, shrunk towards 1."""
    prior = settings.calibration_prior_errors
    return float(np.sqrt((float(np.sum(squared_errors)) + prior) / (len(squared_errors) + prior)))


def squared_errors(draws: NDArray[np.float64], actuals: Sequence[float]) -> list[float]:
    """z^2 per year: (log actual - mean of log draws)^2 / their variance, for the years with an actual."""
    logs = np.log(np.maximum(draws[:, :len(actuals)], 1e-9))
    mean, sd = logs.mean(axis=0), logs.std(axis=0)
    return [float(((np.log(a) - m) / s) ** 2) for a, m, s in zip(actuals, mean, sd, strict=True) if s > 0]


def forecast_la(la: LaFit, fit: MeasureFit, horizon: int, settings: TotalsSettings,
                measure_index: int) -> TotalsForecast:
    draws = simulate(la, fit, horizon, settings, rng_for(settings.seed, la.la_code, measure_index))
    return TotalsForecast(la_code=la.la_code, measure=la.measure,
                          years=tuple(la.last_year + h for h in range(1, horizon + 1)), draws=draws)


# ---------------------------------------------------------------- naive baselines


def last_value(history: Mapping[int, float], horizon: int) -> NDArray[np.float64]:
    """The last training value, every year ahead."""
    return np.full(horizon, float(history[max(history)]))


def straight_line(history: Mapping[int, float], horizon: int) -> NDArray[np.float64]:
    """Least-squares line through the training values against the year, extended."""
    years = np.array(sorted(history), dtype=np.float64)
    values = np.array([history[int(y)] for y in years], dtype=np.float64)
    if years.size < 2:
        return last_value(history, horizon)
    slope, intercept = np.polyfit(years, values, 1)
    ahead = years[-1] + np.arange(1, horizon + 1)
    return np.asarray(intercept + slope * ahead, dtype=np.float64)


def compound_growth(history: Mapping[int, float], horizon: int) -> NDArray[np.float64]:
    """The last value grown at the training period's compound annual growth rate (first to last year)."""
    first, last = min(history), max(history)
    if last == first:
        return last_value(history, horizon)
    rate = (history[last] / history[first]) ** (1.0 / (last - first))
    return np.asarray(history[last] * rate ** np.arange(1, horizon + 1), dtype=np.float64)


BASELINES = (("last_value", last_value), ("straight_line", straight_line), ("compound_growth", compound_growth))
