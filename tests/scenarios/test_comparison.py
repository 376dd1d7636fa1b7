"""The comparison a committee reads: differences against the baseline, the money view, the workbook and chart.

Built on fixture run results (the shape scenarios.runner.run_scenario returns, with the cost model's `money` view),
so the arithmetic can be checked by hand."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from scenarios.comparison import KPI_FIELDS, compare_runs, comparison_chart, comparison_csv, comparison_xlsx


def _result(name: str, lineage: list[str], unmet: list[float], capital: float, total: list[float],
            savings: list[float] | None, payback: int | None) -> dict[str, Any]:
    years = ["2027", "2028"]
    kpis = {y: {field: 0.0 for field, _ in KPI_FIELDS} for y in years}
    for year, value in zip(years, unmet, strict=True):
        kpis[year].update(unmet_need=value, demand=100.0, revenue_cost=1_000_000.0 + value * 1000)
    return {
        "status": "optimal", "scenario": {"name": name, "lineage": lineage}, "years": years, "kpis": kpis,
        "totals": {"unmet_need": sum(unmet), "demand": 200.0, "capital_spent": capital},
        "money": {"years": [2027, 2028], "by_type": {"Special school": [t * 0.8 for t in total]},
                  "transport": [t * 0.1 for t in total], "unmet": [t * 0.1 for t in total], "total": total,
                  "capital": capital, "savings_vs_baseline": savings, "payback_year": payback, "assumptions": {}},
    }


@pytest.fixture
def table() -> dict[str, Any]:
    runs = {
        "Phase 3": _result("Phase 3", ["Phase 3"], [4.0, 2.0], 5e6, [30e6, 28e6], [1e6, 3e6], 2030),
        "baseline": _result("baseline", [], [10.0, 12.0], 0.0, [31e6, 31e6], None, None),
    }
    return compare_runs(runs)


def test_differences_are_against_the_baseline_whatever_the_order(table: dict[str, Any]) -> None:
    assert table["baseline"] == "baseline"
    phase3 = {row["academic_year"]: row for row in table["rows"] if row["scenario"] == "Phase 3"}
    assert phase3[2027]["unmet_need_vs_baseline"] == -6.0 and phase3[2028]["unmet_need_vs_baseline"] == -10.0
    assert phase3[2028]["money_total_vs_baseline"] == pytest.approx(-3e6)
    assert all(row["unmet_need_vs_baseline"] == 0.0 for row in table["rows"] if row["scenario"] == "baseline")
    assert table["totals_vs_baseline"]["Phase 3"]["unmet_need"] == -16.0
    assert table["totals_vs_baseline"]["Phase 3"]["capital_spent"] == 5e6


def test_an_explicit_baseline_wins_and_an_unknown_one_is_refused(table: dict[str, Any]) -> None:
    runs = {"A": _result("A", ["A"], [1.0, 1.0], 0, [1.0, 1.0], None, None),
            "B": _result("B", ["B"], [3.0, 5.0], 0, [1.0, 1.0], None, None)}
    assert compare_runs(runs)["baseline"] == "A"  # no run named baseline: the first
    against_b = compare_runs(runs, baseline="B")
    assert [r["unmet_need_vs_baseline"] for r in against_b["rows"] if r["scenario"] == "A"] == [-2.0, -4.0]
    with pytest.raises(ValueError, match="not one of the compared runs"):
        compare_runs(runs, baseline="C")


def test_the_money_view_is_summarised_as_the_cost_model_gives_it(table: dict[str, Any]) -> None:
    money = table["money"]["Phase 3"]
    # Savings are recomputed against the compared baseline (31m a year): 1m then 3m; 4m by 2028 < 5m capital, so
    # no payback inside the two years (whatever the run's own stored figures said).
    assert money["capital"] == 5e6 and money["payback_year"] is None
    assert money["spend_total"] == pytest.approx(58e6) and money["savings_vs_baseline_total"] == pytest.approx(4e6)
    assert money["spend_total_vs_baseline"] == pytest.approx(-4e6)
    assert money["transport_total"] == pytest.approx(5.8e6)
    assert table["money"]["baseline"]["savings_vs_baseline_total"] == 0.0


def test_payback_is_the_first_year_cumulative_savings_cover_the_capital() -> None:
    runs = {"baseline": _result("baseline", [], [10.0, 12.0], 0.0, [31e6, 31e6], None, None),
            "Cheap": _result("Cheap", ["Cheap"], [4.0, 2.0], 3e6, [30e6, 28e6], None, None)}
    money = compare_runs(runs)["money"]["Cheap"]
    assert money["payback_year"] == 2028  # 1m saved in 2027, 4m by 2028 >= 3m


def test_csv_workbook_and_chart_carry_names_differences_money_and_units(table: dict[str, Any]) -> None:
    parsed = list(csv.DictReader(io.StringIO(comparison_csv(table))))
    assert [(r["scenario"], r["academic_year"], r["unmet_need_vs_baseline"]) for r in parsed] == [
        ("Phase 3", "2027", "-6.0"), ("Phase 3", "2028", "-10.0"), ("baseline", "2027", "0.0"),
        ("baseline", "2028", "0.0")]
    book = openpyxl.load_workbook(io.BytesIO(comparison_xlsx(table)))
    assert book.sheetnames == ["scenarios", "totals", "totals vs baseline", "by year", "money", "metrics"]
    scenarios = list(book["scenarios"].iter_rows(values_only=True))
    assert scenarios[1][:3] == ("Phase 3", "Phase 3", "Phase 3") and scenarios[2][2] == "(council's data)"
    money = {row[0]: row for row in book["money"].iter_rows(values_only=True)}
    header = money["scenario"]
    assert money["Phase 3"][header.index("savings_vs_baseline_total")] == pytest.approx(4e6)
    assert money["Phase 3"][header.index("payback_year")] is None
    svg = comparison_chart(table, "svg").decode("utf-8")
    assert "GBP m" in svg and "learners" in svg and "2027/28" in svg
