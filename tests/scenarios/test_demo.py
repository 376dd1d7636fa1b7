"""The demo council: deterministic, calibrated on the national mix, realistic shortfalls, coherent records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from planner.domain.calendar import ncy_for
from planner.domain.codes import Need, Phase, SettingKind, phase_of_ncy
from planner.domain.models import Instance, find_integrity_problems
from scenarios.calibration import NCYS, PLACEMENT_CATEGORIES, national_calibration
from scenarios.demo import build_demo
from scenarios.demo_summary import (
    at_or_over_capacity_share,
    need_mix_pc,
    specialist_sufficiency,
    specialist_sufficiency_by_locality,
)

Builder = Callable[[str, int], Instance]
SPECIALIST_KINDS = {k for k in SettingKind if k is not SettingKind.MAINSTREAM}


def test_same_seed_same_council(demo_builder: Builder) -> None:
    fresh = build_demo("demo", 2026)
    assert fresh == demo_builder("demo", 2026)
    assert fresh.metadata == {"generator": "scenarios.demo", "preset": "demo", "seed": 2026}


def test_another_seed_another_council(demo: Instance, demo_builder: Builder) -> None:
    other = demo_builder("demo", 7)
    assert other.metadata["seed"] == 7
    assert [x.home for x in other.learners] != [x.home for x in demo.learners]
    assert [x.birth_date for x in other.learners] != [x.birth_date for x in demo.learners]


def test_unknown_preset_names_the_presets() -> None:
    with pytest.raises(ValueError, match="unknown demo preset 'city'.*demo, county"):
        build_demo("city")


@pytest.mark.parametrize("seed", [2026, 7, 12345])
def test_need_mix_within_two_points_of_national(demo_builder: Builder, seed: int) -> None:
    mix = need_mix_pc(demo_builder("demo", seed))
    national = national_calibration().need_share_pc
    # The demo draws the published needs (and DS); "not yet recorded" (NSA) is real data only.
    assert set(national) == set(Need) - {Need.NSA} and mix[Need.NSA] == 0
    for need in national:
        assert abs(mix[need] - national[need]) <= 2.0, need
    # Quota sampling is much tighter than the acceptance bound: within a tenth of a point.
    assert max(abs(mix[n] - national[n]) for n in national) < 0.1


def test_published_shares_are_the_dfe_figures() -> None:
    national = national_calibration().need_share_pc
    published = (national[Need.ASD], national[Need.SLCN], national[Need.SEMH], national[Need.MLD])
    assert published == (31.5, 21.3, 20.7, 10.6)
    assert national[Need.MSI] == 0.3 and national[Need.DS] == 0.5


def test_shape_of_the_demo_council(demo: Instance) -> None:
    assert demo.name == "Northvale Council" and demo.base_year == 2026
    assert len(demo.learners) == 3_500
    assert len(demo.localities) == 8
    kinds = Counter(s.kind for s in demo.settings)
    assert 35 <= sum(n for k, n in kinds.items() if k in SPECIALIST_KINDS) <= 45
    assert 9 <= kinds[SettingKind.SPECIAL] <= 12 and kinds[SettingKind.SEMH_SPECIAL] == 3
    assert kinds[SettingKind.PRU_AP] == 3 and kinds[SettingKind.INDEPENDENT_SPECIAL] == 6
    assert 10 <= kinds[SettingKind.RESOURCED_PROVISION] + kinds[SettingKind.SEN_UNIT] <= 14
    assert kinds[SettingKind.POST16_SPECIALIST] + kinds[SettingKind.FE_COLLEGE] == 3
    assert len(demo.teams) == 6
    assert find_integrity_problems(demo) == []


def test_every_locality_has_primary_and_secondary_mainstream(demo: Instance) -> None:
    for locality in demo.localities:
        mainstream = [s for s in demo.settings if s.kind is SettingKind.MAINSTREAM and s.locality_id == locality.id]
        assert any(s.takes_ncy(0) and s.takes_ncy(6) for s in mainstream), locality.id
        assert any(s.takes_ncy(7) and s.takes_ncy(11) for s in mainstream), locality.id


def test_coordinates_in_the_northern_box(demo: Instance) -> None:
    for s in demo.settings:
        if s.in_area:
            assert 380_000 <= s.location.easting <= 480_000 and 460_000 <= s.location.northing <= 540_000
    eastings = sorted(x.home.easting for x in demo.learners)
    assert 395_000 <= eastings[len(eastings) // 2] <= 465_000


def test_birth_dates_give_the_ncy(demo: Instance) -> None:
    for learner in demo.learners:
        assert learner.birth_date is not None and learner.ncy == ncy_for(learner.birth_date, 2026)
    ages = Counter(phase_of_ncy(demo.learner_ncy(x)) for x in demo.learners)
    assert ages[Phase.PRIMARY] > ages[Phase.EARLY_YEARS] and ages[Phase.SECONDARY] > ages[Phase.POST19]


def test_current_settings_fit_age_and_need(demo: Instance) -> None:
    settings = demo.setting_by_id
    for learner in demo.learners:
        if learner.current_setting_id is None:
            continue
        s = settings[learner.current_setting_id]
        assert s.takes_ncy(demo.learner_ncy(learner)), learner.id
        if s.kind in (SettingKind.RESOURCED_PROVISION, SettingKind.SEN_UNIT, SettingKind.SEMH_SPECIAL):
            assert learner.primary_need in s.designations, learner.id


def _category(instance: Instance, setting_id: str | None) -> str:
    if setting_id is None:
        return "none"
    kind = instance.setting_by_id[setting_id].kind
    return {SettingKind.SEMH_SPECIAL: "special"}.get(kind, kind.value)


def test_placement_mix_follows_national_by_phase(demo: Instance) -> None:
    cal = national_calibration()
    for phase, (low, high) in {Phase.PRIMARY: (0, 6), Phase.SECONDARY: (7, 11), Phase.POST16: (12, 14)}.items():
        group = [x for x in demo.learners if low <= demo.learner_ncy(x) <= high]
        counts = Counter(_category(demo, x.current_setting_id) for x in group)
        rows = [NCYS.index(n) for n in range(low, high + 1)]
        national = cal.placement_share_by_ncy[rows].mean(axis=0)
        for index, category in enumerate(PLACEMENT_CATEGORIES):
            if category in ("special", "mainstream", "none", "fe_college"):
                share = counts.get(category, 0) / len(group)
                assert abs(share - national[index]) < 0.08, (phase, category, share, national[index])


def test_some_learners_have_no_setting(demo: Instance) -> None:
    share = sum(1 for x in demo.learners if x.current_setting_id is None) / len(demo.learners)
    assert 0.04 <= share <= 0.14


def test_autism_and_semh_specialist_places_fall_short(demo: Instance) -> None:
    sufficiency = specialist_sufficiency(demo)
    assert sufficiency[Need.ASD].demand > sufficiency[Need.ASD].places
    assert sufficiency[Need.SEMH].demand > sufficiency[Need.SEMH].places
    for need in (Need.SLD, Need.PMLD, Need.HI, Need.MLD):
        assert sufficiency[need].places >= sufficiency[need].demand, need


def test_specialist_settings_mostly_full(demo: Instance) -> None:
    # Nationally about 60% of special schools are at or over capacity.
    assert 0.5 <= at_or_over_capacity_share(demo) <= 0.75


def test_rural_localities_short_of_local_places(demo: Instance) -> None:
    by_locality = specialist_sufficiency_by_locality(demo)
    assert by_locality["NV-GREY"].places == 0 and by_locality["NV-GREY"].demand > 0
    assert by_locality["NV-HIGH"].shortfall > 0


def test_bases_are_hosted_by_mainstream_schools(demo: Instance) -> None:
    settings = demo.setting_by_id
    bases = [s for s in demo.settings if s.kind in (SettingKind.RESOURCED_PROVISION, SettingKind.SEN_UNIT)]
    for base in bases:
        assert base.host_setting_id is not None and settings[base.host_setting_id].kind is SettingKind.MAINSTREAM
        assert base.id == f"{base.host_setting_id}-{'RP' if base.kind is SettingKind.RESOURCED_PROVISION else 'UNIT'}"
        assert base.designations and base.capacity >= 6
        assert base.location == settings[base.host_setting_id].location


def test_independent_schools_are_out_of_area_far_and_dear(demo: Instance) -> None:
    independents = [s for s in demo.settings if s.kind is SettingKind.INDEPENDENT_SPECIAL]
    for s in independents:
        assert not s.in_area and s.locality_id is None and s.cost_per_place >= 50_000
        assert min(s.location.distance_km(loc.centroid) for loc in demo.localities) > 25
    assert all(s.in_area for s in demo.settings if s.kind is not SettingKind.INDEPENDENT_SPECIAL)


def test_costs_follow_kind(demo: Instance) -> None:
    mean = {kind: sum(s.cost_per_place for s in demo.settings if s.kind is kind)
            / max(1, sum(1 for s in demo.settings if s.kind is kind)) for kind in SettingKind}
    assert mean[SettingKind.MAINSTREAM] < mean[SettingKind.SPECIAL] < mean[SettingKind.SEMH_SPECIAL] \
        < mean[SettingKind.POST16_SPECIALIST] < mean[SettingKind.INDEPENDENT_SPECIAL]


def test_requests_at_phase_transfer_and_for_new_plans(demo: Instance) -> None:
    settings = demo.setting_by_id
    requesters = [x for x in demo.learners if x.requested_setting_ids]
    assert 300 <= len(requesters) <= 700
    transfer = [x for x in requesters if demo.learner_ncy(x, 2027) in (0, 7, 12)]
    assert len(transfer) >= 0.7 * len(requesters)
    for x in transfer:
        assert 1 <= len(x.requested_setting_ids) <= 3
    # Most first choices take the learner next year; a few families ask for distant settings.
    fits = sum(settings[x.requested_setting_ids[0]].takes_ncy(demo.learner_ncy(x, 2027)) for x in transfer)
    assert fits >= 0.95 * len(transfer)
    new_plans = [x for x in requesters if x not in transfer]
    assert new_plans and all(x.plan_start is not None and x.plan_start.year == 2026 for x in new_plans)


def test_some_requests_are_for_full_settings(demo: Instance) -> None:
    roll = Counter(x.current_setting_id for x in demo.learners if x.current_setting_id)
    full = {s.id for s in demo.settings if s.kind.is_specialist and s.in_area and roll[s.id] >= s.capacity}
    asking_full = [x for x in demo.learners if x.requested_setting_ids and x.requested_setting_ids[0] in full]
    assert len(asking_full) >= 20


def test_sibling_groups(demo: Instance) -> None:
    groups: dict[str, list] = {}
    for x in demo.learners:
        if x.sibling_group:
            groups.setdefault(x.sibling_group, []).append(x)
    members = sum(len(g) for g in groups.values())
    assert 0.015 <= members / len(demo.learners) <= 0.03
    for group in groups.values():
        assert 2 <= len(group) <= 3
        assert len({x.home for x in group}) == 1 and len({x.locality_id for x in group}) == 1
        assert len({x.birth_date for x in group}) == len(group)


def test_flags(demo: Instance) -> None:
    learners = demo.learners
    n = len(learners)
    assert 0.03 <= sum(x.looked_after for x in learners) / n <= 0.07
    at_risk = [x for x in learners if x.at_risk]
    assert len(at_risk) >= 30 and sum(x.primary_need is Need.SEMH for x in at_risk) > 0.5 * len(at_risk)
    assert all(x.suspensions >= 1 for x in at_risk)
    assert all(not (x.excluded and x.at_risk_of_exclusion) for x in learners)
    settings = demo.setting_by_id
    special = [x for x in learners if x.current_setting_id
               and settings[x.current_setting_id].kind in (SettingKind.SPECIAL, SettingKind.SEMH_SPECIAL)]
    assert sum(x.needs_transport for x in special) > 0.7 * len(special)
    limits = [x.max_journey_minutes for x in learners if x.max_journey_minutes is not None]
    assert 0.01 * n <= len(limits) <= 0.06 * n
    assert all(x.plan_start is not None for x in learners)
    assert all((x.setting_start is None) == (x.current_setting_id is None) for x in learners)


def test_teams_cover_the_council(demo: Instance) -> None:
    locality_ids = {loc.id for loc in demo.localities}
    covered = set().union(*(t.specialisms for t in demo.teams))
    assert covered == set(Need)
    assert all(t.locality_ids == locality_ids and t.hours_per_week > 0 for t in demo.teams)
    names = " ".join(t.name for t in demo.teams)
    for word in ("Autism", "SEMH", "Sensory", "Learning", "Early Years", "Post-16"):
        assert word in names


def test_all_through_specials_have_phase_caps(demo: Instance) -> None:
    through = [s for s in demo.settings if s.kind is SettingKind.SPECIAL and s.ncy_min <= 0 and s.ncy_max >= 7]
    assert through and all(s.capacity_by_phase for s in through)


def test_county_preset(county: Instance) -> None:
    assert county.name == "Northvale County Council"
    assert 19_000 <= len(county.learners) <= 21_000
    assert 280 <= len(county.settings) <= 320
    assert len(county.teams) == 12 and 8 <= len(county.localities) <= 12
    assert find_integrity_problems(county) == []
    mix = need_mix_pc(county)
    national = national_calibration().need_share_pc
    assert all(abs(mix[n] - national[n]) <= 2.0 for n in national)
    sufficiency = specialist_sufficiency(county)
    assert sufficiency[Need.ASD].shortfall > 0 and sufficiency[Need.SEMH].shortfall > 0
    # About three times the demo's area.
    eastings = [loc.centroid.easting for loc in county.localities]
    northings = [loc.centroid.northing for loc in county.localities]
    assert (max(eastings) - min(eastings)) * (max(northings) - min(northings)) > 2 * 48_000 * 30_000
