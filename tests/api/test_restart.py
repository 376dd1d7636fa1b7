"""Restart test: a real uvicorn server (worker processes, SQLite file) is SIGKILLed mid-solve and started again.

The run that was in flight shows `interrupted` (and can be resubmitted); the run that had finished is intact.
Only the server process is killed (not its process group, as a crash or the OOM killer would): its solve workers
must not outlive it by more than 5 seconds (issue 18, item 6: orphans finished their solves for minutes).
Uses the test-only run kinds (PLACEPLAN_ENABLE_TEST_RUN_KINDS=1).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from api import store
from api.auth import Role, create_user
from api.db import make_engine
from api.migrate import upgrade_to_head

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`placeplan serve`-equivalent: uvicorn with the create_app factory, in its own process group."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_url, "PLACEPLAN_ENABLE_TEST_RUN_KINDS": "1",
               "PLACEPLAN_RUN_WORKERS": "1"}
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.kill()
        raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")

    def children(self) -> list[int]:
        """Pids of the server's child processes (its solve workers), from /proc (Linux)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def kill_server_only(self) -> None:
        """SIGKILL the server process alone: its workers are left to notice that their parent died."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the server and its solve workers (its whole process group): a crash, not a shutdown."""
        with contextlib.suppress(ProcessLookupError):  # also any orphan left in the group by a failed test
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(client: httpx.Client, run_id: str, condition: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/runs/{run_id}").json()
        if condition(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"run {run_id}: {body}")


def test_sigkill_mid_solve_marks_the_run_interrupted_and_keeps_finished_ones(
    tmp_path: Path, small_instance: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as session:
        key = create_user(session, "restart-admin", Role.ADMIN)[1]
        instance_id = store.save_instance(session, small_instance, "test")
        session.commit()
    engine.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    log = tmp_path / "server.log"

    server = Server(url, log)
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
            quick = client.post("/api/v1/runs", json={"kind": "test_sleep", "instance_id": instance_id,
                                                      "parameters": {"seconds": 0.2}})
            assert quick.status_code == 202, quick.text
            finished = _wait(client, quick.json()["id"], lambda r: r["status"] == "succeeded")
            slow = client.post("/api/v1/runs", json={"kind": "test_sleep", "instance_id": instance_id,
                                                     "parameters": {"seconds": 300}})
            slow_id = slow.json()["id"]
            _wait(client, slow_id, lambda r: r["status"] == "running" and r["progress"] > 0)
        workers = server.children()
        assert workers, "the solve should be running in a worker process"
        server.kill_server_only()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "solve workers outlived the killed server by over 5 s"
    finally:
        server.kill()

    server = Server(url, log)
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
            interrupted = client.get(f"/api/v1/runs/{slow_id}").json()
            assert interrupted["status"] == "interrupted", interrupted
            assert interrupted["finished_at"] is not None
            intact = client.get(f"/api/v1/runs/{finished['id']}").json()
            assert intact == finished  # the finished run is exactly as it was
            again = client.post(f"/api/v1/runs/{slow_id}/resubmit")
            assert again.status_code == 202 and again.json()["resubmitted_from"] == slow_id
            _wait(client, again.json()["id"], lambda r: r["status"] == "running")
            cancelled = client.delete(f"/api/v1/runs/{again.json()['id']}")
            assert cancelled.status_code == 202
            done = _wait(client, again.json()["id"], lambda r: r["status"] != "running", timeout=10)
            assert done["status"] == "cancelled"
    finally:
        server.kill()
