"""The multi-period expansion MIP against an independent brute force (enumerate programmes, scipy LP per year)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy.optimize import linprog

from planner.expansion.model import (
    Arc,
    ExpansionData,
    ObjectiveWeights,
    ProjectOption,
    SolveOptions,
    solve_expansion_data,
)

WEIGHTS = ObjectiveWeights(unmet_learner_year=500.0, out_of_area=1.0, revenue=1.0, travel_per_minute=2.0,
                           capital=0.5)


def random_problem(seed: int) -> ExpansionData:
    rng = random.Random(seed)
    years = (2026, 2027, 2028)
    n_demand, n_sources, n_projects = 4, 2, 3
    demand = tuple(tuple(float(rng.randint(0, 30)) for _ in years) for _ in range(n_demand))
    capacity = tuple(tuple(float(rng.choice([0, 10, 20])) for _ in years) for _ in range(n_sources))
    projects = tuple(
        ProjectOption(id=f"P{p}", sizes=(10, 20), capital_by_size=(float(rng.randint(50, 300)),
                                                                   float(rng.randint(300, 600))),
                      open_years=years[rng.randint(0, 1):], lead_time_years=1,
                      revenue_per_place=float(rng.randint(1, 20)))
        for p in range(n_projects)
    )
    arcs = []
    for d in range(n_demand):
        for s in range(n_sources + n_projects):
            if rng.random() < 0.7:
                arcs.append(Arc(source=s, demand=d, revenue_per_learner=float(rng.randint(0, 40)) if s < n_sources
                                else 0.0, minutes=float(rng.randint(5, 60))))
    return ExpansionData(years=years, demand_ids=tuple(f"D{d}" for d in range(n_demand)), demand=demand,
                         source_ids=tuple(f"S{s}" for s in range(n_sources)), source_capacity=capacity,
                         projects=projects, arcs=tuple(arcs), out_of_area_cost=tuple([150.0, None, 90.0, None]),
                         allow_unmet=True, budget_by_year={2026: 500.0, 2027: 700.0}, budget_total=900.0)


Programme = tuple[tuple[int, int] | None, ...]
"""Per project: None (not built) or (size index, opening year)."""


def programmes(data: ExpansionData) -> list[Programme]:
    """Every programme, within budget or not."""
    choices = [[None] + [(k, y) for k in range(len(p.sizes)) for y in p.open_years] for p in data.projects]
    return list(itertools.product(*choices))


def programme_cost(data: ExpansionData, weights: ObjectiveWeights, programme: Programme) -> float | None:
    """A programme's objective, allocating each year by an LP built here (scipy); None when over a budget."""
    n_src = len(data.source_ids)
    spend: dict[int, float] = {}
    fixed = 0.0
    for project, choice in zip(data.projects, programme, strict=True):
        if choice is None:
            continue
        k, year = choice
        spent_in = max(data.years[0], year - project.lead_time_years)
        spend[spent_in] = spend.get(spent_in, 0.0) + project.capital_by_size[k]
        fixed += weights.capital * project.capital_by_size[k]
        fixed += weights.revenue * project.revenue_per_place * project.sizes[k] * sum(
            1 for y in data.years if y >= year)
    if any(v > data.budget_by_year.get(y, float("inf")) + 1e-9 for y, v in spend.items()):
        return None
    if data.budget_total is not None and sum(spend.values()) > data.budget_total + 1e-9:
        return None
    total = fixed
    for t, year in enumerate(data.years):
        caps = [data.source_capacity[s][t] for s in range(n_src)]
        for project, choice in zip(data.projects, programme, strict=True):
            caps.append(float(project.sizes[choice[0]]) if choice and choice[1] <= year else 0.0)
        n_d = len(data.demand_ids)
        cost = [weights.revenue * a.revenue_per_learner + weights.travel_per_minute * a.minutes
                for a in data.arcs]
        cost += [weights.out_of_area * (c if c is not None else 0.0) for c in data.out_of_area_cost]
        cost += [weights.unmet_learner_year] * n_d
        n_var = len(cost)
        a_eq = np.zeros((n_d, n_var))
        a_ub = np.zeros((len(caps), n_var))
        for i, arc in enumerate(data.arcs):
            a_eq[arc.demand, i] = 1
            a_ub[arc.source, i] = 1
        bounds: list[tuple[int, int | None]] = [(0, None)] * len(data.arcs)
        for d in range(n_d):
            a_eq[d, len(data.arcs) + d] = 1
            a_eq[d, len(data.arcs) + n_d + d] = 1
            bounds.append((0, None) if data.out_of_area_cost[d] is not None else (0, 0))
        bounds += [(0, None)] * n_d
        res = linprog(cost, A_ub=a_ub, b_ub=caps, A_eq=a_eq, b_eq=[data.demand[d][t] for d in range(n_d)],
                      bounds=bounds, method="highs")
        assert res.status == 0
        total += res.fun
    return total


def brute_force(data: ExpansionData, weights: ObjectiveWeights) -> float:
    """Enumerate every programme within budget; allocate each year by an LP built here, with scipy."""
    costs = [programme_cost(data, weights, programme) for programme in programmes(data)]
    return min(cost for cost in costs if cost is not None)


@pytest.mark.parametrize("seed", range(4))
def test_mip_matches_brute_force(seed: int) -> None:
    data = random_problem(seed)
    solution = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(brute_force(data, WEIGHTS), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed", range(2))
def test_strong_links_do_not_change_the_optimum(seed: int) -> None:
    data = random_problem(seed)
    tight = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    loose = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9, strong_links=False))
    assert tight.objective == pytest.approx(loose.objective, rel=1e-7)


def test_budgets_are_respected_and_breakdown_adds_up() -> None:
    data = random_problem(1)
    solution = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    assert sum(solution.capital_by_year.values()) <= (data.budget_total or 0) + 1e-6
    for year, spent in solution.capital_by_year.items():
        assert spent <= data.budget_by_year[year] + 1e-6
    b = solution.breakdown
    recomposed = (WEIGHTS.revenue * (b["revenue_existing_and_arcs"] + b["revenue_new_places"])
                  + WEIGHTS.travel_per_minute * b["travel_learner_minutes"] + WEIGHTS.out_of_area
                  * b["out_of_area_cost"] + WEIGHTS.unmet_learner_year * b["unmet_learner_years"]
                  + WEIGHTS.capital * b["capital"])
    assert solution.objective == pytest.approx(recomposed, rel=1e-7)


def split_demand_points(data: ExpansionData) -> ExpansionData:
    """Each demand point split into two with the same arcs (the solver must merge them back: same optimum)."""
    n = len(data.demand_ids)
    demand = tuple(tuple(float(v // 2) for v in row) for row in data.demand) + tuple(
        tuple(v - float(v // 2) for v in row) for row in data.demand)
    arcs = data.arcs + tuple(Arc(source=a.source, demand=a.demand + n, revenue_per_learner=a.revenue_per_learner,
                                 minutes=a.minutes) for a in data.arcs)
    return ExpansionData(years=data.years, demand_ids=data.demand_ids + tuple(f"{d}b" for d in data.demand_ids),
                         demand=demand, source_ids=data.source_ids, source_capacity=data.source_capacity,
                         projects=data.projects, arcs=arcs, out_of_area_cost=data.out_of_area_cost * 2,
                         allow_unmet=True, budget_by_year=data.budget_by_year, budget_total=data.budget_total)


@pytest.mark.parametrize("seed", range(3))
def test_merging_identical_demand_points_is_exact(seed: int) -> None:
    data = random_problem(seed)
    split = split_demand_points(data)
    original = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    merged = solve_expansion_data(split, WEIGHTS, SolveOptions(relative_gap=1e-9))
    assert merged.objective == pytest.approx(original.objective, rel=1e-7)
    assert merged.objective == pytest.approx(brute_force(split, WEIGHTS), rel=1e-6, abs=1e-6)
    # Flows come back on the split points' own arcs, and never exceed any point's demand.
    served: dict[tuple[int, int], float] = {}
    for (a, t), amount in merged.flows.items():
        key = (split.arcs[a].demand, t)
        served[key] = served.get(key, 0.0) + amount
    for (d, t), amount in served.items():
        assert amount <= split.demand[d][t] + 1e-6


def test_points_nobody_can_serve_count_as_unmet() -> None:
    data = random_problem(0)
    extra = ExpansionData(years=data.years, demand_ids=data.demand_ids + ("lonely",),
                          demand=data.demand + ((3.0, 0.0, 5.0),), source_ids=data.source_ids,
                          source_capacity=data.source_capacity, projects=data.projects, arcs=data.arcs,
                          out_of_area_cost=data.out_of_area_cost + (None,), allow_unmet=True,
                          budget_by_year=data.budget_by_year, budget_total=data.budget_total)
    base = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    more = solve_expansion_data(extra, WEIGHTS, SolveOptions(relative_gap=1e-9))
    assert base.objective is not None
    assert more.objective == pytest.approx(base.objective + 8 * WEIGHTS.unmet_learner_year, rel=1e-9)
    assert more.unmet_by_year[data.years[0]] == pytest.approx(base.unmet_by_year[data.years[0]] + 3)


@pytest.mark.parametrize("seed", range(2))
def test_a_hint_never_changes_the_optimum(seed: int) -> None:
    data = random_problem(seed)
    plain = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    hinted = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9), hint=plain.programme)
    assert hinted.objective == pytest.approx(plain.objective, rel=1e-9)
    assert hinted.status == "optimal"
