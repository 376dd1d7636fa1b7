"""Sufficiency: a hand-computed allocation, out-of-reach vs short, phase caps, reconciliation on the demo."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from planner.domain.codes import Need, Phase, SettingKind
from planner.domain.models import Instance, Locality, Point, Setting
from planner.solving.progress import NullProgress
from planner.sufficiency import SufficiencyParameters, allocate_year, round_demand, run_sufficiency

YEAR = 2027


def _setting(id: str, kind: SettingKind, ncy_max: int, capacity: int, easting: float, northing: float,
             **extra: Any) -> Setting:
    return Setting(id=id, name=id, kind=kind, designations=frozenset({Need.ASD}), ncy_min=0, ncy_max=ncy_max,
                   capacity=capacity, cost_per_place=extra.pop("cost"), location=Point(easting=easting,
                                                                                        northing=northing),
                   **extra)


def hand_instance(phase_cap: dict[Phase, int] | None = None) -> Instance:
    """Two localities 30 km apart; an ASD special school in A, an ASD resourced provision (primary) in B, an
    independent ASD school 100 km north. Car minutes = 10.8 + 0.95 x km."""
    return Instance(
        name="Hand", base_year=2026,
        localities=(Locality(id="A", name="A", centroid=Point(easting=400_000, northing=500_000)),
                    Locality(id="B", name="B", centroid=Point(easting=430_000, northing=500_000))),
        settings=(
            _setting("S1", SettingKind.SPECIAL, 11, 3, 400_000, 500_000, cost=23_000, locality_id="A",
                     capacity_by_phase=phase_cap or {}),
            _setting("S2", SettingKind.RESOURCED_PROVISION, 6, 2, 430_000, 500_000, cost=19_000, locality_id="B"),
            _setting("S3", SettingKind.INDEPENDENT_SPECIAL, 11, 10, 400_000, 600_000, cost=60_000, in_area=False),
        ),
    )


DEMAND = {
    (Need.ASD, Phase.PRIMARY, "A", "specialist"): 4,
    (Need.ASD, Phase.PRIMARY, "B", "specialist"): 3,
    (Need.ASD, Phase.SECONDARY, "B", "specialist"): 1,
    (Need.SEMH, Phase.PRIMARY, "A", "specialist"): 2,
}


def _by_cell(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    return {(r["need"], r["phase"], r["locality_id"]): (r["placed_in_area"], r["short_of_capacity"],
                                                        r["out_of_reach"], r["placed_out_of_area"]) for r in rows}


def test_hand_computed_allocation() -> None:
    """Unit costs (10/min travel, 5 per GBP 1k, 100 per restrictiveness step, +1000 out of area):
    A->S1 525, A->S2 585, B->S1 805, B->S2 305, A->S3 2760, B->S3 2800. S2's two places save most for B
    (2495 each), S1's three for A (2235 each); the rest go to S3. SEMH has no designated place: out of reach."""
    result = allocate_year(hand_instance(), YEAR, DEMAND, SufficiencyParameters())
    assert _by_cell(result.rows) == {
        ("ASD", "primary", "A"): (3, 0, 0, 1),
        ("ASD", "primary", "B"): (2, 0, 0, 1),
        ("ASD", "secondary", "B"): (0, 0, 0, 1),
        ("SEMH", "primary", "A"): (0, 0, 2, 0),
    }
    assert result.objective == 3 * 525 + 2760 + 2 * 305 + 2800 + 2800 + 2 * 1_000_000
    spare = {s["setting_id"]: s["spare_places"] for s in result.spare}
    assert spare == {"S1": 0, "S2": 0, "S3": 7}
    costs = {(r["need"], r["phase"], r["locality_id"]): r["cost_gbp"] for r in result.rows}
    assert costs[("ASD", "primary", "A")] == 3 * 23_000 + 60_000
    # The out-of-area part: only the independent school's place (GBP 60,000), per cell.
    out_costs = {(r["need"], r["phase"], r["locality_id"]): r["out_of_area_cost_gbp"] for r in result.rows}
    assert out_costs == {("ASD", "primary", "A"): 60_000, ("ASD", "primary", "B"): 60_000,
                         ("ASD", "secondary", "B"): 60_000, ("SEMH", "primary", "A"): 0}
    journeys = {(r["need"], r["locality_id"], r["phase"]): r["p95_journey_minutes"] for r in result.rows}
    assert journeys[("ASD", "A", "primary")] == pytest.approx(10.8 + 0.95 * 100, abs=0.1)


def test_full_in_area_places_are_short_not_out_of_reach() -> None:
    """With out-of-area places beyond a 60-minute limit, the ASD remainder is short of capacity (suitable
    in-area places exist, all full); SEMH is still out of reach."""
    params = SufficiencyParameters(out_of_area_journey_limit_minutes=60)
    result = allocate_year(hand_instance(), YEAR, DEMAND, params)
    assert _by_cell(result.rows) == {
        ("ASD", "primary", "A"): (3, 1, 0, 0),
        ("ASD", "primary", "B"): (2, 1, 0, 0),
        ("ASD", "secondary", "B"): (0, 1, 0, 0),
        ("SEMH", "primary", "A"): (0, 0, 2, 0),
    }
    assert result.objective == 3 * 525 + 2 * 305 + 5 * 1_000_000


def test_phase_cap_limits_places_for_a_phase() -> None:
    """S1 offers only 1 primary place: A gets it, S1's other places go to B's secondary learner."""
    result = allocate_year(hand_instance({Phase.PRIMARY: 1}), YEAR, DEMAND, SufficiencyParameters())
    cells = _by_cell(result.rows)
    assert cells[("ASD", "primary", "A")] == (1, 0, 0, 3)
    assert cells[("ASD", "primary", "B")] == (2, 0, 0, 1)
    assert cells[("ASD", "secondary", "B")] == (1, 0, 0, 0)


def test_journey_limit_makes_far_places_out_of_reach() -> None:
    """Primary limit 20 minutes: A->S2 and B->S1 (39 min) are too far; B-secondary keeps 75 minutes."""
    params = SufficiencyParameters(journey_limit_minutes={Phase.PRIMARY: 20})
    result = allocate_year(hand_instance(), YEAR, DEMAND, params)
    cells = _by_cell(result.rows)
    assert cells[("ASD", "primary", "A")] == (3, 0, 0, 1)
    assert cells[("ASD", "primary", "B")] == (2, 0, 0, 1)
    assert cells[("ASD", "secondary", "B")] == (0, 0, 0, 1)  # S1 is full of A's primary learners


def test_rounding_is_half_up() -> None:
    assert list(round_demand(np.array([0.4, 0.5, 1.5, 2.49]))) == [0, 1, 2, 2]


@pytest.fixture(scope="module")
def demo_result() -> tuple[Instance, dict[str, Any]]:
    demo = pytest.importorskip("scenarios.demo")
    instance = demo.build_demo("demo")
    out = run_sufficiency(instance, {"forecast": {"horizon_years": 3, "runs": 200, "seed": 3}}, NullProgress())
    return instance, out


def test_demo_reconciles_every_cell(demo_result: tuple[Instance, dict[str, Any]]) -> None:
    _, out = demo_result
    json.dumps(out)
    assert out["rows"]
    for row in out["rows"]:
        assert row["demand"] == (row["placed_in_area"] + row["short_of_capacity"] + row["out_of_reach"]
                                 + row["placed_out_of_area"]), row
    for total in out["totals"]:
        year_rows = [r for r in out["rows"] if r["academic_year"] == total["academic_year"]]
        assert total["demand"] == sum(r["demand"] for r in year_rows)
    assert out["statistics"]["gap"] == 0.0


def test_demo_shortfalls_fall_on_asd_and_semh(demo_result: tuple[Instance, dict[str, Any]]) -> None:
    """The demo council is built short of ASD and SEMH places: they lead the learners not placed in area."""
    _, out = demo_result
    first = min(out["years"])
    not_in_area: dict[str, int] = {}
    for r in out["rows"]:
        if r["academic_year"] == first:
            not_in_area[r["need"]] = not_in_area.get(r["need"], 0) + r["demand"] - r["placed_in_area"]
    top_two = sorted(not_in_area, key=lambda n: -not_in_area[n])[:2]
    assert set(top_two) == {"ASD", "SEMH"}
