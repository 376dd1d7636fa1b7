"""Forecast and sufficiency downloads under /api/v1: charts (PNG/SVG), the workbook and the SCAP forecast.

Aggregates only (need x phase x locality counts, places per setting): commissioners, planners and admins.
Each request runs the forecast (seeded, so the same query gives the same answer) on a stored instance, as a
"download" run in the job runner's workers (api.downloads): 200 with the file when it is ready within the
service's `download_wait_seconds`, else 202 with the run's Location; then GET /runs/{run_id}/download.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api import downloads
from api.audit import record_audit
from api.auth import Principal, Role, allow, require_roles
from api.jobs import load_run_for
from api.problems import ProblemError
from api.routes._common import InstanceId, instance_row
from api.routes.runs import RunId
from api.schemas import RunPublic
from api.tables import RunRow, RunStatus

router = APIRouter(tags=["sufficiency"])
AGGREGATE_ROLES = (Role.COMMISSIONER, Role.PLANNER)
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"schema": {"type": "string", "format": "binary"}}
NOT_FOUND = {404: {"description": "No such instance"}}
ACCEPTED = {202: {"description": "Still computing: poll the run at Location, then GET /runs/{run_id}/download",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunPublic"}}}}}
Caller = Annotated[Principal, Depends(require_roles(*AGGREGATE_ROLES))]


def _download(description: str, *media_types: str) -> dict[str, Any]:
    """Route keywords for a file download: its media types in OpenAPI (not JSON), plus the role check."""
    content = {media: BINARY for media in media_types}
    return {"response_class": Response, "responses": {200: {"content": content, "description": description},
                                                      **ACCEPTED, **NOT_FOUND}}

Years = Annotated[int, Query(ge=1, le=10, description="Years to project")]
Runs = Annotated[int, Query(ge=1, le=5000, description="Monte Carlo runs")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1, description="Random seed")]
Quantile = Annotated[float, Query(ge=0, le=1, description="Forecast quantile used as demand")]


def _queue(request: Request, principal: Principal, instance_id: int, parameters: dict[str, Any]) -> RunRow:
    """The download's run: one already queued or running with the same parameters, else a new one (audited)."""
    jobs = request.app.state.jobs
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        instance_row(session, instance_id)
        run = downloads.in_flight(session, instance_id, parameters)
        if run is not None and jobs.future_of(run.id) is not None:
            return run
        run = RunRow(kind=downloads.DOWNLOAD_KIND, instance_id=instance_id, parameters=parameters,
                     created_by=principal.user_name, runner_id=jobs.runner_id)
        session.add(run)
        session.flush()
        record_audit(session, principal, request, action="create", resource_type="run", resource_id=run.id,
                     instance_id=str(instance_id))
        session.commit()
    jobs.submit(run.id, run.kind)
    return run


def _finished(request: Request, run_id: str) -> RunRow:
    with Session(request.app.state.engine) as session:
        run = session.get(RunRow, run_id)
        assert run is not None
        return run


def _file_response(run: RunRow, name: str) -> Response:
    if run.status == RunStatus.FAILED.value:
        error = run.error or "the download failed"
        if error.startswith("TimeoutError: "):  # stopped at its time limit (api.downloads.time_limit)
            raise ProblemError(504, "Gateway Timeout", error.removeprefix("TimeoutError: "))
        raise ProblemError(422, "Unprocessable Content", error.removeprefix("ValueError: "))
    if run.status != RunStatus.SUCCEEDED.value:
        raise ProblemError(409, "Conflict", f"the download run is {run.status}: no file")
    content, media_type, filename = downloads.file_of(run)
    headers = {"Content-Disposition": f'attachment; filename="{name or filename}"'} if name else None
    return Response(content, media_type=media_type, headers=headers)


async def _serve(request: Request, principal: Principal, instance_id: int, parameters: dict[str, Any],
                 attachment: str = "") -> Response:
    """Queue (or join) the download's run, wait for it without a thread, answer with the file or 202."""
    run = await run_in_threadpool(_queue, request, principal, instance_id, parameters)
    await downloads.wait_for(request.app.state.jobs, run.id, request.app.state.settings.download_wait_seconds)
    run = await run_in_threadpool(_finished, request, run.id)
    if run.status in (RunStatus.QUEUED.value, RunStatus.RUNNING.value):
        body = RunPublic.model_validate(run.model_dump()).model_dump(mode="json")
        return JSONResponse({**body, "download": f"/api/v1/runs/{run.id}/download"}, status_code=202,
                            headers={"Location": f"/api/v1/runs/{run.id}", "Retry-After": "5"})
    return _file_response(run, attachment)


def _format(fmt: str) -> str:
    if fmt not in MEDIA:
        raise ProblemError(422, "Unprocessable Content", f"format must be png or svg, got {fmt!r}")
    return fmt


@router.get("/instances/{instance_id}/forecast/fan-chart.{fmt}",
            **_download("Fan chart, PNG or SVG", *MEDIA.values()), **allow(*AGGREGATE_ROLES))
async def forecast_fan_chart(instance_id: InstanceId, fmt: str, request: Request, principal: Caller,
                             years: Years = 5, runs: Runs = 1000, seed: Seed = 2026,
                             measure: str = "specialist") -> Response:
    """Fan chart (p10-p90 band, p50 line) of forecast learners per need."""
    from planner.forecast.simulation import MEASURES

    if measure not in MEASURES:
        raise ProblemError(422, "Unprocessable Content", f"measure must be one of {', '.join(MEASURES)}")
    return await _serve(request, principal, instance_id, {"what": "fan_chart", "fmt": _format(fmt), "years": years,
                                                          "runs": runs, "seed": seed, "measure": measure})


@router.get("/instances/{instance_id}/sufficiency/heatmap.{fmt}",
            **_download("Heatmap, PNG or SVG", *MEDIA.values()), **allow(*AGGREGATE_ROLES))
async def sufficiency_heatmap(instance_id: InstanceId, fmt: str, request: Request, principal: Caller,
                              years: Years = 5, runs: Runs = 1000, seed: Seed = 2026,
                              quantile: Quantile = 0.5) -> Response:
    """Heatmap per year: need x locality, colour = learners not placed in area."""
    return await _serve(request, principal, instance_id, {"what": "heatmap", "fmt": _format(fmt), "years": years,
                                                          "runs": runs, "seed": seed, "quantile": quantile})


@router.get("/instances/{instance_id}/sufficiency/workbook.xlsx", **_download("Workbook", XLSX),
            **allow(*AGGREGATE_ROLES))
async def sufficiency_workbook(instance_id: InstanceId, request: Request, principal: Caller, years: Years = 5,
                               runs: Runs = 1000, seed: Seed = 2026, quantile: Quantile = 0.5) -> Response:
    """The sufficiency workbook: one sheet per view, totals and the assumptions used."""
    return await _serve(request, principal, instance_id, {"what": "workbook", "years": years, "runs": runs,
                                                          "seed": seed, "quantile": quantile},
                        f"sufficiency-{instance_id}.xlsx")


@router.get("/instances/{instance_id}/forecast/scap.csv", **_download("SCAP-style forecast, CSV", "text/csv"),
            **allow(*AGGREGATE_ROLES))
async def scap_forecast(instance_id: InstanceId, request: Request, principal: Caller, runs: Runs = 1000,
                        seed: Seed = 2026) -> Response:
    """SCAP-style specialist place forecast (primary 5 years, secondary 7 years) as CSV."""
    return await _serve(request, principal, instance_id, {"what": "scap", "years": 7, "runs": runs, "seed": seed},
                        f"scap-{instance_id}.csv")


@router.get("/runs/{run_id}/download", **_download("The file of a finished download run", *downloads.MEDIA.values()),
            **allow(*AGGREGATE_ROLES))
def run_download_file(run_id: RunId, request: Request, principal: Caller) -> Response:
    """The file a download run made (after a 202 from a forecast or sufficiency download)."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        run = load_run_for(session, principal, run_id, request)
        session.commit()
    if run.kind != downloads.DOWNLOAD_KIND:
        raise ProblemError(404, "Not Found", f"run {run_id!r} is a {run.kind} run, not a download")
    return _file_response(run, "")
