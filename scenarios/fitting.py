"""Edits that fit any council: settings chosen by what they are, not by their id, resolved when a scenario runs.

A shipped scenario cannot name a council's settings (every council has its own URNs), so it says what it wants
("the SEMH special school nearest to most of the SEMH learners placed out of area", "every special school with
post-16 ages", "the locality with most autistic learners placed out of area") and these edits are resolved against
the council's own settings, localities and learners into the ordinary edits of `scenarios.what_if`:

- `expand_chosen`: add places (a number, or a percentage of capacity) at the chosen setting(s) from
  `years_from_base` years after the base year; with `ncy_from`, only for those ages (an annex for ages `ncy_from`
  up to the setting's top age, hosted by it and with its designations: e.g. post-16 places at a special school;
  a special school recorded with no designation gets none);
- `reduce_chosen`: take places (a number or a percentage) away from the chosen setting(s);
- `close_chosen`, `redesignate_chosen`: close or redesignate the chosen setting(s);
- `open_where_needed`: open a setting in the in-area locality with most learners of a need placed out of area
  (most learners of that need when none is), hosted by that locality's largest mainstream school covering its ages
  (the nearest such school when the locality has none) when `hosted` (a resourced provision or SEN unit).

When the council has nothing to choose (no SEMH special school, no PRU for primary ages), resolving raises
`DoesNotFit`, a `ScenarioEditError` whose message says "does not fit: no SEMH special school ...": the scenario is
not listed for that council and running it is refused with that reason.

"Placed out of area" is `planner.sufficiency.is_out_of_area` of the learner's current setting (independent special
schools and settings outside the council). A learner counts towards the chosen setting nearest their home
(straight-line, `Point.distance_km`) and towards their own locality (nearest in-area centroid when not recorded).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.domain.codes import NCY_MAX, NCY_MIN, Need, SettingKind
from planner.domain.models import MAX_COST_PER_PLACE, MAX_PLACES, Instance, Learner, Locality, Setting

NcyField = Annotated[int, Field(ge=NCY_MIN, le=NCY_MAX)]
YearsFromBase = Annotated[int, Field(ge=0, le=10, description="Academic years after the base year (1 = next)")]
MAX_CAPITAL_GBP = 10_000_000_000  # as scenarios.what_if: above any council's whole capital programme

# How a setting kind reads in a reason ("no SEMH special school ...").
KIND_LABELS: dict[SettingKind, str] = {
    SettingKind.MAINSTREAM: "mainstream school",
    SettingKind.RESOURCED_PROVISION: "resourced provision",
    SettingKind.SEN_UNIT: "SEN unit",
    SettingKind.SPECIAL: "special school",
    SettingKind.SEMH_SPECIAL: "SEMH special school",
    SettingKind.PRU_AP: "pupil referral unit or AP",
    SettingKind.INDEPENDENT_SPECIAL: "independent special school",
    SettingKind.POST16_SPECIALIST: "specialist post-16 institution",
    SettingKind.FE_COLLEGE: "FE college",
}


class DoesNotFit(ValueError):
    """The council has nothing a fitting edit can choose; `reason` reads 'no SEMH special school ...'."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"does not fit: {reason}")


class Pick(BaseModel):
    """Which of the council's own (in-area, open) settings an edit applies to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: frozenset[SettingKind] = Field(min_length=1)
    need: Need | None = Field(default=None, description="Designated for this need")
    ncy: NcyField | None = Field(default=None, description="Its age range covers this NCY")
    rank: Literal["most_out_of_area", "largest", "smallest"] = Field(
        default="most_out_of_area",
        description="most_out_of_area: nearest to most learners of `need` placed out of "
        "area (any need when none is given)",
    )
    every: bool = Field(default=False, description="Every matching setting instead of the first by rank")

    def describe(self) -> str:
        kinds = " or ".join(sorted(KIND_LABELS[k] for k in self.kinds))
        parts = [kinds]
        if self.need is not None:
            parts.append(f"designated {self.need.value}")
        if self.ncy is not None:
            parts.append(f"taking NCY {self.ncy}")
        return " ".join(parts)


class _Fitting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _ChosenAmount(_Fitting):
    """An amount of places at each chosen setting: `places`, or `percent` of its capacity (at least 1)."""

    pick: Pick
    places: int | None = Field(default=None, gt=0, le=MAX_PLACES)
    percent: float | None = Field(default=None, gt=0, le=100)
    years_from_base: YearsFromBase = 1

    @model_validator(mode="after")
    def _amount(self) -> Self:
        if (self.places is None) == (self.percent is None):
            raise ValueError("places: give exactly one of places or percent")
        return self


class ExpandChosen(_ChosenAmount):
    """Add places at the chosen setting(s): `places`, or `percent` of each one's capacity (at least 1)."""

    op: Literal["expand_chosen"]
    ncy_from: NcyField | None = Field(default=None, description="The new places are for ages from this NCY up")
    capital_per_place: float = Field(default=0.0, ge=0, le=MAX_CAPITAL_GBP)


class ReduceChosen(_ChosenAmount):
    """Take places away from the chosen setting(s): `places`, or `percent` of each one's capacity (at least 1)."""

    op: Literal["reduce_chosen"]


class CloseChosen(_Fitting):
    """Close the chosen setting(s)."""

    op: Literal["close_chosen"]
    pick: Pick
    years_from_base: YearsFromBase = 1


class RedesignateChosen(_Fitting):
    """Redesignate the chosen setting(s): add or remove needs, change the age range."""

    op: Literal["redesignate_chosen"]
    pick: Pick
    add: frozenset[Need] = frozenset()
    remove: frozenset[Need] = frozenset()
    ncy_min: NcyField | None = None
    ncy_max: NcyField | None = None


class OpenWhereNeeded(_Fitting):
    """Open a setting in the locality with most learners of `need` placed out of area."""

    op: Literal["open_where_needed"]
    id: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=160, description="'{locality}' is replaced by the locality's name")
    kind: SettingKind
    need: Need
    designations: frozenset[Need] = Field(min_length=1)
    ncy_min: NcyField
    ncy_max: NcyField
    places: int = Field(gt=0, le=MAX_PLACES)
    years_from_base: YearsFromBase = 2
    capital_cost: float = Field(default=0.0, ge=0, le=MAX_CAPITAL_GBP)
    cost_per_place: int | None = Field(default=None, ge=0, le=MAX_COST_PER_PLACE)
    hosted: bool = Field(default=False, description="Hosted by a mainstream school in that locality")

    @model_validator(mode="after")
    def _ages(self) -> OpenWhereNeeded:
        if self.ncy_min > self.ncy_max:
            raise ValueError(f"ncy_min: {self.ncy_min} is above ncy_max ({self.ncy_max})")
        return self


FittingEdit = ExpandChosen | ReduceChosen | CloseChosen | RedesignateChosen | OpenWhereNeeded
FITTING_OPS = ("expand_chosen", "reduce_chosen", "close_chosen", "redesignate_chosen", "open_where_needed")


# ----------------------------------------------------------------------------------------------------------------
# Choosing


def _candidates(instance: Instance, pick: Pick) -> list[Setting]:
    """The council's own open settings matching the pick (annexes added by edits are not candidates)."""
    from planner.sufficiency import is_out_of_area

    found = []
    for setting in instance.settings:
        if setting.kind not in pick.kinds or is_out_of_area(setting, instance) or setting.closes_year is not None:
            continue
        if ":" in setting.id or (pick.need is not None and pick.need not in setting.designations):
            continue
        if pick.ncy is not None and not setting.ncy_min <= pick.ncy <= setting.ncy_max:
            continue
        found.append(setting)
    return found


def out_of_area_learners(instance: Instance, need: Need | None) -> list[Learner]:
    """Learners (of the need, or all) whose current setting is out of area."""
    from planner.sufficiency import is_out_of_area

    settings = instance.setting_by_id
    return [
        learner
        for learner in instance.learners
        if (need is None or learner.primary_need == need)
        and learner.current_setting_id in settings
        and is_out_of_area(settings[learner.current_setting_id], instance)
    ]


def _nearest(items: Sequence[Any], point: Any, where: Any) -> Any:
    return min(items, key=lambda item: (where(item).distance_km(point), item.id))


def choose(instance: Instance, pick: Pick) -> list[Setting]:
    """The settings a pick names, best first; DoesNotFit when the council has none."""
    found = _candidates(instance, pick)
    if not found:
        raise DoesNotFit(f"no {pick.describe()} in this council")
    if pick.rank == "most_out_of_area":
        counts: Counter[str] = Counter(
            _nearest(found, learner.home, lambda s: s.location).id
            for learner in out_of_area_learners(instance, pick.need)
        )
        found.sort(key=lambda s: (-counts[s.id], -s.capacity, s.id))
    else:
        sign = -1 if pick.rank == "largest" else 1
        found.sort(key=lambda s: (sign * s.capacity, s.id))
    return found if pick.every else found[:1]


def _home_locality(learner: Learner, localities: Sequence[Locality]) -> str:
    if learner.locality_id is not None and any(loc.id == learner.locality_id for loc in localities):
        return learner.locality_id
    return str(_nearest(localities, learner.home, lambda loc: loc.centroid).id)


def locality_most_in_need(instance: Instance, need: Need) -> Locality:
    """The in-area locality with most learners of `need` placed out of area (of that need at all when none is)."""
    localities = [loc for loc in instance.localities if loc.in_area]
    if not localities:
        raise DoesNotFit("no in-area locality in this council to open a setting in")
    learners: Iterable[Learner] = out_of_area_learners(instance, need) or [
        lr for lr in instance.learners if lr.primary_need == need
    ]
    counts = Counter(_home_locality(learner, localities) for learner in learners)
    return min(localities, key=lambda loc: (-counts[loc.id], loc.id))


def _host(instance: Instance, locality: Locality, edit: OpenWhereNeeded) -> Setting:
    """The largest in-area mainstream school of the locality whose ages cover the new setting's; the nearest such
    school to the locality's centre when the locality has none."""
    from planner.sufficiency import is_out_of_area

    hosts = [
        s
        for s in instance.settings
        if s.kind is SettingKind.MAINSTREAM
        and s.closes_year is None
        and s.ncy_min <= edit.ncy_min
        and s.ncy_max >= edit.ncy_max
        and not is_out_of_area(s, instance)
    ]
    if not hosts:
        raise DoesNotFit(
            f"no mainstream school taking NCY {edit.ncy_min}-{edit.ncy_max} to host a {KIND_LABELS[edit.kind]}"
        )
    local = [s for s in hosts if s.locality_id == locality.id]
    if local:
        return min(local, key=lambda s: (-s.capacity, s.id))
    return _nearest(hosts, locality.centroid, lambda s: s.location)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------------------------
# Resolving into ordinary edits


def _amount(setting: Setting, places: int | None, percent: float | None) -> int:
    return places if places is not None else max(1, round(setting.capacity * (percent or 0.0) / 100))


def _annex(setting: Setting, annex_id: str, ncy_from: int, year: int, places: int, capital: float) -> dict[str, Any]:
    """Places at a setting for ages `ncy_from` up, as a setting it hosts (what_if's add_setting)."""
    return {
        "op": "add_setting",
        "id": annex_id,
        "name": f"{setting.name} (NCY {ncy_from}+ places from {year})",
        "kind": setting.kind.value,
        "designations": sorted(n.value for n in setting.designations),
        "ncy_min": ncy_from,
        "ncy_max": max(ncy_from, setting.ncy_max),
        "places": places,
        "opens_year": year,
        "capital_cost": capital,
        "cost_per_place": setting.cost_per_place or None,
        "location": setting.location.model_dump(),
        "locality_id": setting.locality_id,
        "host_setting_id": setting.id,
    }


def _expand(instance: Instance, edit: ExpandChosen, taken: set[str]) -> list[dict[str, Any]]:
    """Expansions of the chosen settings; a setting already expanded that year by an earlier edit (two picks
    choosing the same school) gets a second annex of its own rather than what_if's 'same change twice'."""
    year = instance.base_year + edit.years_from_base
    edits = []
    chosen = choose(instance, edit.pick)
    if edit.ncy_from is not None:  # an annex is a setting of its own: it needs the host's designations
        chosen = [s for s in chosen if s.designations or not s.kind.is_specialist]
        if not chosen:
            raise DoesNotFit(f"no {edit.pick.describe()} with a designation to give its NCY {edit.ncy_from}+ places")
    for setting in chosen:
        places = _amount(setting, edit.places, edit.percent)
        capital = places * edit.capital_per_place
        plain_id = f"{setting.id}:exp{year}"
        if edit.ncy_from is None and plain_id not in taken:
            taken.add(plain_id)
            edits.append(
                {
                    "op": "expand_places",
                    "setting_id": setting.id,
                    "places": places,
                    "from_year": year,
                    "capital_cost": capital,
                }
            )
            continue
        ncy_from = setting.ncy_min if edit.ncy_from is None else edit.ncy_from
        annex_id = f"{setting.id}:ncy{ncy_from}-{year}"
        suffix = 2
        while annex_id in taken:
            annex_id, suffix = f"{setting.id}:ncy{ncy_from}-{year}-{suffix}", suffix + 1
        taken.add(annex_id)
        edits.append(_annex(setting, annex_id, ncy_from, year, places, capital))
    return edits


def _open(instance: Instance, edit: OpenWhereNeeded) -> list[dict[str, Any]]:
    locality = locality_most_in_need(instance, edit.need)
    host = _host(instance, locality, edit) if edit.hosted else None
    return [
        {
            "op": "add_setting",
            "id": edit.id,
            "name": edit.name.replace("{locality}", locality.name)[:200],
            "kind": edit.kind.value,
            "designations": sorted(n.value for n in edit.designations),
            "ncy_min": edit.ncy_min,
            "ncy_max": edit.ncy_max,
            "places": edit.places,
            "opens_year": instance.base_year + edit.years_from_base,
            "capital_cost": edit.capital_cost,
            "cost_per_place": edit.cost_per_place,
            "locality_id": host.locality_id if host else locality.id,
            **({"host_setting_id": host.id, "location": host.location.model_dump()} if host else {}),
        }
    ]


def resolve(instance: Instance, edit: FittingEdit, taken: set[str] | None = None) -> list[dict[str, Any]]:
    """The ordinary edits (scenarios.what_if) a fitting edit stands for on this council; DoesNotFit otherwise.
    `taken`: annex ids earlier edits of the same scenario have used (updated)."""
    year = instance.base_year + edit.years_from_base if not isinstance(edit, RedesignateChosen) else 0
    if isinstance(edit, ExpandChosen):
        return _expand(instance, edit, set() if taken is None else taken)
    if isinstance(edit, OpenWhereNeeded):
        return _open(instance, edit)
    if isinstance(edit, ReduceChosen):
        return [
            {
                "op": "reduce_places",
                "setting_id": s.id,
                "places": min(s.capacity, _amount(s, edit.places, edit.percent)),
                "from_year": year,
            }
            for s in choose(instance, edit.pick)
        ]
    if isinstance(edit, CloseChosen):
        return [{"op": "close_setting", "setting_id": s.id, "year": year} for s in choose(instance, edit.pick)]
    return [
        {
            "op": "redesignate",
            "setting_id": s.id,
            "add": sorted(n.value for n in edit.add),
            "remove": sorted(n.value for n in edit.remove - (edit.remove - s.designations)),
            **({"ncy_min": edit.ncy_min} if edit.ncy_min is not None else {}),
            **({"ncy_max": edit.ncy_max} if edit.ncy_max is not None else {}),
        }
        for s in choose(instance, edit.pick)
    ]
