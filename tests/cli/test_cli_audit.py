"""Every CLI command that emits or takes in learner-level data writes an audit event as the OS user, with how many
learners (issue 18, defect 2: `place --out` wrote 967 learner rows and 0 events)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.db import make_engine
from api.service_tables import AuditEventRow

# The commands that read, export or import learner-level records: (command path, resource_type audited). A new
# such command must be added here, with its audit event (`api.cli.common.audit_cli`).
LEARNER_LEVEL_COMMANDS = {
    ("place",): "placement_plan",
    ("transitions", "plan"): "transition_plan",
    ("import", "learners"): "learners",
    ("import", "sen2"): "sen2_return",  # asserted in tests/cli/test_real_council_end_to_end.py (1,500 learners)
}


def _events(data_dir: Path) -> list[AuditEventRow]:
    engine = make_engine(f"sqlite:///{data_dir / 'placeplan.db'}")
    with Session(engine) as session:
        events = list(session.exec(select(AuditEventRow).order_by(col(AuditEventRow.id))).all())
    engine.dispose()
    return events


def test_the_declared_commands_exist(app: typer.Typer) -> None:
    root = typer.main.get_command(app)
    for path in LEARNER_LEVEL_COMMANDS:
        command: Any = root
        for name in path:
            subcommands = getattr(command, "commands", None)
            assert isinstance(subcommands, dict), path
            command = subcommands.get(name)
        assert command is not None, f"placeplan {' '.join(path)} no longer exists: update the declared list"


def test_place_and_transitions_exports_are_audited(app: typer.Typer, runner: CliRunner, data_dir: Path,
                                                   cli_data: Path, tmp_path: Path) -> None:
    for args in (["import", "gias", str(cli_data / "gias_small.csv"), "--la-code", "888", "--instance", "Testshire",
                  "--base-year", "2026"], ["import", "learners", str(cli_data / "learners_small.csv"),
                                           "--instance", "Testshire"]):
        assert runner.invoke(app, args).exit_code == 0
    placed = runner.invoke(app, ["place", "--round", "2027", "--stored", "Testshire", "--out",
                                 str(tmp_path / "list.csv")])
    assert placed.exit_code == 0, placed.output
    rows = (tmp_path / "list.csv").read_text(encoding="utf-8").strip().splitlines()[1:]
    planned = runner.invoke(app, ["transitions", "plan", "--stored", "Testshire", "--year", "2027",
                                  "--time-limit", "5", "--out", str(tmp_path / "transitions")])
    assert planned.exit_code == 0, planned.output
    cases = list((tmp_path / "transitions" / "learners").glob("*.html"))

    events = [e for e in _events(data_dir) if e.action != "import"]
    assert [(e.action, e.resource_type) for e in events] == [("export", LEARNER_LEVEL_COMMANDS[("place",)]),
                                                             ("export", LEARNER_LEVEL_COMMANDS[("transitions",
                                                                                               "plan")])]
    assert events[0].learner_count == len(rows) > 0 and events[0].resource_id == "list.csv"
    assert events[1].learner_count == len(cases)
    assert all(e.user_name == getpass.getuser() and e.channel == "cli" and e.key_id is None for e in events)
