"""Forecast and sufficiency downloads run as "download" runs in the job runner, not on request threads (issue 18,
item 5): the file when it is ready in time, else 202 and the run to poll; a real time limit in worker processes."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from openpyxl import load_workbook

from api import downloads

from .conftest import Service

WORKBOOK = "/api/v1/instances/{id}/sufficiency/workbook.xlsx?runs=20&years=2"


def test_a_quick_download_answers_with_the_file_and_leaves_a_run(service: Service) -> None:
    response = service.call("GET", WORKBOOK.format(id=service.instance_id), "commissioner")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith(f'sufficiency-{service.instance_id}.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book["Assumptions"]["B2"].value == "Testshire"
    runs = service.call("GET", "/api/v1/runs?kind=download", "commissioner").json()["items"]
    assert [(r["status"], r["created_by"], r["parameters"]["what"]) for r in runs] == [
        ("succeeded", "user-commissioner", "workbook")]


def test_a_slow_download_answers_202_then_the_file_comes_from_the_run(service_factory: Any, sqlite_engine: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real_build = downloads.build_file

    def slow_build(instance: Any, parameters: dict[str, Any]) -> tuple[bytes, str]:
        release.wait(10)
        return real_build(instance, parameters)

    monkeypatch.setattr(downloads, "build_file", slow_build)
    svc = service_factory(sqlite_engine, download_wait_seconds=0.2)
    with svc.client:
        path = f"/api/v1/instances/{svc.instance_id}/forecast/scap.csv?runs=20"
        first = svc.call("GET", path, "planner")
        again = svc.call("GET", path, "planner")
        assert (first.status_code, again.status_code) == (202, 202), first.text
        run_id = first.json()["id"]
        assert again.json()["id"] == run_id  # the same run, not a second computation
        assert first.headers["location"] == f"/api/v1/runs/{run_id}"
        started = time.monotonic()
        health = svc.client.get("/api/v1/health")  # the service answers while the download computes
        assert health.status_code == 200 and time.monotonic() - started < 2
        release.set()
        assert svc.wait_for(run_id, "planner")["status"] == "succeeded"
        file = svc.call("GET", first.json()["download"], "planner")
        assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
        assert file.text.startswith("academic_year,phase,forecast_specialist_learners")
        assert svc.call("GET", first.json()["download"], "officer").status_code == 403


def test_the_time_limit_stops_a_download_in_a_worker_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a worker (the main thread of its process) the alarm interrupts the computation itself."""
    def endless(instance: Any, parameters: dict[str, Any]) -> tuple[bytes, str]:
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(downloads, "build_file", endless)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="limit of 0.3 seconds"):
        downloads.run_download(None, {"what": "scap", "time_limit_seconds": 0.3}, None)  # type: ignore[arg-type]
    assert time.monotonic() - started < 2
