"""Load benchmark: 50 concurrent clients read settings and run status while placement solves run.

    .venv/bin/python benchmarks/load_api.py [--clients 50] [--seconds 30] [--think-ms 100] [--kind placement]
    .venv/bin/python benchmarks/load_api.py --url http://host:8000 --key pp_... --instance-id 1   (running server)

Without --url it starts `uvicorn api.main:create_app --factory` on a temporary SQLite database holding the demo
council (scenarios.demo.build_demo) with one solve worker process. A driver keeps one solve of `--kind` running
for the whole window (a new run is queued as soon as one finishes; `test_cpu` is a pure-Python CPU-bound
stand-in). Each client is its own httpx.AsyncClient and alternates GET settings (a page of 50) and GET run
status, waiting `--think-ms` between requests (a polling client; 0 = closed loop, as fast as possible).
Prints one line: requests/s, p50/p95/p99 latency in ms and the error count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_database(url: str, preset: str) -> tuple[str, int]:
    from sqlmodel import Session

    from api import store
    from api.auth import Role, create_user
    from api.db import make_engine
    from api.migrate import upgrade_to_head
    from scenarios.demo import build_demo

    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as session:
        key = create_user(session, "load-benchmark", Role.ADMIN)[1]
        instance_id = store.save_instance(session, build_demo(preset, 2026), f"demo:{preset}:2026")
        session.commit()
    engine.dispose()
    return key, instance_id


def _start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "PLACEPLAN_RUN_WORKERS": "1", "PLACEPLAN_ENABLE_TEST_RUN_KINDS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "warning", "--no-access-log"],
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


async def _reader(base: str, headers: dict[str, str], instance_id: int, stop: asyncio.Event, think: float,
                  state: dict[str, object], latencies: list[float], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        turn = 0
        while not stop.is_set():
            turn += 1
            run_id = state.get("run_id")
            path = (f"/api/v1/runs/{run_id}" if turn % 2 == 0 and run_id
                    else f"/api/v1/instances/{instance_id}/settings?limit=50&offset={(turn * 7) % 60}")
            started = time.perf_counter()
            try:
                response = await client.get(path)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {path}")
            except httpx.HTTPError as error:
                errors.append(f"{type(error).__name__} {path}")
            latencies.append((time.perf_counter() - started) * 1000)
            if think:
                await asyncio.sleep(think)


async def _measure(base: str, key: str, instance_id: int, clients: int, seconds: float, think: float,
                   kind: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    stop = asyncio.Event()
    state: dict[str, object] = {}
    driver = asyncio.create_task(_drive_solves(base, headers, kind, instance_id, stop, state))
    while "run_id" not in state:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # let the solve get going before measuring
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    readers = [asyncio.create_task(_reader(base, headers, instance_id, stop, think, state, latencies, errors))
               for _ in range(clients)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*readers)
    elapsed = time.perf_counter() - started
    driver.cancel()
    with suppress(asyncio.CancelledError, httpx.HTTPError):
        await driver
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(f"solves: kind={kind} finished={state.get('solves', 0)} statuses={state.get('statuses', [])} "
          f"wall_seconds={state.get('walls', [])} (one always running during the window)")
    if errors:
        print(f"first errors: {errors[:5]}")
    print(f"load_api: clients={clients} seconds={elapsed:.1f} think_ms={think * 1000:.0f} requests={len(latencies)} "
          f"rps={len(latencies) / elapsed:.1f} p50_ms={quantiles[49]:.1f} p95_ms={quantiles[94]:.1f} "
          f"p99_ms={quantiles[98]:.1f} errors={len(errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="Use a running server instead of starting one")
    parser.add_argument("--key", help="API key for --url (admin, or officer for placement runs)")
    parser.add_argument("--instance-id", type=int, default=1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think-ms", type=float, default=100.0)
    parser.add_argument("--kind", default="placement", help="placement (real solver) or test_cpu (stand-in)")
    parser.add_argument("--preset", default="demo", help="Demo preset to load when starting a server")
    args = parser.parse_args()
    if args.url:
        if not args.key:
            raise SystemExit("--key is needed with --url")
        asyncio.run(_measure(args.url, args.key, args.instance_id, args.clients, args.seconds, args.think_ms / 1000,
                             args.kind))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'load.db'}"
        key, instance_id = _prepare_database(url, args.preset)
        port = _free_port()
        server = _start_server(url, port, Path(folder) / "server.log")
        try:
            asyncio.run(_measure(f"http://127.0.0.1:{port}", key, instance_id, args.clients, args.seconds,
                                 args.think_ms / 1000, args.kind))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
