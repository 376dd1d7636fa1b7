"""Academic years and national curriculum years.

An academic year is named by the calendar year it starts in: 2026 means 1 September 2026 to 31 August 2027.
A child's NCY is fixed by their age on 31 August before the year starts: aged 4 then, they are in Reception.
"""

from __future__ import annotations

from datetime import date

from planner.domain.codes import NCY_MAX, NCY_MIN

RECEPTION_AGE_ON_31_AUGUST = 4


def academic_year_of(day: date) -> int:
    """The academic year containing a date (1 September to 31 August), named by its starting calendar year."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(year: int) -> str:
    """"2026/27" for 2026."""
    return f"{year}/{(year + 1) % 100:02d}"


def age_on(day: date, birth_date: date) -> int:
    """Whole years of age on a given day."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def age_on_31_august_before(academic_year: int, birth_date: date) -> int:
    """Age on the 31 August that precedes the academic year (the date that fixes the NCY)."""
    return age_on(date(academic_year, 8, 31), birth_date)


def ncy_for(birth_date: date, academic_year: int) -> int:
    """National curriculum year in an academic year: Reception (0) for children aged 4 on the previous 31 August.

    A child born on 31 August is the youngest of their year group; one born on 1 September is the oldest of the next.
    """
    return age_on_31_august_before(academic_year, birth_date) - RECEPTION_AGE_ON_31_AUGUST


def ncy_in_range(ncy: int) -> bool:
    """Whether an NCY is one the planner models (nursery N2 to the year a young person turns 25)."""
    return NCY_MIN <= ncy <= NCY_MAX


def ncy_after(ncy: int, years: int) -> int:
    """NCY after a number of academic years, assuming the learner stays with their cohort."""
    return ncy + years
