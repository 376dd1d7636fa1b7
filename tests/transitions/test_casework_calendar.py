"""The statutory casework calendar (planner.transitions.casework_calendar, planner.transitions.statutory_plan):
every rule with dated examples across weekends, school holidays, bank holidays and leap years, and the receiving
setting taken from a placement run.

Default calendar 2026/27 (week 0 = Monday 7 September 2026): October half-term 26-30 October 2026, Christmas
21 December 2026 - 1 January 2027, February half-term 15-19 February 2027, Easter 5-16 April 2027, summer term ends
Friday 23 July 2027.
"""

from __future__ import annotations

from datetime import date

import pytest

from planner.domain.models import Instance
from planner.transitions.casework_calendar import (
    AssessmentRequest,
    CaseworkRules,
    ExclusionNotice,
    annual_review_due,
    assessment_events,
    exclusion_events,
    months_after,
    nth_school_day,
    review_chain,
    school_day_on_or_before,
)
from planner.transitions.deadlines import latest_review_date, post16_transfer_deadline
from planner.transitions.planning import TransitionParameters, TransitionType, find_transitions, plan_transitions
from planner.transitions.school_calendar import SchoolCalendar

CALENDAR = SchoolCalendar(academic_year=2026)
RULES = CaseworkRules()


def _steps(events: list) -> dict[str, date]:  # type: ignore[type-arg]
    return {e.step: e.date for e in events}


# ---- annual reviews: 12 months from the last (CFA 2014 s44(1)) ----------------------------------------------


def test_twelve_months_from_the_last_review_clamps_a_leap_day() -> None:
    assert annual_review_due(date(2028, 2, 29), None, RULES) == date(2029, 2, 28)
    assert annual_review_due(date(2027, 3, 10), None, RULES) == date(2028, 3, 10)
    assert annual_review_due(None, date(2026, 11, 30), RULES) == date(2027, 11, 30)  # first review: from the plan
    assert annual_review_due(None, None, RULES) is None
    assert months_after(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_review_chain_notice_decision_response_and_final_plan() -> None:
    # Due Sunday 14 March 2027: the meeting on Friday 12 March; notice and advice two weeks before (reg 20(3)-(4));
    # decision within 4 weeks (reg 20(10)): Friday 9 April, in the Easter holiday but a working day for the LA;
    # the family's 15 days begin that day and end Friday 23 April (reg 22(2)(c)); final plan 8 weeks after the
    # proposals: Friday 4 June (reg 22(3))
    steps = _steps(review_chain("L", "annual_review", date(2027, 3, 14), RULES, CALENDAR))
    assert steps == {"meeting": date(2027, 3, 12), "notice_sent_by": date(2027, 2, 26),
                     "advice_circulated_by": date(2027, 2, 26), "decision_by": date(2027, 4, 9),
                     "family_response_ends": date(2027, 4, 23), "final_plan_by": date(2027, 6, 4)}


def test_a_meeting_due_in_the_holidays_is_held_on_the_last_school_day_before() -> None:
    assert _steps(review_chain("L", "annual_review", date(2027, 2, 17), RULES, CALENDAR))["meeting"] \
        == date(2027, 2, 12)  # February half-term
    assert _steps(review_chain("L", "annual_review", date(2027, 8, 10), RULES, CALENDAR))["meeting"] \
        == date(2027, 7, 23)  # summer holiday: the end of the summer term
    # Early May bank holiday (Monday 3 May 2027, listed): the Friday before
    assert _steps(review_chain("L", "annual_review", date(2027, 5, 3), RULES, CALENDAR,
                               [date(2027, 5, 3)]))["meeting"] == date(2027, 4, 30)
    assert school_day_on_or_before(date(2027, 1, 3), CALENDAR) == date(2026, 12, 18)  # Christmas holiday


def test_the_familys_fifteen_days_are_never_shortened() -> None:
    # Proposals served Friday 12 March 2027: the 15 days end Friday 26 March, Good Friday; listed as a bank holiday
    # it stays the family's last day (the LA's own dates move earlier, the family's do not)
    events = review_chain("L", "annual_review", date(2027, 2, 15), RULES, CALENDAR, [date(2027, 3, 26)])
    family = next(e for e in events if e.step == "family_response_ends")
    assert family.date == date(2027, 3, 26) and "not moved" in family.note


def test_preparing_for_adulthood_review_gets_a_longer_notice() -> None:
    events = review_chain("L", "annual_review", date(2027, 3, 14), RULES, CALENDAR, pfa=True)
    assert _steps(events)["notice_sent_by"] == date(2027, 2, 12)  # 4 weeks: a local rule
    assert "preparing for adulthood" in events[0].note


# ---- phase transfer: 15 February / 31 March (reg 18) --------------------------------------------------------


def test_phase_transfer_chain_meets_15_february() -> None:
    latest = latest_review_date(date(2027, 2, 15))
    assert latest == date(2026, 11, 23)
    steps = _steps(review_chain("L", "phase_transfer", latest, RULES, CALENDAR, consult=True,
                                final_deadline=date(2027, 2, 15)))
    assert steps["decision_by"] == date(2026, 12, 21) and steps["final_plan_by"] == date(2027, 2, 15)
    assert steps["setting_reply_by"] == date(2027, 1, 5)  # 15 days for the named setting (CoP 9.81)


def test_phase_transfer_to_post16_in_a_leap_year() -> None:
    latest = latest_review_date(post16_transfer_deadline(2028))
    steps = _steps(review_chain("L", "phase_transfer", latest, RULES, SchoolCalendar(academic_year=2027),
                                final_deadline=date(2028, 3, 31)))
    assert steps["meeting"] == date(2028, 1, 7) and steps["decision_by"] == date(2028, 2, 4)
    assert steps["final_plan_by"] == date(2028, 3, 31)


def test_the_transfer_review_is_also_due_within_twelve_months_of_the_last(small_instance: Instance) -> None:
    def latest(last_review: date) -> date:
        learners = tuple(lr.model_copy(update={"last_review": last_review}) if lr.id == "PS1" else lr
                         for lr in small_instance.learners)
        cases = find_transitions(small_instance.replace(learners=learners), TransitionParameters(year=2027))
        return next(c for c in cases if c.learner_id == "PS1").latest_review

    # 15 February 2027 less 12 weeks is Monday 23 November 2026
    assert latest(date(2026, 1, 10)) == date(2026, 11, 23)  # 10 January 2027 comes later
    assert latest(date(2025, 10, 14)) == date(2026, 10, 14)  # 12 months from the last review comes first
    assert latest(date(2025, 6, 28)) == date(2026, 6, 26)  # overdue (a Sunday -> Friday): late from the start


# ---- new needs assessments: 6, 16 and 20 weeks (reg 5(1), 10(1), 13(2)) -------------------------------------


def test_twenty_week_clock() -> None:
    steps = _steps(assessment_events(AssessmentRequest(request_id="R1", received=date(2026, 9, 7)), RULES,
                                     [date(2026, 12, 25), date(2026, 12, 28)]))
    assert steps == {"decision_to_assess_by": date(2026, 10, 19),
                     "no_plan_notice_by": date(2026, 12, 24),  # 28 December 2026 is a bank holiday
                     "final_plan_by": date(2027, 1, 25)}


def test_twenty_week_clock_over_a_leap_day_and_from_a_saturday() -> None:
    steps = _steps(assessment_events(AssessmentRequest(request_id="R2", received=date(2028, 2, 1)), RULES))
    assert steps["final_plan_by"] == date(2028, 6, 20)  # 140 days, 29 February counted
    steps = _steps(assessment_events(AssessmentRequest(request_id="R3", received=date(2026, 9, 12)), RULES,
                                     [date(2027, 1, 1)]))
    assert steps["decision_to_assess_by"] == date(2026, 10, 23)  # Saturday 24 October -> Friday
    assert steps["no_plan_notice_by"] == date(2026, 12, 31)  # Saturday 2 January -> not New Year's Day -> 31 Dec


# ---- the sixth-day duty after a permanent exclusion ----------------------------------------------------------


@pytest.mark.parametrize(("first", "sixth"), [
    (date(2026, 10, 15), date(2026, 10, 22)),  # Thursday: over one weekend
    (date(2026, 10, 21), date(2026, 11, 4)),  # over the October half-term
    (date(2026, 12, 18), date(2027, 1, 8)),  # the last day of term: over Christmas
    (date(2026, 10, 17), date(2026, 11, 2)),  # a Saturday: day 1 is the Monday
])
def test_sixth_school_day(first: date, sixth: date) -> None:
    assert nth_school_day(first, 6, CALENDAR) == sixth


def test_sixth_day_skips_a_listed_bank_holiday_and_reserves_the_reintegration_review() -> None:
    events = exclusion_events("X", date(2027, 4, 27), RULES, CALENDAR, [date(2027, 5, 3)], stay_weeks=26)
    steps = _steps(events)
    assert steps["full_time_provision_from"] == date(2027, 5, 5)  # 27, 28, 29, 30 April, 4 May, 5 May
    assert steps["reintegration_review_by"] == date(2027, 11, 3)
    assert events[0].statutory and not events[1].statutory


def test_an_excluded_pupil_not_in_alternative_provision_is_due_on_the_sixth_day(small_instance: Instance) -> None:
    learners = tuple(lr.model_copy(update={"excluded": True}) if lr.id == "RISK" else lr
                     for lr in small_instance.learners)
    params = TransitionParameters(year=2027, exclusions=(ExclusionNotice(learner_id="RISK",
                                                                         excluded_from=date(2026, 10, 21)),))
    cases = {c.learner_id: c for c in find_transitions(small_instance.replace(learners=learners), params)}
    risk = cases["RISK"]
    assert risk.transition is TransitionType.AT_RISK and risk.statutory
    assert risk.deadline == date(2026, 11, 4) and risk.latest_review == date(2026, 11, 4)
    assert risk.activities[0].due_date <= date(2026, 11, 4)


# ---- the receiving setting, preparing for adulthood, and the plan's calendar ---------------------------------


def test_receiving_setting_from_the_placement_run_then_pinned_then_request(small_instance: Instance) -> None:
    def receiving(params: TransitionParameters, instance: Instance = small_instance) -> dict[str, tuple]:
        return {c.learner_id: (c.receiving_setting_id, c.receiving_source) for c in find_transitions(instance, params)}

    assert receiving(TransitionParameters(year=2027))["PS1"] == ("SPEC", "request")  # no run: the first request
    run = TransitionParameters(year=2027, placement_settings={"PS1": "SEC"}, placement_run_id="run-1")
    assert receiving(run)["PS1"] == ("SEC", "placement_run")
    assert receiving(run)["IJ1"] == (None, None)  # the run did not place IJ1: its request is not assumed
    pinned = small_instance.replace(learners=tuple(lr.model_copy(update={"pinned_setting_id": "SPEC"})
                                                   if lr.id == "PS1" else lr for lr in small_instance.learners))
    assert receiving(run, pinned)["PS1"] == ("SPEC", "pinned")


def test_year_nine_and_above_get_the_longer_review(small_instance: Instance) -> None:
    cases = {c.learner_id: c for c in find_transitions(small_instance, TransitionParameters(year=2027))}
    sp1, ps1 = cases["SP1"], cases["PS1"]
    assert sp1.preparing_for_adulthood and not ps1.preparing_for_adulthood
    assert "preparing_for_adulthood" in {r.rule for r in sp1.proposal.fired}
    base = find_transitions(small_instance, TransitionParameters(year=2027, pfa_review_extra_hours=0))
    before = next(c for c in base if c.learner_id == "SP1").activities[0].minutes
    assert sp1.activities[0].minutes == before + 60


def test_the_plan_carries_every_learners_calendar(small_instance: Instance) -> None:
    learners = tuple(lr.model_copy(update={"last_review": date(2026, 1, 20)}) if lr.id == "Y9" else lr
                     for lr in small_instance.learners)
    params = TransitionParameters(year=2027, time_limit_seconds=5, workers=1, extra_hours_analysis=False,
                                  assessment_requests=(AssessmentRequest(request_id="R9", received=date(2026, 9, 7)),))
    plan = plan_transitions(small_instance.replace(learners=learners), params)
    calendar = plan["statutory_calendar"]
    rows = {(r["learner_id"], r["process"]): r for r in calendar["rows"]}
    # Y9 has no transition but its annual review falls due in the year: 20 January 2027, notice 4 weeks before
    y9 = rows["Y9", "annual_review"]
    assert y9["steps"]["meeting"] == "2027-01-20" and y9["preparing_for_adulthood"]
    assert y9["steps"]["notice_sent_by"] == "2026-12-23"
    assert rows["PS1", "phase_transfer"]["steps"]["final_plan_by"] == "2027-02-15"
    assert rows["R9", "new_assessment"]["steps"]["final_plan_by"] == "2027-01-25"
    assert calendar["rules"]["annual_review.decision_by"] == "SEND Regulations 2014 reg 20(10)"
    ps1 = next(c for c in plan["cases"] if c["learner_id"] == "PS1")
    assert ps1["statutory_calendar"][0]["process"] == "phase_transfer"
