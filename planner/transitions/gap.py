"""The generalised assignment problem (GAP): jobs to agents within each agent's capacity per resource.

Used for outreach allocation (cases to teams, `planner.transitions.outreach`) and checked on the published
OR-Library instances (`planner.transitions.gap_file`). Solved exactly with CP-SAT (`solve_gap`); `greedy_gap`
gives a quick feasible start and `gap_lp_bound` the LP relaxation's bound.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from ortools.sat.python import cp_model

from planner.solving.cpsat import STATUS_NAMES, StopWhenAsked, relative_gap

log = logging.getLogger(__name__)

Sense = Literal["min", "max"]


@dataclass(frozen=True)
class GapProblem:
    """Jobs x agents. `costs[j][a]` is None where job j may not go to agent a; uses are per resource."""

    costs: Sequence[Sequence[int | None]]
    uses: Sequence[Sequence[Sequence[int]]]  # [job][agent][resource]
    capacities: Sequence[Sequence[int]]  # [agent][resource]
    unassigned_penalty: Sequence[int] | None = None  # per job; None: every job must be assigned
    sense: Sense = "min"


@dataclass
class GapResult:
    status: str
    assignment: list[int | None]  # agent per job, None when unassigned
    objective: float | None
    bound: float | None
    gap: float | None
    wall_seconds: float
    breakdown: dict[str, int] = field(default_factory=dict)


def greedy_gap(problem: GapProblem) -> list[int | None]:
    """A quick feasible start: jobs with the fewest options first, each to its best agent with room left."""
    n_agents = len(problem.capacities)
    remaining = [list(c) for c in problem.capacities]
    sign = 1 if problem.sense == "min" else -1
    options = [[a for a in range(n_agents) if problem.costs[j][a] is not None] for j in range(len(problem.costs))]
    order = sorted(range(len(problem.costs)), key=lambda j: (len(options[j]), j))
    assignment: list[int | None] = [None] * len(problem.costs)
    for j in order:
        best: int | None = None
        for a in sorted(options[j], key=lambda a: (sign * (problem.costs[j][a] or 0), a)):
            if all(u <= r for u, r in zip(problem.uses[j][a], remaining[a], strict=True)):
                best = a
                break
        if best is not None:
            assignment[j] = best
            remaining[best] = [r - u for u, r in zip(problem.uses[j][best], remaining[best], strict=True)]
    return assignment


def gap_lp_bound(problem: GapProblem, time_limit: float = 10.0) -> float | None:
    """The LP relaxation's optimum (GLOP): a valid bound on the GAP, used when CP-SAT's own bound is weaker.

    A lower bound when minimising, an upper bound when maximising; None if the LP did not solve.
    """
    from ortools.math_opt.python import mathopt

    n_jobs, n_agents = len(problem.costs), len(problem.capacities)
    model = mathopt.Model(name="gap_lp")
    x = {(j, a): model.add_variable(lb=0.0, ub=1.0) for j in range(n_jobs) for a in range(n_agents)
         if problem.costs[j][a] is not None}
    u = {j: model.add_variable(lb=0.0, ub=1.0) for j in range(n_jobs)} if problem.unassigned_penalty else {}
    by_job: dict[int, list[mathopt.Variable]] = {j: [] for j in range(n_jobs)}
    by_agent: dict[int, list[tuple[int, mathopt.Variable]]] = {a: [] for a in range(n_agents)}
    for (j, a), var in x.items():
        by_job[j].append(var)
        by_agent[a].append((j, var))
    for j in range(n_jobs):
        model.add_linear_constraint(sum(by_job[j]) + u.get(j, 0.0) == 1.0)
    for a in range(n_agents):
        for r in range(len(problem.capacities[a])):
            terms = [problem.uses[j][a][r] * var for j, var in by_agent[a] if problem.uses[j][a][r] > 0]
            if terms:
                model.add_linear_constraint(sum(terms) <= problem.capacities[a][r])
    cost = sum(float(problem.costs[j][a] or 0) * var for (j, a), var in x.items())
    penalty = sum(float(problem.unassigned_penalty[j]) * var for j, var in u.items()) \
        if problem.unassigned_penalty is not None else 0.0
    if problem.sense == "min":
        model.minimize(cost + penalty)
    else:
        model.maximize(cost - penalty)
    result = mathopt.solve(model, mathopt.SolverType.GLOP,
                           params=mathopt.SolveParameters(time_limit=timedelta(seconds=time_limit)))
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    return float(result.objective_value())


def solve_gap(problem: GapProblem, time_limit: float = 30.0, seed: int = 0, workers: int = 2,
              should_stop: Callable[[], bool] | None = None, use_lp_bound: bool = True,
              probing_level: int = 2) -> GapResult:
    """Solve a GAP exactly with CP-SAT (proof of optimality within the time limit, else the best bound found)."""
    started = time.perf_counter()
    n_jobs, n_agents = len(problem.costs), len(problem.capacities)
    n_resources = len(problem.capacities[0]) if n_agents else 0
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for j in range(n_jobs):
        for a in range(n_agents):
            if problem.costs[j][a] is not None:
                x[j, a] = model.new_bool_var(f"x_{j}_{a}")
    unassigned: dict[int, cp_model.IntVar] = {}
    for j in range(n_jobs):
        terms = [x[j, a] for a in range(n_agents) if (j, a) in x]
        if problem.unassigned_penalty is not None:
            unassigned[j] = model.new_bool_var(f"unassigned_{j}")
            terms.append(unassigned[j])
        # Each case goes to exactly one team (or, when allowed, stays unallocated at a penalty)
        model.add_exactly_one(terms)
    for a in range(n_agents):
        for r in range(n_resources):
            jobs = [j for j in range(n_jobs) if (j, a) in x and problem.uses[j][a][r] > 0]
            # A team's hours in each term cannot exceed what it has
            model.add(sum(problem.uses[j][a][r] * x[j, a] for j in jobs) <= problem.capacities[a][r])
    cost_expr = sum(int(problem.costs[j][a] or 0) * var for (j, a), var in x.items())
    penalty_expr = sum(int(problem.unassigned_penalty[j]) * var for j, var in unassigned.items()) \
        if problem.unassigned_penalty is not None else 0
    if problem.sense == "min":
        model.minimize(cost_expr + penalty_expr)
    else:
        model.maximize(cost_expr - penalty_expr)
    hint = greedy_gap(problem)
    for (j, a), var in x.items():
        model.add_hint(var, 1 if hint[j] == a else 0)
    for j, var in unassigned.items():
        model.add_hint(var, 1 if hint[j] is None else 0)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    solver.parameters.cp_model_probing_level = probing_level
    callback = StopWhenAsked(should_stop) if should_stop is not None else None
    code = solver.solve(model, callback) if callback is not None else solver.solve(model)
    wall = time.perf_counter() - started
    status = STATUS_NAMES.get(code, str(code))
    if code in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID) or (
            code == cp_model.UNKNOWN and problem.unassigned_penalty is None):
        return GapResult(status=status, assignment=[None] * n_jobs, objective=None, bound=None, gap=None,
                         wall_seconds=wall)
    assignment: list[int | None] = [None] * n_jobs
    if code == cp_model.UNKNOWN:
        # No solution in time: the greedy start is feasible (unallocated cases are allowed); bound from the LP
        assignment, status = list(hint), "FEASIBLE"
    else:
        for (j, a), var in x.items():
            if solver.value(var):
                assignment[j] = a
    cost = sum(int(problem.costs[j][a] or 0) for j, a in enumerate(assignment) if a is not None)
    penalty = sum(int(problem.unassigned_penalty[j]) for j in unassigned if assignment[j] is None) \
        if problem.unassigned_penalty is not None else 0
    objective = float(cost + penalty) if problem.sense == "min" else float(cost - penalty)
    bound = float(solver.best_objective_bound) if code != cp_model.UNKNOWN else (
        -math.inf if problem.sense == "min" else math.inf)
    if code != cp_model.OPTIMAL and use_lp_bound:
        # CP-SAT stopped before its own bound caught up: the LP relaxation is also a valid bound, take the tighter
        lp = gap_lp_bound(problem)
        if lp is not None:
            lp = math.ceil(lp - 1e-6) if problem.sense == "min" else math.floor(lp + 1e-6)
            bound = max(bound, lp) if problem.sense == "min" else min(bound, lp)
        wall = time.perf_counter() - started
    if not math.isfinite(bound):
        bound = 0.0 if problem.sense == "min" else objective  # costs are not negative: 0 is always a bound
    return GapResult(status=status, assignment=assignment, objective=objective, bound=bound,
                     gap=relative_gap(objective, bound), wall_seconds=wall,
                     breakdown={"cost": cost, "unallocated_penalty": penalty,
                                "unallocated": sum(1 for a in assignment if a is None)})
