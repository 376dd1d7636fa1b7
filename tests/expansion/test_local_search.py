"""The greedy and local search that give the expansion MIP its first programme, against independent answers:
prices from a scipy LP per year (tests/expansion/test_expansion_model.py's brute force), lower-bound estimates
checked against every programme, local optimality checked over its whole neighbourhood, a hand-computed case."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from planner.expansion.local_search import ProgrammeEvaluator, local_search, search_programme
from planner.expansion.model import (
    Arc,
    ExpansionData,
    ExpansionModel,
    ExpansionSolution,
    ObjectiveWeights,
    ProjectDecision,
    ProjectOption,
    SolveOptions,
    build_expansion_model,
    solve_expansion_data,
)
from tests.expansion.test_expansion_model import (
    WEIGHTS,
    Programme,
    brute_force,
    programme_cost,
    programmes,
    random_problem,
)

FAR = 1e9  # no deadline in these tests: the search ends at its local optimum


def ones_of(built: ExpansionModel, evaluator: ProgrammeEvaluator, programme: Programme) -> np.ndarray:
    """The evaluator's 0/1 vector over build choices for a programme given as (size index, year) per project."""
    vector = np.zeros(len(evaluator.keys))
    for p, choice in enumerate(programme):
        if choice is not None:
            k, year = choice
            vector[evaluator.keys.index((p, k, built.data.years.index(year)))] = 1.0
    return vector


def priced(data: ExpansionData) -> list[tuple[Programme, float]]:
    """Every programme within budget with its objective from the independent scipy LPs."""
    out = []
    for programme in programmes(data):
        cost = programme_cost(data, WEIGHTS, programme)
        if cost is not None:
            out.append((programme, cost))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_a_programme_is_priced_as_an_independent_lp_prices_it(seed: int) -> None:
    data = random_problem(seed)
    built = build_expansion_model(data, WEIGHTS)
    evaluator = ProgrammeEvaluator(built.model, built.builds)
    for programme, cost in priced(data):
        value = evaluator.evaluate(ones_of(built, evaluator, programme), time.perf_counter() + FAR)
        assert value is not None
        assert value / 1e-3 == pytest.approx(cost, rel=1e-7, abs=1e-6), programme


@pytest.mark.parametrize("seed", range(3))
def test_reduced_cost_estimates_never_promise_more_than_a_programme_gives(seed: int) -> None:
    """The estimate (objective + reduced costs . change) is a lower bound on every other programme's objective:
    this is what lets the search skip a neighbour without pricing it."""
    data = random_problem(seed)
    built = build_expansion_model(data, WEIGHTS)
    evaluator = ProgrammeEvaluator(built.model, built.builds)
    everything = priced(data)
    best = min(everything, key=lambda item: item[1])[0]
    for start in ((None,) * len(data.projects), best, everything[len(everything) // 2][0]):
        here = ones_of(built, evaluator, start)
        value = evaluator.evaluate(here, time.perf_counter() + FAR)
        assert value is not None
        rc = evaluator.reduced_costs()
        for programme, cost in everything:
            estimate = (value + float(rc @ (ones_of(built, evaluator, programme) - here))) / 1e-3
            assert estimate <= cost + 1e-6 * max(1.0, abs(cost)), (start, programme)


def neighbours(programme: Programme, everything: list[tuple[Programme, float]]) -> list[tuple[Programme, float]]:
    """Programmes within budget that change one project, or two of which at least one is built in `programme`."""
    out = []
    for other, cost in everything:
        changed = [p for p, (a, b) in enumerate(zip(programme, other, strict=True)) if a != b]
        if len(changed) == 1 or (len(changed) == 2 and any(programme[p] is not None for p in changed)):
            out.append((other, cost))
    return out


def as_programme(data: ExpansionData, decisions: list[ProjectDecision]) -> Programme:
    chosen = {d.id: d for d in decisions}
    return tuple(
        (p.sizes.index(chosen[p.id].places), chosen[p.id].open_year) if p.id in chosen else None for p in data.projects
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_search_ends_at_a_local_optimum_priced_honestly(seed: int) -> None:
    data = random_problem(seed)
    built = build_expansion_model(data, WEIGHTS)
    found = search_programme(built, [], time.perf_counter() + FAR)
    assert found is not None
    decisions, search = found
    programme = as_programme(data, decisions)
    cost = programme_cost(data, WEIGHTS, programme)
    assert cost is not None  # within every budget
    assert search.objective == pytest.approx(cost, rel=1e-7, abs=1e-6)
    assert search.local_optimum
    for other, other_cost in neighbours(programme, priced(data)):
        assert other_cost >= cost - 1e-6 * max(1.0, abs(cost)), other
    # Each improvement was taken only when it lowered the objective.
    assert all(b < a for a, b in zip(search.trace, search.trace[1:], strict=False))


def test_gain_per_pound_beats_the_largest_gain_on_a_hand_computed_case() -> None:
    """30 learners, nowhere to go (unmet need 100 a learner-year), GBP 2.4m: project A (25 places, GBP 2.4m) gives
    the largest gain, but B and C (15 places, GBP 1m each) place everyone: optimum 0 (A alone leaves 5 unmet:
    500). From A no change of one or two projects reaches B + C, so only ranking by gain per pound finds it."""
    weights = ObjectiveWeights(
        unmet_learner_year=100.0, out_of_area=0.0, revenue=0.0, travel_per_minute=0.0, capital=0.0
    )
    projects = tuple(
        ProjectOption(id=name, sizes=(size,), capital_by_size=(capital,), open_years=(2026,))
        for name, size, capital in (("A", 25, 2.4e6), ("B", 15, 1.0e6), ("C", 15, 1.0e6))
    )
    data = ExpansionData(
        years=(2026,),
        demand_ids=("D",),
        demand=((30.0,),),
        source_ids=(),
        source_capacity=(),
        projects=projects,
        arcs=tuple(Arc(source=s, demand=0, revenue_per_learner=0.0) for s in range(3)),
        out_of_area_cost=(None,),
        budget_by_year={2026: 2.4e6},
        budget_total=2.4e6,
    )
    built = build_expansion_model(data, weights)
    found = search_programme(built, [], time.perf_counter() + FAR)
    assert found is not None
    decisions, search = found
    assert sorted(d.id for d in decisions) == ["B", "C"]
    assert search.objective == pytest.approx(0.0, abs=1e-9)
    # Started from A, the local search alone is stuck at 500 (A is a local optimum of its neighbourhood); a kick
    # (A dropped, searched again) finds B + C.
    evaluator = ProgrammeEvaluator(built.model, built.builds)
    a = evaluator.keys.index((0, 0, 0))
    project = np.array([p for p, _, _ in evaluator.keys])
    spend = np.array([[projects[p].capital_by_size[k] * 1e-6] for p, k, _ in evaluator.keys])  # GBP millions
    stuck = local_search(evaluator, project, spend, np.array([2.4]), 2.4, {0: a}, time.perf_counter() + FAR)
    assert stuck is not None and stuck.local_optimum
    assert stuck.objective / 1e-3 == pytest.approx(500.0)
    kicked = search_programme(
        built,
        [ProjectDecision(id="A", places=25, open_year=2026, spend_year=2026, capital=2.4e6)],
        time.perf_counter() + FAR,
    )
    assert kicked is not None
    assert sorted(d.id for d in kicked[0]) == ["B", "C"]
    assert kicked[1].kicks >= 1


@pytest.mark.parametrize("seed", range(2))
def test_the_mip_starts_from_the_search_and_still_proves_the_optimum(seed: int) -> None:
    data = random_problem(seed)
    with_search = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    without = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9, heuristic_share=0.0))
    assert without.heuristic is None
    assert with_search.heuristic is not None
    assert with_search.objective is not None
    assert with_search.status == "optimal"
    assert with_search.objective == pytest.approx(without.objective, rel=1e-9)
    # The MIP never ends worse than the programme it started from.
    assert with_search.heuristic["objective"] >= with_search.objective - 1e-6 * abs(with_search.objective)
    assert math.isfinite(with_search.heuristic["seconds"])


def test_a_solver_that_drops_the_programme_it_started_from_never_loses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the MIP ends with no programme (or a worse one) than the search's, the search's programme is re-allocated
    and reported with the bound the MIP proved: here a MIP that returns only a bound (the optimum less 10)."""
    import planner.expansion.model as model_module

    data = random_problem(0)
    optimum = brute_force(data, WEIGHTS)
    real = model_module._solve_built
    calls: list[bool] = []

    def mip_without_solution(built, options, progress, hint, deadline, started):  # type: ignore[no-untyped-def]
        calls.append(hint is not None)
        if hint is not None:
            return ExpansionSolution(
                status="no_solution",
                objective=None,
                bound=optimum - 10.0,
                gap=None,
                wall_seconds=0.0,
                programme=[],
                breakdown={},
                unmet_by_year={},
                out_of_area_by_year={},
                capital_by_year={},
            )
        return real(built, options, progress, hint, deadline, started)

    monkeypatch.setattr(model_module, "_solve_built", mip_without_solution)
    solution = solve_expansion_data(data, WEIGHTS, SolveOptions(relative_gap=1e-9))
    assert calls == [True, False]  # the MIP (hinted), then the programme re-allocated
    assert solution.heuristic is not None
    assert solution.objective == pytest.approx(solution.heuristic["objective"], rel=1e-9)
    assert solution.objective == pytest.approx(programme_cost(data, WEIGHTS, as_programme(data, solution.programme)))
    assert solution.bound == optimum - 10.0
    assert solution.objective is not None
    assert solution.gap == pytest.approx((solution.objective - (optimum - 10.0)) / solution.objective)
    assert solution.status == "feasible"
