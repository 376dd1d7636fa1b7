"""The GAP over case types (planner.transitions.gap_types): exact against brute force on random GAPs with many
interchangeable jobs, several resources and penalties; the per-case CP-SAT solver agrees; disaggregation follows
the priority; the local search never breaks a budget or raises the cost."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from planner.transitions.gap import GapProblem, solve_gap
from planner.transitions.gap_types import improve_by_moves, job_types, solve_gap_by_types


def random_typed_gap(seed: int, jobs: int = 8, agents: int = 3, resources: int = 2,
                     kinds: int = 3, penalty: int | None = 60) -> GapProblem:
    """Jobs drawn from a few kinds (identical columns), so aggregation has something to do."""
    rng = random.Random(seed)
    columns = [([rng.randint(1, 20) if rng.random() < 0.85 else None for _ in range(agents)],
                [[rng.randint(1, 6) for _ in range(resources)] for _ in range(agents)]) for _ in range(kinds)]
    picks = [rng.randrange(kinds) for _ in range(jobs)]
    return GapProblem(
        costs=[list(columns[k][0]) for k in picks],
        uses=[[list(u) for u in columns[k][1]] for k in picks],
        capacities=[[rng.randint(4, 14) for _ in range(resources)] for _ in range(agents)],
        unassigned_penalty=[penalty] * jobs if penalty is not None else None,
    )


def brute_force(problem: GapProblem) -> float | None:
    n_agents = len(problem.capacities)
    best: float | None = None
    choices = [[a for a in range(n_agents) if problem.costs[j][a] is not None]
               + ([None] if problem.unassigned_penalty is not None else []) for j in range(len(problem.costs))]
    for combo in itertools.product(*choices):
        used = [[0] * len(problem.capacities[a]) for a in range(n_agents)]
        value = 0.0
        for j, a in enumerate(combo):
            if a is None:
                value += problem.unassigned_penalty[j]  # type: ignore[index]
                continue
            value += problem.costs[j][a] or 0
            used[a] = [u + x for u, x in zip(used[a], problem.uses[j][a], strict=True)]
        fits = all(u <= c for a in range(n_agents) for u, c in zip(used[a], problem.capacities[a], strict=True))
        if fits and (best is None or value < best):
            best = value
    return best


def feasible(problem: GapProblem, assignment: list[int | None]) -> bool:
    for a, capacity in enumerate(problem.capacities):
        for r, cap in enumerate(capacity):
            if sum(problem.uses[j][a][r] for j, x in enumerate(assignment) if x == a) > cap:
                return False
    return all(x is None or problem.costs[j][x] is not None for j, x in enumerate(assignment))


@pytest.mark.parametrize("seed", range(10))
def test_types_solver_matches_brute_force_and_per_case_solver(seed: int) -> None:
    problem = random_typed_gap(seed)
    result = solve_gap_by_types(problem, time_limit=10)
    assert result.status == "OPTIMAL"
    assert result.objective == brute_force(problem)
    assert feasible(problem, result.assignment)
    assert result.objective == solve_gap(problem, time_limit=10, workers=1).objective
    assert result.bound is not None and result.objective is not None and result.bound <= result.objective


@pytest.mark.parametrize("seed", range(4))
def test_types_solver_without_penalties(seed: int) -> None:
    problem = random_typed_gap(seed + 100, jobs=6, penalty=None)
    result = solve_gap_by_types(problem, time_limit=10)
    expected = brute_force(problem)
    if expected is None:
        assert result.status == "INFEASIBLE"
    else:
        assert result.objective == expected and None not in result.assignment


def test_types_group_identical_columns_only() -> None:
    problem = random_typed_gap(3, jobs=12, kinds=3)
    types = job_types(problem)
    assert sum(len(m) for m in types.members) == 12 and len(types.columns) <= 3
    for members in types.members:
        first = members[0]
        for j in members:
            assert problem.costs[j] == problem.costs[first] and problem.uses[j] == problem.uses[first]


def test_disaggregation_serves_the_priority_first() -> None:
    # Four identical jobs, room for two: the two listed first in the priority get the agent
    problem = GapProblem(costs=[[5]] * 4, uses=[[[3]]] * 4, capacities=[[6]], unassigned_penalty=[100] * 4)
    result = solve_gap_by_types(problem, time_limit=5, priority=[2, 0, 3, 1])
    assert result.assignment == [0, None, 0, None]
    assert result.objective == 2 * 5 + 2 * 100


@pytest.mark.parametrize("seed", range(6))
def test_moves_keep_budgets_and_never_cost_more(seed: int) -> None:
    problem = random_typed_gap(seed, jobs=10, kinds=4)
    types = job_types(problem)
    start: dict[tuple[int, int], int] = {}  # everyone unallocated: the worst feasible plan

    def value(counts: dict[tuple[int, int], int]) -> int:
        total = sum(k * (types.columns[t][a][0] or 0) for (t, a), k in counts.items())
        placed = sum(counts.values())
        return total + (10 - placed) * 60

    improved = improve_by_moves(problem, types, start, time.perf_counter() + 5)
    assert value(improved) <= value(start)
    for a, capacity in enumerate(problem.capacities):
        for r, cap in enumerate(capacity):
            assert sum(k * types.columns[t][a][1][r] for (t, b), k in improved.items() if b == a) <= cap
    for t, members in enumerate(types.members):
        assert sum(k for (s, _), k in improved.items() if s == t) <= len(members)
