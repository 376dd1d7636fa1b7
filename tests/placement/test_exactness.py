"""The solver's objective equals an independent lexicographic MIP optimum, and every plan passes validation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.codes import Need, Phase, SettingKind
from planner.domain.models import Instance, Learner, Point, Setting
from planner.placement.matching import place
from planner.placement.params import PlacementParameters
from planner.validation.placement import check_placement_plan
from planner.validation.placement_rules import exclusion_reasons

from .oracle import lexicographic_optimum

KINDS = [SettingKind.MAINSTREAM, SettingKind.SPECIAL, SettingKind.RESOURCED_PROVISION, SettingKind.PRU_AP,
         SettingKind.INDEPENDENT_SPECIAL]
NEEDS = [Need.ASD, Need.SEMH, Need.SLD, Need.MLD]


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    n_settings = draw(st.integers(1, 4))
    settings_: list[Setting] = []
    for j in range(n_settings):
        kind = draw(st.sampled_from(KINDS))
        low = draw(st.sampled_from([0, 0, 7]))
        high = draw(st.sampled_from([6, 11, 14])) if low == 0 else 14
        phase_caps = {}
        capacity = draw(st.integers(0, 3))
        if low == 0 and high >= 7 and draw(st.booleans()):
            phase_caps = {Phase.PRIMARY: draw(st.integers(0, capacity))}
        settings_.append(Setting(
            id=f"S{j}", name=f"S{j}", kind=kind, ncy_min=low, ncy_max=high, capacity=capacity,
            capacity_by_phase=phase_caps, cost_per_place=draw(st.sampled_from([0, 10_000, 30_000])),
            designations=frozenset(draw(st.lists(st.sampled_from(NEEDS), max_size=2))),
            location=Point(easting=400_000 + draw(st.integers(0, 60)) * 1000, northing=300_000)))
    ids = [s.id for s in settings_]
    n_learners = draw(st.integers(1, 6))
    learners: list[Learner] = []
    for i in range(n_learners):
        requests = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
        learners.append(Learner(
            id=f"L{i}", ncy=draw(st.sampled_from([-1, 6])), primary_need=draw(st.sampled_from(NEEDS)),
            home=Point(easting=400_000 + draw(st.integers(0, 60)) * 1000, northing=300_000),
            requested_setting_ids=tuple(requests), at_risk_of_exclusion=draw(st.booleans()),
            max_journey_minutes=draw(st.sampled_from([None, None, 30]))))
    if n_learners >= 2 and draw(st.booleans()):
        learners[0] = learners[0].model_copy(update={"sibling_group": "G", "ncy": learners[1].ncy})
        learners[1] = learners[1].model_copy(update={"sibling_group": "G"})
    inst = Instance(name="h", base_year=2026, settings=tuple(settings_), learners=tuple(learners))
    params = PlacementParameters()
    last = learners[-1]
    if last.sibling_group is None and draw(st.booleans()):
        allowed = [s.id for s in settings_ if not exclusion_reasons(inst, last, s, 2027, params)]
        if allowed:
            learners[-1] = last.model_copy(update={"pinned_setting_id": draw(st.sampled_from(allowed))})
            inst = inst.replace(learners=tuple(learners))
    return inst


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.booleans())
def test_objective_equals_independent_mip_and_plan_is_valid(inst: Instance, combine: bool) -> None:
    params = PlacementParameters(place_all=True, combine_levels=combine)
    plan = place(inst, params)
    assert plan.statistics.status == "OPTIMAL"
    assert check_placement_plan(inst, plan, params) == []
    expected = lexicographic_optimum(inst, params, plan.academic_year)
    assert expected is not None
    assert plan.statistics.objective == expected
