"""The exact core: OR-Tools min-cost flow, solved stage by stage on the optimal face of earlier stages.

Network: each learner (supply 1) -> an eligible setting, or the setting's phase node when the setting caps places
per phase -> the setting -> the sink, plus an "unplaced" node per round so shortfall is an answer, not an error.
After a stage is solved, dual potentials are recovered by Bellman-Ford on the residual network compressed to the
non-learner nodes (a learner is a pass-through node with one used arc). Complementary slackness then gives the
exact set of optimal flows: arcs with positive reduced cost carry nothing in any optimum (removed), arcs with
negative reduced cost are saturated in every optimum (turned into fixed supplies). The next stage optimises
over exactly that face, so the lexicographic order is exact without any giant weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

INF = np.int64(2**62)


@dataclass
class FlowNetwork:
    """Arcs 0..num_learner_arcs-1 leave learners (nodes 0..num_learners-1); the rest are structural (cost 0)."""

    num_learners: int
    num_nodes: int
    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    capacity: NDArray[np.int64]
    num_learner_arcs: int
    supplies: NDArray[np.int64]
    landing_nodes: int  # distinct nodes learner arcs can enter (bounds residual cycles)

    def copy(self) -> FlowNetwork:
        return FlowNetwork(self.num_learners, self.num_nodes, self.tail.copy(), self.head.copy(),
                           self.capacity.copy(), self.num_learner_arcs, self.supplies.copy(), self.landing_nodes)


@dataclass
class StageSolution:
    flow: NDArray[np.int64]
    cost: int
    reduced_cost: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class FlowError(RuntimeError):
    """The flow solver did not prove an optimum (a modelling or range error, never a normal outcome)."""


class FlowInfeasible(FlowError):
    """No flow meets the supplies: only possible when sibling groups are forced down arcs (callers prune it)."""


def solve_stage(network: FlowNetwork, learner_costs: NDArray[np.int64]) -> StageSolution:
    """One min-cost flow solve; structural arcs cost nothing."""
    costs = np.zeros(len(network.tail), dtype=np.int64)
    costs[: network.num_learner_arcs] = learner_costs
    active = np.flatnonzero(network.capacity > 0)
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(network.tail[active], network.head[active],
                                                network.capacity[active], costs[active])
    solver.set_nodes_supplies(np.arange(network.num_nodes, dtype=np.int64), network.supplies)
    status = solver.solve()
    if status == solver.INFEASIBLE:
        raise FlowInfeasible("min-cost flow: no flow meets the supplies (a forced arc without room)")
    if status != solver.OPTIMAL:
        raise FlowError(f"min-cost flow ended with status {status}")
    flow = np.zeros(len(network.tail), dtype=np.int64)
    flow[active] = solver.flows(np.arange(len(active), dtype=np.int64))
    return StageSolution(flow=flow, cost=int(solver.optimal_cost()))


def reduced_costs(network: FlowNetwork, learner_costs: NDArray[np.int64], flow: NDArray[np.int64]) -> NDArray[np.int64]:
    """Reduced costs of every arc for an optimal flow (>= 0 where flow can grow, <= 0 where it can shrink)."""
    n = network.num_learners
    size = network.num_nodes - n
    costs = np.zeros(len(network.tail), dtype=np.int64)
    costs[: network.num_learner_arcs] = learner_costs
    arcs = np.arange(network.num_learner_arcs)
    learner_flow = flow[: network.num_learner_arcs]
    active = network.capacity[: network.num_learner_arcs] > 0
    used = arcs[learner_flow > 0]
    if len(np.unique(network.tail[used])) != n:
        raise FlowError("a learner has no used arc in an optimal flow")
    # A learner (or sibling group) node is a pass-through: entered back along a used arc, left by any arc with room.
    # Compress it away: edge head(used) -> head(other) costing (other) - (used).
    weight = np.full((size, size), INF, dtype=np.int64)
    first_used = np.full(n, -1, dtype=np.int64)
    first_used[network.tail[used][::-1]] = used[::-1]
    room = arcs[active & (learner_flow < network.capacity[: network.num_learner_arcs])]
    pairs_used = [first_used[network.tail[room]]]
    pairs_room = [room]
    extra = used[used != first_used[network.tail[used]]]
    for u in extra.tolist():
        same = room[network.tail[room] == network.tail[u]]
        pairs_used.append(np.full(len(same), u, dtype=np.int64))
        pairs_room.append(same)
    own = np.concatenate(pairs_used)
    other = np.concatenate(pairs_room)
    keep = own != other
    own, other = own[keep], other[keep]
    np.minimum.at(weight, (network.head[own] - n, network.head[other] - n), costs[other] - costs[own])
    structural = np.arange(network.num_learner_arcs, len(network.tail))
    forward = structural[flow[structural] < network.capacity[structural]]
    backward = structural[flow[structural] > 0]
    np.minimum.at(weight, (network.tail[forward] - n, network.head[forward] - n), costs[forward])
    np.minimum.at(weight, (network.head[backward] - n, network.tail[backward] - n), -costs[backward])
    np.fill_diagonal(weight, np.minimum(np.diagonal(weight), 0))
    distance = np.zeros(size, dtype=np.int64)
    for _ in range(size + 1):
        candidate = (distance[:, None] + weight).min(axis=0)
        updated = np.minimum(distance, candidate)
        if np.array_equal(updated, distance):
            break
        distance = updated
    else:
        raise FlowError("negative cycle in the residual network: the flow was not optimal")
    potential = np.zeros(network.num_nodes, dtype=np.int64)
    potential[n:] = distance
    learner_potential = np.full(n, INF, dtype=np.int64)
    np.minimum.at(learner_potential, network.tail[used], distance[network.head[used] - n] - costs[used])
    potential[:n] = learner_potential
    return costs + potential[network.tail] - potential[network.head]


def restrict_to_optimal_face(network: FlowNetwork, reduced: NDArray[np.int64]) -> FlowNetwork:
    """The network whose feasible flows are exactly the optimal flows of the stage that produced `reduced`."""
    face = network.copy()
    positive = (reduced > 0) & (face.capacity > 0)
    negative = (reduced < 0) & (face.capacity > 0)
    # Arcs with positive reduced cost carry no flow in any optimum.
    face.capacity[positive] = 0
    # Arcs with negative reduced cost are full in every optimum: fixed supply moves from tail to head.
    np.add.at(face.supplies, face.tail[negative], -face.capacity[negative])
    np.add.at(face.supplies, face.head[negative], face.capacity[negative])
    face.capacity[negative] = 0
    return face


@dataclass
class LexicographicResult:
    """The final flow, each stage's optimum, and each stage's reduced costs (on that stage's face network).

    `stage_reduced[i]` is known for every stage but the last (the last is never restricted further), and for the
    only stage of a one-stage solve.
    """

    flow: NDArray[np.int64]
    stage_costs: list[int]
    stage_reduced: list[NDArray[np.int64]]
    stage_networks: list[FlowNetwork]

    @property
    def first_stage_reduced(self) -> NDArray[np.int64]:
        return self.stage_reduced[0] if self.stage_reduced else np.zeros(0, dtype=np.int64)

    @property
    def first_stage_cost(self) -> int:
        return self.stage_costs[0]


def solve_lexicographic(network: FlowNetwork, stage_costs: list[NDArray[np.int64]]) -> LexicographicResult:
    """Solve the stages in order, each on the optimal face of the ones before."""
    current = network
    values: list[int] = []
    reduced_by_stage: list[NDArray[np.int64]] = []
    networks: list[FlowNetwork] = []
    solution: StageSolution | None = None
    for index, costs in enumerate(stage_costs):
        networks.append(current)
        solution = solve_stage(current, costs)
        values.append(solution.cost)
        if index == 0 or index < len(stage_costs) - 1:
            reduced = reduced_costs(current, costs, solution.flow)
            reduced_by_stage.append(reduced)
            if index < len(stage_costs) - 1:
                current = restrict_to_optimal_face(current, reduced)
    assert solution is not None
    return LexicographicResult(flow=solution.flow, stage_costs=values, stage_reduced=reduced_by_stage,
                               stage_networks=networks)
