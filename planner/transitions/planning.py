"""Transition support: who faces a key transition, by when, with what support, from which team, in which weeks.

1. `find_transitions` lists every learner at a transition point for a transfer year (`year=2027`: moves taking
   effect in September 2027, planned during 2026/27), with the statutory timeline (planner.transitions.deadlines) and
   a support proposal from transparent rules (planner.transitions.support).
2. `plan_transitions` allocates the cases to outreach teams (an exact GAP, planner.transitions.outreach), then
   schedules each team's activities week by week (CP-SAT interval variables, planner.transitions.schedule), and says
   which cases miss which deadline and how many extra hours in which weeks would prevent it.

The combined solve is decomposed (allocation first, then one exact schedule per team). Its objective is the
allocation cost plus the cost of lateness; its bound is the allocation's proven bound (the lateness can never be
below 0, and every plan must satisfy the allocation's term budgets), so the reported gap is honest for the whole
problem, not only for its parts.
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.domain.codes import Need, SettingKind, ncy_label
from planner.domain.models import Instance, Learner, Point
from planner.domain.travel import TravelModel
from planner.solving.cpsat import relative_gap
from planner.solving.progress import NullProgress, Progress, RunCancelled
from planner.transitions.deadlines import (
    ReviewTimings,
    latest_review_date,
    post16_move_deadline,
    post16_transfer_deadline,
    school_transfer_deadline,
    weeks_left,
    working_day_on_or_before,
)
from planner.transitions.outreach import (
    OutreachCase,
    OutreachParameters,
    allocate_outreach,
    period_windows,
    recount_usage,
)
from planner.transitions.rebalance import move_late_cases
from planner.transitions.schedule import (
    ScheduleActivity,
    TeamSchedule,
    TeamScheduleProblem,
    extra_hours_to_meet_deadlines,
    solve_team_schedule,
)
from planner.transitions.schedule_bound import time_indexed_lp_bound
from planner.transitions.school_calendar import DEFAULT_BLOCKS, CalendarBlock, SchoolCalendar, Term
from planner.transitions.support import ActivityKind, CaseFacts, SupportProposal, SupportRules, propose_support

log = logging.getLogger(__name__)


class TransitionType(StrEnum):
    EARLY_YEARS_TO_RECEPTION = "early_years_to_reception"
    INFANT_TO_JUNIOR = "infant_to_junior"
    MIDDLE_SCHOOL_TRANSFER = "middle_school_transfer"  # first -> middle, middle -> high, other school-age moves
    PRIMARY_TO_SECONDARY = "primary_to_secondary"
    SECONDARY_TO_POST16 = "secondary_to_post16"
    POST16_TO_POST19 = "post16_to_post19"
    END_OF_PLAN = "end_of_plan"
    PRU_REINTEGRATION = "pru_reintegration"
    AT_RISK = "at_risk"


SCHOOL_PHASE_TRANSFERS = frozenset({
    TransitionType.EARLY_YEARS_TO_RECEPTION, TransitionType.INFANT_TO_JUNIOR,
    TransitionType.MIDDLE_SCHOOL_TRANSFER, TransitionType.PRIMARY_TO_SECONDARY,
})
SEPTEMBER_TRANSFERS = SCHOOL_PHASE_TRANSFERS | {
    TransitionType.SECONDARY_TO_POST16, TransitionType.POST16_TO_POST19, TransitionType.END_OF_PLAN,
}


class TransitionParameters(BaseModel):
    """Everything the transition planner can be told; every default is documented in docs/transitions.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=2000, le=2100, description="Calendar year of the September transfers (planned the year "
                                                    "before: 2027 = moves in September 2027, planned in 2026/27)")
    as_of: date | None = Field(default=None, description="Planning date; default the Monday of week 0")
    pru_stay_weeks: int = Field(default=26, ge=1, description="Weeks in a PRU/AP after which reintegration is due")
    at_risk_response_weeks: int = Field(default=6, ge=1, description="Weeks to review a learner at risk")
    at_risk_suspensions: int = Field(default=3, ge=1, description="Suspensions that make a learner at risk")
    post16_notice_months: int = Field(default=5, ge=0, description="Notice before a move between post-16 "
                                                                   "institutions (reg 18)")
    bank_holidays: tuple[date, ...] = Field(default=(), description="Non-working days besides weekends")
    include_staying: bool = Field(
        default=False,
        description="Also include learners at a transition point who stay in an all-through setting. Off by default: "
                    "SEND Regulations 2014 reg 2(1) defines a phase transfer as a transfer from one school to another "
                    "(or to a post-16 institution, which by CFA 2014 s83 is not a school), so a stayer has an annual "
                    "review but no phase-transfer deadline")
    review: ReviewTimings = Field(default_factory=ReviewTimings)
    support: SupportRules = Field(default_factory=SupportRules)
    outreach: OutreachParameters = Field(default_factory=OutreachParameters)
    calendar_blocks: tuple[CalendarBlock, ...] = Field(default=DEFAULT_BLOCKS)
    first_monday: date | None = None
    late_week_cost: int = Field(default=60, ge=0, description="Cost points per weighted week late (60 = an hour "
                                                             "of travel)")
    statutory_review_weight: int = Field(default=3, ge=1, description="Lateness weight of a statutory review")
    other_weight: int = Field(default=1, ge=1, description="Lateness weight of other activities")
    unscheduled_weeks: int = Field(default=52, ge=1, description="Penalty of an activity left out, in weeks late")
    time_limit_seconds: float = Field(default=30.0, gt=0, description="Wall-clock budget for the whole solve")
    allocation_share: float = Field(default=0.7, gt=0, lt=1, description="Share of the budget left after finding "
                                                                        "the cases that the allocation may use")
    extra_hours_analysis: bool = Field(default=True, description="Work out the extra hours that prevent lateness")
    move_late_cases: bool = Field(default=True, description="After the list schedules, move cases a team cannot "
                                                            "fit in its weeks to a team with room when that lowers "
                                                            "cost + lateness (planner.transitions.rebalance)")
    lp_bound: bool = Field(default=True, description="For a team still late after the list schedules and CP-SAT, "
                                                     "bound its lateness by the time-indexed LP relaxation "
                                                     "(planner.transitions.schedule_bound), within its share of the "
                                                     "time")
    workers: int = Field(default=2, ge=1)
    seed: int = 0


class CaseActivity(BaseModel):
    model_config = ConfigDict(frozen=True)

    activity_id: str
    kind: ActivityKind
    minutes: int
    release_week: int
    due_week: int
    due_date: date
    statutory: bool
    after: tuple[tuple[str, int], ...] = ()


class TransitionCase(BaseModel):
    """One learner at one transition point: the move, the statutory timeline and the support proposed."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    learner_id: str
    transition: TransitionType
    ncy_now: int
    ncy_next: int
    need: Need
    locality_id: str | None
    location: Point = Field(description="Where the team travels to (current setting, else the home centroid)")
    current_setting_id: str | None
    receiving_setting_id: str | None
    changes_setting: bool
    statutory: bool = Field(description="True when the date is statute; False for local working rules")
    deadline: date = Field(description="The date itself (statute or local rule)")
    planning_deadline: date = Field(description="The date we plan to: the last working day on or before it")
    latest_review: date = Field(description="Last review meeting date that still meets the planning deadline")
    transfer_date: date
    weeks_left: int
    preparing_for_adulthood: bool = Field(description="Year 9 or above: reviews cover preparing for adulthood")
    proposal: SupportProposal
    activities: tuple[CaseActivity, ...] = ()


def planning_calendar(params: TransitionParameters) -> SchoolCalendar:
    """The academic year the transfers are planned in (the one before the September of `year`)."""
    return SchoolCalendar(academic_year=params.year - 1, blocks=params.calendar_blocks,
                          first_monday=params.first_monday)


def classify(instance: Instance, learner: Learner, params: TransitionParameters) -> TransitionType | None:
    """The transition a learner faces in the window, or None. Phase transfers first, then PRU, then at risk."""
    planning_year = params.year - 1
    ncy_next = instance.learner_ncy(learner, params.year)
    current = instance.setting_by_id.get(learner.current_setting_id or "")
    if ncy_next == 0:
        return TransitionType.EARLY_YEARS_TO_RECEPTION
    if ncy_next == 7:
        return TransitionType.PRIMARY_TO_SECONDARY
    if ncy_next == 12:
        return TransitionType.SECONDARY_TO_POST16
    if ncy_next == 15:
        return TransitionType.POST16_TO_POST19
    if ncy_next == 21:
        return TransitionType.END_OF_PLAN
    if 1 <= ncy_next <= 11 and current is not None and current.ncy_max < ncy_next:
        # The data tells us the current school stops before the learner's next year (infant, first, middle)
        if ncy_next == 3 and current.ncy_max == 2:
            return TransitionType.INFANT_TO_JUNIOR
        return TransitionType.MIDDLE_SCHOOL_TRANSFER
    if current is not None and current.kind is SettingKind.PRU_AP:
        stay_end = _pru_stay_end(learner, params)
        calendar_end = date(planning_year + 1, 8, 31)
        if stay_end is None or stay_end <= calendar_end:
            return TransitionType.PRU_REINTEGRATION
    if learner.excluded or learner.at_risk_of_exclusion or learner.suspensions >= params.at_risk_suspensions:
        return TransitionType.AT_RISK
    return None


def _pru_stay_end(learner: Learner, params: TransitionParameters) -> date | None:
    if learner.setting_start is None:
        return None
    return learner.setting_start + timedelta(weeks=params.pru_stay_weeks)


def statutory_deadline(kind: TransitionType, learner: Learner, params: TransitionParameters,
                       as_of: date) -> tuple[date, bool]:
    """(the date, whether it is statute) for a transition type."""
    transfer_day = date(params.year, 9, 1)
    if kind in SCHOOL_PHASE_TRANSFERS:
        # Plan amended naming the new school by 15 February of the calendar year of the transfer (reg 18)
        return school_transfer_deadline(params.year), True
    if kind is TransitionType.SECONDARY_TO_POST16:
        # Secondary -> post-16: by 31 March of the calendar year of the transfer (reg 18)
        return post16_transfer_deadline(params.year), True
    if kind is TransitionType.POST16_TO_POST19:
        # A move between post-16 institutions: at least 5 months' notice (reg 18)
        return post16_move_deadline(transfer_day, params.post16_notice_months), True
    if kind is TransitionType.END_OF_PLAN:
        # Local rule: the exit review to the post-16 date, so the young person knows well before the plan ends
        return post16_transfer_deadline(params.year), False
    if kind is TransitionType.PRU_REINTEGRATION:
        # Local rule: reintegration is reviewed after the configured stay (due now when the start is unknown)
        # (when the stay has already run its course, or its start is unknown: within the response time)
        stay_end = _pru_stay_end(learner, params)
        soonest = as_of + timedelta(weeks=params.at_risk_response_weeks)
        return max(soonest, stay_end) if stay_end is not None else soonest, False
    # Local rule: a learner at risk is reviewed within the response time
    return as_of + timedelta(weeks=params.at_risk_response_weeks), False


def _facts(instance: Instance, learner: Learner, kind: TransitionType, receiving_id: str | None,
           changes: bool, travel: TravelModel) -> CaseFacts:
    current = instance.setting_by_id.get(learner.current_setting_id or "")
    receiving = instance.setting_by_id.get(receiving_id or "")
    extra = None
    if current is not None and receiving is not None and changes:
        extra = travel.minutes(learner.home, receiving.location) - travel.minutes(learner.home, current.location)
    return CaseFacts(
        primary_need=learner.primary_need, secondary_need=learner.secondary_need, transition=kind.value,
        looked_after=learner.looked_after, excluded=learner.excluded,
        at_risk_of_exclusion=learner.at_risk_of_exclusion, suspensions=learner.suspensions,
        current_kind=current.kind if current else None, receiving_kind=receiving.kind if receiving else None,
        changes_setting=changes, extra_journey_minutes=extra,
    )


def _minutes(hours: float) -> int:
    return int(round(hours * 60))


def case_activities(case_id: str, kind: TransitionType, proposal: SupportProposal, deadline: date,
                    latest_review: date, calendar: SchoolCalendar, as_of_week: int,
                    params: TransitionParameters, statutory: bool) -> tuple[CaseActivity, ...]:
    """The activities of a case with their release and due weeks and precedence.

    Review by the latest review date; visits only once the plan names the setting (the review week + the LA's
    weeks to a final plan); sessions in the summer term before a September start; the handover after visits and
    sessions, by the end of the summer term (other moves: a few weeks after the setting is named).
    """
    plan = proposal.activities
    naming_lag = params.review.weeks_to_final
    last_week = calendar.weeks - 1
    review_due = calendar.last_week_ending_by(latest_review)
    review_weight_statutory = statutory
    if kind in SEPTEMBER_TRANSFERS:
        end_of_summer = calendar.last_school_week()
        final_due = end_of_summer
        session_release = calendar.first_week_of_term(Term.SUMMER)
    else:
        # A move at another time: visits and sessions in the school weeks after the setting is named, then handover
        named = max(review_due, as_of_week) + naming_lag
        final_due = min(last_week, calendar.nth_school_week_after(named, max(plan.visits, plan.sessions) + 2))
        session_release = as_of_week
    acts: list[CaseActivity] = []

    def add(kind_: ActivityKind, index: int, minutes: int, release: int, due: int,
            after: tuple[tuple[str, int], ...], is_statutory: bool = False) -> str:
        activity_id = f"{case_id}:{kind_.value}:{index}"
        acts.append(CaseActivity(activity_id=activity_id, kind=kind_, minutes=minutes, release_week=release,
                                 due_week=due, due_date=calendar.friday(due), statutory=is_statutory, after=after))
        return activity_id

    review = add(ActivityKind.REVIEW, 1, _minutes(plan.review_hours), as_of_week, review_due, (),
                 review_weight_statutory)
    previous: tuple[tuple[str, int], ...] = ((review, naming_lag),)
    last_visit: str | None = None
    for k in range(1, plan.visits + 1):
        last_visit = add(ActivityKind.VISIT, k, _minutes(plan.visit_hours), as_of_week, final_due - 1, previous)
        previous = ((last_visit, 0),)
    after_review: tuple[tuple[str, int], ...] = ((review, 0 if kind not in SEPTEMBER_TRANSFERS else naming_lag),)
    last_session: str | None = None
    for k in range(1, plan.sessions + 1):
        last_session = add(ActivityKind.SESSION, k, _minutes(plan.session_hours), max(as_of_week, session_release),
                           final_due - 1, after_review)
        after_review = ((last_session, 0),)
    handover_after = tuple((a, 0) for a in (last_visit, last_session) if a is not None) or ((review, 0),)
    add(ActivityKind.HANDOVER, 1, _minutes(plan.handover_hours), as_of_week, final_due, handover_after)
    return tuple(acts)


def find_transitions(instance: Instance, params: TransitionParameters,
                     travel: TravelModel | None = None) -> list[TransitionCase]:
    """Every learner at a transition point in the window, with timeline, support proposal and activities."""
    travel = travel or TravelModel()
    calendar = planning_calendar(params)
    as_of = params.as_of or calendar.start
    as_of_week = max(0, calendar.week_of(as_of))
    planning_year = params.year - 1
    cases: list[TransitionCase] = []
    for learner in instance.learners:
        if learner.plan_end is not None:
            continue  # the plan has ceased: history, not caseload
        kind = classify(instance, learner, params)
        if kind is None:
            continue
        current = instance.setting_by_id.get(learner.current_setting_id or "")
        ncy_next = instance.learner_ncy(learner, params.year)
        receiving_id = learner.pinned_setting_id or (learner.requested_setting_ids[0]
                                                     if learner.requested_setting_ids else None)
        if receiving_id is None and current is not None and 0 <= ncy_next <= 20 and current.takes_ncy(ncy_next) \
                and kind in SEPTEMBER_TRANSFERS:
            receiving_id = current.id  # an all-through setting: the learner stays on
        changes = receiving_id is None or current is None or receiving_id != current.id
        if kind is TransitionType.END_OF_PLAN:
            receiving_id, changes = None, True
        if not changes and not params.include_staying:
            continue
        deadline, statutory = statutory_deadline(kind, learner, params, as_of)
        planning_deadline = working_day_on_or_before(deadline, params.bank_holidays)
        latest = latest_review_date(planning_deadline, params.review, params.bank_holidays)
        if not statutory and kind in (TransitionType.PRU_REINTEGRATION, TransitionType.AT_RISK):
            latest = planning_deadline  # local rules set the review date itself
        facts = _facts(instance, learner, kind, receiving_id, changes, travel)
        proposal = propose_support(facts, params.support)
        transfer_date = date(params.year, 9, 1) if kind in SEPTEMBER_TRANSFERS else planning_deadline
        case_id = f"{learner.id}"
        location = current.location if current is not None else learner.home
        activities = case_activities(case_id, kind, proposal, planning_deadline, latest, calendar, as_of_week,
                                     params, statutory)
        cases.append(TransitionCase(
            case_id=case_id, learner_id=learner.id, transition=kind,
            ncy_now=instance.learner_ncy(learner, planning_year), ncy_next=ncy_next, need=learner.primary_need,
            locality_id=learner.locality_id, location=location,
            current_setting_id=current.id if current else None, receiving_setting_id=receiving_id,
            changes_setting=changes, statutory=statutory, deadline=deadline, planning_deadline=planning_deadline,
            latest_review=latest, transfer_date=transfer_date, weeks_left=weeks_left(as_of, planning_deadline),
            preparing_for_adulthood=instance.learner_ncy(learner, planning_year) >= 9,
            proposal=proposal, activities=activities,
        ))
    return cases


def _earliest_weeks(case: TransitionCase) -> dict[str, int]:
    """Earliest week of each activity with unlimited hours (precedence only)."""
    earliest: dict[str, int] = {}
    for act in case.activities:
        week = act.release_week
        for pred, lag in act.after:
            week = max(week, earliest[pred] + 1 + lag)
        earliest[act.activity_id] = week
    return earliest


def outreach_case(case: TransitionCase, calendar: SchoolCalendar, period_by_week: list[int] | None = None,
                  school_weeks: list[int] | None = None) -> OutreachCase:
    """A case as the allocator sees it: each activity's minutes in the window of periods (half-terms) from the one
    it can first take place in (precedence only, unlimited hours) to the one it is due in."""
    period_by_week = period_by_week or calendar.period_by_week()
    school_weeks = school_weeks or calendar.school_weeks()
    earliest = _earliest_weeks(case)
    work: dict[tuple[int, int], tuple[int, int]] = {}
    last = calendar.weeks - 1
    for act in case.activities:
        first_week = min(max(0, earliest[act.activity_id]), last)
        # released in a holiday: it can first happen in the next term-time week
        first_week = next((w for w in school_weeks if w >= first_week), first_week)
        first = period_by_week[first_week]
        due = period_by_week[min(max(0, act.due_week), last)]
        window = (first, max(first, due))
        minutes, trips = work.get(window, (0, 0))
        work[window] = (minutes + act.minutes, trips + 1)
    return OutreachCase(case_id=case.case_id, need=case.need, locality_id=case.locality_id, location=case.location,
                        work=work)


def team_week_capacity(hours_per_week: float, calendar: SchoolCalendar, availability: float) -> list[int]:
    """Minutes a team has in each week: its hours in term time, none in the holidays."""
    per_week = int(round(hours_per_week * 60 * availability))
    return [per_week if block.school else 0 for block in calendar.week_blocks()]


def team_problem(team_id: str, cases: list[TransitionCase], minutes_factor: dict[str, float],
                 trip_minutes: dict[str, int], capacity: list[int], params: TransitionParameters,
                 calendar: SchoolCalendar) -> TeamScheduleProblem:
    activities: list[ScheduleActivity] = []
    for case in cases:
        factor, trip = minutes_factor[case.case_id], trip_minutes[case.case_id]
        for act in case.activities:
            weight = params.statutory_review_weight if act.statutory else params.other_weight
            activities.append(ScheduleActivity(
                activity_id=act.activity_id, case_id=case.case_id, kind=act.kind.value,
                minutes=int(round(act.minutes * factor)) + trip, release_week=act.release_week,
                due_week=act.due_week, weight=weight, predecessors=act.after,
            ))
    closed = frozenset(w for w, block in enumerate(calendar.week_blocks()) if not block.school)
    penalty = params.unscheduled_weeks * max(params.statutory_review_weight, params.other_weight)
    return TeamScheduleProblem(team_id=team_id, capacity=capacity, activities=activities,
                               unscheduled_penalty=penalty, closed_weeks=closed)


class TransitionPlanError(ValueError):
    """Parameters or data that the transition planner cannot use; the message names the field."""


def _validate(parameters: dict[str, Any]) -> TransitionParameters:
    try:
        return TransitionParameters.model_validate(parameters)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "parameters"
        raise TransitionPlanError(f"transitions parameter {where}: {first['msg']}") from None


def plan_transitions(instance: Instance, params: TransitionParameters, progress: Progress | None = None,
                     travel: TravelModel | None = None) -> dict[str, Any]:
    """Find the cases, allocate them to teams and schedule every team; a JSON-ready result."""
    progress = progress or NullProgress()
    travel = travel or TravelModel()
    started = time.perf_counter()
    calendar = planning_calendar(params)
    progress.report(0.02, "finding learners at transition points")
    cases = find_transitions(instance, params, travel)
    phases = {"find_cases": time.perf_counter() - started}
    if progress.should_stop():
        raise RunCancelled("transitions run cancelled")
    progress.report(0.1, f"allocating {len(cases)} cases to {len(instance.teams)} outreach teams")
    outreach_params = params.outreach.model_copy(update={
        "time_limit_seconds": max(1.0, (params.time_limit_seconds - (time.perf_counter() - started))
                                  * params.allocation_share),
        "workers": params.workers, "seed": params.seed})
    period_by_week, school_weeks = calendar.period_by_week(), calendar.school_weeks()
    o_cases = [outreach_case(c, calendar, period_by_week, school_weeks) for c in cases]
    # When not every case can have a team, the earliest deadlines go first among interchangeable cases
    priority = [c.case_id for c in sorted(cases, key=lambda c: (c.planning_deadline, c.case_id))]
    allocation = allocate_outreach(o_cases, list(instance.teams), calendar, outreach_params, travel,
                                   should_stop=progress.should_stop, priority=priority)
    phases["allocation"] = time.perf_counter() - started - sum(phases.values())
    if progress.should_stop():
        raise RunCancelled("transitions run cancelled")
    by_team: dict[str, list[TransitionCase]] = {t.id: [] for t in instance.teams}
    for case in cases:
        team_id = allocation.team_by_case.get(case.case_id)
        if team_id is not None:
            by_team[team_id].append(case)
    team_by_id = {t.id: t for t in instance.teams}
    case_by_id = {c.case_id: c for c in cases}

    def build(team_id: str, case_ids: list[str]) -> TeamScheduleProblem:
        team = team_by_id[team_id]
        factors, trips = {}, {}
        for case_id in case_ids:
            case = case_by_id[case_id]
            factors[case_id] = 1.0 if case.need in team.specialisms else params.outreach.non_specialist_hours_factor
            one_way = travel.minutes(team.base, case.location) if team.base is not None else 0.0
            trips[case_id] = int(round(2 * one_way))
        capacity = team_week_capacity(team.hours_per_week, calendar, params.outreach.availability)
        return team_problem(team_id, [case_by_id[c] for c in case_ids], factors, trips, capacity, params, calendar)

    def list_schedule(team_id: str, case_ids: list[str]) -> tuple[TeamScheduleProblem, TeamSchedule]:
        problem = build(team_id, case_ids)
        return problem, solve_team_schedule(problem, time_limit=0.0, seed=params.seed, workers=params.workers)

    # First the list schedules (fast, optimal whenever nothing is late), then move cases a team cannot fit in its
    # weeks to a team with room, then CP-SAT and the extra-hours analysis for the teams still late
    cases_by_team = {t.id: [c.case_id for c in by_team[t.id]] for t in instance.teams if by_team[t.id]}
    problems: dict[str, TeamScheduleProblem] = {}
    schedules: dict[str, TeamSchedule] = {}
    for index, team_id in enumerate(cases_by_team):
        progress.report(0.7 + 0.1 * index / max(1, len(cases_by_team)), f"list schedule for team {team_id}")
        if progress.should_stop():
            raise RunCancelled("transitions run cancelled")
        problems[team_id], schedules[team_id] = list_schedule(team_id, cases_by_team[team_id])
    phases["list_schedules"] = time.perf_counter() - started - sum(phases.values())
    if params.move_late_cases:
        remaining = params.time_limit_seconds - (time.perf_counter() - started)
        windows = period_windows(len(calendar.periods()))
        deadline = time.perf_counter() + max(0.0, remaining * 0.4)
        moved = 0
        while time.perf_counter() < deadline:  # rounds until no move helps (a move frees room for the next)
            moves = move_late_cases(allocation, cases_by_team, schedules, problems, list_schedule, windows,
                                    params.late_week_cost, deadline)
            moved += len(moves)
            if not moves:
                break
        if moved:
            allocation.breakdown["moved_after_scheduling"] = moved
            recount_usage(allocation, calendar)
    phases["moves"] = time.perf_counter() - started - sum(phases.values())
    shortfall: list[dict[str, Any]] = []
    team_list = [t for t in instance.teams if cases_by_team.get(t.id)]
    for index, team in enumerate(team_list):
        progress.report(0.8 + 0.15 * index / max(1, len(team_list)), f"scheduling team {team.id}")
        if progress.should_stop():
            raise RunCancelled("transitions run cancelled")
        problem, result = problems[team.id], schedules[team.id]
        if result.status != "OPTIMAL":
            # Each team's share of what is left for CP-SAT, started from the list schedule
            remaining = params.time_limit_seconds - (time.perf_counter() - started)
            per_team = max(0.0, remaining * 0.5 / max(1, len(team_list) - index))
            result = solve_team_schedule(problem, time_limit=per_team, seed=params.seed, workers=params.workers,
                                         should_stop=progress.should_stop)
            if result.objective > result.bound and params.lp_bound:
                # Lateness from full weeks: the time-indexed LP sees capacity, the cheap bound does not
                remaining = params.time_limit_seconds - (time.perf_counter() - started)
                budget = remaining * 0.5 / max(1, len(team_list) - index)
                if budget >= 0.2:
                    lp = time_indexed_lp_bound(problem, time_limit=budget)
                    if lp.bound > result.bound:
                        result.bound = float(min(lp.bound, result.objective))
                        result.gap = relative_gap(result.objective, result.bound)
                        if result.bound >= result.objective:
                            result.status = "OPTIMAL"
        late_any = [a for a, w in result.late_weeks_by_activity.items() if w > 0]
        left_out = [a for a, w in result.week_by_activity.items() if w is None]
        if (late_any or left_out) and params.extra_hours_analysis:
            remaining = params.time_limit_seconds - (time.perf_counter() - started)
            budget = min(5.0, remaining * 0.5 / max(1, len(team_list) - index))
            if budget >= 0.5 + len(problem.activities) / 1000:  # the model takes about 1 s per 1,000 to build
                status, extra = extra_hours_to_meet_deadlines(problem, time_limit=budget, seed=params.seed,
                                                              workers=params.workers)
            else:
                status, extra = "NOT_RUN", {}  # the time budget is spent: say so rather than overrun
            result.extra_minutes_by_week, result.extra_status = extra, status
        schedules[team.id] = result
        acts = {a.activity_id: a for a in problem.activities}
        for activity_id in late_any + left_out:
            act = acts[activity_id]
            week = result.week_by_activity[activity_id]
            shortfall.append({
                "case_id": act.case_id, "team_id": team.id, "activity": activity_id, "kind": act.kind,
                "due_week": act.due_week, "due_date": calendar.friday(act.due_week).isoformat(),
                "week": week, "weeks_late": result.late_weeks_by_activity.get(activity_id),
                "left_out": week is None,
            })
    phases["cp_sat_and_extra_hours"] = time.perf_counter() - started - sum(phases.values())
    progress.report(0.97, "assembling the plan")
    plan = assemble_result(instance, params, calendar, cases, allocation, schedules, problems, shortfall,
                           time.perf_counter() - started)
    plan["statistics"]["phase_seconds"] = {k: round(v, 3) for k, v in phases.items()}
    return plan


def assemble_result(instance: Instance, params: TransitionParameters, calendar: SchoolCalendar,
                    cases: list[TransitionCase], allocation: Any, schedules: dict[str, Any],
                    problems: dict[str, TeamScheduleProblem], shortfall: list[dict[str, Any]],
                    wall: float) -> dict[str, Any]:
    schedule_cost = sum(s.objective for s in schedules.values()) * params.late_week_cost
    allocation_objective = allocation.objective if allocation.objective is not None else 0.0
    objective = allocation_objective + schedule_cost
    allocation_bound = allocation.bound if allocation.bound is not None else 0.0
    # Decomposed bound: the allocation's proven bound plus each team's proven lateness bound for that allocation
    bound = allocation_bound + sum(s.bound for s in schedules.values()) * params.late_week_cost
    gap = relative_gap(objective, bound) if allocation.objective is not None else None
    # Relaxation bound, valid for the monolithic problem too: the allocation's bound plus 0 for lateness
    relaxation_gap = relative_gap(objective, allocation_bound) if allocation.objective is not None else None
    statuses = [allocation.status] + [s.status for s in schedules.values()]
    if allocation.objective is None:
        status = allocation.status
    elif all(s == "OPTIMAL" for s in statuses) and schedule_cost == 0:
        status = "OPTIMAL"
    else:
        status = "FEASIBLE"
    late_cases = sorted({row["case_id"] for row in shortfall})
    week_of_activity: dict[str, int | None] = {}
    minutes_of_activity: dict[str, int] = {}
    for team_id, schedule in schedules.items():
        week_of_activity.update(schedule.week_by_activity)
        minutes_of_activity.update({a.activity_id: a.minutes for a in problems[team_id].activities})
    plans = [case_plan(case, allocation.team_by_case.get(case.case_id), week_of_activity, minutes_of_activity,
                       calendar) for case in cases]
    team_rows = []
    for team in instance.teams:
        schedule = schedules.get(team.id)
        load = [0] * calendar.weeks
        if schedule is not None:
            for act in problems[team.id].activities:
                week = schedule.week_by_activity.get(act.activity_id)
                if week is not None:
                    load[week] += act.minutes
        team_rows.append({
            "team_id": team.id, "name": team.name,
            "cases": sum(1 for c in cases if allocation.team_by_case.get(c.case_id) == team.id),
            "status": schedule.status if schedule else "EMPTY",
            "lateness_objective": schedule.objective if schedule else 0.0,
            "lateness_bound": schedule.bound if schedule else 0.0,
            "hours_by_term": {t.value: round(v / 60, 1) for t, v in allocation.used[team.id].items()},
            "capacity_hours_by_term": {t.value: round(v / 60, 1) for t, v in allocation.capacity[team.id].items()},
            "load_hours_by_week": [round(m / 60, 2) for m in load],
            "capacity_hours_by_week": [round(m / 60, 2) for m in problems[team.id].capacity]
            if team.id in problems else [],
            "extra_hours_by_week": {str(w): round(m / 60, 2) for w, m in
                                    (schedule.extra_minutes_by_week.items() if schedule else [])},
            "extra_hours_status": schedule.extra_status if schedule else None,
        })
    return {
        "status": status,
        "year": params.year,
        "academic_year": calendar.academic_year,
        "calendar": {"start": calendar.start.isoformat(), "weeks": calendar.weeks,
                     "school_weeks": calendar.school_weeks(),
                     "blocks": [b.model_dump(mode="json") for b in calendar.blocks]},
        "cases": plans,
        "teams": team_rows,
        "unallocated": allocation.unallocated,
        "extra_hours_to_allocate_by_team": {team: round(v / 60, 1)
                                            for team, v in allocation.extra_minutes_by_team.items()},
        "shortfall": shortfall,
        "counts": counts(cases, allocation.team_by_case, late_cases),
        "statistics": {
            "wall_seconds": round(wall, 3), "objective": objective, "bound": bound, "gap": gap,
            "relaxation_bound": allocation_bound, "relaxation_gap": relaxation_gap,
            "cases": len(cases), "teams": len(instance.teams), "late_cases": len(late_cases),
            "allocation": {"status": allocation.status, "objective": allocation.objective,
                           "bound": allocation.bound, "gap": allocation.gap,
                           "wall_seconds": round(allocation.wall_seconds, 3)},
            "breakdown": {"travel_and_fit_cost": allocation.breakdown.get("cost", 0),
                          "unallocated_penalty": allocation.breakdown.get("unallocated_penalty", 0),
                          "lateness_cost": schedule_cost,
                          "unallocated_cases": allocation.breakdown.get("unallocated", 0)},
            "gap_rule": "objective = allocation cost + late_week_cost x weighted weeks late; bound = the "
                        "allocation's proven bound + each team's proven lateness bound for that allocation; "
                        "relaxation_bound = the allocation's bound + 0 (valid for the undecomposed problem too); "
                        "gap = (objective - bound) / objective",
        },
    }


def case_plan(case: TransitionCase, team_id: str | None, week_of_activity: dict[str, int | None],
              minutes_of_activity: dict[str, int], calendar: SchoolCalendar) -> dict[str, Any]:
    """One learner's transition plan as JSON-ready data (pseudonymous ids only)."""
    activities: list[dict[str, Any]] = []
    for act in case.activities:
        week = week_of_activity.get(act.activity_id) if team_id is not None else None
        activities.append({
            "activity_id": act.activity_id, "kind": act.kind.value,
            "hours": round(minutes_of_activity.get(act.activity_id, act.minutes) / 60, 2),
            "week": week, "week_commencing": calendar.monday(week).isoformat() if week is not None else None,
            "due_week": act.due_week, "due_date": act.due_date.isoformat(),
            "weeks_late": max(0, week - act.due_week) if week is not None else None,
            "scheduled": week is not None,
        })
    return {
        "case_id": case.case_id, "learner_id": case.learner_id, "transition": case.transition.value,
        "ncy_now": ncy_label(case.ncy_now), "ncy_next": ncy_label(case.ncy_next) if case.ncy_next <= 20 else "end",
        "need": case.need.value, "locality_id": case.locality_id,
        "current_setting_id": case.current_setting_id, "receiving_setting_id": case.receiving_setting_id,
        "changes_setting": case.changes_setting, "statutory": case.statutory,
        "deadline": case.deadline.isoformat(), "planning_deadline": case.planning_deadline.isoformat(),
        "latest_review": case.latest_review.isoformat(), "transfer_date": case.transfer_date.isoformat(),
        "weeks_left": case.weeks_left, "preparing_for_adulthood": case.preparing_for_adulthood,
        "score": case.proposal.score, "tier": case.proposal.tier.value,
        "rules": [r.model_dump() for r in case.proposal.fired],
        "team_id": team_id, "activities": activities,
        "late": any((a["weeks_late"] or 0) > 0 for a in activities) or (team_id is not None and any(
            not a["scheduled"] for a in activities)),
    }


def counts(cases: list[TransitionCase], team_by_case: dict[str, str | None],
           late_cases: list[str]) -> dict[str, Any]:
    """Aggregates for dashboards (no learner ids): by transition, tier, team, need; late and unallocated."""
    def tally(values: list[str]) -> dict[str, int]:
        result: dict[str, int] = {}
        for value in values:
            result[value] = result.get(value, 0) + 1
        return dict(sorted(result.items()))

    return {
        "cases": len(cases),
        "by_transition": tally([c.transition.value for c in cases]),
        "by_tier": tally([c.proposal.tier.value for c in cases]),
        "by_need": tally([c.need.value for c in cases]),
        "by_team": tally([team_by_case.get(c.case_id) or "unallocated" for c in cases]),
        "preparing_for_adulthood": sum(1 for c in cases if c.preparing_for_adulthood),
        "late": len(late_cases),
        "unallocated": sum(1 for c in cases if team_by_case.get(c.case_id) is None),
    }


def run_transitions(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run kind `transitions`: parameters as TransitionParameters (`year` required); see docs/transitions.md."""
    params = _validate(parameters)
    return plan_transitions(instance, params, progress)
