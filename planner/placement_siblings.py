"""Sibling groups placed together: the one rule flow cannot express, solved exactly on a small sub-problem.

1. The flow relaxation (members choose independently among the settings all of them may attend) is solved
   lexicographically. If every group lands together it is optimal for the constrained problem: done.
2. Otherwise a feasible incumbent is built by fixing each split group to its cheapest common setting (by reduced
   cost) and re-solving the flow. With the relaxation's dual potentials, any plan no worse than the incumbent on
   the first stage uses only arcs whose reduced cost is at most the gap (reduced-cost fixing), so learners left
   with a single such arc are fixed, exactly.
3. CP-SAT solves the remaining sub-problem stage by stage (each later stage holding earlier stages at their
   optimum), warm-started (AddHint) from the incumbent, and must prove each stage OPTIMAL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner.placement_flow import FlowNetwork, LexicographicResult, solve_stage
from planner.progress import Progress, RunCancelled


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
    arcs = np.flatnonzero(flow[: network.num_learner_arcs] > 0)
    chosen = np.full(network.num_learners, -1, dtype=np.int64)
    chosen[network.tail[arcs]] = arcs
    return chosen


def split_groups(network: FlowNetwork, chosen: NDArray[np.int64], groups: list[list[int]]) -> list[int]:
    """Indices of groups whose members did not all land on the same node (a setting, or all unplaced)."""
    return [g for g, members in enumerate(groups) if len({int(network.head[chosen[m]]) for m in members}) > 1]


class _StopOnRequest(cp_model.CpSolverSolutionCallback):
    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress
        self.cancelled = False

    def on_solution_callback(self) -> None:
        if self._progress.should_stop():
            self.cancelled = True
            self.StopSearch()


def solve_with_siblings(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], relaxed: LexicographicResult,
                        groups: list[list[int]], *, seed: int, time_limit: float, workers: int,
                        progress: Progress) -> SiblingOutcome:
    """Exact placement with every group together; `relaxed` is the lexicographic flow of the relaxation."""
    chosen = chosen_arcs(network, relaxed.flow)
    if not split_groups(network, chosen, groups):
        # The relaxation's optimum already keeps every group together, so it is optimal for the real problem.
        return SiblingOutcome(chosen_arc=chosen, status="OPTIMAL", gap=0.0, used_cpsat=False)
    reduced = relaxed.first_stage_reduced
    incumbent_flow = _repair(network, stage_costs[0], relaxed.flow, groups, reduced)
    incumbent = chosen_arcs(network, incumbent_flow)
    incumbent_cost = int(stage_costs[0][incumbent].sum())
    gap = incumbent_cost - relaxed.first_stage_cost
    return _cpsat(network, stage_costs, reduced, gap, incumbent, groups, seed=seed, time_limit=time_limit,
                  workers=workers, progress=progress)


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


def _repair(network: FlowNetwork, costs: NDArray[np.int64], flow: NDArray[np.int64], groups: list[list[int]],
            reduced: NDArray[np.int64]) -> NDArray[np.int64]:
    """A feasible plan with groups together: fix split groups to their cheapest common node, re-solve, repeat."""
    work = network.copy()
    out_arc = _out_arc(network)
    committed: dict[int, int] = {}
    learner_arcs = np.arange(network.num_learner_arcs)
    arcs_of: dict[int, NDArray[np.int64]] = {}
    tails = network.tail[: network.num_learner_arcs]
    order = np.argsort(tails, kind="stable")
    starts = np.searchsorted(tails[order], np.arange(network.num_learners + 1))
    for member in {m for g in groups for m in g}:
        arcs_of[member] = learner_arcs[order[starts[member]:starts[member + 1]]]
    fixed: set[int] = set()
    for _ in range(len(groups) + 1):
        split = [g for g in split_groups(network, chosen_arcs(network, flow), groups) if g not in fixed]
        if not split:
            return flow
        for g in split:
            members = groups[g]
            score: dict[int, int] = {}
            count: dict[int, int] = {}
            for m in members:
                live = arcs_of[m][work.capacity[arcs_of[m]] > 0]
                for arc in live.tolist():
                    node = int(network.head[arc])
                    score[node] = score.get(node, 0) + int(reduced[arc])
                    count[node] = count.get(node, 0) + 1
            common = [n for n in score if count[n] == len(members)]
            fits = [n for n in common
                    if all(committed.get(a, 0) + len(members) <= network.capacity[a]
                           for a in _path(network, out_arc, n))]
            target = min(fits, key=lambda n: (score[n], n))
            for a in _path(network, out_arc, target):
                committed[a] = committed.get(a, 0) + len(members)
            for m in members:
                arcs = arcs_of[m]
                work.capacity[arcs[network.head[arcs] != target]] = 0
            fixed.add(g)
        flow = solve_stage(work, costs).flow
    raise RuntimeError("sibling repair did not converge")  # pragma: no cover - each pass fixes a group


def _cpsat(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], reduced: NDArray[np.int64], gap: int,
           incumbent: NDArray[np.int64], groups: list[list[int]], *, seed: int, time_limit: float, workers: int,
           progress: Progress) -> SiblingOutcome:
    n = network.num_learners
    out_arc = _out_arc(network)
    structural = np.arange(network.num_learner_arcs, len(network.tail))
    # Objective of stage 1 in reduced costs: each learner arc pays its own plus those of the arcs to the sink.
    path_cost = {node: int(sum(int(reduced[a]) for a in _path(network, out_arc, node)))
                 for node in set(network.head[: network.num_learner_arcs].tolist())}
    live = (network.capacity[: network.num_learner_arcs] > 0) & (reduced[: network.num_learner_arcs] <= gap)
    candidates = np.flatnonzero(live)
    per_learner: list[list[int]] = [[] for _ in range(n)]
    for arc in candidates.tolist():
        per_learner[int(network.tail[arc])].append(arc)
    in_group = {m for g in groups for m in g}
    model = cp_model.CpModel()
    load: dict[int, list[tuple[cp_model.IntVar, int]]] = {int(a): [] for a in structural}
    fixed_load: dict[int, int] = {int(a): 0 for a in structural}
    terms: list[tuple[cp_model.IntVar, list[int]]] = []  # variable, learner arcs it stands for
    free = 0

    def add_load(node: int, var: cp_model.IntVar | None, size: int) -> None:
        for a in _path(network, out_arc, node):
            if var is None:
                fixed_load[a] += size
            else:
                load[a].append((var, size))

    chosen = np.full(n, -1, dtype=np.int64)
    for learner in range(n):
        if learner in in_group:
            continue
        arcs = per_learner[learner]
        if len(arcs) == 1:
            # Reduced-cost fixing: no plan as good as the incumbent can move this learner.
            chosen[learner] = arcs[0]
            add_load(int(network.head[arcs[0]]), None, 1)
            continue
        free += 1
        options = []
        for arc in arcs:
            var = model.NewBoolVar(f"x{arc}")
            options.append(var)
            terms.append((var, [arc]))
            add_load(int(network.head[arc]), var, 1)
            model.AddHint(var, int(incumbent[learner] == arc))
        # Every learner gets exactly one outcome: a setting or "unplaced".
        model.AddExactlyOne(options)
    for g, members in enumerate(groups):
        by_node: list[dict[int, int]] = [{int(network.head[a]): a for a in per_learner[m]} for m in members]
        common = sorted(set.intersection(*(set(d) for d in by_node)))
        free += len(members)
        options = []
        for node in common:
            var = model.NewBoolVar(f"g{g}_{node}")
            options.append(var)
            terms.append((var, [d[node] for d in by_node]))
            add_load(node, var, len(members))
            model.AddHint(var, int(network.head[incumbent[members[0]]] == node))
        # Flagged siblings are placed together: one setting (or "unplaced") for the whole group.
        model.AddExactlyOne(options)
    for a, parts in load.items():
        if parts:
            # A setting's places (overall and per phase) cannot be exceeded by new placements.
            model.Add(sum(size * var for var, size in parts) <= int(network.capacity[a]) - fixed_load[a])
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    callback = _StopOnRequest(progress)
    status_name = "OPTIMAL"
    bounds: list[int] = []
    worst_gap = 0.0
    for index, costs in enumerate(stage_costs):
        if index == 0:
            coefficient = [sum(int(reduced[arc]) + path_cost[int(network.head[arc])] for arc in arcs)
                           for _, arcs in terms]
        else:
            coefficient = [int(sum(int(costs[arc]) for arc in arcs)) for _, arcs in terms]
        objective = sum(c * var for c, (var, _) in zip(coefficient, terms, strict=True))
        model.Minimize(objective)
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        status = solver.Solve(model, callback)
        if callback.cancelled:
            raise RunCancelled("placement cancelled during the sibling-group step")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"CP-SAT sibling step ended with status {solver.StatusName(status)}")
        value = int(round(solver.ObjectiveValue()))
        bound = int(round(solver.BestObjectiveBound()))
        bounds.append(bound)
        if status != cp_model.OPTIMAL:
            status_name = "FEASIBLE"
            worst_gap = max(worst_gap, abs(value - bound) / max(1, abs(value)))
        # Keep this stage at its optimum while the next one is solved, warm-started from this solution.
        model.ClearHints()
        for var, _ in terms:
            model.AddHint(var, solver.Value(var))
        model.Add(objective == value)
        time_limit -= solver.WallTime()
    for var, arcs in terms:
        if solver.Value(var):
            for arc in arcs:
                chosen[int(network.tail[arc])] = arc
    return SiblingOutcome(chosen_arc=chosen, status=status_name, gap=worst_gap, used_cpsat=True, free_learners=free,
                          variables=len(terms), stage_bounds=bounds)
