"""A Lagrangian lower bound for the whole transitions problem (planner.transitions.joint_problem), at county size.

The joint LP (planner.transitions.joint_bound) is exact on small instances but its simplex takes minutes beyond a
few hundred cases. Here the only constraints that tie cases together, each team's minutes in each week, are moved
into the objective with a price per minute pi[t, w] >= 0. What is left splits into one small problem per case:
choose a team (or none) and a week for each activity, paying lateness, the left-out penalty and the price of the
minutes used. For any prices,

    L(pi) = sum over cases of (that case's cheapest choice)  -  sum over teams and weeks of pi[t, w] x hours[t, w]

is a lower bound on every plan (the plan's own choices cost at least the cheapest choice, and its minutes in each
week are at most the hours, so the prices it pays are at most the subtracted term). Every price vector gives a
valid bound; the best found is kept. The prices come from subgradient steps, coarse to fine (`lagrangian_bound`).
(Column generation over whole-case schedules was tried for the prices: on county its master LP needed far more
rounds than the time allows, so it is not used.)

Each case's problem is solved exactly by dynamic programming over weeks on a tree. A case's activities form a tree
(review -> visits, review -> sessions) except the handover, which follows both the last visit and the last session.
The handover is split into one copy per predecessor, each with that share of its cost and minutes; a plan maps onto
the split problem (both copies in the handover's week) at the same cost and minutes, so the split problem is a
relaxation and its bound is valid. Weeks no team can work in (holidays) are dropped from the arrays, and pairs are
grouped by the size of their tree so that small cases are not padded to the largest.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from planner.transitions.joint_problem import JointCase, JointProblem
from planner.transitions.schedule import _topological

INF = math.inf


@dataclass(frozen=True)
class _Node:
    """One activity (or a share of one with several predecessors) in a case's tree."""

    activity: int  # index of the activity in the case
    share: float
    parent: int  # node index within the case, -1 for a root
    lag: int


def case_tree(case: JointCase) -> list[_Node]:
    """The case's activities as a forest in topological order; an activity with k predecessors in the case becomes
    k nodes with a 1/k share each (its successors hang from the first)."""
    index = {a.activity_id: k for k, a in enumerate(case.activities)}
    first_node: dict[str, int] = {}
    nodes: list[_Node] = []
    for act in _topological(case.activities, by_due=False):
        preds = [(p, lag) for p, lag in act.predecessors if p in index]
        first_node[act.activity_id] = len(nodes)
        if not preds:
            nodes.append(_Node(index[act.activity_id], 1.0, -1, 0))
        for pred, lag in preds:
            nodes.append(_Node(index[act.activity_id], 1.0 / len(preds), first_node[pred], lag))
    return nodes


@dataclass
class PairBlock:
    """The (case, team) pairs whose trees have one shape, as node-major arrays: A nodes, W open weeks, P pairs
    (pairs last, so that each step over the weeks is one vector operation across all pairs)."""

    parents: tuple[int, ...]  # parent node of each node, -1 for a root (the same for every pair of the block)
    starts: tuple[np.ndarray | None, ...]  # per node: for each parent week, the first open week it may take
    case_of: np.ndarray  # (P,) case index
    team_of: np.ndarray  # (P,) team index
    cost: np.ndarray  # (P,) allocation cost
    minutes: np.ndarray  # (A, P) minutes x share (what the node uses of its week)
    static: np.ndarray  # (A, W, P) lateness cost x share, inf where the week is not allowed
    out: np.ndarray  # (A, P) cost of leaving the node and everything below it out


@dataclass
class Layout:
    """The whole problem laid out for the dynamic programme."""

    blocks: list[PairBlock]
    penalty: np.ndarray  # (C,) unallocated penalty per case
    capacity: np.ndarray  # (T, W) minutes per team and open week
    open_weeks: np.ndarray  # (W,) the real week of each open week
    teams: list[str]


@dataclass
class _Rows:
    """Per-node rows of one block before they become arrays."""

    case_of: list[int] = field(default_factory=list)
    team_of: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    nodes: list[list[tuple[float, float, int, int, float, float]]] = field(default_factory=list)


def _block(shape: tuple[tuple[int, int], ...], rows: _Rows, problem: JointProblem, capacity: np.ndarray,
           open_weeks: np.ndarray) -> PairBlock:
    values = np.asarray(rows.nodes, dtype=float).transpose(1, 0, 2)  # (A, P, 6)
    minutes, full, release, due, weight, share = (values[:, :, k] for k in range(6))
    team_of = np.asarray(rows.team_of, dtype=np.int64)
    week = open_weeks[None, None, :]
    # A node may take place in a week at or after its release with room for the whole activity (one week each)
    allowed = (week >= release[:, :, None]) & (capacity[team_of][None, :, :] >= full[:, :, None])
    late = np.maximum(0, week - due[:, :, None])
    static = np.where(allowed, problem.late_week_cost * weight[:, :, None] * late, INF)
    parents = tuple(parent for parent, _ in shape)
    # A child starts 1 + lag weeks after its parent at the earliest (the first open week on or after that)
    starts = tuple(None if parent < 0 else np.searchsorted(open_weeks, open_weeks + 1 + lag) for parent, lag in shape)
    out = share * problem.late_week_cost * problem.unscheduled_penalty
    for a in range(len(parents) - 1, 0, -1):
        if parents[a] >= 0:
            out[parents[a]] += out[a]  # leaving a node out leaves its successors out too
    return PairBlock(parents=parents, starts=starts, case_of=np.asarray(rows.case_of, dtype=np.int64),
                     team_of=team_of, cost=np.asarray(rows.cost, dtype=float), minutes=np.ascontiguousarray(minutes),
                     static=np.ascontiguousarray(static.transpose(0, 2, 1)), out=np.ascontiguousarray(out))


def _open_weeks(problem: JointProblem, full_capacity: np.ndarray) -> np.ndarray:
    """Weeks that can hold some activity at some team; the others (the holidays) can hold nothing and are dropped."""
    smallest = min((m for case in problem.cases for o in case.options for m in o.minutes), default=0)
    if smallest <= 0:
        return np.arange(problem.weeks)
    weeks = np.flatnonzero(full_capacity.max(axis=0, initial=0) >= smallest)
    return weeks if weeks.size else np.arange(min(1, problem.weeks))


def layout(problem: JointProblem) -> Layout:
    """Lay the problem out as arrays for the vectorised dynamic programme, one block per tree shape."""
    teams = sorted(problem.capacity)
    team_index = {t: k for k, t in enumerate(teams)}
    full_capacity = np.zeros((len(teams), problem.weeks))
    for t, k in team_index.items():
        full_capacity[k, :len(problem.capacity[t])] = problem.capacity[t]
    open_weeks = _open_weeks(problem, full_capacity)
    capacity = full_capacity[:, open_weeks]
    by_shape: dict[tuple[tuple[int, int], ...], _Rows] = {}
    for c, case in enumerate(problem.cases):
        nodes = case_tree(case)
        rows = by_shape.setdefault(tuple((n.parent, n.lag) for n in nodes), _Rows())
        for option in case.options:
            rows.case_of.append(c)
            rows.team_of.append(team_index[option.team_id])
            rows.cost.append(float(option.cost))
            rows.nodes.append([(option.minutes[n.activity] * n.share, option.minutes[n.activity],
                                case.activities[n.activity].release_week, case.activities[n.activity].due_week,
                                case.activities[n.activity].weight * n.share, n.share) for n in nodes])
    blocks = [_block(shape, rows, problem, capacity, open_weeks) for shape, rows in sorted(by_shape.items())
              if shape and rows.case_of]
    penalty = np.asarray([case.unallocated_penalty for case in problem.cases], dtype=float)
    return Layout(blocks=blocks, penalty=penalty, capacity=capacity, open_weeks=open_weeks, teams=teams)


def dynamic_programme(block: PairBlock, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's cheapest tree schedule at these prices (leaves first): (its cost less the allocation cost, the
    table g[a, w, p] = the cheapest cost of node a's subtree with node a in week w)."""
    width, weeks, n_pairs = block.static.shape
    unit = np.ascontiguousarray(price.T[:, block.team_of])  # (W, P) price per minute of each pair's team
    below = np.zeros((width, weeks, n_pairs))
    table = np.empty((width, weeks, n_pairs))
    roots = np.zeros(n_pairs)
    padding = np.full((1, n_pairs), INF)
    for a in range(width - 1, -1, -1):
        # In week w a node pays its lateness, the price of its minutes, and its children's cheapest choices
        g = table[a]
        np.multiply(unit, block.minutes[a][None, :], out=g)
        g += block.static[a]
        g += below[a]
        suffix = np.minimum.accumulate(g[::-1], axis=0)[::-1]
        parent, start = block.parents[a], block.starts[a]
        if parent < 0 or start is None:
            roots += np.minimum(block.out[a], suffix[0])
        else:
            # The child's cheapest week from 1 + lag weeks after its parent's, or left out with its subtree
            later = np.concatenate([suffix, padding], axis=0)[start]
            below[parent] += np.minimum(block.out[a][None, :], later)
    return roots, table


def cheapest_schedules(block: PairBlock, table: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The open week of each node in the chosen pairs' cheapest schedules (-1: left out), as (A, n)."""
    n, (width, weeks, _) = len(chosen), table.shape
    week_index = np.arange(weeks)[None, :]
    rows = np.arange(n)
    placed = -np.ones((width, n), dtype=np.int64)
    for a in range(width):
        g, out = table[a][:, chosen].T, block.out[a][chosen]
        parent, start = block.parents[a], block.starts[a]
        if parent < 0 or start is None:
            first, possible = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
        else:
            possible = placed[parent] >= 0
            first = np.where(possible, np.append(start, weeks)[np.maximum(placed[parent], 0)], weeks)
        masked = np.where(week_index >= first[:, None], g, INF)
        arg = np.argmin(masked, axis=1)
        best = masked[rows, arg]
        scheduled = possible & np.isfinite(best) & (best <= out)
        placed[a, scheduled] = arg[scheduled]
    return placed


@dataclass
class Pricing:
    """L(price), and each case's cheapest pair: (block, row) or (-1, -1) when leaving it unallocated is cheapest."""

    value: float
    case_value: np.ndarray  # (C,)
    pair_value: list[np.ndarray]  # per block (P,)
    tables: list[np.ndarray]


def evaluate(plan: Layout, price: np.ndarray) -> Pricing:
    """L(price): every case's cheapest choice at these prices, less the prices of all the hours."""
    best = plan.penalty.copy()
    values, tables = [], []
    for block in plan.blocks:
        roots, table = dynamic_programme(block, price)
        value = block.cost + roots
        np.minimum.at(best, block.case_of, value)
        values.append(value)
        tables.append(table)
    return Pricing(value=float(best.sum() - (price * plan.capacity).sum()), case_value=best, pair_value=values,
                   tables=tables)


def usage(plan: Layout, pricing: Pricing) -> np.ndarray:
    """Minutes per team and open week that the cases' cheapest choices use (the subgradient's first term)."""
    total = np.zeros_like(plan.capacity)
    taken = np.zeros(len(plan.penalty), dtype=bool)
    for block, value, table in zip(plan.blocks, pricing.pair_value, pricing.tables, strict=True):
        wins = np.flatnonzero((value <= pricing.case_value[block.case_of]) & (value < plan.penalty[block.case_of]))
        wins = wins[~taken[block.case_of[wins]]]
        _, first = np.unique(block.case_of[wins], return_index=True)
        chosen = wins[first]
        taken[block.case_of[chosen]] = True
        placed = cheapest_schedules(block, table, chosen)
        for a in range(placed.shape[0]):
            on = placed[a] >= 0
            np.add.at(total, (block.team_of[chosen[on]], placed[a, on]), block.minutes[a][chosen[on]])
    return total


@dataclass
class LagrangianResult:
    bound: int  # the best L(price) found, rounded up (every plan's cost is an integer)
    value: float
    iterations: int
    wall_seconds: float


def _week_groups(weeks: int, count: int) -> np.ndarray:
    """Open weeks split into `count` runs of consecutive weeks (as equal as they come): the group of each week."""
    count = max(1, min(count, weeks))
    return np.minimum((np.arange(weeks) * count) // max(1, weeks), count - 1)


def lagrangian_bound(problem: JointProblem, upper_bound: float, time_limit: float = 5.0,
                     max_iterations: int = 20_000, patience: int = 5,
                     levels: tuple[int, ...] = (3, 0)) -> LagrangianResult:
    """Subgradient ascent on the weekly prices, coarse to fine.

    The prices are first one per team and run of weeks (`levels`: the number of runs, 3 = about a term each; 0
    means every week), each level starting from the last one's prices: a coarse level has few prices, so it
    converges in a few steps (on county, term prices reach within 0.01% of where weekly prices end up after a
    minute), and any prices at all give a valid bound. Polyak steps towards `upper_bound` (a plan's cost), halved
    after `patience` steps without a better bound; a level ends when its step gets tiny. Stops at the time limit,
    after `max_iterations`, or once the bound reaches `upper_bound` (the plan is then proven optimal).
    """
    started = time.perf_counter()
    if not problem.cases:
        return LagrangianResult(bound=0, value=0.0, iterations=0, wall_seconds=0.0)
    plan = layout(problem)
    weeks = plan.capacity.shape[1]
    group_price = np.zeros((plan.capacity.shape[0], 1))
    group = np.zeros(weeks, dtype=np.int64)
    best, iterations = -INF, 0
    for count in levels:
        new_group = _week_groups(weeks, count or weeks)
        # Start from the coarser level's prices, week by week
        price = group_price[:, group]
        n_groups = int(new_group.max()) + 1
        group_price = np.zeros((price.shape[0], n_groups))
        for g in range(n_groups):
            group_price[:, g] = price[:, new_group == g].mean(axis=1)
        group = new_group
        theta, stall = 1.0, 0
        while iterations < max_iterations and time.perf_counter() - started < time_limit:
            price = group_price[:, group]
            pricing = evaluate(plan, price)
            iterations += 1
            if not math.isfinite(best) or pricing.value > best + 1e-9 * max(1.0, abs(best)):
                best, stall = pricing.value, 0
            else:
                stall += 1
            if round_up(best) >= upper_bound:
                break
            if stall >= patience:
                theta, stall = theta / 2, 0
                if theta < 1e-3:
                    break
            # The subgradient: minutes used less the hours, summed over each run of weeks; a zero price cannot fall
            weekly = usage(plan, pricing) - plan.capacity
            direction = np.zeros_like(group_price)
            for g in range(n_groups):
                direction[:, g] = weekly[:, group == g].sum(axis=1)
            direction[(group_price <= 0) & (direction < 0)] = 0.0
            norm = float((direction ** 2).sum())
            if norm == 0.0:
                break  # the cheapest choices fit: no better prices at this level
            step = theta * max(upper_bound - pricing.value, 0.0) / norm
            group_price = np.maximum(0.0, group_price + step * direction)
        if round_up(best) >= upper_bound or iterations >= max_iterations \
                or time.perf_counter() - started >= time_limit:
            break
    return LagrangianResult(bound=max(0, round_up(best)), value=best, iterations=iterations,
                            wall_seconds=time.perf_counter() - started)


def round_up(value: float) -> int:
    """Round a bound up to an integer, less a tolerance for floating-point sums."""
    if not math.isfinite(value):
        return 0
    return math.ceil(value - 1e-7 * max(1.0, abs(value)) - 1e-6)
