"""`placeplan users`: councils at creation and by grant, revoke and rotate (the key stops working), list, audit."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api import store
from api.auth import authenticate_key
from api.db import make_engine
from api.migrate import upgrade_to_head
from api.service_tables import AuditEventRow
from tests.api.conftest import build_small_instance


def _key(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("pp_"))


def test_users_add_grant_revoke_rotate_and_list(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{data_dir / 'placeplan.db'}")
    upgrade_to_head(engine)
    with Session(engine) as session:
        north = store.save_instance(session, build_small_instance(), "t")
        south = store.save_instance(session, build_small_instance().model_copy(update={"name": "Southam"}), "t")
        session.commit()

    added = runner.invoke(app, ["users", "add", "a.officer", "--role", "officer", "--council", "Testshire"])
    assert added.exit_code == 0, added.output
    key = _key(added.output)
    with Session(engine) as session:
        principal = authenticate_key(session, key)
        assert principal is not None and principal.councils == ((north, "officer"),)

    granted = runner.invoke(app, ["users", "grant", "a.officer", "--council", str(south), "--role", "planner"])
    assert granted.exit_code == 0, granted.output
    with Session(engine) as session:
        principal = authenticate_key(session, key)
        assert principal is not None and principal.role_in(south) == "planner" and principal.role_in(north) == "officer"
    removed = runner.invoke(app, ["users", "grant", "a.officer", "--council", "Testshire", "--remove"])
    assert removed.exit_code == 0, removed.output
    with Session(engine) as session:
        principal = authenticate_key(session, key)
        assert principal is not None and principal.role_in(north) is None

    assert runner.invoke(app, ["users", "add", "boss", "--role", "admin", "--council", "1"]).exit_code == 1
    assert runner.invoke(app, ["users", "add", "x", "--role", "planner", "--council", "Nowhere"]).exit_code == 1

    key_id = key.split("_")[1]
    rotated = runner.invoke(app, ["users", "rotate", key_id])
    assert rotated.exit_code == 0, rotated.output
    new_key = _key(rotated.output)
    with Session(engine) as session:
        assert authenticate_key(session, key) is None  # the old secret is dead
        assert authenticate_key(session, new_key) is not None
    new_id = new_key.split("_")[1]
    revoked = runner.invoke(app, ["users", "revoke", new_id])
    assert revoked.exit_code == 0, revoked.output
    with Session(engine) as session:
        assert authenticate_key(session, new_key) is None
    assert runner.invoke(app, ["users", "revoke", "abcdef123456"]).exit_code == 1
    assert runner.invoke(app, ["users", "rotate", new_id]).exit_code == 1  # already revoked

    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and f"{south}: planner" in listed.output and key_id not in listed.output

    with Session(engine) as session:
        events = session.exec(select(AuditEventRow).order_by(col(AuditEventRow.id))).all()
    assert [(e.action, e.resource_type) for e in events] == [
        ("create", "user"), ("create", "membership"), ("delete", "membership"), ("rotate", "api_key"),
        ("delete", "api_key")]
    assert {(e.user_name, e.channel) for e in events} == {(getpass.getuser(), "cli")}
    engine.dispose()


def test_users_print_only_keys_and_tables_on_stdout(app: typer.Typer, runner: CliRunner, data_dir: Path) -> None:
    """`KEY=$(placeplan users add ...)` captures the key alone: what was done and every error go to stderr."""
    engine = make_engine(f"sqlite:///{data_dir / 'placeplan.db'}")
    upgrade_to_head(engine)
    with Session(engine) as session:
        north = store.save_instance(session, build_small_instance(), "t")
        session.commit()
    engine.dispose()

    added = runner.invoke(app, ["users", "add", "b.planner", "--role", "planner", "--council", "Testshire"])
    assert added.exit_code == 0, added.output
    key = added.stdout.strip()
    assert key.startswith("pp_") and "\n" not in key and "created user b.planner" in added.stderr

    granted = runner.invoke(app, ["users", "grant", "b.planner", "--council", str(north), "--role", "officer"])
    assert (granted.exit_code, granted.stdout) == (0, "")
    assert f"b.planner is a member of council {north} as officer" in granted.stderr

    for args in (["users", "add", "x", "--role", "planner", "--council", "Nowhere"],
                 ["users", "grant", "nobody", "--council", str(north)],
                 ["users", "revoke", "abcdef123456"]):
        failed = runner.invoke(app, args)
        assert (failed.exit_code, failed.stdout) == (1, ""), args
        assert failed.stderr.startswith("error: "), failed.stderr

    rotated = runner.invoke(app, ["users", "rotate", key.split("_")[1]])
    new_key = rotated.stdout.strip()
    assert rotated.exit_code == 0 and new_key.startswith("pp_") and new_key != key and "\n" not in new_key
    assert "revoked key" in rotated.stderr
    revoked = runner.invoke(app, ["users", "revoke", new_key.split("_")[1]])
    assert (revoked.exit_code, revoked.stdout) == (0, "") and "revoked key" in revoked.stderr

    listed = runner.invoke(app, ["users", "list", "--csv", "-"])
    assert listed.exit_code == 0 and listed.stderr == ""
    assert listed.stdout.splitlines()[0] == "id,name,role,councils (id: role),active,keys,created"
    assert listed.stdout.splitlines()[1].startswith(f"1,b.planner,planner,{north}: officer,yes,none,")
