"""Each what-if edit does what it says, leaves the base untouched, and each bad edit names its index and field."""

from __future__ import annotations

from typing import Any

import pytest

from planner.domain.codes import Need, SettingKind, SettingStatus
from planner.domain.models import Instance
from planner.forecast.simulation import MoveShift
from scenarios.what_if import ScenarioEditError, capital_by_year, materialise


def places_in(instance: Instance, year: int, host: str) -> int:
    """Total places of a setting and its annexes open in a year."""
    return sum(s.capacity for s in instance.settings
               if (s.id == host or s.host_setting_id == host) and s.is_open_in(year))


def test_add_setting_opens_in_its_year_and_records_capital(tiny: Instance) -> None:
    edits = [{"op": "add_setting", "id": "NEW1", "name": "New ASD school", "kind": "special",
              "designations": ["ASD"], "ncy_min": 0, "ncy_max": 11, "places": 80, "opens_year": 2028,
              "capital_cost": 12_000_000, "locality_id": "S"}]
    result, overrides = materialise(tiny, edits)
    new = result.setting_by_id["NEW1"]
    assert new.status is SettingStatus.PROPOSED and new.capacity == 80
    assert not new.is_open_in(2027) and new.is_open_in(2028)
    assert new.location == tiny.locality_by_id["S"].centroid
    assert new.cost_per_place == 23_000  # default for a special school
    assert capital_by_year(result) == {2027: 12_000_000.0}
    assert overrides == {}
    assert "NEW1" not in tiny.setting_by_id  # pure: the base is unchanged


def test_expand_places_from_a_year(tiny: Instance) -> None:
    result, _ = materialise(tiny, [{"op": "expand_places", "setting_id": "SP1", "places": 24, "from_year": 2028,
                                    "capital_cost": 2_400_000}])
    assert places_in(result, 2027, "SP1") == 100
    assert places_in(result, 2028, "SP1") == 124
    annex = result.setting_by_id["SP1:exp2028"]
    assert annex.designations == tiny.setting_by_id["SP1"].designations and annex.host_setting_id == "SP1"


def test_reduce_places_from_a_year(tiny: Instance) -> None:
    result, _ = materialise(tiny, [{"op": "reduce_places", "setting_id": "SP2", "places": 20, "from_year": 2029}])
    assert [places_in(result, y, "SP2") for y in (2026, 2028, 2029, 2031)] == [60, 60, 40, 40]
    assert result.setting_by_id["SP2"].capacity == 40


def test_redesignate_add_and_remove(tiny: Instance) -> None:
    result, _ = materialise(tiny, [{"op": "redesignate", "setting_id": "SP1", "add": ["SEMH"], "remove": ["SLD"],
                                    "ncy_max": 11}])
    changed = result.setting_by_id["SP1"]
    assert changed.designations == frozenset({Need.ASD, Need.SEMH}) and changed.ncy_max == 11


def test_close_setting_from_a_year(tiny: Instance) -> None:
    result, _ = materialise(tiny, [{"op": "expand_places", "setting_id": "PRU1", "places": 10, "from_year": 2030},
                                   {"op": "close_setting", "setting_id": "PRU1", "year": 2029}])
    assert result.setting_by_id["PRU1"].is_open_in(2028) and not result.setting_by_id["PRU1"].is_open_in(2029)
    assert "PRU1:exp2030" not in result.setting_by_id  # the expansion after closure never happens


def test_rates_and_journey_limits_become_overrides(tiny: Instance) -> None:
    _, overrides = materialise(tiny, [
        {"op": "change_rates", "joiner_scale": 1.2},
        {"op": "change_rates", "need": "ASD", "phase": "secondary", "joiner_scale": 1.1},
        {"op": "change_rates", "joiner_scale": 1.5},
        {"op": "change_rates", "growth_rate": 0.04, "growth_cap": 0.06},
        {"op": "change_journey_limits", "limits": {"primary": 45, "secondary": 75}},
    ])
    assert overrides["joiner_rate_scale"] == {"*": pytest.approx(1.8), "ASD/secondary": pytest.approx(1.1)}
    assert overrides["growth_rate"] == 0.04 and overrides["growth_cap"] == 0.06
    assert overrides["journey_limits"] == {"primary": 45, "secondary": 75}


def test_shift_placements_becomes_a_forecast_move_shift(tiny: Instance) -> None:
    _, overrides = materialise(tiny, [{"op": "shift_placements", "from_year": 2028, "from_kind":
                                       "independent_special", "to_kind": "special", "fraction": 0.5}])
    assert overrides["move_shifts"] == [{"from_year": 2028, "from_kind": "independent_special",
                                         "to_kind": "special", "fraction": 0.5}]
    MoveShift.model_validate(overrides["move_shifts"][0])  # the forecast takes it as it is


def test_change_costs_by_kind_and_setting(tiny: Instance) -> None:
    result, overrides = materialise(tiny, [{"op": "change_costs", "kind": "special", "scale": 1.1},
                                           {"op": "change_costs", "setting_id": "PRU1", "cost_per_place": 18_000}])
    assert result.setting_by_id["SP1"].cost_per_place == 25_300
    assert result.setting_by_id["SP2"].cost_per_place == 27_500
    assert result.setting_by_id["PRU1"].cost_per_place == 18_000
    assert result.setting_by_id["M1"].cost_per_place == 7_000
    assert len(overrides["cost_changes"]) == 2


def test_materialise_is_deterministic_and_pure(tiny: Instance) -> None:
    edits = [{"op": "expand_places", "setting_id": "SP1", "places": 8, "from_year": 2027},
             {"op": "close_setting", "setting_id": "SP2", "year": 2030}]
    first, _ = materialise(tiny, edits)
    second, _ = materialise(tiny, edits)
    assert first == second
    assert tiny.setting_by_id["SP2"].closes_year is None


BAD_EDITS: list[tuple[list[dict[str, Any]], int, str, str]] = [
    ([{"op": "demolish"}], 0, "op", "unknown edit"),
    ([{"op": "expand_places", "setting_id": "NOPE", "places": 5, "from_year": 2027}], 0, "setting_id", "unknown"),
    ([{"op": "close_setting", "setting_id": "SP1", "year": 2027},
      {"op": "expand_places", "setting_id": "SP1", "places": -5, "from_year": 2027}], 1, "places", "greater than 0"),
    ([{"op": "reduce_places", "setting_id": "SP2", "places": 61, "from_year": 2027}], 0, "places", "has 60"),
    ([{"op": "add_setting", "id": "SP1", "name": "Dup", "kind": "special", "designations": ["ASD"], "ncy_min": 0,
       "ncy_max": 6, "places": 10, "opens_year": 2027, "locality_id": "N"}], 0, "setting_id", "already exists"),
    ([{"op": "add_setting", "id": "X", "name": "X", "kind": "special", "designations": ["ASD"], "ncy_min": 0,
       "ncy_max": 6, "places": 10, "opens_year": 2027, "locality_id": "ZZ"}], 0, "locality_id", "unknown locality"),
    ([{"op": "add_setting", "id": "X", "name": "X", "kind": "special", "designations": ["ASD"], "ncy_min": 9,
       "ncy_max": 6, "places": 10, "opens_year": 2027, "locality_id": "N"}], 0, "ncy_min", "above ncy_max"),
    ([{"op": "add_setting", "id": "X", "name": "X", "kind": "special", "ncy_min": 0,
       "ncy_max": 6, "places": 10, "opens_year": 2027, "locality_id": "N"}], 0, "designations", "at least one"),
    ([{"op": "redesignate", "setting_id": "SP2", "remove": ["ASD"]}], 0, "remove", "not designated"),
    ([{"op": "redesignate", "setting_id": "SP2", "designations": ["XYZ"]}], 0, "designations.0", "Input should be"),
    ([{"op": "close_setting", "setting_id": "SP1", "year": 2020}], 0, "year", "before the base year"),
    ([{"op": "change_rates"}], 0, "joiner_scale", "joiner_scale, growth_rate or growth_cap"),
    ([{"op": "change_rates", "need": "ASD", "growth_rate": 0.1}], 0, "growth_rate", "all needs together"),
    ([{"op": "shift_placements", "from_year": 2028, "from_kind": "special", "to_kind": "special",
       "fraction": 0.5}], 0, "to_kind", "same as from_kind"),
    ([{"op": "shift_placements", "from_year": 2020, "from_kind": "independent_special", "to_kind": "special",
       "fraction": 0.5}], 0, "from_year", "before the base year"),
    ([{"op": "change_journey_limits", "limits": {"primary": 0}}], 0, "limits.primary", "must be > 0"),
    ([{"op": "change_costs", "kind": "special"}], 0, "cost_per_place", "cost_per_place or scale"),
    ([{"op": "change_costs", "kind": "special", "scale": 1.0, "extra": 1}], 0, "extra", "not permitted"),
    (["not a mapping"], 0, "op", "mapping"),
]


@pytest.mark.parametrize(("edits", "index", "field", "fragment"), BAD_EDITS)
def test_bad_edit_names_index_and_field(tiny: Instance, edits: list[dict[str, Any]], index: int, field: str,
                                        fragment: str) -> None:
    with pytest.raises(ScenarioEditError) as caught:
        materialise(tiny, edits)
    assert caught.value.index == index
    assert caught.value.field == field
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"edit {index}")
    assert isinstance(caught.value, ValueError)


def test_kind_of_new_setting_round_trips(tiny: Instance) -> None:
    result, _ = materialise(tiny, [{"op": "add_setting", "id": "RP9", "name": "RP", "kind": "resourced_provision",
                                    "designations": ["SLCN"], "ncy_min": 0, "ncy_max": 6, "places": 12,
                                    "opens_year": 2027, "host_setting_id": "M1", "locality_id": "N"}])
    assert result.setting_by_id["RP9"].kind is SettingKind.RESOURCED_PROVISION
