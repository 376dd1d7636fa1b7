"""The expansion optimiser's core: a multi-period capacitated facility-location MIP, solved with MathOpt (HiGHS).

Why a separate module: the same numeric model serves the council's expansion question (built from an Instance in
`planner.expansion.programme`) and the OR-Library capacitated facility location benchmarks (`planner.expansion.cflp`),
so that reproducing the published optima proves the code path planners rely on, not a look-alike.

The model, per academic year t of the horizon:
- demand points d (a need x phase x locality group, or a CFLP customer) with `demand[d][t]` learners, which may
  be split across sources;
- existing sources s with fixed places `capacity[s][t]` (0 in years a setting is closed), some of them out of area
  (`source_out_of_area`: their arcs' cost is out-of-area cost), and optional sub-capacities (a setting's places
  for one phase, limiting the flow to some demand points);
- candidate projects p, each built at most once at one allowed size k (places, capital) and opening in one allowed
  year; capital is spent `lead_time_years` before opening (never before the horizon's first year);
- arcs (source, demand) with a cost per learner-year and journey minutes; optionally an uncapacitated
  out-of-area placement per demand point at a per-learner cost (`out_of_area_cost`; the council model uses
  capacitated out-of-area sources instead); and unmet need at a penalty.
Costs are real numbers (pounds, minutes) on purpose: MathOpt takes real coefficients, so nothing is rounded away.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.math_opt.python import mathopt
from ortools.util.python.solve_interrupter import SolveInterrupter
from pydantic import BaseModel, ConfigDict, Field

# The plain data types live in model_data (the local search needs them without this module); callers import them
# from here too.
from planner.expansion.model_data import Arc as Arc
from planner.expansion.model_data import ExpansionData as ExpansionData
from planner.expansion.model_data import ObjectiveWeights as ObjectiveWeights
from planner.expansion.model_data import ProjectDecision as ProjectDecision
from planner.expansion.model_data import ProjectOption as ProjectOption
from planner.expansion.model_data import SubCapacity as SubCapacity
from planner.solving.progress import NullProgress, Progress, RunCancelled


class SolveOptions(BaseModel):
    """Solver settings: time limit, target gap, seed, and whether to add the strong linking cuts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit_seconds: float = Field(default=60.0, gt=0, le=3600)
    relative_gap: float = Field(default=1e-4, ge=0, description="Stop when (primal - bound) / primal is below this")
    absolute_gap: float = Field(default=1e-6, ge=0)
    seed: int = 0
    threads: int = Field(default=1, ge=1, description="SCIP threads (HiGHS MIP runs serially: deterministic)")
    strong_links: bool = Field(default=True, description="x[p,d,t] <= demand * open[p,t]: tighter LP bound")
    solver: str = Field(default="highs", pattern="^(highs|scip)$")
    heuristic_share: float = Field(
        default=0.5, ge=0, le=0.9,
        description="Share of a solve's time (without a hint) a greedy and local search may use to find the MIP's "
                    "first incumbent (planner.expansion.local_search); it stops earlier when kicks find nothing "
                    "better; 0: off")


# "Optimal" is only said of a solution proven within 0.01% of the best possible (issue 15): a solver's own
# "optimal" at a looser gap tolerance is reported as "feasible, gap x%".
OPTIMAL_GAP = 1e-4


def status_text(status: str, gap: float | None) -> str:
    """What a planner reads: "optimal" (gap <= 0.01%), "feasible, gap 0.35%", or the solver's word."""
    if status == "optimal":
        return "optimal"
    if status == "feasible":
        return "feasible, gap unknown" if gap is None else f"feasible, gap {100 * gap:.2f}%"
    return status


def honest_status(status: str, gap: float | None) -> str:
    """A solver status made honest: a solution is "optimal" only at a proven gap <= OPTIMAL_GAP."""
    if status in ("optimal", "feasible"):
        return "optimal" if gap is not None and gap <= OPTIMAL_GAP else "feasible"
    return status


@dataclass
class ExpansionSolution:
    """The result of one solve: status, objective, bound, gap, wall time, breakdown and the chosen programme."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    wall_seconds: float
    programme: list[ProjectDecision]
    breakdown: dict[str, float]
    unmet_by_year: dict[int, float]
    out_of_area_by_year: dict[int, float]
    capital_by_year: dict[int, float]
    flows: dict[tuple[int, int], float] = field(default_factory=dict, repr=False)
    heuristic: dict[str, Any] | None = None
    """What the greedy and local search did before the MIP (objective, seconds, evaluations), when it ran."""

    @property
    def has_solution(self) -> bool:
        return self.objective is not None

    @property
    def status_text(self) -> str:
        return status_text(self.status, self.gap)

    @property
    def absolute_gap(self) -> float | None:
        """Objective minus proven bound (GBP): how far from the best possible this solution may be."""
        if self.objective is None or self.bound is None or self.bound != self.bound:
            return None
        return max(0.0, self.objective - self.bound)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_text": self.status_text,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "wall_seconds": self.wall_seconds,
            "programme": [d.__dict__ for d in self.programme],
            "breakdown": self.breakdown,
            "unmet_by_year": {str(k): v for k, v in self.unmet_by_year.items()},
            "out_of_area_by_year": {str(k): v for k, v in self.out_of_area_by_year.items()},
            "capital_by_year": {str(k): v for k, v in self.capital_by_year.items()},
            **({"heuristic": self.heuristic} if self.heuristic is not None else {}),
        }


_STATUS = {
    mathopt.TerminationReason.OPTIMAL: "optimal",
    mathopt.TerminationReason.FEASIBLE: "feasible",
    mathopt.TerminationReason.INFEASIBLE: "infeasible",
    mathopt.TerminationReason.UNBOUNDED: "unbounded",
    mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED: "infeasible",
    mathopt.TerminationReason.NO_SOLUTION_FOUND: "no_solution",
    mathopt.TerminationReason.IMPRECISE: "imprecise",
}


def _solve_interruptibly(model: mathopt.Model, solver: mathopt.SolverType, params: mathopt.SolveParameters,
                         progress: Progress,
                         model_params: mathopt.ModelSolveParameters | None = None,
                         hard_deadline: float | None = None) -> mathopt.SolveResult:
    """Solve in a worker thread, interrupting it as soon as the user asks to stop, or at `hard_deadline` (a
    `time.perf_counter()` instant: the solver's own time limit can overrun by seconds under load; an interrupted
    solve still returns its best solution and bound)."""
    interrupter = SolveInterrupter()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = mathopt.solve(model, solver, params=params, model_params=model_params,
                                              interrupter=interrupter)
        except Exception as error:  # re-raised in the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    cancelled = False
    stopped = False
    while worker.is_alive():
        worker.join(0.05)
        if not cancelled and progress.should_stop():
            interrupter.interrupt()
            cancelled = True
        if not stopped and hard_deadline is not None and time.perf_counter() > hard_deadline:
            interrupter.interrupt()
            stopped = True
    if "error" in outcome:
        raise outcome["error"]
    if cancelled:
        raise RunCancelled("expansion solve cancelled")
    result: mathopt.SolveResult = outcome["result"]
    return result


_MILLION = 1e-6
_THOUSANDTH = 1e-3
# The solver's own clock stops at this share of a solve's time, the hard interrupt at 102%: HiGHS looks at both only
# between root cut rounds, which take 5-17 s on the county under load (measured, docs/expansion.md), so a solver
# told to stop at 100% overran a 60 s limit by up to 7 s.
_SOLVER_CLOCK_SHARE = 0.85


@dataclass(frozen=True)
class _Group:
    """Demand points with identical ways of being served, merged (exact: the LP and MIP are the same problem).

    `arcs` are the representative's arcs; `member_arcs[i][j]` is member i's arc matching `arcs[j]`, so flows are
    handed back per original arc in proportion to each member's demand.
    """

    members: tuple[int, ...]
    demand: tuple[float, ...]
    arcs: tuple[int, ...]
    member_arcs: tuple[tuple[int, ...], ...]
    out_of_area_cost: float | None


def _merge_groups(data: ExpansionData) -> tuple[list[_Group], list[float]]:
    """Merge demand points served by the same sources at the same costs (same sub-capacities, same fallback).

    Points with no way of being served contribute a constant unmet need per year (returned apart).
    """
    n_years = len(data.years)
    arcs_of: dict[int, list[tuple[int, float, float, int]]] = {}
    for a, arc in enumerate(data.arcs):
        arcs_of.setdefault(arc.demand, []).append((arc.source, arc.revenue_per_learner, arc.minutes, a))
    subs_of: dict[int, set[int]] = {}
    for i, sub in enumerate(data.sub_capacities):
        for d in sub.demands:
            subs_of.setdefault(d, set()).add(i)
    constant_unmet = [0.0] * n_years
    keyed: dict[tuple[Any, ...], list[int]] = {}
    for d in range(len(data.demand_ids)):
        if not any(v > 0 for v in data.demand[d]):
            continue
        arcs = sorted(arcs_of.get(d, []))
        oa_cost = data.out_of_area_cost[d] if data.out_of_area_cost else None
        if not arcs and oa_cost is None and data.allow_unmet:
            for t in range(n_years):
                constant_unmet[t] += max(0.0, data.demand[d][t])
            continue
        key = (tuple(arc[:3] for arc in arcs), frozenset(subs_of.get(d, ())), oa_cost)
        keyed.setdefault(key, []).append(d)
    groups: list[_Group] = []
    for key, members in keyed.items():
        member_arcs = tuple(tuple(arc[3] for arc in sorted(arcs_of.get(d, []))) for d in members)
        groups.append(_Group(
            members=tuple(members),
            demand=tuple(sum(data.demand[d][t] for d in members) for t in range(n_years)),
            arcs=member_arcs[0], member_arcs=member_arcs, out_of_area_cost=key[2]))
    return groups, constant_unmet


def solve_expansion_data(data: ExpansionData, weights: ObjectiveWeights | None = None,
                         options: SolveOptions | None = None, progress: Progress | None = None,
                         hint: Sequence[ProjectDecision] | None = None,
                         deadline: float | None = None) -> ExpansionSolution:
    """Build and solve the multi-period MIP; the solution reports every part of the objective separately.

    `deadline` (a `time.perf_counter()` instant) caps the call's wall clock on top of the options' time limit, so
    a caller can share one time limit among many solves. To solve one problem many times (budget levels, a project
    left out), build it once with `build_expansion_model` and call its `solve`.
    """
    started = time.perf_counter()
    built = build_expansion_model(data, weights, options)
    return built.solve(options, progress, hint, deadline, started=started)


@dataclass
class ExpansionModel:
    """A built MIP, solvable again with another total budget or with projects left out (no rebuild)."""

    data: ExpansionData
    model: mathopt.Model
    opened: dict[tuple[int, int, int], mathopt.Variable]
    builds: dict[tuple[int, int, int], mathopt.Variable]
    flow: dict[tuple[int, int], mathopt.Variable]
    oa_vars: dict[tuple[int, int], mathopt.Variable]
    unmet_vars: dict[tuple[int, int], mathopt.Variable]
    groups: list[_Group]
    constant_unmet: list[float]
    budget_total_row: mathopt.LinearConstraint | None
    build_seconds: float
    # Each merged demand group's "everyone placed, out of area or unmet" row per year (robust KPIs re-solve the
    # model with only these changed: planner.expansion.draws).
    demand_rows: dict[tuple[int, int], mathopt.LinearConstraint] = field(default_factory=dict)

    def solve(self, options: SolveOptions | None = None, progress: Progress | None = None,
              hint: Sequence[ProjectDecision] | None = None, deadline: float | None = None,
              budget_total: float | None | bool = False, without: Sequence[str] = (),
              started: float | None = None) -> ExpansionSolution:
        """Solve; `budget_total` (GBP, None = no total; False = the data's) and `without` (project ids forced out)
        change this solve only. The options' time limit counts from `started` (default: now)."""
        row = self.budget_total_row
        saved = None if row is None else row.upper_bound
        if row is not None and budget_total is not False:
            row.upper_bound = math.inf if budget_total is None else float(budget_total) * _MILLION
        out_ids = set(without)
        excluded = [var for (p, _, _), var in self.builds.items() if self.data.projects[p].id in out_ids]
        for var in excluded:
            var.upper_bound = 0.0  # forced out: never built
        options = options or SolveOptions()
        started = time.perf_counter() if started is None else started
        try:
            heuristic = None
            if hint is None:
                hint, heuristic = self._first_incumbent(options, progress or NullProgress(), deadline, started)
            solution = _solve_built(self, options, progress or NullProgress(), hint, deadline, started)
            if heuristic is not None and hint is not None and (
                    solution.objective is None or solution.objective > heuristic["objective"] * (1 + 1e-7) + 1e-6):
                # The solver ended without the programme it was started from (SCIP may drop a hint): that
                # programme, re-allocated, with the bound the solver proved for the whole problem.
                solution = self._with_bound(self._solve_programme(hint, options), solution.bound)
            solution.heuristic = heuristic
            return solution
        finally:
            for var in excluded:
                var.upper_bound = 1.0
            if row is not None and saved is not None:
                row.upper_bound = saved

    def _solve_programme(self, programme: Sequence[ProjectDecision], options: SolveOptions) -> ExpansionSolution:
        """The model with every build decision fixed to `programme` (an allocation LP for the solver)."""
        chosen = {(d.id, d.places, d.open_year) for d in programme}
        saved = {var: (var.lower_bound, var.upper_bound) for var in self.builds.values()}
        for (p, k, t), var in self.builds.items():
            project = self.data.projects[p]
            value = 1.0 if (project.id, project.sizes[k], self.data.years[t]) in chosen else 0.0
            var.lower_bound, var.upper_bound = value, min(value, var.upper_bound)
        try:
            # Pricing a programme is quick (a presolved LP); it gets a time of its own, as the fallback it is.
            return _solve_built(self, options.model_copy(update={"time_limit_seconds": max(
                5.0, options.time_limit_seconds / 10)}), NullProgress(), None, None, time.perf_counter())
        finally:
            for var, (lower, upper) in saved.items():
                var.lower_bound, var.upper_bound = lower, upper

    @staticmethod
    def _with_bound(solution: ExpansionSolution, bound: float | None) -> ExpansionSolution:
        """A solution of the problem with another proven bound (the whole problem's): gap and status follow."""
        if solution.objective is None or bound is None:
            solution.bound, solution.gap = None, None
            solution.status = "feasible" if solution.objective is not None else solution.status
            return solution
        solution.bound = bound
        solution.gap = abs(solution.objective - bound) / max(abs(solution.objective), 1e-9)
        solution.status = honest_status("feasible", solution.gap)
        return solution

    def _first_incumbent(self, options: SolveOptions, progress: Progress, deadline: float | None,
                         started: float) -> tuple[list[ProjectDecision] | None, dict[str, Any] | None]:
        """A programme for the MIP to start from: greedy on gain per pound, local search and kicks, each programme
        priced exactly (planner.expansion.local_search), within `heuristic_share` of the time left. Not run where a
        start from nothing may be infeasible (no unmet need allowed) or projects are forced in."""
        if (options.heuristic_share <= 0 or not self.data.allow_unmet
                or all(var.upper_bound < 0.5 for var in self.builds.values())
                or any(project.forced_in for project in self.data.projects)):
            return None, None
        try:
            from planner.expansion.local_search import search_programme
        except ImportError:  # highspy missing: the MIP starts from nothing, as before
            return None, None

        remaining = options.time_limit_seconds - (time.perf_counter() - started)
        if deadline is not None:
            remaining = min(remaining, deadline - time.perf_counter())
        if remaining <= 0:
            return None, None
        progress.report(0.02, "greedy and local search for a first programme")
        found = search_programme(self, [], time.perf_counter() + options.heuristic_share * remaining, options.seed)
        if found is None:
            return None, None
        programme, search = found
        return programme, {"objective": search.objective, "seconds": round(search.seconds, 3),
                           "evaluations": search.evaluations, "improvements": search.improvements,
                           "local_optimum": search.local_optimum,
                           "kicks": search.kicks}


def build_expansion_model(data: ExpansionData, weights: ObjectiveWeights | None = None,
                          options: SolveOptions | None = None) -> ExpansionModel:
    """Write the multi-period MIP (formulation in docs/expansion.md).

    `opened[p,k,t]` = "project p is open at size k by year t" (monotone in t, at most one size), so building in
    year t is `opened[p,k,t] - opened[p,k,t-1]`; demand points with identical arcs are merged; per-size strong links
    `x <= min(demand, size_k) * opened[p,k,t]` where the demand is below a size.
    """
    weights = weights or ObjectiveWeights()
    options = options or SolveOptions()
    started = time.perf_counter()
    years = data.years
    n_years = len(years)
    n_sources = len(data.source_ids)
    model = mathopt.Model(name="expansion")
    groups, constant_unmet = _merge_groups(data)

    # Decisions: build[p,k,t] = 1 when project p opens at size k in year t (binary, so each budget row is a pure
    # knapsack the solver can cut); opened[p,k,t] = open at size k by year t, continuous and exactly the running sum
    # of builds (one per allowed opening year, carried through other years), which keeps the links sparse.
    opened: dict[tuple[int, int, int], mathopt.Variable] = {}
    builds: dict[tuple[int, int, int], mathopt.Variable] = {}
    for p, project in enumerate(data.projects):
        if project.forced_out:
            continue
        allowed = [t for t, year in enumerate(years) if year in project.open_years]
        if not allowed:
            continue
        for k in range(len(project.sizes)):
            previous: mathopt.Variable | None = None
            for t in range(allowed[0], n_years):
                if t in allowed:
                    label = f"{project.id},{project.sizes[k]},{years[t]}"
                    built = model.add_binary_variable(name=f"build[{label}]")
                    builds[p, k, t] = built
                    var = model.add_variable(lb=0.0, ub=1.0, name=f"opened[{label}]")
                    # A project once opened stays open (and keeps its size): open by t = open by t-1 + built in t.
                    model.add_linear_constraint(var - built - (previous if previous is not None else 0.0) == 0,
                                                name=f"opened_by[{label}]")
                    previous = var
                assert previous is not None
                opened[p, k, t] = previous
        choices = [v for (pp, _, _), v in builds.items() if pp == p]
        # A project is built once, at one size, opening in one year (forced in: it must be built).
        if project.forced_in:
            model.add_linear_constraint(mathopt.fast_sum(choices) == 1, name=f"forced_in[{project.id}]")
        else:
            model.add_linear_constraint(mathopt.fast_sum(choices) <= 1, name=f"once[{project.id}]")

    def places_open(p: int, t: int) -> mathopt.LinearSum:
        """Usable places of project p in year t: built places, less what is still filling (the ramp-up)."""
        project = data.projects[p]
        terms: list[Any] = [project.sizes[k] * opened[p, k, t] for k in range(len(project.sizes))
                            if (p, k, t) in opened]
        for j, share in enumerate(project.ramp):
            # Opened j years ago (j = 0: this year): only `share` of the places are usable yet.
            terms.extend(-(1.0 - share) * project.sizes[k] * builds[p, k, t - j] for k in range(len(project.sizes))
                         if share < 1.0 and (p, k, t - j) in builds)
        return mathopt.fast_sum(terms)

    flow: dict[tuple[int, int], mathopt.Variable] = {}
    by_source: dict[tuple[int, int], list[mathopt.Variable]] = {}
    by_group: dict[tuple[int, int], list[mathopt.Variable]] = {}
    flow_vars_of_source: dict[tuple[int, int], dict[int, mathopt.Variable]] = {}
    travel_terms: list[mathopt.LinearBase] = []
    revenue_terms: list[mathopt.LinearBase] = []
    oa_terms: list[mathopt.LinearBase] = []
    for g, group in enumerate(groups):
        for a in group.arcs:
            arc = data.arcs[a]
            is_project = arc.source >= n_sources
            p = arc.source - n_sources
            for t in range(n_years):
                need = group.demand[t]
                if need <= 0:
                    continue
                if not is_project and data.source_capacity[arc.source][t] <= 0:
                    continue
                if is_project and (p, 0, t) not in opened:
                    continue
                x = model.add_variable(lb=0.0, name=f"x[{a},{years[t]}]")
                flow[a, t] = x
                by_source.setdefault((arc.source, t), []).append(x)
                by_group.setdefault((g, t), []).append(x)
                flow_vars_of_source.setdefault((arc.source, t), {})[g] = x
                if arc.minutes:
                    travel_terms.append(arc.minutes * x)
                if arc.revenue_per_learner:
                    # An out-of-area/independent place's fee is out-of-area cost; any other is revenue cost.
                    (oa_terms if data.is_out_of_area_source(arc.source) else revenue_terms).append(
                        arc.revenue_per_learner * x)
                sizes = data.projects[p].sizes if is_project else ()
                if is_project and options.strong_links and need < max(sizes):
                    # Nobody is placed in a project before it opens (tight form: at most this group's demand
                    # or the size built, whichever is smaller).
                    model.add_linear_constraint(
                        x <= mathopt.fast_sum(min(need, size) * opened[p, k, t] for k, size in enumerate(sizes)),
                        name=f"link[{a},{years[t]}]")

    for (source, t), xs in by_source.items():
        if source < n_sources:
            # An existing setting admits no more learners than its places that year.
            model.add_linear_constraint(mathopt.fast_sum(xs) <= data.source_capacity[source][t],
                                        name=f"cap[{data.source_ids[source]},{years[t]}]")
        else:
            p = source - n_sources
            # A new or expanded provision admits no more learners than the places built by that year.
            model.add_linear_constraint(mathopt.fast_sum(xs) - places_open(p, t) <= 0,
                                        name=f"cap[{data.projects[p].id},{years[t]}]")

    group_of = {d: g for g, group in enumerate(groups) for d in group.members}
    for i, sub in enumerate(data.sub_capacities):
        members = sorted({group_of[d] for d in sub.demands if d in group_of})
        for t in range(n_years):
            by_g = flow_vars_of_source.get((sub.source, t), {})
            xs = [by_g[g] for g in members if g in by_g]
            if xs:
                # A setting admits no more learners of a phase than its places for that phase.
                model.add_linear_constraint(mathopt.fast_sum(xs) <= sub.capacity[t],
                                            name=f"sub_cap[{i},{data.source_ids[sub.source]},{years[t]}]")

    oa_vars: dict[tuple[int, int], mathopt.Variable] = {}
    unmet_vars: dict[tuple[int, int], mathopt.Variable] = {}
    demand_rows: dict[tuple[int, int], mathopt.LinearConstraint] = {}
    for g, group in enumerate(groups):
        for t in range(n_years):
            need = group.demand[t]
            if need <= 0:
                continue
            served = list(by_group.get((g, t), []))
            if group.out_of_area_cost is not None:
                oa = model.add_variable(lb=0.0, name=f"oa[{g},{years[t]}]")
                oa_vars[g, t] = oa
                served.append(oa)
                oa_terms.append(group.out_of_area_cost * oa)
            if data.allow_unmet:
                u = model.add_variable(lb=0.0, name=f"unmet[{g},{years[t]}]")
                unmet_vars[g, t] = u
                served.append(u)
            # Every learner needing a place is placed somewhere, out of area, or counted as unmet need.
            demand_rows[g, t] = model.add_linear_constraint(mathopt.fast_sum(served) == need,
                                                            name=f"demand[{g},{years[t]}]")

    capital_expr: dict[int, list[mathopt.LinearBase]] = {}
    for (p, k, t), built in builds.items():
        project = data.projects[p]
        capital_expr.setdefault(data.spend_year(project, years[t]), []).append(project.capital_by_size[k] * built)
    # Budget rows are written in GBP millions (an exact row scaling) so the solver's matrix stays well scaled.
    for year, terms in capital_expr.items():
        if year in data.budget_by_year:
            # Capital spent in a year stays within that year's capital budget.
            model.add_linear_constraint(mathopt.fast_sum(terms) * _MILLION <= data.budget_by_year[year] * _MILLION,
                                        name=f"budget[{year}]")
    budget_total_row = None
    if capital_expr:
        # Capital over the whole programme stays within the total budget (no total: an open row, so a re-solve
        # at another total changes its bound only).
        budget_total_row = model.add_linear_constraint(
            mathopt.fast_sum(term for terms in capital_expr.values() for term in terms) * _MILLION
            <= (math.inf if data.budget_total is None else data.budget_total * _MILLION), name="budget_total")

    project_revenue_terms: list[mathopt.LinearBase] = []
    for p, project in enumerate(data.projects):
        if project.revenue_per_place:
            for t in range(n_years):
                project_revenue_terms.append(project.revenue_per_place * places_open(p, t))

    capital_all = [term for terms in capital_expr.values() for term in terms]
    # The solver sees the objective in GBP thousands (exact scaling; reported figures are in pounds again).
    model.minimize(_THOUSANDTH * (
        weights.revenue * mathopt.fast_sum(revenue_terms + project_revenue_terms)
        + weights.travel_per_minute * mathopt.fast_sum(travel_terms)
        + weights.out_of_area * mathopt.fast_sum(oa_terms)
        + weights.unmet_learner_year * (mathopt.fast_sum(unmet_vars.values()) + sum(constant_unmet))
        + weights.capital * mathopt.fast_sum(capital_all)
    ))
    return ExpansionModel(data=data, model=model, opened=opened, builds=builds, flow=flow, oa_vars=oa_vars,
                          unmet_vars=unmet_vars, groups=groups, constant_unmet=constant_unmet,
                          budget_total_row=budget_total_row, build_seconds=time.perf_counter() - started,
                          demand_rows=demand_rows)


def _solve_built(built: ExpansionModel, options: SolveOptions, progress: Progress,
                 hint: Sequence[ProjectDecision] | None, deadline: float | None,
                 started: float) -> ExpansionSolution:
    """Solve a built model and read the solution back: programme, breakdown and per-year figures."""
    data, model, opened, builds, flow = built.data, built.model, built.opened, built.builds, built.flow
    groups, constant_unmet, oa_vars, unmet_vars = built.groups, built.constant_unmet, built.oa_vars, built.unmet_vars
    years = data.years
    n_years = len(years)
    # The time limit covers building the model too: the solver gets what is left of it, and never runs past the
    # caller's deadline (at least a tenth of a second, so a solution can still come back).
    remaining = options.time_limit_seconds - (time.perf_counter() - started)
    if deadline is not None:
        remaining = min(remaining, deadline - time.perf_counter())
    remaining = max(0.1, remaining)
    params = mathopt.SolveParameters(
        time_limit=_seconds(remaining * _SOLVER_CLOCK_SHARE), relative_gap_tolerance=options.relative_gap,
        absolute_gap_tolerance=options.absolute_gap * _THOUSANDTH, random_seed=options.seed,
    )
    if options.solver == "scip":
        params.threads = options.threads  # HiGHS takes no thread count through MathOpt; its MIP runs serially
    model_params = None
    if hint:
        chosen = {d.id: d for d in hint}
        values: dict[mathopt.Variable, float] = {}
        for (p, k, t), var in opened.items():
            decision = chosen.get(data.projects[p].id)
            values[var] = 1.0 if (decision is not None and decision.places == data.projects[p].sizes[k]
                                  and decision.open_year <= years[t]) else 0.0
        for (p, k, t), var in builds.items():
            decision = chosen.get(data.projects[p].id)
            values[var] = 1.0 if (decision is not None and decision.places == data.projects[p].sizes[k]
                                  and decision.open_year == years[t]) else 0.0
        model_params = mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(variable_values=values)])
    progress.report(0.05, f"solving expansion MIP ({len(builds)} build choices, {len(groups)} merged demand groups, "
                          f"{len(flow)} flows)")
    solver_type = mathopt.SolverType.HIGHS if options.solver == "highs" else mathopt.SolverType.GSCIP
    # Interrupted at the limit plus a small grace, whatever the solver's own clock says.
    result = _solve_interruptibly(model, solver_type, params, progress, model_params,
                                  hard_deadline=time.perf_counter() + remaining * 1.02 + 0.05)
    wall = time.perf_counter() - started
    status = _STATUS.get(result.termination.reason, result.termination.reason.name.lower())
    if not result.has_primal_feasible_solution():
        # No programme, but the bound proven so far is still valid (a caller may hold an incumbent to measure).
        dual = float(result.termination.objective_bounds.dual_bound) / _THOUSANDTH
        return ExpansionSolution(status=status, objective=None, bound=dual if math.isfinite(dual) else None,
                                 gap=None, wall_seconds=wall, programme=[], breakdown={}, unmet_by_year={},
                                 out_of_area_by_year={}, capital_by_year={})
    objective = float(result.objective_value()) / _THOUSANDTH
    bound = float(result.termination.objective_bounds.dual_bound) / _THOUSANDTH
    gap = abs(objective - bound) / max(abs(objective), 1e-9) if bound == bound and abs(bound) != float("inf") else None
    status = honest_status(status, gap)
    solved = result.variable_values()

    programme: list[ProjectDecision] = []
    for p, project in enumerate(data.projects):
        for k in range(len(project.sizes)):
            first = next((t for t in range(n_years) if (p, k, t) in opened and solved[opened[p, k, t]] > 0.5), None)
            if first is not None:
                programme.append(ProjectDecision(
                    id=project.id, places=project.sizes[k], open_year=years[first],
                    spend_year=data.spend_year(project, years[first]), capital=project.capital_by_size[k]))
    capital_by_year: dict[int, float] = {}
    for decision in programme:
        capital_by_year[decision.spend_year] = capital_by_year.get(decision.spend_year, 0.0) + decision.capital
    unmet_by_year = {year: constant_unmet[t] for t, year in enumerate(years)}
    for (_g, t), var in unmet_vars.items():
        unmet_by_year[years[t]] += solved[var]
    oa_by_year = {year: 0.0 for year in years}
    for (_g, t), var in oa_vars.items():
        oa_by_year[years[t]] += solved[var]
    flows = _member_flows(data, groups, {key: solved[var] for key, var in flow.items() if solved[var] > 1e-9})
    outside = {key: v for key, v in flows.items() if data.is_out_of_area_source(data.arcs[key[0]].source)}
    for (_a, t), v in outside.items():
        oa_by_year[years[t]] += v
    project_of = {p.id: p for p in data.projects}
    project_places_years = sum(d.places * project_of[d.id].revenue_per_place
                               * sum(project_of[d.id].usable_share(y - d.open_year) for y in years if y >= d.open_year)
                               for d in programme)
    breakdown = {
        "revenue_existing_and_arcs": sum(data.arcs[a].revenue_per_learner * v for (a, t), v in flows.items()
                                         if (a, t) not in outside),
        "revenue_new_places": project_places_years,
        "travel_learner_minutes": sum(data.arcs[a].minutes * v for (a, _), v in flows.items()),
        "out_of_area_cost": sum((groups[g].out_of_area_cost or 0.0) * solved[var] for (g, _), var in oa_vars.items())
        + sum(data.arcs[a].revenue_per_learner * v for (a, _), v in outside.items()),
        "out_of_area_learner_years": sum(oa_by_year.values()),
        "unmet_learner_years": sum(unmet_by_year.values()),
        "capital": sum(capital_by_year.values()),
    }
    progress.report(1.0, f"expansion solved: {status}")
    return ExpansionSolution(status=status, objective=objective, bound=bound, gap=gap, wall_seconds=wall,
                             programme=programme, breakdown=breakdown, unmet_by_year=unmet_by_year,
                             out_of_area_by_year=oa_by_year, capital_by_year=capital_by_year, flows=flows)


def _member_flows(data: ExpansionData, groups: Sequence[_Group],
                  merged: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """Hand a merged group's flows back to its members' own arcs, in proportion to each member's demand."""
    position: dict[int, tuple[int, int]] = {}
    for g, group in enumerate(groups):
        for j, a in enumerate(group.arcs):
            position[a] = (g, j)
    flows: dict[tuple[int, int], float] = {}
    for (a, t), amount in merged.items():
        g, j = position[a]
        group = groups[g]
        total = group.demand[t]
        for member, arcs in zip(group.members, group.member_arcs, strict=True):
            share = amount * data.demand[member][t] / total
            if share > 1e-9:
                flows[arcs[j], t] = share
    return flows

def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)
