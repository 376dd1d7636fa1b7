"""Solver-independent checks of a placement plan: the executable spec of the rules and the test oracle.

Everything is recomputed from the domain in plain Python, one learner and one setting at a time, sharing no code
with the vectorised eligibility, the round selection or the solver (the rules are restated in
`planner.validation.placement_rules`): if both agree, the plan is lawful, decides on exactly the learners the round
must decide on, and its statistics are honest.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from planner.domain.codes import DEFAULT_COST_PER_PLACE, phase_of_ncy
from planner.domain.models import Instance, Learner, Setting
from planner.placement.params import PlacementParameters
from planner.placement.plan import PlacementPlan
from planner.validation.placement_rules import (
    exclusion_reasons,
    expected_round,
    free_places,
    journey_minutes,
    sibling_pins,
)


class Violation(BaseModel):
    """One broken rule: which rule, which learner (or setting), what is wrong."""

    model_config = ConfigDict(frozen=True)

    rule: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.subject}: {self.message}"


def check_placement_plan(instance: Instance, plan: PlacementPlan,
                         parameters: PlacementParameters | None = None) -> list[Violation]:
    """Every hard rule, and that the reported statistics match the plan; an empty list means the plan is sound."""
    parameters = parameters or PlacementParameters()
    year = plan.academic_year
    out: list[Violation] = []

    def bad(rule: str, subject: str, message: str) -> None:
        out.append(Violation(rule=rule, subject=subject, message=message))

    if plan.statistics.status == "INFEASIBLE":
        if not plan.infeasibilities:
            bad("status", "plan", "INFEASIBLE without naming the rule that cannot hold")
        return out
    in_plan: dict[str, str | None] = {}
    pinned_in_plan: set[str] = set()
    for decision in plan.decisions:
        if decision.learner_id in in_plan:
            bad("one_decision", decision.learner_id, "the learner appears more than once")
        in_plan[decision.learner_id] = decision.setting_id
        if decision.pinned:
            pinned_in_plan.add(decision.learner_id)
    # The round decides on exactly the learners who need a place (and no one who should stay put)
    expected = expected_round(instance, year, parameters)
    for lid in sorted(expected - set(in_plan)):
        bad("round", lid, "needs a place in this round but the plan has no decision for them")
    for lid in sorted(set(in_plan) - expected):
        bad("round", lid, "the plan decides on a learner who should stay where they are")

    group_pin = sibling_pins(instance, list(in_plan), year, parameters)

    placed_by_setting: dict[str, int] = {}
    placed_by_phase: dict[tuple[str, str], int] = {}
    pins_by_setting: dict[str, int] = {}
    pins_by_phase: dict[tuple[str, str], int] = {}
    for lid, sid in in_plan.items():
        found = instance.learner_by_id.get(lid)
        if found is None:
            bad("unknown", lid, "learner not in the instance")
            continue
        learner = found
        pin = learner.pinned_setting_id or group_pin.get(lid)
        if pin is not None and sid != pin:
            bad("pinned_placement", lid, f"pinned to {pin} but placed at {sid}")
        if sid is None:
            continue
        setting = instance.setting_by_id.get(sid)
        if setting is None:
            bad("unknown", lid, f"unknown setting {sid}")
            continue
        for reason in exclusion_reasons(instance, learner, setting, year, parameters):
            bad(reason, lid, f"placed at {sid} although {reason}")
        phase = phase_of_ncy(instance.learner_ncy(learner, year)).value
        if pin is not None:
            pins_by_setting[sid] = pins_by_setting.get(sid, 0) + 1
            pins_by_phase[(sid, phase)] = pins_by_phase.get((sid, phase), 0) + 1
        else:
            placed_by_setting[sid] = placed_by_setting.get(sid, 0) + 1
            placed_by_phase[(sid, phase)] = placed_by_phase.get((sid, phase), 0) + 1

    # Capacity: places minus learners who stay (never below zero); pins use places first, and may exceed them.
    stayers: dict[str, int] = {}
    phase_stayers: dict[tuple[str, str], int] = {}
    for learner in instance.learners:
        if learner.id in in_plan or learner.current_setting_id is None or learner.plan_end is not None:
            continue
        ncy = instance.learner_ncy(learner, year)
        if not -2 <= ncy <= 20:
            continue  # past the end of the plan: holds no place
        stayers[learner.current_setting_id] = stayers.get(learner.current_setting_id, 0) + 1
        key = (learner.current_setting_id, phase_of_ncy(ncy).value)
        phase_stayers[key] = phase_stayers.get(key, 0) + 1
    for setting in instance.settings:
        free = free_places(setting, stayers.get(setting.id, 0), parameters)
        room = max(0, free - pins_by_setting.get(setting.id, 0))
        if placed_by_setting.get(setting.id, 0) > room:
            bad("capacity", setting.id, f"{placed_by_setting[setting.id]} new placements for {room} free places")
        for phase, places in setting.capacity_by_phase.items():
            key = (setting.id, phase.value)
            phase_free = max(0, places - phase_stayers.get(key, 0))
            phase_room = max(0, phase_free - pins_by_phase.get(key, 0))
            if placed_by_phase.get(key, 0) > phase_room:
                bad("phase_capacity", setting.id,
                    f"{placed_by_phase[key]} new {phase.value} placements for {phase_room} free places")

    # Flagged siblings moving in the same phase share a setting whenever some setting can take all of them.
    groups: dict[tuple[str, str], list[Learner]] = {}
    for lid in in_plan:
        learner = instance.learner_by_id[lid]
        if learner.sibling_group is None or lid in pinned_in_plan:
            continue
        phase = phase_of_ncy(instance.learner_ncy(learner, year)).value
        groups.setdefault((learner.sibling_group, phase), []).append(learner)
    for (group, phase), members in groups.items():
        if len(members) < 2:
            continue
        common = [s for s in instance.settings
                  if all(not exclusion_reasons(instance, m, s, year, parameters) for m in members)]
        if common and len({in_plan[m.id] for m in members}) > 1:
            bad("sibling_group", group, f"{phase} siblings placed apart: "
                + ", ".join(f"{m.id}->{in_plan[m.id]}" for m in members))

    _check_statistics(instance, plan, parameters, in_plan, bad)
    return out


def _check_statistics(instance: Instance, plan: PlacementPlan, parameters: PlacementParameters,
                      in_plan: dict[str, str | None], bad: object) -> None:
    report = bad  # a callable (rule, subject, message)
    assert callable(report)
    totals = {"placed": 0, "preference": 0, "restrictiveness": 0, "travel": 0, "cost": 0}
    for decision in plan.decisions:
        learner = instance.learner_by_id[decision.learner_id]
        requested = list(learner.requested_setting_ids)
        sid = decision.setting_id
        rank = requested.index(sid) + 1 if sid is not None and sid in requested else None
        if not requested:
            preference = 0
        elif rank is None or _dearer_than_allowed(instance, learner, sid, plan.academic_year, parameters):
            preference = parameters.unmet_preference_penalty
        else:
            preference = min(rank - 1, parameters.unmet_preference_penalty - 1)
        totals["preference"] += preference
        if decision.preference_rank != rank:
            report("statistics", decision.learner_id, f"preference_rank {decision.preference_rank}, expected {rank}")
        if sid is None:
            totals["placed"] += 1
            continue
        setting = instance.setting_by_id[sid]
        minutes = math.floor(journey_minutes(instance, learner, setting, parameters) + 0.5)
        gbp = setting.cost_per_place or DEFAULT_COST_PER_PLACE[setting.kind]
        cost = (gbp + parameters.cost_unit_gbp // 2) // parameters.cost_unit_gbp
        totals["restrictiveness"] += parameters.restrictiveness_of(setting.kind)
        totals["travel"] += minutes
        totals["cost"] += cost
        if decision.travel_minutes != minutes:
            report("statistics", decision.learner_id, f"travel {decision.travel_minutes} min, expected {minutes}")
    for rule, value in totals.items():
        if plan.statistics.objective.get(rule) != value:
            report("statistics", rule, f"reported {plan.statistics.objective.get(rule)}, plan gives {value}")
    placed = sum(1 for s in in_plan.values() if s is not None)
    if plan.statistics.placed != placed or plan.statistics.unplaced != len(in_plan) - placed:
        report("statistics", "placed", f"reported {plan.statistics.placed}/{plan.statistics.unplaced}, "
                                       f"plan gives {placed}/{len(in_plan) - placed}")


def _gbp(setting: Setting) -> int:
    return setting.cost_per_place or DEFAULT_COST_PER_PLACE[setting.kind]


def _dearer_than_allowed(instance: Instance, learner: Learner, setting_id: str | None, year: int,
                         parameters: PlacementParameters) -> bool:
    """Efficient use of resources (CFA 2014 s39(4)(b)): the setting costs more than the learner's cheapest suitable
    setting by more than the council's threshold, so naming it is not owed as a preference."""
    threshold = parameters.resources_threshold_gbp
    if threshold is None or setting_id is None:
        return False
    suitable = [_gbp(s) for s in instance.settings if not exclusion_reasons(instance, learner, s, year, parameters)]
    return bool(suitable) and _gbp(instance.setting_by_id[setting_id]) > min(suitable) + threshold

