"""Data minimisation for what leaves the service: learner records without the birth date (NCY and an age band
instead) and home locations rounded to 100 m. The solver works on the exact values inside the service; only what
is sent out is minimised.

Why: UK GDPR Art. 5(1)(c) (data minimisation) and Art. 25(2) (by default only the personal data necessary for each
purpose). A birth date is not needed to plan a place (the NCY is); an officer who needs it for one learner states
why (``?purpose=``), and the audit keeps the reason. A 100 m grid square is what a 1 km-scale travel model uses and
still spans several homes, where 1 m identifies the house.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from planner.domain.models import Learner, Point

HOME_PRECISION_METRES = 100

# Age groups of the DfE statistics release "Education, health and care plans" (England, SEN2 return; e.g. the 2025
# release): under 5, 5 to 10, 11 to 15, 16 to 19, 20 to 25. (lowest age, label), from the top.
AGE_BANDS: tuple[tuple[int, str], ...] = ((20, "20-25"), (16, "16-19"), (11, "11-15"), (5, "5-10"), (0, "under 5"))
# NCY is set by age on 31 August (DOMAIN.md: Y1 = age 5), so age on 31 August = NCY + 4.
NCY_TO_AGE = 4


def rounded(value: float) -> int:
    """A grid coordinate rounded half-up to the nearest 100 m (half-up: the same on every platform)."""
    return int(math.floor(value / HOME_PRECISION_METRES + 0.5) * HOME_PRECISION_METRES)


def rounded_point(point: Point | dict[str, Any]) -> dict[str, int]:
    """A location as {"easting", "northing"} rounded to 100 m."""
    if isinstance(point, Point):
        return {"easting": rounded(point.easting), "northing": rounded(point.northing)}
    return {"easting": rounded(float(point["easting"])), "northing": rounded(float(point["northing"]))}


def age_on_31_august(learner: Learner, base_year: int) -> int | None:
    """Age on 31 August at the start of the base academic year: from the birth date, else from the NCY."""
    if learner.birth_date is not None:
        day = date(base_year, 8, 31)
        born = learner.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return learner.ncy + NCY_TO_AGE if learner.ncy is not None else None


def age_band(age: int | None) -> str | None:
    """The DfE EHC plan statistics age group of an age (None when unknown or outside 0-25)."""
    if age is None or age < 0 or age > 25:
        return None
    return next(label for lowest, label in AGE_BANDS if age >= lowest)


def learner_public(learner: Learner, base_year: int, with_birth_date: bool = False) -> dict[str, Any]:
    """A learner as it may leave the service: base-year NCY and age band, home rounded to 100 m, no birth date
    unless asked for with a purpose (`with_birth_date`), no LSOA (it is an area code of the home)."""
    data = learner.model_dump(mode="json", exclude={"lsoa"})
    data["ncy"] = learner.ncy_in(base_year, base_year)
    data["age_band"] = age_band(age_on_31_august(learner, base_year))
    data["home"] = rounded_point(learner.home)
    if not with_birth_date:
        data["birth_date"] = None
    return data


def minimise_result(kind: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored run result as it may leave the service: a transitions case's `location` (the home when the learner
    has no current setting) rounded to 100 m. Placement results hold no locations."""
    if kind != "transitions" or not isinstance(result, dict) or not isinstance(result.get("cases"), list):
        return result
    return {**result, "cases": [minimise_case(case) for case in result["cases"]]}


def minimise_case(case: Any) -> Any:
    """One transitions case with its location rounded to 100 m."""
    if isinstance(case, dict) and isinstance(case.get("location"), dict):
        return {**case, "location": rounded_point(case["location"])}
    return case
