"""Several service processes on one database (uvicorn --workers): each marks interrupted only the unfinished runs
of processes that are gone, never a live sibling's, and migrations started together run once (api.runners,
api.migrate._migration_lock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.jobs import JobRunner
from api.migrate import current_revision, head_revision
from api.runners import process_token
from api.tables import RunRow, RunStatus

SIBLING = textwrap.dedent("""
    import sys, time
    from api.db import make_engine
    from api.runners import register_runner
    register_runner(make_engine(sys.argv[1]), sys.argv[2])
    print("registered", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def sibling(sqlite_engine: Engine) -> Iterator[subprocess.Popen[str]]:
    """Another live service process on this host, registered as runner 'sibling'."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    process = subprocess.Popen([sys.executable, "-c", SIBLING, url, "sibling"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "registered"
    yield process
    process.kill()
    process.wait()


def _run(session: Session, runner_id: str | None, status: RunStatus = RunStatus.RUNNING) -> str:
    run = RunRow(kind="test_sleep", status=status.value, runner_id=runner_id)
    session.add(run)
    session.commit()
    return run.id


def _statuses(engine: Engine, run_ids: list[str]) -> list[str]:
    with Session(engine) as session:
        return [row.status for row in (session.get(RunRow, run_id) for run_id in run_ids) if row is not None]


def _runner(engine: Engine) -> JobRunner:
    runner = JobRunner.build(engine, engine.url.render_as_string(hide_password=False), 1)
    runner.register()
    return runner


def test_a_live_siblings_runs_are_kept_and_a_dead_ones_are_interrupted(sqlite_engine: Engine,
                                                                          sibling: subprocess.Popen[str]) -> None:
    with Session(sqlite_engine) as session:
        siblings = _run(session, "sibling")
        queued = _run(session, "sibling", RunStatus.QUEUED)
        orphan = _run(session, None)  # queued before runners were recorded
        gone = _run(session, "a-runner-that-never-registered")
    assert _runner(sqlite_engine).mark_interrupted() == 2
    assert _statuses(sqlite_engine, [siblings, queued, orphan, gone]) == ["running", "queued", "interrupted",
                                                                          "interrupted"]
    sibling.kill()
    sibling.wait()
    assert _runner(sqlite_engine).mark_interrupted() == 2
    assert _statuses(sqlite_engine, [siblings, queued]) == ["interrupted", "interrupted"]


def test_shutdown_marks_only_its_own_runs(sqlite_engine: Engine, sibling: subprocess.Popen[str]) -> None:
    runner = _runner(sqlite_engine)
    with Session(sqlite_engine) as session:
        own = _run(session, runner.runner_id)
        siblings = _run(session, "sibling")
    assert runner.mark_interrupted(own_only=True) == 1
    assert _statuses(sqlite_engine, [own, siblings]) == ["interrupted", "running"]


def test_an_older_runner_of_this_process_is_replaced(sqlite_engine: Engine) -> None:
    """Tests build several apps in one process: a new app treats the older apps' runs as a restart would."""
    first = _runner(sqlite_engine)
    with Session(sqlite_engine) as session:
        run = _run(session, first.runner_id)
    assert _runner(sqlite_engine).mark_interrupted() == 1
    assert _statuses(sqlite_engine, [run]) == ["interrupted"]


def test_a_process_token_tells_a_live_process_from_a_gone_one() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        token = process_token(child.pid)
        assert token is not None and token == process_token(child.pid)
    finally:
        child.kill()
        child.wait()
    assert process_token(child.pid) is None


MIGRATE = "import sys; from api.migrate import upgrade_to_head; upgrade_to_head(sys.argv[1]); print('ok')"


def test_migrations_started_together_run_once(database_url: str) -> None:
    """Four processes migrate one new database at the same moment (as uvicorn --workers 4 would): all succeed."""
    url = database_url
    processes = [subprocess.Popen([sys.executable, "-c", MIGRATE, url], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], [err[-500:] for _, err in outcomes]
    from api.db import make_engine

    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
