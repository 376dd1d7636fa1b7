"""Sibling groups placed together: the one rule flow cannot express, solved exactly on a small sub-problem.

1. The flow relaxation (members choose independently among the settings all of them may attend) is solved
   lexicographically. If every group lands together it is optimal for the constrained problem: done.
2. Otherwise, with the relaxation's dual potentials, a plan whose first-stage cost is within G of the relaxed
   optimum uses only arcs whose reduced cost is at most G (every term of cost - optimum is a non-negative reduced
   cost). CP-SAT solves the problem restricted to those arcs (learners left with one arc are fixed); if its optimum
   is within G of the relaxed optimum it is the true optimum, otherwise G grows and the step repeats. No giant
   model, and no heuristic incumbent whose quality would decide the size of the model.
3. Later stages are solved in the same restricted CP-SAT model, each holding earlier stages at their optimum,
   warm-started (AddHint) from the previous solution; every stage must be proven OPTIMAL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner.placement.flow import FlowNetwork, LexicographicResult, solve_lexicographic
from planner.solving.progress import Progress, RunCancelled

CPSAT_ARC_LIMIT = 2_000  # larger restricted models go to branch and bound over exact flow solves


@dataclass
class SiblingOutcome:
    """Chosen learner arc per flow learner, and how the side-constraint step went."""

    chosen_arc: NDArray[np.int64]
    status: str  # OPTIMAL, FEASIBLE (time limit) or the relaxation's OPTIMAL when groups were already together
    gap: float
    used_cpsat: bool
    free_learners: int = 0
    variables: int = 0
    stage_bounds: list[int] = field(default_factory=list)


def chosen_arcs(network: FlowNetwork, flow: NDArray[np.int64]) -> NDArray[np.int64]:
    """The arc each unit sends its flow on (the first, when a relaxed group is split)."""
    arcs = np.flatnonzero(flow[: network.num_learner_arcs] > 0)
    chosen = np.full(network.num_learners, -1, dtype=np.int64)
    chosen[network.tail[arcs][::-1]] = arcs[::-1]
    return chosen


def split_units(network: FlowNetwork, flow: NDArray[np.int64]) -> list[int]:
    """Units (sibling groups) whose flow is spread over more than one arc."""
    arcs = np.flatnonzero(flow[: network.num_learner_arcs] > 0)
    counts = np.bincount(network.tail[arcs], minlength=network.num_learners)
    return np.flatnonzero(counts > 1).tolist()


class _StopOnRequest(cp_model.CpSolverSolutionCallback):
    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress
        self.cancelled = False

    def on_solution_callback(self) -> None:
        if self._progress.should_stop():
            self.cancelled = True
            self.stop_search()


def solve_with_siblings(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], relaxed: LexicographicResult,
                        *, seed: int, time_limit: float, workers: int, progress: Progress) -> SiblingOutcome:
    """Exact placement with every group on one arc; `relaxed` is the lexicographic flow of the relaxation."""
    chosen = chosen_arcs(network, relaxed.flow)
    split = split_units(network, relaxed.flow)
    if not split:
        # The relaxation's optimum already keeps every group together, so it is optimal for the real problem.
        return SiblingOutcome(chosen_arc=chosen, status="OPTIMAL", gap=0.0, used_cpsat=False)
    reduced = relaxed.first_stage_reduced
    live = np.flatnonzero(network.capacity[: network.num_learner_arcs] > 0)
    # Start from a lower estimate of what keeping the split groups together costs, then widen.
    threshold = 0
    for unit in split:
        mine = live[network.tail[live] == unit]
        threshold += int(reduced[mine].min() if len(mine) else 0) * int(network.supplies[unit])
    threshold = max(1, threshold)
    largest = int(reduced[live].max()) if len(live) else 0
    if int((reduced[live] <= threshold).sum()) > CPSAT_ARC_LIMIT:
        # Many zero-reduced-cost ties: branch on the split groups with exact flow solves instead.
        return _branch_and_bound(network, stage_costs[:-1], relaxed, time_limit=time_limit, progress=progress)
    while True:
        outcome, needed = _cpsat(network, stage_costs, reduced, threshold, relaxed.first_stage_cost, chosen,
                                 seed=seed, time_limit=time_limit, workers=workers, progress=progress)
        if outcome is not None:
            return outcome
        if threshold >= 2**62:
            raise RuntimeError("sibling step found no plan even with every arc allowed")
        # Once every arc is allowed the restricted model is the whole problem: its optimum is final.
        threshold = 2**62 if max(2 * threshold, needed) >= largest else max(2 * threshold, needed)


def _branch_and_bound(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], relaxed: LexicographicResult, *,
                      time_limit: float, progress: Progress) -> SiblingOutcome:
    """Depth-first branch and bound: a split group is sent whole down each of its arcs in turn.

    Each node is an exact lexicographic flow solve, a lower bound for its subtree (a relaxation); a child's
    first-stage cost is at least its parent's plus the group's size x the arc's reduced cost, which prunes
    most children without a solve. The best plan with no split group is optimal when the tree is exhausted.
    """
    started = time.perf_counter()
    best: tuple[tuple[int, ...], NDArray[np.int64]] | None = None
    # A node is the list of (group, arc) choices forced so far; networks are rebuilt from it when a node is solved.
    stack: list[tuple[list[tuple[int, int]], LexicographicResult | None, int]] = [([], relaxed, 0)]
    nodes = 0
    complete = True
    learner_tail = network.tail[: network.num_learner_arcs]
    best = _greedy_dive(network, stage_costs, relaxed, learner_tail)
    while stack:
        if progress.should_stop():
            raise RunCancelled("placement cancelled during the sibling-group step")
        if time.perf_counter() - started > time_limit:
            complete = False
            break
        forced, result, lower = stack.pop()
        if best is not None and lower > best[0][0]:
            continue
        net = network.copy()
        for unit, arc in forced:
            # Flagged siblings are placed together: the whole group takes this arc or none.
            others = np.flatnonzero(learner_tail == unit)
            net.capacity[others[others != arc]] = 0
        if result is None:
            result = solve_lexicographic(net, stage_costs)
            nodes += 1
        vector = tuple(result.stage_costs)
        if best is not None and vector >= best[0]:
            continue
        split = split_units(net, result.flow)
        if not split:
            best = (vector, chosen_arcs(net, result.flow))
            continue
        unit = split[0]
        k = int(net.supplies[unit])
        arcs = np.flatnonzero((learner_tail == unit) & (net.capacity[: net.num_learner_arcs] > 0))
        reduced = result.first_stage_reduced
        children = []
        for arc in arcs.tolist():
            child_lower = result.stage_costs[0] + k * int(reduced[arc])
            if best is not None and child_lower > best[0][0]:
                continue
            children.append((child_lower, arc))
        for child_lower, arc in sorted(children, key=lambda c: (-c[0], -c[1])):
            stack.append(([*forced, (unit, arc)], None, child_lower))
    if best is None:
        raise RuntimeError("sibling branch and bound found no plan within the time limit")
    return SiblingOutcome(chosen_arc=best[1], status="OPTIMAL" if complete else "FEASIBLE",
                          gap=0.0 if complete else float("nan"), used_cpsat=False, variables=nodes)


def _greedy_dive(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], relaxed: LexicographicResult,
                 learner_tail: NDArray[np.int64]) -> tuple[tuple[int, ...], NDArray[np.int64]]:
    """A first plan with every group together: send each split group whole down its cheapest arc, re-solve."""
    net = network.copy()
    result = relaxed
    for _ in range(network.num_learners + 1):
        split = split_units(net, result.flow)
        if not split:
            return tuple(result.stage_costs), chosen_arcs(net, result.flow)
        for unit in split:
            arcs = np.flatnonzero((learner_tail == unit) & (net.capacity[: net.num_learner_arcs] > 0))
            used = arcs[result.flow[arcs] > 0]
            keep = int(used[np.argmin(result.first_stage_reduced[used])])
            net.capacity[arcs[arcs != keep]] = 0
        result = solve_lexicographic(net, stage_costs)
    raise RuntimeError("greedy dive did not converge")  # pragma: no cover - each pass fixes a group


def _out_arc(network: FlowNetwork) -> dict[int, int]:
    structural = range(network.num_learner_arcs, len(network.tail))
    return {int(network.tail[a]): a for a in structural}


def _path(network: FlowNetwork, out_arc: dict[int, int], node: int) -> list[int]:
    """Structural arcs from a landing node to the sink (phase -> setting -> sink, or setting -> sink)."""
    path: list[int] = []
    while node in out_arc:
        arc = out_arc[node]
        path.append(arc)
        node = int(network.head[arc])
    return path


def _cpsat(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], reduced: NDArray[np.int64], gap: int,
           relaxed_cost: int, hint: NDArray[np.int64], *, seed: int, time_limit: float, workers: int,
           progress: Progress) -> tuple[SiblingOutcome | None, int]:
    """The problem restricted to arcs with reduced cost <= gap; (None, needed gap) when that is not enough."""
    n = network.num_learners
    size = network.supplies[:n]
    out_arc = _out_arc(network)
    structural = np.arange(network.num_learner_arcs, len(network.tail))
    # Stage 1 in reduced costs: each unit of flow pays its arc's reduced cost plus those of the arcs to the sink.
    path_cost = {node: int(sum(int(reduced[a]) for a in _path(network, out_arc, node)))
                 for node in set(network.head[: network.num_learner_arcs].tolist())}
    live = (network.capacity[: network.num_learner_arcs] > 0) & (reduced[: network.num_learner_arcs] <= gap)
    per_unit: list[list[int]] = [[] for _ in range(n)]
    for arc in np.flatnonzero(live).tolist():
        per_unit[int(network.tail[arc])].append(arc)
    model = cp_model.CpModel()
    load: dict[int, list[tuple[cp_model.IntVar, int]]] = {int(a): [] for a in structural}
    fixed_load: dict[int, int] = {int(a): 0 for a in structural}
    terms: list[tuple[cp_model.IntVar, int]] = []  # variable, the arc it stands for
    chosen = np.full(n, -1, dtype=np.int64)
    for unit in range(n):
        arcs = per_unit[unit]
        if not arcs:
            return None, 2 * gap
        k = int(size[unit])
        if len(arcs) == 1:
            # Reduced-cost fixing: no plan within the gap can move this learner (or group).
            chosen[unit] = arcs[0]
            for a in _path(network, out_arc, int(network.head[arcs[0]])):
                fixed_load[a] += k
            continue
        options = []
        for arc in arcs:
            var = model.new_bool_var(f"x{arc}")
            options.append(var)
            terms.append((var, arc))
            for a in _path(network, out_arc, int(network.head[arc])):
                load[a].append((var, k))
            model.add_hint(var, int(hint[unit] == arc))
        # Every learner gets exactly one outcome, and flagged siblings share it: one setting, or "unplaced".
        model.add_exactly_one(options)
    for a, parts in load.items():
        if parts:
            # A setting's places (overall and per phase) cannot be exceeded by new placements.
            model.add(sum(k * var for var, k in parts) <= int(network.capacity[a]) - fixed_load[a])
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    callback = _StopOnRequest(progress)
    status_name = "OPTIMAL"
    bounds: list[int] = []
    worst_gap = 0.0
    for index, costs in enumerate(stage_costs):
        if index == 0:
            coefficient = [int(size[network.tail[arc]]) * (int(reduced[arc]) + path_cost[int(network.head[arc])])
                           for _, arc in terms]
        else:
            coefficient = [int(size[network.tail[arc]]) * int(costs[arc]) for _, arc in terms]
        objective = sum(c * var for c, (var, _) in zip(coefficient, terms, strict=True))
        model.minimize(objective)
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        status = solver.solve(model, callback)
        if callback.cancelled:
            raise RunCancelled("placement cancelled during the sibling-group step")
        if index == 0 and status == cp_model.INFEASIBLE:
            return None, 2 * gap
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"CP-SAT sibling step ended with status {solver.status_name(status)}")
        value = int(round(solver.objective_value))
        if index == 0:
            picked = chosen.copy()
            for var, arc in terms:
                if solver.value(var):
                    picked[int(network.tail[arc])] = arc
            excess = int((costs[picked] * size).sum()) - relaxed_cost
            if status == cp_model.OPTIMAL and excess > gap:
                # A plan this far from the relaxation may use arcs left out: widen the restriction.
                return None, excess
        bound = int(round(solver.best_objective_bound))
        bounds.append(bound)
        if status != cp_model.OPTIMAL:
            status_name = "FEASIBLE"
            worst_gap = max(worst_gap, abs(value - bound) / max(1, abs(value)))
        # Keep this stage at its optimum while the next one is solved, warm-started from this solution.
        model.clear_hints()
        for var, _ in terms:
            model.add_hint(var, solver.value(var))
        model.add(objective == value)
        time_limit -= solver.wall_time
    for var, arc in terms:
        if solver.value(var):
            chosen[int(network.tail[arc])] = arc
    return SiblingOutcome(chosen_arc=chosen, status=status_name, gap=worst_gap, used_cpsat=True,
                          free_learners=sum(1 for unit in range(n) if len(per_unit[unit]) > 1),
                          variables=len(terms), stage_bounds=bounds), 0
