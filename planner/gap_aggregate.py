"""The outreach GAP solved over case *types*: exact, and small enough for a MIP solver to nearly close in seconds.

Two cases whose columns are identical (the same cost and the same minutes in every period window, at every team)
are interchangeable: swapping them changes neither the cost nor any team's hours. So the GAP over cases equals an
integer model over types, with `x[type, team]` = how many cases of the type the team takes and
`u[type]` = how many stay unallocated (`sum over teams + u = count`). No rounding or bucketing is involved: a type
is a set of cases with identical columns, so every solution of the type model maps back to case assignments of
the same cost and the same hours (and back). The saving is whatever the data gives (on the county preset about
half: cases at the same school, need, tier and deadline window share a column).

The type model is solved with HiGHS (MathOpt). Before it, the LP relaxation of "fewest cases unallocated" gives
a valid cut: no integer plan leaves fewer than the LP's count rounded up, and adding `sum u >= that count` lifts
the LP bound by most of one case's penalty. Solutions are disaggregated deterministically: within a type, cases
in the caller's priority order (e.g. earliest deadline first, then id) go to teams in index order; the last ones
are the unallocated.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from ortools.math_opt.python import mathopt
from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.outreach import GapProblem, GapResult, greedy_gap, relative_gap

log = logging.getLogger(__name__)

_DEBUG = False
Column = tuple[tuple[int | None, tuple[int, ...]], ...]


@dataclass(frozen=True)
class JobTypes:
    """Jobs grouped by identical columns; `members[t]` lists the job indices of type t in priority order."""

    columns: list[Column]
    members: list[list[int]]


def job_types(problem: GapProblem, priority: Sequence[int] | None = None) -> JobTypes:
    """Group jobs whose cost and resource uses are identical at every agent (an exact equivalence)."""
    order = list(priority) if priority is not None else list(range(len(problem.costs)))
    if sorted(order) != list(range(len(problem.costs))):
        raise ValueError("priority must list every job index exactly once")
    penalties = problem.unassigned_penalty
    index: dict[tuple[Column, int | None], int] = {}
    columns: list[Column] = []
    members: list[list[int]] = []
    for j in order:
        column: Column = tuple(
            (cost, tuple(problem.uses[j][a]) if cost is not None else ())
            for a, cost in enumerate(problem.costs[j])
        )
        key = (column, penalties[j] if penalties is not None else None)
        t = index.get(key)
        if t is None:
            index[key] = t = len(columns)
            columns.append(column)
            members.append([])
        members[t].append(j)
    return JobTypes(columns=columns, members=members)


def _build(problem: GapProblem, types: JobTypes, integer: bool
           ) -> tuple[mathopt.Model, dict[tuple[int, int], mathopt.Variable], dict[int, mathopt.Variable]]:
    """The type model: x[type, agent] counts and u[type] unallocated counts (integer or LP)."""
    n_agents = len(problem.capacities)
    model = mathopt.Model(name="gap_types")
    x: dict[tuple[int, int], mathopt.Variable] = {}
    u: dict[int, mathopt.Variable] = {}
    by_agent: dict[int, list[tuple[int, mathopt.Variable]]] = {a: [] for a in range(n_agents)}
    penalties = problem.unassigned_penalty
    for t, column in enumerate(types.columns):
        count = len(types.members[t])
        row: list[mathopt.Variable] = []
        for a, (cost, _) in enumerate(column):
            if cost is None:
                continue
            x[t, a] = model.add_variable(lb=0, ub=count, is_integer=integer)
            by_agent[a].append((t, x[t, a]))
            row.append(x[t, a])
        if penalties is not None:
            u[t] = model.add_variable(lb=0, ub=count, is_integer=integer)
            row.append(u[t])
        # Each case goes to exactly one team (or, when allowed, stays unallocated at a penalty)
        model.add_linear_constraint(mathopt.fast_sum(row) == count)
    for a in range(n_agents):
        for r, capacity in enumerate(problem.capacities[a]):
            terms = [types.columns[t][a][1][r] * var for t, var in by_agent[a] if types.columns[t][a][1][r] > 0]
            if terms and sum(types.columns[t][a][1][r] * len(types.members[t]) for t, _ in by_agent[a]) > capacity:
                # A team's hours in each window of periods cannot exceed what it has
                model.add_linear_constraint(mathopt.fast_sum(terms) <= capacity)
    cost = mathopt.fast_sum([int(types.columns[t][a][0] or 0) * var for (t, a), var in x.items()])
    penalty = mathopt.fast_sum([int(penalties[types.members[t][0]]) * var for t, var in u.items()]) \
        if penalties is not None else 0.0
    if problem.sense == "min":
        model.minimize(cost + penalty)
    else:
        model.maximize(cost - penalty)
    return model, x, u


def fewest_unallocated_cut(problem: GapProblem, types: JobTypes, time_limit: float) -> int:
    """A valid lower bound on the number of unallocated jobs: the LP minimum rounded up (0 if the LP fails)."""
    if problem.unassigned_penalty is None:
        return 0
    model, _, u = _build(problem, types, integer=False)
    model.minimize(mathopt.fast_sum(list(u.values())))
    result = mathopt.solve(model, mathopt.SolverType.GLOP,
                           params=mathopt.SolveParameters(time_limit=timedelta(seconds=max(0.1, time_limit))))
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return 0
    return max(0, math.ceil(result.objective_value() - 1e-6))


def _watch(should_stop: Callable[[], bool] | None, interrupter: SolveInterrupter,
           done: threading.Event) -> threading.Thread | None:
    """Interrupt the MIP when the run is cancelled (polled twice a second)."""
    if should_stop is None:
        return None

    def poll() -> None:
        while not done.wait(0.5):
            if should_stop():
                interrupter.interrupt()
                return

    thread = threading.Thread(target=poll, name="gap-cancel-watch", daemon=True)
    thread.start()
    return thread


def solve_gap_by_types(problem: GapProblem, time_limit: float = 20.0, priority: Sequence[int] | None = None,
                       relative_gap_tolerance: float = 1e-4,
                       should_stop: Callable[[], bool] | None = None) -> GapResult:
    """Solve a GAP exactly over job types with HiGHS; the same optimum as the per-job model, far fewer variables.

    `priority` orders the jobs for disaggregation (earlier jobs get teams first). Stops at the time limit or once
    the relative gap is within `relative_gap_tolerance` (status OPTIMAL only when the gap is closed).
    """
    started = time.perf_counter()
    n_jobs = len(problem.costs)
    types = job_types(problem, priority)
    at_least_unallocated = fewest_unallocated_cut(problem, types, time_limit=max(0.5, time_limit * 0.2))
    model, x, u = _build(problem, types, integer=True)
    if at_least_unallocated > 0:
        # No plan leaves fewer cases unallocated than the LP's minimum rounded up (a valid cut)
        model.add_linear_constraint(mathopt.fast_sum(list(u.values())) >= at_least_unallocated)
    hint = greedy_gap(problem)
    hint_values: dict[mathopt.Variable, float] = {var: 0.0 for var in x.values()}
    for t, jobs in enumerate(types.members):
        for j in jobs:
            agent = hint[j]
            if agent is not None:
                hint_values[x[t, agent]] += 1
            elif t in u:
                hint_values[u[t]] = hint_values.get(u[t], 0.0) + 1
    for var in u.values():
        hint_values.setdefault(var, 0.0)
    remaining = max(0.1, time_limit - (time.perf_counter() - started))
    interrupter, done = SolveInterrupter(), threading.Event()
    watcher = _watch(should_stop, interrupter, done)
    try:
        result = mathopt.solve(
            model, mathopt.SolverType.HIGHS,
            params=mathopt.SolveParameters(time_limit=timedelta(seconds=remaining),
                                           relative_gap_tolerance=relative_gap_tolerance, enable_output=_DEBUG),
            model_params=mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(hint_values)]),
            interrupter=interrupter)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    reason = result.termination.reason
    wall = time.perf_counter() - started
    if not result.has_primal_feasible_solution():
        if problem.unassigned_penalty is None:
            status = "INFEASIBLE" if reason == mathopt.TerminationReason.INFEASIBLE else "UNKNOWN"
            return GapResult(status=status, assignment=[None] * n_jobs, objective=None, bound=None, gap=None,
                             wall_seconds=wall)
        assignment: list[int | None] = list(hint)  # feasible by construction (cases may stay unallocated)
        bound = _finite_bound(result, problem)
    else:
        counts = {key: int(round(result.variable_values(var))) for key, var in x.items()}
        assignment = [None] * n_jobs
        for t, jobs in enumerate(types.members):
            queue = iter(jobs)
            for a in range(len(problem.capacities)):
                for _ in range(counts.get((t, a), 0)):
                    assignment[next(queue)] = a
        bound = _finite_bound(result, problem)
    cost = sum(int(problem.costs[j][a] or 0) for j, a in enumerate(assignment) if a is not None)
    penalties = problem.unassigned_penalty
    penalty = sum(int(penalties[j]) for j, a in enumerate(assignment) if a is None) if penalties is not None else 0
    objective = float(cost + penalty) if problem.sense == "min" else float(cost - penalty)
    bound = min(bound, objective) if problem.sense == "min" else max(bound, objective)
    gap = relative_gap(objective, bound)
    status = "OPTIMAL" if gap == 0.0 else "FEASIBLE"
    log.info("GAP by types: %d jobs in %d types, %s, objective %.0f, bound %.0f, %.2fs", n_jobs,
             len(types.columns), reason.name, objective, bound, time.perf_counter() - started)
    return GapResult(status=status, assignment=assignment, objective=objective, bound=bound, gap=gap,
                     wall_seconds=time.perf_counter() - started,
                     breakdown={"cost": cost, "unallocated_penalty": penalty,
                                "unallocated": sum(1 for a in assignment if a is None),
                                "types": len(types.columns), "unallocated_cut": at_least_unallocated})


def _finite_bound(result: mathopt.SolveResult, problem: GapProblem) -> float:
    """The solver's proven bound (integral objective: rounded inwards); costs are not negative, so 0 otherwise."""
    try:
        value = float(result.best_objective_bound())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return 0.0 if problem.sense == "min" else math.inf
    return float(math.ceil(value - 1e-6)) if problem.sense == "min" else float(math.floor(value + 1e-6))
