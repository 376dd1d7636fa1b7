"""`placeplan settings set` and `placeplan instances set`: a council corrects capacities, designations and its base
year without re-importing; a bad change stores nothing."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session
from typer.testing import CliRunner

from api import store
from api.db import make_engine
from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance


def _stored(url: str) -> Instance:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return store.load_instance(session, store.latest_instance_id(session) or 0)
    finally:
        engine.dispose()


def _import(app: typer.Typer, runner: CliRunner, cli_data: Path) -> None:
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv"), "--la-code", "888",
                                 "--instance", "Testshire", "--base-year", "2026"])
    assert result.exit_code == 0, result.output


def test_settings_set_changes_places_and_designations(app: typer.Typer, runner: CliRunner, cli_database: str,
                                                      cli_data: Path) -> None:
    _import(app, runner, cli_data)
    result = runner.invoke(app, ["settings", "set", "500003-UNIT", "--capacity", "12", "--designations", "ASD,SLCN"])
    assert result.exit_code == 0, result.output
    assert "before: sen_unit, 8 places" in result.output and "after:  sen_unit, 12 places" in result.output
    unit = _stored(cli_database).setting_by_id["500003-UNIT"]
    assert unit.capacity == 12 and unit.designations == {Need.ASD, Need.SLCN}
    # 'none' clears the designations: an undesignated specialist setting takes every need
    assert runner.invoke(app, ["settings", "set", "500003-UNIT", "--designations", "none"]).exit_code == 0
    assert _stored(cli_database).setting_by_id["500003-UNIT"].designated_needs == frozenset(Need)


def test_settings_set_refuses_bad_changes_and_stores_nothing(app: typer.Typer, runner: CliRunner,
                                                            cli_database: str, cli_data: Path) -> None:
    _import(app, runner, cli_data)
    before = _stored(cli_database)
    for args, message in [
        (["settings", "set", "NOPE", "--capacity", "3"], "has no setting 'NOPE'"),
        (["settings", "set", "500002", "--designations", "XYZ"], "unknown need 'XYZ'"),
        (["settings", "set", "500002", "--kind", "castle"], "expected one of mainstream"),
        (["settings", "set", "500002", "--phase-places", "primary=500"], "exceeds capacity"),
        (["settings", "set", "500002"], "nothing to change"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    assert _stored(cli_database) == before


def test_instances_set_moves_the_base_year_to_the_census(app: typer.Typer, runner: CliRunner, cli_database: str,
                                                        cli_data: Path) -> None:
    _import(app, runner, cli_data)
    result = runner.invoke(app, ["instances", "set", "--census-date", "2025-01-16"])
    assert result.exit_code == 0, result.output
    assert "base year 2024/25, census 2025-01-16" in result.output
    stored = _stored(cli_database)
    assert (stored.base_year, stored.census_date.isoformat() if stored.census_date else None) == (2024, "2025-01-16")
    # A census date outside the base year is refused, and nothing changes
    result = runner.invoke(app, ["instances", "set", "--base-year", "2026", "--census-date", "2025-01-16"])
    assert result.exit_code == 1 and "not the base year 2026" in result.output
    assert _stored(cli_database).base_year == 2024
    assert runner.invoke(app, ["instances", "set", "--census-date", "16/01/2025"]).exit_code == 1
    assert _stored(cli_database).setting_by_id["500002"].kind is SettingKind.SPECIAL
