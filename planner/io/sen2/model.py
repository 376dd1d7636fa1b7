"""What the SEN2 reader returns (`Sen2Import`, `PlacementRef`) and the records the writer takes (`Sen2Person`).

`PlacementRef` is the return's own description of a child's main placement (SEN2 module 5b placement detail:
URN, UKPRN, SENsetting, the SEN unit and resourced provision indicators, EntryDate, PlacementRank); resolving it
against the council's settings is the caller's job (`planner.io.placement_refs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from planner.domain.models import Learner
from planner.io.report import ImportReport


@dataclass(frozen=True)
class PlacementRef:
    """A child's main (rank 1) placement as the return names it: a URN or UKPRN, or a SENsetting code.

    `sen_setting` is the SENsetting code (OLA, OPA, EHE, EYP, OTH, NEET, NIEC, NIEO: SEN2 2025 guide items 4.7c
    and 5.7c) when the return gives one, which it does for placements with no URN/UKPRN.
    """

    urn: int | None
    ukprn: int | None
    sen_setting: str | None
    sen_unit: bool
    resourced_provision: bool
    entry_date: date | None
    placement_rank: int = 1


class Sen2Import(NamedTuple):
    """Learners with an EHC plan active on the census date, their main placements (by learner id), the report."""

    census_date: date
    la_code: str | None
    learners: tuple[Learner, ...]
    placements: dict[str, PlacementRef]
    report: ImportReport


@dataclass(frozen=True)
class Sen2Placement:
    """The placement written for a person (PlacementDetail, rank 1, of the active plan)."""

    urn: int | None = None
    ukprn: int | None = None
    sen_setting: str | None = None
    sen_unit: bool = False
    resourced_provision: bool = False
    entry_date: date | None = None


@dataclass(frozen=True)
class Sen2Person:
    """One child or young person as the writer puts them in a return (test data: fictional people only).

    `needs` are (SENtype code, rank) pairs; `sex` is the return's code (M, F, U or blank); the writer writes an
    ActivePlans record (placement, needs, last review) only while the plan is not ceased on the reference date.
    """

    person_table_id: str
    upn: str
    forename: str
    surname: str
    birth_date: date | None
    sex: str
    postcode: str
    needs: tuple[tuple[str, int], ...] = ()
    plan_start: date | None = None
    cease_date: date | None = None
    last_review: date | None = None
    placement: Sen2Placement | None = None
    request_received: date | None = None
    uln: str = ""
