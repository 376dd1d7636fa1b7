"""One test per hard rule: a feasible case, a forced-infeasible case and an alternative case."""

from __future__ import annotations

from planner.domain.codes import Need, Phase, SettingKind
from planner.placement.matching import place
from planner.placement.params import PlacementParameters
from planner.placement.plan import PlacementPlan, RequestOutcome, UnplacedReason
from planner.validation.placement import check_placement_plan

from .conftest import instance, learner, setting

PARAMS = PlacementParameters(place_all=True)


def solve(settings: list, learners: list) -> PlacementPlan:
    inst = instance(settings, learners)
    plan = place(inst, PARAMS)
    assert check_placement_plan(inst, plan, PARAMS) == []
    return plan


def where(plan: PlacementPlan) -> dict[str, str | None]:
    return {d.learner_id: d.setting_id for d in plan.decisions}


def test_need_designation() -> None:
    special = setting("SP", SettingKind.SPECIAL, designations=(Need.SLD,))
    assert where(solve([special], [learner("L", Need.SLD)])) == {"L": "SP"}
    plan = solve([special], [learner("L", Need.ASD)])
    assert plan.decisions[0].unplaced_reason is UnplacedReason.NO_DESIGNATED_SETTING
    # Mainstream cannot meet SLD by default, so the designated special school is the only choice.
    assert where(solve([setting("M"), special], [learner("L", Need.SLD)])) == {"L": "SP"}


def test_age_range() -> None:
    assert where(solve([setting("P", ncy=(0, 6))], [learner("L", ncy=-1)])) == {"L": "P"}
    assert where(solve([setting("S", ncy=(7, 11))], [learner("L", ncy=-1)])) == {"L": None}
    assert where(solve([setting("S", ncy=(7, 11)), setting("P", km=20)], [learner("L", ncy=-1)])) == {"L": "P"}


def test_capacity() -> None:
    both = [learner("A"), learner("B")]
    assert set(where(solve([setting("M", capacity=2)], both)).values()) == {"M"}
    plan = solve([setting("M", capacity=1)], both)
    assert sorted(map(str, where(plan).values())) == ["M", "None"]
    assert any(d.unplaced_reason is UnplacedReason.ALL_FULL for d in plan.decisions)
    plan = solve([setting("M", capacity=1), setting("N", km=10, capacity=1)], both)
    assert sorted(map(str, where(plan).values())) == ["M", "N"]


def test_phase_capacity() -> None:
    through = setting("T", ncy=(0, 11), capacity=3, capacity_by_phase={Phase.PRIMARY: 1})
    pair = [learner("A"), learner("B")]
    plan = solve([through], pair)
    assert sorted(map(str, where(plan).values())) == ["None", "T"]
    assert where(solve([through], [learner("A"), learner("Y7", ncy=6)])) == {"A": "T", "Y7": "T"}
    plan = solve([through, setting("P", km=15)], pair)
    assert sorted(map(str, where(plan).values())) == ["P", "T"]


def test_journey_limit() -> None:
    """The journey limit rule (planner.placement.eligibility): a setting beyond the limit is never proposed."""
    assert where(solve([setting("M", km=20)], [learner("L")])) == {"L": "M"}
    plan = solve([setting("M", km=60)], [learner("L")])  # about 68 minutes for a Reception child
    assert plan.decisions[0].unplaced_reason is UnplacedReason.TOO_FAR
    # A personal limit overrides the phase default.
    assert where(solve([setting("M", km=60)], [learner("L", max_journey_minutes=90)])) == {"L": "M"}


def test_pru_only_for_flagged_learners() -> None:
    pru = setting("PRU", SettingKind.PRU_AP)
    assert where(solve([pru], [learner("L", Need.SEMH, excluded=True)])) == {"L": "PRU"}
    assert where(solve([pru], [learner("L", Need.SEMH)])) == {"L": None}
    assert where(solve([pru, setting("M", km=30)], [learner("L", Need.SEMH)])) == {"L": "M"}


def test_pinned_placement() -> None:
    near, far = setting("NEAR", capacity=1), setting("FAR", km=20, capacity=1)
    plan = solve([near, far], [learner("L", pinned_setting_id="FAR")])
    assert where(plan) == {"L": "FAR"} and plan.decisions[0].pinned
    # A pin to a setting that cannot take the learner is reported, never silently dropped.
    plan = place(instance([near, setting("SEC", ncy=(7, 11))], [learner("L", pinned_setting_id="SEC")]), PARAMS)
    assert plan.statistics.status == "INFEASIBLE"
    assert plan.infeasibilities[0].rule == "pinned_placement"
    assert "AGE_RANGE" in plan.infeasibilities[0].detail
    # A pin is a named placement: it is kept even when the setting is full, and others go elsewhere.
    plan = solve([near, far], [learner("P", pinned_setting_id="NEAR"), learner("Q")])
    assert where(plan) == {"P": "NEAR", "Q": "FAR"}
    plan = solve([setting("NEAR", capacity=0)], [learner("P", pinned_setting_id="NEAR")])
    assert plan.decisions[0].over_capacity


def test_sibling_group() -> None:
    twins = [learner("A", sibling_group="G"), learner("B", sibling_group="G")]
    assert set(where(solve([setting("M", capacity=2)], twins)).values()) == {"M"}
    # No setting has two places: together means both wait rather than being split.
    plan = solve([setting("M", capacity=1), setting("N", km=5, capacity=1)], twins)
    assert where(plan) == {"A": None, "B": None}
    # The alternative: the farther school with room for both.
    plan = solve([setting("M", capacity=1), setting("N", km=12, capacity=2)], twins)
    assert where(plan) == {"A": "N", "B": "N"}


def test_requested_setting_and_reasons() -> None:
    plan = solve([setting("M"), setting("R", km=10)], [learner("L", requested_setting_ids=("R",))])
    assert where(plan) == {"L": "R"} and plan.decisions[0].preference_rank == 1
    plan = solve([setting("M"), setting("R", km=60)], [learner("L", requested_setting_ids=("R",))])
    assert plan.decisions[0].requests[0].outcome is RequestOutcome.TOO_FAR
    plan = solve([setting("M"), setting("R", capacity=0)], [learner("L", requested_setting_ids=("R",))])
    assert plan.decisions[0].requests[0].outcome is RequestOutcome.FULL


def test_least_restrictive_then_travel() -> None:
    special = setting("SP", SettingKind.SPECIAL, designations=(Need.ASD,))
    assert where(solve([special, setting("M", km=10)], [learner("L")])) == {"L": "M"}
    assert where(solve([setting("FAR", km=10), setting("NEAR", km=2)], [learner("L")])) == {"L": "NEAR"}


def test_same_seed_same_plan() -> None:
    settings_ = [setting(f"S{k}", capacity=2, km=k) for k in range(4)]
    learners = [learner(f"L{k}", sibling_group="G" if k < 2 else None) for k in range(9)]
    first = place(instance(settings_, learners), PlacementParameters(place_all=True, seed=7))
    second = place(instance(settings_, learners), PlacementParameters(place_all=True, seed=7))
    assert where(first) == where(second)
