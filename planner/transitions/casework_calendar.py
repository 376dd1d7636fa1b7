"""The statutory casework calendar: every date a plan's casework must meet, for every learner with a plan.

Statute (each rule cites its source; every period is a setting in `CaseworkRules`):
- **Annual review** at least every 12 months from the last (Children and Families Act 2014 s44(1); Code of Practice
  2015 9.166). The meeting needs **two weeks' notice** and the advice circulated two weeks before it (SEND
  Regulations 2014 reg 20(3)-(4)); the LA decides within **4 weeks** of the meeting (reg 20(10)); when it amends,
  the family has **at least 15 days, beginning with the day the proposed amendments are served**, to comment and
  ask for a setting (reg 22(2)(c)); the final plan follows within **8 weeks** of the proposals (reg 22(3)).
- **Phase transfer**: the plan reviewed and amended, naming the new setting, by **15 February** of the year of a
  school transfer and **31 March** for secondary school -> post-16 (reg 18(1)); 5 months before a move between
  post-16 institutions (reg 18(2)). The meeting is then due by the transfer deadline less 12 weeks
  (planner.transitions.deadlines.latest_review_date).
- **Preparing for adulthood**: from Year 9 every review covers preparing for adulthood (reg 20(6); Code of Practice
  8.9-8.11 and 9.176). Such a review involves adult services and careers advice, so we give it a longer notice
  (`pfa_notice_weeks`, 4 by default: a local rule, not statute) and the support plan an extra hour
  (`TransitionParameters.pfa_review_extra_hours`).
- **Consultation with a named setting**: the governing body or principal consulted on naming it is asked to reply
  within **15 days** (CFA 2014 s39(2); Code of Practice 9.81: guidance, so `statutory=False`).
- **New needs assessment** (a request received): decide whether to assess within **6 weeks** (reg 5(1)); tell the
  family within **16 weeks** if no plan will be issued (reg 10(1)); issue the final plan within **20 weeks** of the
  request (reg 13(2)).
- **Sixth-day duty**: a permanently excluded pupil must have suitable full-time education arranged by the LA from
  the **sixth school day** of the exclusion (Education (Provision of Full-Time Education for Excluded Pupils)
  (England) Regulations 2007; Education Act 1996 s19), so an alternative provision place and a reintegration plan
  are reserved from that day; the reintegration review follows the PRU/AP stay (a local rule).

Working days, as elsewhere in the planner: a date the LA must meet that falls on a weekend or a listed bank holiday
is planned to the **last working day on or before it** (so it is never late); a review meeting, held at school, is
planned to the last **school day** (a working day in a term-time week) on or before its due date; a period that
belongs to the family (their 15 days) is never shortened: it ends on its calendar day. School days for the sixth-day
count are working days in term-time weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from planner.domain.codes import Need
from planner.domain.models import Point
from planner.transitions.deadlines import is_working_day, months_before, working_day_on_or_before
from planner.transitions.school_calendar import SchoolCalendar


class CaseworkRules(BaseModel):
    """The periods of the casework calendar. Defaults are the statutory ones (and stated local rules)."""

    model_config = ConfigDict(frozen=True)

    review_months: int = Field(default=12, ge=1, description="Months between annual reviews (CFA 2014 s44(1))")
    notice_weeks: int = Field(default=2, ge=0, description="Notice of a review meeting (reg 20(3))")
    advice_weeks: int = Field(default=2, ge=0, description="Advice circulated before the meeting (reg 20(4))")
    decision_weeks: int = Field(default=4, ge=0, description="LA decision after the meeting (reg 20(10))")
    family_days: int = Field(default=15, ge=1, description="Days for the family, from service (reg 22(2)(c))")
    final_weeks: int = Field(default=8, ge=0, description="Final plan after the proposals (reg 22(3))")
    consultation_days: int = Field(default=15, ge=1, description="A named setting's reply (CoP 9.81, guidance)")
    pfa_from_ncy: int = Field(default=9, ge=0, description="Reviews cover preparing for adulthood from this year "
                                                           "(reg 20(6))")
    pfa_notice_weeks: int = Field(default=4, ge=0, description="Notice of a preparing-for-adulthood review (local "
                                                               "rule: adult services and careers are invited)")
    assessment_decision_weeks: int = Field(default=6, ge=1, description="Decide whether to assess (reg 5(1))")
    assessment_no_plan_weeks: int = Field(default=16, ge=1, description="Tell the family no plan follows "
                                                                       "(reg 10(1))")
    assessment_final_weeks: int = Field(default=20, ge=1, description="Final plan after a request (reg 13(2))")
    excluded_duty_day: int = Field(default=6, ge=1, description="School day of a permanent exclusion from which "
                                                                "the LA arranges full-time education (2007 Regs)")


class CaseworkEvent(BaseModel):
    """One dated step of a learner's casework."""

    model_config = ConfigDict(frozen=True)

    learner_id: str
    process: str = Field(description="annual_review, phase_transfer, new_assessment or permanent_exclusion")
    step: str
    date: date
    statutory: bool
    rule: str = Field(description="Where the date comes from")
    note: str = ""


def months_after(day: date, months: int) -> date:
    """The same day of the month `months` later, clamped to the month's end (29 February -> 28 February)."""
    return months_before(day, -months)


def in_school_week(day: date, calendar: SchoolCalendar | None) -> bool:
    """True when the day's week is term time (days outside the calendar's year count as term time: unknown)."""
    if calendar is None:
        return True
    week = calendar.week_of(day)
    return not 0 <= week < calendar.weeks or calendar.is_school_week(week)


def is_school_day(day: date, calendar: SchoolCalendar | None, bank_holidays: Iterable[date] = ()) -> bool:
    return is_working_day(day, bank_holidays) and in_school_week(day, calendar)


def school_day_on_or_before(day: date, calendar: SchoolCalendar | None, bank_holidays: Iterable[date] = ()) -> date:
    """The last school day on or before a date (a meeting at school cannot be held in the holidays)."""
    holidays = set(bank_holidays)
    for _ in range(400):
        if is_school_day(day, calendar, holidays):
            return day
        day -= timedelta(days=1)
    raise ValueError("no school day in the year before the date")


def nth_school_day(first: date, n: int, calendar: SchoolCalendar | None, bank_holidays: Iterable[date] = ()) -> date:
    """The n-th school day counting `first` as day 1 when it is a school day (else the next school day is day 1)."""
    holidays = set(bank_holidays)
    day, count = first, 0
    for _ in range(800):
        if is_school_day(day, calendar, holidays):
            count += 1
            if count == n:
                return day
        day += timedelta(days=1)
    raise ValueError("fewer school days in the calendar than asked")


class AssessmentRequest(BaseModel):
    """A request for an EHC needs assessment still open (SEN2 module 2 Requests and module 3 Assessment: the date
    it was received and how far it has got), with where the team travels to (pseudonymous: the home rounded to
    100 m, as learners' homes are)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    received: date
    learner_id: str | None = None
    stage: Literal["decision", "assessment", "drafting"] = Field(
        default="decision", description="decision: RequestOutcome A (decision yet to be made); assessment: the LA "
                                        "proceeded (RequestOutcome Y) and AssessmentOutcome is A or not recorded; "
                                        "drafting: a plan will be issued (AssessmentOutcome Y) and none has started")
    need: Need = Field(default=Need.NSA, description="Primary need when known (none is recorded before a plan)")
    home: Point | None = None
    locality_id: str | None = None


class AssessmentWork(BaseModel):
    """Hours each step of a new needs assessment takes a team (local working rules, not statute)."""

    model_config = ConfigDict(frozen=True)

    decision_hours: float = Field(default=2.0, ge=0, description="Evidence gathered and the decision to assess")
    assessment_hours: float = Field(default=4.0, ge=0, description="Advice gathered and the child seen")
    draft_hours: float = Field(default=3.0, ge=0, description="The draft plan written and served")
    final_hours: float = Field(default=1.0, ge=0, description="The final plan issued")
    family_response_weeks: int = Field(default=2, ge=0, description="Whole weeks between the draft and the final "
                                                                     "plan: the family's at least 15 days to "
                                                                     "comment (reg 13(1)) end in the second week "
                                                                     "after the one the draft is served in")


class ExclusionNotice(BaseModel):
    """A permanent exclusion: the first school day the pupil is excluded."""

    model_config = ConfigDict(frozen=True)

    learner_id: str
    excluded_from: date


def _event(learner_id: str, process: str, step: str, day: date, statutory: bool, rule: str,
           note: str = "") -> CaseworkEvent:
    return CaseworkEvent(learner_id=learner_id, process=process, step=step, date=day, statutory=statutory, rule=rule,
                         note=note)


def review_chain(learner_id: str, process: str, meeting_due: date, rules: CaseworkRules,
                 calendar: SchoolCalendar | None, bank_holidays: Iterable[date] = (), pfa: bool = False,
                 consult: bool = False, final_deadline: date | None = None, due_rule: str = "") -> list[CaseworkEvent]:
    """A review from notice to final plan, planned backwards from the meeting's due date (every date the latest the
    statute allows, so that the final plan still meets `final_deadline` when one is given)."""
    holidays = list(bank_holidays)
    # The meeting is held at school: the last school day on or before its due date
    meeting = school_day_on_or_before(meeting_due, calendar, holidays)
    events = [_event(learner_id, process, "meeting", meeting, True, due_rule,
                     "preparing for adulthood (reg 20(6))" if pfa else "")]
    # At least two weeks' notice of the meeting (reg 20(3)); longer for a preparing-for-adulthood review (local)
    notice_weeks = max(rules.notice_weeks, rules.pfa_notice_weeks) if pfa else rules.notice_weeks
    events.append(_event(learner_id, process, "notice_sent_by", working_day_on_or_before(
        meeting - timedelta(weeks=notice_weeks), holidays), True,
        "SEND Regulations 2014 reg 20(3): at least 2 weeks (preparing-for-adulthood reviews: pfa_notice_weeks, a "
        "local rule)"))
    # Advice and information circulated at least two weeks before the meeting (reg 20(4))
    events.append(_event(learner_id, process, "advice_circulated_by", working_day_on_or_before(
        meeting - timedelta(weeks=rules.advice_weeks), holidays), True, "SEND Regulations 2014 reg 20(4)"))
    # The LA decides (keep, amend, cease) within 4 weeks of the meeting and serves any proposed amendments (reg 20(10))
    decision = working_day_on_or_before(meeting + timedelta(weeks=rules.decision_weeks), holidays)
    events.append(_event(learner_id, process, "decision_by", decision, True, "SEND Regulations 2014 reg 20(10)"))
    # The family's at least 15 days begin with the day the proposals are served: their period is never shortened
    family = decision + timedelta(days=rules.family_days - 1)
    events.append(_event(learner_id, process, "family_response_ends", family, True,
                         "SEND Regulations 2014 reg 22(2)(c)",
                         "" if is_working_day(family, holidays) else "the family's last day is not a working day: "
                                                                     "it is not moved"))
    if consult:
        # A setting consulted on being named is asked to reply within 15 days (guidance)
        events.append(_event(learner_id, process, "setting_reply_by",
                             decision + timedelta(days=rules.consultation_days), False,
                             "Children and Families Act 2014 s39(2); Code of Practice 2015 9.81"))
    # The final amended plan within 8 weeks of the proposals (reg 22(3)), and by the transfer date when there is one
    final = working_day_on_or_before(decision + timedelta(weeks=rules.final_weeks), holidays)
    note = ""
    if final_deadline is not None and final > final_deadline:
        final, note = final_deadline, "the phase-transfer date comes first"
    events.append(_event(learner_id, process, "final_plan_by", final, True, "SEND Regulations 2014 reg 22(3)"
                         + ("; reg 18" if final_deadline is not None else ""), note))
    return events


def annual_review_due(last_review: date | None, plan_start: date | None, rules: CaseworkRules) -> date | None:
    """12 months from the last review, or from the plan when it has had none (CFA 2014 s44(1)); None if unknown."""
    base = last_review or plan_start
    return months_after(base, rules.review_months) if base is not None else None


def assessment_events(request: AssessmentRequest, rules: CaseworkRules,
                      bank_holidays: Iterable[date] = ()) -> list[CaseworkEvent]:
    """The 20-week clock of a new needs assessment, from the day the request is received."""
    holidays = list(bank_holidays)
    who = request.learner_id or request.request_id

    def by(weeks: int) -> date:
        return working_day_on_or_before(request.received + timedelta(weeks=weeks), holidays)

    return [
        # Decide whether to assess, and tell the family, within 6 weeks of the request (reg 5(1))
        _event(who, "new_assessment", "decision_to_assess_by", by(rules.assessment_decision_weeks), True,
               "SEND Regulations 2014 reg 5(1)", f"request {request.request_id}"),
        # After assessing, tell the family within 16 weeks if no plan will be issued (reg 10(1))
        _event(who, "new_assessment", "no_plan_notice_by", by(rules.assessment_no_plan_weeks), True,
               "SEND Regulations 2014 reg 10(1)", f"request {request.request_id}"),
        # Issue the final plan within 20 weeks of the request (reg 13(2))
        _event(who, "new_assessment", "final_plan_by", by(rules.assessment_final_weeks), True,
               "SEND Regulations 2014 reg 13(2)", f"request {request.request_id}"),
    ]


def exclusion_events(learner_id: str, excluded_from: date, rules: CaseworkRules, calendar: SchoolCalendar | None,
                     bank_holidays: Iterable[date] = (), stay_weeks: int = 26, known: bool = True
                     ) -> list[CaseworkEvent]:
    """The sixth-day duty after a permanent exclusion: full-time provision (an AP place) from the sixth school day,
    and the reintegration plan's review after the stay (a local rule)."""
    holidays = list(bank_holidays)
    sixth = nth_school_day(excluded_from, rules.excluded_duty_day, calendar, holidays)
    note = "" if known else "exclusion date not recorded: counted from the planning date"
    return [
        # Suitable full-time education from the sixth school day of a permanent exclusion (2007 Regulations)
        _event(learner_id, "permanent_exclusion", "full_time_provision_from", sixth, True,
               "Education (Provision of Full-Time Education for Excluded Pupils) (England) Regulations 2007; "
               "Education Act 1996 s19", note),
        # The reintegration plan is reviewed at the end of the stay in alternative provision (local rule)
        _event(learner_id, "permanent_exclusion", "reintegration_review_by",
               working_day_on_or_before(sixth + timedelta(weeks=stay_weeks), holidays), False,
               "local rule: PRU/AP stay (pru_stay_weeks)"),
    ]
