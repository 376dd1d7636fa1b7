"""From linked records to the plan each child has on the census date: fields parsed, rules applied, plans picked.

Every row of every module the reader uses is checked (dates, codes, ranks, indicators), whether or not its person
ends up a learner. A person is a learner when one of their named plans is active on the census date: StartDate on
or before it and no CeaseDate before it ([plans-placements] `named-plan-on-census-dates`: start <= census <=
cease, open ends allowed). The plan's request links it to its ActivePlans record (module 5a), which holds the
placements (5b: the current rank 1 one is the main placement, [plans-placements]
`placement-detail-on-census-dates`) and the needs (5c: rank 1 primary, rank 2 secondary, [plans-placements]
`sen-need-primary`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from planner.domain.codes import Sex
from planner.io.sen2 import rules
from planner.io.sen2 import schema as s
from planner.io.sen2.model import PlacementRef
from planner.io.sen2.records import RawReturn, Record

NeedRow = tuple[Record, str | None, int | None]  # the record, its SENtype code, its rank


@dataclass(slots=True)
class Placement:
    """A placement detail row (5b), parsed."""

    rec: Record
    rank: int | None
    ref: PlacementRef
    leaving: date | None

    def current_on(self, census: date) -> bool:
        entry = self.ref.entry_date
        return (entry is None or entry <= census) and (self.leaving is None or self.leaving >= census)


@dataclass(slots=True)
class ActivePlan:
    """An ActivePlans row (5a) with its placements and needs."""

    rec: Record
    last_review: date | None
    placements: list[Placement] = field(default_factory=list)
    needs: list[NeedRow] = field(default_factory=list)


@dataclass(slots=True)
class NamedPlan:
    """A named plan row (4a), parsed, with the key of the request it answers."""

    rec: Record
    request: str
    start: date | None
    cease: date | None

    def active_on(self, census: date) -> bool:
        return self.start is not None and self.start <= census and (self.cease is None or self.cease >= census)


@dataclass(slots=True)
class Person:
    """A person row (1), parsed, with their named plans."""

    rec: Record
    birth: date | None
    sex: Sex | None
    plans: list[NamedPlan] = field(default_factory=list)


@dataclass(slots=True)
class Case:
    """A person with a plan active on the census date: what their learner is built from."""

    person: Person
    plan: NamedPlan
    active: ActivePlan | None
    main: Placement | None
    primary: str | None
    secondary: str | None


@dataclass
class Parsed:
    """The return parsed: persons (in file order) and the indexes that link plans to their ActivePlans."""

    persons: list[Person]
    requests: dict[str, Record]
    active_by_request: dict[str, list[ActivePlan]]


def parse(out: rules.Findings, raw: RawReturn) -> Parsed:
    """Check every row the reader uses and index what the learners are built from."""
    persons = [Person(rec, rules.date_field(out, s.PERSON, rec, s.BIRTH_DATE), rules.sex(out, rec))
               for rec in raw.records(s.PERSON)]
    rules.duplicate_persons(out, raw.records(s.PERSON))
    requests: dict[str, Record] = {}
    for rec in raw.records(s.REQUESTS):
        rules.date_field(out, s.REQUESTS, rec, s.RECEIVED_DATE)
        if rec.person >= 0:
            requests.setdefault(rec.key, rec)
    request_of = {rec.key: rec.parent for rec in raw.records(s.ASSESSMENT) if rec.person >= 0}
    for rec in raw.records(s.NAMED_PLAN):
        plan = _named_plan(out, rec, request_of)
        if rec.person >= 0 and plan.request:
            persons[rec.person].plans.append(plan)
    active_by_request: dict[str, list[ActivePlan]] = {}
    active_by_key: dict[str, ActivePlan] = {}
    for rec in raw.records(s.ACTIVE_PLANS):
        active = ActivePlan(rec, rules.date_field(out, s.ACTIVE_PLANS, rec, s.LAST_REVIEW))
        if rec.person >= 0:
            active_by_request.setdefault(rec.parent, []).append(active)
            active_by_key.setdefault(rec.key, active)
    for rec in raw.records(s.PLACEMENT_DETAIL):
        placement = _placement(out, rec)
        if rec.person >= 0 and rec.parent in active_by_key:
            active_by_key[rec.parent].placements.append(placement)
    for rec in raw.records(s.SEN_NEED):
        need = (rec, rules.sen_type(out, rec), rules.rank(out, "SEN2-009", s.SEN_NEED, rec, s.SEN_TYPE_RANK))
        if rec.person >= 0 and rec.parent in active_by_key:
            active_by_key[rec.parent].needs.append(need)
    return Parsed(persons, requests, active_by_request)


def _named_plan(out: rules.Findings, rec: Record, request_of: dict[str, str]) -> NamedPlan:
    start = rules.date_field(out, s.NAMED_PLAN, rec, s.START_DATE, required=True)
    cease = rules.date_field(out, s.NAMED_PLAN, rec, s.CEASE_DATE)
    rules.cease_after_start(out, rec, start, cease)
    return NamedPlan(rec, request_of.get(rec.parent, ""), start, cease)


def _placement(out: rules.Findings, rec: Record) -> Placement:
    rank = rules.rank(out, "SEN2-010", s.PLACEMENT_DETAIL, rec, s.PLACEMENT_RANK)
    rules.placement_named(out, rec)
    setting = rules.sen_setting(out, rec)
    urn = rules.reference_number(out, rec, s.URN, s.URN_DIGITS)
    ukprn = rules.reference_number(out, rec, s.UKPRN, s.UKPRN_DIGITS)
    sen_unit = rules.indicator(out, rec, s.SEN_UNIT)
    resourced = rules.indicator(out, rec, s.RESOURCED_PROVISION)
    rules.indicator_pair(out, rec, sen_unit, resourced)
    entry = rules.date_field(out, s.PLACEMENT_DETAIL, rec, s.ENTRY_DATE)
    leaving = rules.date_field(out, s.PLACEMENT_DETAIL, rec, s.LEAVING_DATE)
    ref = PlacementRef(urn=urn, ukprn=ukprn, sen_setting=setting, sen_unit=sen_unit, resourced_provision=resourced,
                       entry_date=entry, placement_rank=rank or 1)
    return Placement(rec, rank, ref, leaving)


def cases(out: rules.Findings, parsed: Parsed, census: date) -> list[Case]:
    """The persons with a plan active on the census date, with the active-only rules applied."""
    found: list[Case] = []
    for person in parsed.persons:
        plans = [plan for plan in person.plans if plan.active_on(census)]
        if not plans:
            continue
        rules.one_active_plan(out, [plan.rec for plan in plans])
        rules.birth_date_age(out, person.rec, person.birth, census)
        found.append(_case(out, parsed, person, plans[0], census))
    return found


def _case(out: rules.Findings, parsed: Parsed, person: Person, plan: NamedPlan, census: date) -> Case:
    records = parsed.active_by_request.get(plan.request, [])
    if not records:
        rules.no_active_plans_record(out, parsed.requests[plan.request])
        return Case(person, plan, None, None, None, None)
    rules.one_active_plans_record(out, [active.rec for active in records])
    active = records[0]
    current = [p for p in active.placements if p.current_on(census)]
    main_rec = rules.main_placement(out, active.rec, [(p.rec, p.rank) for p in current])
    main = next((p for p in current if p.rec is main_rec), None)
    primary, secondary = rules.need_ranks(out, active.needs)
    rank_1 = next((rec for rec, _, rank in active.needs if rank == 1), None)
    rules.need_recorded(out, active.rec, rank_1)
    return Case(person, plan, active, main, primary, secondary)
