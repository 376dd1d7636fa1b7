"""What a capital board asks after the main solve, each answer one it can trust, all within one time limit.

- **Budget frontier** (`budget_frontier`): monotone by construction. Budgets are solved from the cheapest up, and
  each level starts from the best programme found at any cheaper level (a solution hint, and kept as the answer if
  the solver does no better in its time), and from the main solve's programme wherever it fits: a programme
  affordable at a cheaper budget is affordable at a dearer one, so no point is ever worse than spending less, nor
  worse than the main solve at the same budget. Each point carries its own proven gap.
- **Marginal values** (`marginal_values`): each chosen project forced out and the rest re-optimised; a value is
  reported only where it is larger than the re-solve's own proven gap (else "not significant": the solver cannot
  tell it from zero).
- **Robust KPIs** (`evaluate_programme`): the programme fixed and re-allocated under forecast draws.

Every function takes a `deadline` (a `time.perf_counter()` instant) and shares what is left of it among its solves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from planner.expansion.draws import DrawEvaluator, envelope_of
from planner.expansion.model import (
    ExpansionData,
    ExpansionModel,
    ExpansionSolution,
    ObjectiveWeights,
    ProjectDecision,
    ProjectOption,
    SolveOptions,
    build_expansion_model,
    honest_status,
    status_text,
)
from planner.solving.progress import NullProgress, Progress, RunCancelled


def with_budget(data: ExpansionData, total: float | None) -> ExpansionData:
    """The same problem with another total capital budget (yearly budgets unchanged)."""
    return replace(data, budget_total=total)


def without_project(data: ExpansionData, project_id: str) -> ExpansionData:
    projects = tuple(replace(p, forced_out=True) if p.id == project_id else p
                     for p in data.projects)
    return replace(data, projects=projects)


def fixed_programme(data: ExpansionData, programme: Sequence[ProjectDecision]) -> ExpansionData:
    """The problem with the build decisions fixed to a programme (an LP: used to evaluate it under other demand)."""
    chosen = {d.id: d for d in programme}
    projects = []
    for p in data.projects:
        if p.id in chosen:
            d = chosen[p.id]
            k = p.sizes.index(d.places)
            projects.append(ProjectOption(id=p.id, sizes=(d.places,), capital_by_size=(p.capital_by_size[k],),
                                          open_years=(d.open_year,), lead_time_years=p.lead_time_years,
                                          revenue_per_place=p.revenue_per_place, forced_in=True, ramp=p.ramp))
        else:
            projects.append(replace(p, forced_out=True))
    return replace(data, projects=tuple(projects), budget_by_year={}, budget_total=None)


def with_demand(data: ExpansionData, demand: Sequence[Sequence[float]]) -> ExpansionData:
    return replace(data, demand=tuple(tuple(row) for row in demand))


def share_of(deadline: float | None, items_left: int, options: SolveOptions) -> SolveOptions:
    """Options for the next of `items_left` solves: an even share of the time left before the deadline."""
    if deadline is None:
        return options
    left = max(0.1, deadline - time.perf_counter())
    return options.model_copy(update={"time_limit_seconds": max(0.1, left / max(1, items_left))})


def out_of_time(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() >= deadline


def evaluate_programme(data: ExpansionData, programme: Sequence[ProjectDecision], paths: Sequence[Sequence[
        Sequence[float]]], weights: ObjectiveWeights, deadline: float | None = None,
        expected_seconds: float = 0.0) -> dict[str, Any]:
    """Robust KPIs of a fixed programme across demand paths (forecast runs): expected and p90 unmet need.

    The programme's model is built once and re-solved per draw with only the demand changed
    (planner.expansion.draws); `expected_seconds` (about a model build) is what building it must still fit in
    before the deadline. Draws are evaluated in order until the deadline; `draws` says how many were (`draws_asked`
    how many asked).
    """
    unmet: list[float] = []
    oa: list[float] = []
    if paths and not (deadline is not None and time.perf_counter() + expected_seconds > deadline):
        evaluator = DrawEvaluator(with_demand(fixed_programme(data, programme), envelope_of(paths)), weights)
        for path in paths:
            if out_of_time(deadline):
                break
            figures = evaluator.evaluate(path, deadline)
            if figures is None:
                continue  # infeasible or not solved in its time: not counted (draws says how many were)
            unmet.append(figures[0])
            oa.append(figures[1])
    return {
        "draws": len(unmet),
        "draws_asked": len(paths),
        "unmet_expected": float(np.mean(unmet)) if unmet else 0.0,
        "unmet_p90": float(np.percentile(unmet, 90)) if unmet else 0.0,
        "out_of_area_expected": float(np.mean(oa)) if oa else 0.0,
        "out_of_area_p90": float(np.percentile(oa, 90)) if oa else 0.0,
    }


def marginal_values(data: ExpansionData, solution: ExpansionSolution, weights: ObjectiveWeights,
                    options: SolveOptions, progress: Progress | None = None,
                    deadline: float | None = None, built: ExpansionModel | None = None) -> dict[str, dict[str, Any]]:
    """Each chosen project's value: the objective increase when it is forced out and the rest re-optimised.

    Per project: `value` (GBP, or None), `resolve_gap` (the re-solve's objective minus its proven bound, GBP) and
    `significant`: True only when the value is positive and larger than that gap; otherwise the value is within the
    solver's uncertainty and is reported as "not significant" (`value` None). Projects not reached before the
    deadline get `value` None and `note` "not computed (time limit)".
    """
    progress = progress or NullProgress()
    values: dict[str, dict[str, Any]] = {}
    programme = solution.programme
    if built is None and programme:
        built = build_expansion_model(data, weights, options)
    for i, decision in enumerate(programme):
        if progress.should_stop():
            raise RunCancelled("expansion marginal values cancelled")
        if out_of_time(deadline) or solution.objective is None:
            values[decision.id] = {"value": None, "raw_value": None, "resolve_gap": None, "significant": False,
                                   "note": "not computed (time limit)"}
            continue
        hint = [d for d in programme if d.id != decision.id]
        assert built is not None
        again = built.solve(share_of(deadline, len(programme) - i, options), hint=hint, deadline=deadline,
                            without=[decision.id])
        raw = None if again.objective is None else again.objective - solution.objective
        gap = again.absolute_gap
        significant = raw is not None and gap is not None and raw > 0 and gap < raw
        values[decision.id] = {"value": raw if significant else None, "raw_value": raw, "resolve_gap": gap,
                               "significant": significant, "note": "" if significant else "not significant"}
        progress.report(0.5 + 0.2 * (i + 1) / max(1, len(programme)), f"marginal value {decision.id}")
    return values


def _graded(objective: float | None, bound: float | None) -> dict[str, Any]:
    """Status, status text and gap of a point from its objective and proven bound."""
    gap = max(0.0, objective - bound) / max(abs(objective), 1e-9) \
        if objective is not None and bound is not None and math.isfinite(bound) else None
    status = "no_solution" if objective is None else honest_status("feasible", gap)
    return {"status": status, "status_text": status_text(status, gap), "gap": gap}


def inherit_bounds(rows: Sequence[dict[str, Any]], known: Sequence[tuple[float, float]] = ()) -> None:
    """Strengthen each point's proven bound with the bounds of the dearer points (rows in budget order, in place).

    Valid because a larger total budget only adds programmes (every yearly budget and every other rule is the same):
    the best objective at a budget is never below the best at a larger budget, so a bound proven at a larger budget
    is a bound here too. A short solve of a cheap level often proves little itself (at the county's 15-45m levels
    HiGHS stopped at its root with gaps of 96-97%), while the main solve's bound is close. `bound_from` says which
    point's bound a row carries. `known`: more (budget, proven bound) pairs, e.g. the main solve's.
    """
    points: list[tuple[float, float | None]] = [*((r["budget_total"], r.get("bound")) for r in rows), *known]
    proven = [(bound, budget) for budget, bound in points if bound is not None and math.isfinite(bound)]
    for row in rows:
        dearer = [point for point in proven if point[1] >= row["budget_total"] - 1e-6]
        if not dearer:
            continue
        bound, budget = max(dearer)
        own = row.get("bound")
        if own is None or not math.isfinite(own) or bound > own:
            row["bound"] = bound
            row["bound_from"] = f"the point at GBP {budget:,.0f} (a dearer budget never does worse)"
            row.update(_graded(row.get("objective"), bound))


def _row(budget: float, best: ExpansionSolution, bound: float | None, source: str) -> dict[str, Any]:
    objective = best.objective
    return {
        "budget_total": budget, **_graded(objective, bound), "objective": objective,
        "bound": bound, "bound_from": "this point's solve", "capital_used": best.breakdown.get("capital"),
        "unmet_learner_years": best.breakdown.get("unmet_learner_years"),
        "out_of_area_learner_years": best.breakdown.get("out_of_area_learner_years"),
        "out_of_area_cost": best.breakdown.get("out_of_area_cost"),
        "projects": len(best.programme), "programme_from": source,
        "programme": [{"id": d.id, "places": d.places, "open_year": d.open_year} for d in best.programme],
    }


def budget_frontier(data: ExpansionData, budgets: Sequence[float], weights: ObjectiveWeights,
                    options: SolveOptions, progress: Progress | None = None, main: ExpansionSolution | None = None,
                    deadline: float | None = None, built: ExpansionModel | None = None) -> list[dict[str, Any]]:
    """Outcome against total capital budget, monotone by construction (module docstring); rows in budget order.

    `programme_from` says where each point's programme came from: "solve" (this level's own solve), "cheaper
    level" or "main solve" (the solver found nothing better in its time).
    """
    progress = progress or NullProgress()
    if built is None and budgets:
        built = build_expansion_model(data, weights, options)
    main_capital = None if main is None or not main.has_solution else main.breakdown.get("capital", 0.0)
    rows: dict[int, dict[str, Any]] = {}
    previous: ExpansionSolution | None = None
    order = sorted(range(len(budgets)), key=lambda i: budgets[i])
    for n, i in enumerate(order):
        if progress.should_stop():
            raise RunCancelled("expansion frontier cancelled")
        budget = budgets[i]
        # The incumbents: the best programme of the cheaper levels, and the main solve's where it is affordable.
        pool: list[tuple[ExpansionSolution, str]] = []
        if previous is not None and previous.has_solution:
            pool.append((previous, "cheaper level"))
        if main is not None and main_capital is not None and main_capital <= budget + 1e-6:
            pool.append((main, "main solve"))
        hint = _hint_for(budget, pool, main)
        solved: ExpansionSolution | None = None
        same_as_main = main is not None and main.has_solution and data.budget_total is not None and \
            abs(budget - data.budget_total) <= 1e-6
        if same_as_main and main is not None:
            solved = main  # the same problem: the main solve's answer and bound
        elif (not out_of_time(deadline) or not pool) and built is not None:
            solved = built.solve(share_of(deadline, len(order) - n, options), hint=hint, deadline=deadline,
                                 budget_total=budget)
        if solved is not None and solved.has_solution:
            pool.append((solved, "solve" if solved is not main else "main solve"))
        if not pool:
            rows[i] = _row(budget, solved or _empty(), None, "none")
            continue
        best, source = min(pool, key=lambda item: item[0].objective or math.inf)
        bound = solved.bound if solved is not None else None
        rows[i] = _row(budget, best, bound, source)
        previous = best
        progress.report(0.7 + 0.2 * (n + 1) / max(1, len(order)), f"frontier at GBP {budget:,.0f}")
    ordered = [rows[i] for i in order]
    main_point = [(data.budget_total, main.bound)] \
        if main is not None and data.budget_total is not None and main.bound is not None else []
    inherit_bounds(ordered, main_point)
    return ordered


def affordable_part(programme: Sequence[ProjectDecision], budget: float) -> list[ProjectDecision]:
    """The most places per GBP of a programme that fit a total budget (a subset of a programme meets its yearly
    budgets too): a warm start for a cheaper budget level."""
    chosen: list[ProjectDecision] = []
    spent = 0.0
    for decision in sorted(programme, key=lambda d: (-d.places / max(d.capital, 1.0), d.id)):
        if spent + decision.capital <= budget + 1e-6:
            chosen.append(decision)
            spent += decision.capital
    return chosen


def _hint_for(budget: float, pool: Sequence[tuple[ExpansionSolution, str]],
              main: ExpansionSolution | None) -> list[ProjectDecision] | None:
    """The warm start of a level: the best incumbent that fits; below the main solve's capital, the affordable part
    of the main programme when it is larger than the cheaper level's programme."""
    best = min(pool, key=lambda item: item[0].objective or math.inf)[0].programme if pool else None
    if main is None or not main.has_solution or any(source == "main solve" for _, source in pool):
        return best
    part = affordable_part(main.programme, budget)
    if best is None or sum(d.places for d in part) > sum(d.places for d in best):
        return part
    return best


def _empty() -> ExpansionSolution:
    return ExpansionSolution(status="no_solution", objective=None, bound=None, gap=None, wall_seconds=0.0,
                             programme=[], breakdown={}, unmet_by_year={}, out_of_area_by_year={}, capital_by_year={})
