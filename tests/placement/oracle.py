"""An independent lexicographic optimum: a MIP built with scipy.optimize.milp (HiGHS), rule by rule."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.domain.codes import DEFAULT_COST_PER_PLACE, phase_of_ncy
from planner.domain.models import Instance
from planner.placement.params import PlacementParameters
from planner.validation.placement_rules import exclusion_reasons, free_places, journey_minutes, sibling_pins

RULES = ("placed", "preference", "restrictiveness", "travel", "cost")


def lexicographic_optimum(inst: Instance, params: PlacementParameters, year: int) -> dict[str, int] | None:
    """Per-rule values of the lexicographic optimum when every learner moves (no one stays: free places are the
    validator's free places with no stayers)."""
    learners = list(inst.learners)
    settings = list(inst.settings)
    var: list[tuple[int, int]] = []  # (learner, setting or -1)
    values: dict[str, list[float]] = {r: [] for r in RULES}
    for i, x in enumerate(learners):
        req = list(x.requested_setting_ids)
        for j, s in enumerate(settings):
            if exclusion_reasons(inst, x, s, year, params):
                continue
            var.append((i, j))
            rank = req.index(s.id) + 1 if s.id in req else None
            pref = 0 if not req else (params.unmet_preference_penalty if rank is None
                                      else min(rank - 1, params.unmet_preference_penalty - 1))
            gbp = s.cost_per_place or DEFAULT_COST_PER_PLACE[s.kind]
            values["placed"].append(0)
            values["preference"].append(pref)
            values["restrictiveness"].append(params.restrictiveness_of(s.kind))
            values["travel"].append(math.floor(journey_minutes(inst, x, s, params) + 0.5))
            values["cost"].append((gbp + params.cost_unit_gbp // 2) // params.cost_unit_gbp)
        var.append((i, -1))
        values["placed"].append(1)
        values["preference"].append(params.unmet_preference_penalty if req else 0)
        for r in ("restrictiveness", "travel", "cost"):
            values[r].append(0)
    nv = len(var)
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(row: np.ndarray, low: float, high: float) -> None:
        rows.append(row)
        lo.append(low)
        hi.append(high)

    for i in range(len(learners)):
        add(np.array([1.0 if v[0] == i else 0.0 for v in var]), 1, 1)
    pinned: dict[int, int] = {}
    group_pin = sibling_pins(inst, [x.id for x in learners], year, params)
    for i, x in enumerate(learners):
        pin = x.pinned_setting_id or group_pin.get(x.id)
        if pin is not None:
            j = [s.id for s in settings].index(pin)
            if (i, j) not in var:
                return None
            pinned[i] = j
            add(np.array([1.0 if v == (i, j) else 0.0 for v in var]), 1, 1)
    for j, s in enumerate(settings):
        pins = sum(1 for i, pj in pinned.items() if pj == j)
        room = max(0, free_places(s, 0, params) - pins)
        add(np.array([1.0 if v[1] == j and v[0] not in pinned else 0.0 for v in var]), -np.inf, room)
        for phase, places in s.capacity_by_phase.items():
            in_phase = {i for i, x in enumerate(learners) if phase_of_ncy(inst.learner_ncy(x, year)) == phase}
            pins_p = sum(1 for i, pj in pinned.items() if pj == j and i in in_phase)
            add(np.array([1.0 if v[1] == j and v[0] in in_phase and v[0] not in pinned else 0.0 for v in var]),
                -np.inf, max(0, places - pins_p))
    groups: dict[tuple[str, str], list[int]] = {}
    for i, x in enumerate(learners):
        if x.sibling_group and i not in pinned:
            groups.setdefault((x.sibling_group, phase_of_ncy(inst.learner_ncy(x, year)).value), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        common = [j for j in range(len(settings)) if all((i, j) in var for i in members)]
        if not common:
            continue
        for j in [*range(len(settings)), -1]:
            for other in members[1:]:
                row = np.zeros(nv)
                for k, v in enumerate(var):
                    if v == (members[0], j):
                        row[k] += 1
                    if v == (other, j):
                        row[k] -= 1
                add(row, 0, 0)
    result: dict[str, int] = {}
    levels = [list(level.items()) for level in params.objective]
    for level in levels:
        c = np.zeros(nv)
        for rule, weight in level:
            c += weight * np.array(values[rule.value])
        res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=np.ones(nv),
                   bounds=Bounds(0, 1))
        assert res.status == 0, res.message
        best = round(res.fun)
        add(c, best, best)
    x = np.round(res.x)
    for r in RULES:
        result[r] = int(round(float(np.dot(values[r], x))))
    return result
