"""Solving commands plan on the council stored in the database unless told to use a file or the demo preset."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner


def test_solving_commands_use_the_stored_instance_by_default(app: typer.Typer, runner: CliRunner,
                                                             data_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    placed = runner.invoke(app, ["place", "--round", "2027"])
    assert placed.exit_code == 0, placed.output
    assert "using stored instance 1 (Northvale Council)" in placed.stderr
    assert "status=OPTIMAL" in placed.stdout
    forecast = runner.invoke(app, ["forecast", "--years", "2", "--runs", "20", "--out", str(tmp_path / "f")])
    assert forecast.exit_code == 0, forecast.output
    assert "using stored instance 1" in forecast.stderr
    assert (tmp_path / "f" / "forecast.csv").read_text().startswith("academic_year")


def test_a_preset_or_file_overrides_the_database_and_errors_are_one_line(app: typer.Typer, runner: CliRunner,
                                                                         data_dir: Path, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["place", "--round", "2027"])
    assert empty.exit_code == 1 and empty.stdout == ""
    assert "holds no instance yet" in empty.stderr and "Traceback" not in empty.output
    preset = runner.invoke(app, ["place", "--round", "2027", "--preset", "demo"])
    assert preset.exit_code == 0 and "demo preset 'demo'" in preset.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    not_an_instance = runner.invoke(app, ["place", "--round", "2027", "--file", str(bad)])
    assert not_an_instance.exit_code == 1 and "is not an instance" in not_an_instance.stderr
    unknown = runner.invoke(app, ["place", "--round", "2027", "--stored", "No such council"])
    assert unknown.exit_code == 1 and "No such council" in unknown.stderr and unknown.stdout == ""
