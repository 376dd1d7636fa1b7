"""Re-planning without disruption: earlier proposals are kept wherever still feasible, and every change says why."""

from __future__ import annotations

import pytest

from planner.placement.matching import place
from planner.placement.params import ObjectiveRule, PlacementParameters
from planner.validation.placement import check_placement_plan

from .conftest import instance, learner, setting


def test_an_earlier_proposal_is_kept_even_when_a_fresh_plan_would_differ() -> None:
    inst = instance([setting("NEAR", km=1), setting("FAR", km=10)], [learner("X"), learner("Y")])
    fresh = place(inst, PlacementParameters())
    assert {d.learner_id: d.setting_id for d in fresh.decisions} == {"X": "NEAR", "Y": "NEAR"}
    params = PlacementParameters(previous_proposals={"X": "FAR"})
    kept = place(inst, params)
    assert {d.learner_id: d.setting_id for d in kept.decisions} == {"X": "FAR", "Y": "NEAR"}
    assert kept.changes == [] and kept.statistics.objective[ObjectiveRule.STABILITY.value] == 0
    assert params.objective[1] == {ObjectiveRule.STABILITY: 1}  # right after placing as many as possible
    assert check_placement_plan(inst, kept, params) == []


def test_a_pin_that_displaces_someone_says_who() -> None:
    near = setting("NEAR", km=1, capacity=1)
    inst = instance([near, setting("FAR", km=10)],
                    [learner("X"), learner("Y", pinned_setting_id="NEAR")])
    plan = place(inst, PlacementParameters(previous_proposals={"X": "NEAR", "Y": None}))
    by_learner = {c.learner_id: c for c in plan.changes}
    assert by_learner["X"].setting_id == "FAR" and "pinned placement (Y)" in by_learner["X"].reason
    assert by_learner["Y"].setting_id == "NEAR" and by_learner["Y"].previous_setting_id is None


def test_an_earlier_setting_that_closed_is_a_change_with_its_reason() -> None:
    closing = setting("OLD", km=1, closes_year=2027)
    inst = instance([closing, setting("NEW", km=5)], [learner("X")])
    plan = place(inst, PlacementParameters(previous_proposals={"X": "OLD"}))
    [change] = plan.changes
    assert (change.previous_setting_id, change.setting_id) == ("OLD", "NEW") and "CLOSED" in change.reason


def test_placing_as_many_as_possible_still_comes_first() -> None:
    """Keeping X at A would leave Y (who can reach only A) unplaced: X moves, and the change names Y."""
    inst = instance([setting("A", km=1, capacity=1), setting("B", km=9, capacity=1)],
                    [learner("X"), learner("Y", max_journey_minutes=15)])  # B is about 19 minutes away
    plan = place(inst, PlacementParameters(previous_proposals={"X": "A", "Y": None}))
    assert {d.learner_id: d.setting_id for d in plan.decisions} == {"X": "B", "Y": "A"}
    assert {c.learner_id: c.reason for c in plan.changes}["X"] == "its places went to Y"


@pytest.mark.parametrize("bad", [[{"stability": 1, "placed": 1}], [{"stability": 1}, {"placed": 1}]])
def test_stability_cannot_come_before_placed(bad: list[dict[str, int]]) -> None:
    with pytest.raises(ValueError, match="placed must be the first level on its own"):
        PlacementParameters(objective=bad, previous_proposals={"X": "A"})
