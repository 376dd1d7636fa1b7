"""Placement runs for officers: the proposed list, one learner's reasons, best-n options, exports and the breakdown.

Everything here is learner-level (named learners and where they are proposed to go), so every route is for
officers (admin implied) and every learner shown is audited, one event per learner. A placement run is started
through the generic run API (`POST /api/v1/runs {"kind": "placement", ...}`); these routes read its stored result
(a `PlacementPlan`) and, where reasons are recomputed (explanations, options, setting names), the run's input as
`api.jobs.load_run_input` rebuilds it: the stored instance, with the scenario's edits when the run was on one.

Explanations and options are recomputed against the instance as it is now: if its records changed after the run
(a learner or setting removed) the route answers 409 and asks for a re-run rather than explain a different plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from api.audit import record_learner_reads
from api.auth import Principal, Role, allow, require_roles
from api.deps import SessionDep
from api.jobs import load_run_for, load_run_input
from api.minimise import rounded_point
from api.problems import ProblemError
from api.routes._common import ID_PATTERN, Limit, Offset, RecordId, set_total
from api.routes.runs import RunId
from api.schemas import Page
from api.tables import RunRow, RunStatus
from planner.domain.models import Instance, Learner, Setting
from planner.io.cells import frame_csv, frames_xlsx
from planner.placement.explain import Alternative, LearnerExplanation, explain_learner, objective_breakdown, recommend
from planner.placement.params import PlacementParameters
from planner.placement.plan import PlacementDecision, PlacementPlan, RefusalGround, RequestOutcome, UnplacedReason

router = APIRouter(tags=["placement"])
Officer = Annotated[Principal, Depends(require_roles(Role.OFFICER))]
PLACEMENT_KIND = "placement"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PlacedStatus = Literal["placed", "unplaced"]
StatusFilter = Annotated[PlacedStatus | None, Query(description="placed: a setting is proposed; unplaced: none")]
PreferenceFilter = Annotated[bool | None, Query(
    description="true: a requested setting is named; false: the learner requested settings and none is named "
                "(learners with no request match neither)")]
SettingFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN,
                                            description="Only learners proposed for this setting")]
OptionCount = Annotated[int, Query(ge=1, le=50, description="How many settings to return")]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


# ----------------------------------------------------------------------------------------------------------------
# Response models


class RequestPublic(BaseModel):
    """One setting the family requested and what happened to it."""

    setting_id: str
    setting_name: str | None = Field(description="None when the setting is no longer in the instance")
    rank: int = Field(ge=1, description="1 = first choice")
    outcome: RequestOutcome
    ground: RefusalGround | None = Field(default=None, description="The s39(4) ground when the request is refused")
    detail: str = Field(default="", description="The numbers behind the refusal")

    model_config = _examples({"setting_id": "970001", "setting_name": "Riverside Special School", "rank": 1,
                              "outcome": "FULL", "ground": "EFFICIENT_EDUCATION_OF_OTHERS",
                              "detail": "its 2 free place(s) this round went to 2 learner(s) ahead in the order"})


PLACEMENT_ROW_EXAMPLE: dict[str, Any] = {
    "learner_id": "L00008", "status": "placed", "setting_id": "920010", "setting_name": "Meadowdale Academy",
    "pinned": False, "over_capacity": False, "preference_rank": None, "preference_met": False,
    "preference_not_met_reason": "choice 1 970001: FULL; choice 2 970002: FULL", "travel_minutes": 25,
    "unplaced_reason": None, "reason": "Proposed Meadowdale Academy (25 min)",
}


class PlacementRow(BaseModel):
    """One learner's proposal in a placement run."""

    learner_id: str
    status: PlacedStatus
    setting_id: str | None
    setting_name: str | None
    pinned: bool = Field(description="An agreed, named placement kept as given")
    over_capacity: bool = Field(description="A pinned placement beyond the free places")
    preference_rank: int | None = Field(description="Rank of the requested setting named (1 = first choice)")
    preference_met: bool | None = Field(description="None when the family requested no setting")
    preference_not_met_reason: str | None = Field(
        description="Why each requested setting was not named (choice, setting, outcome, detail); None when met "
                    "or nothing was requested")
    travel_minutes: int | None
    unplaced_reason: UnplacedReason | None
    reason: str = Field(description="One line a family can read")

    model_config = _examples(PLACEMENT_ROW_EXAMPLE)


class SettingOption(BaseModel):
    """A setting for one learner, with the rule values it would give and why it was (not) chosen."""

    setting_id: str
    name: str
    kind: str
    eligible: bool = Field(description="Meets every hard rule for this learner (need, age, open, journey, PRU)")
    has_place: bool = Field(description="A place is still free in this plan")
    spare_places: int = Field(description="Free places left after this plan (negative: over capacity)")
    free_places: int | None = Field(description="Free places before the round")
    requested: int | None = Field(description="The family's choice rank for this setting, if requested")
    travel_minutes: int = Field(description="Journey minutes from home (the solver's travel model)")
    distance_km: float | None = Field(description="Straight-line distance from home")
    rules: dict[str, int] = Field(description="Each objective rule's value if this setting were named")
    reasons: list[str] = Field(description="Exclusion codes, FULL, WORSE_ON_<RULE>, OTHER_RULE or PROPOSED")
    detail: str
    proposed: bool = Field(default=False, description="The plan's own proposal for this learner")
    would_displace: list[str] = Field(default_factory=list,
                                      description="A full option: the learner in this round it would displace")

    model_config = _examples({
        "setting_id": "920005", "name": "Hollins Park Academy", "kind": "mainstream", "eligible": True,
        "has_place": True, "spare_places": 1100, "free_places": 1180, "requested": None, "travel_minutes": 41,
        "distance_km": 28.4, "rules": {"placed": 0, "preference": 4, "restrictiveness": 0, "travel": 41, "cost": 7000},
        "reasons": ["WORSE_ON_TRAVEL"], "detail": "worse on travel by 16",
    })


class ChosenSetting(BaseModel):
    setting_id: str
    name: str | None
    kind: str | None
    travel_minutes: int | None
    rules: dict[str, int] = Field(description="Each objective rule's value for this placement")

    model_config = _examples({"setting_id": "920010", "name": "Meadowdale Academy", "kind": "mainstream",
                              "travel_minutes": 25, "rules": {"placed": 0, "preference": 4, "restrictiveness": 0,
                                                              "travel": 25, "cost": 7200}})


OPTION_EXAMPLE = SettingOption.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


class LearnerPlacementDetail(BaseModel):
    """Why one learner is proposed where they are: requests, every alternative, and for the unplaced, what would
    take them."""

    run_id: str
    academic_year: int
    learner_id: str
    status: PlacedStatus
    chosen: ChosenSetting | None
    pinned: bool
    over_capacity: bool
    preference_rank: int | None
    requests: list[RequestPublic]
    reason: str
    unplaced_reason: UnplacedReason | None
    step_down: bool = Field(default=False, description="Specialist now, mainstream proposed: flagged for review")
    plan_types: list[str] | None = Field(
        default=None, description="Types of provision the plan allows (None: any): the pin list offers only these")
    nearest_with_one_more_place: list[SettingOption] = Field(
        description="Unplaced learners: eligible settings that are full, nearest first (one more place would take "
                    "them). Empty for placed learners")
    alternatives: list[SettingOption] = Field(description="Every other setting considered, and why not chosen")

    model_config = _examples({
        "run_id": "3f2c9a0e4b1d4c7e9a8b6d5c4e3f2a1b", "academic_year": 2027, "learner_id": "L00008",
        "status": "placed", "chosen": ChosenSetting.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
        "pinned": False, "over_capacity": False, "preference_rank": None,
        "requests": [RequestPublic.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
        "reason": "Proposed Meadowdale Academy (25 min)", "unplaced_reason": None,
        "nearest_with_one_more_place": [], "alternatives": [OPTION_EXAMPLE],
    })


class LearnerOptions(BaseModel):
    """The best n settings for one learner against the run's plan (no re-solve): those with a place first, then
    by the objective's rules in order."""

    run_id: str
    learner_id: str
    chosen_setting_id: str | None
    n: int
    items: list[SettingOption]

    model_config = _examples({"run_id": "3f2c9a0e4b1d4c7e9a8b6d5c4e3f2a1b", "learner_id": "L00008",
                              "chosen_setting_id": "920010", "n": 5, "items": [OPTION_EXAMPLE]})


class RuleValue(BaseModel):
    rule: str
    value: int
    bound: int | None = Field(description="Proven bound (equals the value when optimal)")

    model_config = _examples({"rule": "travel", "value": 14210, "bound": 14210})


class InfeasibilityPublic(BaseModel):
    rule: str
    learner_id: str
    setting_id: str | None
    detail: str

    model_config = _examples({"rule": "pinned_placement", "learner_id": "L00412", "setting_id": "970003",
                              "detail": "pinned setting 970003 is not eligible: TOO_FAR"})


class PlacementSummary(BaseModel):
    learners: int
    placed: int
    unplaced: int
    pinned: int
    over_capacity: int
    with_requests: int = Field(description="Learners whose family requested at least one setting")
    preference_met: int
    preference_met_by_rank: dict[str, int] = Field(description="Requested setting named, by choice rank")
    unplaced_by_reason: dict[str, int]
    travel_minutes_total: int
    travel_minutes_mean: float | None = Field(description="Mean journey of placed learners")
    travel_minutes_max: int | None

    model_config = _examples({
        "learners": 912, "placed": 898, "unplaced": 14, "pinned": 3, "over_capacity": 0, "with_requests": 210,
        "preference_met": 188, "preference_met_by_rank": {"1": 170, "2": 18}, "unplaced_by_reason": {"ALL_FULL": 14},
        "travel_minutes_total": 21040, "travel_minutes_mean": 23.4, "travel_minutes_max": 74,
    })


class PlacementBreakdown(BaseModel):
    """The per-rule objective (lexicographic order), solver statistics and plan statistics of a placement run."""

    run_id: str
    academic_year: int
    status: str = Field(description="OPTIMAL, FEASIBLE (time limit) or INFEASIBLE (a hard rule cannot hold)")
    objective: list[RuleValue]
    statistics: dict[str, Any] = Field(description="Solver statistics (gap, wall/build/solve seconds, pairs, ...)")
    summary: PlacementSummary
    infeasibilities: list[InfeasibilityPublic]

    model_config = _examples({
        "run_id": "3f2c9a0e4b1d4c7e9a8b6d5c4e3f2a1b", "academic_year": 2027, "status": "OPTIMAL",
        "objective": [{"rule": "placed", "value": 14, "bound": 14}, {"rule": "travel", "value": 21040,
                                                                     "bound": 21040}],
        "statistics": {"status": "OPTIMAL", "gap": 0.0, "wall_seconds": 0.07, "eligible_pairs": 61234},
        "summary": PlacementSummary.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
        "infeasibilities": [],
    })


# ----------------------------------------------------------------------------------------------------------------
# Loading a finished placement run


@dataclass(frozen=True)
class PlacementRun:
    run: RunRow
    plan: PlacementPlan


@dataclass(frozen=True)
class PlacementInput:
    instance: Instance
    parameters: PlacementParameters


def _placement_run(session: Session, principal: Principal, run_id: str, request: Request) -> PlacementRun:
    """A finished placement run's plan: 404 unknown run, 403 role, 409 other kind or not succeeded (audited)."""
    run = load_run_for(session, principal, run_id, request)
    session.commit()  # the run read is audited even when the run turns out unusable here
    if run.kind != PLACEMENT_KIND:
        raise ProblemError(409, "Not a placement run", f"run {run_id} is a {run.kind!r} run, not a placement run",
                           type_slug="not-a-placement-run")
    if run.status != RunStatus.SUCCEEDED.value or run.result is None:
        detail = f"run {run_id} is {run.status}"
        detail += ": wait for it to finish" if run.status in (RunStatus.QUEUED.value, RunStatus.RUNNING.value) else \
            ": start a new placement run"
        raise ProblemError(409, "Placement run not finished", detail, type_slug="placement-run-not-finished")
    try:
        plan = PlacementPlan.model_validate(run.result)
    except ValidationError as error:
        raise ProblemError(409, "Placement result unreadable", f"run {run_id} has a result this service cannot "
                           "read as a placement plan: start a new placement run",
                           type_slug="placement-result-unreadable") from error
    return PlacementRun(run=run, plan=plan)


def _placement_input(session: Session, placement: PlacementRun) -> PlacementInput:
    """The instance and parameters the run solved (scenario edits applied), or 409 when they are gone."""
    from api.store import InstanceNotFound

    run = placement.run
    try:
        instance, parameters = load_run_input(session, run)
        return PlacementInput(instance=instance, parameters=PlacementParameters.model_validate(parameters))
    except (InstanceNotFound, ValueError) as error:
        raise ProblemError(409, "Placement run input unavailable",
                           f"the instance or scenario run {run.id} solved cannot be rebuilt ({error}); "
                           "start a new placement run", type_slug="placement-run-input-unavailable") from error


def _stale(run_id: str, what: str) -> ProblemError:
    return ProblemError(409, "Instance changed since the run", f"{what} is no longer in the instance run {run_id} "
                        "solved: start a new placement run", type_slug="instance-changed-since-run")


def _decision(placement: PlacementRun, learner_id: str) -> PlacementDecision:
    try:
        return placement.plan.decision_for(learner_id)
    except KeyError:
        raise ProblemError(404, "Not Found", f"learner {learner_id!r} is not in placement run "
                           f"{placement.run.id}") from None


# ----------------------------------------------------------------------------------------------------------------
# Building responses


def _preference_met(decision: PlacementDecision) -> bool | None:
    if not decision.requests:
        return None
    return decision.preference_rank is not None


def _not_met_reason(decision: PlacementDecision) -> str | None:
    if _preference_met(decision) is not False:
        return None
    return "; ".join(f"choice {r.rank} {r.setting_id}: {r.outcome.value}" + (f" ({r.detail})" if r.detail else "")
                     for r in decision.requests)


def _matches(decision: PlacementDecision, status: PlacedStatus | None, preference_met: bool | None,
             setting_id: str | None) -> bool:
    if status is not None and (decision.setting_id is not None) != (status == "placed"):
        return False
    if preference_met is not None and _preference_met(decision) is not preference_met:
        return False
    return setting_id is None or decision.setting_id == setting_id


def _row(decision: PlacementDecision, names: dict[str, str]) -> PlacementRow:
    return PlacementRow(
        learner_id=decision.learner_id, status="placed" if decision.setting_id is not None else "unplaced",
        setting_id=decision.setting_id, setting_name=names.get(decision.setting_id) if decision.setting_id else None,
        pinned=decision.pinned, over_capacity=decision.over_capacity, preference_rank=decision.preference_rank,
        preference_met=_preference_met(decision), preference_not_met_reason=_not_met_reason(decision),
        travel_minutes=decision.travel_minutes, unplaced_reason=decision.unplaced_reason, reason=decision.reason)


def _distance_km(learner: Learner, setting: Setting) -> float:
    """From the home rounded to 100 m (api.minimise): distances to every setting must not locate the home to the
    metre by trilateration."""
    home = rounded_point(learner.home)
    dx = home["easting"] - setting.location.easting
    dy = home["northing"] - setting.location.northing
    return round(math.hypot(dx, dy) / 1000.0, 1)


def _option(alternative: Alternative, instance: Instance, learner: Learner, plan: PlacementPlan) -> SettingOption:
    setting = instance.setting_by_id[alternative.setting_id]
    requested = learner.requested_setting_ids
    return SettingOption(
        setting_id=setting.id, name=setting.name, kind=str(setting.kind), eligible=alternative.eligible,
        has_place=alternative.spare_places > 0, spare_places=alternative.spare_places,
        free_places=plan.free_capacity.get(setting.id),
        requested=requested.index(setting.id) + 1 if setting.id in requested else None,
        travel_minutes=alternative.rules.get("travel", 0), distance_km=_distance_km(learner, setting),
        rules=alternative.rules, reasons=alternative.reasons, detail=alternative.detail,
        proposed=alternative.proposed, would_displace=alternative.would_displace)


def _plan_types(instance: Instance, learner: Learner, year: int) -> list[str] | None:
    types = learner.plan_types(instance.setting_by_id.get(learner.current_setting_id or ""),
                               instance.learner_ncy(learner, year))
    return None if types is None else sorted(t.value for t in types)


def _explanation(placement: PlacementRun, given: PlacementInput, learner_id: str) -> LearnerExplanation:
    decision = _decision(placement, learner_id)
    instance = given.instance
    if learner_id not in instance.learner_by_id:
        raise _stale(placement.run.id, f"learner {learner_id!r}")
    if decision.setting_id is not None and decision.setting_id not in instance.setting_by_id:
        raise _stale(placement.run.id, f"setting {decision.setting_id!r}")
    return explain_learner(instance, placement.plan, learner_id, given.parameters)


def _summary(plan: PlacementPlan) -> PlacementSummary:
    decisions = plan.decisions
    placed = [d for d in decisions if d.setting_id is not None]
    by_rank: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for d in decisions:
        if d.preference_rank is not None:
            by_rank[str(d.preference_rank)] = by_rank.get(str(d.preference_rank), 0) + 1
        if d.unplaced_reason is not None:
            by_reason[d.unplaced_reason.value] = by_reason.get(d.unplaced_reason.value, 0) + 1
    minutes = [d.travel_minutes for d in placed if d.travel_minutes is not None]
    return PlacementSummary(
        learners=len(decisions), placed=len(placed), unplaced=len(decisions) - len(placed),
        pinned=sum(d.pinned for d in decisions), over_capacity=sum(d.over_capacity for d in decisions),
        with_requests=sum(1 for d in decisions if d.requests), preference_met=sum(by_rank.values()),
        preference_met_by_rank=dict(sorted(by_rank.items(), key=lambda kv: int(kv[0]))),
        unplaced_by_reason=dict(sorted(by_reason.items())), travel_minutes_total=sum(minutes),
        travel_minutes_mean=round(sum(minutes) / len(minutes), 2) if minutes else None,
        travel_minutes_max=max(minutes) if minutes else None)


def _export_frame(placement: PlacementRun, given: PlacementInput, decisions: list[PlacementDecision]) -> Any:
    from planner.io.placement_export import placement_rows

    plan = placement.plan.model_copy(update={"decisions": decisions})
    missing = [d.setting_id for d in decisions if d.setting_id is not None
               and d.setting_id not in given.instance.setting_by_id]
    if missing:
        raise _stale(placement.run.id, f"setting {missing[0]!r}")
    return placement_rows(given.instance, plan)


def _attachment(placement: PlacementRun, suffix: str) -> dict[str, str]:
    name = f"placements-{placement.plan.academic_year}-{placement.run.id[:8]}.{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# ----------------------------------------------------------------------------------------------------------------
# Routes

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such run, or the learner is not in the run"},
    409: {"description": "Not a placement run, not finished, or its instance has changed since"},
}


@router.get("/placements/{run_id}/learners", response_model=Page[PlacementRow], responses=PROBLEMS,
            **allow(Role.OFFICER))
def list_placements(run_id: RunId, session: SessionDep, principal: Officer, request: Request, response: Response,
                    limit: Limit = 50, offset: Offset = 0, status: StatusFilter = None,
                    preference_met: PreferenceFilter = None, setting_id: SettingFilter = None) -> Page[PlacementRow]:
    """The proposed list of a finished placement run, in round order, filtered and paged."""
    placement = _placement_run(session, principal, run_id, request)
    given = _placement_input(session, placement)
    names = {s.id: s.name for s in given.instance.settings}
    matching = [d for d in placement.plan.decisions if _matches(d, status, preference_met, setting_id)]
    page = [_row(d, names) for d in matching[offset:offset + limit]]
    record_learner_reads(session, principal, request, placement.run, [row.learner_id for row in page])
    set_total(response, len(matching))
    return Page(items=page, total=len(matching), limit=limit, offset=offset)


@router.get("/placements/{run_id}/learners/{learner_id}", response_model=LearnerPlacementDetail,
            responses=PROBLEMS, **allow(Role.OFFICER))
def learner_placement(run_id: RunId, learner_id: RecordId, session: SessionDep, principal: Officer,
                      request: Request, n: OptionCount = 5) -> LearnerPlacementDetail:
    """One learner's explanation: the setting chosen, each request's outcome, every alternative and why it was not
    chosen; for an unplaced learner the reason and the nearest `n` settings that would take them with one more
    place."""
    placement = _placement_run(session, principal, run_id, request)
    decision = _decision(placement, learner_id)
    given = _placement_input(session, placement)
    explanation = _explanation(placement, given, learner_id)
    record_learner_reads(session, principal, request, placement.run, [learner_id])
    instance, plan = given.instance, placement.plan
    learner = instance.learner_by_id[learner_id]
    options = [_option(a, instance, learner, plan) for a in explanation.alternatives]
    nearest: list[SettingOption] = []
    if decision.setting_id is None:
        nearest = sorted((o for o in options if o.eligible and not o.has_place),
                         key=lambda o: (o.travel_minutes, o.setting_id))[:n]
    chosen = None
    if decision.setting_id is not None:
        setting = instance.setting_by_id[decision.setting_id]
        chosen = ChosenSetting(setting_id=setting.id, name=setting.name, kind=str(setting.kind),
                               travel_minutes=decision.travel_minutes, rules=explanation.chosen_rules)
    names = {s.id: s.name for s in instance.settings}
    requests = [RequestPublic(setting_id=r.setting_id, setting_name=names.get(r.setting_id), rank=r.rank,
                              outcome=r.outcome, ground=r.ground, detail=r.detail) for r in decision.requests]
    return LearnerPlacementDetail(
        run_id=run_id, academic_year=plan.academic_year, learner_id=learner_id,
        status="placed" if decision.setting_id is not None else "unplaced", chosen=chosen, pinned=decision.pinned,
        over_capacity=decision.over_capacity, preference_rank=decision.preference_rank, requests=requests,
        reason=decision.reason, unplaced_reason=decision.unplaced_reason, step_down=decision.step_down,
        plan_types=_plan_types(instance, learner, plan.academic_year), nearest_with_one_more_place=nearest,
        alternatives=options)


@router.get("/placements/{run_id}/learners/{learner_id}/options", response_model=LearnerOptions,
            responses=PROBLEMS, **allow(Role.OFFICER))
def learner_options(run_id: RunId, learner_id: RecordId, session: SessionDep, principal: Officer,
                    request: Request, n: OptionCount = 5) -> LearnerOptions:
    """The best `n` eligible settings for one learner against the run's plan, without a re-solve: settings with a
    free place first, then by the objective's rules in order (preference, restrictiveness, travel, cost)."""
    placement = _placement_run(session, principal, run_id, request)
    decision = _decision(placement, learner_id)
    given = _placement_input(session, placement)
    _explanation(placement, given, learner_id)  # the same staleness checks as the explanation
    best = recommend(given.instance, placement.plan, learner_id, n, given.parameters)
    record_learner_reads(session, principal, request, placement.run, [learner_id])
    learner = given.instance.learner_by_id[learner_id]
    return LearnerOptions(run_id=run_id, learner_id=learner_id, chosen_setting_id=decision.setting_id, n=n,
                          items=[_option(a, given.instance, learner, placement.plan) for a in best])


def _export(session: Session, principal: Principal, request: Request, run_id: str, status: PlacedStatus | None,
            preference_met: bool | None, setting_id: str | None) -> tuple[PlacementRun, Any]:
    placement = _placement_run(session, principal, run_id, request)
    given = _placement_input(session, placement)
    decisions = [d for d in placement.plan.decisions if _matches(d, status, preference_met, setting_id)]
    frame = _export_frame(placement, given, decisions)
    record_learner_reads(session, principal, request, placement.run, [d.learner_id for d in decisions])
    return placement, frame


EXPORT_COLUMNS = ("learner_id, setting_id, setting_name, preference_met (choice rank, 'not met' or "
                  "'nothing requested'), travel_minutes, pinned, reason")


@router.get("/placements/{run_id}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": f"CSV: {EXPORT_COLUMNS}"}, **PROBLEMS},
            **allow(Role.OFFICER))
def export_csv(run_id: RunId, session: SessionDep, principal: Officer, request: Request,
               status: StatusFilter = None, preference_met: PreferenceFilter = None,
               setting_id: SettingFilter = None) -> Response:
    """The placement list as CSV (same filters as the list), one row per learner."""
    placement, frame = _export(session, principal, request, run_id, status, preference_met, setting_id)
    return Response(frame_csv(frame), media_type=CSV_MEDIA_TYPE, headers=_attachment(placement, "csv"))


@router.get("/placements/{run_id}/export.xlsx", response_class=Response,
            responses={200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                             "description": f"Workbook: {EXPORT_COLUMNS}"}, **PROBLEMS},
            **allow(Role.OFFICER))
def export_xlsx(run_id: RunId, session: SessionDep, principal: Officer, request: Request,
                status: StatusFilter = None, preference_met: PreferenceFilter = None,
                setting_id: SettingFilter = None) -> Response:
    """The placement list as an Excel workbook (sheet "placements"; same filters as the list)."""
    placement, frame = _export(session, principal, request, run_id, status, preference_met, setting_id)
    return Response(frames_xlsx({"placements": (frame, False)}), media_type=XLSX_MEDIA_TYPE,
                    headers=_attachment(placement, "xlsx"))


@router.get("/placements/{run_id}/breakdown", response_model=PlacementBreakdown, responses=PROBLEMS,
            **allow(Role.OFFICER))
def placement_breakdown(run_id: RunId, session: SessionDep, principal: Officer,
                        request: Request) -> PlacementBreakdown:
    """The per-rule objective in lexicographic order (value and proven bound), solver statistics, plan summary,
    and any hard rule that could not hold (status INFEASIBLE)."""
    placement = _placement_run(session, principal, run_id, request)
    plan = placement.plan
    infeasible = [InfeasibilityPublic(**i.model_dump()) for i in plan.infeasibilities]
    record_learner_reads(session, principal, request, placement.run, sorted({i.learner_id for i in infeasible}))
    objective = [RuleValue.model_validate(row) for row in objective_breakdown(plan)]
    return PlacementBreakdown(run_id=run_id, academic_year=plan.academic_year, status=plan.statistics.status,
                              objective=objective, statistics=plan.statistics.model_dump(mode="json"),
                              summary=_summary(plan), infeasibilities=infeasible)
