"""Transition runs: one learner's transition plan (JSON or a printable page), a team's calendar, the cases and the
team-week hours as CSV, dashboard counts.

A transitions run is started through the generic run API (`POST /api/v1/runs {"kind": "transitions",
"parameters": {"year": 2027}}`); these routes read its stored result (`planner.transitions.planning.plan_transitions`).
A learner's plan is learner-level: officers only (admin implied), read through `api.jobs.load_run_for` (role check
on the run kind, audited) plus one audit event for the learner. A team calendar lists learners too, so it is for
officers as well, with an audit event per learner in it; so is the cases CSV (every learner in the run, each
audited). The team-week CSV (hours booked against hours available per team and week) has no learner ids but
comes from an officer-only run, so it is for officers too. The counts are aggregates with no learner ids
(by transition, tier, need, team; late and unallocated), so commissioners and planners may read them: that route
cannot use `load_run_for` (transitions runs are officer-only as a whole), so it checks the kind itself, audits the
read and returns only `result["counts"]`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.audit import record_audit, record_learner_reads
from api.auth import Principal, Role, allow, require_roles
from api.deps import SessionDep
from api.jobs import load_run_for
from api.minimise import minimise_case
from api.problems import ProblemError
from api.routes._common import ID_PATTERN
from api.routes.runs import RunId
from api.scoping import run_council
from api.tables import RunRow, RunStatus

router = APIRouter(tags=["transitions"])
TRANSITIONS_KIND = "transitions"
Officer = Annotated[Principal, Depends(require_roles(Role.OFFICER))]
CountsReader = Annotated[Principal, Depends(require_roles(Role.COMMISSIONER, Role.PLANNER, Role.OFFICER))]
LearnerId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="Learner id")]
TeamId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="Outreach team id")]
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


class TransitionCounts(BaseModel):
    """Dashboard figures of a transitions run: no learner ids."""

    run_id: str
    year: int | None = None
    status: str | None = Field(default=None, description="The solve's status (OPTIMAL, FEASIBLE, ...)")
    cases: int
    by_transition: dict[str, int]
    by_tier: dict[str, int]
    by_need: dict[str, int]
    by_team: dict[str, int]
    preparing_for_adulthood: int
    late: int
    unallocated: int


def _finished(run: RunRow) -> dict[str, Any]:
    """The stored result of a finished transitions run, or 409."""
    if run.kind != TRANSITIONS_KIND:
        raise ProblemError(409, "Not a transitions run", f"run {run.id} is a {run.kind!r} run, not a transitions "
                           "run", type_slug="not-a-transitions-run")
    if run.status != RunStatus.SUCCEEDED.value or run.result is None:
        detail = f"run {run.id} is {run.status}"
        detail += ": wait for it to finish" if run.status in (RunStatus.QUEUED.value, RunStatus.RUNNING.value) else \
            ": start a new transitions run"
        raise ProblemError(409, "Transitions run not finished", detail, type_slug="transitions-run-not-finished")
    if not isinstance(run.result.get("cases"), list) or not isinstance(run.result.get("counts"), dict):
        raise ProblemError(409, "Transitions result unreadable", f"run {run.id} has a result this service cannot "
                           "read as a transition plan: start a new transitions run",
                           type_slug="transitions-result-unreadable")
    return run.result


def _officer_result(session: Session, principal: Principal, run_id: str, request: Request) -> tuple[RunRow,
                                                                                                  dict[str, Any]]:
    run = load_run_for(session, principal, run_id, request)
    session.commit()  # the run read is audited even when the run turns out unusable here
    return run, _finished(run)


def _case(run: RunRow, result: dict[str, Any], learner_id: str) -> dict[str, Any]:
    for case in result["cases"]:
        if case.get("learner_id") == learner_id:
            return dict(case)
    raise ProblemError(404, "Not Found", f"learner {learner_id!r} has no transition case in run {run.id}")


@router.get("/transitions/{run_id}/learners/{learner_id}", **allow(Role.OFFICER))
def learner_transition_plan(run_id: RunId, learner_id: LearnerId, session: SessionDep, principal: Officer,
                            request: Request) -> dict[str, Any]:
    """One learner's transition plan: timeline, rules that fired, tier, team and every activity's week."""
    run, result = _officer_result(session, principal, run_id, request)
    case = _case(run, result, learner_id)
    record_learner_reads(session, principal, request, run, [learner_id])
    return dict(minimise_case(case))


@router.get("/transitions/{run_id}/learners/{learner_id}/page", response_class=HTMLResponse,
            **allow(Role.OFFICER))
def learner_transition_page(run_id: RunId, learner_id: LearnerId, session: SessionDep, principal: Officer,
                            request: Request) -> HTMLResponse:
    """The same plan as a printable HTML page."""
    from planner.io.transition_export import learner_html

    run, result = _officer_result(session, principal, run_id, request)
    case = _case(run, result, learner_id)
    record_learner_reads(session, principal, request, run, [learner_id])
    return HTMLResponse(learner_html(minimise_case(case)))


@router.get("/transitions/{run_id}/teams/{team_id}/calendar.ics", response_class=Response,
            responses={200: {"content": {ICS_MEDIA_TYPE: {}}}}, **allow(Role.OFFICER))
def team_calendar(run_id: RunId, team_id: TeamId, session: SessionDep, principal: Officer,
                  request: Request) -> Response:
    """A team's scheduled activities as an iCalendar file (RFC 5545), one week-long event per activity."""
    from planner.io.transition_export import team_ics

    run, result = _officer_result(session, principal, run_id, request)
    if not any(team.get("team_id") == team_id for team in result.get("teams", [])):
        raise ProblemError(404, "Not Found", f"team {team_id!r} is not in transitions run {run.id}")
    learners = sorted({case["learner_id"] for case in result["cases"] if case.get("team_id") == team_id})
    record_learner_reads(session, principal, request, run, learners)
    return Response(team_ics(result, team_id), media_type=ICS_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="transitions-{team_id}.ics"'})


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@router.get("/transitions/{run_id}/cases.csv", response_class=Response,
            responses={200: {"content": {CSV_MEDIA_TYPE: {}}}}, **allow(Role.OFFICER))
def cases_csv_file(run_id: RunId, session: SessionDep, principal: Officer, request: Request) -> Response:
    """Every case with its deadline, slack and, for a case that will miss its deadline, the reason (those first)."""
    from planner.io.transition_export import cases_csv

    run, result = _officer_result(session, principal, run_id, request)
    record_learner_reads(session, principal, request, run, sorted({c["learner_id"] for c in result["cases"]}))
    return Response(cases_csv(result), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="transition-cases-{run.id}.csv"'})


@router.get("/transitions/{run_id}/team-weeks.csv", response_class=Response,
            responses={200: {"content": {CSV_MEDIA_TYPE: {}}}}, **allow(Role.OFFICER))
def team_weeks_csv_file(run_id: RunId, session: SessionDep, principal: Officer, request: Request) -> Response:
    """Each team's hours booked against its hours available in every week of the year (no learner ids)."""
    from planner.io.transition_export import team_weeks_csv

    run, result = _officer_result(session, principal, run_id, request)
    # An officer-only route of a learner-level run: audited like every other (no learner shown: learner_count 0)
    record_learner_reads(session, principal, request, run, [])
    return Response(team_weeks_csv(result), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="team-weeks-{run_id}.csv"'})


@router.get("/transitions/{run_id}/counts", **allow(Role.COMMISSIONER, Role.PLANNER, Role.OFFICER))
def transition_counts(run_id: RunId, session: SessionDep, principal: CountsReader,
                      request: Request) -> TransitionCounts:
    """Counts for dashboards (aggregates only): by transition, tier, need and team; late and unallocated."""
    run = session.get(RunRow, run_id)
    if run is None:
        raise ProblemError(404, "Not Found", f"no run with id {run_id!r}")
    run_council(principal, run, (Role.COMMISSIONER, Role.PLANNER, Role.OFFICER))
    record_audit(session, principal, request, action="read", resource_type="run_counts", resource_id=run.id,
                 instance_id=str(run.instance_id) if run.instance_id is not None else None)
    session.commit()
    result = _finished(run)
    counts = result["counts"]
    return TransitionCounts(run_id=run.id, year=result.get("year"), status=result.get("status"),
                            cases=counts["cases"], by_transition=counts["by_transition"], by_tier=counts["by_tier"],
                            by_need=counts["by_need"], by_team=counts["by_team"],
                            preparing_for_adulthood=counts["preparing_for_adulthood"], late=counts["late"],
                            unallocated=counts["unallocated"])
