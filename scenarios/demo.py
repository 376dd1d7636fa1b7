"""The demo local authority, "Northvale": a fictional council generated deterministically from a seed.

`build_demo("demo")` gives about 3,500 learners with EHC plans in 8 localities, mainstream schools and about 40
specialist settings; `build_demo("county")` about 20,000 learners, 300 settings and 12 outreach teams for
benchmarks. Needs follow the national mix exactly (quota sampling, so any seed is within a fraction of a percentage
point), ages and placements are drawn from the national tables fitted in `scenarios.calibration`, and
capacities are set from each setting's roll so that autism and SEMH specialist places fall short (as they do in
most councils) while other needs have room. Nothing here is a real person, school or place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.domain.codes import DEFAULT_COST_PER_PLACE, Need, Phase, SettingKind, phase_of_ncy
from planner.domain.models import Instance, Learner, Locality, OutreachTeam, Point, Setting
from scenarios.calibration import NCYS, PLACEMENT_CATEGORIES, largest_remainder, national_calibration
from scenarios.demo_catalogue import (
    BASE_TEMPLATES,
    COUNTY_COPY_LOCALITIES,
    COUNTY_LOCALITIES,
    DEMO_LOCALITIES,
    FE_TEMPLATES,
    INDEPENDENT_TEMPLATES,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    PRU_TEMPLATES,
    SEMH_TEMPLATES,
    SPECIAL_TEMPLATES,
    SPI_TEMPLATES,
    LocalitySpec,
    SpecialistTemplate,
)

logger = logging.getLogger(__name__)

BASE_YEAR = 2026  # academic year 2026/27
SPECIALIST_KINDS_IN_AREA = (
    SettingKind.RESOURCED_PROVISION,
    SettingKind.SEN_UNIT,
    SettingKind.SPECIAL,
    SettingKind.SEMH_SPECIAL,
    SettingKind.POST16_SPECIALIST,
)


@dataclass(frozen=True)
class DemoPreset:
    """Size and shape of a generated council. Every figure is a parameter, documented in docs/demo-council.md."""

    name: str
    council: str
    learners: int
    localities: tuple[LocalitySpec, ...]
    primary_schools: int
    secondary_schools: int
    catalogue_copies: tuple[tuple[int, ...], ...]  # specialist catalogue copies: demo locality -> preset locality
    independent_copies: int
    teams: str  # "demo" (6 teams) or "county" (12 teams)
    sibling_share: float = 0.02  # share of learners in sibling groups
    looked_after_share: float = 0.05
    personal_journey_limit_share: float = 0.03
    new_plan_share: float = 0.03  # learners with a plan finalised this year who are asking for a specialist place
    transfer_request_share: float = 0.85  # learners at a phase transfer whose family has named settings


PRESETS: dict[str, DemoPreset] = {
    "demo": DemoPreset(
        name="demo", council="Northvale Council", learners=3_500, localities=DEMO_LOCALITIES,
        primary_schools=56, secondary_schools=14, catalogue_copies=(COUNTY_COPY_LOCALITIES[0],),
        independent_copies=1, teams="demo",
    ),
    "county": DemoPreset(
        name="county", council="Northvale County Council", learners=20_000, localities=COUNTY_LOCALITIES,
        primary_schools=154, secondary_schools=36, catalogue_copies=COUNTY_COPY_LOCALITIES,
        independent_copies=2, teams="county",
    ),
}

# Capacity relative to the current roll, by template pressure (low, high multipliers).
PRESSURE_FACTORS: dict[str, tuple[float, float]] = {
    "tight": (0.84, 0.97),
    "balanced": (0.94, 1.04),
    "spare": (1.15, 1.40),
}
# How far families look for each kind of setting (km scale of the distance decay when choosing current settings).
CHOICE_SCALE_KM: dict[str, float] = {
    "mainstream": 1.5,
    "base": 8.0,
    "special": 10.0,
    "pru": 8.0,
    "fe": 8.0,
    "independent": 1_000.0,
}
# Share of learners in each current placement who need home-to-school transport.
TRANSPORT_SHARE: dict[str, float] = {
    "mainstream": 0.06,
    "resourced_provision": 0.45,
    "sen_unit": 0.5,
    "special": 0.85,
    "independent_special": 0.95,
    "pru_ap": 0.7,
    "fe_college": 0.2,
    "post16_specialist": 0.8,
    "none": 0.0,
}
MIN_SPECIALIST_PLACES = 6
KIND_ORDER: tuple[SettingKind, ...] = tuple(SettingKind)


@dataclass
class _Draft:
    """A setting being built (mutable until capacities are known), then frozen into a Setting."""

    id: str
    name: str
    kind: SettingKind
    designations: frozenset[Need]
    ncy_min: int
    ncy_max: int
    easting: float
    northing: float
    locality_id: str | None
    in_area: bool
    cost: int
    pressure: str
    urn: int | None
    host: str | None = None
    capacity: int = 0
    capacity_by_phase: dict[Phase, int] = field(default_factory=dict)


def build_demo(preset: str = "demo", seed: int = 2026) -> Instance:
    """Generate the fictional council "Northvale" for a preset ("demo" or "county"); same seed, same council."""
    if preset not in PRESETS:
        raise ValueError(f"unknown demo preset {preset!r}: expected one of {', '.join(PRESETS)}")
    spec = PRESETS[preset]
    rng = np.random.default_rng(seed)
    localities = tuple(
        Locality(id=loc.id, name=loc.name,
                 centroid=Point(easting=loc.easting_km * 1000, northing=loc.northing_km * 1000))
        for loc in spec.localities
    )
    drafts = _build_settings(spec, rng)
    learners_data = _draw_learners(spec, rng)
    _assign_current_settings(learners_data, drafts, rng)
    _set_capacities(drafts, learners_data, rng)
    _draw_requests(spec, learners_data, drafts, rng)
    _draw_flags_and_dates(spec, learners_data, drafts, rng)
    _draw_sibling_groups(spec, learners_data, rng)
    settings = tuple(_freeze(d) for d in drafts)
    learners = _freeze_learners(learners_data, drafts)
    teams = _build_teams(spec)
    instance = Instance(
        name=spec.council,
        base_year=BASE_YEAR,
        localities=localities,
        settings=settings,
        learners=learners,
        teams=teams,
        metadata={"generator": "scenarios.demo", "preset": preset, "seed": seed},
    )
    logger.info("built demo preset %s (seed %d): %d learners, %d settings", preset, seed, len(learners),
                len(settings))
    return instance


# --- settings -------------------------------------------------------------------------------------------------


def _name_pool(rng: np.random.Generator) -> list[str]:
    names = [p + s for p in NAME_PREFIXES for s in NAME_SUFFIXES]
    order = rng.permutation(len(names))
    return [names[i] for i in order]


def _cost(kind: SettingKind, rng: np.random.Generator, low: float = 0.92, high: float = 1.12) -> int:
    return int(round(DEFAULT_COST_PER_PLACE[kind] * rng.uniform(low, high), -2))


def _near(loc: LocalitySpec, rng: np.random.Generator, spread_factor: float) -> tuple[float, float]:
    e, n = rng.normal(0.0, loc.spread_km * spread_factor, size=2)
    return (loc.easting_km + float(e)) * 1000.0, (loc.northing_km + float(n)) * 1000.0


def _build_settings(spec: DemoPreset, rng: np.random.Generator) -> list[_Draft]:
    names = _name_pool(rng)
    drafts: list[_Draft] = []
    weights = np.array([loc.weight for loc in spec.localities])

    # Mainstream schools: every locality has at least two primaries and one secondary.
    for phase, total, base_urn in (("primary", spec.primary_schools, 910_000), ("secondary", spec.secondary_schools,
                                                                                 920_000)):
        minimum = 2 if phase == "primary" else 1
        spare = total - minimum * len(spec.localities)
        counts = largest_remainder(weights, spare) + minimum
        number = 0
        for loc, count in zip(spec.localities, counts, strict=True):
            for _ in range(int(count)):
                number += 1
                urn = base_urn + number
                e, n = _near(loc, rng, 0.8)
                stem = names.pop()
                if phase == "primary":
                    ncy_min = -1 if rng.random() < 0.5 else 0
                    ncy_max = 6
                    sizes = [84, 105, 140, 210] if loc.rural else [210, 315, 420, 630]
                    capacity = int(rng.choice(sizes))
                    name = f"{stem} Primary School"
                else:
                    ncy_min, ncy_max = 7, (13 if rng.random() < 0.6 else 11)
                    sizes = [600, 750, 900] if loc.rural else [900, 1050, 1200, 1500, 1800]
                    capacity = int(rng.choice(sizes))
                    name = f"{stem} {'Academy' if rng.random() < 0.6 else 'High School'}"
                drafts.append(_Draft(
                    id=str(urn), name=name, kind=SettingKind.MAINSTREAM, designations=frozenset(), ncy_min=ncy_min,
                    ncy_max=ncy_max, easting=e, northing=n, locality_id=loc.id, in_area=True,
                    cost=_cost(SettingKind.MAINSTREAM, rng, 0.95, 1.1), pressure="mainstream", urn=urn,
                    capacity=capacity,
                ))

    counters: dict[SettingKind, int] = {}

    def next_urn(kind: SettingKind) -> int:
        base = {
            SettingKind.SPECIAL: 930_000, SettingKind.SEMH_SPECIAL: 933_000, SettingKind.PRU_AP: 940_000,
            SettingKind.POST16_SPECIALIST: 960_000, SettingKind.FE_COLLEGE: 970_000,
            SettingKind.INDEPENDENT_SPECIAL: 950_000,
        }[kind]
        counters[kind] = counters.get(kind, 0) + 1
        return base + counters[kind]

    for copy, copy_map in enumerate(spec.catalogue_copies):
        for template in SPECIAL_TEMPLATES + SEMH_TEMPLATES + PRU_TEMPLATES + SPI_TEMPLATES + FE_TEMPLATES:
            loc = spec.localities[copy_map[template.locality]]
            urn = next_urn(template.kind)
            draft = _specialist_draft(template, loc, urn, names if copy else None, rng)
            if any(d.name == draft.name for d in drafts):  # a second college or PRU of the same town
                draft.name = f"{draft.name}, {names.pop()} Campus"
            drafts.append(draft)
        for template in BASE_TEMPLATES:
            loc = spec.localities[copy_map[template.locality]]
            drafts.append(_base_draft(template, loc, drafts, rng))

    for copy in range(spec.independent_copies):
        for template, east_km, north_km in INDEPENDENT_TEMPLATES:
            urn = next_urn(template.kind)
            shift_e, shift_n = (0.0, 0.0) if copy == 0 else (-25.0 if east_km < 430 else 25.0, 30.0 * (-1) ** copy)
            stem = template.stem if copy == 0 else f"{names.pop()} House"
            drafts.append(_Draft(
                id=str(urn), name=f"{stem} (independent)", kind=template.kind, designations=template.designations,
                ncy_min=template.ncy_min, ncy_max=template.ncy_max, easting=(east_km + shift_e) * 1000.0,
                northing=(north_km + shift_n) * 1000.0, locality_id=None, in_area=False,
                cost=_cost(template.kind, rng, 0.92, 1.08), pressure="independent", urn=urn,
            ))
    return drafts


def _specialist_draft(template: SpecialistTemplate, loc: LocalitySpec, urn: int, names: list[str] | None,
                      rng: np.random.Generator) -> _Draft:
    """A special school, PRU or college; `names` supplies fresh invented names for county copies."""
    kind = template.kind
    if kind in (SettingKind.PRU_AP, SettingKind.FE_COLLEGE, SettingKind.POST16_SPECIALIST):
        name = f"{loc.name} {template.stem}"
    else:
        # The first copy keeps the catalogue's names; county copies get fresh invented ones.
        stem = template.stem if names is None else names.pop()
        name = f"{stem} {'School' if rng.random() < 0.6 else 'Academy'}"
    e, n = _near(loc, rng, 0.5)
    return _Draft(
        id=str(urn), name=name, kind=kind, designations=template.designations, ncy_min=template.ncy_min,
        ncy_max=template.ncy_max, easting=e, northing=n, locality_id=loc.id, in_area=True, cost=_cost(kind, rng),
        pressure=template.pressure, urn=urn,
    )


def _base_draft(template: SpecialistTemplate, loc: LocalitySpec, drafts: list[_Draft],
                rng: np.random.Generator) -> _Draft:
    """A resourced provision or SEN unit inside a mainstream school of the right phase in the locality."""
    suffix = "RP" if template.kind is SettingKind.RESOURCED_PROVISION else "UNIT"
    taken = {d.host for d in drafts if d.host is not None and d.id.endswith(f"-{suffix}")}
    wanted_secondary = template.phase_of_host == "secondary"
    hosts = [
        d for d in drafts
        if d.kind is SettingKind.MAINSTREAM and d.locality_id == loc.id and (d.ncy_min >= 7) == wanted_secondary
        and d.id not in taken
    ]
    if not hosts:  # every school of that phase already hosts one: use any school in the locality
        hosts = [d for d in drafts if d.kind is SettingKind.MAINSTREAM and d.locality_id == loc.id
                 and d.id not in taken]
    host = hosts[int(rng.integers(len(hosts)))]
    label = "Resourced Provision" if suffix == "RP" else "Unit"
    return _Draft(
        id=f"{host.id}-{suffix}", name=f"{host.name} {template.stem} {label}", kind=template.kind,
        designations=template.designations, ncy_min=max(template.ncy_min, host.ncy_min, 0),
        ncy_max=min(template.ncy_max, host.ncy_max), easting=host.easting, northing=host.northing,
        locality_id=loc.id, in_area=True, cost=_cost(template.kind, rng), pressure=template.pressure,
        urn=None, host=host.id,
    )


# --- learners -------------------------------------------------------------------------------------------------


@dataclass
class _Learners:
    """Column arrays for the learners being generated (vectorised for the county preset)."""

    need: NDArray[np.int64]  # index into needs
    secondary: NDArray[np.int64]  # index into needs, -1 for none
    ncy: NDArray[np.int64]
    birth: list[date]
    locality: NDArray[np.int64]
    home: NDArray[np.float64]  # (n, 2) metres
    category: NDArray[np.int64]  # index into PLACEMENT_CATEGORIES, after fallbacks
    setting: NDArray[np.int64]  # index into drafts, -1 for none
    needs: tuple[Need, ...]
    locality_ids: tuple[str, ...]
    requests: list[tuple[int, ...]] = field(default_factory=list)
    new_plan: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    flags: dict[str, NDArray[np.generic]] = field(default_factory=dict)
    plan_start: list[date] = field(default_factory=list)
    setting_start: list[date | None] = field(default_factory=list)
    sibling: list[str | None] = field(default_factory=list)


def _draw_learners(spec: DemoPreset, rng: np.random.Generator) -> _Learners:
    cal = national_calibration()
    n = spec.learners
    n_need = len(cal.needs)

    # Quota sampling: the need mix equals the national mix to within one learner per need, for any seed.
    need = np.repeat(np.arange(n_need), largest_remainder([cal.need_share[k] for k in cal.needs], n))
    rng.shuffle(need)
    ncy_index = np.empty(n, dtype=np.int64)
    for k in range(n_need):
        members = np.flatnonzero(need == k)
        ncy_index[members] = rng.choice(len(NCYS), size=len(members), p=cal.ncy_given_need[k])
    ncy = np.asarray(NCYS, dtype=np.int64)[ncy_index]

    # About a third of plans name a secondary need, drawn from the national mix without the primary need.
    share = np.array([cal.need_share[k] for k in cal.needs])
    secondary = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(rng.random(n) < 0.35):
        p = share.copy()
        p[need[i]] = 0.0
        secondary[i] = int(rng.choice(n_need, p=p / p.sum()))

    # Birth date: aged ncy + 4 on 31 August of the base year, any day of that year group.
    ages = ncy + 4
    offsets = rng.random(n)
    birth: list[date] = []
    for age, offset in zip(ages.tolist(), offsets.tolist(), strict=True):
        first = date(BASE_YEAR - age - 1, 9, 1)
        span = (date(BASE_YEAR - age, 8, 31) - first).days
        birth.append(first + timedelta(days=int(offset * (span + 1))))

    weights = np.array([loc.weight for loc in spec.localities])
    locality = np.repeat(np.arange(len(spec.localities)), largest_remainder(weights, n))
    rng.shuffle(locality)
    centre = np.array([[loc.easting_km, loc.northing_km] for loc in spec.localities]) * 1000.0
    spread = np.array([loc.spread_km for loc in spec.localities]) * 1000.0
    home = centre[locality] + rng.normal(0.0, 1.0, size=(n, 2)) * spread[locality][:, None]

    # Placement type from the national table fitted on age and need together.
    probabilities = cal.placement_given_ncy_need[ncy_index, need]
    draws = rng.random(n)
    category = np.minimum((probabilities.cumsum(axis=1) < draws[:, None]).sum(axis=1), len(PLACEMENT_CATEGORIES) - 1)

    return _Learners(
        need=need, secondary=secondary, ncy=ncy, birth=birth, locality=locality, home=home,
        category=category.astype(np.int64), setting=np.full(n, -1, dtype=np.int64), needs=cal.needs,
        locality_ids=tuple(loc.id for loc in spec.localities),
    )


@dataclass(frozen=True)
class _Arrays:
    """Setting attributes as arrays for vectorised choices."""

    position: NDArray[np.float64]
    ncy_min: NDArray[np.int64]
    ncy_max: NDArray[np.int64]
    designated: NDArray[np.bool_]  # (settings, needs)
    kind: NDArray[np.int64]  # index into KIND_ORDER

    @classmethod
    def of(cls, drafts: list[_Draft], needs: tuple[Need, ...]) -> _Arrays:
        return cls(
            position=np.array([[d.easting, d.northing] for d in drafts]),
            ncy_min=np.array([d.ncy_min for d in drafts]),
            ncy_max=np.array([d.ncy_max for d in drafts]),
            designated=np.array([[need in d.designations for need in needs] for d in drafts], dtype=bool),
            kind=np.array([KIND_ORDER.index(d.kind) for d in drafts], dtype=np.int64),
        )

    def of_kinds(self, *kinds: SettingKind) -> NDArray[np.int64]:
        return np.flatnonzero(np.isin(self.kind, [KIND_ORDER.index(k) for k in kinds])).astype(np.int64)


def _choose(rng: np.random.Generator, arrays: _Arrays, home: NDArray[np.float64], ncy: NDArray[np.int64],
            need: NDArray[np.int64] | None, candidates: NDArray[np.int64], scale_km: float) -> NDArray[np.int64]:
    """For each learner, a random eligible candidate, nearer ones likelier; -1 when none is eligible.

    Eligible: takes the learner's NCY and, when `need` is given, is designated for it.
    """
    if len(candidates) == 0 or len(home) == 0:
        return np.full(len(home), -1, dtype=np.int64)
    diff = home[:, None, :] - arrays.position[candidates][None, :, :]
    km = np.sqrt((diff**2).sum(axis=2)) / 1000.0
    ok = (arrays.ncy_min[candidates][None, :] <= ncy[:, None]) & (ncy[:, None] <= arrays.ncy_max[candidates][None, :])
    if need is not None:
        ok &= arrays.designated[candidates][:, need].T
    nearest = np.where(ok, km, np.inf).min(axis=1, keepdims=True)
    weight = np.where(ok, np.exp(-(km - np.where(np.isfinite(nearest), nearest, 0.0)) / scale_km), 0.0)
    total = weight.sum(axis=1)
    cumulative = weight.cumsum(axis=1)
    pick = (cumulative < (rng.random(len(home)) * total)[:, None]).sum(axis=1)
    pick = np.minimum(pick, len(candidates) - 1)
    return np.where(total > 0, candidates[pick], -1)


def _assign_current_settings(data: _Learners, drafts: list[_Draft], rng: np.random.Generator) -> None:
    """Place each learner in a setting of their placement type (falling back when none fits their age or need)."""
    arrays = _Arrays.of(drafts, data.needs)
    cat = {name: i for i, name in enumerate(PLACEMENT_CATEGORIES)}
    K = SettingKind
    # Each placement type: the options tried in order (kinds, designated for the need?, km scale), then a fallback.
    chains: dict[str, tuple[list[tuple[tuple[SettingKind, ...], bool, float]], str]] = {
        "independent_special": ([((K.INDEPENDENT_SPECIAL,), True, CHOICE_SCALE_KM["independent"]),
                                 ((K.INDEPENDENT_SPECIAL,), False, CHOICE_SCALE_KM["independent"])], "special"),
        "special": ([((K.SPECIAL, K.SEMH_SPECIAL), True, CHOICE_SCALE_KM["special"]),
                     ((K.INDEPENDENT_SPECIAL,), True, CHOICE_SCALE_KM["independent"]),
                     ((K.SPECIAL,), False, CHOICE_SCALE_KM["special"])], "mainstream"),
        "post16_specialist": ([((K.POST16_SPECIALIST,), True, CHOICE_SCALE_KM["special"]),
                               ((K.POST16_SPECIALIST,), False, CHOICE_SCALE_KM["special"])], "special"),
        "resourced_provision": ([((K.RESOURCED_PROVISION,), True, CHOICE_SCALE_KM["base"]),
                                 ((K.SEN_UNIT,), True, CHOICE_SCALE_KM["base"])], "mainstream"),
        "sen_unit": ([((K.SEN_UNIT,), True, CHOICE_SCALE_KM["base"]),
                      ((K.RESOURCED_PROVISION,), True, CHOICE_SCALE_KM["base"])], "mainstream"),
        "pru_ap": ([((K.PRU_AP,), False, CHOICE_SCALE_KM["pru"])], "none"),
        "fe_college": ([((K.FE_COLLEGE,), False, CHOICE_SCALE_KM["fe"])], "mainstream"),
        "mainstream": ([((K.MAINSTREAM,), False, CHOICE_SCALE_KM["mainstream"]),
                        ((K.FE_COLLEGE,), False, CHOICE_SCALE_KM["fe"])], "none"),
    }

    def place(category: str, members: NDArray[np.int64]) -> None:
        data.category[members] = cat[category]
        if category == "none" or len(members) == 0:
            return
        options, fallback = chains[category]
        pending = members
        for kinds, by_need, scale in options:
            if len(pending) == 0:
                break
            chosen = _choose(rng, arrays, data.home[pending], data.ncy[pending],
                             data.need[pending] if by_need else None, arrays.of_kinds(*kinds), scale)
            data.setting[pending[chosen >= 0]] = chosen[chosen >= 0]
            pending = pending[chosen < 0]
        if len(pending):
            place(fallback, pending)

    original = data.category.copy()
    for name in PLACEMENT_CATEGORIES:
        place(name, np.flatnonzero(original == cat[name]))


def _set_capacities(drafts: list[_Draft], data: _Learners, rng: np.random.Generator) -> None:
    """Places from each setting's current roll: tight settings are over capacity, spare ones have room."""
    roll = np.bincount(data.setting[data.setting >= 0], minlength=len(drafts))
    for i, d in enumerate(drafts):
        on_roll = int(roll[i])
        if d.kind is SettingKind.MAINSTREAM:
            d.capacity = max(d.capacity, on_roll)
            continue
        if d.kind is SettingKind.INDEPENDENT_SPECIAL:
            d.capacity = on_roll + int(rng.integers(4, 16))
            continue
        if d.kind is SettingKind.FE_COLLEGE:
            d.capacity = int(round(on_roll * rng.uniform(1.1, 1.3))) + 10
            continue
        low, high = PRESSURE_FACTORS[d.pressure]
        d.capacity = max(MIN_SPECIALIST_PLACES, int(round(on_roll * rng.uniform(low, high))))
        if d.kind is SettingKind.SPECIAL and d.ncy_min <= 0 and d.ncy_max >= 7:
            d.capacity_by_phase = _phase_caps(d, data.ncy[data.setting == i])


def _phase_caps(d: _Draft, rolls_ncy: NDArray[np.int64]) -> dict[Phase, int]:
    """All-through special schools: a cap per school phase, a little above that phase's share of the roll."""
    caps: dict[Phase, int] = {}
    total = max(len(rolls_ncy), 1)
    for phase in (Phase.PRIMARY, Phase.SECONDARY, Phase.POST16):
        in_phase = sum(1 for n in rolls_ncy.tolist() if phase_of_ncy(int(n)) is phase)
        phase_ncys = [n for n in range(d.ncy_min, d.ncy_max + 1) if phase_of_ncy(n) is phase]
        if phase_ncys:
            caps[phase] = min(d.capacity, int(np.ceil(d.capacity * in_phase / total * 1.2)) + 2)
    return caps


# --- requests, flags, dates, siblings -------------------------------------------------------------------------


def _draw_requests(spec: DemoPreset, data: _Learners, drafts: list[_Draft], rng: np.random.Generator) -> None:
    """Ranked requested settings for learners at a phase transfer next year and for new plans this year.

    Mostly plausible (near, right age, designated for the need), some full (autism and SEMH schools are over
    capacity) and some too far (a family asking for a distant school it has heard of).
    """
    n = len(data.need)
    arrays = _Arrays.of(drafts, data.needs)
    cat_names = [PLACEMENT_CATEGORIES[c] for c in data.category.tolist()]
    data.requests = [()] * n
    data.new_plan = np.zeros(n, dtype=bool)
    K = SettingKind
    groups: dict[str, tuple[SettingKind, ...]] = {
        "mainstream": (K.MAINSTREAM,),
        "base": (K.RESOURCED_PROVISION, K.SEN_UNIT),
        "special": (K.SPECIAL, K.SEMH_SPECIAL),
        "independent": (K.INDEPENDENT_SPECIAL,),
        "pru": (K.PRU_AP,),
        "fe": (K.FE_COLLEGE,),
        "spi": (K.POST16_SPECIALIST,),
    }
    specialist_groups = {"base", "special", "independent", "spi"}

    def ranked(i: int, target: str, ncy: int) -> tuple[int, ...]:
        candidates = arrays.of_kinds(*groups[target])
        ok = (arrays.ncy_min[candidates] <= ncy) & (ncy <= arrays.ncy_max[candidates])
        if target in specialist_groups:
            matched = ok & arrays.designated[candidates, data.need[i]]
            ok = matched if matched.any() else ok
        candidates = candidates[ok]
        if len(candidates) == 0:
            return ()
        km = np.sqrt(((arrays.position[candidates] - data.home[i]) ** 2).sum(axis=1)) / 1000.0
        order = candidates[np.argsort(km * rng.lognormal(0.0, 0.3, size=len(km)))]
        count = int(rng.choice([1, 2, 3], p=[0.4, 0.35, 0.25]))
        chosen = list(order[:count])
        if len(order) > count and rng.random() < 0.07:
            chosen[-1] = order[-1]  # the family asks for a distant setting as well
        return tuple(int(c) for c in chosen)

    transfer_targets: dict[int, dict[str, list[tuple[str, float]]]] = {
        0: {"default": [("mainstream", 0.8), ("base", 0.08), ("special", 0.12)],
            "special": [("special", 0.95), ("independent", 0.05)],
            "base": [("base", 0.6), ("mainstream", 0.4)]},
        7: {"default": [("mainstream", 0.82), ("base", 0.1), ("special", 0.08)],
            "base": [("base", 0.45), ("special", 0.35), ("mainstream", 0.2)],
            "special": [("special", 0.88), ("independent", 0.12)],
            "independent": [("independent", 0.6), ("special", 0.4)],
            "pru": [("special", 0.5), ("mainstream", 0.3), ("pru", 0.2)],
            "none": [("mainstream", 0.6), ("special", 0.4)]},
        12: {"default": [("fe", 0.65), ("mainstream", 0.35)],
             "special": [("special", 0.4), ("spi", 0.35), ("fe", 0.25)],
             "independent": [("independent", 0.5), ("spi", 0.5)]},
    }
    current_group = {
        "mainstream": "default", "resourced_provision": "base", "sen_unit": "base", "special": "special",
        "independent_special": "independent", "pru_ap": "pru", "none": "none", "fe_college": "default",
        "post16_specialist": "special",
    }
    for i in range(n):
        next_ncy = int(data.ncy[i]) + 1
        if next_ncy not in transfer_targets or rng.random() >= spec.transfer_request_share:
            continue
        table = transfer_targets[next_ncy]
        group = current_group[cat_names[i]]
        options = table.get(group, table["default"])
        target = options[int(rng.choice(len(options), p=[p for _, p in options]))][0]
        requests = list(ranked(i, target, next_ncy))
        current = int(data.setting[i])
        if current >= 0 and drafts[current].ncy_min <= next_ncy <= drafts[current].ncy_max and rng.random() < 0.8:
            requests = [current] + [r for r in requests if r != current][:2]  # stay on in an all-through school
        data.requests[i] = tuple(requests)

    # New plans this year: learners in mainstream (or no setting) of school age asking for a specialist place.
    eligible = [i for i in range(n) if not data.requests[i] and cat_names[i] in ("mainstream", "none")
                and 0 <= data.ncy[i] <= 10]
    count = int(round(spec.new_plan_share * n))
    for i in rng.choice(eligible, size=min(count, len(eligible)), replace=False).tolist():
        data.new_plan[i] = True
        data.requests[i] = ranked(i, "base" if rng.random() < 0.5 else "special", int(data.ncy[i]))


def _draw_flags_and_dates(spec: DemoPreset, data: _Learners, drafts: list[_Draft], rng: np.random.Generator) -> None:
    """Looked-after, exclusion and transport flags, personal journey limits, plan and placement start dates."""
    n = len(data.need)
    cats = np.array([PLACEMENT_CATEGORIES[c] for c in data.category.tolist()])
    semh = np.array([data.needs[k] is Need.SEMH for k in data.need.tolist()])
    asd = np.array([data.needs[k] is Need.ASD for k in data.need.tolist()])
    school_age = (data.ncy >= 0) & (data.ncy <= 11)
    u = rng.random((6, n))

    in_pru = cats == "pru_ap"
    # Excluded or at risk: the PRU roll, SEMH learners out of school, a few in mainstream (mostly SEMH).
    excluded = (in_pru & (u[0] < 0.35)) | ((cats == "none") & semh & school_age & (u[0] < 0.25))
    at_risk = ~excluded & (
        in_pru
        | ((cats == "none") & semh & school_age & (u[1] < 0.35))
        | ((cats == "mainstream") & semh & (u[1] < 0.08))
        | ((cats == "mainstream") & asd & (u[1] < 0.015))
        | ((cats == "special") & semh & (u[1] < 0.05))
    )
    suspensions = np.where(excluded, rng.poisson(3.0, n) + 1,
                           np.where(at_risk, rng.poisson(2.0, n) + 1,
                                    np.where(semh, rng.poisson(0.3, n), rng.poisson(0.02, n))))
    transport_share = np.array([TRANSPORT_SHARE[c] for c in cats.tolist()])
    placed = data.setting >= 0
    needs_transport = placed & (u[2] < transport_share)
    looked_after = u[3] < spec.looked_after_share
    limit = np.where(u[4] < spec.personal_journey_limit_share, rng.choice([30, 40, 45, 60], size=n), 0)
    data.flags = {
        "excluded": excluded, "at_risk": at_risk, "suspensions": suspensions, "needs_transport": needs_transport,
        "looked_after": looked_after, "max_journey": limit,
    }

    # Plan start: new plans this spring or summer; others some years ago (recent years likelier), after age 2.
    autumn = date(BASE_YEAR, 9, 1)
    data.plan_start = []
    data.setting_start = []
    for i in range(n):
        age = int(data.ncy[i]) + 4
        if data.new_plan[i]:
            start = date(BASE_YEAR, 3, 1) + timedelta(days=int(rng.integers(0, 200)))
            years = 0
        else:
            years = int(np.floor(max(age - 1, 0) * rng.random() ** 1.6))
            start = date(BASE_YEAR - years - 1, 9, 1) + timedelta(days=int(rng.integers(0, 365)))
            start = max(start, data.birth[i] + timedelta(days=400))
            start = min(start, autumn)
        data.plan_start.append(start)
        s = int(data.setting[i])
        if s < 0:
            data.setting_start.append(None)
        elif drafts[s].kind is SettingKind.PRU_AP:  # short stay: joined within the last two terms
            data.setting_start.append(date(BASE_YEAR, 3, 1) + timedelta(days=int(rng.integers(0, 200))))
        else:
            years_in = int(rng.integers(0, max(int(data.ncy[i]) - drafts[s].ncy_min, 0) + 1))
            data.setting_start.append(date(BASE_YEAR - years_in, 9, int(rng.integers(1, 8))))


def _draw_sibling_groups(spec: DemoPreset, data: _Learners, rng: np.random.Generator) -> None:
    """About 2% of learners in sibling groups (mostly pairs, some triples) sharing a home, of different ages."""
    n = len(data.need)
    data.sibling = [None] * n
    target = int(round(spec.sibling_share * n))
    grouped = 0
    number = 0
    order = rng.permutation(n).tolist()
    by_locality: dict[int, list[int]] = {}
    for i in order:
        by_locality.setdefault(int(data.locality[i]), []).append(i)
    for lead in order:
        if grouped >= target:
            break
        if data.sibling[lead] is not None:
            continue
        size = 3 if rng.random() < 0.15 else 2
        ages = {int(data.ncy[lead])}
        members = [lead]
        for j in by_locality[int(data.locality[lead])]:
            if len(members) == size:
                break
            if data.sibling[j] is None and j not in members and int(data.ncy[j]) not in ages \
                    and abs(int(data.ncy[j]) - int(data.ncy[lead])) <= 6:
                members.append(j)
                ages.add(int(data.ncy[j]))
        if len(members) < 2:
            continue
        number += 1
        for j in members:
            data.sibling[j] = f"SG{number:04d}"
            data.home[j] = data.home[lead]
        grouped += len(members)


# --- freezing -------------------------------------------------------------------------------------------------


def _freeze(d: _Draft) -> Setting:
    return Setting(
        id=d.id, name=d.name, kind=d.kind, designations=d.designations, ncy_min=d.ncy_min, ncy_max=d.ncy_max,
        capacity=d.capacity, capacity_by_phase=d.capacity_by_phase, cost_per_place=d.cost,
        location=Point(easting=round(d.easting), northing=round(d.northing)), locality_id=d.locality_id,
        in_area=d.in_area, host_setting_id=d.host, urn=d.urn,
    )


def _freeze_learners(data: _Learners, drafts: list[_Draft]) -> tuple[Learner, ...]:
    learners: list[Learner] = []
    flags = data.flags
    for i in range(len(data.need)):
        setting = int(data.setting[i])
        secondary = int(data.secondary[i])
        limit = int(flags["max_journey"][i])
        learners.append(Learner(
            id=f"L{i + 1:05d}",
            ncy=int(data.ncy[i]),
            birth_date=data.birth[i],
            primary_need=data.needs[int(data.need[i])],
            secondary_need=data.needs[secondary] if secondary >= 0 else None,
            home=Point(easting=round(float(data.home[i, 0])), northing=round(float(data.home[i, 1]))),
            locality_id=data.locality_ids[int(data.locality[i])],
            current_setting_id=drafts[setting].id if setting >= 0 else None,
            requested_setting_ids=tuple(drafts[r].id for r in data.requests[i]),
            sibling_group=data.sibling[i],
            looked_after=bool(flags["looked_after"][i]),
            excluded=bool(flags["excluded"][i]),
            at_risk_of_exclusion=bool(flags["at_risk"][i]),
            suspensions=int(flags["suspensions"][i]),
            needs_transport=bool(flags["needs_transport"][i]),
            max_journey_minutes=limit if limit > 0 else None,
            plan_start=data.plan_start[i],
            setting_start=data.setting_start[i],
        ))
    return tuple(learners)


# --- outreach teams -------------------------------------------------------------------------------------------

_TeamSpec = tuple[str, str, frozenset[Need], float]


def _team_specs() -> list[_TeamSpec]:
    every_need = frozenset(Need)
    return [
        ("AUT", "Autism Outreach Team", frozenset({Need.ASD, Need.SLCN}), 180.0),
        ("SEMH", "SEMH Outreach Team", frozenset({Need.SEMH}), 150.0),
        ("SENS", "Sensory Support Service (hearing, vision, multi-sensory)", frozenset({Need.HI, Need.VI, Need.MSI}),
         75.0),
        ("LD", "Learning Difficulties Outreach Team",
         frozenset({Need.MLD, Need.SLD, Need.PMLD, Need.SPLD, Need.DS}), 90.0),
        ("EY", "Early Years SEND Team", every_need, 70.0),
        ("PFA", "Post-16 and Preparing for Adulthood Team", every_need, 55.0),
    ]


def _build_teams(spec: DemoPreset) -> tuple[OutreachTeam, ...]:
    """Six teams covering the demo council; twelve in the county, some split into north and south patches."""
    ids = [loc.id for loc in spec.localities]
    centre = {loc.id: Point(easting=loc.easting_km * 1000, northing=loc.northing_km * 1000) for loc in spec.localities}
    teams: list[OutreachTeam] = []
    if spec.teams == "demo":
        for code, name, needs, hours in _team_specs():
            teams.append(OutreachTeam(id=f"T-{code}", name=name, specialisms=needs, hours_per_week=hours,
                                      locality_ids=frozenset(ids), base=centre[ids[0]]))
        return tuple(teams)
    ordered = sorted(spec.localities, key=lambda loc: -loc.northing_km)
    north = [loc.id for loc in ordered[: len(ordered) // 2]]
    south = [loc.id for loc in ordered[len(ordered) // 2:]]
    scale = spec.learners / 3_500
    split = {"AUT", "SEMH", "LD", "EY", "PFA"}
    for code, name, needs, hours in _team_specs():
        if code in split:
            for patch, members in (("N", north), ("S", south)):
                teams.append(OutreachTeam(
                    id=f"T-{code}-{patch}", name=f"{name} ({'north' if patch == 'N' else 'south'})",
                    specialisms=needs, hours_per_week=round(hours * scale / 2 * 0.8, 1),
                    locality_ids=frozenset(members), base=centre[members[0]],
                ))
        else:
            teams.append(OutreachTeam(id=f"T-{code}", name=name, specialisms=needs,
                                      hours_per_week=round(hours * scale * 0.8, 1), locality_ids=frozenset(ids),
                                      base=centre[ids[0]]))
    teams.append(OutreachTeam(id="T-PMED", name="Physical and Medical Needs Outreach Team",
                              specialisms=frozenset({Need.PD, Need.OTH}), hours_per_week=round(40.0 * scale * 0.8, 1),
                              locality_ids=frozenset(ids), base=centre[ids[0]]))
    return tuple(teams)


def preset_names() -> tuple[str, ...]:
    """The presets build_demo accepts."""
    return tuple(PRESETS)

