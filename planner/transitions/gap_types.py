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

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.solving.cpsat import relative_gap
from planner.solving.model_proto import SparseModel
from planner.transitions.gap import GapProblem, GapResult, greedy_gap

log = logging.getLogger(__name__)

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
    """The type model: x[type, agent] counts and u[type] unallocated counts (integer or LP).

    Written as a MathOpt ModelProto from arrays (building row by row through the Python API takes seconds at
    county size; the proto takes a fraction of that) and loaded with `Model.from_model_proto`.
    """
    n_agents = len(problem.capacities)
    penalties = problem.unassigned_penalty
    lp = SparseModel(name="gap_types", maximize=problem.sense == "max")
    x_ids: dict[tuple[int, int], int] = {}
    u_ids: dict[int, int] = {}
    for t, column in enumerate(types.columns):
        for a, (cost, _) in enumerate(column):
            if cost is not None:
                x_ids[t, a] = lp.add_variable(float(len(types.members[t])), float(cost), integer=integer)
    if penalties is not None:
        sign = 1.0 if problem.sense == "min" else -1.0
        for t in range(len(types.columns)):
            u_ids[t] = lp.add_variable(float(len(types.members[t])), sign * float(penalties[types.members[t][0]]),
                                       integer=integer)
    for t in range(len(types.columns)):
        count = float(len(types.members[t]))
        # Each case goes to exactly one team (or, when allowed, stays unallocated at a penalty)
        terms = [(x_ids[t, a], 1.0) for a in range(n_agents) if (t, a) in x_ids]
        if t in u_ids:
            terms.append((u_ids[t], 1.0))
        lp.add_row(terms, count, count)
    by_agent: dict[int, list[int]] = {a: [] for a in range(n_agents)}
    for t, a in x_ids:
        by_agent[a].append(t)
    for a in range(n_agents):
        for r, capacity in enumerate(problem.capacities[a]):
            terms = [(x_ids[t, a], float(types.columns[t][a][1][r])) for t in by_agent[a]
                     if types.columns[t][a][1][r] > 0]
            if not terms or sum(types.columns[t][a][1][r] * len(types.members[t]) for t in by_agent[a]) <= capacity:
                continue  # cannot bind
            # A team's hours in each window of periods cannot exceed what it has
            lp.add_row(terms, upper=float(capacity))
    model = lp.to_model()
    x = {key: model.get_variable(i) for key, i in x_ids.items()}
    u = {t: model.get_variable(i) for t, i in u_ids.items()}
    return model, x, u


def lp_rounding(problem: GapProblem, types: JobTypes, time_limit: float) -> tuple[int, dict[tuple[int, int], int]]:
    """The LP relaxation, twice: (1) fewest unallocated, whose optimum rounded up is a valid cut (no integer plan
    leaves fewer cases unallocated); (2) the full objective with that cut, rounded down and repaired greedily
    (residual cases to their cheapest team with room in every window) into a good integer start.

    Returns (the cut, the start as counts per (type, agent)); (0, {}) when an LP does not solve.
    """
    model, x, u = _build(problem, types, integer=False)
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=max(0.1, time_limit / 2)))
    cut = 0
    if u:
        full = [(var, coefficient) for var, coefficient in _objective_terms(model)]
        model.minimize(mathopt.fast_sum(list(u.values())))
        result = mathopt.solve(model, mathopt.SolverType.GLOP, params=params)
        if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
            return 0, {}
        cut = max(0, math.ceil(result.objective_value() - 1e-6))
        model.add_linear_constraint(mathopt.fast_sum(list(u.values())) >= cut)
        expression = mathopt.fast_sum([c * var for var, c in full])
        if problem.sense == "min":
            model.minimize(expression)
        else:
            model.maximize(expression)
    result = mathopt.solve(model, mathopt.SolverType.GLOP, params=params)
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return cut, {}
    n_agents = len(problem.capacities)
    counts = {key: int(math.floor(result.variable_values(var) + 1e-6)) for key, var in x.items()}
    remaining = [list(c) for c in problem.capacities]
    for (t, a), k in counts.items():
        if k:
            remaining[a] = [r - k * use for r, use in zip(remaining[a], types.columns[t][a][1], strict=True)]
    sign = 1 if problem.sense == "min" else -1
    # Residual cases, the smallest first (most cases placed in the hours left), then the fewest options
    residual = sorted(((t, len(types.members[t]) - sum(counts.get((t, a), 0) for a in range(n_agents)))
                       for t in range(len(types.columns))),
                      key=lambda item: (min((sum(use) for cost, use in types.columns[item[0]] if cost is not None),
                                            default=0),
                                        sum(1 for cost, _ in types.columns[item[0]] if cost is not None), item[0]))
    for t, left in residual:
        options = sorted((a for a in range(n_agents) if types.columns[t][a][0] is not None),
                         key=lambda a: (sign * (types.columns[t][a][0] or 0), a))
        for _ in range(left):
            for a in options:
                uses = types.columns[t][a][1]
                if all(use <= r for use, r in zip(uses, remaining[a], strict=True)):
                    counts[t, a] = counts.get((t, a), 0) + 1
                    remaining[a] = [r - use for r, use in zip(remaining[a], uses, strict=True)]
                    break
            else:
                if problem.unassigned_penalty is None:
                    return cut, {}  # the start must assign everyone: give up on it
    return cut, counts


def improve_by_moves(problem: GapProblem, types: JobTypes, counts: dict[tuple[int, int], int],
                     deadline: float) -> dict[tuple[int, int], int]:
    """Local search on a feasible plan: place an unallocated case at a team, directly or by moving one case of
    another type from that team to a team with room (an ejection chain of length one). Each move saves a penalty
    and costs at most the travel difference, so every move improves the objective. Stops at `deadline`
    (perf_counter) or when no move is left. Only for problems with unallocated penalties.
    """
    if problem.unassigned_penalty is None or not types.columns:
        return counts
    n_types, n_agents = len(types.columns), len(problem.capacities)
    n_res = max((len(c) for c in problem.capacities), default=0)
    allowed = np.zeros((n_types, n_agents), dtype=bool)
    uses = np.zeros((n_types, n_agents, n_res), dtype=np.int64)
    cost = np.zeros((n_types, n_agents), dtype=np.int64)
    for t, column in enumerate(types.columns):
        for a, (c, use) in enumerate(column):
            if c is not None:
                allowed[t, a], uses[t, a], cost[t, a] = True, use, c
    if problem.sense == "max":
        cost = -cost
    held = np.zeros((n_types, n_agents), dtype=np.int64)
    for (t, a), k in counts.items():
        held[t, a] = k
    remaining = np.asarray(problem.capacities, dtype=np.int64) - np.einsum("ta,tar->ar", held, uses)
    left = np.asarray([len(m) for m in types.members], dtype=np.int64) - held.sum(axis=1)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for t_new in np.flatnonzero(left > 0):
            while left[t_new] > 0 and time.perf_counter() < deadline:
                # Which types could move out to another team with room now: fits[t, b]
                fits = allowed & (uses <= remaining[None, :, :]).all(axis=2)
                best: tuple[int, int, int, int] | None = None  # (delta, team, moved type or -1, its new team)
                for team in np.flatnonzero(allowed[t_new]):
                    a = int(team)
                    shortfall = uses[t_new, a] - remaining[a]
                    if (shortfall <= 0).all():
                        if best is None or cost[t_new, a] < best[0]:
                            best = (int(cost[t_new, a]), int(a), -1, -1)
                        continue
                    movable = (held[:, a] > 0) & (uses[:, a, :] >= shortfall[None, :]).all(axis=1)
                    movable[t_new] = False
                    for candidate in np.flatnonzero(movable):
                        t_old = int(candidate)
                        targets = np.flatnonzero(fits[t_old])
                        targets = targets[targets != a]
                        if targets.size == 0:
                            continue
                        b = int(targets[np.argmin(cost[t_old, targets])])
                        delta = int(cost[t_new, a] + cost[t_old, b] - cost[t_old, a])
                        if best is None or delta < best[0]:
                            best = (delta, a, t_old, b)
                if best is None:
                    break
                _, a, moved, b = best
                if moved >= 0:
                    t_old = moved
                    held[t_old, a] -= 1
                    held[t_old, b] += 1
                    remaining[a] += uses[t_old, a]
                    remaining[b] -= uses[t_old, b]
                held[t_new, a] += 1
                remaining[a] -= uses[t_new, a]
                left[t_new] -= 1
                improved = True
    return {(int(t), int(a)): int(held[t, a]) for t, a in zip(*np.nonzero(held), strict=True)}


def _left(types: JobTypes, counts: dict[tuple[int, int], int]) -> int:
    return sum(len(m) for m in types.members) - sum(counts.values())


def _objective_terms(model: mathopt.Model) -> list[tuple[mathopt.Variable, float]]:
    return [(term.variable, term.coefficient) for term in model.objective.linear_terms()]


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
                       relative_gap_tolerance: float = 1e-4, heuristic_effort: float = 0.05,
                       should_stop: Callable[[], bool] | None = None) -> GapResult:
    """Solve a GAP exactly over job types with HiGHS; the same optimum as the per-job model, far fewer variables.

    `priority` orders the jobs for disaggregation (earlier jobs get teams first). Stops at the time limit or once
    the relative gap is within `relative_gap_tolerance` (status OPTIMAL only when the gap is closed).
    """
    started = time.perf_counter()
    n_jobs = len(problem.costs)
    types = job_types(problem, priority)
    at_least_unallocated, start = lp_rounding(problem, types, time_limit=max(0.5, time_limit * 0.3))
    model, x, u = _build(problem, types, integer=True)
    if at_least_unallocated > 0:
        # No plan leaves fewer cases unallocated than the LP's minimum rounded up (a valid cut)
        model.add_linear_constraint(mathopt.fast_sum(list(u.values())) >= at_least_unallocated)
    if not start:
        hint = greedy_gap(problem)
        for t, jobs in enumerate(types.members):
            for j in jobs:
                agent = hint[j]
                if agent is not None:
                    start[t, agent] = start.get((t, agent), 0) + 1
    log.info("GAP by types: LP rounding start leaves %d unallocated (cut %d), %.2fs", _left(types, start),
             at_least_unallocated, time.perf_counter() - started)
    start = improve_by_moves(problem, types, start, started + time_limit * 0.4)
    log.info("GAP by types: after moves %d unallocated, %.2fs", _left(types, start), time.perf_counter() - started)
    hint_values: dict[mathopt.Variable, float] = {var: float(start.get(key, 0)) for key, var in x.items()}
    for t, var in u.items():
        hint_values[var] = float(len(types.members[t]) - sum(start.get((t, a), 0)
                                                             for a in range(len(problem.capacities))))
    # HiGHS can overrun its limit while it finishes a root LP or a heuristic: leave it a margin, and time for moves
    remaining = max(0.1, 0.8 * (time_limit - (time.perf_counter() - started)) - 0.5)
    interrupter, done = SolveInterrupter(), threading.Event()
    watcher = _watch(should_stop, interrupter, done)
    try:
        result = mathopt.solve(
            model, mathopt.SolverType.HIGHS,
            params=_highs_parameters(remaining, relative_gap_tolerance, heuristic_effort),
            model_params=mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(hint_values)]),
            interrupter=interrupter)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    reason = result.termination.reason
    if result.has_primal_feasible_solution():
        counts = {key: int(round(result.variable_values(var))) for key, var in x.items()}
        log.info("GAP by types: MIP %s leaves %d unallocated, %.2fs", reason.name, _left(types, counts),
                 time.perf_counter() - started)
        counts = improve_by_moves(problem, types, counts,
                                  max(time.perf_counter() + 0.2, started + time_limit))
        bound = _finite_bound(result, problem)
    elif problem.unassigned_penalty is not None and (start or not x):
        counts, bound = start, _finite_bound(result, problem)  # the repaired LP start is feasible
    else:
        status = "INFEASIBLE" if reason == mathopt.TerminationReason.INFEASIBLE else "UNKNOWN"
        return GapResult(status=status, assignment=[None] * n_jobs, objective=None, bound=None, gap=None,
                         wall_seconds=time.perf_counter() - started)
    assignment = disaggregate(types, counts, n_jobs, len(problem.capacities))
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


def disaggregate(types: JobTypes, counts: dict[tuple[int, int], int], n_jobs: int,
                 n_agents: int) -> list[int | None]:
    """Counts per (type, agent) back to an agent per job: within a type, jobs in priority order to agents in index
    order; the rest unassigned. Exact, because jobs of a type have identical columns."""
    assignment: list[int | None] = [None] * n_jobs
    for t, jobs in enumerate(types.members):
        queue = iter(jobs)
        for a in range(n_agents):
            for _ in range(counts.get((t, a), 0)):
                assignment[next(queue)] = a
    return assignment


def _highs_parameters(time_limit: float, relative_gap_tolerance: float,
                      heuristic_effort: float) -> mathopt.SolveParameters:
    """HiGHS with a time limit, a gap tolerance and its share of effort on primal heuristics (HiGHS default 0.05)."""
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=time_limit),
                                     relative_gap_tolerance=relative_gap_tolerance)
    params.highs.double_options["mip_heuristic_effort"] = heuristic_effort
    return params


def _finite_bound(result: mathopt.SolveResult, problem: GapProblem) -> float:
    """The solver's proven bound (integral objective: rounded inwards); costs are not negative, so 0 otherwise."""
    try:
        value = float(result.best_objective_bound())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return 0.0 if problem.sense == "min" else math.inf
    return float(math.ceil(value - 1e-6)) if problem.sense == "min" else float(math.floor(value + 1e-6))
