"""Which service process owns a queued or running run, and whether that process is still alive.

Each service process (one per uvicorn worker) has a `api.jobs.JobRunner` that registers itself here
(`register_runner`: host, pid and the process's start time) and stamps the runs it queues with its id. When a
process starts or stops, it marks interrupted the unfinished runs of processes that are gone (`live_runner_ids`),
never those of a sibling worker that is still running them. A process is alive when it runs on this host under the
same pid and start time (a reused pid has another start time). Processes on other hosts cannot be checked, so their
runs count as orphaned: run every service process of one database on one host (as before, one process was assumed).
Within one process only the newest runner counts (tests build several apps in one process; a server builds one).
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from api.service_tables import ServiceRunnerRow


def new_runner_id() -> str:
    return uuid.uuid4().hex


def process_token(pid: int) -> str | None:
    """The process's start time (Linux: field 22 of /proc/PID/stat, clock ticks since boot), or None when no such
    process runs. Without /proc: "alive" when the pid answers signal 0 (a reused pid is then not told apart)."""
    if Path("/proc/self/stat").exists():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return fields[19] if len(fields) > 19 else None  # fields[0] is field 3 (state)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # someone else's process: alive
        pass
    return "alive"


def register_runner(engine: Engine, runner_id: str) -> None:
    """Record this process as the runner `runner_id`, and forget runners of this host that are gone."""
    pid = os.getpid()
    with Session(engine) as session:
        dead = [row.id for row in session.exec(select(ServiceRunnerRow)) if not _alive(row, runner_id)]
        if dead:
            session.execute(delete(ServiceRunnerRow).where(col(ServiceRunnerRow.id).in_(dead)))
        session.add(ServiceRunnerRow(id=runner_id, host=socket.gethostname()[:255], pid=pid,
                                     process_token=process_token(pid) or "unknown"))
        session.commit()


def live_runner_ids(session: Session, own_runner_id: str) -> set[str]:
    """Ids of the runners still at work: this one, and other processes of this host that still run."""
    return {row.id for row in session.exec(select(ServiceRunnerRow)) if _alive(row, own_runner_id)}


def _alive(row: ServiceRunnerRow, own_runner_id: str) -> bool:
    if row.id == own_runner_id:
        return True
    if row.host != socket.gethostname()[:255] or row.pid == os.getpid():
        return False  # another host cannot be checked; an older runner of this very process is replaced
    token = process_token(row.pid)
    return token is not None and token == row.process_token
