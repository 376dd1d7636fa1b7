"""The expansion optimiser reproduces the published OR-Library CFLP optima (cap41..cap74) within 0.01%."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from planner.expansion.cflp import CflpFormatError, cflp_to_expansion, parse_cflp, read_cflp, solve_cflp

DATA = Path(__file__).resolve().parents[1] / "data" / "expansion"
OPTIMA = {row["instance"]: float(row["optimum"]) for row in csv.DictReader((DATA / "optima.csv").open())}


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_reproduces_published_optimum(name: str) -> None:
    solution = solve_cflp(read_cflp(DATA / f"{name}.txt"))
    assert solution.status == "optimal"
    assert solution.objective is not None
    assert abs(solution.objective - OPTIMA[name]) <= 1e-4 * OPTIMA[name]
    # The objective is exactly opening (capital) plus allocation cost: nothing else leaks in.
    assert solution.objective == pytest.approx(
        solution.breakdown["capital"] + solution.breakdown["revenue_existing_and_arcs"], rel=1e-9)


def test_solution_is_a_valid_cflp_plan() -> None:
    """Check the plan independently: capacity respected, all demand served, cost recomputed from the file."""
    instance = read_cflp(DATA / "cap41.txt")
    data = cflp_to_expansion(instance)
    solution = solve_cflp(instance)
    opened = {int(d.id[1:]) - 1 for d in solution.programme}
    served = [0.0] * instance.n_customers
    load = [0.0] * instance.n_facilities
    cost = sum(instance.fixed_costs[i] for i in opened)
    for (a, _), amount in solution.flows.items():
        arc = data.arcs[a]
        assert arc.source in opened
        served[arc.demand] += amount
        load[arc.source] += amount
        cost += instance.costs[arc.demand][arc.source] * amount / instance.demands[arc.demand]
    assert all(abs(s - d) < 1e-6 for s, d in zip(served, instance.demands, strict=True))
    assert all(load[i] <= instance.capacities[i] + 1e-6 for i in range(instance.n_facilities))
    assert cost == pytest.approx(OPTIMA["cap41"], rel=1e-6)


def test_same_answer_twice() -> None:
    instance = read_cflp(DATA / "cap63.txt")
    first, second = solve_cflp(instance), solve_cflp(instance)
    assert first.objective == second.objective
    assert [d.id for d in first.programme] == [d.id for d in second.programme]


@pytest.mark.parametrize(("text", "fragment"), [
    ("2", "ends early"),
    ("1 1 10 5 x 3", "expected a number"),
    ("1 1 10 5 4 3 9", "trailing"),
    ("0 1", "at least one facility"),
])
def test_bad_files_are_named(text: str, fragment: str) -> None:
    with pytest.raises(CflpFormatError, match=fragment):
        parse_cflp(text, name="bad")
