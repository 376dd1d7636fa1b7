"""County-scale placement benchmark: the flow core, the sibling/pin variant, and a plain CP-SAT comparison.

The instance is `scenarios.demo.build_demo(preset)` with every learner placed (place_all). The plain run drops
sibling groups and pins (the pure transportation problem); the `siblings` run keeps the demo's sibling groups
(2% of learners) and pins 1% of learners to a setting they are eligible for. Wall time counts model build
(round selection, eligibility, network) plus solve, as reported by `place`; building the demo instance is not
counted.

`bare_flow` is the floor the plan is measured against: on the same eligible pairs, in the same process, one
OR-Tools `SimpleMinCostFlow` solve of learner -> eligible setting (the combined cost) -> sink (free places), as
many placed as possible first (`solve_max_flow_with_min_cost`); no stages, no face restriction, no sibling step,
no decisions or explanations. Its time counts the arc costs, the network and the solve, not eligibility.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.domain.models import Instance
from planner.placement.eligibility import compute_eligibility, round_minutes
from planner.placement.matching import place
from planner.placement.objective import pack_stages, rule_values
from planner.placement.params import PlacementParameters
from planner.placement.plan import PlacementPlan
from planner.placement.round import select_round


def bench_instance(preset: str, siblings: bool, seed: int = 2026) -> Instance:
    from scenarios.demo import build_demo

    base = build_demo(preset, seed)
    if not siblings:
        learners = tuple(x.model_copy(update={"sibling_group": None, "pinned_setting_id": None})
                         for x in base.learners)
        return base.replace(learners=learners)
    params = PlacementParameters(place_all=True)
    round_ = select_round(base, params)
    elig = compute_eligibility(base, round_.learner_ids, round_.year, params)
    rng = np.random.default_rng(seed)
    candidates = [r for r, lid in enumerate(round_.learner_ids)
                  if base.learner_by_id[lid].sibling_group is None and elig.eligible[r].any()]
    chosen = rng.choice(len(candidates), size=len(base.learners) // 100, replace=False)
    pins: dict[str, str] = {}
    for k in sorted(chosen.tolist()):
        row = candidates[k]
        cols = np.flatnonzero(elig.eligible[row])
        pins[round_.learner_ids[row]] = elig.setting_ids[int(rng.choice(cols))]
    learners = tuple(x.model_copy(update={"pinned_setting_id": pins.get(x.id)}) for x in base.learners)
    return base.replace(learners=learners)


@dataclass(frozen=True)
class CpsatComparison:
    status: str
    wall_seconds: float
    objective: float
    bound: float


def plain_cpsat(instance: Instance, parameters: PlacementParameters, time_limit: float = 120.0) -> CpsatComparison:
    """The same assignment as one CP-SAT model (a bool per eligible pair), first two rules weighted, capped."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    round_ = select_round(instance, parameters)
    elig = compute_eligibility(instance, round_.learner_ids, round_.year, parameters)
    rows, cols = np.nonzero(elig.eligible)
    minutes = round_minutes(elig.minutes[rows, cols])
    model = cp_model.CpModel()
    n = len(round_.learner_ids)
    x = [model.new_bool_var("") for _ in range(len(rows))]
    unplaced = [model.new_bool_var("") for _ in range(n)]
    by_learner: list[list[cp_model.IntVar]] = [[u] for u in unplaced]
    by_setting: list[list[cp_model.IntVar]] = [[] for _ in elig.setting_ids]
    for k, (r, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        by_learner[r].append(x[k])
        by_setting[c].append(x[k])
    for options in by_learner:
        model.add_exactly_one(options)
    for c, sid in enumerate(elig.setting_ids):
        if by_setting[c]:
            model.add(sum(by_setting[c]) <= round_.free_capacity[sid])
    big = int(minutes.max() + 1) * n if len(minutes) else 1
    model.minimize(big * sum(unplaced) + sum(int(m) * v for m, v in zip(minutes.tolist(), x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = parameters.num_workers
    status = solver.solve(model)
    return CpsatComparison(status=solver.status_name(status), wall_seconds=time.perf_counter() - started,
                           objective=solver.objective_value if status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                           else float("nan"), bound=solver.best_objective_bound)


@dataclass(frozen=True)
class BareFlow:
    seconds: float
    pairs: int
    placed: int
    levels: tuple[int, ...]  # objective levels in the combined cost (after "placed", which max flow takes first)


def bare_flow(instance: Instance, parameters: PlacementParameters) -> BareFlow:
    """One bare min-cost flow on the plan's eligible pairs: the floor for the plan's wall time.

    Combined cost: the exact big-M composite of the objective levels after "placed" that fit one int64 stage
    (`pack_stages`; by default preference, restrictiveness and travel), per (learner, setting) pair.
    """
    from ortools.graph.python import min_cost_flow

    round_ = select_round(instance, parameters)
    elig = compute_eligibility(instance, round_.learner_ids, round_.year, parameters)
    started = time.perf_counter()
    rows, cols = np.nonzero(elig.eligible)
    rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    n, m = len(round_.learner_ids), len(elig.setting_ids)
    values = rule_values(instance, parameters, round_.learner_ids, rows, cols,
                         round_minutes(elig.minutes[rows, cols]))
    level_values = [values.level(level) for level in parameters.objective]
    stages = pack_stages(level_values, m + 1, n + m + 1, n)
    combined = stages[1] if len(stages) > 1 else stages[0]
    solver = min_cost_flow.SimpleMinCostFlow()
    sink = n + m
    free = np.array([round_.free_capacity[sid] for sid in elig.setting_ids], dtype=np.int64)
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([rows, n + np.arange(m, dtype=np.int64)]),
        np.concatenate([n + cols, np.full(m, sink, dtype=np.int64)]),
        np.concatenate([np.ones(len(rows), dtype=np.int64), free]),
        np.concatenate([combined.composite(level_values), np.zeros(m, dtype=np.int64)]))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n], supplies[sink] = 1, -n
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = solver.solve_max_flow_with_min_cost()
    seconds = time.perf_counter() - started
    if status != solver.OPTIMAL:
        raise RuntimeError(f"bare min-cost flow ended with status {status}")
    return BareFlow(seconds=seconds, pairs=len(rows), placed=int(solver.maximum_flow()), levels=combined.levels)


def bench_line(preset: str, plan: PlacementPlan, bare: BareFlow | None = None) -> str:
    s = plan.statistics
    floor = ""
    if bare is not None:
        floor = f" bare_flow={bare.seconds:.2f} s ratio={s.wall_seconds / max(bare.seconds, 1e-9):.1f}"
    return (f"placement {preset}: learners={s.learners} settings={s.settings} pairs={s.eligible_pairs} "
            f"status={s.status} gap={100 * s.gap:.2f}% wall={s.wall_seconds:.2f} s{floor} "
            f"rss={s.peak_rss_mib:.0f} MiB")


def run_bench(preset: str, siblings: bool) -> tuple[Instance, PlacementParameters, PlacementPlan]:
    instance = bench_instance(preset, siblings)
    parameters = PlacementParameters(place_all=True)
    return instance, parameters, place(instance, parameters)
