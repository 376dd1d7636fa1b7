"""CLI: `placeplan forecast` (and `forecast backtest`, api/cli/forecast_backtest.py), `placeplan sufficiency` and
`placeplan bench sufficiency` (see api/cli/main.py).

The instance is the newest stored council, or `--stored NAME`, `--file PATH` or `--preset NAME`
(api/cli/instance_source.py). Outputs go to a
folder: the forecast table (CSV) and fan chart (PNG/SVG); the sufficiency cells (CSV), workbook (XLSX), SCAP
forecast (CSV/XLSX) and heatmap (PNG/SVG).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import BarProgress, error_console, solver_bar
from api.cli.forecast_backtest import register_backtest
from api.cli.forecast_returns import register_returns
from api.cli.instance_source import FileOption, LegacyFileOption, PresetOption, StoredOption, resolve_instance
from api.cli.tables import CsvOption, results_console, show_table
from planner.domain.models import Instance

T = TypeVar("T")


def _with_bar(label: str, work: Callable[[BarProgress], T]) -> T:
    with solver_bar(label) as bar:
        return work(bar)


def _load_instance(preset: str | None, instance_file: Path | None, seed: int, stored: str | None = None,
                   console: Console | None = None, legacy_file: Path | None = None) -> Instance:
    """The command's instance: a file, a demo preset, or (default) the newest stored instance (named on stderr)."""
    return resolve_instance(instance_file, preset, seed=seed, stored=stored, legacy_file=legacy_file).instance


def _fail(console: Console, message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(code=2)


# Measured: 1,000 runs x 10 years of the cohort forecast take about 3 s (`placeplan bench sufficiency`, county,
# 3.4 s on the 2-core build machine; demo 2.8 s under load), roughly in proportion to runs x years.
FORECAST_SECONDS_PER_10K_RUN_YEARS = 3.0


def announce_forecast(instance: Instance, runs: int, years: int, then: str = "") -> None:
    """Say up front, on stderr, how long the forecast should take."""
    scale = max(1.0, len(instance.learners) / 20_000)
    expected = FORECAST_SECONDS_PER_10K_RUN_YEARS * runs * years / 10_000 * scale
    Console(stderr=True, highlight=False).print(
        f"forecasting {runs:,} runs x {years} years: about {max(1.0, expected):.0f} s{then} "
        "(fewer --runs is quicker)", soft_wrap=True)


def forecast_command(preset: str | None, instance_file: Path | None, years: int, runs: int, seed: int,
                     out: Path, measure: str, stored: str | None = None, *, legacy_file: Path | None = None,
                     csv_target: str | None = None) -> None:
    from planner.forecast.simulation import MEASURES, forecast
    from planner.io.charts import forecast_fan_chart
    from planner.io.sufficiency_export import rows_to_csv

    console = results_console(csv_target)
    try:
        if measure not in MEASURES:
            raise ValueError(f"--measure must be one of {', '.join(MEASURES)}, got {measure!r}")
        instance = _load_instance(preset, instance_file, seed, stored, legacy_file=legacy_file)
        announce_forecast(instance, runs, years, ", then the charts")
        result = _with_bar("forecast", lambda p: forecast(
            instance, {"horizon_years": years, "runs": runs, "seed": seed}, p))
        out.mkdir(parents=True, exist_ok=True)
        (out / "forecast.csv").write_text(rows_to_csv(result.table()), encoding="utf-8")
        for fmt in ("png", "svg"):
            (out / f"forecast_fan.{fmt}").write_bytes(forecast_fan_chart(result, measure, fmt))
    except ValueError as error:
        raise _fail(console, str(error)) from None
    table = Table(title=f"{instance.name}: forecast learners ({measure}), p50 by year; p10-p90 in the last year")
    table.add_column("need")
    for year in result.years:
        table.add_column(f"{year}/{(year + 1) % 100:02d}", justify="right")
    table.add_column("last p10-p90", justify="right")
    for need, q in sorted(result.totals_by_need(measure).items(), key=lambda kv: -kv[1][1, -1]):
        if q[2].max() > 0:
            table.add_row(need, *[f"{q[1, y]:.0f}" for y in range(len(result.years))],
                          f"{q[0, -1]:.0f}-{q[2, -1]:.0f}")
    # The total's quantiles are those of the runs' totals (not the sum of the needs' quantiles above).
    low, mid, high = (result.total_quantile(q, measure) for q in (0.1, 0.5, 0.9))
    table.add_row("all needs", *[f"{mid[y]:.0f}" for y in range(len(result.years))], f"{low[-1]:.0f}-{high[-1]:.0f}")
    show_table(table, csv_target)
    error_console().print(f"wrote {out}/forecast.csv, forecast_fan.png, forecast_fan.svg "
                  f"({result.runs} runs in {result.wall_seconds:.1f} s)")


def sufficiency_command(preset: str | None, instance_file: Path | None, years: int, runs: int, seed: int,
                        quantile: float, out: Path, stored: str | None = None, *, legacy_file: Path | None = None,
                        csv_target: str | None = None, scenario: str | None = None) -> None:
    from planner.forecast.simulation import forecast
    from planner.io.charts import sufficiency_heatmap
    from planner.io.sufficiency_export import rows_to_csv, scap_rows, scap_workbook, sufficiency_workbook
    from planner.sufficiency import assess_sufficiency

    console = results_console(csv_target)
    try:
        instance = _load_instance(preset, instance_file, seed, stored, legacy_file=legacy_file)
        announce_forecast(instance, runs, years, ", then the sufficiency flow and the workbook (seconds more)")
        params: dict[str, Any] = {"quantile": quantile,
                                  "forecast": {"horizon_years": years, "runs": runs, "seed": seed}}
        if scenario is not None:  # a shipped scenario on this council (its demand levers and journey limits too)
            from scenarios.registry import shipped_run_input

            instance, params = shipped_run_input("sufficiency", scenario, instance, params)
        projection = _with_bar("forecast", lambda p: forecast(instance, params["forecast"], p))
        result = _with_bar("sufficiency", lambda p: assess_sufficiency(instance, projection, params, p))
        out.mkdir(parents=True, exist_ok=True)
        (out / "sufficiency.csv").write_text(rows_to_csv(result.rows), encoding="utf-8")
        (out / "spare_places.csv").write_text(rows_to_csv(result.spare), encoding="utf-8")
        (out / "scap.csv").write_text(rows_to_csv(scap_rows(instance, projection)), encoding="utf-8")
        (out / "scap.xlsx").write_bytes(scap_workbook(instance, projection))
        (out / "sufficiency.xlsx").write_bytes(sufficiency_workbook(instance, projection, result))
        names = {loc.id: loc.name for loc in instance.localities}
        for fmt in ("png", "svg"):
            (out / f"sufficiency_heatmap.{fmt}").write_bytes(sufficiency_heatmap(result, names, fmt))
    except (ValueError, KeyError) as error:
        raise _fail(console, str(error.args[0] if isinstance(error, KeyError) else error)) from None
    label = f"{instance.name} ({scenario})" if scenario else instance.name
    table = Table(title=f"{label}: specialist and AP sufficiency (demand at quantile {quantile})")
    for column in ("year", "demand", "placed in area", "short of capacity", "out of reach", "out of area",
                   "cost GBP m"):
        table.add_column(column, justify="right")
    for t in result.totals_by_year():
        table.add_row(str(t["academic_year"]), str(t["demand"]), str(t["placed_in_area"]),
                      str(t["short_of_capacity"]), str(t["out_of_reach"]), str(t["placed_out_of_area"]),
                      f"{t['cost_gbp'] / 1e6:.1f}")
    show_table(table, csv_target)
    error_console().print(f"wrote {out}/sufficiency.csv, spare_places.csv, sufficiency.xlsx, scap.csv, scap.xlsx, "
                  "sufficiency_heatmap.png, sufficiency_heatmap.svg")


def bench_command(preset: str, seed: int, runs: int, years: int) -> None:
    from planner.forecast.simulation import forecast
    from planner.sufficiency import assess_sufficiency

    console = Console()
    try:
        instance = _load_instance(preset, None, seed)
    except ValueError as error:
        raise _fail(console, str(error)) from None
    console.print(f"{instance.name}: {len(instance.learners)} learners, {len(instance.settings)} settings, "
                  f"{len(instance.localities)} localities")
    started, cpu = time.perf_counter(), time.process_time()
    projection = forecast(instance, {"horizon_years": years, "runs": runs, "seed": seed})
    forecast_wall, forecast_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    result = assess_sufficiency(instance, projection, {})
    sufficiency_wall, sufficiency_cpu = time.perf_counter() - started, time.process_time() - cpu
    last = result.totals_by_year()[-1]
    console.print(f"last year {last['academic_year']}: demand {last['demand']}, placed in area "
                  f"{last['placed_in_area']}, short {last['short_of_capacity']}, out of reach "
                  f"{last['out_of_reach']}, out of area {last['placed_out_of_area']}")
    console.print(f"cpu time: forecast {forecast_cpu:.2f} s, sufficiency {sufficiency_cpu:.2f} s "
                  f"(wall time rises when other work shares the cores)")
    typer.echo(f"sufficiency {preset}: runs={runs} years={years} forecast_wall={forecast_wall:.2f} s "
               f"sufficiency_wall={sufficiency_wall:.2f} s")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add `forecast` (with `forecast backtest`), `sufficiency` and `bench sufficiency`."""

    forecast_app = typer.Typer(help="Forecast EHC plan demand (cohort model), or from the DfE published tables; "
                                    "`forecast backtest` scores the published-tables model.")

    @forecast_app.callback(invoke_without_command=True)
    def forecast_cmd(
        ctx: typer.Context,
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        legacy_file: LegacyFileOption = None,
        csv_target: CsvOption = None,
        sen2_tables: Path | None = typer.Option(
            None, help="Folder of the DfE EHC plan tables (caseload.csv, ...): forecast --la-code from them"),
        la_code: str | None = typer.Option(None, help="With --sen2-tables: the LA's new_la_code (e.g. E08000009)"),
        years: int = typer.Option(5, min=1, max=10, help="Years to project"),
        runs: int = typer.Option(1000, min=1, max=20_000, help="Monte Carlo runs"),
        seed: int = typer.Option(2026, help="Random seed (same seed, same forecast)"),
        measure: str = typer.Option("specialist", help="Fan chart of all_plans, specialist or alternative_provision"),
        out: Path = typer.Option(Path("out/forecast"), help="Folder for the CSV and charts"),
    ) -> None:
        """Project EHC plan demand with p10/p50/p90 bands; writes forecast.csv and a fan chart. With --sen2-tables
        and --la-code: the council's totals forecast from the DfE published tables."""
        if ctx.invoked_subcommand is not None:
            return
        if sen2_tables is not None or la_code is not None:
            if sen2_tables is None or la_code is None:
                raise typer.BadParameter("--sen2-tables and --la-code go together")
            from api.cli.forecast_backtest import published_forecast_command

            published_forecast_command(sen2_tables, la_code, years, max(runs, 50), seed, out, csv_target)
            return
        forecast_command(preset, file, years, runs, seed, out, measure, stored, legacy_file=legacy_file,
                         csv_target=csv_target)

    register_backtest(forecast_app)
    register_returns(forecast_app)
    app.add_typer(forecast_app, name="forecast")

    @app.command("sufficiency")
    def sufficiency_cmd(
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        legacy_file: LegacyFileOption = None,
        csv_target: CsvOption = None,
        years: int = typer.Option(5, min=1, max=10, help="Years to assess"),
        runs: int = typer.Option(1000, min=1, max=20_000, help="Monte Carlo runs of the forecast"),
        seed: int = typer.Option(2026, help="Random seed"),
        quantile: float = typer.Option(0.5, min=0.0, max=1.0, help="Forecast quantile used as demand"),
        out: Path = typer.Option(Path("out/sufficiency"), help="Folder for the workbook, CSVs and heatmap"),
        scenario: str | None = typer.Option(None, help="Assess a shipped scenario on this council (placeplan "
                                                       "scenario list) instead of its data as it is"),
    ) -> None:
        """Allocate forecast specialist demand to places year by year; writes the workbook, SCAP and heatmap."""
        sufficiency_command(preset, file, years, runs, seed, quantile, out, stored, legacy_file=legacy_file,
                            csv_target=csv_target, scenario=scenario)

    @bench.command("sufficiency")
    def bench_sufficiency(
        preset: str = typer.Option("county", help="Demo preset"),
        seed: int = typer.Option(2026),
        runs: int = typer.Option(1000, min=1),
        years: int = typer.Option(10, min=1, max=10),
    ) -> None:
        """Time the forecast (1,000 runs, 10 years) and the sufficiency flow for all years."""
        bench_command(preset, seed, runs, years)
