"""The generalised assignment problem solved exactly at council sizes: a HiGHS MIP and a single-worker CP-SAT side
by side, the first to prove its plan optimal stops the other.

Why both, and why one CP-SAT worker: on the OR-Library instances of types A-D (5-20 agents, 100-200 jobs) the HiGHS
MIP proves most optima in seconds (type C 20 x 200 in about 14 s on this machine), where CP-SAT with two workers
stalled at 2393-2394 after 120 s on the same instance. CP-SAT's single-worker search (its default LP-guided
branching with no portfolio split) proves that one in about 25 s, and is the stronger of the two on some
instances, so with two cores each solver gets one. With one core (`workers=1`) only the MIP runs. Both start from
the greedy plan (`planner.transitions.gap.greedy_gap`) when it is feasible.

The MIP is written as a MathOpt ModelProto from arrays (planner.solving.model_proto): one binary per allowed
(job, agent) pair, one "unassigned" binary per job when penalties allow it, exactly one per job, and one row per
agent and resource. The objective is integral, so bounds are rounded inwards.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from ortools.math_opt.python import mathopt
from ortools.sat.python import cp_model
from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.solving.cpsat import relative_gap
from planner.solving.model_proto import SparseModel
from planner.transitions.gap import GapProblem, GapResult, greedy_gap

log = logging.getLogger(__name__)


@dataclass
class _Answer:
    """One solver's outcome: its plan (None if it found none), its proven bound, and whether it proved optimality."""

    solver: str
    assignment: list[int | None] | None
    bound: float | None
    proven: bool
    seconds: float
    infeasible: bool = False


def _feasible(problem: GapProblem, assignment: list[int | None]) -> bool:
    n_agents = len(problem.capacities)
    used = [[0] * len(problem.capacities[a]) for a in range(n_agents)]
    for j, a in enumerate(assignment):
        if a is None:
            if problem.unassigned_penalty is None:
                return False
            continue
        if problem.costs[j][a] is None:
            return False
        used[a] = [u + x for u, x in zip(used[a], problem.uses[j][a], strict=True)]
    return all(u <= c for a in range(n_agents) for u, c in zip(used[a], problem.capacities[a], strict=True))


def objective_of(problem: GapProblem, assignment: list[int | None]) -> float:
    """Cost of a plan (less the penalties when maximising, plus them when minimising)."""
    cost = sum(int(problem.costs[j][a] or 0) for j, a in enumerate(assignment) if a is not None)
    penalties = problem.unassigned_penalty
    penalty = sum(int(penalties[j]) for j, a in enumerate(assignment) if a is None) if penalties is not None else 0
    return float(cost + penalty) if problem.sense == "min" else float(cost - penalty)


def gap_mip(problem: GapProblem) -> tuple[SparseModel, dict[tuple[int, int], int], dict[int, int]]:
    """The per-job MIP: (model, column of each allowed (job, agent), column of each job's "unassigned")."""
    sign = 1.0 if problem.sense == "min" else -1.0
    mip = SparseModel(name="gap_mip", maximize=problem.sense == "max")
    x: dict[tuple[int, int], int] = {}
    u: dict[int, int] = {}
    n_agents = len(problem.capacities)
    by_agent: list[list[tuple[int, int]]] = [[] for _ in range(n_agents)]
    for j, row in enumerate(problem.costs):
        choice: list[tuple[int, float]] = []
        for a, cost in enumerate(row):
            if cost is not None:
                x[j, a] = mip.add_variable(1.0, cost=float(cost), integer=True)
                choice.append((x[j, a], 1.0))
                by_agent[a].append((j, x[j, a]))
        if problem.unassigned_penalty is not None:
            # A job may stay unassigned at its penalty (an unallocated case)
            u[j] = mip.add_variable(1.0, cost=sign * float(problem.unassigned_penalty[j]), integer=True)
            choice.append((u[j], 1.0))
        # Each job goes to exactly one agent (or, when allowed, stays unassigned)
        mip.add_row(choice, lower=1.0, upper=1.0)
    for a in range(n_agents):
        for r, capacity in enumerate(problem.capacities[a]):
            terms = [(col, float(problem.uses[j][a][r])) for j, col in by_agent[a] if problem.uses[j][a][r] > 0]
            if terms and sum(v for _, v in terms) > capacity:
                # An agent's use of each resource is at most its capacity
                mip.add_row(terms, upper=float(capacity))
    return mip, x, u


def _solve_mip(problem: GapProblem, time_limit: float, hint: list[int | None] | None,
               interrupter: SolveInterrupter) -> _Answer:
    started = time.perf_counter()
    mip, x, u = gap_mip(problem)
    model = mip.to_model()
    model_params = None
    if hint is not None:
        values = {model.get_variable(col): float(hint[j] == a) for (j, a), col in x.items()}
        values.update({model.get_variable(col): float(hint[j] is None) for j, col in u.items()})
        model_params = mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(values)])
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=max(0.05, time_limit)), relative_gap_tolerance=0.0,
                                     absolute_gap_tolerance=0.5)
    result = mathopt.solve(model, mathopt.SolverType.HIGHS, params=params, model_params=model_params,
                           interrupter=interrupter)
    assignment: list[int | None] | None = None
    if result.has_primal_feasible_solution():
        values = result.variable_values()
        assignment = [None] * len(problem.costs)
        for (j, a), col in x.items():
            if values[model.get_variable(col)] > 0.5:
                assignment[j] = a
    bound = float(result.termination.objective_bounds.dual_bound)
    proven = result.termination.reason == mathopt.TerminationReason.OPTIMAL
    return _Answer("highs", assignment, bound if math.isfinite(bound) else None, proven,
                   time.perf_counter() - started,
                   infeasible=result.termination.reason == mathopt.TerminationReason.INFEASIBLE)


def _solve_cpsat(problem: GapProblem, time_limit: float, hint: list[int | None] | None, seed: int,
                 holder: list[cp_model.CpSolver]) -> _Answer:
    started = time.perf_counter()
    model = cp_model.CpModel()
    n_agents = len(problem.capacities)
    x = {(j, a): model.new_bool_var(f"x_{j}_{a}") for j, row in enumerate(problem.costs)
         for a, cost in enumerate(row) if cost is not None}
    u = {j: model.new_bool_var(f"u_{j}") for j in range(len(problem.costs))} \
        if problem.unassigned_penalty is not None else {}
    for j in range(len(problem.costs)):
        # Each job goes to exactly one agent (or, when allowed, stays unassigned)
        model.add_exactly_one([x[j, a] for a in range(n_agents) if (j, a) in x] + ([u[j]] if j in u else []))
    for a in range(n_agents):
        for r, capacity in enumerate(problem.capacities[a]):
            # An agent's use of each resource is at most its capacity
            model.add(sum(problem.uses[j][a][r] * var for (j, b), var in x.items() if b == a) <= capacity)
    expression = sum(int(problem.costs[j][a] or 0) * var for (j, a), var in x.items())
    penalties = problem.unassigned_penalty
    if problem.sense == "min":
        model.minimize(expression + sum(int(penalties[j]) * var for j, var in u.items()) if penalties else expression)
    else:
        model.maximize(expression - sum(int(penalties[j]) * var for j, var in u.items()) if penalties else expression)
    if hint is not None:
        for (j, a), var in x.items():
            model.add_hint(var, int(hint[j] == a))
        for j, var in u.items():
            model.add_hint(var, int(hint[j] is None))
    solver = holder[0]
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = 1  # the single-worker search: see the module docstring
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    assignment: list[int | None] | None = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assignment = [None] * len(problem.costs)
        for (j, a), var in x.items():
            if solver.value(var):
                assignment[j] = a
    bound = float(solver.best_objective_bound) if code != cp_model.UNKNOWN else None
    return _Answer("cp-sat", assignment, bound, code == cp_model.OPTIMAL, time.perf_counter() - started,
                   infeasible=code == cp_model.INFEASIBLE)


def _best(problem: GapProblem, answers: list[_Answer]) -> tuple[list[int | None] | None, float | None]:
    """The best feasible plan of the answers and the tightest proven bound (integral objective: rounded inwards)."""
    plans = [a.assignment for a in answers if a.assignment is not None and _feasible(problem, a.assignment)]
    sign = 1 if problem.sense == "min" else -1
    plan = min(plans, key=lambda p: sign * objective_of(problem, p), default=None)
    bounds = [a.bound for a in answers if a.bound is not None]
    if not bounds:
        return plan, None
    if problem.sense == "min":
        return plan, float(math.ceil(max(bounds) - 1e-6))
    return plan, float(math.floor(min(bounds) + 1e-6))


def solve_gap_portfolio(problem: GapProblem, time_limit: float = 120.0, seed: int = 0, workers: int = 2,
                        should_stop: Callable[[], bool] | None = None) -> GapResult:
    """Solve a GAP exactly: HiGHS MIP, and with two or more workers a single-worker CP-SAT beside it; the first to
    prove optimality stops the other (as does `should_stop`). Status OPTIMAL only when the plan meets the bound."""
    started = time.perf_counter()
    greedy = greedy_gap(problem)
    hint = greedy if _feasible(problem, greedy) else None
    interrupter, holder = SolveInterrupter(), [cp_model.CpSolver()]
    answers: list[_Answer] = []
    done = threading.Event()

    def stop_both() -> None:
        interrupter.interrupt()
        holder[0].stop_search()

    def run_mip() -> None:
        answers.append(_solve_mip(problem, time_limit, hint, interrupter))
        if answers[-1].proven or answers[-1].infeasible:
            holder[0].stop_search()

    def watch() -> None:
        while not done.wait(0.25):
            if should_stop is not None and should_stop():
                stop_both()
                return

    threads = [threading.Thread(target=run_mip, name="gap-highs", daemon=True),
               threading.Thread(target=watch, name="gap-stop-watch", daemon=True)]
    for thread in threads:
        thread.start()
    if workers >= 2:
        answer = _solve_cpsat(problem, time_limit, hint, seed, holder)
        answers.append(answer)
        if answer.proven or answer.infeasible:
            interrupter.interrupt()
    threads[0].join()
    done.set()
    threads[1].join()
    plan, bound = _best(problem, answers)
    wall = time.perf_counter() - started
    log.info("GAP portfolio: %s", ", ".join(f"{a.solver} {'proven' if a.proven else 'stopped'} {a.seconds:.1f}s"
                                           for a in answers))
    if plan is None:
        infeasible = any(a.infeasible for a in answers)
        return GapResult(status="INFEASIBLE" if infeasible else "UNKNOWN", assignment=[None] * len(problem.costs),
                         objective=None, bound=None, gap=None, wall_seconds=wall)
    objective = objective_of(problem, plan)
    if bound is None:
        bound = 0.0 if problem.sense == "min" else objective
    bound = min(bound, objective) if problem.sense == "min" else max(bound, objective)
    gap = relative_gap(objective, bound)
    return GapResult(status="OPTIMAL" if gap == 0.0 else "FEASIBLE", assignment=plan, objective=objective,
                     bound=bound, gap=gap, wall_seconds=wall,
                     breakdown={"unallocated": sum(1 for a in plan if a is None),
                                "proven_by": next((1 if a.solver == "highs" else 2 for a in answers if a.proven), 0)})
