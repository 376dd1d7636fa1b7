"""Learners whose plan names no setting (SEN2 SENsetting): who a placement round takes, who it leaves alone, and the
one designation rule (an undesignated special school takes every need)."""

from __future__ import annotations

import pytest

from planner.domain.codes import Arrangement, Need, SettingKind
from planner.domain.models import InstanceIntegrityError
from planner.placement.matching import place
from planner.placement.params import PlacementParameters
from planner.placement.round import select_round

from .conftest import instance, learner, setting


@pytest.mark.parametrize(("arrangement", "ncy", "in_round"), [
    (Arrangement.EHE, 3, False),  # home education: the family's arrangement (CFA 2014 s42(5))
    (Arrangement.OPA, 3, False),  # other arrangements by the parents
    (Arrangement.OLA, 3, False),  # EOTAS arranged by the LA (s61)
    (Arrangement.NIEC, 3, False),  # notice to cease the plan issued
    (Arrangement.NEET, 12, True),  # not in education: awaiting a place
    (Arrangement.NIEO, 3, True),
    (Arrangement.OTH, 3, True),  # a type named in the plan, no setting yet
    (Arrangement.EYP, -2, False),  # stays at the nursery until school entry ...
    (Arrangement.EYP, -1, True),  # ... and moves into Reception in the round year
    (None, 3, True),  # a new plan with no setting
])
def test_round_takes_those_awaiting_a_place_and_leaves_arrangements_alone(
        arrangement: Arrangement | None, ncy: int, in_round: bool) -> None:
    inst = instance([setting("M", ncy=(0, 13))], [learner("L", ncy=ncy, arrangement=arrangement)])
    chosen = select_round(inst, PlacementParameters()).learner_ids
    assert (chosen == ("L",)) is in_round


def test_an_arrangement_with_a_named_setting_is_an_integrity_problem() -> None:
    with pytest.raises(InstanceIntegrityError, match="arrangement: EHE is for a plan naming no setting"):
        instance([setting("M")], [learner("L", current_setting_id="M", arrangement=Arrangement.EHE)])


def test_an_undesignated_special_school_takes_every_need_in_placement() -> None:
    """GIAS leaves SEN1..SEN13 blank for some special schools: such a school is open to every need (before, the
    solver never used it while sufficiency counted it for every need)."""
    special = setting("S", kind=SettingKind.SPECIAL, capacity=3)
    designated = setting("D", kind=SettingKind.SPECIAL, capacity=3, designations=(Need.HI,), km=0.5)
    inst = instance([special, designated], [learner("A", need=Need.PMLD), learner("B", need=Need.NSA)])
    plan = place(inst, PlacementParameters())
    assert {d.learner_id: d.setting_id for d in plan.decisions} == {"A": "S", "B": "S"}
    assert special.designated_needs == frozenset(Need) and designated.designated_needs == {Need.HI}
