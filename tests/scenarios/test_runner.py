"""Scenario runs, lineage, the shipped scenarios, and comparisons that reconcile with single runs."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from planner.domain.models import Instance
from planner.solving.progress import NullProgress, RunCancelled
from planner.sufficiency import run_sufficiency
from scenarios.demo import build_demo
from scenarios.registry import get_scenario, scenario_names
from scenarios.runner import KPI_FIELDS, compare_runs, comparison_chart, comparison_csv, comparison_xlsx, run_scenario
from scenarios.spec import ScenarioFormatError, all_edits, lineage, materialise_spec, parse_spec
from scenarios.what_if import ScenarioEditError, materialise

FAST = {"horizon_years": 3, "runs": 60}


@pytest.fixture(scope="module")
def demo() -> Instance:
    return build_demo("demo", 2026)


def test_shipped_scenarios_materialise_on_the_demo(demo: Instance) -> None:
    for name in scenario_names():
        spec = get_scenario(name)
        instance, _ = materialise_spec(spec, demo, get_scenario)
        assert len(instance.settings) > len(demo.settings) or any(
            s.closes_year is not None for s in instance.settings)
        assert instance.metadata["scenario"]["name"] == name


def test_lineage_applies_the_parent_first(demo: Instance) -> None:
    child = get_scenario("post16-growth")
    assert [s.name for s in lineage(child, get_scenario)] == ["phase2-special-expansion", "post16-growth"]
    edits = all_edits(child, get_scenario)
    assert edits[: len(get_scenario("phase2-special-expansion").edits)] == get_scenario(
        "phase2-special-expansion").edits
    instance, overrides = materialise_spec(child, demo, get_scenario)
    # Phase 2's new autism school, and the child's 30 places at the demo's only specialist post-16 institution.
    assert "NEW-ASD-SPECIAL" in instance.setting_by_id and instance.setting_by_id["960001:exp2028"].capacity == 30
    assert overrides["journey_limits"]["post16"] == 100


def test_lineage_errors_are_named() -> None:
    orphan = parse_spec({"name": "orphan", "parent": "nobody", "edits": []})
    with pytest.raises(ScenarioFormatError, match="parent: unknown scenario 'nobody'"):
        lineage(orphan, get_scenario)
    a = parse_spec({"name": "a", "parent": "b"})
    b = parse_spec({"name": "b", "parent": "a"})
    with pytest.raises(ScenarioFormatError, match="loops"):
        lineage(a, {"a": a, "b": b}.__getitem__)


def test_spec_with_a_bad_edit_names_index_and_field() -> None:
    with pytest.raises(ScenarioEditError) as caught:
        parse_spec({"name": "bad", "edits": [{"op": "close_setting", "setting_id": "1", "year": 2027},
                                              {"op": "expand_places", "setting_id": "1", "places": 0,
                                               "from_year": 2027}]})
    assert caught.value.index == 1 and caught.value.field == "places"


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="phase2-special-expansion"):
        get_scenario("nope")


def test_expansion_scenario_reduces_out_of_area_and_spends_capital(demo: Instance) -> None:
    baseline = run_scenario(demo, FAST, NullProgress())
    phase2 = run_scenario(demo, {**FAST, "scenario": "phase2-special-expansion"}, NullProgress())
    assert phase2["scenario"]["lineage"] == ["phase2-special-expansion"]
    # The resourced provision opening in 2027 is paid for in the base year, before the first forecast year.
    assert phase2["totals"]["capital_spent_before_first_year"] == pytest.approx(600_000)
    assert phase2["totals"]["capital_spent"] == pytest.approx(2_400_000 + 2_100_000 + 14_000_000)
    assert phase2["totals"]["out_of_area_placements"] < baseline["totals"]["out_of_area_placements"]
    assert phase2["totals"]["unmet_need"] < baseline["totals"]["unmet_need"]
    assert phase2["kpis"] != baseline["kpis"] and phase2["totals"]["demand"] == baseline["totals"]["demand"]
    for run in (baseline, phase2):
        for row in run["kpis"].values():
            # Every learner needing a place is placed in area, out of area, or counted unmet (sufficiency's rule).
            assert row["placed_in_area"] + row["out_of_area_placements"] + row["unmet_need"] == row["demand"]
            assert row["unmet_need"] == row["short_of_capacity"] + row["out_of_reach"]
            assert row["p95_journey_minutes"] >= 0 and row["mean_journey_minutes"] > 0
        assert run["placement"]["placed"] + run["placement"]["unplaced"] == run["placement"]["learners"]


def test_scenario_kpis_are_the_sufficiency_reports(demo: Instance) -> None:
    """A scenario run's figures are run_sufficiency's figures on the same instance and parameters."""
    edits = [{"op": "close_setting", "setting_id": "940001", "year": 2028},
             {"op": "change_journey_limits", "limits": {"secondary": 60}}]
    run = run_scenario(demo, {**FAST, "edits": edits, "placement_kpis": False}, NullProgress())
    instance, _ = materialise(demo, edits)
    report = run_sufficiency(instance, {"forecast": {"horizon_years": 3, "runs": 60},
                                        "journey_limit_minutes": {"secondary": 60}}, NullProgress())
    assert run["years"] == [str(y) for y in report["years"]]
    for totals in report["totals"]:
        row = run["kpis"][str(totals["academic_year"])]
        assert row["demand"] == totals["demand"]
        assert row["placed_in_area"] == totals["placed_in_area"]
        assert row["short_of_capacity"] == totals["short_of_capacity"]
        assert row["out_of_reach"] == totals["out_of_reach"]
        assert row["out_of_area_placements"] == totals["placed_out_of_area"]
        # Costs split by where the place is add up to the report's cell costs.
        assert row["revenue_cost"] + row["out_of_area_cost"] == pytest.approx(totals["cost_gbp"])
    assert "placement" not in run


def test_demand_levers_reach_the_forecast(demo: Instance) -> None:
    baseline = run_scenario(demo, {**FAST, "placement_kpis": False}, NullProgress())
    more = run_scenario(demo, {**FAST, "placement_kpis": False, "edits": [
        {"op": "change_rates", "joiner_scale": 1.5}, {"op": "change_rates", "growth_rate": 0.1}]}, NullProgress())
    assert more["totals"]["demand"] > baseline["totals"]["demand"]


def test_compare_reconciles_with_single_runs(demo: Instance) -> None:
    names = ["phase2-special-expansion", "pru-restructure", "post16-growth"]
    singles = {name: run_scenario(demo, {**FAST, "scenario": name}, NullProgress()) for name in names}
    singles["baseline"] = run_scenario(demo, FAST, NullProgress())
    again = {name: run_scenario(demo, {**FAST, "scenario": name}, NullProgress()) for name in names}
    table = compare_runs({**again, "baseline": run_scenario(demo, FAST, NullProgress())})
    assert len(table["rows"]) == 4 * 3
    for row in table["rows"]:
        single = singles[row["scenario"]]["kpis"][str(row["academic_year"])]
        for name, _ in KPI_FIELDS:
            assert row[name] == pytest.approx(single[name], rel=1e-9, abs=1e-9)
    for name, totals in table["totals"].items():
        assert totals == pytest.approx(singles[name]["totals"], rel=1e-9)

    parsed = list(csv.DictReader(io.StringIO(comparison_csv(table))))
    assert len(parsed) == len(table["rows"])
    first = parsed[0]
    assert float(first["unmet_need"]) == pytest.approx(table["rows"][0]["unmet_need"], abs=1e-3)
    book = openpyxl.load_workbook(io.BytesIO(comparison_xlsx(table)))
    assert book.sheetnames == ["scenarios", "totals", "totals vs baseline", "by year", "money", "metrics"]
    assert book["by year"].max_row == len(table["rows"]) + 1
    assert comparison_chart(table, "png").startswith(b"\x89PNG")
    assert b"<svg" in comparison_chart(table, "svg")[:500]


def test_scenario_run_is_deterministic(demo: Instance) -> None:
    first = run_scenario(demo, {**FAST, "scenario": "pru-restructure"}, NullProgress())
    second = run_scenario(demo, {**FAST, "scenario": "pru-restructure"}, NullProgress())
    assert first["kpis"] == second["kpis"]


def test_bad_run_parameter_is_named(demo: Instance) -> None:
    with pytest.raises(ValueError, match="horizon_years"):
        run_scenario(demo, {"horizon_years": 0}, NullProgress())
    with pytest.raises(ValueError, match="growth_rate"):
        run_scenario(demo, {"growth_rate": {"ASD": 0.1}}, NullProgress())


class _StopAtOnce:
    def report(self, fraction: float, message: str) -> None:
        pass

    def should_stop(self) -> bool:
        return True


def test_a_cancelled_run_stops(demo: Instance) -> None:
    with pytest.raises(RunCancelled):
        run_scenario(demo, FAST, _StopAtOnce())


def test_kpis_by_pool_are_the_report_cells_of_each_pool(demo: Instance) -> None:
    """Specialist and AP figures apart (the Overview shows them so): each is the sum of the sufficiency report's
    cells of that pool, and the two pools add up to the year's KPI."""
    run = run_scenario(demo, {**FAST, "placement_kpis": False}, NullProgress())
    report = run_sufficiency(demo, {"forecast": FAST}, NullProgress())
    names = {"demand": "demand", "placed_in_area": "placed_in_area", "short_of_capacity": "short_of_capacity",
             "out_of_reach": "out_of_reach", "placed_out_of_area": "out_of_area_placements"}
    for year in run["years"]:
        pools = run["kpis_by_pool"][year]
        assert set(pools) == {"specialist", "alternative_provision"}
        for pool, figures in pools.items():
            cells = [r for r in report["rows"] if str(r["academic_year"]) == year and r["pool"] == pool]
            for name in names:
                assert figures[name] == sum(r[name] for r in cells), (year, pool, name)
        for name, kpi in names.items():
            assert sum(p[name] for p in pools.values()) == run["kpis"][year][kpi]
        cost = sum(p["out_of_area_cost"] for p in pools.values())
        assert cost == pytest.approx(run["kpis"][year]["out_of_area_cost"])
    # The demo council has AP demand and places: both pools carry learners, so the split is not trivial.
    first = run["kpis_by_pool"][run["years"][0]]
    assert first["alternative_provision"]["demand"] > 0 and first["specialist"]["demand"] > 0
