"""Solve runs (jobs): POST queues a run (202 + Location), GET polls it, DELETE cancels it, resubmit re-queues it.

Every solve kind goes through these routes; who may start or read a run depends on its kind (api.jobs).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import and_, bindparam, false, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from api.audit import record_audit
from api.auth import CurrentPrincipal, Principal, Role, allow, check_council_role
from api.deps import ReadSessionDep, SessionDep
from api.jobs import JobRunner, is_finished, load_run_for, run_kind_roles, scenario_edits_with_lineage
from api.minimise import minimise_result
from api.problems import ProblemError
from api.routes._common import MAX_DB_INT, Limit, Offset, instance_row, json_response, set_total
from api.scenario_store import shipped_fit_reasons, stale_reasons, stamp_run
from api.schemas import Page, RunCreate, RunPublic, RunSummary
from api.scoping import check_can_change, council_of_run, run_council, scenario_for
from api.tables import InstanceRow, RunRow, RunStatus

router = APIRouter(tags=["runs"])
ANY_ROLE = (Role.OFFICER, Role.COMMISSIONER, Role.PLANNER)  # the kind decides further (403 per kind)
RunId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$", description="Run id")]


def _jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


def _check_kind_role(jobs: JobRunner, principal: Principal, kind: str, council_id: int | None) -> Role:
    """The caller's role in the council when it may run `kind` solves there (404 not a member, 403 role)."""
    if not principal.holds_any(jobs.roles_for(kind)):
        raise ProblemError(403, "Forbidden", f"role {principal.role.value!r} may not run {kind!r} solves "
                           f"(allowed: {', '.join(jobs.roles_for(kind))})")
    return check_council_role(principal, council_id, jobs.roles_for(kind))


def _queue(session: Session, jobs: JobRunner, run: RunRow, principal: Principal, request: Request,
           response: Response, action: str) -> RunPublic:
    stamp_run(session, run)
    run.runner_id = jobs.runner_id  # this process executes it (api.runners)
    session.add(run)
    session.flush()
    record_audit(session, principal, request, action=action, resource_type="run", resource_id=run.id,
                 instance_id=str(run.council_id) if run.council_id is not None else None)
    session.commit()
    session.refresh(run)
    jobs.submit(run.id, run.kind)
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/runs/{run.id}"
    return RunPublic.model_validate(run.model_dump())


@router.post("/runs", response_model=RunPublic, status_code=202, **allow(*ANY_ROLE))
def create_run(body: RunCreate, session: SessionDep, principal: CurrentPrincipal, request: Request,
               response: Response) -> RunPublic:
    """Queue a solve; poll the Location for status, progress, statistics and result."""
    jobs = _jobs(request)
    jobs.ensure_available(body.kind)
    if body.instance_id is not None:
        council_id = body.instance_id
        role = _check_kind_role(jobs, principal, body.kind, council_id)
        instance_row(session, body.instance_id)
        _check_shipped_fits(session, body.instance_id, body.parameters.get("scenario"))
    else:
        assert body.scenario_id is not None
        scenario = scenario_for(session, principal, body.scenario_id, jobs.roles_for(body.kind))
        council_id = scenario.base_instance_id
        role = _check_kind_role(jobs, principal, body.kind, council_id)
        if scenario_edits_with_lineage(session, scenario) and importlib.util.find_spec("scenarios.what_if") is None:
            raise ProblemError(422, "Scenario edits unsupported", "this service cannot apply scenario edits yet "
                               "(scenarios.what_if is not installed)", type_slug="scenario-edits-unsupported")
    if body.kind == "cohort_forecast":
        from api.cohort_inputs import check_returns_name

        check_returns_name(body.parameters or {})
    run = RunRow(kind=body.kind, instance_id=body.instance_id, scenario_id=body.scenario_id,
                 parameters=body.parameters, created_by=principal.user_name, council_id=council_id,
                 owner_user_id=principal.user_id, owner_role=role.value)
    return _queue(session, jobs, run, principal, request, response, "create")


def _check_shipped_fits(session: Session, instance_id: int, name: Any) -> None:
    """422 when a run names a shipped scenario that does not exist or does not fit the council (the reason from
    scenarios.fitting: 'does not fit: no SEMH special school ...'), before anything is queued."""
    if name is None:
        return
    from scenarios.registry import scenario_names

    where = [{"loc": ["body", "parameters", "scenario"], "type": "value_error"}]
    if not isinstance(name, str) or name not in scenario_names():
        detail = f"unknown scenario {name!r}: expected one of {', '.join(scenario_names())}"
        raise ProblemError(422, "Unknown scenario", detail, errors=[{**where[0], "msg": detail}])
    reason = shipped_fit_reasons(session, instance_id, only=name)[name]
    if reason is not None:
        raise ProblemError(422, "Scenario does not fit", f"scenario {name!r} {reason}",
                           type_slug="scenario-does-not-fit", errors=[{**where[0], "msg": reason}])


@router.get("/runs", response_model=Page[RunSummary], **allow(*ANY_ROLE))
def list_runs(
    session: ReadSessionDep, principal: CurrentPrincipal, request: Request, response: Response,
    limit: Limit = 50, offset: Offset = 0,
    kind: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    status: RunStatus | None = None,
    instance_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    scenario_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    scenario_name: Annotated[str | None, Query(min_length=1, max_length=200,
                                               description="'baseline', a shipped or a stored scenario's name")] = None,
) -> Page[RunSummary]:
    """Runs the caller may see (in their councils, of the kinds their role there may see), newest first."""
    conditions: list[Any] = [_visible_runs(_jobs(request), principal)]
    if kind is not None:
        conditions.append(col(RunRow.kind) == kind)
    if status is not None:
        conditions.append(col(RunRow.status) == status.value)
    if instance_id is not None:
        conditions.append(col(RunRow.instance_id) == instance_id)
    if scenario_id is not None:
        conditions.append(col(RunRow.scenario_id) == scenario_id)
    if scenario_name is not None:
        conditions.append(col(RunRow.scenario_name) == scenario_name)
    total = int(session.exec(select(func.count()).select_from(RunRow).where(*conditions)).one())
    rows = session.exec(select(RunRow).where(*conditions).order_by(col(RunRow.created_at).desc(), col(RunRow.id))
                        .offset(offset).limit(limit)).all()
    set_total(response, total)
    stale = stale_reasons(session, rows)
    return Page(items=[RunSummary.model_validate({**r.model_dump(), "stale": stale[r.id] is not None,
                                                  "stale_reason": stale[r.id]}) for r in rows],
                total=total, limit=limit, offset=offset)


def _visible_runs(jobs: JobRunner, principal: Principal) -> Any:
    """SQL: runs of the caller's councils whose kind the caller's role in that council may see (admins: all)."""
    if principal.role == Role.ADMIN:
        return col(RunRow.kind).in_(list(jobs.kinds))
    council_column = func.coalesce(col(RunRow.council_id), col(RunRow.instance_id))
    by_council = [and_(council_column == council,
                       col(RunRow.kind).in_([k for k in jobs.kinds if role in jobs.roles_for(k)]))
                  for council, role in principal.councils]
    return or_(false(), *by_council)


def _summary_json(fields: dict[str, Any], stale_reason: str | None) -> dict[str, Any]:
    """A run's fields but its result, validated as RunSummary, with its staleness, as JSON values."""
    return RunSummary.model_validate({**fields, "stale": stale_reason is not None, "stale_reason": stale_reason}) \
        .model_dump(mode="json")


def run_response(run: RunRow, include_result: bool, session: Session | None = None) -> Response:
    """A run as JSON. The result (megabytes for a county placement) is written out as stored, not re-validated.

    Results are stored as plain JSON by the job runner (`api.jobs._json_safe`), so they already conform to
    RunPublic's `result: object | null`; validating them twice (here and by FastAPI's response_model) cost
    hundreds of milliseconds per read of a finished county placement. Every other field is validated.
    """
    reason = stale_reasons(session, [run])[run.id] if session is not None else None
    body = _summary_json(run.model_dump(exclude={"result"}), reason)
    body["result"] = minimise_result(run.kind, run.result) if include_result else None  # homes to 100 m
    return json_response(body)


@router.get("/runs/{run_id}", response_model=RunPublic, **allow(*ANY_ROLE))
def get_run(
    run_id: RunId, session: ReadSessionDep, principal: CurrentPrincipal, request: Request,
    include_result: Annotated[bool, Query(description="false: status, progress and statistics only (result null), "
                                                      "for polling without transferring a large result")] = True,
) -> Response:
    """Status, progress (fraction and message), statistics, and the result once it has succeeded (audited with
    the number of learners in it when the result is learner-level: placement and transitions runs).

    A poll (``include_result=false``) returns no learner data (status, progress and aggregate statistics only), so
    it is not audited: the run's creation, every read of its result and every download are.
    """
    if not include_result:
        response = _poll(session, principal, request, run_id)
        session.close()  # read only: release the connection here rather than in another thread hop
        return response
    run = load_run_for(session, principal, run_id, request, with_result=True, count_learners=True)
    session.commit()
    return run_response(run, include_result, session)


@dataclass(frozen=True)
class PolledRun:
    """What scoping and staleness read of a polled run (api.tables.RunFacts)."""

    id: str
    kind: str
    council_id: int | None
    instance_id: int | None
    scenario_lineage: list[dict[str, Any]] | None
    data_version: int | None


# A poll's statement, built once (building and hashing it per request was a fifth of a poll's time).
_RUNS, _INSTANCES = RunRow.__table__, InstanceRow.__table__  # type: ignore[attr-defined]
_POLL = (core_select(*(c for c in _RUNS.c if c.name != "result"), _INSTANCES.c.data_version.label("council_data"))
         .select_from(_RUNS.outerjoin(_INSTANCES, _INSTANCES.c.id == _RUNS.c.council_id))
         .where(_RUNS.c.id == bindparam("polled_run")))


def _poll(session: Session, principal: Principal, request: Request, run_id: str) -> Response:
    """A status poll (the service's most frequent request) in one query: the run without its result and its
    council's current data version (for `stale`), read together as plain columns (no ORM load, no second query).
    The same 404/403 as `load_run_for`; the same body as `run_response` without the result."""
    row = session.connection().execute(_POLL, {"polled_run": run_id}).mappings().first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no run with id {run_id!r}")
    fields = {name: value for name, value in row.items() if name != "council_data"}
    run = PolledRun(fields["id"], fields["kind"], fields["council_id"], fields["instance_id"],
                    fields["scenario_lineage"], fields["data_version"])  # not a RunRow: building one cost as much
    run_council(principal, run, run_kind_roles(request, run.kind))
    current = {run.council_id: row["council_data"]} if run.council_id is not None and row["council_data"] else {}
    reason = stale_reasons(session, [run], data_versions=current)[run.id]
    return json_response({**_summary_json(fields, reason), "result": None})


@router.delete("/runs/{run_id}", response_model=RunPublic, status_code=202, **allow(*ANY_ROLE))
def cancel_run(run_id: RunId, session: SessionDep, principal: CurrentPrincipal, request: Request,
               response: Response) -> RunPublic:
    """Cancel a run: a queued run is cancelled at once; a running solve stops at its next check (202).
    A run that has already finished is left as it is (409)."""
    run = load_run_for(session, principal, run_id, request, action="cancel")
    check_can_change(principal, council_of_run(run), run.owner_user_id, run.owner_role, f"run {run_id}")
    if is_finished(run.status):
        raise ProblemError(409, "Conflict", f"run {run_id} has already finished ({run.status})")
    _jobs(request).cancel(session, run, principal.user_name)
    session.refresh(run)
    response.headers["Location"] = f"/api/v1/runs/{run.id}"
    return RunPublic.model_validate(run.model_dump())


@router.post("/runs/{run_id}/resubmit", response_model=RunPublic, status_code=202, **allow(*ANY_ROLE))
def resubmit_run(run_id: RunId, session: SessionDep, principal: CurrentPrincipal, request: Request,
                 response: Response) -> RunPublic:
    """Queue a new run with the same kind, target and parameters (typically for an interrupted one)."""
    old = load_run_for(session, principal, run_id, request, action="read")
    if not is_finished(old.status):
        raise ProblemError(409, "Conflict", f"run {run_id} is still {old.status}: cancel it or wait")
    jobs = _jobs(request)
    jobs.ensure_available(old.kind)
    if old.instance_id is None and old.scenario_id is None:
        raise ProblemError(409, "Conflict", f"the instance or scenario run {run_id} used has been deleted")
    council_id = council_of_run(old)
    role = _check_kind_role(jobs, principal, old.kind, council_id)
    run = RunRow(kind=old.kind, instance_id=old.instance_id, scenario_id=old.scenario_id,
                 parameters=dict(old.parameters or {}), created_by=principal.user_name, resubmitted_from=old.id,
                 council_id=council_id, owner_user_id=principal.user_id, owner_role=role.value)
    return _queue(session, jobs, run, principal, request, response, "resubmit")
