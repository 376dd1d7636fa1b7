"""Load benchmark: 50 concurrent clients read settings and run status, and officers change learners, while a
placement-sized solve runs.

    .venv/bin/python benchmarks/load_api.py [--clients 50] [--seconds 30] [--think-ms 100] [--kind placement]
                                            [--preset county] [--database sqlite|postgres] [--write-share 0.2]
                                            [--server-workers 2]
                                            [--database-url postgresql://postgres@127.0.0.1/test]
    .venv/bin/python benchmarks/load_api.py --url http://host:8000 --key pp_... --instance-id 1   (running server)

Without --url it starts `uvicorn api.main:create_app --factory --workers 2` (two service processes, as
`placeplan serve --workers 2` on a 2-core machine, each with one solve worker process) on a
database holding a demo council (scenarios.demo.build_demo, preset `--preset`, default "county": 20,000 learners,
301 settings): a temporary SQLite file by default, or with `--database postgres` a temporary PostgreSQL database
created on the server at --database-url (default postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
A driver keeps one solve of `--kind` running for the whole window (a new run is queued as soon as one finishes):
by default the county's placement round (`run_placement` on `build_demo("county")`: each run loads the
20,000-learner instance and solves, about 5 s of CPU on this machine), so the solver competes for a core all the
time; `test_cpu` is a pure-Python CPU-bound stand-in.

Each client holds one keep-alive HTTP/1.1 connection (a small asyncio client: it writes the request, reads the
status line, headers and the whole Content-Length body, and counts any status but 200, short body, or connection
error as an error) and alternates GET settings (a page of 50) and GET run status (`/runs/{id}?include_result=false`:
a poller's read; the megabyte result of a finished county placement is fetched once, not by every poll); a share
`--write-share` of requests (default 0.2) are instead a PATCH of one learner (its suspensions count, a different
learner each time: an officer's edit, which validates that record and its references and writes an audit event).
Clients wait `--think-ms` between requests (a polling client; 0 = closed loop). All clients run in this one process.

Before the load, 50 PATCHes one after another on the idle server give the single-write latency
(`patch_idle: ... p50_ms p95_ms`; issue 18 target under 50 ms on the county). Then one line for the load:
requests/s, p50/p95/p99 latency in ms over all requests, the writes' own p95, the error count and the load average
before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _prepare_database(url: str, preset: str) -> tuple[str, int, list[str]]:
    from sqlmodel import Session

    from api import store
    from api.auth import Role, create_user
    from api.db import make_engine
    from api.migrate import upgrade_to_head
    from scenarios.demo import build_demo

    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as session:
        key = create_user(session, f"load-benchmark-{os.getpid()}", Role.ADMIN)[1]
        instance = build_demo(preset, 2026)
        instance_id = store.save_instance(session, instance, f"demo:{preset}:2026")
        session.commit()
    engine.dispose()
    return key, instance_id, [learner.id for learner in instance.learners]


def _start_server(url: str, port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "PLACEPLAN_RUN_WORKERS": "1", "PLACEPLAN_ENABLE_TEST_RUN_KINDS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit(f"server did not start; log: {log.read_text()[-2000:]}")


async def _drive_solves(base: str, headers: dict[str, str], kind: str, instance_id: int, stop: asyncio.Event,
                        state: dict[str, object]) -> None:
    """Keep one solve running for the whole window; record the current run id for the readers."""
    parameters = {"seconds": 60} if kind.startswith("test_") else {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while not stop.is_set():
            response = await client.post("/api/v1/runs", json={"kind": kind, "instance_id": instance_id,
                                                               "parameters": parameters})
            response.raise_for_status()
            run_id = response.json()["id"]
            state["run_id"] = run_id
            while not stop.is_set():
                run = (await client.get(f"/api/v1/runs/{run_id}")).json()
                if run["status"] not in ("queued", "running"):
                    state["solves"] = int(state.get("solves", 0)) + 1  # type: ignore[call-overload]
                    state.setdefault("statuses", []).append(run["status"])  # type: ignore[attr-defined]
                    state.setdefault("walls", []).append(run["statistics"].get("wall_seconds"))  # type: ignore[attr-defined]
                    break
                await asyncio.sleep(0.5)
            else:
                await client.delete(f"/api/v1/runs/{run_id}")


class KeepAliveClient:
    """One persistent HTTP/1.1 connection: GET a path, read the whole response, return the status.

    Deliberately small (httpx costs several times more CPU per request, and 50 of them share a core with the
    server): the benchmark should measure the server, not its own client.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.header_bytes = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        return await self.request("GET", path)

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else "")
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.header_bytes}{extra}\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {name.strip().lower(): value.strip()
                  for name, _, value in (line.partition(":") for line in lines[1:] if line)}
        await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class Workload:
    """What the clients do: the instance, its learners (for writes), the share of writes, where results go."""

    def __init__(self, instance_id: int, learner_ids: list[str], write_share: float) -> None:
        self.instance_id = instance_id
        self.learner_ids = learner_ids
        self.write_share = write_share
        self.writes = 0
        self.latencies: list[float] = []
        self.write_latencies: list[float] = []
        self.errors: list[str] = []

    def next_write(self) -> tuple[str, bytes]:
        """A PATCH of the next learner (round robin): its suspensions count, 0-3."""
        self.writes += 1
        learner_id = self.learner_ids[(self.writes * 7919) % len(self.learner_ids)]
        body = json.dumps({"suspensions": self.writes % 4}).encode()
        return f"/api/v1/instances/{self.instance_id}/learners/{learner_id}", body


async def _reader(base: str, headers: dict[str, str], work: Workload, stop: asyncio.Event, think: float,
                  state: dict[str, object]) -> None:
    address = urlsplit(base)
    client = KeepAliveClient(address.hostname or "127.0.0.1", address.port or 80, headers)
    turn = 0
    written = 0.0
    try:
        while not stop.is_set():
            turn += 1
            run_id = state.get("run_id")
            method, body = "GET", b""
            if work.learner_ids and written < turn * work.write_share:
                written += 1
                method = "PATCH"
                path, body = work.next_write()
            elif turn % 2 == 0 and run_id:
                path = f"/api/v1/runs/{run_id}?include_result=false"
            else:
                path = f"/api/v1/instances/{work.instance_id}/settings?limit=50&offset={(turn * 7) % 60}"
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(client.request(method, path, body), timeout=30)
                if status != 200:
                    work.errors.append(f"{status} {method} {path}")
            except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as error:
                work.errors.append(f"{type(error).__name__} {method} {path}")
                await client.close()
            elapsed_ms = (time.perf_counter() - started) * 1000
            work.latencies.append(elapsed_ms)
            if method == "PATCH":
                work.write_latencies.append(elapsed_ms)
            if think:
                await asyncio.sleep(think)
    finally:
        await client.close()


def _stat_fields(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu_seconds(pid: int | None, workers: int = 1) -> float:
    """User + system CPU time of the server (Linux /proc; 0 elsewhere or without a pid): the process itself, or with
    several workers its worker processes (uvicorn's supervisor's children; never the solve processes below them)."""
    if pid is None:
        return 0.0
    pids = [pid]
    if workers > 1:
        pids += [int(entry.name) for entry in Path("/proc").iterdir()
                 if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) and fields[1] == str(pid)]
    total = 0
    for each in pids:
        fields = _stat_fields(each)
        total += int(fields[11]) + int(fields[12]) if fields else 0
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    """User + system CPU time of every PostgreSQL server process on this machine (Linux /proc): what the database
    spends on the service's queries, which the server's own CPU time leaves out."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        fields = _stat_fields(int(entry.name))
        total += int(fields[11]) + int(fields[12]) if fields else 0
    return total / os.sysconf("SC_CLK_TCK")


def _quantiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=100) if len(values) > 1 else [0.0] * 99


async def _idle_patches(base: str, headers: dict[str, str], work: Workload, server_pid: int | None,
                        workers: int = 1, count: int = 50) -> None:
    """`count` PATCHes one after another with nothing else running: one learner write's own latency, and the
    server's CPU time per PATCH (which, unlike latency, hardly depends on what else the machine is doing)."""
    if not work.learner_ids:
        return
    cpu_before = _cpu_seconds(server_pid, workers)
    address = urlsplit(base)
    client = KeepAliveClient(address.hostname or "127.0.0.1", address.port or 80, headers)
    timings, statuses = [], []
    try:
        for _ in range(count):
            path, body = work.next_write()
            started = time.perf_counter()
            statuses.append(await client.request("PATCH", path, body))
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await client.close()
    q = _quantiles(timings)
    cpu_ms = (_cpu_seconds(server_pid, workers) - cpu_before) * 1000 / count
    print(f"patch_idle: learners={len(work.learner_ids)} patches={count} p50_ms={q[49]:.1f} p95_ms={q[94]:.1f} "
          f"max_ms={max(timings):.1f} errors={sum(s != 200 for s in statuses)}"
          + (f" server_cpu_ms_per_patch={cpu_ms:.2f}" if server_pid else ""))


async def _measure(base: str, key: str, work: Workload, clients: int, seconds: float, think: float,
                   kind: str, server_pid: int | None = None, workers: int = 1) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    instance_id = work.instance_id
    await _idle_patches(base, headers, work, server_pid, workers)
    load_before = os.getloadavg()
    stop = asyncio.Event()
    state: dict[str, object] = {}
    driver = asyncio.create_task(_drive_solves(base, headers, kind, instance_id, stop, state))
    while "run_id" not in state:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # let the solve get going before measuring
    cpu_before = _cpu_seconds(server_pid, workers)
    database_cpu_before = _postgres_cpu_seconds()
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    readers = [asyncio.create_task(_reader(base, headers, work, stop, think, state)) for _ in range(clients)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*readers)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    server_cpu = _cpu_seconds(server_pid, workers) - cpu_before
    database_cpu = _postgres_cpu_seconds() - database_cpu_before  # ~0 on SQLite (no PostgreSQL work)
    client_cpu = time.process_time() - client_cpu_before
    driver.cancel()
    with suppress(asyncio.CancelledError, httpx.HTTPError):
        await driver
    latencies, errors = work.latencies, work.errors
    quantiles = _quantiles(latencies)
    write_q = _quantiles(work.write_latencies)
    print(f"solves: kind={kind} finished={state.get('solves', 0)} statuses={state.get('statuses', [])} "
          f"wall_seconds={state.get('walls', [])} (one always running during the window)")
    if errors:
        print(f"first errors: {errors[:5]}")
    print(f"load_api: server_workers={workers} clients={clients} seconds={elapsed:.1f} "
          f"think_ms={think * 1000:.0f} requests={len(latencies)} "
          f"rps={len(latencies) / elapsed:.1f} p50_ms={quantiles[49]:.1f} p95_ms={quantiles[94]:.1f} "
          f"p99_ms={quantiles[98]:.1f} writes={len(work.write_latencies)} write_p95_ms={write_q[94]:.1f} "
          f"errors={len(errors)} "
          f"load_before={'/'.join(f'{x:.2f}' for x in load_before)} "
          f"load_after={'/'.join(f'{x:.2f}' for x in load_after)}"
          + (f" server_cpu_ms_per_request={server_cpu * 1000 / max(1, len(latencies)):.2f}" if server_pid else "")
          + f" client_cpu_ms_per_request={client_cpu * 1000 / max(1, len(latencies)):.2f}"
          + f" postgres_cpu_ms_per_request={database_cpu * 1000 / max(1, len(latencies)):.2f}")


@contextmanager
def _database(database_url: str | None, folder: Path) -> Iterator[str]:
    """A fresh database for the run: a SQLite file in `folder`, or a temporary database on a PostgreSQL server."""
    if not database_url:
        yield f"sqlite:///{folder / 'load.db'}"
        return
    import psycopg

    from api.settings import normalise_database_url

    parts = urlsplit(database_url)
    name = f"placeplan_load_{os.getpid()}"
    admin = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield normalise_database_url(parts._replace(path=f"/{name}").geturl())
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="Use a running server instead of starting one")
    parser.add_argument("--key", help="API key for --url (admin, or officer for placement runs)")
    parser.add_argument("--instance-id", type=int, default=1)
    parser.add_argument("--server-pid", type=int, help="With --url on this machine: report the server's CPU time")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think-ms", type=float, default=100.0)
    parser.add_argument("--kind", default="placement", help="placement (real solver) or test_cpu (stand-in)")
    parser.add_argument("--preset", default="county", help="Demo preset to load when starting a server")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help=f"sqlite: a temporary file; postgres: a temporary database on --database-url "
                             f"(default {DEFAULT_POSTGRES_URL})")
    parser.add_argument("--database-url", help="PostgreSQL server URL: the benchmark creates (and drops) a "
                        "temporary database on it (implies --database postgres)")
    parser.add_argument("--server-workers", type=int, default=2,
                        help="uvicorn worker processes (placeplan serve --workers; one per core, as a 2-core "
                             "deployment would run), each with one solve worker (the driver keeps one solve going)")
    parser.add_argument("--write-share", type=float, default=0.2,
                        help="Share of client requests that PATCH a learner (0 = reads only)")
    args = parser.parse_args()
    if args.url:
        if not args.key:
            raise SystemExit("--key is needed with --url")
        work = Workload(args.instance_id, [], 0.0)  # no learner ids known for a running server: reads only
        asyncio.run(_measure(args.url, args.key, work, args.clients, args.seconds, args.think_ms / 1000,
                             args.kind, args.server_pid))
        return
    server_url = args.database_url or (DEFAULT_POSTGRES_URL if args.database == "postgres" else None)
    with tempfile.TemporaryDirectory() as folder, _database(server_url, Path(folder)) as url:
        key, instance_id, learner_ids = _prepare_database(url, args.preset)
        work = Workload(instance_id, learner_ids, args.write_share)
        port = _free_port()
        server = _start_server(url, port, Path(folder) / "server.log", args.server_workers)
        try:
            print(f"database: {url.split('://')[0]} preset={args.preset}")
            asyncio.run(_measure(f"http://127.0.0.1:{port}", key, work, args.clients, args.seconds,
                                 args.think_ms / 1000, args.kind, server.pid, args.server_workers))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


if __name__ == "__main__":
    main()
