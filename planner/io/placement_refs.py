"""The placements a SEN2 return names, resolved against the council's settings: nobody is lost on the way.

A return names each child's placement by GIAS URN (schools), UKPRN (colleges and other post-16 providers) or, when
no setting is named, a SENsetting code (home education, EOTAS, awaiting a place...), with indicators for a SEN
unit or resourced provision in the named school (DfE SEN2 2025 guide, module 5 placement detail: URN, UKPRN,
SENsetting, SENunitIndicator, ResourcedProvisionIndicator). Resolution, in order:

1. a SEN unit / resourced provision indicator picks the school's base (`<URN>-UNIT` / `<URN>-RP`) when the council's
   GIAS extract gave it one, else the school itself with a warning (the base has no places recorded);
2. a URN or UKPRN found among the instance's settings (a wider GIAS extract imported with `--la-code` holds other
   LAs' settings as out of area) is the current setting;
3. a URN or UKPRN not found is **kept**: an out-of-area setting record is created (`in_area=False`) so the child
   counts as placed out of area in sufficiency and stays put in placement; a URN is assumed an independent or
   non-maintained special school (where most out-of-area URNs outside a council's extract are), a UKPRN an FE
   college, a base indicator a unit or resourced provision; each such record is a warning naming the URN/UKPRN;
   its places are the children placed there (so a round never proposes it to anyone else) and its location is
   the mean of their homes (no address is known);
4. a SENsetting code is kept on the learner as its `arrangement` (placement rounds leave home education and other
   arrangements alone and place those awaiting a place).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from planner.domain.codes import DEFAULT_COST_PER_PLACE, NCY_MAX, NCY_MIN, Arrangement, SettingKind
from planner.domain.models import Learner, Point, Setting


class PlacementReference(Protocol):
    """What a return says of one placement (planner.io.sen2.model.PlacementRef has these fields)."""

    urn: int | None
    ukprn: int | None
    sen_setting: str | None
    sen_unit: bool
    resourced_provision: bool


@dataclass
class ResolvedPlacements:
    """Learners with their current setting or arrangement, the out-of-area records created, and warnings."""

    learners: list[Learner]
    new_settings: list[Setting]
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _base_id(ref: PlacementReference, settings: Mapping[str, Setting], warnings: list[str]) -> str | None:
    """The SEN unit / resourced provision base of the named school, or the school when it has none recorded."""
    suffix = "-UNIT" if ref.sen_unit else "-RP"
    base = f"{ref.urn}{suffix}"
    if base in settings:
        return base
    other = f"{ref.urn}{'-RP' if ref.sen_unit else '-UNIT'}"
    if other in settings:
        warnings.append(f"URN {ref.urn}: the return says {'SEN unit' if ref.sen_unit else 'resourced provision'}, "
                        f"the GIAS extract has only {other}: used that")
        return other
    if str(ref.urn) in settings:
        warnings.append(f"URN {ref.urn}: the return names its {'SEN unit' if ref.sen_unit else 'resourced provision'}"
                        " but the GIAS extract gives the school no such base: placed at the school (set the base's "
                        "places with `placeplan settings set`)")
        return str(ref.urn)
    return None


def _lookup(ref: PlacementReference, settings: Mapping[str, Setting], by_ukprn: Mapping[int, str],
            warnings: list[str]) -> str | None:
    if ref.urn is not None and (ref.sen_unit or ref.resourced_provision):
        return _base_id(ref, settings, warnings)
    if ref.urn is not None:
        return str(ref.urn) if str(ref.urn) in settings else None
    if ref.ukprn is not None:
        return by_ukprn.get(ref.ukprn)
    return None


def _stub_id(ref: PlacementReference) -> str:
    if ref.urn is not None:
        return str(ref.urn) + ("-UNIT" if ref.sen_unit else "-RP" if ref.resourced_provision else "")
    return f"UKPRN-{ref.ukprn}"


def _stub_kind(ref: PlacementReference) -> SettingKind:
    if ref.urn is None:
        return SettingKind.FE_COLLEGE  # a UKPRN without a URN: a college or other post-16 provider
    if ref.sen_unit:
        return SettingKind.SEN_UNIT
    if ref.resourced_provision:
        return SettingKind.RESOURCED_PROVISION
    return SettingKind.INDEPENDENT_SPECIAL


def _stub(stub_id: str, ref: PlacementReference, learners: Sequence[Learner]) -> Setting:
    """An out-of-area record for a setting the council's extract does not hold, sized to the children there."""
    kind = _stub_kind(ref)
    east = sum(x.home.easting for x in learners) / len(learners)
    north = sum(x.home.northing for x in learners) / len(learners)
    label = f"URN {ref.urn}" if ref.urn is not None else f"UKPRN {ref.ukprn}"
    return Setting(
        id=stub_id, name=f"Out-of-area setting {label} (not in the GIAS extract)", kind=kind,
        ncy_min=NCY_MIN, ncy_max=NCY_MAX, capacity=len(learners), cost_per_place=DEFAULT_COST_PER_PLACE[kind],
        location=Point(easting=round(east, -2), northing=round(north, -2)), in_area=False,
        urn=ref.urn, ukprn=ref.ukprn,
    )


def resolve_placements(learners: Sequence[Learner], refs: Mapping[str, PlacementReference],
                       settings: Sequence[Setting]) -> ResolvedPlacements:
    """Each learner's current setting (or arrangement) from its placement reference; see the module docstring."""
    by_id = {s.id: s for s in settings}
    by_ukprn = {s.ukprn: s.id for s in settings if s.ukprn is not None}
    warnings: list[str] = []
    found: dict[str, str] = {}
    missing: dict[str, list[Learner]] = defaultdict(list)
    missing_ref: dict[str, PlacementReference] = {}
    arrangements: dict[str, Arrangement] = {}
    for learner in learners:
        ref = refs.get(learner.id)
        if ref is None:
            continue
        if ref.urn is None and ref.ukprn is None:
            if ref.sen_setting:
                arrangements[learner.id] = Arrangement(ref.sen_setting)
            continue
        setting_id = _lookup(ref, by_id, by_ukprn, warnings)
        if setting_id is not None:
            found[learner.id] = setting_id
            continue
        stub_id = _stub_id(ref)
        missing[stub_id].append(learner)
        missing_ref[stub_id] = ref
        found[learner.id] = stub_id
    new_settings = [_stub(stub_id, missing_ref[stub_id], members) for stub_id, members in sorted(missing.items())]
    for stub in new_settings:
        warnings.append(f"{stub.name}: kept as an out-of-area {stub.kind.value.replace('_', ' ')} with "
                        f"{stub.capacity} learner(s) (type assumed; import a GIAS extract that holds it, with "
                        "`placeplan import gias FILE --la-code CODE`, to type and locate it)")
    resolved = [learner.model_copy(update={"current_setting_id": found.get(learner.id),
                                           "arrangement": arrangements.get(learner.id)})
                for learner in learners]
    counts = {"placed": len(found), "out_of_area_records": len(new_settings),
              "learners_in_new_records": sum(len(m) for m in missing.values()),
              "arrangements": len(arrangements)}
    return ResolvedPlacements(resolved, new_settings, warnings, counts)
