"""Backtest (and forecast) of the totals model on the DfE published SEN2 tables, LA by LA.

`backtest_published(folder, train_to=2022, horizon=3)` reads the census years up to `train_to` only, fits the
totals model (planner.forecast.totals) on them, then reads the years `train_to + 1 .. train_to + horizon` for the
actual totals and scores the p10/p50/p90 against them and against the naive baselines. `forecast_published` fits on
every year in the tables and forecasts beyond the last.

The per-LA simulations are independent (each LA and measure has its own seeded generator), so they are handed to a
`mapper` in chunks: the default runs them here; the CLI passes a Dask one when PLACEPLAN_DASK_SCHEDULER is set, and
the answers are identical.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from planner.domain.models import Instance
from planner.forecast.published import (
    MEASURES,
    AreaSeries,
    PublishedTables,
    available_years,
    read_caseload,
    restrict,
    tables_from_areas,
)
from planner.forecast.totals import (
    BASELINES,
    LaFit,
    MeasureFit,
    TotalsSettings,
    contiguous_history,
    fit_la,
    fit_measure,
    forecast_la,
    log_growth,
    spread_scale,
    squared_errors,
)
from planner.solving.progress import Progress

T = TypeVar("T")
R = TypeVar("R")
Mapper = Callable[[Callable[[T], R], Sequence[T]], list[R]]
Task = tuple[LaFit, MeasureFit, int]  # an LA's fit, its measure's fit, the measure's index
Quantiles = tuple[str, str, tuple[float, ...], tuple[float, ...], tuple[float, ...]]  # la, measure, p10, p50, p90
SUMMARY_HORIZONS = (1, 2, 3)  # the summary line's ape_p50_h1..h3 (the contract in docs/sufficiency.md)
CHUNK_TASKS = 64


def local_mapper(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [function(item) for item in items]


@dataclass(frozen=True)
class FittedTables:
    """The model fitted on one folder's training years: per measure, and per LA x measure."""

    train_to: int
    measures: Mapping[str, MeasureFit]
    las: Mapping[tuple[str, str], LaFit]  # (la_code, measure)
    histories: Mapping[tuple[str, str], Mapping[int, float]]
    names: Mapping[str, str]
    short: tuple[str, ...]  # LAs without two training years for every measure


def fit_tables(tables: PublishedTables, train_to: int, settings: TotalsSettings) -> FittedTables:
    """Fit every measure on the training years of every LA in the tables (England is the reference)."""
    if tables.national is None:
        raise ValueError("the tables have no England (National) row: the totals model shrinks towards it")
    if max(tables.years) > train_to:
        raise ValueError(f"fit_tables was given years after {train_to}")
    measures: dict[str, MeasureFit] = {}
    las: dict[tuple[str, str], LaFit] = {}
    histories: dict[tuple[str, str], Mapping[int, float]] = {}
    short: set[str] = set()
    for measure in MEASURES:
        reference = log_growth(contiguous_history(tables.national.values.get(measure, {}), train_to))
        fits = []
        for area in tables.local_authorities:
            history = contiguous_history(area.values.get(measure, {}), train_to)
            if len(history) < 2:
                short.add(area.code)
                continue
            histories[(area.code, measure)] = history
            fits.append(fit_la(area.code, measure, history, reference))
        measures[measure] = fit_measure(measure, fits, reference, settings)
        las.update({(f.la_code, measure): f for f in fits})
    if settings.calibrate:
        errors = inner_errors(tables, train_to, settings)
        measures = {m: replace(f, spread_scale=spread_scale(errors[m], settings)) for m, f in measures.items()}
    names = {a.code: a.name for a in tables.local_authorities}
    return FittedTables(train_to=train_to, measures=measures, las=las, histories=histories, names=names,
                        short=tuple(sorted(short)))


def inner_errors(tables: PublishedTables, train_to: int, settings: TotalsSettings) -> dict[str, list[float]]:
    """Squared standardised errors of the uncalibrated model refitted at every earlier origin inside the training
    years and scored on the later training years (planner.forecast.totals: "Bands calibrated ...")."""
    plain = settings.model_copy(update={"calibrate": False})
    out: dict[str, list[float]] = {m: [] for m in MEASURES}
    for origin in sorted(tables.years):
        before = [y for y in tables.years if y <= origin]
        ahead = list(range(origin + 1, train_to + 1))
        if origin >= train_to or len(before) < 3:
            continue
        inner = fit_tables(restrict(tables, before), origin, plain)
        for (code, measure), la in inner.las.items():
            values = [tables.la(code).value(measure, y) for y in ahead]
            actuals = [float(v) for v in values if v is not None and v > 0]
            if len(actuals) < len(ahead) or la.last_year != origin:
                continue
            draws = forecast_la(la, inner.measures[measure], len(ahead), plain, MEASURES.index(measure)).draws
            out[measure].extend(squared_errors(draws, actuals))
    return out


def forecast_chunk(tasks: Sequence[Task], horizon: int, settings: TotalsSettings) -> list[Quantiles]:
    """p10/p50/p90 per year for a chunk of (LA, measure) tasks; a plain function so Dask workers can run it."""
    out: list[Quantiles] = []
    for la, fit, index in tasks:
        result = forecast_la(la, fit, horizon, settings, index)
        p10, p50, p90 = (tuple(float(v) for v in row) for row in np.quantile(result.draws, [0.1, 0.5, 0.9], axis=0))
        out.append((la.la_code, la.measure, p10, p50, p90))
    return out


def run_tasks(fitted: FittedTables, la_codes: Sequence[str], horizon: int, settings: TotalsSettings,
              mapper: Mapper[Any, Any] | None = None) -> dict[tuple[str, str], Quantiles]:
    tasks: list[Task] = [(fitted.las[(code, m)], fitted.measures[m], i)
                         for code in la_codes for i, m in enumerate(MEASURES)]
    chunks = [tasks[i:i + CHUNK_TASKS] for i in range(0, len(tasks), CHUNK_TASKS)]
    results = (mapper or local_mapper)(_ChunkRunner(horizon, settings), chunks)
    return {(q[0], q[1]): q for chunk in results for q in chunk}


@dataclass(frozen=True)
class _ChunkRunner:
    """forecast_chunk with its horizon and settings bound (picklable, unlike a lambda)."""

    horizon: int
    settings: TotalsSettings

    def __call__(self, tasks: Sequence[Task]) -> list[Quantiles]:
        return forecast_chunk(tasks, self.horizon, self.settings)


# ---------------------------------------------------------------- the backtest


@dataclass(frozen=True)
class BacktestRow:
    la_code: str
    la_name: str
    measure: str
    year: int
    horizon: int
    actual: float
    p10: float
    p50: float
    p90: float
    baselines: Mapping[str, float] = field(default_factory=dict)

    def csv_row(self) -> dict[str, Any]:
        return {"la_code": self.la_code, "la_name": self.la_name, "measure": self.measure, "year": self.year,
                "actual": int(round(self.actual)), "p10": round(self.p10, 1), "p50": round(self.p50, 1),
                "p90": round(self.p90, 1)}


CSV_COLUMNS = ("la_code", "la_name", "measure", "year", "actual", "p10", "p50", "p90")


@dataclass(frozen=True)
class BacktestResult:
    train_to: int
    horizon: int
    rows: tuple[BacktestRow, ...]
    las: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (la_code, reason)
    measure_fits: Mapping[str, MeasureFit]

    def ape(self, h: int, measure: str | None = None, baseline: str | None = None) -> float | None:
        """Median absolute percentage error (%) at horizon h of the p50 (or of a baseline)."""
        values = [abs((r.baselines[baseline] if baseline else r.p50) - r.actual) / r.actual * 100.0
                  for r in self.rows if r.horizon == h and (measure is None or r.measure == measure) and r.actual > 0]
        return float(np.median(values)) if values else None

    def coverage(self, measure: str | None = None) -> float | None:
        """Share (%) of LA x measure x year cells whose actual lies in [p10, p90]."""
        cells = [r.p10 <= r.actual <= r.p90 for r in self.rows if measure is None or r.measure == measure]
        return 100.0 * float(np.mean(cells)) if cells else None

    def summary_line(self, measure: str | None = None) -> str:
        """`backtest: las=N horizon=H ape_p50_h1=..% ape_p50_h2=..% ape_p50_h3=..% coverage_p10_p90=..%
        cagr_ape_p50_h3=..%` over every measure (or one)."""
        apes = " ".join(f"ape_p50_h{h}={_pct(self.ape(h, measure))}" for h in SUMMARY_HORIZONS)
        return (f"backtest: las={len(self.las)} horizon={self.horizon} {apes} "
                f"coverage_p10_p90={_pct(self.coverage(measure))} "
                f"cagr_ape_p50_h3={_pct(self.ape(3, measure, 'compound_growth'))}")

    def measures_line(self) -> str:
        """The second summary line: per measure, p10-p90 coverage and the h3 (or last horizon) median APE of the
        p50 and of compound growth: `backtest_by_measure: all_plans coverage_p10_p90=..% ape_p50_h3=..%
        cagr_ape_p50_h3=..% special_schools ...`."""
        h = min(3, self.horizon)
        parts = [f"{m} coverage_p10_p90={_pct(self.coverage(m))} ape_p50_h{h}={_pct(self.ape(h, m))} "
                 f"cagr_ape_p50_h{h}={_pct(self.ape(h, m, 'compound_growth'))}" for m in MEASURES]
        return "backtest_by_measure: " + " ".join(parts)

    def measure_table(self) -> list[dict[str, Any]]:
        """Per measure and method (model p50 and each baseline): median APE by horizon, and the coverage."""
        out = []
        for measure in MEASURES:
            for method in ("model_p50", *(name for name, _ in BASELINES)):
                baseline = None if method == "model_p50" else method
                out.append({"measure": measure, "method": method,
                            **{f"h{h}": self.ape(h, measure, baseline) for h in range(1, self.horizon + 1)},
                            "coverage_p10_p90": self.coverage(measure) if baseline is None else None})
        return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _actuals(area: AreaSeries, measure: str, years: Sequence[int]) -> list[float] | None:
    values = [area.value(measure, y) for y in years]
    return None if any(v is None or v <= 0 for v in values) else [float(v) for v in values if v is not None]


def backtest_published(folder: Path, train_to: int, horizon: int, la_codes: Sequence[str] | None = None,
                       settings: TotalsSettings | None = None, mapper: Mapper[Any, Any] | None = None
                       ) -> BacktestResult:
    """Fit on census years <= train_to of `folder`, forecast train_to+1..train_to+horizon, score against it."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    years_in = available_years(folder)
    if train_to not in years_in:
        raise ValueError(f"--train-to {train_to}: the tables hold census years {', '.join(map(str, years_in))}")
    training = read_caseload(folder, [y for y in years_in if y <= train_to])
    later = read_caseload(folder, [train_to + h for h in range(1, horizon + 1)])  # actuals, used only to score
    return backtest_tables(training, later, train_to, horizon, la_codes, settings, mapper)


def backtest_tables(training: PublishedTables, later: PublishedTables, train_to: int, horizon: int,
                    la_codes: Sequence[str] | None = None, settings: TotalsSettings | None = None,
                    mapper: Mapper[Any, Any] | None = None) -> BacktestResult:
    """Fit on `training` (years <= train_to only), forecast `horizon` years, score against `later`'s values."""
    settings = settings or TotalsSettings()
    fitted = fit_tables(training, train_to, settings)
    future = [train_to + h for h in range(1, horizon + 1)]
    wanted = list(la_codes) if la_codes else [a.code for a in training.local_authorities]
    known = {a.code for a in training.local_authorities} | {a.code for a in later.local_authorities}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(f"LA code(s) not in the tables: {', '.join(unknown)} (use new_la_code, e.g. E08000009)")
    scored, skipped, actuals = _select(fitted, later, wanted, future)
    quantiles = run_tasks(fitted, scored, horizon, settings, mapper)
    rows = []
    for code in scored:
        for measure in MEASURES:
            q = quantiles[(code, measure)]
            history = fitted.histories[(code, measure)]
            base = {name: function(history, horizon) for name, function in BASELINES}
            for h, year in enumerate(future):
                rows.append(BacktestRow(la_code=code, la_name=fitted.names.get(code, ""), measure=measure, year=year,
                                        horizon=h + 1, actual=actuals[(code, measure)][h], p10=q[2][h], p50=q[3][h],
                                        p90=q[4][h], baselines={k: float(v[h]) for k, v in base.items()}))
    return BacktestResult(train_to=train_to, horizon=horizon, rows=tuple(rows), las=tuple(scored),
                          skipped=tuple(skipped), measure_fits=fitted.measures)


def _select(fitted: FittedTables, later: PublishedTables, wanted: Sequence[str], future: Sequence[int]
            ) -> tuple[list[str], list[tuple[str, str]], dict[tuple[str, str], list[float]]]:
    """The LAs with two training years and every actual, for every measure; the others with the reason."""
    scored: list[str] = []
    skipped: list[tuple[str, str]] = []
    actuals: dict[tuple[str, str], list[float]] = {}
    later_by_code = {a.code: a for a in later.local_authorities}
    for code in wanted:
        if any((code, m) not in fitted.las for m in MEASURES):
            skipped.append((code, f"fewer than 2 training years up to {fitted.train_to}"))
            continue
        area = later_by_code.get(code)
        values = {m: _actuals(area, m, future) if area is not None else None for m in MEASURES}
        if any(v is None for v in values.values()):
            skipped.append((code, f"a value missing in {future[0]}..{future[-1]}"))
            continue
        scored.append(code)
        actuals.update({(code, m): v for m, v in values.items() if v is not None})
    return scored, skipped, actuals


# ---------------------------------------------------------------- forecast of one council


@dataclass(frozen=True)
class PublishedForecast:
    la_code: str
    la_name: str
    last_year: int
    years: tuple[int, ...]
    history: Mapping[str, Mapping[int, float]]
    quantiles: Mapping[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]]  # measure -> p10/50/90
    measure_fits: Mapping[str, MeasureFit]


def forecast_published(folder: Path, la_code: str, horizon: int, settings: TotalsSettings | None = None
                       ) -> PublishedForecast:
    """Fit on every census year in `folder`'s tables and forecast `horizon` years after the last, for one LA."""
    return forecast_tables(read_caseload(folder, available_years(folder)), la_code, horizon, settings)


def forecast_tables(tables: PublishedTables, la_code: str, horizon: int, settings: TotalsSettings | None = None
                    ) -> PublishedForecast:
    """Fit on every year of `tables` and forecast `horizon` years after the last, for one LA."""
    settings = settings or TotalsSettings()
    area = tables.la(la_code)
    last = max(tables.years)
    fitted = fit_tables(tables, last, settings)
    if any((la_code, m) not in fitted.las for m in MEASURES):
        raise ValueError(f"{la_code}: needs at least two consecutive census years up to {last} for every measure")
    quantiles = run_tasks(fitted, [la_code], horizon, settings)
    return PublishedForecast(
        la_code=la_code, la_name=area.name, last_year=last, years=tuple(last + h for h in range(1, horizon + 1)),
        history={m: fitted.histories[(la_code, m)] for m in MEASURES},
        quantiles={m: (quantiles[(la_code, m)][2], quantiles[(la_code, m)][3], quantiles[(la_code, m)][4])
                   for m in MEASURES},
        measure_fits=fitted.measures)


def own_backtest(tables: PublishedTables, la_code: str, settings: TotalsSettings | None = None,
                 years_back: int = 3) -> BacktestResult:
    """The model's error for one LA on its own last `years_back` years: fit on the years before, score on them."""
    train_to = max(tables.years) - years_back
    training = restrict(tables, [y for y in tables.years if y <= train_to])
    later = restrict(tables, [y for y in tables.years if y > train_to])
    return backtest_tables(training, later, train_to, years_back, [la_code], settings)


def own_backtest_summary(check: BacktestResult | None) -> dict[str, Any] | None:
    """What the dashboard says beside the fan (api/web/static/forecast.js): the model's median absolute percentage
    error of the p50 at the last horizon for each measure, the last training year and the years scored."""
    if check is None or not check.las:
        return None
    return {"train_to": check.train_to, "horizon": check.horizon,
            "tested_years": [check.train_to + h for h in range(1, check.horizon + 1)],
            "ape_p50": {m: check.ape(check.horizon, m) for m in MEASURES},
            "coverage_p10_p90": {m: check.coverage(m) for m in MEASURES},
            "rows": [{"measure": r.measure, "year": r.year, "actual": r.actual, "p10": r.p10, "p50": r.p50,
                      "p90": r.p90} for r in check.rows]}


def run_published_forecast(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run-kind entry point (api/run_kinds.py, `published_forecast`): a council's totals forecast from the
    published tables' totals passed in `parameters`, with its own 3-year backtest error beside it.

    parameters: `la_code` (new_la_code), `areas` (England and LAs as `planner.forecast.published.tables_from_areas`
    takes them; more LAs estimate the shrinkage better), optional `horizon_years` (default 5), `draws`, `seed`.
    The instance is not read (its name is echoed): the published tables are the input.
    """
    la_code = str(parameters.get("la_code", ""))
    areas = parameters.get("areas")
    if not la_code or not isinstance(areas, list):
        raise ValueError("parameters: la_code and areas (England and the LA's yearly totals) are required")
    horizon = int(parameters.get("horizon_years", 5))
    settings = TotalsSettings(draws=int(parameters.get("draws", 1000)), seed=int(parameters.get("seed", 2026)))
    tables = tables_from_areas(areas)
    progress.report(0.1, "tables read")
    result = forecast_tables(tables, la_code, horizon, settings)
    check = own_backtest(tables, la_code, settings) if len(tables.years) >= 5 else None
    progress.report(1.0, "forecast done")
    return {
        "status": "ok",
        "statistics": {"draws": settings.draws, "years": horizon, "instance": instance.name},
        "la_code": la_code, "la_name": result.la_name, "last_year": result.last_year, "years": list(result.years),
        "forecast": {m: {"p10": list(q[0]), "p50": list(q[1]), "p90": list(q[2])} for m, q in result.quantiles.items()},
        "history": {m: {str(y): v for y, v in h.items()} for m, h in result.history.items()},
        "backtest_ape_p50_h3": ({m: check.ape(3, m) for m in MEASURES} if check is not None and check.las else None),
        "backtest": own_backtest_summary(check),
        "model": {m: {"damping": f.damping, "between_variance": f.between_variance,
                      "within_variance": f.within_variance, "las_used": f.las_used,
                      "spread_scale": f.spread_scale}
                  for m, f in result.measure_fits.items()},
    }
