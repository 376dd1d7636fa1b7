"""The school year as weeks: which weeks are term time, which are holidays, and which term each belongs to.

Outreach teams work to the school calendar, so the transition schedule runs week by week over one academic year.
English term dates are set locally (each council or academy trust publishes its own), so the calendar is a
configurable pattern of blocks, not a fact. The default is a simple English pattern of 52 weeks with 39 school
weeks (190 teaching days plus INSET):

| block | weeks | school? |
|---|---|---|
| autumn 1 | 7 | yes (first Monday of September to late October) |
| autumn half-term | 1 | no |
| autumn 2 | 7 | yes (to mid December) |
| Christmas | 2 | no |
| spring 1 | 6 | yes (January to mid February) |
| spring half-term | 1 | no |
| spring 2 | 6 | yes (to late March / early April) |
| Easter | 2 | no |
| summer 1 | 6 | yes (to late May) |
| summer half-term | 1 | no |
| summer 2 | 7 | yes (to late July) |
| summer holiday | 6 | no |

Week 0 starts on the first Monday on or after 1 September (a council can set `first_monday` explicitly).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Term(StrEnum):
    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"


class CalendarBlock(BaseModel):
    """A run of consecutive weeks that are either all school weeks or all holiday, within one term."""

    model_config = ConfigDict(frozen=True)

    name: str
    weeks: int = Field(ge=1, le=52)
    school: bool = Field(description="True for term-time (school) weeks, False for holidays")
    term: Term = Field(description="The term the block belongs to (holidays belong to the term they follow)")


DEFAULT_BLOCKS: tuple[CalendarBlock, ...] = (
    CalendarBlock(name="autumn 1", weeks=7, school=True, term=Term.AUTUMN),
    CalendarBlock(name="autumn half-term", weeks=1, school=False, term=Term.AUTUMN),
    CalendarBlock(name="autumn 2", weeks=7, school=True, term=Term.AUTUMN),
    CalendarBlock(name="Christmas holiday", weeks=2, school=False, term=Term.AUTUMN),
    CalendarBlock(name="spring 1", weeks=6, school=True, term=Term.SPRING),
    CalendarBlock(name="spring half-term", weeks=1, school=False, term=Term.SPRING),
    CalendarBlock(name="spring 2", weeks=6, school=True, term=Term.SPRING),
    CalendarBlock(name="Easter holiday", weeks=2, school=False, term=Term.SPRING),
    CalendarBlock(name="summer 1", weeks=6, school=True, term=Term.SUMMER),
    CalendarBlock(name="summer half-term", weeks=1, school=False, term=Term.SUMMER),
    CalendarBlock(name="summer 2", weeks=7, school=True, term=Term.SUMMER),
    CalendarBlock(name="summer holiday", weeks=6, school=False, term=Term.SUMMER),
)


class SchoolCalendar(BaseModel):
    """An academic year as a sequence of Monday-to-Friday weeks marked school or holiday."""

    model_config = ConfigDict(frozen=True)

    academic_year: int = Field(description="Academic year named by its first calendar year (2026 = 2026/27)")
    blocks: tuple[CalendarBlock, ...] = Field(default=DEFAULT_BLOCKS, description="Term and holiday blocks in order")
    first_monday: date | None = Field(
        default=None, description="Monday of week 0; default: the first Monday on or after 1 September"
    )

    @model_validator(mode="after")
    def _monday(self) -> SchoolCalendar:
        if self.first_monday is not None and self.first_monday.weekday() != 0:
            raise ValueError(f"first_monday {self.first_monday.isoformat()} is not a Monday")
        return self

    @property
    def start(self) -> date:
        """Monday of week 0."""
        if self.first_monday is not None:
            return self.first_monday
        first = date(self.academic_year, 9, 1)
        return first + timedelta(days=(7 - first.weekday()) % 7)

    @property
    def weeks(self) -> int:
        return sum(block.weeks for block in self.blocks)

    def week_blocks(self) -> list[CalendarBlock]:
        """The block each week belongs to, by week index."""
        return [block for block in self.blocks for _ in range(block.weeks)]

    def is_school_week(self, week: int) -> bool:
        return self.week_blocks()[week].school

    def school_weeks(self) -> list[int]:
        return [w for w, block in enumerate(self.week_blocks()) if block.school]

    def term_of_week(self, week: int) -> Term:
        return self.week_blocks()[week].term

    def monday(self, week: int) -> date:
        return self.start + timedelta(weeks=week)

    def friday(self, week: int) -> date:
        return self.monday(week) + timedelta(days=4)

    def week_of(self, day: date) -> int:
        """Index of the week containing a day (negative before week 0, >= weeks after the year)."""
        return (day - self.start).days // 7

    def last_week_ending_by(self, day: date) -> int:
        """The last week whose Friday is on or before `day`: work in that week is finished by the day."""
        week = self.week_of(day)
        return week if self.friday(week) <= day else week - 1

    def first_week_of_term(self, term: Term, school_only: bool = True) -> int:
        for week, block in enumerate(self.week_blocks()):
            if block.term is term and (block.school or not school_only):
                return week
        raise ValueError(f"the calendar has no {term.value} term weeks")

    def last_school_week(self) -> int:
        """The last term-time week of the year (the end of the summer term)."""
        return max(self.school_weeks())

    def periods(self) -> list[CalendarBlock]:
        """The term-time blocks in order (half-terms in the default calendar): the allocator's periods."""
        return [block for block in self.blocks if block.school]

    def period_by_week(self) -> list[int]:
        """For each week, the index of its term-time block (a holiday week: the block before it; 0 if none)."""
        result, index = [], -1
        for block in self.blocks:
            if block.school:
                index += 1
            result.extend([max(0, index)] * block.weeks)
        return result

    def period_of_week(self, week: int) -> int:
        return self.period_by_week()[week]

    def nth_school_week_after(self, week: int, n: int) -> int:
        """The n-th term-time week after `week` (n >= 1), or the last week of the year when the year runs out."""
        later = [w for w in self.school_weeks() if w > week]
        return later[n - 1] if 1 <= n <= len(later) else self.weeks - 1

    def label(self, week: int) -> str:
        block = self.week_blocks()[week]
        return f"week {week} (w/c {self.monday(week).isoformat()}, {block.name})"
