"""`placeplan demo`, `settings list`, `instances list`, `db upgrade`, `serve` and the errors they report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner

from api import store
from api.cli.foundation import place_sufficiency
from api.db import make_engine
from api.migrate import upgrade_to_head
from planner.domain.codes import Need, Phase
from planner.domain.models import Instance
from scenarios.demo import build_demo


def _store(url: str, instance: Instance) -> int:
    engine = make_engine(url)
    upgrade_to_head(engine)
    try:
        with Session(engine) as session:
            instance_id = store.save_instance(session, instance, "test")
            session.commit()
        return instance_id
    finally:
        engine.dispose()


def _summaries(url: str) -> list[store.InstanceSummary]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return store.list_instances(session)
    finally:
        engine.dispose()


def test_demo_stores_the_council_and_prints_the_sufficiency_table(
    app: typer.Typer, runner: CliRunner, cli_database: str
) -> None:
    result = runner.invoke(app, ["demo", "--seed", "7"])
    assert result.exit_code == 0, result.output
    expected = build_demo("demo", 7)
    assert "Specialist place sufficiency" in result.output
    for need in ("ASD", "SEMH", "SLD"):
        assert f"│ {need}" in result.output
    for phase in ("primary", "secondary", "post16"):
        assert phase in result.output
    assert f"{len(expected.learners):,} learners, {len(expected.settings):,} settings" in result.output
    assert "8 localities" in result.output
    # Every table row is the one the pure function computes for the same council.
    rows = place_sufficiency(expected)
    asd_secondary = next(r for r in rows if r.need is Need.ASD and r.phase is Phase.SECONDARY)
    assert (f"│ ASD  │ secondary   │ {asd_secondary.needing:>26} │ {asd_secondary.in_area:>14} │"
            in result.output)
    [summary] = _summaries(cli_database)
    assert (summary.name, summary.source, summary.learners) == (expected.name, "demo:demo:7", len(expected.learners))


def test_demo_again_replaces_the_earlier_council(app: typer.Typer, runner: CliRunner, cli_database: str) -> None:
    assert runner.invoke(app, ["demo", "--seed", "1"]).exit_code == 0
    first = _summaries(cli_database)
    assert runner.invoke(app, ["demo", "--seed", "2"]).exit_code == 0
    second = _summaries(cli_database)
    assert len(second) == 1 and second[0].id == first[0].id and second[0].source == "demo:demo:2"


def test_demo_writes_to_the_data_dir_by_default(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "placeplan.db").is_file()
    assert str(data_dir / "placeplan.db") in result.output.replace("\n", "")


def test_demo_unknown_preset(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["demo", "--preset", "metropolis"])
    assert result.exit_code == 1
    assert "unknown preset 'metropolis'" in result.output and "Traceback" not in result.output


def test_place_sufficiency_by_hand(tiny_instance: Instance) -> None:
    """The tiny council, counted by hand (see tests/conftest.py for its records)."""
    rows = {(r.need, r.phase): r for r in place_sufficiency(tiny_instance)}
    # Needing: LRN-0001 (ASD, R/NCY 3 in 2026) in the ASD base; LRN-0002 and -0003 (SLD Y6, PMLD Y3) in the special
    # school; LRN-0006 (ASD Y11) in the independent special. LRN-0005 (SEMH, in mainstream) requests nothing.
    assert rows[(Need.ASD, Phase.PRIMARY)].needing == 1
    assert rows[(Need.SLD, Phase.PRIMARY)].needing == 1
    assert rows[(Need.PMLD, Phase.PRIMARY)].needing == 1
    assert rows[(Need.ASD, Phase.SECONDARY)].needing == 1
    # Places: ASD base 12 (primary only) is ASD's; the special school's 70 primary places go to SLD/PMLD/ASD in
    # proportion to who needs them (1 learner each -> 23.33 each; the leftover place goes to the first need in code
    # order, SLD: 24/23/23).
    assert rows[(Need.ASD, Phase.PRIMARY)].in_area == 12 + 23
    assert rows[(Need.SLD, Phase.PRIMARY)].in_area == 24
    assert rows[(Need.PMLD, Phase.PRIMARY)].in_area == 23
    # The proposed free school (opens 2027) has no places in 2026; the closing SEMH school (closes 2028) has.
    assert rows[(Need.SEMH, Phase.SECONDARY)].in_area == 60
    # The independent special (out of area) is NCY 3..13: 80 places over 4 primary, 5 secondary and 2 post-16 year
    # groups = 29/36/15; all to ASD, the only one of its two needs with learners needing places in those phases.
    assert rows[(Need.ASD, Phase.PRIMARY)].out_of_area == 29
    assert rows[(Need.ASD, Phase.SECONDARY)].out_of_area == 36
    assert (Need.SEMH, Phase.PRIMARY) not in rows
    assert rows[(Need.ASD, Phase.SECONDARY)].gap == 1 - rows[(Need.ASD, Phase.SECONDARY)].in_area
    total_in_area = sum(r.in_area for r in rows.values())
    assert total_in_area == 12 + 70 + 60 + 60  # the special school's 20 post-16 places: no phase cap -> not counted


@pytest.fixture
def stored_tiny(cli_database: str, tiny_instance: Instance) -> tuple[str, int]:
    return cli_database, _store(cli_database, tiny_instance)


@pytest.mark.parametrize(
    ("arguments", "shown", "hidden"),
    [
        ([], ["100001", "100001-RP", "200001", "130001"], []),
        (["--kind", "special"], ["100002", "P-001"], ["100001 ", "100003", "200001"]),
        (["--need", "asd"], ["100001-RP", "100002", "200001", "P-001"], ["100003", "130001"]),
        (["--need", "SEMH", "--in-area"], ["100003"], ["200001"]),
        (["--out-of-area"], ["200001"], ["100002", "100003"]),
        (["--locality", "L-S"], ["100002", "100003"], ["100001", "200001"]),
        (["--limit", "2"], ["100001", "100001-RP", "2 of 8 matching"], ["100002"]),
    ],
)
def test_settings_list_filters(app: typer.Typer, runner: CliRunner, stored_tiny: tuple[str, int],
                               arguments: list[str], shown: list[str], hidden: list[str]) -> None:
    result = runner.invoke(app, ["settings", "list", *arguments])
    assert result.exit_code == 0, result.output
    for text in shown:
        assert text in result.output
    for text in hidden:
        assert f"│ {text}" not in result.output


def test_settings_list_errors(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    empty = runner.invoke(app, ["settings", "list"])
    assert empty.exit_code == 1 and "holds no instance yet" in empty.output
    _store(f"sqlite:///{data_dir / 'placeplan.db'}", Instance(name="Empty", base_year=2026))
    for arguments, message in (
        (["--kind", "castle"], "unknown setting kind 'castle'"),
        (["--need", "XYZ"], "unknown need 'XYZ'"),
        (["--instance", "Nowhere"], "no stored instance with name 'Nowhere'"),
        (["--instance-id", "99"], "no stored instance with id 99"),
    ):
        result = runner.invoke(app, ["settings", "list", *arguments])
        assert result.exit_code == 1, (arguments, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_instances_list_and_db_upgrade(app: typer.Typer, runner: CliRunner, stored_tiny: tuple[str, int]) -> None:
    listed = runner.invoke(app, ["instances", "list"])
    assert listed.exit_code == 0 and "Tiny council" in listed.output
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "is at revision" in upgraded.output


def test_unreachable_database_is_a_clear_error(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    result = runner.invoke(app, ["settings", "list"])
    assert result.exit_code == 2
    assert "cannot use the database at postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output


def test_data_dir_is_created_or_a_clear_error(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLACEPLAN_DATA_DIR", str(data_dir / "new" / "folder"))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (data_dir / "new" / "folder" / "placeplan.db").is_file()
    (data_dir / "a-file").write_text("not a folder")
    monkeypatch.setenv("PLACEPLAN_DATA_DIR", str(data_dir / "a-file" / "sub"))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "cannot use the data folder" in result.output
    assert "Traceback" not in result.output


def test_serve_help_and_factory(app: typer.Typer, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    help_result = runner.invoke(app, ["serve", "--help"])
    assert help_result.exit_code == 0 and "--port" in help_result.output
    calls: list[dict[str, Any]] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: calls.append({"target": target, **kwargs}))
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["serve", "--workers", "2"]).exit_code == 0
    assert runner.invoke(app, ["serve", "--workers", "2", "--reload"]).exit_code == 0
    common = {"target": "api.main:create_app", "factory": True, "host": "127.0.0.1", "proxy_headers": False}
    assert calls == [{**common, "port": 8123, "reload": False, "workers": 1},  # X-Forwarded-For: api.guards
                     {**common, "port": 8000, "reload": False, "workers": 2},
                     {**common, "port": 8000, "reload": True, "workers": None}]  # uvicorn: reload takes no workers
