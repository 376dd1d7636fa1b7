"""Transition cases: who faces a key transition in the window, by when, with what support and which activities.

`find_transitions` lists every learner at a transition point for a transfer year (`year=2027`: moves taking effect
in September 2027, planned during 2026/27), with the statutory timeline (planner.transitions.deadlines), a support
proposal from transparent rules (planner.transitions.support) and the activities the support takes, each with its
release and due week. It also builds what the solvers see of a case: the allocator's view (`outreach_case`), a
team's week-by-week problem (`build_team_problem`) and the whole problem for its lower bounds (`joint_problem`).
`planner.transitions.planning` re-exports all of it.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance, Learner, OutreachTeam, Point
from planner.domain.travel import TravelModel
from planner.transitions.casework_calendar import (
    AssessmentRequest,
    AssessmentWork,
    CaseworkRules,
    ExclusionNotice,
    annual_review_due,
    nth_school_day,
)
from planner.transitions.deadlines import (
    ReviewTimings,
    latest_review_date,
    post16_move_deadline,
    post16_transfer_deadline,
    school_transfer_deadline,
    weeks_left,
    working_day_on_or_before,
)
from planner.transitions.joint_problem import CaseOption, JointCase, JointProblem
from planner.transitions.outreach import OutreachCase, OutreachParameters
from planner.transitions.schedule import ScheduleActivity, TeamScheduleProblem
from planner.transitions.school_calendar import DEFAULT_BLOCKS, CalendarBlock, SchoolCalendar, Term
from planner.transitions.support import (
    ActivityKind,
    CaseFacts,
    FiredRule,
    SupportProposal,
    SupportRules,
    propose_support,
)


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
    NEW_ASSESSMENT = "new_assessment"  # a request for an EHC needs assessment on the 20-week clock


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
    casework: CaseworkRules = Field(default_factory=CaseworkRules)
    pfa_review_extra_hours: float = Field(default=1.0, ge=0, description="Extra hours for a preparing-for-adulthood "
                                                                       "review, Year 9 and above (local rule: adult "
                                                                       "services and careers take part)")
    placement_settings: dict[str, str] = Field(
        default_factory=dict, description="Learner id -> the setting the latest placement run proposed: the "
                                          "receiving setting of a transition unless one is pinned")
    placement_run_id: str | None = Field(default=None, description="The placement run `placement_settings` came from")
    exclusions: tuple[ExclusionNotice, ...] = Field(default=(), description="Permanent exclusions with their first "
                                                                            "day (the sixth-day duty)")
    assessment_requests: tuple[AssessmentRequest, ...] = Field(default=(), description="Open requests for an EHC "
                                                                                      "needs assessment: dated on "
                                                                                      "the 20-week clock and "
                                                                                      "scheduled as casework "
                                                                                      "(planner.transitions."
                                                                                      "assessments)")
    assessment_work: AssessmentWork = Field(default_factory=AssessmentWork)
    casework_calendar: bool = Field(default=True, description="Add the statutory casework calendar of every learner "
                                                              "with a plan to the result")
    support: SupportRules = Field(default_factory=SupportRules)
    outreach: OutreachParameters = Field(default_factory=OutreachParameters)
    calendar_blocks: tuple[CalendarBlock, ...] = Field(default=DEFAULT_BLOCKS)
    first_monday: date | None = None
    late_week_cost: int = Field(default=60, ge=0, description="Cost points per weighted week late (60 = an hour "
                                                             "of travel)")
    statutory_review_weight: int = Field(default=3, ge=1, description="Lateness weight of a statutory review")
    other_weight: int = Field(default=1, ge=1, description="Lateness weight of other activities")
    unscheduled_weeks: int = Field(default=52, ge=1, description="Penalty of an activity left out, in weeks late")
    time_limit_seconds: float = Field(default=30.0, gt=0, le=3600, description="Wall-clock budget for the whole solve")
    allocation_share: float = Field(default=0.7, gt=0, lt=1, description="Share of the budget left after finding "
                                                                        "the cases that the allocation may use")
    extra_hours_analysis: bool = Field(default=True, description="Work out the extra hours that prevent lateness")
    place_unallocated: bool = Field(default=True, description="After the list schedules, give each unallocated case "
                                                              "the team where travel + the lateness it causes costs "
                                                              "less than leaving it unallocated "
                                                              "(planner.transitions.rebalance)")
    whole_bound_share: float = Field(default=0.15, ge=0, lt=1, description="Share of the budget kept for the "
                                                                          "whole-problem lower bound "
                                                                          "(planner.transitions.joint_bound)")
    move_late_cases: bool = Field(default=True, description="After the list schedules, move cases a team cannot "
                                                            "fit in its weeks to a team with room when that lowers "
                                                            "cost + lateness (planner.transitions.rebalance)")
    lp_bound: bool = Field(default=True, description="For a team still late after the list schedules and CP-SAT, "
                                                     "bound its lateness by the time-indexed LP relaxation "
                                                     "(planner.transitions.schedule_bound), within its share of the "
                                                     "time")
    level_workload: bool = Field(default=True, description="After lateness, spread each team's booked hours evenly "
                                                           "over its weeks without making any activity later "
                                                           "(planner.transitions.levelling)")
    levelling_margin_weeks: int = Field(default=2, ge=0, description="Levelling never moves an on-time activity "
                                                                    "into the last weeks before its due week "
                                                                    "(local rule: slack for the unexpected)")
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
    ncy_now: int | None = Field(description="National curriculum year now (None: not known, e.g. a new request)")
    ncy_next: int | None
    need: Need
    locality_id: str | None
    location: Point = Field(description="Where the team travels to (current setting, else the home centroid)")
    current_setting_id: str | None
    receiving_setting_id: str | None
    receiving_source: str | None = Field(default=None, description="pinned, placement_run, request, staying or None")
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
                       as_of: date, current_kind: SettingKind | None = None) -> tuple[date, bool]:
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
    exclusion = exclusion_start(learner, params, as_of, current_kind)
    if kind is TransitionType.AT_RISK and exclusion is not None:
        # Permanently excluded and not yet in alternative provision: full-time education from the sixth school day
        # (Education (Provision of Full-Time Education for Excluded Pupils) (England) Regulations 2007)
        first, _ = exclusion
        return nth_school_day(first, params.casework.excluded_duty_day, planning_calendar(params),
                              params.bank_holidays), True
    # Local rule: a learner at risk is reviewed within the response time
    return as_of + timedelta(weeks=params.at_risk_response_weeks), False


def exclusion_start(learner: Learner, params: TransitionParameters, as_of: date,
                    current_kind: SettingKind | None = None) -> tuple[date, bool] | None:
    """(first day of a permanent exclusion, whether that date is recorded) for a learner the sixth-day duty applies to
    (listed in `exclusions`, or flagged excluded and not in a PRU/AP: then counted from the planning date); None
    otherwise."""
    listed = next((e.excluded_from for e in params.exclusions if e.learner_id == learner.id), None)
    if listed is not None:
        return listed, True
    if learner.excluded and current_kind is not SettingKind.PRU_AP:
        return as_of, False
    return None


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
        receiving_id, source = receiving_setting(instance, learner, params, kind, ncy_next)
        changes = receiving_id is None or current is None or receiving_id != current.id
        if kind is TransitionType.END_OF_PLAN:
            receiving_id, source, changes = None, None, True
        if not changes and not params.include_staying:
            continue
        deadline, statutory = statutory_deadline(kind, learner, params, as_of, current.kind if current else None)
        planning_deadline = working_day_on_or_before(deadline, params.bank_holidays)
        latest = latest_review_date(planning_deadline, params.review, params.bank_holidays)
        if kind in (TransitionType.PRU_REINTEGRATION, TransitionType.AT_RISK):
            latest = planning_deadline  # local rules and the sixth-day duty set the date itself
        annual = annual_review_due(learner.last_review, _recent_plan_start(learner, as_of), params.casework)
        if annual is not None and kind not in (TransitionType.PRU_REINTEGRATION, TransitionType.AT_RISK):
            # The transfer review is also the annual review: within 12 months of the last (CFA 2014 s44(1))
            latest = min(latest, working_day_on_or_before(annual, params.bank_holidays))
        pfa = instance.learner_ncy(learner, planning_year) >= params.casework.pfa_from_ncy
        facts = _facts(instance, learner, kind, receiving_id, changes, travel)
        proposal = _with_adulthood(propose_support(facts, params.support), pfa, params.pfa_review_extra_hours)
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
            receiving_source=source,
            changes_setting=changes, statutory=statutory, deadline=deadline, planning_deadline=planning_deadline,
            latest_review=latest, transfer_date=transfer_date, weeks_left=weeks_left(as_of, planning_deadline),
            preparing_for_adulthood=pfa,
            proposal=proposal, activities=activities,
        ))
    return cases


def receiving_setting(instance: Instance, learner: Learner, params: TransitionParameters, kind: TransitionType,
                      ncy_next: int) -> tuple[str | None, str | None]:
    """(receiving setting, where it comes from): an agreed (pinned) placement; else what the latest placement run
    proposed; else the family's first request (CFA 2014 s38-39), only when there is no run; else, for a September
    move in an all-through setting that takes the learner's next year, the current setting (staying on); else None
    (to be named: with a run that could not place the learner, the request is not assumed)."""
    if learner.pinned_setting_id is not None:
        return learner.pinned_setting_id, "pinned"
    proposed = params.placement_settings.get(learner.id)
    if proposed is not None and proposed in instance.setting_by_id:
        return proposed, "placement_run"
    run = bool(params.placement_settings) or params.placement_run_id is not None
    if learner.requested_setting_ids and not run:
        return learner.requested_setting_ids[0], "request"
    current = instance.setting_by_id.get(learner.current_setting_id or "")
    if current is not None and 0 <= ncy_next <= 20 and current.takes_ncy(ncy_next) and kind in SEPTEMBER_TRANSFERS:
        return current.id, "staying"  # an all-through setting: the learner stays on
    return None, None  # the run could not place the learner: the setting is still to be named


def _recent_plan_start(learner: Learner, as_of: date) -> date | None:
    """The plan's start when it is less than a year old (its first review is then due 12 months after it); an older
    plan's last review is unknown without `last_review`."""
    if learner.plan_start is not None and learner.plan_start > as_of - timedelta(days=365):
        return learner.plan_start
    return None


def _with_adulthood(proposal: SupportProposal, pfa: bool, extra_hours: float) -> SupportProposal:
    """From Year 9 the review covers preparing for adulthood (SEND Regulations 2014 reg 20(6)): more hours for it."""
    if not pfa or extra_hours <= 0:
        return proposal
    activities = proposal.activities.model_copy(update={"review_hours": proposal.activities.review_hours
                                                        + extra_hours})
    rule = FiredRule(rule="preparing_for_adulthood", points=0,
                     reason=f"Year 9 or above: the review covers preparing for adulthood (+{extra_hours:g} h)")
    return proposal.model_copy(update={"activities": activities, "fired": (*proposal.fired, rule)})


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
    return TeamScheduleProblem(team_id=team_id, capacity=capacity, activities=activities,
                               unscheduled_penalty=unscheduled_penalty(params), closed_weeks=closed)


def unscheduled_penalty(params: TransitionParameters) -> int:
    """Weighted weeks charged for an activity left out of the year: a year late at the heaviest weight."""
    return params.unscheduled_weeks * max(params.statutory_review_weight, params.other_weight)


def case_factor_and_trip(case: TransitionCase, team: OutreachTeam, params: TransitionParameters,
                         travel: TravelModel) -> tuple[float, int]:
    """(hours factor, round-trip minutes) of a case at a team: more hours outside the team's specialisms, and a
    round trip from the team's base for every activity (DOMAIN.md car model)."""
    factor = 1.0 if case.need in team.specialisms else params.outreach.non_specialist_hours_factor
    one_way = travel.minutes(team.base, case.location) if team.base is not None else 0.0
    return factor, int(round(2 * one_way))


def build_team_problem(team: OutreachTeam, cases: list[TransitionCase], params: TransitionParameters,
                       calendar: SchoolCalendar, travel: TravelModel) -> TeamScheduleProblem:
    """One team's schedule problem for the cases given (its weekly hours, none in the holidays)."""
    factors, trips = {}, {}
    for case in cases:
        factors[case.case_id], trips[case.case_id] = case_factor_and_trip(case, team, params, travel)
    capacity = team_week_capacity(team.hours_per_week, calendar, params.outreach.availability)
    return team_problem(team.id, cases, factors, trips, capacity, params, calendar)


def joint_problem(instance: Instance, cases: list[TransitionCase], costs: dict[tuple[str, str], int],
                  params: TransitionParameters, calendar: SchoolCalendar, travel: TravelModel) -> JointProblem:
    """The whole problem (allocation + schedule + lateness) for `planner.transitions.joint_bound`: each case's
    allowed teams with their cost (`costs`: the allocator's travel + fit, only for allowed pairs) and the minutes of
    each activity there, exactly as the team schedules count them."""
    teams = list(instance.teams)
    joint_cases: list[JointCase] = []
    for case in cases:
        options: list[CaseOption] = []
        for team in teams:
            if (case.case_id, team.id) not in costs:
                continue
            factor, trip = case_factor_and_trip(case, team, params, travel)
            minutes = tuple(int(round(act.minutes * factor)) + trip for act in case.activities)
            options.append(CaseOption(team_id=team.id, cost=costs[case.case_id, team.id], minutes=minutes))
        activities = team_problem("", [case], {case.case_id: 1.0}, {case.case_id: 0}, [], params,
                                  calendar).activities
        joint_cases.append(JointCase(case_id=case.case_id, activities=tuple(activities), options=tuple(options),
                                     unallocated_penalty=params.outreach.unallocated_penalty))
    capacity = {t.id: team_week_capacity(t.hours_per_week, calendar, params.outreach.availability) for t in teams}
    return JointProblem(cases=tuple(joint_cases), capacity=capacity,
                        unscheduled_penalty=unscheduled_penalty(params), late_week_cost=params.late_week_cost)
