"""New EHC needs assessments as casework on the 20-week clock, scheduled against the teams' weekly hours.

Each open request (`AssessmentRequest`: from the SEN2 return's Requests and Assessment modules,
planner.io.sen2.requests, or given as run parameters) becomes a case of type `new_assessment` whose activities carry
the statutory dates (SEND Regulations 2014):

- **decision to assess** by 6 weeks from the request (reg 5(1)), while the decision is yet to be made;
- **needs assessment** (advice gathered, the child seen) by 16 weeks (reg 10(1): by then the family must be told
  if no plan will follow), while the assessment's outcome is not yet known;
- **draft plan** served in time for the family's at least 15 days to comment (reg 13(1)) before
- **final plan** within 20 weeks of the request (reg 13(2)).

The weeks are calendar weeks: the clock runs through school holidays (reg 13(2) counts from the request; the
exceptions of reg 13(3), e.g. a school closed for 4 weeks or more when advice was asked for, apply case by case and
are not assumed). The teams have no hours in the holidays, so a request received before the summer holiday has
less term time for the same 20 weeks, which the schedule shows. A date on a weekend or bank holiday is planned to
the last working day before it (as every LA date in planner.transitions.casework_calendar).

The hours of each step are local working rules (`AssessmentWork`), not statute; the teams doing the work are the
instance's teams (the planner knows no other team's hours). A step due after the planning year's last week is left
to next year's plan and listed on the case (`beyond_year`); a request with no step due this year is in the
statutory calendar only. A step's due week is the last week ending (Friday) on or before its date.
The case goes through the same allocation, schedule, levelling and whole-problem bound as every transition case.
"""

from __future__ import annotations

from datetime import date, timedelta

from planner.domain.models import Instance, Point
from planner.transitions.cases import CaseActivity, TransitionCase, TransitionParameters, TransitionType
from planner.transitions.casework_calendar import AssessmentRequest, AssessmentWork, CaseworkRules
from planner.transitions.deadlines import weeks_left, working_day_on_or_before
from planner.transitions.school_calendar import SchoolCalendar
from planner.transitions.support import ActivityKind, FiredRule, SupportProposal, Tier, TierActivities


def request_dates(request: AssessmentRequest, rules: CaseworkRules, bank_holidays: tuple[date, ...]) -> dict[str, date]:
    """The statutory dates of a request: calendar weeks from the day it was received, each planned to the last
    working day on or before it."""

    def by(weeks: int) -> date:
        # Calendar weeks from the request: the clock does not stop for school holidays (reg 13(2))
        return working_day_on_or_before(request.received + timedelta(weeks=weeks), bank_holidays)

    return {"decision": by(rules.assessment_decision_weeks), "assessment": by(rules.assessment_no_plan_weeks),
            "final": by(rules.assessment_final_weeks)}


def council_centre(instance: Instance) -> Point:
    """Where a request with no known home is visited from: the mean of the localities' centres (else settings')."""
    points = [loc.centroid for loc in instance.localities] or [s.location for s in instance.settings]
    if not points:
        return Point(easting=0.0, northing=0.0)
    return Point(easting=sum(p.easting for p in points) / len(points),
                 northing=sum(p.northing for p in points) / len(points))


def assessment_proposal(request: AssessmentRequest) -> SupportProposal:
    """The case's 'support': the statutory assessment itself (no risk rules apply to it)."""
    rule = FiredRule(rule="new_needs_assessment", points=0,
                     reason=f"request received {request.received.isoformat()}: final plan within 20 weeks "
                            "(SEND Regulations 2014 reg 13(2))")
    nothing = TierActivities(review_hours=0, visits=0, visit_hours=0, sessions=0, session_hours=0, handover_hours=0)
    return SupportProposal(score=0, tier=Tier.UNIVERSAL, fired=(rule,), activities=nothing)


def assessment_steps(request: AssessmentRequest, work: AssessmentWork, dates: dict[str, date],
                     calendar: SchoolCalendar) -> list[tuple[ActivityKind, float, int, bool, int]]:
    """(kind, hours, due week, statutory, lag weeks after the previous step) of each step still to do."""
    draft_due = calendar.last_week_ending_by(dates["final"]) - 1 - work.family_response_weeks
    steps: list[tuple[ActivityKind, float, int, bool, int]] = []
    if request.stage == "decision":
        steps.append((ActivityKind.DECISION, work.decision_hours, calendar.last_week_ending_by(dates["decision"]),
                      True, 0))
    if request.stage in ("decision", "assessment"):
        steps.append((ActivityKind.ASSESSMENT, work.assessment_hours,
                      calendar.last_week_ending_by(dates["assessment"]), True, 0))
    steps.append((ActivityKind.DRAFT_PLAN, work.draft_hours, draft_due, False, 0))
    # The final plan follows the draft by the family's 15 days (reg 13(1))
    steps.append((ActivityKind.FINAL_PLAN, work.final_hours, calendar.last_week_ending_by(dates["final"]), True,
                  work.family_response_weeks))
    return steps


def assessment_case(instance: Instance, request: AssessmentRequest, params: TransitionParameters,
                    calendar: SchoolCalendar, as_of_week: int) -> TransitionCase:
    """One open request as a case: its steps still to do as activities, each after the one before it."""
    dates = request_dates(request, params.casework, params.bank_holidays)
    learner = instance.learner_by_id.get(request.learner_id or "") if request.learner_id else None
    # Nothing can happen before the request arrives, nor before the plan's first week
    release = max(as_of_week, calendar.week_of(request.received), 0)
    last_week = calendar.weeks - 1
    case_id = f"A-{request.request_id}"
    activities: list[CaseActivity] = []
    beyond: list[str] = []
    previous: str | None = None
    for kind, hours, due_week, statutory, lag in assessment_steps(request, params.assessment_work, dates, calendar):
        if due_week > last_week:
            beyond.append(kind.value)  # due after this planning year: next year's plan schedules it
            continue
        activity_id = f"{case_id}:{kind.value}:1"
        activities.append(CaseActivity(
            activity_id=activity_id, kind=kind, minutes=int(round(hours * 60)), release_week=release,
            due_week=due_week, due_date=calendar.friday(due_week), statutory=statutory,
            after=((previous, lag),) if previous is not None else ()))
        previous = activity_id
    ncy = instance.learner_ncy(learner, params.year - 1) if learner is not None else None
    current = instance.setting_by_id.get(learner.current_setting_id or "") if learner is not None else None
    location = current.location if current is not None else request.home or council_centre(instance)
    proposal = assessment_proposal(request)
    if beyond:
        proposal = proposal.model_copy(update={"fired": (*proposal.fired, FiredRule(
            rule="beyond_year", points=0, reason="due after this planning year, for next year's plan: "
                                                 + ", ".join(beyond)))})
    return TransitionCase(
        case_id=case_id, learner_id=request.learner_id or request.request_id,
        transition=TransitionType.NEW_ASSESSMENT, ncy_now=ncy, ncy_next=None if ncy is None else ncy + 1,
        need=learner.primary_need if learner is not None else request.need,
        locality_id=request.locality_id or (learner.locality_id if learner is not None else None),
        location=location, current_setting_id=current.id if current is not None else None,
        receiving_setting_id=None, receiving_source=None, changes_setting=False, statutory=True,
        deadline=request.received + timedelta(weeks=params.casework.assessment_final_weeks),
        planning_deadline=dates["final"], latest_review=dates["decision"], transfer_date=dates["final"],
        weeks_left=weeks_left(params.as_of or calendar.start, dates["final"]), preparing_for_adulthood=False,
        proposal=proposal, activities=tuple(activities))


def assessment_cases(instance: Instance, params: TransitionParameters,
                     calendar: SchoolCalendar) -> list[TransitionCase]:
    """A case for every open request given (`params.assessment_requests`) with a step due this planning year (one
    whose steps all fall due after it is in the statutory calendar only, for next year's plan)."""
    as_of_week = max(0, calendar.week_of(params.as_of or calendar.start))
    cases = [assessment_case(instance, request, params, calendar, as_of_week) for request in params.assessment_requests]
    return [case for case in cases if case.activities]
