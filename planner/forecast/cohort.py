"""The council's own cohort model from several of its yearly SEN2 returns (person level), with honest bands.

As MastodonC's witan.send does (src/clj/witan/send/params.clj: joiners, leavers and movers per academic year x need
x setting, each a Beta/Dirichlet posterior shrunk towards the pooled rate of its academic year), the transitions
are counted directly from consecutive returns, the same child matched by their pseudonymous id
(planner.io.sen2.history):

- **State** = (NCY, primary need, type of provision) in January of a year. Area is not in the state yet: a council's
  returns hold a few thousand children, too few per NCY x need x type x area (see docs/sufficiency.md).
- **Leavers and movers.** For a child in state (n, g, k) in one return, the outcome a year later is "left" (not in
  the next return) or the type of provision k' in it (at NCY n + 1). The probabilities of the outcomes are a
  Dirichlet posterior: counts plus `prior_pool` pseudo-observations of the pooled row (the same NCY and type, every
  need), itself counts plus `prior_national` pseudo-observations of England's rates (scenarios/data/sen2_trend.yaml
  via planner.forecast.rates.national_arrays: leaving by NCY, moving at and between transfers, destinations by need).
  So small cells lean on the pool and on England, large ones on the council's own history.
- **Plans end at 25.** Everyone in NCY 20 (the year the young person turns 25) leaves: a plan may run to the end of
  that academic year (SEND Code of Practice 2015, 9.200; Children and Families Act 2014 s.46).
- **Joiners.** Children in a return who were not in the previous one, by (NCY, need, type), shrunk to England's
  joiner mix; their yearly number follows a damped trend (log growth) estimated from the council's yearly counts,
  shrunk towards England's new-plan growth (w = n / (n + prior_growth_years) over n growth years) and damped by phi
  from England's series (planner.forecast.totals.damping: lag-1 ratio clipped to [0.8, 0.98]).
- **Parameter uncertainty.** Each of `parameter_sets` sets resamples the training years with replacement (a
  bootstrap over years: transition counts, joiner counts and growth rates), then draws every row of the Dirichlet
  posterior; yearly joiner growth gets a shock of the growth rates' variance (the council's pooled with England's),
  accumulated over the horizon; each run's leaving rates of a year are scaled by exp(N(0, sd^2)), sd the
  council's own year-to-year spread of its leaving rate beyond binomial noise (from three transition years on).
  Each set runs `draws / parameter_sets` Monte Carlo runs (multinomial outcomes,
  Poisson joiners), so bands carry parameter, year-to-year and individual noise and widen with the horizon.

- **Calibrated bands.** `planner.forecast.cohort_calibration.forecast_returns` (used by the backtest in
  `planner.forecast.cohort_backtest`, the CLI and the run kind) spreads each total's draws about their median by the
  factor the training returns' own rolling-origin errors give, as the totals model does.

Totals (all plans, special schools) are summed within each run, so their quantiles are quantiles of totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from planner.domain.codes import NCY_MAX, NCY_MIN, SettingKind
from planner.forecast.rates import KIND_INDEX, N_NCY, G, K, NationalTrend, national_arrays, national_trend
from planner.forecast.totals import TotalsSettings, damping

OUTCOMES = K + 1  # outcomes of a year: 0 = left, 1 + k = in type of provision k a year later
# The published tables' "special schools" (special LA maintained + academy/free + independent + non-maintained).
SPECIAL_SCHOOL_KINDS = tuple(KIND_INDEX[k.value] for k in (SettingKind.SPECIAL, SettingKind.SEMH_SPECIAL,
                                                           SettingKind.INDEPENDENT_SPECIAL))
MEASURES: tuple[str, ...] = ("all_plans", "special_schools")


@dataclass(frozen=True)
class Snapshot:
    """One return: per child with an active plan, pseudonymous id, NCY, need index and kind index (rates.py)."""

    year: int  # the January census year (2025 = the January 2025 return)
    ids: tuple[str, ...]
    ncy: NDArray[np.int64]
    need: NDArray[np.int64]
    kind: NDArray[np.int64]
    left_out: int = 0  # children with an active plan but a problem under the return's rules

    @property
    def modelled(self) -> NDArray[np.bool_]:
        return (self.ncy >= NCY_MIN) & (self.ncy <= NCY_MAX)

    def totals(self) -> dict[str, float]:
        """All plans and special-school plans (children within the modelled NCYs)."""
        m = self.modelled
        return {"all_plans": float(m.sum()),
                "special_schools": float((m & np.isin(self.kind, SPECIAL_SCHOOL_KINDS)).sum())}

    def state_counts(self) -> NDArray[np.int64]:
        x = np.zeros((N_NCY, G, K), dtype=np.int64)
        m = self.modelled
        np.add.at(x, (self.ncy[m] - NCY_MIN, self.need[m], self.kind[m]), 1)
        return x


class CohortSettings(BaseModel):
    """Settings of the cohort model (module docstring); defaults documented in docs/sufficiency.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draws: int = Field(default=1000, ge=20, le=20_000, description="Monte Carlo runs")
    parameter_sets: int = Field(default=100, ge=1, le=2000, description="Bootstrap/posterior parameter draws")
    seed: int = Field(default=2026)
    prior_pool: float = Field(default=10.0, gt=0, description="Pseudo-children of the pooled (all needs) row")
    prior_national: float = Field(default=20.0, gt=0, description="Pseudo-children of England's rates in the pool")
    prior_joiner_mix: float = Field(default=50.0, gt=0, description="Pseudo-joiners of England's joiner mix")
    prior_growth_years: float = Field(default=2.0, gt=0, description="Weight of England's growth, in years")
    calibrate: bool = Field(default=True, description="Calibrate the bands on the training returns' own errors "
                                                      "(planner.forecast.cohort_calibration)")
    calibration_prior_errors: float = Field(
        default=4.0, gt=0, description="Weight of the model's own spread (k = 1) in the calibration, in errors")


@dataclass(frozen=True)
class YearCounts:
    """What one pair of consecutive returns shows: outcomes by state, and joiners by state."""

    year: int  # the later return's census year
    outcomes: NDArray[np.float64]  # (N_NCY, G, K, OUTCOMES)
    joiners: NDArray[np.float64]  # (N_NCY, G, K)


def year_counts(before: Snapshot, after: Snapshot) -> YearCounts:
    """Outcomes of the children in `before` (left, or their type a year later) and the children new in `after`."""
    if after.year != before.year + 1:
        raise ValueError(f"returns {before.year} and {after.year} are not consecutive years")
    where = {pid: i for i, pid in enumerate(after.ids)}
    outcomes = np.zeros((N_NCY, G, K, OUTCOMES))
    m = before.modelled & (before.ncy < NCY_MAX)  # NCY 20 leaves by law: not an estimated rate
    idx = np.array([where.get(pid, -1) for pid in before.ids], dtype=np.int64)
    found = idx >= 0
    outcome = np.where(found, 1 + after.kind[np.where(found, idx, 0)], 0)
    np.add.at(outcomes, (before.ncy[m] - NCY_MIN, before.need[m], before.kind[m], outcome[m]), 1.0)
    known = set(before.ids)
    new = np.array([pid not in known for pid in after.ids], dtype=bool) & after.modelled
    joiners = np.zeros((N_NCY, G, K))
    np.add.at(joiners, (after.ncy[new] - NCY_MIN, after.need[new], after.kind[new]), 1.0)
    return YearCounts(year=after.year, outcomes=outcomes, joiners=joiners)


def national_outcomes(trend: NationalTrend | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """England's outcome probabilities (N_NCY, G, K, OUTCOMES) and joiner shares (N_NCY, G, K) as priors."""
    nat = national_arrays(1, np.ones(1), trend or national_trend())
    prior = np.zeros((N_NCY, G, K, OUTCOMES))
    prior[..., 0] = nat.leave[:, None, None]
    destination = np.concatenate([nat.destination_mix[1:], nat.destination_mix[-1:]])  # by NCY moved into
    prior[..., 1:] = (nat.move[:, None, None, None] * destination[:, :, None, :])
    stay = 1.0 - nat.leave - nat.move
    for k in range(K):
        prior[:, :, k, 1 + k] += stay[:, None]
    joiners = nat.joiners[..., 0][..., None] * nat.joiner_mix
    return prior, joiners / joiners.sum()


@dataclass(frozen=True)
class CohortFit:
    """The training returns reduced to what the model draws its parameters from."""

    last: Snapshot
    years: tuple[YearCounts, ...]
    prior_outcomes: NDArray[np.float64]
    prior_joiners: NDArray[np.float64]
    england_growth: tuple[float, ...]  # log growth of England's new plans a year (DfE newplans, national)
    damping: float
    leave_year_sd: float = 0.0  # sd of a year's log leaving rate beyond binomial noise (leave_year_sd())


def leave_year_sd(years: Sequence[YearCounts]) -> float:
    """How much the council's overall leaving rate moves from year to year beyond chance: the variance of the
    yearly log rates log(L_y / E_y) minus their binomial noise (1 - p) / L_y (delta method), at least 0, from
    three transition years (two give one difference: no estimate)."""
    leavers = np.array([y.outcomes[..., 0].sum() for y in years])
    exposed = np.array([y.outcomes.sum() for y in years])
    if leavers.size < 3 or (leavers <= 0).any():
        return 0.0
    rates = leavers / exposed
    noise = float(np.mean((1.0 - rates) / leavers))
    return float(np.sqrt(max(0.0, float(np.log(rates).var(ddof=1)) - noise)))


@dataclass(frozen=True)
class Parameters:
    """One draw of every parameter: outcome probabilities, joiner shares, joiner level, trend and shock sd."""

    outcomes: NDArray[np.float64]  # (N_NCY, G, K, OUTCOMES), rows sum to 1
    joiner_shares: NDArray[np.float64]  # (N_NCY * G * K,)
    level: float
    trend: float
    shock_sd: float


def fit_cohort(snapshots: Sequence[Snapshot], trend: NationalTrend | None = None) -> CohortFit:
    """Count every pair of consecutive returns (at least two returns, consecutive years)."""
    snaps = sorted(snapshots, key=lambda x: x.year)
    if len(snaps) < 2:
        raise ValueError("the cohort model needs at least two consecutive yearly returns")
    national = trend or national_trend()
    prior_outcomes, prior_joiners = national_outcomes(national)
    # England's new plans by calendar year (DfE newplans.csv); calendar year y is published with the January y + 1
    # census, so a fit on returns up to January T uses the years up to T - 1 only (a backtest reads no later year).
    totals = {y: v for y, v in national.new_plans_total.items() if y <= snaps[-1].year - 1}
    england = tuple(float(np.log(totals[y] / totals[y - 1])) for y in sorted(totals) if y - 1 in totals)
    counts = tuple(year_counts(a, b) for a, b in zip(snaps, snaps[1:], strict=False))
    return CohortFit(last=snaps[-1], years=counts,
                     prior_outcomes=prior_outcomes, prior_joiners=prior_joiners, england_growth=england,
                     damping=damping(england, TotalsSettings()), leave_year_sd=leave_year_sd(counts))


def _dirichlet(rng: np.random.Generator, alpha: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows of Dirichlet(alpha) along the last axis (zero alphas give zero shares)."""
    g = rng.standard_gamma(alpha)
    total = g.sum(axis=-1, keepdims=True)
    return np.asarray(np.where(total > 0, g / np.where(total > 0, total, 1.0), alpha / alpha.sum(-1, keepdims=True)))


def draw_parameters(fit: CohortFit, settings: CohortSettings, rng: np.random.Generator) -> Parameters:
    """A bootstrap over training years, then a posterior draw of every row (module docstring)."""
    n = len(fit.years)
    weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
    counts = sum((w * y.outcomes for w, y in zip(weights, fit.years, strict=True)), np.zeros((N_NCY, G, K, OUTCOMES)))
    pooled = counts.sum(axis=1, keepdims=True)  # every need at the same NCY and type
    pool = (pooled + settings.prior_national * fit.prior_outcomes) / (
        pooled.sum(-1, keepdims=True) + settings.prior_national)
    outcomes = _dirichlet(rng, counts + settings.prior_pool * pool)
    outcomes[-1] = 0.0
    outcomes[-1, ..., 0] = 1.0  # NCY 20: the plan ends (the year the young person turns 25)
    joined = sum((w * y.joiners for w, y in zip(weights, fit.years, strict=True)), np.zeros((N_NCY, G, K)))
    shares = _dirichlet(rng, (joined + settings.prior_joiner_mix * fit.prior_joiners).reshape(-1))
    level, trend, shock_sd = _joiner_path(fit, settings, rng)
    return Parameters(outcomes=outcomes, joiner_shares=shares, level=level, trend=trend, shock_sd=shock_sd)


def _joiner_path(fit: CohortFit, settings: CohortSettings, rng: np.random.Generator) -> tuple[float, float, float]:
    """Level (new plans in the last training year, from the trend line), damped trend and shock sd of one draw."""
    yearly = np.array([y.joiners.sum() for y in fit.years])
    own = np.log(yearly[1:] / yearly[:-1]) if (yearly > 0).all() else np.zeros(0)
    england = np.asarray(fit.england_growth)
    boot_england = float(rng.choice(england, england.size).mean()) if england.size else 0.0
    boot_own = float(rng.choice(own, own.size).mean()) if own.size else 0.0
    w = own.size / (own.size + settings.prior_growth_years)
    trend = w * boot_own + (1.0 - w) * boot_england
    # Each year's count brought to the last year's level along the trend (a growing series' mean lags it).
    ages = np.arange(yearly.size)[::-1]
    picks = rng.integers(0, yearly.size, yearly.size)
    level = float((yearly * np.exp(trend * ages))[picks].mean())
    england_var = float(england.var(ddof=1)) if england.size >= 2 else 0.0
    own_var = float(own.var(ddof=1)) if own.size >= 2 else 0.0
    dof = max(own.size - 1, 0)
    prior_dof = max(england.size - 1, 1)
    shock_var = (dof * own_var + prior_dof * england_var) / (dof + prior_dof)
    return level, trend, float(np.sqrt(shock_var))


@dataclass(frozen=True)
class CohortForecast:
    """Draws of each measure's total, shape (draws, horizon), for the years after the last return."""

    base_year: int
    years: tuple[int, ...]
    draws: dict[str, NDArray[np.float64]]

    def quantiles(self, measure: str, qs: Sequence[float] = (0.1, 0.5, 0.9)) -> NDArray[np.float64]:
        """(len(qs), horizon): quantiles over runs of the total (never a sum of cell quantiles)."""
        return np.asarray(np.quantile(self.draws[measure], qs, axis=0), dtype=np.float64)


def _advance(rng: np.random.Generator, x: NDArray[np.int64], outcomes: NDArray[np.float64],
             leave_factor: NDArray[np.float64] | None = None) -> NDArray[np.int64]:
    """One year for runs x[run, NCY, need, kind]: multinomial outcomes per occupied state, then ageing a year.
    `leave_factor` (per run) scales that year's leaving probabilities, the other outcomes sharing the rest."""
    runs = x.shape[0]
    flat = x.reshape(runs, -1)
    occupied = np.flatnonzero(flat.sum(axis=0))
    p = np.broadcast_to(outcomes.reshape(-1, OUTCOMES)[occupied], (runs, occupied.size, OUTCOMES)).copy()
    if leave_factor is not None:
        leave = np.minimum(p[..., 0] * leave_factor[:, None], 1.0)
        rest = np.where(p[..., 0] < 1.0, (1.0 - leave) / np.maximum(1.0 - p[..., 0], 1e-12), 0.0)
        p[..., 1:] *= rest[..., None]
        p[..., 0] = leave
    drawn = rng.multinomial(flat[:, occupied], p / p.sum(-1, keepdims=True))  # (runs, occupied, OUTCOMES)
    full = np.zeros((runs, N_NCY * G * K, OUTCOMES), dtype=np.int64)
    full[:, occupied] = drawn
    full = full.reshape(runs, N_NCY, G, K, OUTCOMES)
    nxt = np.zeros_like(x)
    nxt[:, 1:] = full[:, :-1, :, :, 1:].sum(axis=3)  # stayed: one NCY older, in the type drawn
    return nxt


def simulate_cohort(fit: CohortFit, horizon: int, settings: CohortSettings | None = None) -> CohortForecast:
    """`settings.draws` runs of the caseload `horizon` years after the last return (module docstring)."""
    settings = settings or CohortSettings()
    sets = min(settings.parameter_sets, settings.draws)
    per_set = np.diff(np.linspace(0, settings.draws, sets + 1).round().astype(int))
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(settings.seed).spawn(sets)]
    base = fit.last.state_counts()
    special = np.isin(np.arange(K), SPECIAL_SCHOOL_KINDS)
    out = {m: np.zeros((settings.draws, horizon)) for m in MEASURES}
    first = 0
    for rng, runs in zip(rngs, per_set, strict=True):
        params = draw_parameters(fit, settings, rng)
        x = np.repeat(base[None], runs, axis=0)
        log_growth = np.zeros(runs)
        for h in range(horizon):
            factor = np.exp(rng.normal(0.0, fit.leave_year_sd, runs)) if fit.leave_year_sd > 0 else None
            x = _advance(rng, x, params.outcomes, factor)
            log_growth += params.trend * fit.damping ** (h + 1) + rng.normal(0.0, params.shock_sd, runs)
            new = rng.poisson(params.level * np.exp(log_growth))
            x += rng.multinomial(new, params.joiner_shares).reshape(runs, N_NCY, G, K)
            out["all_plans"][first:first + runs, h] = x.sum(axis=(1, 2, 3))
            out["special_schools"][first:first + runs, h] = x[..., special].sum(axis=(1, 2, 3))
        first += runs
    return CohortForecast(base_year=fit.last.year,
                          years=tuple(fit.last.year + h for h in range(1, horizon + 1)), draws=out)
