"""`placeplan import postcodes`: load, replace, add, refuse bad files (table untouched), and the learner and GIAS
imports that resolve a Postcode column against the loaded table, on SQLite and PostgreSQL.

Postcode areas ZY and ZZ in tests/data/postcodes are fictional.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import inspect, text
from sqlmodel import Session
from typer.testing import CliRunner

from api import store
from api.db import make_engine
from api.migrate import upgrade_to_head
from planner.domain.models import Instance, Point

POSTCODES = Path(__file__).resolve().parents[1] / "data" / "postcodes"
CODEPOINT_ZIP = POSTCODES / "codepoint_open_small.zip"
NSPL = POSTCODES / "nspl_small.csv"
LEARNER_POSTCODES = ("ZZ1 1AA", "ZZ11AA", "ZZ1 1AD", "ZZ11AD", "ZZ5 5ZZ", "ZZ55ZZ", "ZZ1 1AB", "ZZ11AB")


def stored_postcodes(url: str) -> dict[str, tuple[Any, ...]]:
    engine = make_engine(url)
    upgrade_to_head(engine)  # a refused file may not have touched the database at all
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT postcode, easting, northing, lsoa, ward, district, terminated, "
                                           "source FROM postcodes")).all()
    finally:
        engine.dispose()
    return {row[0]: (row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7]) for row in rows}


def everything_but_the_lookup(url: str) -> str:
    """Every stored value of every table except `postcodes` (the public lookup itself), as one text."""
    engine = make_engine(url)
    try:
        names = [n for n in inspect(engine).get_table_names() if n != "postcodes"]
        with engine.connect() as connection:
            return "\n".join(str(row) for name in names
                             for row in connection.execute(text(f'SELECT * FROM "{name}"')))
    finally:
        engine.dispose()


def only_instance(url: str) -> Instance:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            [row] = store.list_instances(session)
            return store.load_instance(session, row.id)
    finally:
        engine.dispose()


def load(app: typer.Typer, runner: CliRunner, path: Path, *options: str) -> str:
    result = runner.invoke(app, ["import", "postcodes", str(path), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_codepoint_open_zip_is_loaded_and_summarised(app: typer.Typer, runner: CliRunner, cli_database: str) -> None:
    output = load(app, runner, CODEPOINT_ZIP)
    for expected in ("loaded 6 postcode(s) from codepoint_open_small.zip (codepoint-open, 2 file(s), 9 row(s) read)",
                     "skipped: 3 row(s)", "no coordinates (positional quality 90): 1", "malformed postcode: 1",
                     "non-numeric coordinates: 1", "terminated: 0", "wall time:", "rows/s",
                     "table postcodes: 6 postcode(s)", " MB", "Data/CSV/zz.csv", "abc"):
        assert expected in output, expected
    stored = stored_postcodes(cli_database)
    assert sorted(stored) == ["ZY11AA", "ZY11AB", "ZZ101AA", "ZZ11AA", "ZZ11AB", "ZZ11AD"]
    assert stored["ZZ11AA"] == (430120, 500240, None, "E05099001", "E06000099", False, "codepoint-open")


def test_replace_then_add(app: typer.Typer, runner: CliRunner, cli_database: str) -> None:
    load(app, runner, CODEPOINT_ZIP)
    output = load(app, runner, NSPL)  # --replace is the default: the NSPL becomes the whole table
    assert "terminated: 1" in output and "Northern Ireland (Irish Grid references): 1" in output
    stored = stored_postcodes(cli_database)
    assert sorted(stored) == ["ZZ11AA", "ZZ11AB", "ZZ11AD", "ZZ22AA"]
    assert stored["ZZ11AA"] == (430120, 500240, "E01099001", "E05099001", "E06000099", False, "onspd")
    assert stored["ZZ11AD"][5] is True

    load(app, runner, CODEPOINT_ZIP, "--add")  # overwrites the postcodes it holds, keeps the others
    stored = stored_postcodes(cli_database)
    assert sorted(stored) == ["ZY11AA", "ZY11AB", "ZZ101AA", "ZZ11AA", "ZZ11AB", "ZZ11AD", "ZZ22AA"]
    assert stored["ZZ11AA"][2:] == (None, "E05099001", "E06000099", False, "codepoint-open")
    assert stored["ZZ22AA"][6] == "onspd"

    load(app, runner, NSPL, "--replace")
    assert sorted(stored_postcodes(cli_database)) == ["ZZ11AA", "ZZ11AB", "ZZ11AD", "ZZ22AA"]


def test_a_failing_file_changes_nothing(app: typer.Typer, runner: CliRunner, cli_database: str,
                                        tmp_path: Path) -> None:
    load(app, runner, CODEPOINT_ZIP)
    before = stored_postcodes(cli_database)
    damaged = tmp_path / "damaged.zip"
    shutil.copy(CODEPOINT_ZIP, damaged)
    with zipfile.ZipFile(damaged) as archive:  # the last member's compressed bytes are overwritten
        info = archive.getinfo("Data/CSV/zz.csv")
    raw = bytearray(damaged.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 5: start + 25] = b"\xff" * 20
    damaged.write_bytes(bytes(raw))
    cases = {
        POSTCODES / "not_postcodes.csv": "not a postcode product",
        POSTCODES / "mostly_bad_zz.csv": "5 of 6 rows are bad",  # refused after rows were already written
        damaged: "cannot read",  # the first area file loads, the second is corrupt
        tmp_path / "absent.zip": "no such file",
    }
    for path, message in cases.items():
        for option in ("--replace", "--add"):
            result = runner.invoke(app, ["import", "postcodes", str(path), option])
            assert result.exit_code == 1, result.output
            assert message in result.output and "Traceback" not in result.output, result.output
            assert stored_postcodes(cli_database) == before, (path, option)


def test_learners_located_by_postcode(app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path,
                                      tmp_path: Path) -> None:
    gias = runner.invoke(app, ["import", "gias", str(cli_data / "gias_small.csv"), "--base-year", "2026"])
    assert gias.exit_code == 0, gias.output
    learners = tmp_path / "learners.csv"
    learners.write_text("PersonID,NCY,PrimaryNeed,Postcode\nK1,3,ASD,ZZ1 1AA\nK2,4,SEMH,zz11ab\n"
                        "K3,5,MLD,ZZ1 1AD\nK4,6,ASD,ZZ5 5ZZ\n", encoding="utf-8")

    before_lookup = runner.invoke(app, ["import", "learners", str(learners)])
    assert before_lookup.exit_code == 1 and "placeplan import postcodes" in before_lookup.output

    load(app, runner, NSPL)
    bad = runner.invoke(app, ["import", "learners", str(learners)])
    assert bad.exit_code == 1 and "(withheld)" in bad.output and "terminated" in bad.output
    result = runner.invoke(app, ["import", "learners", str(learners), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "2 learner(s) imported" in result.output
    by_id = only_instance(cli_database).learner_by_id
    assert (by_id["K1"].home, by_id["K1"].lsoa) == (Point(easting=430_100, northing=500_200), "E01099001")
    assert (by_id["K2"].home, by_id["K2"].lsoa) == (Point(easting=430_200, northing=500_300), "E01099002")
    stored = everything_but_the_lookup(cli_database)
    for postcode in LEARNER_POSTCODES:
        for shown in (postcode, postcode.lower()):
            assert shown not in bad.output + result.output + before_lookup.output + stored, shown


def test_gias_settings_without_coordinates_use_the_lookup(app: typer.Typer, runner: CliRunner, cli_database: str,
                                                          tmp_path: Path) -> None:
    load(app, runner, CODEPOINT_ZIP)
    gias = tmp_path / "gias.csv"
    gias.write_text("URN,EstablishmentName,TypeOfEstablishment (name),EstablishmentStatus (name),StatutoryLowAge,"
                    "StatutoryHighAge,SchoolCapacity,Postcode,Easting,Northing\n"
                    "900001,Zed Special School,Community special school,Open,2,19,100,ZY1 1AB,,\n"
                    "900002,Zed Pupil Referral Unit,Pupil referral unit,Open,5,16,40,ZZ1 1AA,431000,501000\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["import", "gias", str(gias), "--base-year", "2026"])
    assert result.exit_code == 0, result.output
    by_id = only_instance(cli_database).setting_by_id
    assert by_id["900001"].location == Point(easting=440_050, northing=510_020)
    assert by_id["900002"].location == Point(easting=431_000, northing=501_000)


def test_an_unreachable_database_exits_2(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    result = runner.invoke(app, ["import", "postcodes", str(CODEPOINT_ZIP)])
    assert result.exit_code == 2 and "cannot use the database" in result.output, result.output
