"""Sibling groups placed together: the one rule flow cannot express, solved exactly on a small sub-problem.

Who is bound. Families ask for siblings to be placed together, so flagged siblings moving in the same round and
the same phase are one unit whenever some setting can take all of them (groups are formed in `matching`). The
law does not require an impossible placement: siblings in different phases, or with no setting that can take
every one of them, are placed on their own. A pinned placement is one agreed with the family and named in the
plan (Children and Families Act 2014 s39), and binds siblings by the same rule (`pins_with_siblings`): a sibling
in the round inherits it only when they move in the same phase and the pinned setting can take them; any other
sibling is placed on their own, so a pin never makes the round infeasible through a sibling. Siblings with their
own agreed pins keep them (each is a named placement).

1. The flow relaxation (members choose independently among the settings all of them may attend) is solved
   lexicographically. If every group lands together it is optimal for the constrained problem: done.
2. Otherwise, with the relaxation's dual potentials, a plan whose first-stage cost is within G of the relaxed
   optimum uses only arcs whose reduced cost is at most G (every term of cost - optimum is a non-negative reduced
   cost). CP-SAT solves the problem restricted to those arcs (learners left with one arc are fixed); if its optimum
   is within G of the relaxed optimum it is the true optimum, otherwise G grows and the step repeats. No giant
   model, and no heuristic incumbent whose quality would decide the size of the model.
3. Later stages are solved in the same restricted CP-SAT model, each holding earlier stages at their optimum,
   warm-started (AddHint) from the previous solution; every stage must be proven OPTIMAL.
4. When the restricted model would be too big for CP-SAT (rounds of a few thousand learners), branch and bound
   over exact flow solves: a split group is sent whole down each of its arcs in turn. A branch whose group does
   not fit whole down the forced arc (the places along its path to the sink, less those of groups forced before)
   has no plan: it is pruned, never solved (every other unit can still be left unplaced, so that check is exact).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner.domain.codes import Phase
from planner.domain.models import Instance
from planner.placement.eligibility import EligibilityMatrix
from planner.placement.flow import FlowInfeasible, FlowNetwork, LexicographicResult, solve_lexicographic
from planner.placement.plan import Infeasibility
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


def pins_with_siblings(instance: Instance, elig: EligibilityMatrix, ids: tuple[str, ...],
                       phases: list[Phase]) -> tuple[dict[int, int], list[Infeasibility]]:
    """Pinned placements by round row (column of the setting), and the pins that break a hard rule.

    A learner's own pin is kept whatever the optimiser prefers, but it must still be lawful for them: a pin to a
    setting they are not eligible for is reported (the round is INFEASIBLE), never dropped. A sibling without a
    pin inherits a pinned sibling's setting only when they move in the same phase and that setting can take them
    (families ask for siblings together; the law does not require an impossible placement): otherwise they are
    placed on their own, so an inherited pin is never a reason for INFEASIBLE.
    """
    setting_col = {sid: c for c, sid in enumerate(elig.setting_ids)}
    pins: dict[int, int] = {}
    problems: list[Infeasibility] = []
    group_pins: dict[tuple[str, Phase], list[int]] = {}
    for row, lid in enumerate(ids):
        learner = instance.learner_by_id[lid]
        target = learner.pinned_setting_id
        if target is None:
            continue
        col = setting_col[target]
        # An agreed placement named in the plan (CFA 2014 s39) is kept, but must meet every hard rule.
        reasons = elig.pair_reasons(row, col)
        if reasons:
            problems.append(Infeasibility(
                rule="pinned_placement", learner_id=lid, setting_id=target,
                detail=f"pinned setting {target} is not eligible: {', '.join(r.value for r in reasons)}"))
        pins[row] = col
        if learner.sibling_group is not None:
            group_pins.setdefault((learner.sibling_group, phases[row]), []).append(col)
    for row, lid in enumerate(ids):
        group = instance.learner_by_id[lid].sibling_group
        if row in pins or group is None:
            continue
        # Siblings moving in the same phase go with a pinned sibling, when that setting can take them.
        joined = next((c for c in group_pins.get((group, phases[row]), []) if elig.eligible[row, c]), None)
        if joined is not None:
            pins[row] = joined
    return pins, problems


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


Forced = list[tuple[int, int]]  # (unit, learner arc) choices: the group takes this arc whole, or the branch is empty


def _branch_and_bound(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], relaxed: LexicographicResult, *,
                      time_limit: float, progress: Progress) -> SiblingOutcome:
    """Depth-first branch and bound: a split group is sent whole down each of its arcs in turn.

    Each node is an exact lexicographic flow solve, a lower bound for its subtree (a relaxation); a child's stage
    vector is bounded from its parent's by the forced arc's reduced costs (`_child_bound`), which prunes most
    children without a solve. The best plan with no split group is optimal when the tree is exhausted.
    """
    started = time.perf_counter()
    learner_tail = network.tail[: network.num_learner_arcs]
    paths = _landing_paths(network)
    best = _greedy_dive(network, stage_costs, relaxed, learner_tail, paths)
    # A node: the choices forced so far, its solve when known, and a lexicographic lower bound on its stages.
    stack: list[tuple[Forced, LexicographicResult | None, tuple[int, ...]]] = [([], relaxed, ())]
    nodes = 0
    complete = True
    while stack:
        if progress.should_stop():
            raise RunCancelled("placement cancelled during the sibling-group step")
        if time.perf_counter() - started > time_limit:
            complete = False
            break
        forced, result, bound = stack.pop()
        if _cannot_improve(bound, best[0]):
            continue
        net = _forced_network(network, forced, learner_tail)
        if result is None:
            try:
                result = solve_lexicographic(net, stage_costs)
            except FlowInfeasible:
                continue  # no room for the forced groups: an empty branch (`_fits` screens these out first)
            nodes += 1
        vector = tuple(result.stage_costs)
        if vector >= best[0]:
            continue
        split = split_units(net, result.flow)
        if not split:
            best = (vector, chosen_arcs(net, result.flow))
            continue
        stack.extend(_children(net, result, split[0], forced, learner_tail, paths, best[0]))
    return SiblingOutcome(chosen_arc=best[1], status="OPTIMAL" if complete else "FEASIBLE",
                          gap=0.0 if complete else float("nan"), used_cpsat=False, variables=nodes)


def _children(net: FlowNetwork, result: LexicographicResult, unit: int, forced: Forced,
              learner_tail: NDArray[np.int64], paths: dict[int, list[int]],
              best: tuple[int, ...]) -> list[tuple[Forced, LexicographicResult | None, tuple[int, ...]]]:
    """The split group sent whole down each arc that has room for it and might beat `best` (best child last)."""
    k = int(net.supplies[unit])
    arcs = np.flatnonzero((learner_tail == unit) & (net.capacity[: net.num_learner_arcs] > 0))
    children: list[tuple[tuple[int, ...], int, Forced]] = []
    for arc in arcs.tolist():
        choice = [*forced, (unit, arc)]
        # Flagged siblings are placed together: an arc whose setting cannot take the whole group holds no plan.
        if not _fits(net, paths, choice):
            continue
        bound = _child_bound(result, arc, k)
        if not _cannot_improve(bound, best):
            children.append((bound, arc, choice))
    children.sort(key=lambda c: (c[0], c[1]), reverse=True)  # popped last = explored first: the lowest bound
    return [(choice, None, bound) for bound, _, choice in children]


def _child_bound(result: LexicographicResult, arc: int, k: int) -> tuple[int, ...]:
    """A lexicographic lower bound on the stage vector once the group (size k) is forced whole down `arc`.

    Every flow of a stage's network costs its optimum plus non-negative reduced-cost terms, the forced arc's being
    k x its reduced cost (a split group's arcs carry nothing there when that is positive). A child that matches
    its parent on a stage lies in the parent's optimal face, where the next stage's reduced costs bound it in turn;
    after a positive reduced cost the child is strictly worse on that stage, and later stages are not bounded.
    """
    bound: list[int] = []
    for stage, cost in enumerate(result.stage_costs):
        reduced = int(result.stage_reduced[stage][arc]) if stage < len(result.stage_reduced) else 0
        bound.append(cost + k * max(reduced, 0))
        if reduced > 0:
            break
    return tuple(bound)


def _cannot_improve(bound: tuple[int, ...], best: tuple[int, ...]) -> bool:
    """Whether every stage vector at or above the lexicographic `bound` (a prefix: later stages unbounded) is no
    better than `best`."""
    if len(bound) == len(best):
        return bound >= best
    return bound > best[: len(bound)]


def _forced_network(network: FlowNetwork, forced: Forced, learner_tail: NDArray[np.int64]) -> FlowNetwork:
    net = network.copy()
    for unit, arc in forced:
        # Flagged siblings are placed together: the whole group takes this arc (a setting, or "unplaced").
        others = np.flatnonzero(learner_tail == unit)
        net.capacity[others[others != arc]] = 0
    return net


def _landing_paths(network: FlowNetwork) -> dict[int, list[int]]:
    """For each node a learner arc can enter, the structural arcs from it to the sink."""
    out_arc = _out_arc(network)
    return {node: _path(network, out_arc, node) for node in set(network.head[: network.num_learner_arcs].tolist())}


def _fits(network: FlowNetwork, paths: dict[int, list[int]], forced: Forced) -> bool:
    """Whether every forced group fits whole: the groups' sizes along each path within its places.

    A setting's places (overall, and per phase where the council caps them) cannot be exceeded. Every unit not
    forced can be left unplaced, so the forced network has a flow exactly when this holds.
    """
    load: dict[int, int] = {}
    for unit, arc in forced:
        for structural in paths[int(network.head[arc])]:
            load[structural] = load.get(structural, 0) + int(network.supplies[unit])
    return all(used <= int(network.capacity[a]) for a, used in load.items())


def _greedy_dive(network: FlowNetwork, stage_costs: list[NDArray[np.int64]], relaxed: LexicographicResult,
                 learner_tail: NDArray[np.int64],
                 paths: dict[int, list[int]]) -> tuple[tuple[int, ...], NDArray[np.int64]]:
    """A first plan with every group together: each split group is sent whole down the arc that already carries
    most of it and has room for all of it, else its cheapest arc with room ("unplaced" always has room)."""
    net = network.copy()
    result = relaxed
    forced: Forced = []
    for _ in range(network.num_learners + 1):
        split = split_units(net, result.flow)
        if not split:
            return tuple(result.stage_costs), chosen_arcs(net, result.flow)
        for unit in split:
            arcs = np.flatnonzero((learner_tail == unit) & (net.capacity[: net.num_learner_arcs] > 0)).tolist()
            arcs.sort(key=lambda a: (-int(result.flow[a]), _child_bound(result, a, 1), a))
            keep = next(a for a in arcs if _fits(net, paths, [*forced, (unit, a)]))
            forced.append((unit, keep))
            net.capacity[[a for a in arcs if a != keep]] = 0
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
