"""Placement follows the plan: only settings of the type of provision the plan names (or an acceptable type), and
admissions rules (single-sex, selective, independent, boarding) that no proposal may break.

Property tests on random small councils check every proposal directly (not through the solver's own code), that
every plan passes the independent validator, and that the objective equals an independent MIP's optimum.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.codes import PROVISION_OF_KIND, Need, ProvisionType, SchoolGender, SettingKind, Sex
from planner.domain.models import Instance, Learner, Point, Setting
from planner.placement.matching import place
from planner.placement.params import PlacementParameters
from planner.placement.plan import UnplacedReason
from planner.placement.round import select_round
from planner.validation.placement import check_placement_plan

from .conftest import instance, learner, setting
from .oracle import lexicographic_optimum

KINDS = [SettingKind.MAINSTREAM, SettingKind.SPECIAL, SettingKind.SEN_UNIT, SettingKind.INDEPENDENT_SPECIAL]
TYPES = [PROVISION_OF_KIND[k] for k in KINDS]


@st.composite
def councils(draw: st.DrawFn) -> Instance:
    settings_: list[Setting] = []
    for j in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(KINDS))
        mainstream = kind is SettingKind.MAINSTREAM
        settings_.append(Setting(
            id=f"S{j}", name=f"S{j}", kind=kind, ncy_min=7, ncy_max=11, capacity=draw(st.integers(0, 4)),
            location=Point(easting=400_000 + draw(st.integers(0, 30)) * 1000, northing=300_000),
            gender=draw(st.sampled_from([SchoolGender.MIXED, SchoolGender.MIXED, SchoolGender.BOYS,
                                         SchoolGender.GIRLS])),
            selective=mainstream and draw(st.booleans()), independent=mainstream and draw(st.booleans()),
            boarding=draw(st.sampled_from([False, False, True])),
            number_on_roll=draw(st.sampled_from([None, 0, 2])) if mainstream else None))
    ids = [s.id for s in settings_]
    # Where the Year 6 learners are now: primary settings of each kind (everyone moves phase in the round)
    settings_ += [Setting(id=f"P{k}", name=f"P{k}", kind=kind, ncy_min=0, ncy_max=6, capacity=30,
                          location=Point(easting=400_000, northing=300_000)) for k, kind in enumerate(KINDS)]
    learners = []
    for i in range(draw(st.integers(1, 6))):
        current = draw(st.sampled_from([None, "P0", "P1", "P2", "P3"]))
        learners.append(Learner(
            id=f"L{i}", ncy=6, primary_need=draw(st.sampled_from([Need.ASD, Need.MLD])),
            home=Point(easting=400_000 + draw(st.integers(0, 30)) * 1000, northing=300_000),
            current_setting_id=current, sex=draw(st.sampled_from([None, Sex.MALE, Sex.FEMALE])),
            provision_type=draw(st.sampled_from([None, *TYPES])),
            acceptable_types=frozenset(draw(st.lists(st.sampled_from(TYPES), max_size=1))),
            needs_residential=draw(st.booleans()),
            requested_setting_ids=tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)))))
    return Instance(name="p", base_year=2026, settings=tuple(settings_), learners=tuple(learners))


def _allowed_types(inst: Instance, x: Learner) -> set[ProvisionType] | None:
    """Year 7 round: the post-16 equivalents never apply here."""
    named = x.provision_type
    if named is None and x.current_setting_id is not None:
        named = PROVISION_OF_KIND[inst.setting_by_id[x.current_setting_id].kind]
    allowed = ({named} if named else set()) | set(x.acceptable_types)
    return allowed or None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(councils())
def test_no_proposal_breaks_the_plan_or_admissions(inst: Instance) -> None:
    params = PlacementParameters()  # the Year 6 -> Year 7 round: everyone moves phase
    plan = place(inst, params)
    assert plan.statistics.status == "OPTIMAL"
    for decision in plan.decisions:
        if decision.setting_id is None:
            continue
        x, s = inst.learner_by_id[decision.learner_id], inst.setting_by_id[decision.setting_id]
        allowed = _allowed_types(inst, x)
        assert allowed is None or PROVISION_OF_KIND[s.kind] in allowed
        if s.gender is not SchoolGender.MIXED:
            assert x.sex is {SchoolGender.BOYS: Sex.MALE, SchoolGender.GIRLS: Sex.FEMALE}[s.gender]
        if s.selective or s.independent:
            assert s.id in x.requested_setting_ids
        if s.boarding:
            assert x.needs_residential
    assert check_placement_plan(inst, plan, params) == []
    assert plan.statistics.objective == lexicographic_optimum(inst, params, plan.academic_year)


def test_a_special_school_learner_moving_phase_is_proposed_a_special_school() -> None:
    """The review's case: at phase transfer the default type is the current one (special -> special)."""
    primary_special = setting("PS", kind=SettingKind.SPECIAL, ncy=(0, 6))
    secondary_special = setting("SS", kind=SettingKind.SPECIAL, ncy=(7, 11), km=20)
    mainstream = setting("M", ncy=(7, 11), km=0.5, capacity=100)
    inst = instance([primary_special, secondary_special, mainstream],
                    [learner("L", ncy=6, current_setting_id="PS")])
    plan = place(inst, PlacementParameters())
    assert plan.decisions[0].setting_id == "SS"
    # The officer may list mainstream as acceptable: then least restrictive ranks within the allowed types.
    moved = inst.learners[0].model_copy(update={"acceptable_types": frozenset({ProvisionType.MAINSTREAM})})
    assert place(inst.replace(learners=(moved,)), PlacementParameters()).decisions[0].setting_id == "M"


def test_no_setting_of_the_plans_type_is_its_own_unplaced_reason() -> None:
    inst = instance([setting("M", ncy=(0, 11))],
                    [learner("L", ncy=6, provision_type=ProvisionType.SPECIAL)])
    decision = place(inst, PlacementParameters()).decisions[0]
    assert decision.setting_id is None
    assert decision.unplaced_reason is UnplacedReason.NO_SETTING_OF_PLAN_TYPE


def test_an_all_through_setting_keeps_its_learner_and_routes_are_not_placed() -> None:
    through = setting("T", kind=SettingKind.SPECIAL, ncy=(0, 13))
    other = setting("O", kind=SettingKind.SPECIAL, ncy=(7, 11))
    stays = learner("A", ncy=6, current_setting_id="T")
    asks = learner("B", ncy=6, current_setting_id="T", requested_setting_ids=("O",))
    intern = learner("C", ncy=12, provision_type=ProvisionType.SUPPORTED_INTERNSHIP)
    inst = instance([through, other], [stays, asks, intern])
    assert select_round(inst, PlacementParameters()).learner_ids == ("B",)


def test_mainstream_free_places_are_capacity_less_the_roll_and_the_margin() -> None:
    full = setting("M", ncy=(0, 11), capacity=100, number_on_roll=99)
    inst = instance([full], [learner(f"L{i}", ncy=6) for i in range(3)])
    assert select_round(inst, PlacementParameters()).free_capacity["M"] == 1
    assert select_round(inst, PlacementParameters(mainstream_margin=0.05)).free_capacity["M"] == 0


def test_learners_past_the_end_of_their_plan_hold_no_place() -> None:
    """Review defect 3: a learner whose NCY in the round year is past 20 (the year they turn 25) held a place."""
    college = setting("C", kind=SettingKind.POST16_SPECIALIST, ncy=(12, 20), capacity=1)
    old = learner("OLD", ncy=20, current_setting_id="C")  # NCY 21 in the round year
    young = learner("NEW", ncy=11)
    inst = instance([college], [old, young])
    assert select_round(inst, PlacementParameters()).free_capacity["C"] == 1
    assert place(inst, PlacementParameters()).decisions[0].setting_id == "C"


def test_refusals_name_their_lawful_ground_and_numbers_and_a_step_down_is_flagged() -> None:
    """CFA 2014 s39(4): a request is refused only as unsuitable or for the efficient education of others (or use of
    resources), each with its numbers; a move from specialist to mainstream is flagged."""
    special_now = setting("PS", kind=SettingKind.SPECIAL, ncy=(0, 6))
    full_school = setting("F", ncy=(7, 11), capacity=1, km=0.2)
    far = setting("FAR", ncy=(7, 11), km=90)
    girls = setting("G", ncy=(7, 11), gender=SchoolGender.GIRLS)
    open_school = setting("O", ncy=(7, 11), km=3, capacity=5)
    first = learner("A", ncy=6, requested_setting_ids=("F",))
    second = learner("B", ncy=6, sex=Sex.MALE, current_setting_id="PS",
                     acceptable_types=frozenset({ProvisionType.MAINSTREAM}),
                     requested_setting_ids=("F", "FAR", "G"))
    plan = place(instance([special_now, full_school, far, girls, open_school], [first, second]),
                 PlacementParameters())
    decision = {d.learner_id: d for d in plan.decisions}["B"]
    by_setting = {r.setting_id: r for r in decision.requests}
    assert by_setting["F"].ground.value == "EFFICIENT_EDUCATION_OF_OTHERS"
    assert "1 free place(s) this round went to 1 learner(s)" in by_setting["F"].detail
    assert by_setting["FAR"].ground.value == "UNSUITABLE" and "against a limit of 75 min" in by_setting["FAR"].detail
    assert by_setting["G"].ground.value == "UNSUITABLE" and by_setting["G"].detail == "SINGLE_SEX"
    assert decision.setting_id == "O" and decision.step_down


def test_a_request_far_dearer_than_a_suitable_alternative_is_refused_on_the_use_of_resources() -> None:
    """CFA 2014 s39(4)(b): with a threshold, a requested setting costing more than the cheapest suitable one by more
    than it is not owed the preference; the refusal names the ground and both annual costs."""
    dear = setting("DEAR", kind=SettingKind.INDEPENDENT_SPECIAL, cost_per_place=60_000, km=8)
    cheap = setting("CHEAP", kind=SettingKind.INDEPENDENT_SPECIAL, cost_per_place=23_000, km=2)
    x = learner("X", provision_type=ProvisionType.INDEPENDENT_SPECIAL, requested_setting_ids=("DEAR",))
    inst = instance([dear, cheap], [x])
    honoured = place(inst, PlacementParameters())
    assert honoured.decisions[0].setting_id == "DEAR"  # no threshold: the request is named
    params = PlacementParameters(resources_threshold_gbp=20_000)
    plan = place(inst, params)
    decision = plan.decisions[0]
    assert decision.setting_id == "CHEAP"
    [request] = decision.requests
    assert request.ground.value == "EFFICIENT_USE_OF_RESOURCES"
    assert "£60,000 against £23,000 for the proposed setting" in request.detail
    assert check_placement_plan(inst, plan, params) == []
    # Within the threshold the family's request stands
    assert place(inst, PlacementParameters(resources_threshold_gbp=40_000)).decisions[0].setting_id == "DEAR"
