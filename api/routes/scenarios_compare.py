"""Scenario comparison and expansion frontier downloads (planners, commissioners; admin implied).

`GET /scenario-comparisons?run_ids=a&run_ids=b&format=json|csv|xlsx|png|svg` lays finished "scenario" runs side by
side per year with each figure's difference against the baseline (the figures are the runs' own:
`scenarios.comparison.compare_runs`). `GET /expansion-runs/{run_id}/
frontier?format=json|csv|png|svg` returns an expansion run's budget frontier. Aggregates only: no learner data.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import Principal, Role, allow, require_roles
from api.deps import SessionDep
from api.jobs import load_run_for
from api.problems import ProblemError
from api.tables import RunRow
from planner.io.cells import SafeDictWriter

router = APIRouter(tags=["scenario comparison"])
COMPARE_ROLES = (Role.PLANNER, Role.COMMISSIONER)
Caller = Annotated[Principal, Depends(require_roles(*COMPARE_ROLES))]
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "svg": "image/svg+xml",
}
# Every format a route can answer with, documented in OpenAPI (schemathesis with real run ids reached them).
FILE_SCHEMAS = {"json": {"type": "object"}, "csv": {"type": "string"}, "xlsx": {"type": "string", "format": "binary"},
                "png": {"type": "string", "format": "binary"}, "svg": {"type": "string"}}


def _formats(*names: str) -> dict[int | str, dict[str, Any]]:
    content = {MEDIA[name].split(";")[0]: {"schema": FILE_SCHEMAS[name]} for name in names}
    return {200: {"description": f"The result as {', '.join(names)} (query `format`)", "content": content}}


def _finished_run(session: SessionDep, principal: Principal, request: Request, run_id: str, kind: str
                  ) -> tuple[RunRow, dict[str, Any]]:
    run = load_run_for(session, principal, run_id, request)
    session.commit()
    if run.kind != kind:
        raise ProblemError(422, "Unprocessable Content", f"run {run_id!r} is a {run.kind!r} run, not {kind!r}")
    if run.status != "succeeded" or not run.result:
        raise ProblemError(409, "Conflict", f"run {run_id!r} has not succeeded (status {run.status!r})")
    result: dict[str, Any] = run.result
    return run, result


def _finished_result(session: SessionDep, principal: Principal, request: Request, run_id: str, kind: str
                     ) -> dict[str, Any]:
    return _finished_run(session, principal, request, run_id, kind)[1]


def _label(result: dict[str, Any], run_id: str, taken: set[str]) -> str:
    name = str(result.get("scenario", {}).get("name") or run_id)
    label = name if name not in taken else f"{name} ({run_id})"
    taken.add(label)
    return label


@router.get("/scenario-comparisons", **allow(*COMPARE_ROLES), response_model=None,
            responses=_formats("json", "csv", "xlsx", "png", "svg"))
def compare_scenario_runs(
    session: SessionDep, principal: Caller, request: Request,
    run_ids: Annotated[list[str], Query(min_length=1, max_length=20, description="Finished scenario runs")],
    baseline_run_id: Annotated[str | None, Query(description="The run differences are taken against (one of "
                                                 "run_ids); default: the baseline's run if compared, else the "
                                                 "first")] = None,
    format: Annotated[str, Query(pattern="^(json|csv|xlsx|png|svg)$")] = "json",
) -> Any:
    """Side-by-side per-year KPIs of scenario runs with differences against the baseline: table (JSON/CSV/XLSX)
    or chart (PNG/SVG). Each run is named by the scenario it ran (and its lineage); stale runs say so."""
    from api.scenario_store import stale_reasons
    from scenarios.comparison import compare_runs, comparison_chart, comparison_csv, comparison_xlsx

    if baseline_run_id is not None and baseline_run_id not in run_ids:
        raise ProblemError(422, "Unprocessable Content", f"baseline_run_id {baseline_run_id!r} is not one of run_ids")
    results: dict[str, dict[str, Any]] = {}
    about: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for run_id in run_ids:
        run, result = _finished_run(session, principal, request, run_id, "scenario")
        label = _label(result, run_id, taken)
        results[label] = result
        stale = stale_reasons(session, [run])[run.id]
        about[label] = {"run_id": run.id, "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                        "stale": stale is not None, "stale_reason": stale}
    baseline = next((label for label, info in about.items() if info["run_id"] == baseline_run_id), None)
    table = compare_runs(results, baseline)
    table["scenarios"] = [{**entry, **about[entry["label"]]} for entry in table["scenarios"]]
    if format == "json":
        return table
    if format == "csv":
        body: bytes = comparison_csv(table).encode("utf-8")
    elif format == "xlsx":
        body = comparison_xlsx(table)
    else:
        body = comparison_chart(table, format)
    headers = {"Content-Disposition": f'attachment; filename="scenario-comparison.{format}"'}
    return Response(content=body, media_type=MEDIA[format], headers=headers)


@router.get("/expansion-runs/{run_id}/frontier", **allow(*COMPARE_ROLES), response_model=None,
            responses=_formats("json", "csv", "png", "svg"))
def expansion_frontier(
    run_id: str, session: SessionDep, principal: Caller, request: Request,
    format: Annotated[str, Query(pattern="^(json|csv|png|svg)$")] = "json",
) -> Any:
    """An expansion run's budget frontier (outcome against total capital) as a table or a chart."""
    from planner.expansion.programme import frontier_chart

    result = _finished_result(session, principal, request, run_id, "expansion")
    rows: list[dict[str, Any]] = list(result.get("frontier") or [])
    if not rows:
        raise ProblemError(404, "Not Found", f"run {run_id!r} has no budget frontier (frontier_fractions was empty)")
    if format == "json":
        return {"run_id": run_id, "frontier": rows}
    if format == "csv":
        buffer = io.StringIO()
        writer = SafeDictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        body = buffer.getvalue().encode("utf-8")
    else:
        body = frontier_chart(rows, format)
    headers = {"Content-Disposition": f'attachment; filename="expansion-frontier-{run_id}.{format}"'}
    return Response(content=body, media_type=MEDIA[format], headers=headers)
