"""One vocabulary for the data a solving command plans on: --stored NAME / --file PATH / --preset NAME, the newest
stored council by default (named on stderr), the old --instance/--instance-file spellings as deprecated aliases."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner


def _ok(app: typer.Typer, runner: CliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@pytest.mark.slow
def test_scenario_run_plans_the_stored_council_not_the_demo(app: typer.Typer, runner: CliRunner,
                                                            data_dir: Path) -> None:
    # The stored council is the demo generator with another seed (its figures differ from the preset's), and the
    # scenario's figures are those of the preset built with that seed.
    default_seed, _ = _ok(app, runner, "demo", "--csv", "-")
    seed_seven, _ = _ok(app, runner, "demo", "--seed", "7", "--csv", "-")
    assert default_seed != seed_seven
    stored_out, stored_err = _ok(app, runner, "scenario", "run", "baseline", "--csv", "-")
    assert "using stored instance 1 (Northvale Council)" in stored_err
    assert "the newest stored" in stored_err
    same_out, same_err = _ok(app, runner, "scenario", "run", "baseline", "--preset", "demo", "--seed", "7",
                             "--csv", "-")
    assert "demo preset 'demo' (seed 7)" in same_err
    assert stored_out == same_out and stored_out.startswith("year,demand,")


def test_transitions_plan_uses_the_stored_council(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    _ok(app, runner, "demo", "--seed", "7")
    _ok(app, runner, "instances", "set", "--instance", "Northvale Council", "--rename", "Seed Seven")
    out, err = _ok(app, runner, "transitions", "plan", "--year", "2027", "--time-limit", "2")
    assert "using stored instance 1 (Seed Seven)" in err
    assert "planning transitions: up to 2 s (--time-limit)" in err
    assert "transitions Seed Seven:" in out


def test_one_source_at_a_time_and_the_old_spelling_warns(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                         tmp_path: Path) -> None:
    both = runner.invoke(app, ["place", "--round", "2027", "--preset", "demo", "--stored", "X"])
    assert both.exit_code == 1
    assert "choose one of --stored NAME, --file PATH or --preset NAME" in both.stderr and both.stdout == ""
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    for spelling in ("--file", "--instance"):
        result = runner.invoke(app, ["place", "--round", "2027", spelling, str(bad)])
        assert result.exit_code == 1 and "is not an instance" in result.stderr and result.stdout == ""
        assert ("deprecated" in result.stderr) == (spelling == "--instance")
    legacy = runner.invoke(app, ["forecast", "--instance-file", str(bad), "--runs", "5"])
    assert legacy.exit_code == 1 and "use --file FILE" in legacy.stderr
    assert "--instance" not in runner.invoke(app, ["place", "--help"]).stdout
    named = runner.invoke(app, ["place", "--round", "2027", "--instance", "Vale of Zed"])
    assert named.exit_code == 1 and "no such file: Vale of Zed (a council stored in the database is chosen with " \
        "--stored NAME)" in named.stderr


def test_scenario_on_an_empty_database_says_how_to_get_data(app: typer.Typer, runner: CliRunner,
                                                            data_dir: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", "baseline"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "holds no instance yet" in result.stderr and "--preset demo" in result.stderr
