"""What-if edits: ordered, pure transforms of an Instance, validated with errors naming the edit and the field.

Why pure transforms: a scenario is its base plus a list of edits, so it can be re-applied to a refreshed base, kept
with its lineage (a parent's edits first), compared with its siblings and stored as plain JSON/YAML.

Time-varying places without changing `Setting`: a setting has one capacity plus opens/closes years (what
sufficiency reads through `Setting.is_open_in`). So
- "expand by N from year Y" adds an *annex* record: same kind, designations, ages and site, N places,
  `opens_year=Y`, `status=proposed`, `host_setting_id` = the original; id `<original>:exp<Y>`;
- "reduce by N from year Y" lowers the original's capacity by N and adds an annex with those N places that
  *closes* in Y (id `<original>:red<Y>`), so the total is unchanged before Y and N lower from Y, and learners
  placed at the original keep their placement record.
Capital spent by edits is recorded in `instance.metadata["scenario_capital"]` (setting, year, GBP), and edits that
change run parameters (the forecast's demand levers, journey limits, cost scales) come back as parameter overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from planner.domain.codes import DEFAULT_COST_PER_PLACE, NCY_MAX, NCY_MIN, Need, Phase, SettingKind, SettingStatus
from planner.domain.models import MAX_COST_PER_PLACE, MAX_PLACES, Instance, InstanceIntegrityError, Point, Setting
from scenarios.fitting import (
    FITTING_OPS,
    CloseChosen,
    DoesNotFit,
    ExpandChosen,
    FittingEdit,
    OpenWhereNeeded,
    RedesignateChosen,
    ReduceChosen,
    resolve,
)

Year = Annotated[int, Field(ge=2000, le=2100, description="Academic year (2027 = 2027/28)")]
NcyField = Annotated[int, Field(ge=NCY_MIN, le=NCY_MAX)]
# GBP 10 bn: above any council's whole capital programme (issue 18: every number a client sends is bounded)
MAX_CAPITAL_GBP = 10_000_000_000


class ScenarioEditError(ValueError):
    """A bad edit: `index` is its position in the (lineage-expanded) edit list, `field` the offending field."""

    def __init__(self, index: int, field: str, message: str, op: str | None = None) -> None:
        self.index = index
        self.field = field
        self.op = op
        label = f"edit {index}" + (f" ({op})" if op else "")
        super().__init__(f"{label}: {field}: {message}")


class ScenarioDoesNotFit(ScenarioEditError):
    """An edit that fits any council (scenarios.fitting) found nothing to choose here: `reason` says what is missing."""

    def __init__(self, index: int, op: str, reason: str) -> None:
        self.reason = reason
        super().__init__(index, "pick", f"does not fit: {reason}", op=op)


class _Edit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AddSetting(_Edit):
    """Open a new setting (a new special school, a resourced provision in a mainstream school, an SPI)."""

    op: Literal["add_setting"]
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: SettingKind
    designations: frozenset[Need] = frozenset()
    ncy_min: NcyField
    ncy_max: NcyField
    places: int = Field(gt=0, le=MAX_PLACES, description="Commissioned places when open")
    opens_year: Year
    capital_cost: float = Field(default=0.0, ge=0, le=MAX_CAPITAL_GBP,
                                description="GBP capital, spent in the year before opening")
    cost_per_place: int | None = Field(default=None, ge=0, le=MAX_COST_PER_PLACE,
                                       description="Annual GBP; default by kind")
    location: Point | None = Field(default=None, description="Site; default: the locality's centroid")
    locality_id: str | None = None
    host_setting_id: str | None = None
    in_area: bool = True

    @model_validator(mode="after")
    def _ages(self) -> AddSetting:
        if self.ncy_min > self.ncy_max:
            raise ValueError(f"ncy_min: {self.ncy_min} is above ncy_max ({self.ncy_max})")
        return self


class ExpandPlaces(_Edit):
    """Add places to an existing setting from an academic year (an annex record opening that year)."""

    op: Literal["expand_places"]
    setting_id: str
    places: int = Field(gt=0, le=MAX_PLACES)
    from_year: Year
    capital_cost: float = Field(default=0.0, ge=0, le=MAX_CAPITAL_GBP)


class ReducePlaces(_Edit):
    """Take places away from an existing setting from an academic year."""

    op: Literal["reduce_places"]
    setting_id: str
    places: int = Field(gt=0, le=MAX_PLACES)
    from_year: Year


class Redesignate(_Edit):
    """Change the needs a setting is designated for (replace the set, or add/remove), optionally its age range."""

    op: Literal["redesignate"]
    setting_id: str
    designations: frozenset[Need] | None = None
    add: frozenset[Need] = frozenset()
    remove: frozenset[Need] = frozenset()
    ncy_min: NcyField | None = None
    ncy_max: NcyField | None = None


class CloseSetting(_Edit):
    """Close a setting from an academic year (no places from then on)."""

    op: Literal["close_setting"]
    setting_id: str
    year: Year


class ChangeRates(_Edit):
    """Change the forecast's demand levers: scale joiner (new plan) rates for all needs, one need and/or one phase;
    grow joiner rates every year (all needs); cap the caseload's yearly growth (all needs)."""

    op: Literal["change_rates"]
    joiner_scale: float | None = Field(default=None, gt=0, le=10, description="Multiply joiner rates")
    growth_rate: float | None = Field(default=None, ge=-0.5, le=0.5,
                                      description="Compound yearly growth of joiner rates, 0.05 = +5% a year")
    growth_cap: float | None = Field(default=None, ge=0, le=1, description="Most the caseload grows in a year")
    need: Need | None = None
    phase: Phase | None = None

    @model_validator(mode="after")
    def _something(self) -> ChangeRates:
        if self.joiner_scale is None and self.growth_rate is None and self.growth_cap is None:
            raise ValueError("joiner_scale: give joiner_scale, growth_rate or growth_cap")
        if (self.growth_rate is not None or self.growth_cap is not None) and (self.need or self.phase):
            field = "growth_rate" if self.growth_rate is not None else "growth_cap"
            raise ValueError(f"{field}: the forecast grows (and caps) the caseload for all needs together; "
                             "drop need/phase, or scale that need's or phase's joiners with joiner_scale")
        return self


class ShiftPlacements(_Edit):
    """From a year, place a fraction of those going into one setting kind in another instead (at the given NCYs,
    default the phase transfers), e.g. half as many independent placements at transition points."""

    op: Literal["shift_placements"]
    from_year: Year
    from_kind: SettingKind
    to_kind: SettingKind
    fraction: float = Field(gt=0, le=1)
    ncys: list[NcyField] | None = Field(default=None, description="NCYs moved into; default 0, 7, 12")

    @model_validator(mode="after")
    def _different(self) -> ShiftPlacements:
        if self.from_kind == self.to_kind:
            raise ValueError(f"to_kind: same as from_kind ({self.from_kind.value})")
        return self


class ChangeJourneyLimits(_Edit):
    """Set the longest acceptable one-way journey (minutes) per phase (DfE: 45 primary best practice)."""

    op: Literal["change_journey_limits"]
    limits: dict[Phase, Annotated[int, Field(le=600)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _positive(self) -> ChangeJourneyLimits:
        for phase, minutes in self.limits.items():
            if minutes <= 0:
                raise ValueError(f"limits.{phase.value}: must be > 0 minutes, got {minutes}")
        return self


class ChangeCosts(_Edit):
    """Change the annual cost per place: of one setting, or of every setting of a kind (absolute or scaled)."""

    op: Literal["change_costs"]
    setting_id: str | None = None
    kind: SettingKind | None = None
    cost_per_place: int | None = Field(default=None, ge=0, le=MAX_COST_PER_PLACE)
    scale: float | None = Field(default=None, gt=0, le=10)

    @model_validator(mode="after")
    def _target(self) -> ChangeCosts:
        if (self.setting_id is None) == (self.kind is None):
            raise ValueError("setting_id: give exactly one of setting_id or kind")
        if (self.cost_per_place is None) == (self.scale is None):
            raise ValueError("cost_per_place: give exactly one of cost_per_place or scale")
        return self


Edit = Annotated[
    AddSetting | ExpandPlaces | ReducePlaces | Redesignate | CloseSetting | ChangeRates | ShiftPlacements
    | ChangeJourneyLimits | ChangeCosts | ExpandChosen | ReduceChosen | CloseChosen | RedesignateChosen
    | OpenWhereNeeded,
    Field(discriminator="op"),
]
EDIT_ADAPTER: TypeAdapter[Edit] = TypeAdapter(Edit)
EDIT_OPS = ("add_setting", "expand_places", "reduce_places", "redesignate", "close_setting", "change_rates",
            "shift_placements", "change_journey_limits", "change_costs", *FITTING_OPS)


def parse_edit(index: int, raw: Any) -> Edit:
    """Validate one raw edit; ScenarioEditError names the index and the first offending field."""
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        raise ScenarioEditError(index, "op", f"an edit must be a mapping with an 'op', got {type(raw).__name__}")
    op = raw.get("op")
    if op not in EDIT_OPS:
        raise ScenarioEditError(index, "op", f"unknown edit {op!r}: expected one of {', '.join(EDIT_OPS)}")
    try:
        return EDIT_ADAPTER.validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"] if str(part) != op]
        field = ".".join(location)
        message = first["msg"].removeprefix("Value error, ")
        if not field:  # a rule across fields: its message starts with the field to blame
            field, _, message = message.partition(": ")
        raise ScenarioEditError(index, field, message, op=op) from None


def parse_edits(raw_edits: Sequence[Any]) -> list[Edit]:
    return [parse_edit(i, raw) for i, raw in enumerate(raw_edits)]


def resolve_fitting(base: Instance, parsed: Sequence[Edit]) -> list[tuple[int, Edit]]:
    """Each edit with its index, edits that fit any council (scenarios.fitting) replaced by the ordinary edits they
    stand for on `base`; a council they do not fit is a ScenarioEditError on `pick` saying why."""
    steps: list[tuple[int, Edit]] = []
    taken: set[str] = set()
    for index, edit in enumerate(parsed):
        if not isinstance(edit, FittingEdit):
            steps.append((index, edit))
            continue
        try:
            steps.extend((index, parse_edit(index, raw)) for raw in resolve(base, edit, taken))
        except DoesNotFit as error:
            raise ScenarioDoesNotFit(index, edit.op, error.reason) from None
    return steps


def does_not_fit(base: Instance, edits: Sequence[Any]) -> str | None:
    """Why a scenario's edits cannot apply to this council ('does not fit: no pupil referral unit or AP in this
    council (edit 1, reduce_chosen)'), or None when they apply (every edit resolved and applied)."""
    try:
        materialise(base, edits)
    except ScenarioDoesNotFit as error:
        return f"does not fit: {error.reason} (edit {error.index + 1}, {error.op})"
    except ScenarioEditError as error:
        return f"does not fit: {error}"
    return None


def _setting(instance: Instance, settings: dict[str, Setting], index: int, op: str, setting_id: str) -> Setting:
    if setting_id not in settings:
        raise ScenarioEditError(index, "setting_id", f"unknown setting {setting_id!r}", op=op)
    return settings[setting_id]


def _rebuild(setting: Setting, index: int, op: str, field: str, changes: dict[str, Any]) -> Setting:
    """A validated copy of a setting with some fields changed (model_copy would skip validation)."""
    data = {name: getattr(setting, name) for name in type(setting).model_fields}
    data.update(changes)
    try:
        return Setting.model_validate(data)
    except ValidationError as error:
        message = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ScenarioEditError(index, field, message, op=op) from None


def _new_id(settings: dict[str, Setting], index: int, op: str, wanted: str) -> str:
    if wanted in settings:
        raise ScenarioEditError(index, "setting_id", f"setting {wanted!r} already exists (same change twice?)", op=op)
    return wanted


def materialise(base: Instance, edits: Sequence[Any]) -> tuple[Instance, dict[str, Any]]:
    """Apply ordered edits to `base` (untouched) and return the new instance and run-parameter overrides.

    Overrides (the forecast's levers, see planner.forecast.levers): `joiner_rate_scale` keyed "*", "NEED",
    "NEED/phase" or "*/phase"; `growth_rate` and `growth_cap` (all needs); `move_shifts` (shift_placements edits);
    `journey_limits` {phase: minutes}; and `cost_changes` (a log of the cost edits, already applied to the settings).
    """
    parsed = [parse_edit(i, raw) for i, raw in enumerate(edits)]
    steps = resolve_fitting(base, parsed)
    settings: dict[str, Setting] = {s.id: s for s in base.settings}
    capital: list[dict[str, Any]] = list(base.metadata.get("scenario_capital", []))
    overrides: dict[str, Any] = {}
    first_year = base.base_year

    def check_year(index: int, op: str, field: str, year: int) -> None:
        if year < first_year:
            raise ScenarioEditError(index, field, f"{year} is before the base year {first_year}", op=op)

    for index, edit in steps:
        op = edit.op
        if isinstance(edit, AddSetting):
            new_id = _new_id(settings, index, op, edit.id)
            check_year(index, op, "opens_year", edit.opens_year)
            if edit.locality_id is not None and edit.locality_id not in base.locality_by_id:
                raise ScenarioEditError(index, "locality_id", f"unknown locality {edit.locality_id!r}", op=op)
            if edit.host_setting_id is not None and edit.host_setting_id not in settings:
                raise ScenarioEditError(index, "host_setting_id", f"unknown setting {edit.host_setting_id!r}", op=op)
            if edit.kind.is_specialist and edit.kind is not SettingKind.PRU_AP and not edit.designations:
                raise ScenarioEditError(index, "designations", "a specialist setting needs at least one need", op=op)
            location = edit.location
            if location is None:
                if edit.locality_id is None:
                    raise ScenarioEditError(index, "location", "give a location or a locality_id", op=op)
                location = base.locality_by_id[edit.locality_id].centroid
            settings[new_id] = Setting(
                id=new_id, name=edit.name, kind=edit.kind, designations=edit.designations, ncy_min=edit.ncy_min,
                ncy_max=edit.ncy_max, capacity=edit.places,
                cost_per_place=edit.cost_per_place if edit.cost_per_place is not None
                else DEFAULT_COST_PER_PLACE[edit.kind],
                location=location, locality_id=edit.locality_id, in_area=edit.in_area,
                status=SettingStatus.PROPOSED, opens_year=edit.opens_year, host_setting_id=edit.host_setting_id,
            )
            if edit.capital_cost:
                capital.append({"setting_id": new_id, "academic_year": max(first_year, edit.opens_year - 1),
                                "amount": edit.capital_cost, "edit_index": index})
        elif isinstance(edit, ExpandPlaces):
            original = _setting(base, settings, index, op, edit.setting_id)
            check_year(index, op, "from_year", edit.from_year)
            if original.closes_year is not None and edit.from_year >= original.closes_year:
                raise ScenarioEditError(index, "from_year",
                                        f"setting {original.id} closes in {original.closes_year}", op=op)
            annex_id = _new_id(settings, index, op, f"{original.id}:exp{edit.from_year}")
            settings[annex_id] = _rebuild(original, index, op, "from_year", {
                "id": annex_id, "name": f"{original.name} (expansion from {edit.from_year})",
                "capacity": edit.places, "capacity_by_phase": {}, "status": SettingStatus.PROPOSED,
                "opens_year": max(edit.from_year, original.opens_year or edit.from_year),
                "host_setting_id": original.id, "urn": None,
            })
            if edit.capital_cost:
                capital.append({"setting_id": annex_id, "academic_year": max(first_year, edit.from_year - 1),
                                "amount": edit.capital_cost, "edit_index": index})
        elif isinstance(edit, ReducePlaces):
            original = _setting(base, settings, index, op, edit.setting_id)
            check_year(index, op, "from_year", edit.from_year)
            if edit.places > original.capacity:
                raise ScenarioEditError(index, "places",
                                        f"cannot remove {edit.places} places: {original.id} has {original.capacity}",
                                        op=op)
            if any(p > original.capacity - edit.places for p in original.capacity_by_phase.values()):
                raise ScenarioEditError(index, "places", f"{original.id} has per-phase caps above the reduced total",
                                        op=op)
            annex_id = _new_id(settings, index, op, f"{original.id}:red{edit.from_year}")
            settings[original.id] = _rebuild(original, index, op, "places",
                                             {"capacity": original.capacity - edit.places})
            if edit.from_year > first_year and (original.opens_year or first_year) < edit.from_year:
                settings[annex_id] = _rebuild(original, index, op, "from_year", {
                    "id": annex_id, "name": f"{original.name} (places ending {edit.from_year})",
                    "capacity": edit.places, "capacity_by_phase": {}, "status": SettingStatus.CLOSING,
                    "closes_year": edit.from_year if original.closes_year is None
                    else min(edit.from_year, original.closes_year),
                    "host_setting_id": original.id, "urn": None,
                })
        elif isinstance(edit, Redesignate):
            original = _setting(base, settings, index, op, edit.setting_id)
            designations = set(edit.designations if edit.designations is not None else original.designations)
            designations |= edit.add
            missing = edit.remove - designations
            if missing:
                raise ScenarioEditError(index, "remove", f"{original.id} is not designated for "
                                        f"{', '.join(sorted(n.value for n in missing))}", op=op)
            designations -= edit.remove
            if original.kind.is_specialist and original.kind is not SettingKind.PRU_AP and not designations:
                raise ScenarioEditError(index, "designations", "a specialist setting needs at least one need", op=op)
            ncy_min = original.ncy_min if edit.ncy_min is None else edit.ncy_min
            ncy_max = original.ncy_max if edit.ncy_max is None else edit.ncy_max
            if ncy_min > ncy_max:
                raise ScenarioEditError(index, "ncy_min", f"ncy_min ({ncy_min}) is above ncy_max ({ncy_max})", op=op)
            # The setting and its own annexes (expansions, ending places) change together.
            for sid in [original.id] + [s.id for s in settings.values() if s.host_setting_id == original.id
                                        and s.kind == original.kind and ":" in s.id]:
                settings[sid] = _rebuild(settings[sid], index, op, "ncy_min", {
                    "designations": frozenset(designations), "ncy_min": ncy_min, "ncy_max": ncy_max,
                })
        elif isinstance(edit, CloseSetting):
            original = _setting(base, settings, index, op, edit.setting_id)
            check_year(index, op, "year", edit.year)
            if original.opens_year is not None and edit.year <= original.opens_year:
                raise ScenarioEditError(index, "year", f"{original.id} only opens in {original.opens_year}", op=op)
            for sid in [original.id] + [s.id for s in settings.values() if s.host_setting_id == original.id]:
                current = settings[sid]
                if current.opens_year is not None and current.opens_year >= edit.year:
                    del settings[sid]  # an expansion that would open after the closure never happens
                    continue
                closes = edit.year if current.closes_year is None else min(edit.year, current.closes_year)
                settings[sid] = _rebuild(current, index, op, "year",
                                         {"closes_year": closes, "status": SettingStatus.CLOSING})
        elif isinstance(edit, ChangeRates):
            key = "*" if edit.need is None else edit.need.value
            if edit.phase is not None:
                key = f"{key}/{edit.phase.value}"
            if edit.joiner_scale is not None:
                scales = overrides.setdefault("joiner_rate_scale", {})
                scales[key] = scales.get(key, 1.0) * edit.joiner_scale
            if edit.growth_rate is not None:
                overrides["growth_rate"] = edit.growth_rate
            if edit.growth_cap is not None:
                overrides["growth_cap"] = edit.growth_cap
        elif isinstance(edit, ShiftPlacements):
            check_year(index, op, "from_year", edit.from_year)
            overrides.setdefault("move_shifts", []).append({
                "from_year": edit.from_year, "from_kind": edit.from_kind.value, "to_kind": edit.to_kind.value,
                "fraction": edit.fraction, **({"ncys": list(edit.ncys)} if edit.ncys is not None else {})})
        elif isinstance(edit, ChangeJourneyLimits):
            overrides.setdefault("journey_limits", {}).update({p.value: m for p, m in edit.limits.items()})
        elif isinstance(edit, ChangeCosts):
            if edit.setting_id is not None:
                targets = [_setting(base, settings, index, op, edit.setting_id)]
            else:
                targets = [s for s in settings.values() if s.kind == edit.kind]
                if not targets:
                    raise ScenarioEditError(index, "kind", f"no setting of kind {edit.kind} to change", op=op)
            for target in targets:
                new_cost = edit.cost_per_place if edit.cost_per_place is not None \
                    else int(round(target.cost_per_place * (edit.scale or 1.0)))
                settings[target.id] = _rebuild(target, index, op, "cost_per_place", {"cost_per_place": new_cost})
            overrides.setdefault("cost_changes", []).append(edit.model_dump(mode="json", exclude_none=True))

    metadata = dict(base.metadata)
    if capital:
        metadata["scenario_capital"] = capital
    try:
        result = base.replace(settings=tuple(settings.values()), metadata=metadata)
    except InstanceIntegrityError as error:
        problem = error.problems[0]
        raise ScenarioEditError(len(parsed) - 1, problem.field, f"the edited instance is inconsistent: {error}") \
            from None
    return result, overrides


def capital_by_year(instance: Instance) -> dict[int, float]:
    """Capital spent by scenario edits, per academic year (GBP)."""
    totals: dict[int, float] = {}
    for entry in instance.metadata.get("scenario_capital", []):
        year = int(entry["academic_year"])
        totals[year] = totals.get(year, 0.0) + float(entry["amount"])
    return totals


# Run kinds whose parameters take the overrides exactly as `materialise` returns them.
KINDS_TAKING_ALL_OVERRIDES = frozenset({"scenario", "expansion"})


def run_parameters(kind: str, instance: Instance, overrides: dict[str, Any],
                   requested: dict[str, Any]) -> dict[str, Any]:
    """A run's parameters on a scenario: its overrides mapped onto what the run kind takes, under the request's.

    Scenario and expansion runs take every override. A forecast takes the demand levers, a sufficiency run the
    levers (as its forecast) and the journey limits, a placement round the journey limits; a transitions plan
    takes none. The request's own parameters always win, field by field.
    """
    if kind in KINDS_TAKING_ALL_OVERRIDES:
        return {**overrides, **requested}
    from planner.forecast.levers import forecast_parameters, parse_levers
    from planner.forecast.simulation import ForecastParameters

    lever_keys = ("joiner_rate_scale", "growth_rate", "growth_cap", "move_shifts")
    levers = {key: overrides[key] for key in lever_keys if key in overrides}
    journey = overrides.get("journey_limits")
    parameters = dict(requested)

    def forecast_with_levers(given: dict[str, Any]) -> dict[str, Any]:
        base = ForecastParameters.model_validate(given)
        return forecast_parameters(instance, base, parse_levers(levers)).model_dump(mode="json")

    if kind == "forecast" and levers:
        return forecast_with_levers(parameters)
    if kind == "sufficiency":
        if levers:
            parameters["forecast"] = forecast_with_levers(dict(parameters.get("forecast", {})))
        if journey is not None:
            parameters.setdefault("journey_limit_minutes", journey)
    if kind == "placement" and journey is not None:
        parameters.setdefault("journey_limit_minutes", journey)
    return parameters
