"""The money view of scenario runs as a download (planners, commissioners; admin implied).

`GET /scenario-money?run_ids=a&run_ids=b&format=json|csv|xlsx|png|svg`: each finished "scenario" run's high-needs
spend per year (by type of provision, transport, unmet need), capital, and against the baseline run among them
(the run whose scenario is "baseline") the savings and payback year (`scenarios.runner.compare_money`; the figures
are the runs' own stored "money"). Aggregates only: no learner data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import Principal, allow, require_roles
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes.scenarios_compare import COMPARE_ROLES, MEDIA, _finished_result, _label

router = APIRouter(tags=["scenario comparison"])
Caller = Annotated[Principal, Depends(require_roles(*COMPARE_ROLES))]


@router.get("/scenario-money", **allow(*COMPARE_ROLES), response_model=None)
def scenario_money(
    session: SessionDep, principal: Caller, request: Request,
    run_ids: Annotated[list[str], Query(min_length=1, max_length=20, description="Finished scenario runs")],
    format: Annotated[str, Query(pattern="^(json|csv|xlsx|png|svg)$")] = "json",
) -> Any:
    """Spend, capital, savings against the baseline and payback year of scenario runs: JSON/CSV/XLSX or a chart."""
    from planner.io.money_export import money_chart, money_csv, money_xlsx
    from scenarios.runner import compare_money

    runs: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for run_id in run_ids:
        result = _finished_result(session, principal, request, run_id, "scenario")
        if not result.get("money"):
            raise ProblemError(409, "Conflict", f"run {run_id!r} has no money view (run before the cost model)")
        runs[_label(result, run_id, taken)] = result
    money = compare_money(runs)
    if format == "json":
        return money
    if format == "csv":
        body: bytes = money_csv(money["views"]).encode("utf-8")
    elif format == "xlsx":
        body = money_xlsx(money["views"])
    else:
        body = money_chart(money["views"], format)
    headers = {"Content-Disposition": f'attachment; filename="scenario-money.{format}"'}
    return Response(content=body, media_type=MEDIA[format], headers=headers)
