"""Statutory dates for transitions (SEND Regulations 2014 reg 18 and 22, Code of Practice 2015).

Statute:
- A school phase transfer (early years -> school, infant -> junior, primary -> middle/secondary, middle ->
  secondary): the EHC plan must be reviewed and amended, naming the new school, by **15 February** of the calendar
  year of the transfer.
- Secondary school -> post-16 institution: by **31 March** of the calendar year of the transfer.
- A move from one post-16 institution to another: at least **5 months** before the move.
- After an annual review meeting the LA has **4 weeks** to send proposed amendments; the family then has **15 days**
  to comment and ask for a setting; the final amended plan follows within **8 weeks** of the proposals (12 in all).

Working rules (ours, stated so that a council can change them):
- **Weekend rule**: statute gives the date itself. When it falls on a Saturday or Sunday (or a bank holiday the
  council lists) we plan to the **last working day on or before it**, so the plan is never issued late.
  Example: 15 February 2026 is a Sunday, so we plan to Friday 13 February 2026.
- The latest annual review date works back from that planning deadline by the LA's 4 weeks plus the 8 weeks to a
  final plan, then again to a working day on or before.
- End of plan at 25: the plan can run to the end of the academic year in which the young person turns 25; we plan
  the exit review to the post-16 date (31 March), a local choice.
- PRU/AP reintegration and learners at risk have no statutory date: reintegration is reviewed after a configurable
  stay (default 26 weeks, about two terms) and learners at risk within a configurable response time (6 weeks).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

SATURDAY = 5


class ReviewTimings(BaseModel):
    """How long the steps after an annual review meeting take (statutory maxima, SEND Regulations 2014 reg 22)."""

    model_config = ConfigDict(frozen=True)

    decision_weeks: int = Field(default=4, ge=0, description="Weeks for the LA to send proposed amendments")
    family_days: int = Field(default=15, ge=0, description="Days for the family to comment and request a setting")
    final_weeks: int = Field(default=8, ge=0, description="Weeks from proposed amendments to the final plan")

    @model_validator(mode="after")
    def _family_within_final(self) -> ReviewTimings:
        if self.family_days > self.final_weeks * 7:
            raise ValueError(
                f"family_days ({self.family_days}) must fit within final_weeks ({self.final_weeks} weeks)"
            )
        return self

    @property
    def meeting_to_final(self) -> timedelta:
        """From the review meeting to the final amended plan (the family's 15 days run inside the 8 weeks)."""
        return timedelta(weeks=self.decision_weeks + self.final_weeks)

    @property
    def weeks_to_final(self) -> int:
        return self.decision_weeks + self.final_weeks


def is_working_day(day: date, bank_holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < SATURDAY and day not in set(bank_holidays)


def working_day_on_or_before(day: date, bank_holidays: Iterable[date] = ()) -> date:
    """The weekend rule: the last working day on or before a date (the date itself when it is a working day)."""
    holidays = set(bank_holidays)
    while day.weekday() >= SATURDAY or day in holidays:
        day -= timedelta(days=1)
    return day


def school_transfer_deadline(transfer_calendar_year: int) -> date:
    """Statutory date for a school phase transfer: 15 February of the calendar year of the transfer (reg 18)."""
    return date(transfer_calendar_year, 2, 15)


def post16_transfer_deadline(transfer_calendar_year: int) -> date:
    """Statutory date for secondary school -> post-16 institution: 31 March of the year of the transfer (reg 18)."""
    return date(transfer_calendar_year, 3, 31)


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (clamped to the month's last day, e.g. 31 -> 30 or 28/29)."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + (month // 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def post16_move_deadline(transfer_day: date, notice_months: int = 5) -> date:
    """A move between post-16 institutions: at least 5 months before the move (reg 18)."""
    return months_before(transfer_day, notice_months)


def latest_review_date(deadline: date, timings: ReviewTimings | None = None,
                       bank_holidays: Iterable[date] = ()) -> date:
    """The last day an annual review meeting can be held and still give a final plan by the deadline.

    Works back from the deadline (already moved to a working day) by the LA's weeks plus the weeks to a final plan,
    then to a working day on or before.
    """
    timings = timings or ReviewTimings()
    holidays = list(bank_holidays)
    return working_day_on_or_before(deadline - timings.meeting_to_final, holidays)


def weeks_left(as_of: date, deadline: date) -> int:
    """Whole weeks from an "as of" date to a deadline (negative once it has passed)."""
    return (deadline - as_of).days // 7
