"""Synthetic councils whose history follows known rates, for the forecast, sufficiency and chart tests (as the
fixtures `history_instance` and `history_factory` of tests/conftest.py).

`build_history_instance` simulates a caseload year by year from given rates (joiners per NCY x need x locality,
leaving and moving probabilities by NCY, destination and joiner placement mixes) and writes the learners the way
a council's case-management export would: plan_start, plan_end for ceased plans, the current setting and when it
started. The estimator must then recover those rates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance, Learner, Locality, Point, Setting

LOCALITIES = (("NORTH", 400_000, 500_000), ("SOUTH", 400_000, 460_000), ("EAST", 440_000, 480_000))
KINDS = (SettingKind.MAINSTREAM, SettingKind.SPECIAL, SettingKind.RESOURCED_PROVISION, SettingKind.PRU_AP,
         SettingKind.INDEPENDENT_SPECIAL, SettingKind.FE_COLLEGE)


def _settings() -> list[Setting]:
    """One setting of each kind the synthetic history uses, in the first locality."""
    out = []
    for kind in KINDS:
        out.append(Setting(
            id=f"S-{kind.value}", name=f"Synthetic {kind.value}", kind=kind,
            designations=frozenset() if kind in (SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE) else frozenset(Need),
            ncy_min=-2, ncy_max=20, capacity=100_000, location=Point(easting=400_000, northing=500_000),
            locality_id="NORTH", in_area=kind is not SettingKind.INDEPENDENT_SPECIAL,
        ))
    return out


def build_history_instance(
    *, base_year: int = 2026, history: int = 8, seed: int = 7,
    joiners_per_cell: float = 4.0, joiner_ncys: tuple[int, ...] = tuple(range(-1, 12)),
    needs: tuple[Need, ...] = (Need.ASD, Need.SEMH, Need.SLCN),
    leave: Callable[[int], float] = lambda n: 0.04 if n < 14 else 0.3,
    move: Callable[[int], float] = lambda n: 0.25 if n + 1 in (0, 7, 12) else 0.05,
    destination: dict[SettingKind, float] | None = None,
    joiner_mix: dict[SettingKind, float] | None = None,
    joiner_growth: float = 0.0,
) -> Instance:
    """A council whose caseload grew over `history` years under the given rates, ending in `base_year`; new plans
    per cell are Poisson(joiners_per_cell x exp(joiner_growth x years since the first))."""
    rng = np.random.default_rng(seed)
    destination = destination or {SettingKind.MAINSTREAM: 0.5, SettingKind.SPECIAL: 0.3,
                                  SettingKind.RESOURCED_PROVISION: 0.1, SettingKind.INDEPENDENT_SPECIAL: 0.1}
    joiner_mix = joiner_mix or {SettingKind.MAINSTREAM: 0.8, SettingKind.SPECIAL: 0.15, SettingKind.PRU_AP: 0.05}
    dest_kinds, dest_p = list(destination), np.array(list(destination.values()))
    join_kinds, join_p = list(joiner_mix), np.array(list(joiner_mix.values()))
    people: list[dict[str, Any]] = []
    first_year = base_year - history
    for year in range(first_year, base_year + 1):
        for person in people:
            if person["end"] is not None:
                continue
            ncy_before = person["ncy_base"] - (base_year - (year - 1))
            if year > person["start"] and rng.random() < leave(ncy_before) or ncy_before >= 20:
                person["end"] = year
            elif year > person["start"] and rng.random() < move(ncy_before):
                person["kind"] = dest_kinds[int(rng.choice(len(dest_kinds), p=dest_p))]
                person["setting_start"] = year
        for ncy in joiner_ncys:
            for need in needs:
                for loc, _, _ in LOCALITIES:
                    for _ in range(rng.poisson(joiners_per_cell * np.exp(joiner_growth * (year - first_year)))):
                        people.append({
                            "ncy_base": ncy + (base_year - year), "need": need, "loc": loc, "start": year,
                            "end": None, "setting_start": year,
                            "kind": join_kinds[int(rng.choice(len(join_kinds), p=join_p))],
                        })
    learners = []
    centre = {loc: Point(easting=e, northing=n) for loc, e, n in LOCALITIES}
    for i, person in enumerate(people):
        if person["ncy_base"] > 20:
            continue  # aged out before the base year: no longer in the council's export
        learners.append(Learner(
            id=f"L{i:06d}", ncy=person["ncy_base"], primary_need=person["need"], home=centre[person["loc"]],
            locality_id=person["loc"], current_setting_id=f"S-{person['kind'].value}",
            plan_start=date(person["start"], 10, 1),
            plan_end=None if person["end"] is None else date(person["end"], 10, 1),
            setting_start=date(person["setting_start"], 10, 1),
        ))
    return Instance(
        name="Synthetic history", base_year=base_year,
        localities=tuple(Locality(id=loc, name=loc.title(), centroid=centre[loc]) for loc, _, _ in LOCALITIES),
        settings=tuple(_settings()), learners=tuple(learners),
    )
