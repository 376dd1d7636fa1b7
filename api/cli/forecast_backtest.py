"""CLI: `placeplan forecast backtest` and `placeplan forecast --sen2-tables DIR --la-code CODE` (registered by
api/cli/sufficiency.py under the `forecast` group).

Both read the DfE published EHC plan tables (the folder with caseload.csv as downloaded) and run the totals model
(planner.forecast.totals). The backtest contract (relied on by others; keep it):

    placeplan forecast backtest --sen2-tables DIR --train-to YEAR --horizon H [--la-code CODE | --all] --csv OUT

writes `la_code,la_name,measure,year,actual,p10,p50,p90` rows and ends with the line
`backtest: las=N horizon=H ape_p50_h1=..% ape_p50_h2=..% ape_p50_h3=..% coverage_p10_p90=..% cagr_ape_p50_h3=..%`.
With PLACEPLAN_DASK_SCHEDULER set, the per-LA simulations run on that Dask cluster (same answers).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import error_console
from api.cli.tables import results_console, show_table

SCHEDULER_ENV = "PLACEPLAN_DASK_SCHEDULER"  # as scenarios/sweep.py


def dask_mapper(address: str) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    """A mapper that runs each item on the Dask cluster at `address` and returns the answers in order."""

    def mapper(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        from distributed import Client

        with Client(address) as client:
            futures = client.map(function, list(items), pure=False)
            return list(client.gather(futures))

    return mapper


def _fail(console: Console, message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(code=2)


def backtest_command(sen2_tables: Path, train_to: int, horizon: int, la_code: list[str] | None, all_las: bool,
                     csv_out: Path, draws: int, seed: int) -> None:
    from planner.forecast.published_backtest import CSV_COLUMNS, backtest_published
    from planner.forecast.totals import TotalsSettings
    from planner.io.cells import write_dict_csv

    console = Console()
    if bool(la_code) == all_las:
        raise _fail(console, "give either --la-code CODE (repeat for more) or --all")
    address = os.environ.get(SCHEDULER_ENV)
    started = time.perf_counter()
    try:
        result = backtest_published(sen2_tables, train_to, horizon, None if all_las else la_code,
                                    TotalsSettings(draws=draws, seed=seed),
                                    dask_mapper(address) if address else None)
    except (ValueError, KeyError) as error:
        raise _fail(console, str(error).strip("'\"")) from None
    write_dict_csv(csv_out, CSV_COLUMNS, (r.csv_row() for r in result.rows))  # la_code..p90, one row each
    _print_measures(console, result)
    if result.skipped:
        error_console().print(f"skipped {len(result.skipped)} LA(s) with missing values: "
                      + "; ".join(f"{code} ({reason})" for code, reason in result.skipped[:10])
                      + (" ..." if len(result.skipped) > 10 else ""))
    where = f"Dask at {address}" if address else "this machine"
    seconds = time.perf_counter() - started
    error_console().print(f"wrote {csv_out} ({len(result.rows)} rows; {seconds:.1f} s on {where})", soft_wrap=True)
    typer.echo(result.summary_line())
    typer.echo(result.measures_line())


def _print_measures(console: Console, result: Any) -> None:
    table = Table(title=f"Median APE (%) by horizon, trained to January {result.train_to}, {len(result.las)} LAs")
    table.add_column("measure")
    table.add_column("method")
    for h in range(1, result.horizon + 1):
        table.add_column(f"h{h}", justify="right")
    table.add_column("p10-p90 coverage", justify="right")
    for row in result.measure_table():
        cells = [("-" if row[f"h{h}"] is None else f"{row[f'h{h}']:.1f}") for h in range(1, result.horizon + 1)]
        coverage = row["coverage_p10_p90"]
        table.add_row(row["measure"], row["method"], *cells, "" if coverage is None else f"{coverage:.1f}%")
    show_table(table)


def published_forecast_command(sen2_tables: Path, la_code: str, years: int, draws: int, seed: int,
                               out: Path, csv_target: str | None = None) -> None:
    """Forecast one council from the published tables, with its own 3-year backtest error beside it."""
    from planner.forecast.published_backtest import backtest_published, forecast_published
    from planner.forecast.totals import TotalsSettings

    console = results_console(csv_target)
    settings = TotalsSettings(draws=draws, seed=seed)
    try:
        result = forecast_published(sen2_tables, la_code, years, settings)
        check = _own_backtest(sen2_tables, la_code, result.last_year, settings, backtest_published)
    except (ValueError, KeyError) as error:
        raise _fail(console, str(error).strip("'\"")) from None
    table = Table(title=f"{result.la_name} ({la_code}): EHC plans from the DfE tables (to January "
                        f"{result.last_year}), forecast p50 and p10-p90")
    table.add_column("January", justify="right")
    for measure in result.quantiles:
        table.add_column(f"{measure} p50", justify="right")
        table.add_column("p10-p90", justify="right")
    table.add_row(str(result.last_year), *[part for m in result.quantiles
                                           for part in (f"{result.history[m][result.last_year]:.0f}", "(actual)")])
    rows: list[dict[str, Any]] = []
    for h, year in enumerate(result.years):
        table.add_row(str(year), *[part for p10, p50, p90 in result.quantiles.values()
                                   for part in (f"{p50[h]:.0f}", f"{p10[h]:.0f}-{p90[h]:.0f}")])
    for measure, (p10, p50, p90) in result.quantiles.items():
        rows.extend({"la_code": la_code, "la_name": result.la_name, "measure": measure, "year": year,
                     "p10": round(p10[h], 1), "p50": round(p50[h], 1), "p90": round(p90[h], 1)}
                    for h, year in enumerate(result.years))
    show_table(table, csv_target)
    console.print(check)
    out.mkdir(parents=True, exist_ok=True)
    _write_rows(out / "published_forecast.csv", rows)
    console.print(f"wrote {out}/published_forecast.csv")


def _own_backtest(folder: Path, la_code: str, last_year: int, settings: Any, backtest: Any) -> str:
    """"This model's 3-year error for your council was x%": trained to last_year - 3, scored on the last 3."""
    train_to = last_year - 3
    try:
        result = backtest(folder, train_to, 3, [la_code], settings)
    except ValueError as error:
        return f"backtest not available: {error}"
    if not result.las:
        return "backtest not available: " + "; ".join(reason for _, reason in result.skipped)
    parts = [f"{m} {result.ape(3, m):.1f}% (compound growth {result.ape(3, m, 'compound_growth'):.1f}%)"
             for m in ("all_plans", "special_schools")]
    return f"This model's 3-year error for {la_code}, trained to January {train_to}: " + ", ".join(parts)


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    from planner.io.cells import write_dict_csv

    write_dict_csv(path, ["la_code", "la_name", "measure", "year", "p10", "p50", "p90"], rows)


def register_backtest(forecast_app: typer.Typer) -> None:
    """Add `backtest` to the `forecast` group."""

    @forecast_app.command("backtest")
    def backtest_cmd(
        sen2_tables: Path = typer.Option(..., help="Folder of the DfE EHC plan tables (caseload.csv, ...)"),
        train_to: int = typer.Option(..., help="Last January census used for fitting (2022 = time_period 202122)"),
        horizon: int = typer.Option(3, min=1, max=10, help="Years forecast after --train-to"),
        la_code: list[str] | None = typer.Option(None, help="LA new_la_code (e.g. E08000009); repeat for more"),
        all_las: bool = typer.Option(False, "--all", help="Every LA in the tables"),
        csv_out: Path = typer.Option(..., "--csv", help="CSV of la_code,la_name,measure,year,actual,p10,p50,p90"),
        draws: int = typer.Option(1000, min=50, max=20_000, help="Simulations per LA and measure"),
        seed: int = typer.Option(2026, help="Random seed (same seed, same bands)"),
    ) -> None:
        """Fit on the census years up to --train-to only, forecast the next --horizon years, score against the
        tables (median APE by horizon, p10-p90 coverage, the compound-growth baseline)."""
        backtest_command(sen2_tables, train_to, horizon, la_code, all_las, csv_out, draws, seed)
