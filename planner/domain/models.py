"""The domain: frozen pydantic models of a local authority's SEND provision and caseload.

Every model is immutable (what-if scenarios are pure transforms that build new instances). Identifiers are
strings: URNs for real settings, pseudonymous ids for learners. Coordinates are British National Grid metres.
`Instance` ties the records together and checks its own integrity; each problem names the record and field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from planner.domain.calendar import academic_year_of, ncy_for
from planner.domain.codes import (
    FIRST_POST16_NCY,
    NCY_MAX,
    NCY_MIN,
    POST16_EQUIVALENTS,
    PROVISION_OF_KIND,
    Arrangement,
    Need,
    Phase,
    ProvisionType,
    SchoolGender,
    SettingKind,
    SettingStatus,
    Sex,
    phase_of_ncy,
)

Identifier = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"),
]
ALL_NEEDS: frozenset[Need] = frozenset(Need)

Ncy = Annotated[int, Field(ge=NCY_MIN, le=NCY_MAX, description="National curriculum year (Reception = 0)")]

# Upper bounds on numbers a council (or an API client) can send, so no value overflows a 64-bit column or a solver
# (issue 18: 10^18 places crashed a run). Each is far beyond any real figure: the largest schools in England have
# under 5,000 pupils (GIAS); even residential special placements cost well under GBP 10 million a year; URNs (GIAS)
# have 6 digits and UKPRNs (UKRLP) 8; England had 638,745 EHC plans in January 2025 (DfE, Education, health and
# care plans, 2025).
MAX_PLACES = 100_000
MAX_COST_PER_PLACE = 10_000_000
MAX_YEAR = 2100
MAX_REFERENCE = 99_999_999
MAX_LEARNERS = 10_000_000


class Frozen(BaseModel):
    """Base of all domain models: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _record_label(kind: str, info: ValidationInfo) -> str:
    """'setting S1' style prefix for field errors, using the id when it was already validated."""
    record_id = info.data.get("id")
    return f"{kind} {record_id}" if record_id else kind


class Point(Frozen):
    """A location in British National Grid metres (GIAS Easting/Northing, Code-Point Open)."""

    easting: float = Field(ge=0, le=800_000, description="Metres east of the grid origin")
    northing: float = Field(ge=0, le=1_400_000, description="Metres north of the grid origin")

    def distance_km(self, other: Point) -> float:
        """Straight-line distance in kilometres (the grid is flat, so Euclidean distance is correct)."""
        return float(((self.easting - other.easting) ** 2 + (self.northing - other.northing) ** 2) ** 0.5) / 1000


class Locality(Frozen):
    """An area of the council used for planning (a district, a locality team's patch)."""

    id: Identifier
    name: str = Field(min_length=1, max_length=120)
    centroid: Point
    in_area: bool = Field(default=True, description="False for neighbouring authorities' areas (out of area)")
    area_codes: frozenset[str] = Field(
        default=frozenset(),
        description="LSOA, ward or postcode district codes the locality covers (homes there belong to it)",
    )


class Setting(Frozen):
    """A place where learners with EHC plans are educated: a school, a base within one, a PRU, a college."""

    id: Identifier = Field(description="URN for GIAS settings; '<URN>-RP' / '<URN>-UNIT' for bases in a school")
    name: str = Field(min_length=1, max_length=200)
    kind: SettingKind
    designations: frozenset[Need] = Field(
        default=frozenset(),
        description="Needs the setting is designated for; empty for mainstream (meets needs by compatibility)",
    )
    ncy_min: Ncy
    ncy_max: Ncy
    capacity: int = Field(le=MAX_PLACES, description="Places in total (commissioned places)")
    capacity_by_phase: dict[Phase, Annotated[int, Field(le=MAX_PLACES)]] = Field(
        default_factory=dict, description="Optional cap on places per phase, within the total"
    )
    cost_per_place: int = Field(default=0, le=MAX_COST_PER_PLACE, description="Annual cost per place in GBP")
    location: Point
    locality_id: str | None = None
    in_area: bool = True
    status: SettingStatus = SettingStatus.OPEN
    opens_year: int | None = Field(default=None, le=MAX_YEAR,
                                   description="First academic year with places (proposed settings)")
    closes_year: int | None = Field(default=None, le=MAX_YEAR,
                                    description="First academic year without places (closing)")
    host_setting_id: str | None = Field(
        default=None, description="For resourced provision and SEN units: the mainstream school hosting it"
    )
    urn: int | None = Field(default=None, le=MAX_REFERENCE, description="GIAS unique reference number, when known")
    la_code: str | None = Field(default=None, max_length=16,
                                description="GIAS `LA (code)` of the authority the setting is in, when known")
    ukprn: int | None = Field(default=None, le=MAX_REFERENCE,
                              description="UK provider reference number (colleges, post-16 providers)")
    gender: SchoolGender = Field(default=SchoolGender.MIXED, description="GIAS Gender (name): who it admits")
    selective: bool = Field(default=False, description="GIAS AdmissionsPolicy (name) Selective: a grammar school")
    independent: bool = Field(default=False, description="An independent school (fee-paying), GIAS type")
    boarding: bool = Field(default=False, description="A boarding (residential) school, GIAS Boarders (name)")
    number_on_roll: int | None = Field(default=None, ge=0, le=MAX_PLACES,
                                       description="GIAS NumberOfPupils: pupils on roll (free places = capacity - it)")

    @field_validator("capacity", "cost_per_place")
    @classmethod
    def _not_negative(cls, value: int, info: ValidationInfo) -> int:
        if value < 0:
            raise ValueError(f"{_record_label('setting', info)}: {info.field_name} must be >= 0, got {value}")
        return value

    @field_validator("capacity_by_phase")
    @classmethod
    def _phase_caps_not_negative(cls, value: dict[Phase, int], info: ValidationInfo) -> dict[Phase, int]:
        for phase, places in value.items():
            if places < 0:
                raise ValueError(
                    f"{_record_label('setting', info)}: capacity_by_phase[{phase.value}] must be >= 0, got {places}"
                )
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.ncy_min > self.ncy_max:
            raise ValueError(
                f"setting {self.id}: ncy_min ({self.ncy_min}) is above ncy_max ({self.ncy_max}): impossible age range"
            )
        if self.opens_year is not None and self.closes_year is not None and self.closes_year <= self.opens_year:
            raise ValueError(
                f"setting {self.id}: closes_year ({self.closes_year}) must be after opens_year ({self.opens_year})"
            )
        return self

    def is_open_in(self, academic_year: int) -> bool:
        """Whether the setting has places in an academic year (proposed ones from opening, closing ones until)."""
        if self.opens_year is not None and academic_year < self.opens_year:
            return False
        if self.status is SettingStatus.PROPOSED and self.opens_year is None:
            return False
        return self.closes_year is None or academic_year < self.closes_year

    def takes_ncy(self, ncy: int) -> bool:
        return self.ncy_min <= ncy <= self.ncy_max

    @property
    def phases(self) -> frozenset[Phase]:
        return frozenset(phase_of_ncy(n) for n in range(self.ncy_min, self.ncy_max + 1))

    @property
    def designated_needs(self) -> frozenset[Need]:
        """The needs the setting is designated for, by one rule that every solver and summary uses.

        A specialist setting (every kind but mainstream and FE, see `SettingKind.is_specialist`) with no
        designations takes every need: GIAS leaves SEN1..SEN13 blank for many special schools and all PRUs, and
        such a school is not a school for no one. Mainstream and FE settings have no designations of their own
        (they meet needs by compatibility, `planner.placement.params.DEFAULT_NEED_COMPATIBILITY`).
        """
        if self.designations or not self.kind.is_specialist:
            return self.designations
        return ALL_NEEDS


class Learner(Frozen):
    """A child or young person with an EHC plan (or being assessed for one). Pseudonymous: no names, no postcode."""

    id: Identifier = Field(description="Pseudonymous learner id (never a name or UPN)")
    ncy: Ncy | None = Field(default=None, description="NCY in the instance's base year; derived from birth_date")
    birth_date: date | None = Field(default=None, description="Used only to derive the NCY; never logged")
    primary_need: Need
    secondary_need: Need | None = None
    home: Point = Field(description="Home location (Code-Point Open centroid of the postcode, never the postcode)")
    locality_id: str | None = None
    current_setting_id: str | None = Field(default=None, description="Where the learner is placed now")
    arrangement: Arrangement | None = Field(
        default=None, description="SEN2 SENsetting when no setting is named (home education, EOTAS, awaiting a place)"
    )
    requested_setting_ids: tuple[str, ...] = Field(
        default=(), description="Settings requested by the family, most preferred first (CFA 2014 s38-39)"
    )
    pinned_setting_id: str | None = Field(
        default=None, description="A placement already agreed and named: kept whatever the optimiser prefers"
    )
    sibling_group: str | None = Field(default=None, description="Learners sharing a group are placed together")
    looked_after: bool = False
    excluded: bool = Field(default=False, description="Permanently excluded")
    at_risk_of_exclusion: bool = False
    suspensions: int = Field(default=0, ge=0, le=1000, description="Suspensions in the last 12 months")
    needs_transport: bool = False
    max_journey_minutes: int | None = Field(default=None, le=600,
                                            description="Personal journey limit, overrides defaults")
    plan_start: date | None = None
    plan_end: date | None = Field(default=None, description="When the plan ceased (history), else None")
    setting_start: date | None = Field(default=None, description="When the current placement started")
    last_review: date | None = Field(default=None, description="Date of the last annual review (SEN2 LastReview)")
    sex: Sex | None = Field(default=None, description="SEN2 Sex; None when not known")
    provision_type: ProvisionType | None = Field(
        default=None, description="The type of provision the plan names (section I); None: the current setting's type"
    )
    acceptable_types: frozenset[ProvisionType] = Field(
        default=frozenset(), description="Other types the officer lists as acceptable for this learner"
    )
    needs_residential: bool = Field(default=False, description="The plan names a residential (boarding) placement")
    lsoa: str | None = Field(default=None, max_length=16,
                             description="LSOA code of the home (from the postcode lookup), never the postcode")

    @field_validator("max_journey_minutes")
    @classmethod
    def _positive_journey(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value <= 0:
            raise ValueError(f"{_record_label('learner', info)}: max_journey_minutes must be > 0, got {value}")
        return value

    @model_validator(mode="after")
    def _has_age(self) -> Self:
        if self.ncy is None and self.birth_date is None:
            raise ValueError(f"learner {self.id}: give ncy or birth_date (neither was given)")
        if self.secondary_need is not None and self.secondary_need == self.primary_need:
            raise ValueError(f"learner {self.id}: secondary_need repeats primary_need ({self.primary_need.value})")
        return self

    def ncy_in(self, academic_year: int, base_year: int) -> int:
        """NCY in an academic year: from the birth date when known, else the base-year NCY moved on by cohort."""
        if self.birth_date is not None:
            return ncy_for(self.birth_date, academic_year)
        assert self.ncy is not None
        return self.ncy + (academic_year - base_year)

    def plan_types(self, current: Setting | None, ncy: int) -> frozenset[ProvisionType] | None:
        """The types of provision a placement may propose at `ncy`: the plan's type (else the current setting's: at
        phase transfer a special school learner looks for a special school of the next phase), its post-16
        equivalent from Year 12 (`POST16_EQUIVALENTS`), and the officer's acceptable types. None when nothing is
        known (a new plan with no type recorded, a PRU/AP learner due for reintegration): any type."""
        base = self.provision_type
        if base is None and current is not None and current.kind is not SettingKind.PRU_AP:
            base = PROVISION_OF_KIND[current.kind]
        if base is None:
            return frozenset(self.acceptable_types) or None
        types = frozenset({base}) | self.acceptable_types
        if ncy >= FIRST_POST16_NCY:
            types |= POST16_EQUIVALENTS.get(base, frozenset())
        return types

    @property
    def at_risk(self) -> bool:
        """Excluded or at risk of exclusion: the learners a PRU/AP place may be proposed for."""
        return self.excluded or self.at_risk_of_exclusion


class OutreachTeam(Frozen):
    """A specialist outreach team (autism, SEMH, sensory, ...) that supports learners around transitions."""

    id: Identifier
    name: str = Field(min_length=1, max_length=120)
    specialisms: frozenset[Need] = Field(description="Needs the team specialises in")
    hours_per_week: float = Field(le=10_000, description="Practitioner hours per school week available for casework")
    locality_ids: frozenset[str] = Field(default=frozenset(), description="Localities covered; empty = all")
    base: Point | None = Field(default=None, description="Where the team travels from")

    @field_validator("hours_per_week")
    @classmethod
    def _hours_not_negative(cls, value: float, info: ValidationInfo) -> float:
        if value < 0:
            raise ValueError(f"{_record_label('team', info)}: hours_per_week must be >= 0, got {value}")
        return value


class NeedForecast(Frozen):
    """Forecast number of learners needing a place, for one need x phase x locality x academic year."""

    academic_year: int = Field(le=MAX_YEAR)
    need: Need
    phase: Phase
    locality_id: str
    p10: float = Field(ge=0, le=MAX_LEARNERS)
    p50: float = Field(ge=0, le=MAX_LEARNERS)
    p90: float = Field(ge=0, le=MAX_LEARNERS)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.p10 <= self.p50 <= self.p90:
            raise ValueError(
                f"forecast {self.academic_year}/{self.need.value}/{self.phase.value}/{self.locality_id}: "
                f"quantiles must satisfy p10 <= p50 <= p90 (got {self.p10}, {self.p50}, {self.p90})"
            )
        return self


class TravelTime(Frozen):
    """A known journey time (from a council's travel matrix) that replaces the distance-based estimate.

    The origin is a learner (their home), a locality (its centroid, used by the sufficiency model) or an outreach
    team (its base); the destination is a setting.
    """

    origin_id: str = Field(min_length=1, max_length=64)
    destination_id: str = Field(min_length=1, max_length=64)
    minutes: float = Field(ge=0, le=24 * 60, description="Journey minutes, one way")


class IntegrityProblem(Frozen):
    """One broken rule in an instance: which record, which field, what is wrong."""

    record: str = Field(description="Record type: setting, learner, team, locality, forecast")
    record_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.record} {self.record_id}: {self.field}: {self.message}"


class InstanceIntegrityError(Exception):
    """An instance whose records do not fit together; `problems` lists every one found.

    Not a ValueError on purpose: pydantic would fold it into a generic ValidationError and lose `problems`.
    """

    def __init__(self, problems: list[IntegrityProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{len(problems)} integrity problem(s): {shown}{more}")


class Instance(Frozen):
    """One local authority's planning data for a base academic year: the input every solver takes."""

    name: str = Field(min_length=1, max_length=200)
    base_year: int = Field(ge=2000, le=2100, description="Academic year the caseload describes (2026 = 2026/27)")
    census_date: date | None = Field(
        default=None, description="Census date of the data (a SEN2 return's reference date), when known"
    )
    localities: tuple[Locality, ...] = ()
    settings: tuple[Setting, ...] = ()
    learners: tuple[Learner, ...] = ()
    teams: tuple[OutreachTeam, ...] = ()
    forecasts: tuple[NeedForecast, ...] = ()
    travel_times: tuple[TravelTime, ...] = Field(
        default=(), description="Known journey times (travel matrix); they override the estimate pair by pair"
    )
    metadata: dict[str, Any] = Field(default_factory=dict, description="Provenance: generator, seed, source files")

    @model_validator(mode="after")
    def _integrity(self) -> Self:
        problems = find_integrity_problems(self)
        if problems:
            raise InstanceIntegrityError(problems)
        return self

    @cached_property
    def setting_by_id(self) -> dict[str, Setting]:
        return {s.id: s for s in self.settings}

    @cached_property
    def learner_by_id(self) -> dict[str, Learner]:
        return {learner.id: learner for learner in self.learners}

    @cached_property
    def locality_by_id(self) -> dict[str, Locality]:
        return {loc.id: loc for loc in self.localities}

    @cached_property
    def team_by_id(self) -> dict[str, OutreachTeam]:
        return {t.id: t for t in self.teams}

    @cached_property
    def travel_matrix(self) -> dict[tuple[str, str], float]:
        """Known journey minutes by (origin_id, destination_id), as `planner.domain.travel.TravelModel.matrix` takes."""
        return {(t.origin_id, t.destination_id): t.minutes for t in self.travel_times}

    def learner_ncy(self, learner: Learner, academic_year: int | None = None) -> int:
        """A learner's NCY in an academic year (default: the base year)."""
        return learner.ncy_in(self.base_year if academic_year is None else academic_year, self.base_year)

    def replace(self, **changes: Any) -> Instance:
        """A new, re-validated instance with some fields changed (scenarios use this)."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return Instance(**data)


def _duplicates(ids: list[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def learner_problems(learner: Learner, base_year: int, locality_ids: Collection[str],
                     setting_ids: Collection[str]) -> list[IntegrityProblem]:
    """One learner's own integrity problems: its references (locality, settings) and its NCY in the base year.

    The whole-instance check runs this for every learner; a single learner's write runs it with just the ids the
    learner references (api.learner_writes), so both apply the same rules. Sibling groups need the other learners.
    """
    problems: list[IntegrityProblem] = []

    def add(field: str, message: str) -> None:
        problems.append(IntegrityProblem(record="learner", record_id=learner.id, field=field, message=message))

    if learner.locality_id is not None and learner.locality_id not in locality_ids:
        add("locality_id", f"unknown locality {learner.locality_id!r}")
    if learner.current_setting_id is not None and learner.current_setting_id not in setting_ids:
        add("current_setting_id", f"unknown setting {learner.current_setting_id!r}")
    if learner.arrangement is not None and learner.current_setting_id is not None:
        add("arrangement", f"{learner.arrangement.value} is for a plan naming no setting, but the learner is at "
            f"{learner.current_setting_id!r}")
    if learner.pinned_setting_id is not None and learner.pinned_setting_id not in setting_ids:
        add("pinned_setting_id", f"unknown setting {learner.pinned_setting_id!r}")
    for rank, requested in enumerate(learner.requested_setting_ids, start=1):
        if requested not in setting_ids:
            add(f"requested_setting_ids[{rank}]", f"unknown setting {requested!r}")
    if len(set(learner.requested_setting_ids)) != len(learner.requested_setting_ids):
        add("requested_setting_ids", "a setting is requested more than once")
    ncy = learner.ncy_in(base_year, base_year)
    if not NCY_MIN <= ncy <= NCY_MAX:
        add("birth_date" if learner.birth_date else "ncy",
            f"NCY {ncy} in {base_year} is outside {NCY_MIN}..{NCY_MAX} (ages 0-25)")
    return problems


def find_integrity_problems(instance: Instance) -> list[IntegrityProblem]:
    """Every cross-record problem: duplicate ids, references to unknown ids, learners outside the age range."""
    problems: list[IntegrityProblem] = []

    def add(record: str, record_id: str, field: str, message: str) -> None:
        problems.append(IntegrityProblem(record=record, record_id=record_id, field=field, message=message))

    for record, ids in (
        ("locality", [x.id for x in instance.localities]),
        ("setting", [x.id for x in instance.settings]),
        ("learner", [x.id for x in instance.learners]),
        ("team", [x.id for x in instance.teams]),
    ):
        for dup in _duplicates(ids):
            add(record, dup, "id", "the id is used by more than one record")

    locality_ids = {x.id for x in instance.localities}
    setting_ids = {x.id for x in instance.settings}

    for s in instance.settings:
        if s.locality_id is not None and s.locality_id not in locality_ids:
            add("setting", s.id, "locality_id", f"unknown locality {s.locality_id!r}")
        if s.host_setting_id is not None and s.host_setting_id not in setting_ids:
            add("setting", s.id, "host_setting_id", f"unknown host setting {s.host_setting_id!r}")
        for phase, places in s.capacity_by_phase.items():
            if places > s.capacity:
                add("setting", s.id, f"capacity_by_phase[{phase.value}]", f"{places} exceeds capacity {s.capacity}")
            if phase not in s.phases:
                add("setting", s.id, f"capacity_by_phase[{phase.value}]", "phase is outside the setting's age range")

    groups: dict[str, list[str]] = {}
    for learner in instance.learners:
        problems += learner_problems(learner, instance.base_year, locality_ids, setting_ids)
        if learner.sibling_group is not None:
            groups.setdefault(learner.sibling_group, []).append(learner.id)

    for group, members in groups.items():
        if len(members) < 2:
            add("learner", members[0], "sibling_group", f"sibling group {group!r} has only one member")

    for team in instance.teams:
        for loc in sorted(team.locality_ids - locality_ids):
            add("team", team.id, "locality_ids", f"unknown locality {loc!r}")

    origin_ids = {x.id for x in instance.learners} | locality_ids | {x.id for x in instance.teams}
    seen_pairs: set[tuple[str, str]] = set()
    for travel in instance.travel_times:
        pair_id = f"{travel.origin_id}->{travel.destination_id}"
        if travel.origin_id not in origin_ids:
            add("travel_time", pair_id, "origin_id", "not a learner, locality or team of this instance")
        if travel.destination_id not in setting_ids:
            add("travel_time", pair_id, "destination_id", "not a setting of this instance")
        if (travel.origin_id, travel.destination_id) in seen_pairs:
            add("travel_time", pair_id, "origin_id", "the pair is given more than once")
        seen_pairs.add((travel.origin_id, travel.destination_id))

    if instance.census_date is not None and academic_year_of(instance.census_date) != instance.base_year:
        add("instance", instance.name, "census_date",
            f"{instance.census_date.isoformat()} is in academic year {academic_year_of(instance.census_date)}, "
            f"not the base year {instance.base_year}")

    for forecast in instance.forecasts:
        if forecast.locality_id not in locality_ids:
            add("forecast", f"{forecast.academic_year}/{forecast.need.value}/{forecast.phase.value}",
                "locality_id", f"unknown locality {forecast.locality_id!r}")
    return problems
