"""`placeplan forecast returns` and `placeplan forecast backtest-returns`: the council's own cohort model from
several of its yearly SEN2 returns (planner.forecast.cohort), and its out-of-sample backtest.

The returns are given with `--sen2-returns` (repeat it, or name a folder holding one zip/XML/folder per year);
types of provision come from the council's GIAS extract (`--gias`, with `--la-code` for its own establishments).
Children are matched across years by the same pseudonym the SEN2 import uses (the council's key from the settings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import error_console, fresh_settings, print_error
from api.cli.tables import print_fitted
from planner.io.cells import SafeDictWriter


def _snapshots(console: Console, returns: list[Path], gias: Path, la_code: str | None) -> list[Any]:
    from planner.io.gias import read_gias
    from planner.io.report import ImportValidationError
    from planner.io.sen2.history import read_returns, return_sources

    try:
        settings = read_gias(gias, la_code=la_code, skip_invalid=True).settings
        snapshots = read_returns(return_sources(returns), settings, fresh_settings().resolved_pseudonym_key())
    except (ImportValidationError, ValueError, OSError) as error:
        print_error(str(error))
        raise typer.Exit(code=1) from None
    for snap in snapshots:
        note = f" ({snap.left_out} left out: problems under the return's rules)" if snap.left_out else ""
        error_console().print(f"return January {snap.year}: {len(snap.ids)} children with an active plan{note}")
    return snapshots


def returns_forecast_command(returns: list[Path], gias: Path, la_code: str | None, years: int, draws: int,
                             seed: int, out: Path) -> None:
    """Forecast from the last return, with the model's own backtest (trained two returns earlier) beside it."""
    from planner.forecast.cohort import MEASURES, CohortSettings
    from planner.forecast.cohort_backtest import backtest_returns
    from planner.forecast.cohort_calibration import forecast_returns

    console = Console()
    snapshots = _snapshots(console, returns, gias, la_code)
    settings = CohortSettings(draws=draws, seed=seed)
    try:
        result, _ = forecast_returns(snapshots, years, settings)
    except ValueError as error:
        print_error(str(error))
        raise typer.Exit(code=1) from None
    table = Table(title=f"EHC plans from {len(snapshots)} returns (to January {result.base_year}): p50 and p10-p90")
    table.add_column("January", justify="right")
    for measure in MEASURES:
        table.add_column(f"{measure} p50", justify="right")
        table.add_column("p10-p90", justify="right")
    quantiles = {m: result.quantiles(m) for m in MEASURES}
    rows: list[dict[str, Any]] = []
    for h, year in enumerate(result.years):
        table.add_row(str(year), *[part for m in MEASURES for part in (
            f"{quantiles[m][1, h]:.0f}", f"{quantiles[m][0, h]:.0f}-{quantiles[m][2, h]:.0f}")])
        rows.extend({"measure": m, "year": year, "p10": round(float(quantiles[m][0, h]), 1),
                     "p50": round(float(quantiles[m][1, h]), 1), "p90": round(float(quantiles[m][2, h]), 1)}
                    for m in MEASURES)
    print_fitted(console, table)
    if len(snapshots) >= 4:
        check = backtest_returns(snapshots, snapshots[-3].year, 2, settings)
        console.print(f"This model's 2-year error on your returns (trained to January {check.train_to}): "
                      + ", ".join(f"{m} {100 * (check.ape('p50', 2, m) or 0):.1f}% (compound growth "
                                  f"{100 * (check.ape('compound_growth', 2, m) or 0):.1f}%)" for m in MEASURES))
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "returns_forecast.csv", rows)
    error_console().print(f"wrote {out}/returns_forecast.csv", soft_wrap=True)


def returns_backtest_command(returns: list[Path], gias: Path, la_code: str | None, train_to: int, horizon: int,
                             csv_out: Path | None, draws: int, seed: int) -> None:
    from planner.forecast.cohort import CohortSettings
    from planner.forecast.cohort_backtest import backtest_returns

    console = Console(stderr=True)
    snapshots = _snapshots(console, returns, gias, la_code)
    try:
        result = backtest_returns(snapshots, train_to, horizon, CohortSettings(draws=draws, seed=seed))
    except ValueError as error:
        print_error(str(error))
        raise typer.Exit(code=1) from None
    if csv_out is not None:
        _write(csv_out, [{k: round(v, 1) if isinstance(v, float) else v for k, v in r.__dict__.items()}
                         for r in result.rows])
    typer.echo(result.summary())


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeDictWriter(handle, fieldnames=list(rows[0]) if rows else ["measure"])  # formula-safe cells
        writer.writeheader()
        writer.writerows(rows)


RETURNS_HELP = "A SEN2 return (zip, XML or module-CSV folder), or a folder of them; repeat for more"


def register_returns(forecast_app: typer.Typer) -> None:
    """Add `returns` and `backtest-returns` to the `forecast` group."""

    @forecast_app.command("returns")
    def returns_cmd(
        sen2_returns: list[Path] = typer.Option(..., help=RETURNS_HELP),
        gias: Path = typer.Option(..., help="The council's GIAS extract (types of provision by URN)"),
        la_code: str | None = typer.Option(None, help="The council's LA code in the GIAS extract (e.g. 990)"),
        years: int = typer.Option(5, min=1, max=10, help="Years to project after the last return"),
        draws: int = typer.Option(1000, min=20, max=20_000, help="Monte Carlo runs"),
        seed: int = typer.Option(2026, help="Random seed (same seed, same bands)"),
        out: Path = typer.Option(Path("out/forecast"), help="Folder for returns_forecast.csv"),
    ) -> None:
        """The council's own cohort forecast (joiners, leavers, movers counted from its consecutive returns)."""
        returns_forecast_command(sen2_returns, gias, la_code, years, draws, seed, out)

    @forecast_app.command("backtest-returns")
    def backtest_returns_cmd(
        sen2_returns: list[Path] = typer.Option(..., help=RETURNS_HELP),
        gias: Path = typer.Option(..., help="The council's GIAS extract (types of provision by URN)"),
        la_code: str | None = typer.Option(None, help="The council's LA code in the GIAS extract (e.g. 990)"),
        train_to: int = typer.Option(..., help="Last January return used for fitting"),
        horizon: int = typer.Option(3, min=1, max=10, help="Years forecast after --train-to"),
        csv_out: Path | None = typer.Option(None, "--csv", help="CSV of the scored rows"),
        draws: int = typer.Option(1000, min=20, max=20_000, help="Monte Carlo runs"),
        seed: int = typer.Option(2026, help="Random seed"),
    ) -> None:
        """Fit on the returns up to --train-to only, forecast the later ones, score against them and the
        compound-growth and last-value baselines (one summary line)."""
        returns_backtest_command(sen2_returns, gias, la_code, train_to, horizon, csv_out, draws, seed)
