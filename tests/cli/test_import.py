"""`placeplan import gias|learners|travel`: good files are stored, bad files print the report and store nothing."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session
from typer.testing import CliRunner

from api import store
from api.db import make_engine
from api.migrate import upgrade_to_head
from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance


def _load_all(url: str) -> list[Instance]:
    engine = make_engine(url)
    upgrade_to_head(engine)  # a failed import may not have touched the database at all
    try:
        with Session(engine) as session:
            return [store.load_instance(session, s.id) for s in store.list_instances(session)]
    finally:
        engine.dispose()


def test_import_gias_creates_an_instance_with_the_right_settings(
    app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path
) -> None:
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv"), "--la-code", "888",
                                 "--instance", "Testshire", "--base-year", "2026"])
    assert result.exit_code == 0, result.output
    assert "created instance Testshire" in result.output and "6 setting(s)" in result.output
    [instance] = _load_all(cli_database)
    assert (instance.name, instance.base_year) == ("Testshire", 2026)
    by_id = instance.setting_by_id
    assert sorted(by_id) == ["500001", "500001-RP", "500002", "500003", "500003-UNIT", "500004"]
    assert by_id["500001"].kind is SettingKind.MAINSTREAM and by_id["500001"].capacity == 210
    assert by_id["500001-RP"].kind is SettingKind.RESOURCED_PROVISION
    assert by_id["500001-RP"].designations == frozenset({Need.ASD}) and by_id["500001-RP"].capacity == 14
    assert by_id["500001-RP"].host_setting_id == "500001"
    assert by_id["500002"].designations == frozenset({Need.SLD, Need.PMLD}) and by_id["500002"].capacity == 120
    assert by_id["500003-UNIT"].kind is SettingKind.SEN_UNIT and by_id["500003-UNIT"].capacity == 8
    assert by_id["500004"].kind is SettingKind.INDEPENDENT_SPECIAL and not by_id["500004"].in_area


def test_import_gias_extends_an_instance(app: typer.Typer, runner: CliRunner, cli_database: str,
                                         cli_data: Path) -> None:
    assert runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv")]).exit_code == 0
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_more.csv")])
    assert result.exit_code == 0, result.output
    assert "extended instance Imported council" in result.output
    [instance] = _load_all(cli_database)
    ids = [s.id for s in instance.settings]
    assert ids == ["500001", "500001-RP", "500002", "500003", "500003-UNIT", "500004", "500006"]
    assert instance.setting_by_id["500002"].capacity == 140  # replaced by the newer file
    assert instance.metadata["imports"] == ["gias:gias_small.csv", "gias:gias_more.csv"]


def test_import_bad_gias_prints_the_report_and_stores_nothing(
    app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path
) -> None:
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_bad.csv")])
    assert result.exit_code == 1
    output = result.output
    assert "Validation report: nothing was stored" in output
    for expected in ("│ 3   │ URN", "abc", "SchoolCapacity", "lots", "Wizardry", "Northing", "-5"):
        assert expected in output, expected
    assert "nothing was stored" in output.splitlines()[-1] or "nothing was stored" in output
    assert "Traceback" not in output
    assert _load_all(cli_database) == []


def test_import_bad_gias_leaves_an_existing_instance_untouched(
    app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path
) -> None:
    assert runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv")]).exit_code == 0
    before = _load_all(cli_database)
    assert runner.invoke(app, ["import", "gias", str(cli_data / "gias_bad.csv")]).exit_code == 1
    assert _load_all(cli_database) == before


def test_import_gias_skip_invalid_stores_the_good_rows(
    app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path
) -> None:
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_bad.csv"), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "Rows skipped (--skip-invalid)" in result.output and "Wizardry" in result.output
    [instance] = _load_all(cli_database)
    assert [s.id for s in instance.settings] == ["500001", "500001-RP"]


def test_import_missing_file(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["import", "gias", str(data_dir / "nope.csv")])
    assert result.exit_code == 1 and "no such file" in result.output and "Traceback" not in result.output


def test_import_learners_needs_an_instance(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                           cli_data: Path) -> None:
    result = runner.invoke(app, ["import", "learners", str(cli_data / "gias_small.csv"), "--instance", "None yet"])
    assert result.exit_code == 1
    assert "no instance named 'None yet'" in result.output or "not available" in result.output


def _gias(app: typer.Typer, runner: CliRunner, cli_data: Path) -> None:
    result = runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv"), "--la-code", "888",
                                 "--base-year", "2026"])
    assert result.exit_code == 0, result.output


def test_import_learners_into_the_instance(app: typer.Typer, runner: CliRunner, cli_database: str,
                                           cli_data: Path) -> None:
    _gias(app, runner, cli_data)
    result = runner.invoke(app, ["import", "learners", str(cli_data / "learners_small.csv")])
    assert result.exit_code == 0, result.output
    assert "4 learner(s) imported from learners_small.csv, 4 in total" in result.output
    [instance] = _load_all(cli_database)
    assert [x.id for x in instance.learners] == ["P-0001", "P-0002", "P-0003", "P-0004"]
    two = instance.learner_by_id["P-0002"]
    assert (two.ncy, two.primary_need, two.current_setting_id) == (6, Need.SLD, "500002")
    assert two.requested_setting_ids == ("500002", "500004") and two.sibling_group == "SIB-A"
    assert two.max_journey_minutes == 45 and two.needs_transport
    assert len(instance.settings) == 6  # the settings are untouched
    # Importing again merges by id (nothing duplicated); --replace makes the file the whole caseload.
    assert runner.invoke(app, ["import", "learners", str(cli_data / "learners_small.csv")]).exit_code == 0
    assert len(_load_all(cli_database)[0].learners) == 4
    replaced = runner.invoke(app, ["import", "learners", str(cli_data / "learners_bad.csv"), "--skip-invalid",
                                   "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert [x.id for x in _load_all(cli_database)[0].learners] == ["P-0001"]


def test_import_bad_learners_prints_the_report_and_stores_nothing(
    app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path
) -> None:
    _gias(app, runner, cli_data)
    before = _load_all(cli_database)
    result = runner.invoke(app, ["import", "learners", str(cli_data / "learners_bad.csv")])
    assert result.exit_code == 1
    for expected in ("Validation report: nothing was stored", "PrimaryNeed", "Grumpy", "999999", "maybe"):
        assert expected in result.output, expected
    assert "north" not in result.output and "(withheld)" in result.output  # a home's grid value is personal
    assert "Traceback" not in result.output
    assert _load_all(cli_database) == before


def test_import_learners_skip_invalid(app: typer.Typer, runner: CliRunner, cli_database: str,
                                      cli_data: Path) -> None:
    _gias(app, runner, cli_data)
    result = runner.invoke(app, ["import", "learners", str(cli_data / "learners_bad.csv"), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert [x.id for x in _load_all(cli_database)[0].learners] == ["P-0001"]


def test_import_travel_matrix(app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path) -> None:
    _gias(app, runner, cli_data)
    assert runner.invoke(app, ["import", "learners", str(cli_data / "learners_small.csv")]).exit_code == 0
    result = runner.invoke(app, ["import", "travel", str(cli_data / "travel_small.csv")])
    assert result.exit_code == 0, result.output
    assert "3 journey time(s)" in result.output
    engine = make_engine(cli_database)
    try:
        with Session(engine) as session:
            instance_id = store.latest_instance_id(session)
            assert instance_id is not None
            assert store.load_travel_matrix(session, instance_id) == {
                ("P-0001", "500001-RP"): 12.0, ("P-0002", "500002"): 25.5, ("P-0004", "500004"): 48.0}
    finally:
        engine.dispose()
    bad = runner.invoke(app, ["import", "travel", str(cli_data / "travel_bad.csv")])
    assert bad.exit_code == 1 and "NOPE" in bad.output and "-3" in bad.output
    assert "Traceback" not in bad.output
    engine = make_engine(cli_database)
    try:
        with Session(engine) as session:
            assert len(store.load_travel_matrix(session, instance_id)) == 3  # the bad file changed nothing
    finally:
        engine.dispose()
