"""Edits that fit any council (scenarios.fitting): which setting or locality they choose, how many places, and the
reason when the council has nothing to choose. Every expected choice is worked out by hand from the instance below."""

from __future__ import annotations

from typing import Any

import pytest

from planner.domain.models import Instance, Learner, Locality, Point, Setting
from scenarios.what_if import ScenarioDoesNotFit, does_not_fit, materialise

WEST, EAST, FAR = (
    Point(easting=400000, northing=400000),
    Point(easting=420000, northing=400000),
    Point(easting=600000, northing=400000),
)


def _school(
    sid: str,
    kind: str,
    at: Point,
    capacity: int,
    designations: tuple[str, ...] = (),
    ncy: tuple[int, int] = (0, 14),
    locality: str | None = None,
    in_area: bool = True,
) -> Setting:
    return Setting(
        id=sid,
        name=f"School {sid}",
        kind=kind,
        designations=frozenset(designations),
        ncy_min=ncy[0],
        ncy_max=ncy[1],
        capacity=capacity,
        cost_per_place=20000,
        location=at,
        locality_id=locality,
        in_area=in_area,
    )


@pytest.fixture
def shire() -> Instance:
    """Two ASD special schools, west (60 places) and east (40); an independent school far away holding three autistic
    learners who live in the east and one who lives in the west; two localities; a primary school in each."""
    settings = (
        _school("W-SP", "special", WEST, 60, ("ASD",), locality="W"),
        _school("E-SP", "special", EAST, 40, ("ASD", "SLD"), (7, 14), locality="E"),
        _school("W-PRI", "mainstream", WEST, 300, ncy=(0, 6), locality="W"),
        _school("E-PRI", "mainstream", EAST, 200, ncy=(0, 6), locality="E"),
        _school("INDEP", "independent_special", FAR, 50, ("ASD",), in_area=False),
    )
    homes = [("L1", EAST, "E"), ("L2", EAST, "E"), ("L3", EAST, None), ("L4", WEST, "W")]
    learners = tuple(
        Learner(id=lid, ncy=9, primary_need="ASD", home=home, locality_id=loc, current_setting_id="INDEP")
        for lid, home, loc in homes
    )
    return Instance(
        name="Fitshire",
        base_year=2026,
        settings=settings,
        learners=learners,
        localities=(Locality(id="W", name="Westby", centroid=WEST), Locality(id="E", name="Eastby", centroid=EAST)),
    )


def _expand(pick: dict[str, Any], **amount: Any) -> dict[str, Any]:
    return {"op": "expand_chosen", "pick": pick, "years_from_base": 2, "capital_per_place": 1000, **amount}


def test_the_school_nearest_most_learners_placed_out_of_area_is_expanded(shire: Instance) -> None:
    # Three of the four autistic learners out of area live nearer E-SP, though W-SP is larger.
    result, _ = materialise(shire, [_expand({"kinds": ["special"], "need": "ASD"}, places=10)])
    annex = result.setting_by_id["E-SP:exp2028"]
    assert (annex.capacity, annex.opens_year, annex.host_setting_id) == (10, 2028, "E-SP")
    assert result.metadata["scenario_capital"][0]["amount"] == 10 * 1000
    largest, _ = materialise(shire, [_expand({"kinds": ["special"], "rank": "largest"}, places=10)])
    assert "W-SP:exp2028" in largest.setting_by_id


def test_a_percentage_at_every_school_taking_an_age_as_places_for_those_ages(shire: Instance) -> None:
    edit = _expand({"kinds": ["special"], "ncy": 13, "every": True}, percent=10, ncy_from=12)
    result, _ = materialise(shire, [edit])
    added = {
        s.id: (s.capacity, s.ncy_min, s.ncy_max, s.host_setting_id)
        for s in result.settings
        if s.host_setting_id is not None
    }
    # 10% of 60 and of 40 places, for NCY 12 up to each school's top age (14).
    assert added == {"W-SP:ncy12-2028": (6, 12, 14, "W-SP"), "E-SP:ncy12-2028": (4, 12, 14, "E-SP")}


def test_two_edits_choosing_the_same_school_add_two_annexes(shire: Instance) -> None:
    both = [
        _expand({"kinds": ["special"], "need": "ASD"}, places=10),
        _expand({"kinds": ["special"], "need": "SLD"}, places=5),
    ]
    result, _ = materialise(shire, both)
    assert result.setting_by_id["E-SP:exp2028"].capacity == 10
    assert result.setting_by_id["E-SP:ncy7-2028"].capacity == 5  # its whole age range, 7-14


def test_a_new_setting_opens_where_most_learners_are_placed_out_of_area(shire: Instance) -> None:
    unit = {
        "op": "open_where_needed",
        "id": "NEW-RP",
        "name": "{locality} Autism Base",
        "kind": "resourced_provision",
        "need": "ASD",
        "designations": ["ASD"],
        "ncy_min": 0,
        "ncy_max": 6,
        "places": 8,
        "years_from_base": 1,
        "hosted": True,
    }
    result, _ = materialise(shire, [unit])
    new = result.setting_by_id["NEW-RP"]
    # L3 has no locality recorded: the nearest centroid (Eastby) counts it, so Eastby has 3 against Westby's 1.
    assert (new.name, new.locality_id, new.host_setting_id, new.opens_year) == (
        "Eastby Autism Base",
        "E",
        "E-PRI",
        2027,
    )


def test_a_council_without_what_an_edit_chooses_is_refused_with_the_reason(shire: Instance) -> None:
    close = {"op": "close_chosen", "pick": {"kinds": ["semh_special"], "need": "SEMH"}, "years_from_base": 1}
    with pytest.raises(ScenarioDoesNotFit) as caught:
        materialise(shire, [_expand({"kinds": ["special"]}, places=1), close])
    assert (caught.value.index, caught.value.field, caught.value.reason) == (
        1,
        "pick",
        "no SEMH special school designated SEMH in this council",
    )
    assert does_not_fit(shire, [close]) == (
        "does not fit: no SEMH special school designated SEMH in this council (edit 1, close_chosen)"
    )
    assert does_not_fit(shire, [_expand({"kinds": ["special"]}, places=1)]) is None
    # The independent school is out of area: never chosen as the council's own.
    assert does_not_fit(shire, [_expand({"kinds": ["independent_special"]}, places=1)]) == (
        "does not fit: no independent special school in this council (edit 1, expand_chosen)"
    )
