"""Statutory dates, the weekend rule, leap years, the school calendar, and each transition type's timeline."""

from __future__ import annotations

from datetime import date

import pytest

from planner.domain.models import Instance
from planner.transitions.deadlines import (
    ReviewTimings,
    latest_review_date,
    months_before,
    post16_move_deadline,
    post16_transfer_deadline,
    school_transfer_deadline,
    weeks_left,
    working_day_on_or_before,
)
from planner.transitions.planning import TransitionParameters, TransitionType, find_transitions
from planner.transitions.school_calendar import SchoolCalendar, Term


def test_weekend_rule_moves_a_sunday_15_february_back_to_friday() -> None:
    assert date(2026, 2, 15).weekday() == 6
    assert working_day_on_or_before(school_transfer_deadline(2026)) == date(2026, 2, 13)


def test_weekend_rule_moves_a_saturday_back_to_friday_and_keeps_a_weekday() -> None:
    assert working_day_on_or_before(date(2025, 2, 15)) == date(2025, 2, 14)
    assert working_day_on_or_before(date(2027, 2, 15)) == date(2027, 2, 15)  # a Monday


def test_bank_holidays_are_skipped_too() -> None:
    assert working_day_on_or_before(date(2027, 2, 15), [date(2027, 2, 15), date(2027, 2, 12)]) == date(2027, 2, 11)


def test_latest_review_leaves_twelve_weeks_and_counts_29_february() -> None:
    # 31 March 2028 (leap year) - 84 days = 7 January 2028; 31 March 2027 - 84 days = 6 January 2027
    assert latest_review_date(post16_transfer_deadline(2028)) == date(2028, 1, 7)
    assert latest_review_date(post16_transfer_deadline(2027)) == date(2027, 1, 6)
    # 15 February 2027 (Monday) - 84 days = Monday 23 November 2026
    assert latest_review_date(date(2027, 2, 15)) == date(2026, 11, 23)


def test_latest_review_lands_on_a_working_day() -> None:
    # 13 February 2026 (Friday) - 84 days = Friday 21 November 2025; with a 5-week LA decision: Friday 14 Nov
    assert latest_review_date(date(2026, 2, 13)) == date(2025, 11, 21)
    custom = ReviewTimings(decision_weeks=4, final_weeks=8)
    assert latest_review_date(date(2026, 2, 13), custom).weekday() < 5


def test_family_days_must_fit_in_the_final_weeks() -> None:
    with pytest.raises(ValueError, match="family_days"):
        ReviewTimings(family_days=60, final_weeks=8)


def test_post16_move_needs_five_months_and_clamps_month_ends() -> None:
    assert post16_move_deadline(date(2027, 9, 1)) == date(2027, 4, 1)
    assert months_before(date(2028, 7, 31), 5) == date(2028, 2, 29)  # leap year
    assert months_before(date(2027, 7, 31), 5) == date(2027, 2, 28)
    assert months_before(date(2027, 3, 15), 5) == date(2026, 10, 15)


def test_weeks_left() -> None:
    assert weeks_left(date(2026, 9, 7), date(2027, 2, 15)) == 23
    assert weeks_left(date(2027, 3, 1), date(2027, 2, 15)) == -2


def test_default_calendar_has_39_school_weeks_in_52() -> None:
    calendar = SchoolCalendar(academic_year=2026)
    assert calendar.weeks == 52
    assert len(calendar.school_weeks()) == 39
    assert calendar.start == date(2026, 9, 7)
    assert calendar.term_of_week(0) is Term.AUTUMN
    assert not calendar.is_school_week(7)  # October half-term
    assert calendar.first_week_of_term(Term.SUMMER) == 32
    assert calendar.monday(calendar.last_school_week()) == date(2027, 7, 19)
    assert calendar.last_week_ending_by(date(2027, 2, 15)) == 22  # the week ending Friday 12 February
    with pytest.raises(ValueError, match="not a Monday"):
        SchoolCalendar(academic_year=2026, first_monday=date(2026, 9, 8))


EXPECTED = {
    "EY1": (TransitionType.EARLY_YEARS_TO_RECEPTION, date(2027, 2, 15), True),
    "IJ1": (TransitionType.INFANT_TO_JUNIOR, date(2027, 2, 15), True),
    "PS1": (TransitionType.PRIMARY_TO_SECONDARY, date(2027, 2, 15), True),
    "SP1": (TransitionType.SECONDARY_TO_POST16, date(2027, 3, 31), True),
    "P19": (TransitionType.POST16_TO_POST19, date(2027, 4, 1), True),
    "END": (TransitionType.END_OF_PLAN, date(2027, 3, 31), False),
    "PRU1": (TransitionType.PRU_REINTEGRATION, date(2026, 10, 19), False),  # due now: as of + 6 weeks
    "RISK": (TransitionType.AT_RISK, date(2026, 10, 19), False),
}


def test_each_transition_type_gets_its_deadline(small_instance: Instance) -> None:
    cases = {c.learner_id: c for c in find_transitions(small_instance, TransitionParameters(year=2027))}
    assert set(cases) == set(EXPECTED)  # STAY and Y9 face no transition
    for learner_id, (kind, deadline, statutory) in EXPECTED.items():
        case = cases[learner_id]
        assert case.transition is kind, learner_id
        assert case.deadline == deadline, learner_id
        assert case.statutory is statutory, learner_id
    assert cases["PS1"].latest_review == date(2026, 11, 23)
    assert cases["SP1"].latest_review == date(2027, 1, 6)
    assert cases["PS1"].weeks_left == 23
    assert cases["SP1"].preparing_for_adulthood and not cases["PS1"].preparing_for_adulthood


def test_a_weekend_15_february_is_planned_to_the_friday_before(small_instance: Instance) -> None:
    # Transfers in September 2026: 15 February 2026 is a Sunday
    base_2025 = small_instance.replace(base_year=2025)
    cases = {c.learner_id: c for c in find_transitions(base_2025, TransitionParameters(year=2026))}
    ps1 = cases["PS1"]
    assert ps1.deadline == date(2026, 2, 15)
    assert ps1.planning_deadline == date(2026, 2, 13)
    assert ps1.latest_review == date(2025, 11, 21)
    review = ps1.activities[0]
    assert review.due_date <= ps1.latest_review


def test_leap_year_transfer_dates(small_instance: Instance) -> None:
    base_2027 = small_instance.replace(base_year=2027)
    cases = {c.learner_id: c for c in find_transitions(base_2027, TransitionParameters(year=2028))}
    assert cases["SP1"].deadline == date(2028, 3, 31)
    assert cases["SP1"].latest_review == date(2028, 1, 7)
    assert cases["PS1"].deadline == date(2028, 2, 15)  # a Tuesday: kept


def test_pru_reintegration_after_the_configured_stay(small_instance: Instance) -> None:
    cases = {c.learner_id: c for c in find_transitions(
        small_instance, TransitionParameters(year=2027, pru_stay_weeks=52))}
    assert cases["PRU1"].deadline == date(2027, 3, 1)  # 2 March 2026 + 52 weeks


def test_infant_to_junior_needs_the_setting_to_tell(small_instance: Instance) -> None:
    learners = tuple(lr.model_copy(update={"current_setting_id": None}) if lr.id == "IJ1" else lr
                     for lr in small_instance.learners)
    cases = {c.learner_id for c in find_transitions(small_instance.replace(learners=learners),
                                                    TransitionParameters(year=2027))}
    assert "IJ1" not in cases
