"""The high-needs cost model: hand-checked figures, reconciliation, savings and payback, overrides, outputs."""

from __future__ import annotations

import csv
import io

import pytest

from planner.costs.assumptions import CostAssumptions, TransportBand, cost_assumptions
from planner.costs.projection import money_view, payback_year, road_km, with_savings
from planner.domain.models import Instance
from planner.io.money_export import money_chart, money_csv, money_xlsx
from planner.solving.progress import NullProgress
from scenarios.demo import build_demo
from scenarios.runner import compare_money, compare_runs, run_scenario

TINY_BANDS = [TransportBand(up_to_km=5, cost=1_000), TransportBand(up_to_km=15, cost=2_000),
              TransportBand(cost=5_000)]


@pytest.fixture(scope="module")
def demo() -> Instance:
    return build_demo("demo", 2026)


def _cell(year: int, need: str, placed: int = 0, short: int = 0, minutes: float | None = None) -> dict[str, object]:
    return {"academic_year": year, "need": need, "phase": "primary", "locality_id": "NV-TOWN", "pool": "specialist",
            "demand": placed + short, "placed_in_area": placed, "placed_out_of_area": 0, "short_of_capacity": short,
            "out_of_reach": 0, "mean_journey_minutes": minutes}


def test_a_tiny_allocation_is_priced_as_by_hand(demo: Instance) -> None:
    """10 places at a special school (GBP 24,900 recorded), 10 learners on a 13.7 km journey half of them
    transported (band <= 15 km: GBP 2,000), 2 SEMH learners without a place (GBP 70,000 each, and their transport at
    the longest band GBP 5,000); 10% inflation a year from the base year 2026."""
    assumptions = CostAssumptions(transport_bands=TINY_BANDS, transport_share=0.5, inflation=0.10,
                                  unmet_cost_by_need={"SEMH": 70_000})
    spare = [{"academic_year": 2027, "setting_id": "930001", "used": 10},
             {"academic_year": 2028, "setting_id": "930001", "used": 10}]
    rows = [_cell(2027, "ASD", placed=10, minutes=20.8), _cell(2027, "SEMH", short=2),
            _cell(2028, "ASD", placed=10, minutes=20.8)]
    assert road_km(20.8) == pytest.approx(10 * 82.1 / 60)  # 13.7 km: the 5-15 km band
    money = money_view(demo, [2027, 2028], rows, spare, {2026: 1_000_000.0}, assumptions)
    assert money["by_type"]["special"] == pytest.approx([249_000 * 1.1, 249_000 * 1.21])
    assert money["transport"] == pytest.approx([(10 * 0.5 * 2_000 + 2 * 0.5 * 5_000) * 1.1, 10 * 0.5 * 2_000 * 1.21])
    assert money["unmet"] == pytest.approx([2 * 70_000 * 1.1, 0.0])
    assert money["total"] == pytest.approx([(249_000 + 15_000 + 140_000) * 1.1, (249_000 + 10_000) * 1.21])
    assert money["capital"] == 1_000_000 and money["savings_vs_baseline"] is None and money["payback_year"] is None


def test_payback_is_the_first_year_cumulative_savings_reach_the_capital() -> None:
    baseline = {"years": [2027, 2028, 2029], "total": [100.0, 100.0, 100.0], "capital": 0.0}
    scenario = {"years": [2027, 2028, 2029], "total": [90.0, 60.0, 60.0], "capital": 50.0, "by_type": {},
                "transport": [0.0] * 3, "unmet": [0.0] * 3}
    compared = with_savings(scenario, baseline)
    assert compared["savings_vs_baseline"] == [10.0, 40.0, 40.0]
    assert compared["payback_year"] == 2028  # 10 after 2027, 50 after 2028: the capital of 50 is paid back
    assert payback_year([2027, 2028], [10.0, 30.0], 50.0) is None  # 40 < 50 within the horizon
    assert payback_year([2027], [10.0], 0.0) is None  # nothing to pay back


def test_overrides_council_then_run_then_setting(demo: Instance) -> None:
    council = demo.replace(metadata={**demo.metadata, "cost_assumptions": {"inflation": 0.03,
                                                                          "place_costs": {"special": 30_000}}})
    assumptions = cost_assumptions(council, {"inflation": 0.0, "setting_costs": {"930001": 41_000}})
    assert assumptions.inflation == 0.0  # the run's override wins over the council's
    special = council.setting_by_id["930001"]
    assert assumptions.place_cost(special) == 41_000  # a setting override wins over its recorded cost
    other = next(s for s in council.settings if s.kind.value == "special" and s.id != "930001")
    assert assumptions.place_cost(other) == other.cost_per_place  # the setting's own recorded cost next
    assert assumptions.place_cost(other.model_copy(update={"cost_per_place": 0})) == 30_000  # then the council's
    with pytest.raises(ValueError, match="cost assumption transport_bands"):
        cost_assumptions(demo, {"transport_bands": [{"up_to_km": 5, "cost": 1}]})


@pytest.fixture(scope="module")
def runs(demo: Instance) -> dict[str, dict[str, object]]:
    parameters = {"horizon_years": 3, "runs": 60, "placement_kpis": False, "costs": {"inflation": 0.0}}
    baseline = run_scenario(demo, parameters, NullProgress())
    scenario = run_scenario(demo, {**parameters, "edits": [
        {"op": "expand_places", "setting_id": "930002", "places": 40, "from_year": 2027, "capital_cost": 4e6}]},
        NullProgress())
    return {"baseline": baseline, "expand 930002": scenario}


def test_a_scenario_run_stores_money_that_reconciles(runs: dict[str, dict[str, object]]) -> None:
    for run in runs.values():
        money = run["money"]
        assert isinstance(money, dict) and money["years"] == [int(y) for y in run["years"]]  # type: ignore[index]
        for i, year in enumerate(money["years"]):
            types = sum(series[i] for series in money["by_type"].values())
            assert money["total"][i] == pytest.approx(types + money["transport"][i] + money["unmet"][i])
            # Without inflation or overrides, placements cost what the sufficiency KPIs say they cost.
            kpis = run["kpis"][str(year)]  # type: ignore[index]
            assert types == pytest.approx(kpis["revenue_cost"] + kpis["out_of_area_cost"])
            assert money["unmet"][i] == pytest.approx(kpis["unmet_need"] * 60_000)
    assert runs["expand 930002"]["money"]["capital"] == 4e6  # type: ignore[index]


def test_comparison_savings_are_baseline_minus_scenario(runs: dict[str, dict[str, object]]) -> None:
    money = compare_money(runs)  # type: ignore[arg-type]
    # The comparison table carries the same savings in its per-scenario money summary.
    table = compare_runs(runs)  # type: ignore[arg-type]
    assert table["money"]["expand 930002"]["savings_vs_baseline_total"] == pytest.approx(
        sum(money["views"]["baseline"]["total"]) - sum(money["views"]["expand 930002"]["total"]))
    assert money["baseline"] == "baseline"
    base, other = money["views"]["baseline"], money["views"]["expand 930002"]
    assert base["savings_vs_baseline"] == [0.0] * len(base["years"])
    assert other["savings_vs_baseline"] == pytest.approx([b - s for b, s in zip(base["total"], other["total"],
                                                                                  strict=True)])
    summary = {row["scenario"]: row for row in money["summary"]}
    assert summary["expand 930002"]["savings_vs_baseline"] == pytest.approx(sum(base["total"]) - sum(other["total"]))
    # 40 more places where there is unmet need: the scenario saves money (unmet need priced, not free).
    assert sum(other["unmet"]) < sum(base["unmet"]) and summary["expand 930002"]["savings_vs_baseline"] > 0
    text = money_csv(money["views"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * len(base["years"]) and float(rows[0]["total"]) == pytest.approx(base["total"][0], abs=0.01)
    assert money_xlsx(money["views"])[:2] == b"PK" and money_chart(money["views"]).startswith(b"\x89PNG")
