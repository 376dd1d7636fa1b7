"""`placeplan localities ...` and `placeplan teams ...` on a council imported from its own files (no localities, no
teams): each command stores what it says on both databases, and a bad file or change stores nothing."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session
from typer.testing import CliRunner

from api import store
from api.db import make_engine
from planner.domain.models import Instance

LOCALITIES_CSV = "locality_id,name,easting,northing,area_codes\nN,North,443000,513000,\nS,South,440000,510000,\n"
TEAMS_CSV = ("team_id,name,specialisms,hours_per_week,localities,easting,northing\n"
             "T1,Autism team,ASD;SLCN,37.5,N,443000,513000\nT2,Everyone,SEMH;SLD;PMLD,20,,,\n")


def _stored(url: str) -> Instance:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return store.load_instance(session, store.latest_instance_id(session) or 0)
    finally:
        engine.dispose()


def _invoke(app: typer.Typer, runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _import_council(app: typer.Typer, runner: CliRunner, cli_data: Path) -> None:
    """The small GIAS extract and caseload: 6 settings (one out of area), 4 learners, no localities or teams."""
    _invoke(app, runner, "import", "gias", str(cli_data / "gias_small.csv"), "--la-code", "888", "--instance",
            "Testshire", "--base-year", "2026")
    _invoke(app, runner, "import", "learners", str(cli_data / "learners_small.csv"), "--instance", "Testshire")


def test_derive_localities_and_default_teams(app: typer.Typer, runner: CliRunner, cli_database: str,
                                             cli_data: Path) -> None:
    _import_council(app, runner, cli_data)
    assert not _stored(cli_database).localities and not _stored(cli_database).teams
    output = _invoke(app, runner, "localities", "derive", "--count", "2", "--instance", "Testshire")
    assert "derived from home locations" in output and "2 localities stored, replacing 0" in output
    assert "LOC-01" in output and "LOC-02" in output
    instance = _stored(cli_database)
    assert [loc.id for loc in instance.localities] == ["LOC-01", "LOC-02"]
    assert all(loc.name.startswith("Area around ") for loc in instance.localities)
    assert all(learner.locality_id in {"LOC-01", "LOC-02"} for learner in instance.learners)
    assert {s.id: s.locality_id for s in instance.settings if not s.in_area} == {"500004": None}
    assert all(s.locality_id is not None for s in instance.settings if s.in_area)

    output = _invoke(app, runner, "teams", "default")
    assert "6 default teams stored, replacing 0" in output and "4 learners with a current plan" in output
    teams = _stored(cli_database).teams
    assert [t.id for t in teams] == ["T-AUT", "T-SEMH", "T-SENS", "T-LD", "T-EY", "T-PFA"]
    assert all(t.locality_ids == {"LOC-01", "LOC-02"} and t.base is not None for t in teams)
    # deriving again with another count: the teams follow the new localities
    output = _invoke(app, runner, "localities", "derive", "--count", "3")
    assert "3 localities stored, replacing 2" in output and "team T-AUT now covers LOC-01, LOC-02, LOC-03" in output
    assert _stored(cli_database).team_by_id["T-AUT"].locality_ids == {"LOC-01", "LOC-02", "LOC-03"}


def test_import_list_and_rename_localities(app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path,
                                           tmp_path: Path) -> None:
    _import_council(app, runner, cli_data)
    assert "has no localities" in _invoke(app, runner, "localities", "list")
    good = tmp_path / "localities.csv"
    good.write_text(LOCALITIES_CSV)
    output = _invoke(app, runner, "localities", "import", str(good))
    assert "2 localities imported from localities.csv, replacing 0" in output
    assert "4 by the nearest locality centre" in output
    instance = _stored(cli_database)
    assert [(loc.id, loc.name) for loc in instance.localities] == [("N", "North"), ("S", "South")]
    assert {x.id: x.locality_id for x in instance.learners} == {"P-0001": "S", "P-0002": "S", "P-0003": "S",
                                                                "P-0004": "N"}
    listed = _invoke(app, runner, "localities", "list")
    assert "North" in listed and "South" in listed and "(no locality)" in listed

    bad = tmp_path / "bad.csv"
    bad.write_text("locality_id,name,easting,northing\nA,,1,\n")
    output = _invoke(app, runner, "localities", "import", str(bad), code=1)
    assert "Validation report: nothing was stored" in output and "2 problem(s) in 1 row(s)" in output
    codes_without_homes = tmp_path / "codes.csv"
    codes_without_homes.write_text("locality_id,name,area_codes\nA,Alpha,E01000001\n")
    output = _invoke(app, runner, "localities", "import", str(codes_without_homes), code=1)
    assert "no learner's home is in its area codes" in output
    assert [loc.id for loc in _stored(cli_database).localities] == ["N", "S"]  # nothing stored

    output = _invoke(app, runner, "localities", "set", "N", "--name", "North patch")
    assert "renamed from 'North' to 'North patch'" in output
    assert _stored(cli_database).locality_by_id["N"].name == "North patch"
    assert "has no locality 'Q'" in _invoke(app, runner, "localities", "set", "Q", "--name", "x", code=1)
    _invoke(app, runner, "localities", "set", "N", "--name", "x" * 121, code=1)
    assert _stored(cli_database).locality_by_id["N"].name == "North patch"


def test_import_list_and_change_teams(app: typer.Typer, runner: CliRunner, cli_database: str, cli_data: Path,
                                     tmp_path: Path) -> None:
    _import_council(app, runner, cli_data)
    (tmp_path / "localities.csv").write_text(LOCALITIES_CSV)
    _invoke(app, runner, "localities", "import", str(tmp_path / "localities.csv"))
    assert "has no outreach teams" in _invoke(app, runner, "teams", "list")
    teams = tmp_path / "teams.csv"
    teams.write_text(TEAMS_CSV)
    assert "2 team(s) imported from teams.csv, replacing 0" in _invoke(app, runner, "teams", "import", str(teams))
    stored = _stored(cli_database).team_by_id
    assert stored["T1"].locality_ids == {"N"} and stored["T1"].hours_per_week == 37.5
    assert stored["T2"].locality_ids == frozenset() and stored["T2"].base is None
    assert "Autism team" in _invoke(app, runner, "teams", "list")

    bad = tmp_path / "bad_teams.csv"
    bad.write_text("team_id,name,specialisms,hours_per_week,localities\nT9,Nine,ASD,5,NOWHERE\n")
    output = _invoke(app, runner, "teams", "import", str(bad), code=1)
    assert "NOWHERE" in output and "nothing was stored" in output
    assert sorted(_stored(cli_database).team_by_id) == ["T1", "T2"]
    output = _invoke(app, runner, "teams", "import", str(bad), "--skip-invalid", code=1)
    assert "no valid team row" in output

    output = _invoke(app, runner, "teams", "set", "T1", "--hours", "12.5", "--name", "Autism outreach")
    assert "before: Autism team, 37.5 hours a week" in output and "after:  Autism outreach, 12.5 hours" in output
    assert _stored(cli_database).team_by_id["T1"].hours_per_week == 12.5
    assert "nothing to change" in _invoke(app, runner, "teams", "set", "T1", code=1)
    assert "has no team 'T9'" in _invoke(app, runner, "teams", "set", "T9", "--hours", "1", code=1)


def test_commands_need_a_stored_instance(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    assert "holds no instance yet" in _invoke(app, runner, "localities", "derive", code=1)
    assert "holds no instance yet" in _invoke(app, runner, "teams", "default", code=1)
    assert "no stored instance with name 'Nope'" in _invoke(app, runner, "teams", "list", "--instance", "Nope",
                                                            code=1)
