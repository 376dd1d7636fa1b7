"""Who is placed in a round, and how many places are free for them.

A round for academic year Y places: learners whose NCY in Y starts a new phase (Reception, Year 7, Year 12,
first post-19 year), learners whose current setting does not take their NCY in Y or is closed in Y, new plans
(no current setting, or a plan awaiting a place: SEN2 SENsetting OTH, NEET, NIEO; an early years provider without
a URN only at school entry; never home education or other arrangements, OLA/OPA/EHE, nor a plan being ceased,
NIEC), PRU/AP learners due for reintegration, learners with an agreed (pinned) move, and any
explicitly listed learners. Everyone else with a current setting stays and uses one of its places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from planner.domain.codes import (
    ARRANGEMENTS_KEPT,
    ROUTES_WITHOUT_SETTING,
    Arrangement,
    Phase,
    SettingKind,
    phase_of_ncy,
)
from planner.domain.models import Instance, Learner, Setting
from planner.placement.params import PlacementParameters


@dataclass(frozen=True)
class PlacementRound:
    """The learners to place in academic year `year` and the places free for them (net of learners who stay)."""

    year: int
    learner_ids: tuple[str, ...]
    free_capacity: dict[str, int]
    free_phase_capacity: dict[tuple[str, Phase], int] = field(default_factory=dict)
    open_setting_ids: frozenset[str] = frozenset()


def round_year(instance: Instance, parameters: PlacementParameters) -> int:
    return parameters.round_year if parameters.round_year is not None else instance.base_year + 1


def _needs_place(instance: Instance, learner: Learner, year: int, parameters: PlacementParameters) -> bool:
    if learner.plan_end is not None:
        return False
    ncy = instance.learner_ncy(learner, year)
    if not -2 <= ncy <= 20:
        return False
    if learner.provision_type in ROUTES_WITHOUT_SETTING:
        return False  # a supported internship, apprenticeship or other route: no place at a setting to allocate
    if learner.current_setting_id is None:
        if learner.arrangement in ARRANGEMENTS_KEPT:
            return False  # home education or another arrangement the family or LA made (CFA 2014 s42(5), s61)
        if learner.arrangement is Arrangement.NIEC:
            return False  # notice to cease the plan has been issued
        if learner.arrangement is Arrangement.EYP:
            return ncy in parameters.transfer_ncys  # stays with the early years provider until school entry
        return True  # a new plan, or a plan awaiting a place (SEN2 OTH, NEET, NIEO)
    if learner.pinned_setting_id is not None and learner.pinned_setting_id != learner.current_setting_id:
        return True  # an agreed move
    current = instance.setting_by_id[learner.current_setting_id]
    if not current.takes_ncy(ncy) or not current.is_open_in(year):
        return True  # the current setting cannot keep them
    if ncy in parameters.transfer_ncys:
        # A phase transfer (SEND Regulations 2014 reg 2(1)); an all-through setting keeps its learner unless the
        # family asked for another setting.
        return any(sid != current.id for sid in learner.requested_setting_ids)
    if current.kind is SettingKind.PRU_AP:
        # PRU places are short stay: reintegration is the aim once the stay is over.
        start = learner.setting_start
        cutoff = date(year, 9, 1) - timedelta(days=parameters.pru_max_stay_days)
        return start is None or start <= cutoff
    return False


def _free_places(setting: Setting, stayers: int, parameters: PlacementParameters) -> int:
    """Places free for the round. A mainstream school with a known roll has capacity less everyone on roll (its
    pupils with plans among them) less the margin kept for in-year admissions: not its whole capacity. Elsewhere:
    capacity less the learners with plans who stay."""
    if setting.kind in (SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE) and setting.number_on_roll is not None:
        room = int(setting.capacity * (1 - parameters.mainstream_margin)) - setting.number_on_roll
        return max(0, room)
    return max(0, setting.capacity - stayers)


def select_round(instance: Instance, parameters: PlacementParameters) -> PlacementRound:
    """The round's learners and the free places: capacity minus learners who stay, never below zero."""
    year = round_year(instance, parameters)
    listed = set(parameters.learner_ids)
    unknown = sorted(listed - set(instance.learner_by_id))
    if unknown:
        raise ValueError(f"learner_ids: unknown learner(s) {', '.join(unknown[:5])}")
    chosen: list[str] = []
    for learner in instance.learners:
        if learner.id in listed:
            chosen.append(learner.id)
        elif parameters.only_listed:
            continue
        elif parameters.place_all:
            if learner.plan_end is None and -2 <= instance.learner_ncy(learner, year) <= 20:
                chosen.append(learner.id)
        elif _needs_place(instance, learner, year, parameters):
            chosen.append(learner.id)
    placing = set(chosen)
    stayers: dict[str, int] = {}
    phase_stayers: dict[tuple[str, Phase], int] = {}
    for learner in instance.learners:
        if learner.id in placing or learner.current_setting_id is None or learner.plan_end is not None:
            continue
        ncy = instance.learner_ncy(learner, year)
        if not -2 <= ncy <= 20:
            continue  # past the end of the plan (the academic year they turn 25): they hold no place
        stayers[learner.current_setting_id] = stayers.get(learner.current_setting_id, 0) + 1
        key = (learner.current_setting_id, phase_of_ncy(ncy))
        phase_stayers[key] = phase_stayers.get(key, 0) + 1
    free = {s.id: _free_places(s, stayers.get(s.id, 0), parameters) for s in instance.settings}
    free_phase = {
        (s.id, phase): max(0, places - phase_stayers.get((s.id, phase), 0))
        for s in instance.settings
        for phase, places in s.capacity_by_phase.items()
    }
    open_ids = frozenset(s.id for s in instance.settings if s.is_open_in(year))
    return PlacementRound(year=year, learner_ids=tuple(chosen), free_capacity=free,
                          free_phase_capacity=free_phase, open_setting_ids=open_ids)
