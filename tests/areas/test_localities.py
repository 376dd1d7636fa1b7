"""Localities derived from where learners live, and assigned from a council's own list: hand-computed cases."""

from __future__ import annotations

from datetime import date

import pytest

from planner.areas import (
    LocalityBuildError,
    LocalitySpec,
    apply_localities,
    assign_to_localities,
    build_localities,
    default_locality_count,
    derive_localities,
)
from planner.areas.clustering import ClusterPoint, kmeans
from planner.domain.models import (
    Instance,
    Learner,
    Locality,
    NeedForecast,
    OutreachTeam,
    Point,
    Setting,
    TravelTime,
)

# Two groups of homes 50 km apart: west (A, further north) and east (B).
A_HOMES = [(400_000, 510_000), (401_000, 510_000), (400_000, 511_000), (401_000, 511_000)]
B_HOMES = [(450_000, 500_000), (452_000, 500_000), (451_000, 502_000)]


def _point(xy: tuple[float, float]) -> Point:
    return Point(easting=xy[0], northing=xy[1])


def _learner(learner_id: str, xy: tuple[float, float], lsoa: str | None = None, **fields: object) -> Learner:
    return Learner.model_validate({"id": learner_id, "ncy": 5, "primary_need": "ASD", "home": _point(xy),
                                   "lsoa": lsoa, **fields})


def _setting(setting_id: str, name: str, kind: str, places: int, xy: tuple[float, float],
             in_area: bool = True) -> Setting:
    return Setting(id=setting_id, name=name, kind=kind, ncy_min=0, ncy_max=11, capacity=places,
                   location=_point(xy), in_area=in_area)


def _settings() -> tuple[Setting, ...]:
    return (
        _setting("S-A1", "Alpha Primary", "mainstream", 210, (400_500, 510_500)),
        _setting("S-A2", "Alpha Academy", "mainstream", 1_200, (400_200, 510_800)),
        _setting("S-B1", "Beta High", "mainstream", 900, (451_000, 501_000)),
        # bigger than Beta High, but a special school is not a town's school: not the name
        _setting("S-B2", "Beta Special", "special", 1_000, (451_500, 500_500)),
        _setting("S-OUT", "Elsewhere Independent", "independent_special", 60, (425_000, 505_000), in_area=False),
    )


def _instance(learners: tuple[Learner, ...], **fields: object) -> Instance:
    return Instance.model_validate({"name": "Testshire", "base_year": 2026, "settings": _settings(),
                                    "learners": learners, **fields})


def _spatial() -> Instance:
    homes = [_learner(f"A{i}", xy) for i, xy in enumerate(A_HOMES)] + \
        [_learner(f"B{i}", xy) for i, xy in enumerate(B_HOMES)]
    return _instance(tuple(homes))


def test_two_separated_groups_of_homes_give_two_localities_with_the_right_members() -> None:
    derived = derive_localities(_spatial(), count=2)
    north, east = derived.localities
    assert (north.id, east.id) == ("LOC-01", "LOC-02")  # numbered from north to south
    # centroid = the mean of the homes: (400500, 510500) and (451000, 500666.7 -> 500667)
    assert north.centroid == Point(easting=400_500, northing=510_500)
    assert east.centroid == Point(easting=451_000, northing=500_667)
    by_learner = {x.id: x.locality_id for x in derived.learners}
    assert by_learner == {"A0": "LOC-01", "A1": "LOC-01", "A2": "LOC-01", "A3": "LOC-01",
                          "B0": "LOC-02", "B1": "LOC-02", "B2": "LOC-02"}
    assert derived.counts() == {"LOC-01": (4, 2), "LOC-02": (3, 2)}
    assert "derived from home locations" in derived.message and "count asked for: 2" in derived.message
    assert north.area_codes == frozenset() and north.in_area


def test_named_after_the_largest_mainstream_setting_and_out_of_area_settings_get_none() -> None:
    derived = derive_localities(_spatial(), count=2)
    assert [loc.name for loc in derived.localities] == ["Area around Alpha Academy", "Area around Beta High"]
    by_setting = {s.id: s.locality_id for s in derived.settings}
    assert by_setting == {"S-A1": "LOC-01", "S-A2": "LOC-01", "S-B1": "LOC-02", "S-B2": "LOC-02", "S-OUT": None}


def test_names_are_trimmed_to_120_characters_and_kept_apart() -> None:
    long_name = "St " + "X" * 190
    settings = (_setting("S-1", long_name, "mainstream", 500, (400_000, 510_000)),
                _setting("S-2", long_name, "mainstream", 500, (450_000, 500_000)))
    instance = Instance(name="T", base_year=2026, settings=settings,
                        learners=(_learner("A", (400_000, 510_000)), _learner("B", (450_000, 500_000))))
    first, second = derive_localities(instance, count=2).localities
    assert first.name == ("Area around " + long_name)[:120]
    assert len(second.name) == 120 and second.name.endswith(" (LOC-02)")


def test_a_locality_without_a_mainstream_setting_is_named_after_its_largest_setting() -> None:
    settings = (_setting("S-1", "Only Special", "special", 80, (450_000, 500_000)),
                _setting("S-2", "Alpha Primary", "mainstream", 210, (400_000, 510_000)))
    instance = Instance(name="T", base_year=2026, settings=settings,
                        learners=(_learner("A", (400_000, 510_000)), _learner("B", (450_000, 500_000))))
    assert [loc.name for loc in derive_localities(instance, count=2).localities] == [
        "Area around Alpha Primary", "Area around Only Special"]


def _with_lsoas() -> Instance:
    learners = [
        _learner("A0", (400_000, 510_000), "E01000001"), _learner("A1", (401_000, 510_000), "E01000001"),
        _learner("A2", (400_000, 511_000), "E01000002"), _learner("A3", (401_000, 511_000), "E01000002"),
        _learner("B0", (450_000, 500_000), "E01000003"), _learner("B1", (450_000, 500_000), "E01000003"),
        _learner("B2", (450_000, 500_000), "E01000003"), _learner("B3", (450_000, 500_000), "E01000003"),
        # lives in the west but in an eastern LSOA (a long, thin LSOA): the LSOA stays whole, so this home goes east
        _learner("B4", (400_000, 510_000), "E01000003"),
        _learner("B5", (452_000, 500_000), "E01000004"),
        _learner("N0", (451_000, 501_000)),  # no LSOA: the nearest centre
    ]
    return _instance(tuple(learners))


def test_lsoa_grouping_keeps_each_lsoa_whole() -> None:
    derived = derive_localities(_with_lsoas(), count=2)
    north, east = derived.localities
    assert north.area_codes == {"E01000001", "E01000002"}
    assert east.area_codes == {"E01000003", "E01000004"}
    by_learner = {x.id: x.locality_id for x in derived.learners}
    assert {k for k, v in by_learner.items() if v == "LOC-01"} == {"A0", "A1", "A2", "A3"}
    assert by_learner["B4"] == "LOC-02" and by_learner["N0"] == "LOC-02"
    assert "derived from the LSOA of each home" in derived.message
    assert "10 learner(s) assigned by the LSOA of their home, 1 by the nearest locality centre" in derived.message
    # the eastern centroid is the mean of its LSOAs' six homes, B4's western one included
    assert east.centroid == Point(easting=round((4 * 450_000 + 400_000 + 452_000) / 6),
                                  northing=round((5 * 500_000 + 510_000) / 6))


def test_lsoas_are_used_only_when_at_least_half_the_learners_carry_one() -> None:
    learners = [_learner(f"A{i}", xy, "E01000001" if i == 0 else None) for i, xy in enumerate(A_HOMES)]
    learners += [_learner(f"B{i}", xy) for i, xy in enumerate(B_HOMES)]
    derived = derive_localities(_instance(tuple(learners)), count=2)
    assert "derived from home locations" in derived.message
    assert all(not loc.area_codes for loc in derived.localities)


def test_deriving_is_deterministic_whatever_the_input_order() -> None:
    instance = _with_lsoas()
    first, again = derive_localities(instance), derive_localities(instance)
    assert first == again
    shuffled = instance.replace(learners=tuple(reversed(instance.learners)),
                                settings=tuple(reversed(instance.settings)))
    other = derive_localities(shuffled)
    assert other.localities == first.localities
    assert {x.id: x.locality_id for x in other.learners} == {x.id: x.locality_id for x in first.learners}
    spatial = _spatial()
    assert derive_localities(spatial, 3) == derive_localities(spatial, 3)


def _many(current: int, ceased: int = 0) -> Instance:
    learners = [_learner(f"C{i}", (400_000 + i % 50 * 100, 500_000 + i // 50 * 100)) for i in range(current)]
    learners += [_learner(f"X{i}", (400_000, 500_000), plan_end=date(2025, 7, 1)) for i in range(ceased)]
    return Instance(name="T", base_year=2026, learners=tuple(learners))


@pytest.mark.parametrize(("current", "ceased", "expected"), [
    (0, 0, 3),  # at least 3
    (1_000, 0, 3),  # 2.5 -> 2 -> at least 3
    (2_000, 0, 5),  # one per 400
    (2_000, 2_000, 5),  # ceased plans are not caseload
    (4_400, 0, 10),  # 11 -> at most 10
])
def test_default_count_is_one_per_400_learners_between_3_and_10(current: int, ceased: int, expected: int) -> None:
    assert default_locality_count(_many(current, ceased)) == expected


def test_count_bounds() -> None:
    instance = _spatial()
    for wrong in (0, -1, 51):
        with pytest.raises(ValueError, match="from 1 to 50"):
            derive_localities(instance, wrong)
    assert len(derive_localities(instance, 1).localities) == 1
    # more localities than distinct places cannot be made: as many as there are places
    two_places = _instance((_learner("A", (400_000, 510_000)), _learner("B", (400_000, 510_000))), settings=())
    derived = derive_localities(two_places, 5)
    assert len(derived.localities) == 1 and "only 1 distinct group(s)" in derived.message
    with pytest.raises(ValueError, match="nothing to derive"):
        derive_localities(Instance(name="Empty", base_year=2026), 2)


def test_kmeans_hand_computed() -> None:
    points = [ClusterPoint("d", 12, 0), ClusterPoint("a", 0, 0), ClusterPoint("c", 10, 0), ClusterPoint("b", 2, 0)]
    result = kmeans(points, 2)
    # start: 'a' (0) and 'd' (12) tie as farthest from the mean 6: 'a' by id; then 'd' farthest from 'a'
    assert result.labels == (1, 0, 1, 0) and result.centres == ((1.0, 0.0), (11.0, 0.0)) and result.converged


def test_kmeans_ties_go_to_the_first_centre() -> None:
    # 'c' at 5 is as near to 0 as to 10: it joins the first centre chosen (the one at 0, 'a' by id)
    result = kmeans([ClusterPoint("a", 0, 0), ClusterPoint("b", 10, 0), ClusterPoint("c", 5, 0)], 2)
    assert result.labels == (0, 1, 0) and result.centres == ((2.5, 0.0), (10.0, 0.0))


def test_assign_by_area_code_then_nearest_centre() -> None:
    localities = (Locality(id="W", name="West", centroid=_point((400_000, 510_000))),
                  Locality(id="E", name="East", centroid=_point((450_000, 500_000)),
                           area_codes=frozenset({"E01000009"})))
    instance = _instance((_learner("L1", (400_100, 510_100), "E01000009"), _learner("L2", (400_100, 510_100)),
                          _learner("L3", (449_000, 500_000), "E01000001")))
    assigned = assign_to_localities(instance, localities)
    assert {x.id: x.locality_id for x in assigned.learners} == {"L1": "E", "L2": "W", "L3": "E"}
    assert {s.id: s.locality_id for s in assigned.settings}["S-OUT"] is None
    assert "1 learner(s) assigned by the LSOA of their home, 2 by the nearest" in assigned.message
    with pytest.raises(ValueError, match="no localities"):
        assign_to_localities(instance, ())


def test_build_localities_from_codes_takes_the_centre_of_their_homes() -> None:
    instance = _with_lsoas()
    built = build_localities(instance, [
        LocalitySpec(id="W", name="West", area_codes=frozenset({"e01000001"})),
        LocalitySpec(id="E", name="East", centre=_point((450_000, 500_000)), area_codes=frozenset({"E01000003"})),
    ])
    assert built[0].centroid == Point(easting=400_500, northing=510_000)
    assert built[1].centroid == Point(easting=450_000, northing=500_000)
    with pytest.raises(LocalityBuildError) as info:
        build_localities(instance, [LocalitySpec(id="X", name="X", area_codes=frozenset({"E05000026"})),
                                    LocalitySpec(id="Y", name="Y", centre=_point((1, 1)),
                                                 area_codes=frozenset({"E01000001"})),
                                    LocalitySpec(id="Y", name="Again", centre=_point((1, 1))),
                                    LocalitySpec(id="Z", name="Z", centre=_point((1, 1)),
                                                 area_codes=frozenset({"E01000001"}))])
    assert info.value.problems == [
        "locality X: no learner's home is in its area codes, so it has no centre (give easting and northing)",
        "locality Y: the id is given more than once",
        "locality Z: area code E01000001 is already Y's",
    ]


def test_apply_keeps_teams_forecasts_and_journeys_consistent() -> None:
    old = (Locality(id="OLD1", name="Old 1", centroid=_point((400_000, 510_000))),
           Locality(id="OLD2", name="Old 2", centroid=_point((450_000, 500_000))))
    spatial = _spatial()
    instance = spatial.replace(
        localities=old,
        teams=(OutreachTeam(id="T-ALL", name="All", specialisms=frozenset({"ASD"}), hours_per_week=10,
                            locality_ids=frozenset({"OLD1", "OLD2"})),
               OutreachTeam(id="T-ONE", name="One", specialisms=frozenset({"ASD"}), hours_per_week=10,
                            locality_ids=frozenset({"OLD1"})),
               OutreachTeam(id="T-ANY", name="Any", specialisms=frozenset({"ASD"}), hours_per_week=10)),
        forecasts=(NeedForecast(academic_year=2027, need="ASD", phase="primary", locality_id="OLD1", p10=1, p50=2,
                                p90=3),),
        travel_times=(TravelTime(origin_id="OLD1", destination_id="S-A1", minutes=5),
                      TravelTime(origin_id="A0", destination_id="S-A1", minutes=7)),
    )
    changed = apply_localities(instance, derive_localities(instance, 2))
    assert [loc.id for loc in changed.localities] == ["LOC-01", "LOC-02"]
    teams = changed.team_by_id
    assert teams["T-ALL"].locality_ids == teams["T-ONE"].locality_ids == {"LOC-01", "LOC-02"}
    assert teams["T-ANY"].locality_ids == frozenset()
    assert changed.forecasts == ()
    assert [t.origin_id for t in changed.travel_times] == ["A0"]
    assert "derived from home locations" in changed.metadata["localities"]
