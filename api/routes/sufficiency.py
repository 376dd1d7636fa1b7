"""Forecast and sufficiency downloads under /api/v1: charts (PNG/SVG), the workbook and the SCAP forecast.

Aggregates only (need x phase x locality counts, places per setting): commissioners, planners and admins.
Each request runs the forecast (seeded, so the same query gives the same answer) on a stored instance.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.auth import Role, allow
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes._common import InstanceId
from api.store import InstanceNotFound, load_instance
from planner.domain.models import Instance

router = APIRouter(tags=["sufficiency"])
AGGREGATE_ROLES = (Role.COMMISSIONER, Role.PLANNER)
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"schema": {"type": "string", "format": "binary"}}
NOT_FOUND = {404: {"description": "No such instance"}}


def _download(description: str, *media_types: str) -> dict[str, Any]:
    """Route keywords for a file download: its media types in OpenAPI (not JSON), plus the role check."""
    content = {media: BINARY for media in media_types}
    return {"response_class": Response, "responses": {200: {"content": content, "description": description},
                                                      **NOT_FOUND}}

Years = Annotated[int, Query(ge=1, le=10, description="Years to project")]
Runs = Annotated[int, Query(ge=1, le=5000, description="Monte Carlo runs")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1, description="Random seed")]
Quantile = Annotated[float, Query(ge=0, le=1, description="Forecast quantile used as demand")]


def _instance(session: Any, instance_id: int) -> Instance:
    try:
        return load_instance(session, instance_id)
    except InstanceNotFound as error:
        raise ProblemError(404, "Not Found", str(error)) from error


def _format(fmt: str) -> str:
    if fmt not in MEDIA:
        raise ProblemError(422, "Unprocessable Content", f"format must be png or svg, got {fmt!r}")
    return fmt


def _run(instance: Instance, years: int, runs: int, seed: int, quantile: float | None = None) -> tuple[Any, Any]:
    from planner.forecast.simulation import forecast
    from planner.sufficiency import assess_sufficiency

    try:
        projection = forecast(instance, {"horizon_years": years, "runs": runs, "seed": seed})
        result = None if quantile is None else assess_sufficiency(instance, projection, {"quantile": quantile})
    except ValueError as error:
        raise ProblemError(422, "Unprocessable Content", str(error)) from error
    return projection, result


@router.get("/instances/{instance_id}/forecast/fan-chart.{fmt}",
            **_download("Fan chart, PNG or SVG", *MEDIA.values()), **allow(*AGGREGATE_ROLES))
def forecast_fan_chart(instance_id: InstanceId, fmt: str, session: SessionDep, years: Years = 5, runs: Runs = 1000,
                       seed: Seed = 2026, measure: str = "specialist") -> Response:
    """Fan chart (p10-p90 band, p50 line) of forecast learners per need."""
    from planner.forecast.simulation import MEASURES
    from planner.io.charts import forecast_fan_chart as draw

    if measure not in MEASURES:
        raise ProblemError(422, "Unprocessable Content", f"measure must be one of {', '.join(MEASURES)}")
    projection, _ = _run(_instance(session, instance_id), years, runs, seed)
    return Response(draw(projection, measure, _format(fmt)), media_type=MEDIA[fmt])


@router.get("/instances/{instance_id}/sufficiency/heatmap.{fmt}",
            **_download("Heatmap, PNG or SVG", *MEDIA.values()), **allow(*AGGREGATE_ROLES))
def sufficiency_heatmap(instance_id: InstanceId, fmt: str, session: SessionDep, years: Years = 5, runs: Runs = 1000,
                        seed: Seed = 2026, quantile: Quantile = 0.5) -> Response:
    """Heatmap per year: need x locality, colour = learners not placed in area."""
    from planner.io.charts import sufficiency_heatmap as draw

    instance = _instance(session, instance_id)
    _, result = _run(instance, years, runs, seed, quantile)
    names = {loc.id: loc.name for loc in instance.localities}
    return Response(draw(result, names, _format(fmt)), media_type=MEDIA[fmt])


@router.get("/instances/{instance_id}/sufficiency/workbook.xlsx", **_download("Workbook", XLSX),
            **allow(*AGGREGATE_ROLES))
def sufficiency_workbook(instance_id: InstanceId, session: SessionDep, years: Years = 5, runs: Runs = 1000,
                         seed: Seed = 2026, quantile: Quantile = 0.5) -> Response:
    """The sufficiency workbook: one sheet per view, totals and the assumptions used."""
    from planner.io.sufficiency_export import sufficiency_workbook as build

    instance = _instance(session, instance_id)
    projection, result = _run(instance, years, runs, seed, quantile)
    return Response(build(instance, projection, result), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="sufficiency-{instance_id}.xlsx"'})


@router.get("/instances/{instance_id}/forecast/scap.csv", **_download("SCAP-style forecast, CSV", "text/csv"),
            **allow(*AGGREGATE_ROLES))
def scap_forecast(instance_id: InstanceId, session: SessionDep, runs: Runs = 1000, seed: Seed = 2026) -> Response:
    """SCAP-style specialist place forecast (primary 5 years, secondary 7 years) as CSV."""
    from planner.io.sufficiency_export import rows_to_csv, scap_rows

    instance = _instance(session, instance_id)
    projection, _ = _run(instance, 7, runs, seed)
    return Response(rows_to_csv(scap_rows(instance, projection)), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="scap-{instance_id}.csv"'})
