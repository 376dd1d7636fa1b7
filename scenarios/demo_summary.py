"""Figures that describe a generated (or imported) council: need mix, settings by kind, specialist shortfall.

Used by the demo's tests and docs to check the council looks like a real one: the need mix against national
shares, and whether specialist demand for each need exceeds the specialist places designated for it in area.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance

# Specialist places counted for sufficiency (DfE SCAP counts special schools, SEN units and resourced provision;
# we add special post-16 institutions). PRU/AP and independent schools are not the council's own places.
IN_AREA_SPECIALIST_KINDS = frozenset({
    SettingKind.RESOURCED_PROVISION,
    SettingKind.SEN_UNIT,
    SettingKind.SPECIAL,
    SettingKind.SEMH_SPECIAL,
    SettingKind.POST16_SPECIALIST,
})
DEMAND_KINDS = IN_AREA_SPECIALIST_KINDS | {SettingKind.INDEPENDENT_SPECIAL}


@dataclass(frozen=True)
class NeedSufficiency:
    """Specialist demand and in-area designated places for one primary need."""

    need: Need
    demand: int  # learners with this primary need in, or asking for, a specialist setting
    places: int  # places in in-area specialist settings designated for the need (shared designations counted whole)

    @property
    def shortfall(self) -> int:
        return max(self.demand - self.places, 0)


def need_mix_pc(instance: Instance) -> dict[Need, float]:
    """Share of learners by primary need, in percent."""
    counts = Counter(learner.primary_need for learner in instance.learners)
    total = max(len(instance.learners), 1)
    return {need: 100.0 * counts.get(need, 0) / total for need in Need}


def settings_by_kind(instance: Instance) -> dict[SettingKind, int]:
    counts = Counter(s.kind for s in instance.settings)
    return {kind: counts.get(kind, 0) for kind in SettingKind}


def specialist_sufficiency(instance: Instance) -> dict[Need, NeedSufficiency]:
    """Demand: placed in a specialist setting (in or out of area), or a requested first choice that is specialist
    for a learner not yet in one. Places: capacity of in-area specialist settings designated for the need.

    A setting designated for two needs counts fully for both, so a shortfall shown here is a conservative one.
    """
    settings = instance.setting_by_id
    demand: Counter[Need] = Counter()
    for learner in instance.learners:
        current = settings.get(learner.current_setting_id or "")
        if current is not None and current.kind in DEMAND_KINDS:
            demand[learner.primary_need] += 1
            continue
        first = settings.get(learner.requested_setting_ids[0]) if learner.requested_setting_ids else None
        if first is not None and first.kind in DEMAND_KINDS:
            demand[learner.primary_need] += 1
    places: Counter[Need] = Counter()
    for s in instance.settings:
        if s.in_area and s.kind in IN_AREA_SPECIALIST_KINDS:
            for need in s.designated_needs:
                places[need] += s.capacity
    return {need: NeedSufficiency(need, demand.get(need, 0), places.get(need, 0)) for need in Need}


def at_or_over_capacity_share(instance: Instance) -> float:
    """Share of in-area specialist settings whose current roll is at or above their places."""
    roll = Counter(learner.current_setting_id for learner in instance.learners if learner.current_setting_id)
    specialist = [s for s in instance.settings if s.in_area and s.kind in IN_AREA_SPECIALIST_KINDS]
    if not specialist:
        return 0.0
    return sum(1 for s in specialist if roll.get(s.id, 0) >= s.capacity) / len(specialist)


@dataclass(frozen=True)
class LocalitySufficiency:
    """Learners living in a locality who are in (or asking for) a specialist setting, and the places located there."""

    locality_id: str
    demand: int
    places: int

    @property
    def shortfall(self) -> int:
        return max(self.demand - self.places, 0)


def specialist_sufficiency_by_locality(instance: Instance) -> dict[str, LocalitySufficiency]:
    """Specialist demand by home locality against in-area specialist places in that locality (rural gaps show here)."""
    settings = instance.setting_by_id
    demand: Counter[str] = Counter()
    for learner in instance.learners:
        if learner.locality_id is None:
            continue
        current = settings.get(learner.current_setting_id or "")
        first = settings.get(learner.requested_setting_ids[0]) if learner.requested_setting_ids else None
        if (current is not None and current.kind in DEMAND_KINDS) or (first is not None and first.kind in DEMAND_KINDS):
            demand[learner.locality_id] += 1
    places: Counter[str] = Counter()
    for s in instance.settings:
        if s.in_area and s.kind in IN_AREA_SPECIALIST_KINDS and s.locality_id is not None:
            places[s.locality_id] += s.capacity
    return {
        loc.id: LocalitySufficiency(loc.id, demand.get(loc.id, 0), places.get(loc.id, 0)) for loc in instance.localities
    }
