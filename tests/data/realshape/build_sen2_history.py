"""The person-level process behind Vale of Zed's five yearly SEN2 returns, January 2021..2025 (`sen2_history/`).

Written for the cohort forecast's out-of-sample test, so it must NOT be that model (planner.forecast.cohort, a
Markov chain over NCY x need x type of provision with rates per cell): a model checked on data made by itself
proves nothing. Here every child is an individual with their own propensity to leave (a gamma frailty), leaving
depends on age in whole years and on need through multipliers, type-of-provision moves happen mostly at phase
transfers with need-specific destinations, a child's school changes when its age range ends, and the number of
new plans grows by a different factor every year (no trend, no damping). The 2021 caseload is the active caseload
of persons.csv with every date moved four years earlier (same ages and placements, same UPNs so a child keeps their
pseudonymous id from one return to the next). Seeded: the same files every run. Called by build_sen2.py.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from planner.domain.models import Setting
from planner.io.sen2.model import Sen2Person, Sen2Placement

CENSUS_DATES = (date(2021, 1, 21), date(2022, 1, 20), date(2023, 1, 19), date(2024, 1, 18), date(2025, 1, 16))
# Growth of new plans from each year to the next (2022..2025): the generator's own sequence, chosen to look like
# England's erratic calendar-year series (DfE newplans 2021-2024: +7%, +27%, +16%), not a smooth trend.
JOINER_GROWTH = (1.07, 1.22, 1.14, 1.05)
NEW_PLANS_2021 = 170  # about 12% of the 2021 caseload (England 2021: 62,180 new plans on 430,697; DfE SEN2)
# Yearly chance of a plan ceasing by age at 31 August (before multipliers): low through school, high after 16/19.
LEAVE_BY_AGE = {**{a: 0.03 for a in range(0, 11)}, **{a: 0.035 for a in range(11, 16)}, 16: 0.12, 17: 0.09,
                18: 0.16, 19: 0.2, **{a: 0.22 for a in range(20, 25)}}
LEAVE_BY_NEED = {"SPLD": 1.8, "SLCN": 1.5, "MLD": 1.1, "SEMH": 1.25, "ASD": 0.8, "SLD": 0.45, "PMLD": 0.45,
                 "PD": 0.8, "DS": 0.5}
# Where a move out of mainstream goes, by need (shares of: special, resourced_provision, sen_unit,
# independent_special, semh_special, pru_ap).
SPECIALIST_DESTINATIONS = {
    "ASD": (0.45, 0.2, 0.1, 0.2, 0.0, 0.05), "SEMH": (0.1, 0.05, 0.0, 0.3, 0.3, 0.25),
    "SLD": (0.85, 0.05, 0.05, 0.05, 0.0, 0.0), "PMLD": (0.9, 0.0, 0.0, 0.1, 0.0, 0.0),
}
DEFAULT_DESTINATIONS = (0.55, 0.25, 0.1, 0.08, 0.0, 0.02)
DESTINATION_KINDS = ("special", "resourced_provision", "sen_unit", "independent_special", "semh_special", "pru_ap")
OUT_OF_AREA_INDEPENDENT = (996101, 996102, 996103, 996104, 996105, 996106)  # not in the extract (README)
NEEDS_OF_JOINERS = (("ASD", 0.3), ("SLCN", 0.25), ("SEMH", 0.2), ("MLD", 0.07), ("SLD", 0.03), ("PD", 0.04),
                    ("SPLD", 0.03), ("HI", 0.015), ("PMLD", 0.015), ("OTH", 0.02), ("VI", 0.01), ("DS", 0.01))
# Age when the plan started (DfE SEN2 2025 "age when plan started" profile, rounded): age -> weight.
JOINER_AGES = {2: 4, 3: 10, 4: 12, 5: 10, 6: 8, 7: 8, 8: 7, 9: 6, 10: 6, 11: 6, 12: 5, 13: 4, 14: 4, 15: 3, 16: 3,
               17: 2, 18: 1, 19: 1, 20: 0.5}


@dataclass
class Child:
    person: Sen2Person
    frailty: float
    kind: str


def shift_back(day: date | None, years: int) -> date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on_31_august(birth: date, census: date) -> int:
    """Age on 31 August before the census (sets the NCY: age 4 -> Reception)."""
    august = date(census.year - 1 if census.month < 9 else census.year, 8, 31)
    return august.year - birth.year - ((august.month, august.day) < (birth.month, birth.day))


class Places:
    """The settings a child can be placed in, by kind and age (GIAS extract; far-away independents by URN)."""

    def __init__(self, settings: Sequence[Setting]) -> None:
        self.by_urn = {s.id: s for s in settings}
        self.settings = [s for s in settings if s.status.value != "closed"]

    def kind_of(self, placement: Sen2Placement | None) -> str:
        if placement is None or (placement.urn is None and placement.ukprn is None):
            return "none"
        if placement.urn is None:
            return next((s.kind.value for s in self.settings if s.ukprn == placement.ukprn), "post16_specialist")
        suffix = "-UNIT" if placement.sen_unit else "-RP" if placement.resourced_provision else ""
        found = self.by_urn.get(f"{placement.urn}{suffix}")
        return found.kind.value if found else "independent_special"

    def pick(self, rng: random.Random, kind: str, age: int, when: date) -> Sen2Placement:
        """A placement of `kind` taking a child of `age` (NCY = age - 4), else the nearest kind that does."""
        ncy = age - 4
        if kind == "none":
            code = "EYP" if ncy < 0 else "NEET" if ncy >= 12 else "EHE"
            return Sen2Placement(sen_setting=code, entry_date=when)
        options = [s for s in self.settings if s.kind.value == kind and s.ncy_min <= ncy <= s.ncy_max
                   and (s.urn is not None or s.ukprn is not None)]
        if kind == "independent_special" and rng.random() < 0.5:
            return Sen2Placement(urn=rng.choice(OUT_OF_AREA_INDEPENDENT), entry_date=when)
        if not options:
            fallback = "fe_college" if ncy >= 12 else "mainstream" if ncy >= 0 else "none"
            return self.pick(rng, fallback, age, when)
        chosen = rng.choice(options)
        if chosen.urn is None:
            return Sen2Placement(ukprn=chosen.ukprn, entry_date=when)
        if kind in ("fe_college", "post16_specialist") and chosen.ukprn is not None:
            return Sen2Placement(ukprn=chosen.ukprn, entry_date=when)
        return Sen2Placement(urn=chosen.urn, sen_unit=kind == "sen_unit",
                             resourced_provision=kind == "resourced_provision", entry_date=when)

    def fits(self, placement: Sen2Placement | None, age: int) -> bool:
        if placement is None or placement.urn is None:
            return True
        suffix = "-UNIT" if placement.sen_unit else "-RP" if placement.resourced_provision else ""
        found = self.by_urn.get(f"{placement.urn}{suffix}")
        return found is None or found.ncy_min <= age - 4 <= found.ncy_max


def next_kind(rng: random.Random, child: Child, age: int) -> str:
    """The type of provision next year: mostly unchanged; changes mostly at phase transfers (Reception, Y7, Y12)."""
    need = child.person.needs[0][0] if child.person.needs else "OTH"
    ncy = age - 4
    kind = child.kind
    transfer = ncy in (0, 7, 12)
    if ncy >= 12 and kind == "mainstream" and rng.random() < (0.5 if ncy == 12 else 0.08):
        return "fe_college"
    if ncy >= 15 and kind in ("special", "semh_special", "independent_special") and rng.random() < 0.45:
        return rng.choice(("fe_college", "post16_specialist"))
    if kind == "none" and ncy >= 0:
        return "mainstream" if rng.random() < 0.7 else "special"
    if kind == "mainstream":
        chance = (0.1 if transfer else 0.025) * (1.6 if need in ("ASD", "SEMH", "SLD", "PMLD") else 1.0)
        if rng.random() < chance:
            return rng.choices(DESTINATION_KINDS, SPECIALIST_DESTINATIONS.get(need, DEFAULT_DESTINATIONS))[0]
    elif kind in ("resourced_provision", "sen_unit", "pru_ap") and rng.random() < (0.2 if transfer else 0.06):
        return rng.choice(("mainstream", "special", "independent_special"))
    elif kind in ("special", "semh_special") and rng.random() < (0.05 if transfer else 0.015):
        return rng.choice(("independent_special", "mainstream"))
    return kind


def leaves(rng: random.Random, child: Child, age: int) -> bool:
    """Whether the plan ceases before this census: past 25 always (a plan ends by the year the person turns 25)."""
    if age - 4 > 20:
        return True
    need = child.person.needs[0][0] if child.person.needs else "OTH"
    return rng.random() < min(0.95, LEAVE_BY_AGE.get(age, 0.03) * LEAVE_BY_NEED.get(need, 1.0) * child.frailty)


def _upn(rng: random.Random, taken: set[str], birth: date) -> str:
    """A UPN-shaped fictional id (build_council._upn: DfE check letter, LA 990, school number, year, serial)."""
    from build_council import _upn as council_upn  # the council script's own generator (same folder)

    return council_upn(rng, taken, birth)


def _joiner(rng: random.Random, number: int, census: date, places: Places, taken: set[str],
            postcodes: Sequence[str]) -> Child:
    """A new plan started in the 12 months before `census`: age from the DfE profile, need from the national mix."""
    age = rng.choices(list(JOINER_AGES), list(JOINER_AGES.values()))[0]
    august = date(census.year - 1, 8, 31)
    birth = august - timedelta(days=365 * age + rng.randint(1, 364))
    need = rng.choices([n for n, _ in NEEDS_OF_JOINERS], [w for _, w in NEEDS_OF_JOINERS])[0]
    start = census - timedelta(days=rng.randint(1, 360))
    severe = need in ("SLD", "PMLD", "DS")
    kind = "none" if age < 4 else rng.choices(
        ("mainstream", "special", "resourced_provision", "independent_special"),
        (0.35, 0.55, 0.05, 0.05) if severe else (0.8, 0.1, 0.06, 0.04))[0]
    if age >= 16 and kind == "mainstream":
        kind = "fe_college"
    person = Sen2Person(
        person_table_id=f"H{number:05d}", upn=_upn(rng, taken, birth), forename=f"Forename{number:04d}",
        surname=f"Surname{number:04d}", birth_date=birth, sex=rng.choice("MF"), postcode=rng.choice(postcodes),
        needs=((need, 1),), plan_start=start, placement=places.pick(rng, kind, age, start),
        request_received=start - timedelta(weeks=rng.randint(14, 34)))
    return Child(person, rng.gammavariate(2.0, 0.5), kind)


def _advance(rng: random.Random, children: list[Child], census: date, previous: date,
             places: Places) -> tuple[list[Child], list[Sen2Person]]:
    """One year: each child leaves (a cease date between the censuses) or stays, maybe changing type or school."""
    staying: list[Child] = []
    ceased: list[Sen2Person] = []
    for child in children:
        birth = child.person.birth_date
        assert birth is not None
        age = age_on_31_august(birth, census)
        if leaves(rng, child, age):
            cease = previous + timedelta(days=rng.randint(1, (census - previous).days - 1))
            ceased.append(replace(child.person, cease_date=cease))
            continue
        kind = next_kind(rng, child, age)
        placement = child.person.placement
        if kind != child.kind or not places.fits(placement, age):
            placement = places.pick(rng, kind, age, date(census.year - 1, 9, 4))
            kind = places.kind_of(placement)
        review = census - timedelta(days=rng.randint(20, 200))
        staying.append(Child(replace(child.person, placement=placement, last_review=review), child.frailty, kind))
    return staying, ceased


def build_history(persons: Sequence[Sen2Person], settings: Sequence[Setting],
                  seed: int = 2021) -> list[tuple[date, list[Sen2Person]]]:
    """Each census date with the persons its return holds: active plans, and plans ceased since the last census."""
    rng = random.Random(seed)
    places = Places(settings)
    first = CENSUS_DATES[0]
    children = []
    for person in persons:
        if person.cease_date is not None or person.plan_start is None:
            continue
        moved = replace(person, birth_date=shift_back(person.birth_date, 4),
                        plan_start=shift_back(person.plan_start, 4),
                        last_review=shift_back(person.last_review, 4),
                        request_received=shift_back(person.request_received, 4),
                        placement=None if person.placement is None else replace(
                            person.placement, entry_date=shift_back(person.placement.entry_date, 4)))
        if moved.plan_start is not None and moved.plan_start <= first:
            children.append(Child(moved, rng.gammavariate(2.0, 0.5), places.kind_of(moved.placement)))
    taken = {p.upn for p in persons}
    postcodes = sorted({p.postcode for p in persons if p.postcode})
    out = [(first, [c.person for c in children])]
    number, joiners = 5000, float(NEW_PLANS_2021)
    for previous, census, growth in zip(CENSUS_DATES[:-1], CENSUS_DATES[1:], JOINER_GROWTH, strict=True):
        children, ceased = _advance(rng, children, census, previous, places)
        joiners *= growth
        for _ in range(round(joiners)):
            number += 1
            children.append(_joiner(rng, number, census, places, taken, postcodes))
        out.append((census, [c.person for c in children] + ceased))
    return out
