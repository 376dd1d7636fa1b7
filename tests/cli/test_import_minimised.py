"""Import reports never echo a personal value (issue 18, defect 3): birth dates, home grid references and postcodes
are withheld and described in words; a successful learner import is audited as the OS user with its count."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.db import make_engine
from api.service_tables import AuditEventRow

PERSONAL_VALUES = ("2031-02-17", "1988-07-23", "14/13/2016", "9440217", "510311", "SW1A 1AA", "SW1A1AA")


def _gias(app: typer.Typer, runner: CliRunner, cli_data: Path) -> None:
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv"), "--la-code", "888",
                                 "--instance", "Testshire", "--base-year", "2026"])
    assert result.exit_code == 0, result.output


def test_the_learner_import_report_withholds_personal_values(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                              cli_data: Path) -> None:
    _gias(app, runner, cli_data)
    result = runner.invoke(app, ["import", "learners", str(cli_data / "learners_personal.csv"),
                                 "--instance", "Testshire"])
    assert result.exit_code == 1, result.output
    for value in PERSONAL_VALUES:
        assert value not in result.output, value
    # every bad row is still reported, in words: the birth date is after the range (too young), before it
    # (too old), not a date; the grid reference out of range; a postcode where a number belongs
    assert "this one is after that range" in result.output and "this one is before that range" in result.output
    for row in ("2", "3", "4", "5", "6"):
        assert f"\u2502 {row} " in result.output or f"| {row} " in result.output, row
    assert result.output.count("(withheld)") >= 5


def test_a_learner_import_is_audited_as_the_os_user(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                     cli_data: Path) -> None:
    _gias(app, runner, cli_data)
    result = runner.invoke(app, ["import", "learners", str(cli_data / "learners_small.csv"),
                                 "--instance", "Testshire"])
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{data_dir / 'placeplan.db'}")
    with Session(engine) as session:
        events = session.exec(select(AuditEventRow)).all()
    engine.dispose()
    assert [(e.action, e.resource_type, e.learner_count, e.user_name, e.channel, e.resource_id) for e in events] == [
        ("import", "learners", 4, getpass.getuser(), "cli", "learners_small.csv")]
