"""What the commands print: results on stdout, errors and notes on stderr, tables that fit 80 and 120 columns
without cutting a word, `--csv PATH|-`, the unplaced count labelled as such, and how long a command will take."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import typer
from rich.table import Table
from typer.testing import CliRunner

from api.cli.tables import column_blocks, show_table, table_csv


def _lines_fit(text: str, width: int) -> None:
    for line in text.splitlines():
        assert len(line) <= width, line
    assert "…" not in text


def _wide_table() -> Table:
    """Shaped like `scenario compare` before it was transposed: long scenario names, big figures."""
    table = Table(title="totals over the horizon")
    table.add_column("scenario")
    metrics = ["demand", "placed in area", "unmet need", "short of capacity", "out of reach",
               "out of area placements", "out of area cost", "capital spent", "revenue cost"]
    for metric in metrics:
        table.add_column(metric, justify="right")
    for name, base in (("baseline", 1), ("phase2-special-expansion", 2), ("post16-growth", 3)):
        table.add_row(name, *[f"{base * 123_456_789 + i:,}" for i in range(len(metrics))])
    return table


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("transpose", [False, True])
def test_wide_tables_fit_the_terminal_with_every_figure_whole(width: int, transpose: bool,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    show_table(_wide_table(), transpose=transpose, corner="total")
    printed = capsys.readouterr().out
    _lines_fit(printed, width)
    for figure in ("123,456,789", "246,913,586", "370,370,375"):
        assert figure in printed
    assert "phase2-" in printed and "expansion" in printed
    if not transpose:
        assert "(2 of" in printed  # split into blocks of columns, the scenario column repeated in each
        assert printed.count("phase2-special-expansion") >= 2


def test_a_table_that_fits_is_printed_as_built() -> None:
    table = Table("id", "value")
    table.add_row("a", "1")
    assert column_blocks(table, 80) == [table]


def test_csv_of_a_table_drops_markup_and_thousands_separators() -> None:
    table = Table("need", "gap")
    table.add_row("[bold]ASD[/bold]", "[red]+1,234[/red]")
    table.add_row("Sensory (hearing, vision)", "12.5")
    table.add_row("=HYPERLINK(\"http://x\")", "-1..6")
    table.add_row("-", "+cmd")
    rows = list(csv.reader(io.StringIO(table_csv(table))))
    assert rows == [["need", "gap"], ["ASD", "+1234"], ["Sensory (hearing, vision)", "12.5"],
                    ["'=HYPERLINK(\"http://x\")", "'-1..6"], ["-", "'+cmd"]]  # planner.io.cells: not a number


def test_place_labels_the_unplaced_count_and_counts_the_reasons(app: typer.Typer, runner: CliRunner,
                                                                data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["place", "--round", "2027", "--preset", "demo", "--csv", "-"])
    assert result.exit_code == 0, result.output
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(result.stdout))}  # stdout is only the CSV
    assert rows["figure"] == "value"
    placed, unplaced = int(rows["placed"]), int(rows["unplaced"])
    assert int(rows["learners in the round"]) == placed + unplaced and unplaced > 0
    reasons = {label: int(count) for label, count in rows.items() if label.startswith("unplaced: ")}
    assert sum(reasons.values()) == unplaced and len(reasons) >= 2
    assert int(rows["objective: unplaced learners (rule 'placed')"]) == unplaced
    assert "using demo preset 'demo'" in result.stderr and "status=OPTIMAL" in result.stderr
    shown = runner.invoke(app, ["place", "--round", "2027", "--preset", "demo", "--csv", str(tmp_path / "p.csv")])
    assert f"unplaced{' ' * 3}" in shown.stdout.replace("│", " ") and "status=OPTIMAL" in shown.stdout
    assert (tmp_path / "p.csv").read_text().startswith("figure,value\n")


@pytest.mark.slow
def test_scenario_compare_is_readable_at_80_columns(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, ["scenario", "compare", "baseline", "phase2-special-expansion", "--preset", "demo",
                                 "--csv", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    _lines_fit(result.stdout, 80)
    assert "phase2-" in result.stdout and "special-" in result.stdout and "revenue cost" in result.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text())))
    assert {row["scenario"] for row in rows} == {"baseline", "phase2-special-expansion"}
    demand = sum(float(row["demand"]) for row in rows if row["scenario"] == "baseline")
    assert f"{demand:,.0f}" in result.stdout  # the table's total is the CSV's years summed


@pytest.mark.slow
def test_long_commands_say_up_front_how_long_they_take(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                       tmp_path: Path) -> None:
    forecast = runner.invoke(app, ["forecast", "--preset", "demo", "--runs", "1500", "--years", "1",
                                   "--out", str(tmp_path / "f")])
    assert forecast.exit_code == 0, forecast.output
    assert "forecasting 1,500 runs x 1 years: about 1 s" in forecast.stderr
    optimise = runner.invoke(app, ["scenario", "optimise", "--preset", "demo", "--time-limit", "1", "--runs", "10",
                                   "--years", "2", "--candidates", "3", "--draws", "0", "--no-marginal",
                                   "--no-frontier"])
    assert optimise.exit_code == 0, optimise.output
    assert "optimising after a forecast: up to 1.1 s in all (--time-limit 1 s covers the main solve)\n" \
        in optimise.stderr
    assert "expansion demo: projects=3" in optimise.stdout


def test_the_optimiser_announces_one_limit_for_the_whole_call(capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli.scenarios import announce_optimise

    # --time-limit is a wall-clock limit for the whole call (planner/expansion), frontier and draws included.
    announce_optimise(60, frontier=True, marginal=True, draws=10)
    assert " ".join(capsys.readouterr().err.split()) == (
        "optimising after a forecast: up to 66 s in all (--time-limit 60 s covers the main solve and the budget "
        "frontier, marginal values, 10 forecast draws)")


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "is empty: nothing to import"),
    (b"\n \n", "is empty: nothing to import"),
    (None, "has a header row and no records: nothing to import"),
    (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504, "this is an Excel file (XLS); save it as CSV"),
    (b"\xff\xfeU\x00R\x00N\x00", "this is not a CSV text file"),
])
def test_imports_refuse_empty_header_only_and_binary_files_in_one_line(
        app: typer.Typer, runner: CliRunner, data_dir: Path, cli_data: Path, tmp_path: Path,
        content: bytes | None, reason: str) -> None:
    path = tmp_path / "edubase.csv"
    header = (cli_data / "gias_small.csv").read_bytes().splitlines(keepends=True)[0]
    path.write_bytes(header if content is None else content)
    result = runner.invoke(app, ["import", "gias", str(path), "--instance", "Testshire"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and reason in result.stderr
    listed = runner.invoke(app, ["instances", "list", "--csv", "-"])
    assert listed.stdout.splitlines()[1:] == []  # nothing stored, so nothing became the default council


def test_an_excel_workbook_given_as_csv_is_named_as_such(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                         cli_data: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in csv.reader(io.StringIO((cli_data / "gias_small.csv").read_text(encoding="utf-8-sig"))):
        workbook.active.append(row)
    saved = tmp_path / "edubase.csv"  # saved from Excel as .xlsx, renamed
    workbook.save(saved)
    for command in (["import", "gias"], ["import", "learners"], ["localities", "import"]):
        result = runner.invoke(app, [*command, str(saved)])
        assert result.exit_code == 1 and result.stdout == "", result.output
        assert result.stderr.strip() == ("error: edubase.csv: this is an Excel file (XLSX); save it as CSV "
                                         "(File > Save As > CSV UTF-8) and import that")


def test_validation_reports_and_errors_go_to_stderr(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                    cli_data: Path) -> None:
    bad = runner.invoke(app, ["import", "gias", str(cli_data / "gias_bad.csv"), "--instance", "Testshire"])
    assert bad.exit_code == 1 and bad.stdout == ""
    assert "Validation report: nothing was stored" in bad.stderr and "nothing was stored" in bad.stderr
    good = runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv"), "--instance", "Testshire"])
    assert good.exit_code == 0 and "created instance Testshire" in good.stdout
    missing = runner.invoke(app, ["settings", "list", "--stored", "Nowhere"])
    assert missing.exit_code == 1 and missing.stdout == "" and "Nowhere" in missing.stderr


@pytest.mark.parametrize("args", [
    ["scenario", "run", "baseline", "--preset", "demo"],
    ["sufficiency", "--preset", "demo", "--years", "2", "--runs", "20"],
    ["transitions", "plan", "--preset", "demo", "--year", "2027"],
], ids=["scenario", "sufficiency", "transitions"])
def test_piped_output_has_no_blank_line_from_the_progress_bars(args: list[str], app: typer.Typer, runner: CliRunner,
                                                                data_dir: Path, tmp_path: Path) -> None:
    """Piped (not a terminal, as under CliRunner) a command's bars are off: Rich's live display left an empty line
    on stderr after each one, between the notes and the table in `placeplan ... 2>&1 | less`."""
    extra = ["--out", str(tmp_path / "out")] if args[0] == "sufficiency" else []
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() and result.stdout == result.stdout.strip("\n") + "\n"
    assert [line for line in result.stderr.splitlines() if not line.strip()] == []
    assert [line for line in result.output.splitlines() if not line.strip()] == []


def test_forecast_returns_errors_go_to_stderr(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                              tmp_path: Path) -> None:
    """`forecast returns` printed its errors on stdout (its results console)."""
    result = runner.invoke(app, ["forecast", "returns", "--sen2-returns", str(tmp_path),
                                 "--gias", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: ") and "missing.csv" in result.stderr


def _run_kpis(capital: float, out_cost: float) -> dict[str, float]:
    from scenarios.runner import KPI_FIELDS

    kpis = dict.fromkeys((name for name, _ in KPI_FIELDS), 10.0)
    kpis.update(capital_spent=capital, out_of_area_cost=out_cost, revenue_cost=28_726_100.0,
                mean_journey_minutes=32.44)
    return kpis


def test_scenario_tables_print_money_in_whole_pounds_in_every_row_and_column() -> None:
    """`scenario compare` and `scenario run`: one format per measure, money in whole pounds with its unit named,
    whatever the size ("234,000" and "4,100,000", never "4.1m" or "0.0" beside "1,500,000")."""
    from api.cli.scenarios import _kpi_table, compare_table
    from api.cli.tables import table_cells

    totals = {"baseline": _run_kpis(0.0, 14_725_700.0), "phase2": _run_kpis(4_100_000.0, 14_491_700.0)}
    data = {"baseline": "baseline", "totals": totals,
            "totals_vs_baseline": {name: {k: v - totals["baseline"][k] for k, v in t.items()}
                                   for name, t in totals.items()}}
    header, rows = table_cells(compare_table(data))
    by_scenario = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_scenario) == ["baseline", "phase2", "phase2 minus baseline"]
    assert [by_scenario[s]["capital spent (GBP)"] for s in by_scenario] == ["0", "4,100,000", "+4,100,000"]
    assert [by_scenario[s]["out of area cost (GBP)"] for s in by_scenario] == ["14,725,700", "14,491,700",
                                                                                "-234,000"]
    assert by_scenario["phase2 minus baseline"]["revenue cost (GBP)"] == "+0"

    run = {"years": ["2027", "2028"], "kpis": {"2027": _run_kpis(0.0, 14_725_700.0),
                                               "2028": _run_kpis(1_500_000.0, 14_725_700.0)}}
    header, rows = table_cells(_kpi_table("scenario x", run))
    capital = [dict(zip(header, row, strict=True))["capital spent (GBP)"] for row in rows]
    minutes = [dict(zip(header, row, strict=True))["mean journey minutes"] for row in rows]
    assert (capital, minutes) == (["0", "1,500,000"], ["32.4", "32.4"])
