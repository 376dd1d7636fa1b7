"""Forecast and sufficiency downloads computed as runs (kind "download"), never on a request thread.

Each download runs the Monte Carlo forecast (up to 5,000 runs x 10 years); issue 18 measured 4 heatmaps with
runs=5000 holding all 4 request threads for 20 s (a settings GET waited behind them) and running on past the
30-second request timeout, since Python cannot stop a thread. Now the route queues a "download" run, executed by
the job runner's worker processes like any solve, and waits for it without holding a thread:
- finished within `download_wait_seconds` (default 20 s, inside the request timeout): 200 with the file, as before;
- else 202 with `Location: /api/v1/runs/{id}`: poll it, then GET `/api/v1/runs/{id}/download` for the file.
A second identical request while the first is queued or running waits for the same run (no duplicate work).
The run has a real time limit: in a worker process an alarm stops it after `time_limit_seconds` (default 300),
failing the run with a clear message (a thread executor, used by tests, cannot be interrupted and skips it).
"""

from __future__ import annotations

import asyncio
import base64
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session, col, select

from api.tables import RunRow, RunStatus
from planner.domain.models import Instance

DOWNLOAD_KIND = "download"
DEFAULT_TIME_LIMIT_SECONDS = 300
MEDIA = {"png": "image/png", "svg": "image/svg+xml",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """TimeoutError after `seconds` (SIGALRM: only in a process's main thread, i.e. a worker process)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the download took longer than its limit of {seconds:g} seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _project(instance: Instance, p: dict[str, Any]) -> tuple[Any, Any]:
    from planner.forecast.simulation import forecast
    from planner.sufficiency import assess_sufficiency

    projection = forecast(instance, {"horizon_years": p["years"], "runs": p["runs"], "seed": p["seed"]})
    quantile = p.get("quantile")
    return projection, (None if quantile is None else assess_sufficiency(instance, projection, {"quantile": quantile}))


def build_file(instance: Instance, p: dict[str, Any]) -> tuple[bytes, str]:
    """The file a download asks for (`what`: fan_chart, heatmap, workbook or scap) and its extension."""
    what = p["what"]
    projection, result = _project(instance, p)
    if what == "fan_chart":
        from planner.io.charts import forecast_fan_chart

        return forecast_fan_chart(projection, p["measure"], p["fmt"]), p["fmt"]
    if what == "heatmap":
        from planner.io.charts import sufficiency_heatmap

        return sufficiency_heatmap(result, {loc.id: loc.name for loc in instance.localities}, p["fmt"]), p["fmt"]
    if what == "workbook":
        from planner.io.sufficiency_export import sufficiency_workbook

        return sufficiency_workbook(instance, projection, result), "xlsx"
    if what == "scap":
        from planner.io.sufficiency_export import rows_to_csv, scap_rows

        return rows_to_csv(scap_rows(instance, projection)).encode("utf-8"), "csv"
    raise ValueError(f"what: unknown download {what!r}")


def run_download(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Run function of the "download" kind: the file, base64 in the result, with its media type and name."""
    with time_limit(float(parameters.get("time_limit_seconds", DEFAULT_TIME_LIMIT_SECONDS))):
        content, extension = build_file(instance, parameters)
    progress.report(1.0, "file ready")
    return {"status": "optimal", "statistics": {"bytes": len(content)}, "media_type": MEDIA[extension],
            "filename": f"{parameters['what'].replace('_', '-')}.{extension}",
            "content_base64": base64.b64encode(content).decode("ascii")}


def file_of(run: RunRow) -> tuple[bytes, str, str]:
    """A finished download run's file: (content, media type, file name)."""
    result = run.result or {}
    return base64.b64decode(result["content_base64"]), str(result["media_type"]), str(result["filename"])


def in_flight(session: Session, instance_id: int, parameters: dict[str, Any]) -> RunRow | None:
    """A queued or running download of the same instance with the same parameters, if any."""
    rows = session.exec(select(RunRow).where(
        col(RunRow.kind) == DOWNLOAD_KIND, col(RunRow.instance_id) == instance_id,
        col(RunRow.status).in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]))).all()
    return next((row for row in rows if row.parameters == parameters), None)


async def wait_for(jobs: Any, run_id: str, seconds: float) -> None:
    """Wait (without a thread) up to `seconds` for this process's execution of a run to end."""
    future = jobs.future_of(run_id)
    if future is None or seconds <= 0:
        return
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout=seconds)
    except Exception:  # noqa: BLE001 - timed out, failed or cancelled: the run row says which
        return
