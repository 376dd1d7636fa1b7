"""A council's travel matrix replaces the distance estimate: placement and its validator both obey it."""

from __future__ import annotations

import pytest

from planner.domain.models import InstanceIntegrityError, TravelTime
from planner.placement.eligibility import compute_eligibility
from planner.placement.matching import place
from planner.placement.params import PlacementParameters
from planner.validation.placement import check_placement_plan

from .conftest import instance, learner, setting


def test_a_known_long_journey_rules_out_a_setting_the_estimate_would_allow() -> None:
    base = instance([setting("NEAR", capacity=5), setting("OTHER", capacity=5, km=5)], [learner("A")])
    params = PlacementParameters(place_all=True)
    assert place(base, params).decisions[0].setting_id == "NEAR"
    # The bus route to NEAR takes 70 minutes: over the 45-minute primary limit, whatever the map says.
    slow = base.replace(travel_times=(TravelTime(origin_id="A", destination_id="NEAR", minutes=70),))
    elig = compute_eligibility(slow, ["A"], 2027, params)
    near = [s.id for s in slow.settings].index("NEAR")
    assert elig.minutes[0, near] == 70
    plan = place(slow, params)
    assert plan.decisions[0].setting_id == "OTHER"
    assert check_placement_plan(slow, plan, params) == []


def test_travel_times_must_refer_to_records_of_the_instance() -> None:
    base = instance([setting("NEAR")], [learner("A")])
    with pytest.raises(InstanceIntegrityError) as error:
        base.replace(travel_times=(TravelTime(origin_id="NEAR", destination_id="A", minutes=5),
                                   TravelTime(origin_id="A", destination_id="NEAR", minutes=5),
                                   TravelTime(origin_id="A", destination_id="NEAR", minutes=6)))
    fields = {(p.record_id, p.field) for p in error.value.problems}
    assert ("NEAR->A", "origin_id") in fields and ("NEAR->A", "destination_id") in fields
    assert any(p.message == "the pair is given more than once" for p in error.value.problems)
