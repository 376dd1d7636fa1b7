"""Three placement defects found in review, each pinned by a test that failed before its fix.

1. The sibling branch and bound forced a split group down an arc without room for it and crashed (`FlowError`).
2. A pin on one sibling bound siblings in other phases (whom the pinned setting cannot take): round INFEASIBLE.
3. A custom objective could put another rule level with "placed" and outweigh it.
And the benchmark's floor: one bare min-cost flow on the same eligible pairs.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

import planner.placement.siblings as siblings_module
from planner.domain.codes import Need, Phase, SettingKind
from planner.domain.models import Instance, Learner, Point, Setting
from planner.placement.matching import place
from planner.placement.objective import pack_stages
from planner.placement.params import ObjectiveRule, PlacementParameters
from planner.placement.plan import PlacementPlan
from planner.validation.placement import check_placement_plan
from scenarios.placement_bench import bare_flow, bench_line

from .conftest import instance, learner, setting
from .oracle import lexicographic_optimum

PARAMS = PlacementParameters(place_all=True)


def where(plan: PlacementPlan) -> dict[str, str | None]:
    return {d.learner_id: d.setting_id for d in plan.decisions}


@pytest.fixture
def branch_and_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every split sibling group to the branch and bound (normally only rounds of ~2,000+ learners)."""
    monkeypatch.setattr(siblings_module, "CPSAT_ARC_LIMIT", 0)


# --- 1. A forced arc without room is an infeasible branch, not a crash -------------------------------------------

@pytest.mark.usefixtures("branch_and_bound")
def test_twins_split_over_two_one_place_settings_are_left_together_not_a_crash() -> None:
    """The relaxation puts one twin in each one-place setting; forcing both down either arc has no room."""
    twins = [learner("A", sibling_group="G"), learner("B", sibling_group="G")]
    inst = instance([setting("M", capacity=1), setting("N", km=5, capacity=1)], twins)
    plan = place(inst, PARAMS)  # before the fix: FlowError: min-cost flow ended with status INFEASIBLE
    assert plan.statistics.status == "OPTIMAL"
    assert where(plan) == {"A": None, "B": None}
    assert check_placement_plan(inst, plan, PARAMS) == []


@pytest.mark.usefixtures("branch_and_bound")
def test_a_forced_arc_through_a_full_phase_node_is_pruned() -> None:
    """The arc lands on a per-phase cap (phase node -> setting -> sink): room is checked along the whole path."""
    triplets = [learner(k, sibling_group="T") for k in "ABC"]
    through = setting("T", ncy=(0, 11), capacity=9, capacity_by_phase={Phase.PRIMARY: 2})
    inst = instance([through, setting("N", km=4, capacity=1), setting("FAR", km=30, capacity=3)], triplets)
    plan = place(inst, PARAMS)
    assert plan.statistics.status == "OPTIMAL"
    assert set(where(plan).values()) == {"FAR"}
    assert check_placement_plan(inst, plan, PARAMS) == []


def test_a_round_over_two_thousand_learners_with_a_split_group_does_not_crash() -> None:
    """No patching: 2,100 Year 7 learners make the restricted model too big for CP-SAT, so the split Reception
    twins go to the branch and bound, as in a county round."""
    twins = [learner("A", sibling_group="G"), learner("B", sibling_group="G")]
    year7 = [learner(f"S{k}", ncy=6) for k in range(2100)]
    inst = instance([setting("M", capacity=1), setting("N", km=5, capacity=1),
                     setting("SEC", ncy=(7, 11), km=2, capacity=2100)], twins + year7)
    plan = place(inst, PARAMS)  # before the fix: FlowError
    assert plan.statistics.status == "OPTIMAL"
    assert plan.statistics.placed == 2100 and where(plan)["A"] is None and where(plan)["B"] is None


def random_split_instance(seed: int) -> Instance:
    """Small rounds whose sibling groups the flow tends to split over settings with one or two places."""
    rng = np.random.default_rng(seed)
    settings_: list[Setting] = []
    for j in range(int(rng.integers(2, 5))):
        capacity = int(rng.integers(0, 4))
        caps = {Phase.PRIMARY: int(rng.integers(0, capacity + 1))} if rng.random() < 0.25 else {}
        settings_.append(Setting(
            id=f"S{j}", name=f"S{j}", kind=SettingKind.MAINSTREAM, ncy_min=0, ncy_max=11 if caps else 6,
            capacity=capacity, capacity_by_phase=caps, cost_per_place=int(rng.choice([0, 8_000, 20_000])),
            location=Point(easting=400_000 + int(rng.integers(0, 30)) * 1000, northing=300_000)))
    learners: list[Learner] = []
    sizes = [int(rng.integers(2, 4)) for _ in range(int(rng.integers(1, 3)))]
    singles = int(rng.integers(0, 5))
    for k, size in enumerate([*sizes, *[1] * singles]):
        for m in range(size):
            requests = rng.choice([s.id for s in settings_], size=int(rng.integers(0, 2)), replace=False)
            learners.append(Learner(
                id=f"L{k}-{m}", ncy=-1, primary_need=Need.ASD,
                home=Point(easting=400_000 + int(rng.integers(0, 30)) * 1000, northing=300_000),
                requested_setting_ids=tuple(str(r) for r in requests),
                sibling_group=f"G{k}" if size > 1 else None))
    return Instance(name=f"r{seed}", base_year=2026, settings=tuple(settings_), learners=tuple(learners))


@pytest.mark.usefixtures("branch_and_bound")
@pytest.mark.parametrize("combine", [False, True])
def test_branch_and_bound_is_exact_on_150_random_split_groups(combine: bool) -> None:
    """The relaxation splits a group in 94 of these 150 instances; before the fix 84 of them crashed with FlowError
    (a split group forced down an arc whose setting, or phase cap, could not take it whole: in the greedy dive or a
    branch). Now every one is OPTIMAL, valid and equal to the MIP oracle."""
    params = PlacementParameters(place_all=True, combine_levels=combine)
    for seed in range(150):
        inst = random_split_instance(seed)
        plan = place(inst, params)
        assert plan.statistics.status == "OPTIMAL", seed
        assert check_placement_plan(inst, plan, params) == [], seed
        assert plan.statistics.objective == lexicographic_optimum(inst, params, plan.academic_year), seed


# --- 2. A pin binds only the siblings the pinned setting can take, in the same phase -----------------------------

def test_a_pin_does_not_bind_a_sibling_in_another_phase() -> None:
    """Reception child pinned to a primary school; the Year 7 sibling cannot go there and is placed on their own."""
    inst = instance([setting("P", ncy=(0, 6)), setting("SEC", ncy=(7, 11), km=3)],
                    [learner("A", sibling_group="G", pinned_setting_id="P"), learner("B", ncy=6, sibling_group="G")])
    plan = place(inst, PARAMS)  # before the fix: INFEASIBLE, "sibling's pinned setting P is not eligible: AGE_RANGE"
    assert check_placement_plan(inst, plan, PARAMS) == []  # the independent validator agrees
    assert plan.statistics.status == "OPTIMAL" and plan.infeasibilities == []
    assert where(plan) == {"A": "P", "B": "SEC"}
    assert plan.decision_for("A").pinned and not plan.decision_for("B").pinned
    assert "sibling group not bound" in plan.decision_for("B").reason


def test_a_pin_does_not_bind_a_same_phase_sibling_the_setting_cannot_take() -> None:
    """Twins, one with SLD: the mainstream school agreed for the other cannot meet that need."""
    special = setting("SP", SettingKind.SPECIAL, designations=(Need.SLD,), km=6)
    inst = instance([setting("P"), special],
                    [learner("A", sibling_group="G", pinned_setting_id="P"), learner("B", Need.SLD, sibling_group="G")])
    plan = place(inst, PARAMS)
    assert check_placement_plan(inst, plan, PARAMS) == []  # the independent validator agrees
    assert plan.statistics.status == "OPTIMAL"
    assert where(plan) == {"A": "P", "B": "SP"}


def test_siblings_in_different_phases_keep_their_own_pins() -> None:
    inst = instance([setting("P", ncy=(0, 6)), setting("SEC", ncy=(7, 11), km=3)],
                    [learner("A", sibling_group="G", pinned_setting_id="P"),
                     learner("B", ncy=6, sibling_group="G", pinned_setting_id="SEC")])
    plan = place(inst, PARAMS)  # before the fix: INFEASIBLE, "siblings must be placed together"
    assert check_placement_plan(inst, plan, PARAMS) == []  # the independent validator agrees
    assert plan.statistics.status == "OPTIMAL"
    assert where(plan) == {"A": "P", "B": "SEC"}


def test_a_pin_still_brings_a_same_phase_sibling_the_setting_can_take() -> None:
    inst = instance([setting("P", km=8), setting("NEAR")],
                    [learner("A", sibling_group="G", pinned_setting_id="P"), learner("B", sibling_group="G"),
                     learner("C", ncy=6, sibling_group="G")])
    plan = place(inst, PARAMS)
    assert check_placement_plan(inst, plan, PARAMS) == []  # the independent validator agrees
    assert where(plan) == {"A": "P", "B": "P", "C": None}  # C (Year 7) has no setting in this instance
    assert plan.decision_for("B").pinned


# --- 3. "placed" is always the first level, and the first stage, on its own --------------------------------------

@pytest.mark.parametrize("objective", [
    [{"placed": 1, "travel": 1}, {"preference": 1}],
    [{"travel": 1}, {"placed": 1}],
    [{"cost": 1, "placed": 1000}],
])
def test_a_rule_level_with_or_before_placed_is_refused(objective: list[dict[str, int]]) -> None:
    with pytest.raises(ValidationError) as error:
        PlacementParameters(objective=objective)
    (problem,) = error.value.errors()
    assert problem["loc"] == ("objective",)
    assert "placed must be the first level on its own" in problem["msg"]


def test_placed_alone_first_then_any_order_is_accepted() -> None:
    params = PlacementParameters(objective=[{"placed": 2}, {"travel": 1, "cost": 1}, {"preference": 1}])
    assert params.objective[0] == {ObjectiveRule.PLACED: 2}


def test_pack_stages_keeps_the_placed_level_a_stage_of_its_own() -> None:
    """Big-M weights are exact for the flow, not proven with sibling groups kept whole: placed is never packed."""
    levels = [np.array([0, 1]), np.array([3, 0]), np.array([40, 0]), np.array([9, 0])]
    stages = pack_stages(levels, landing_nodes=3, num_nodes=6, num_learners=2)
    assert stages[0].levels == (0,) and stages[0].weights == (1,)  # before: one stage (0, 1, 2, 3)
    assert [level for stage in stages for level in stage.levels] == [0, 1, 2, 3]


@pytest.mark.parametrize("combine", [False, True])
@pytest.mark.parametrize("twins", [False, True])
def test_default_order_places_a_learner_travel_and_cost_would_leave_out(combine: bool, twins: bool) -> None:
    """The only setting is an independent special school 50 km away: an hour's journey and a costly place weigh
    against it, but a place comes first."""
    far = setting("IND", SettingKind.INDEPENDENT_SPECIAL, km=50, designations=(Need.ASD,), cost_per_place=95_000)
    group = "G" if twins else None
    learners = [learner("A", max_journey_minutes=90, sibling_group=group),
                learner("B", max_journey_minutes=90, sibling_group=group)]
    inst = instance([far], learners)
    params = PlacementParameters(place_all=True, combine_levels=combine)
    plan = place(inst, params)
    assert where(plan) == {"A": "IND", "B": "IND"}
    assert plan.decision_for("A").travel_minutes > 50 and plan.statistics.objective["placed"] == 0


# --- 4. The benchmark's floor --------------------------------------------------------------------------------------

def test_bare_flow_uses_the_plans_eligible_pairs_and_the_line_keeps_its_fields() -> None:
    inst = instance([setting("M", capacity=2), setting("N", km=8, capacity=1), setting("SEC", ncy=(7, 11))],
                    [learner("A"), learner("B"), learner("C"), learner("D"), learner("Y7", ncy=6)])
    plan = place(inst, PARAMS)
    bare = bare_flow(inst, PARAMS)
    assert bare.pairs == plan.statistics.eligible_pairs == 9 and bare.placed == plan.statistics.placed == 4
    assert bare.levels == (1, 2, 3, 4) and bare.seconds > 0
    line = bench_line("test", plan, bare)
    assert " wall=" in line and " bare_flow=" in line and " ratio=" in line and line.endswith(" MiB")
