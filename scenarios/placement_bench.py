"""County-scale placement benchmark: the flow core, the sibling/pin variant, and a plain CP-SAT comparison.

The instance is `scenarios.demo.build_demo(preset)` with every learner placed (place_all). The plain run drops
sibling groups and pins (the pure transportation problem); the `siblings` run keeps the demo's sibling groups
(2% of learners) and pins 1% of learners to a setting they are eligible for. Wall time counts model build
(round selection, eligibility, network) plus solve, as reported by `place`; building the demo instance is not
counted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.domain.models import Instance
from planner.placement.eligibility import compute_eligibility, round_minutes
from planner.placement.matching import place
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


def bench_line(preset: str, plan: PlacementPlan) -> str:
    s = plan.statistics
    return (f"placement {preset}: learners={s.learners} settings={s.settings} pairs={s.eligible_pairs} "
            f"status={s.status} gap={100 * s.gap:.2f}% wall={s.wall_seconds:.2f} s rss={s.peak_rss_mib:.0f} MiB")


def run_bench(preset: str, siblings: bool) -> tuple[Instance, PlacementParameters, PlacementPlan]:
    instance = bench_instance(preset, siblings)
    parameters = PlacementParameters(place_all=True)
    return instance, parameters, place(instance, parameters)
