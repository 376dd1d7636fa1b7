"""NCY and academic-year arithmetic: the 31 August cut-off, leap days, year boundaries."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.domain.calendar import (
    academic_year_label,
    academic_year_of,
    age_on,
    age_on_31_august_before,
    ncy_after,
    ncy_for,
    ncy_in_range,
)
from planner.domain.codes import Need
from planner.domain.models import Learner, Point


def test_born_31_august_is_youngest_in_reception() -> None:
    # Aged 4 on 31 August 2026 (birthday that very day): Reception in 2026/27.
    assert ncy_for(date(2022, 8, 31), 2026) == 0


def test_born_1_september_waits_a_year() -> None:
    # Still 3 on 31 August 2026: nursery (N1) in 2026/27, Reception in 2027/28, the oldest of that year.
    assert ncy_for(date(2022, 9, 1), 2026) == -1
    assert ncy_for(date(2022, 9, 1), 2027) == 0


def test_31_august_and_1_september_of_same_year_are_a_year_group_apart() -> None:
    assert ncy_for(date(2015, 8, 31), 2026) == 7
    assert ncy_for(date(2015, 9, 1), 2026) == 6


def test_leap_day_birthday_counts_from_1_march_in_other_years() -> None:
    leap = date(2020, 2, 29)
    assert age_on(date(2021, 2, 28), leap) == 0
    assert age_on(date(2021, 3, 1), leap) == 1
    assert age_on(date(2024, 2, 29), leap) == 4
    # Same year group as every other child born between 1 Sep 2019 and 31 Aug 2020.
    assert ncy_for(leap, 2026) == ncy_for(date(2019, 9, 1), 2026) == ncy_for(date(2020, 8, 31), 2026) == 2


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 8, 31), 2025),
        (date(2026, 9, 1), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 7, 31), 2026),
        (date(2026, 12, 31), 2026),
        (date(2000, 2, 29), 1999),
    ],
)
def test_academic_year_of_edges(day: date, year: int) -> None:
    assert academic_year_of(day) == year


def test_academic_year_label() -> None:
    assert academic_year_label(2026) == "2026/27"
    assert academic_year_label(1999) == "1999/00"


def test_age_on_31_august_before() -> None:
    assert age_on_31_august_before(2026, date(2015, 8, 31)) == 11
    assert age_on_31_august_before(2026, date(2015, 9, 1)) == 10


def test_ncy_range_and_after() -> None:
    assert ncy_in_range(-2) and ncy_in_range(20)
    assert not ncy_in_range(-3) and not ncy_in_range(21)
    assert ncy_after(6, 1) == 7


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)))
def test_reception_is_five_academic_years_after_birth_year(birth: date) -> None:
    # Independent oracle: a child born in academic year Y (Sep Y .. Aug Y+1) turns 4 by 31 Aug Y+5.
    assert ncy_for(birth, academic_year_of(birth) + 5) == 0


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)), st.integers(2000, 2060))
def test_ncy_moves_up_one_each_year(birth: date, year: int) -> None:
    assert ncy_for(birth, year + 1) == ncy_for(birth, year) + 1


def test_learner_ncy_from_birth_date_or_cohort() -> None:
    home = Point(easting=430_000, northing=500_000)
    with_birth = Learner(id="A", birth_date=date(2015, 8, 31), primary_need=Need.ASD, home=home)
    with_ncy = Learner(id="B", ncy=7, primary_need=Need.ASD, home=home)
    assert with_birth.ncy_in(2026, 2026) == 7 and with_birth.ncy_in(2027, 2026) == 8
    assert with_ncy.ncy_in(2026, 2026) == 7 and with_ncy.ncy_in(2029, 2026) == 10
