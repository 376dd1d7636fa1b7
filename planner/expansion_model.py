"""The expansion optimiser's core: a multi-period capacitated facility-location MIP, solved with MathOpt (HiGHS).

Why a separate module: the same numeric model serves the council's expansion question (built from an Instance in
`planner.expansion`) and the OR-Library capacitated facility location benchmarks (`planner.cflp`), so that
reproducing the published optima proves the code path planners rely on, not a look-alike.

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

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.math_opt.python import mathopt
from ortools.util.python.solve_interrupter import SolveInterrupter
from pydantic import BaseModel, ConfigDict, Field

from planner.progress import NullProgress, Progress, RunCancelled


@dataclass(frozen=True)
class ProjectOption:
    """A candidate project as the MIP sees it: sizes with their capital, opening years, revenue per place."""

    id: str
    sizes: tuple[int, ...]
    capital_by_size: tuple[float, ...]
    open_years: tuple[int, ...]
    lead_time_years: int = 0
    revenue_per_place: float = 0.0
    forced_out: bool = False
    forced_in: bool = False


@dataclass(frozen=True)
class Arc:
    """A way to serve one demand point from one source: `source` indexes existing sources, then projects."""

    source: int
    demand: int
    revenue_per_learner: float
    minutes: float = 0.0


@dataclass(frozen=True)
class SubCapacity:
    """Places of one source open to some demand points only (a setting's cap for one phase), per year."""

    source: int
    demands: tuple[int, ...]
    capacity: tuple[float, ...]


@dataclass(frozen=True)
class ExpansionData:
    """Everything the MIP needs, already in numbers. Years index the columns of demand and capacity."""

    years: tuple[int, ...]
    demand_ids: tuple[str, ...]
    demand: tuple[tuple[float, ...], ...]
    source_ids: tuple[str, ...]
    source_capacity: tuple[tuple[float, ...], ...]
    projects: tuple[ProjectOption, ...]
    arcs: tuple[Arc, ...]
    out_of_area_cost: tuple[float | None, ...] = ()
    allow_unmet: bool = True
    budget_by_year: dict[int, float] = field(default_factory=dict)
    budget_total: float | None = None
    source_out_of_area: tuple[bool, ...] = ()
    """Per existing source: True for out-of-area/independent places (their arcs' cost counts as out-of-area)."""
    sub_capacities: tuple[SubCapacity, ...] = ()

    def is_out_of_area_source(self, source: int) -> bool:
        return source < len(self.source_out_of_area) and self.source_out_of_area[source]

    def spend_year(self, project: ProjectOption, open_year: int) -> int:
        """The year the capital for a project opening in `open_year` is spent (clamped to the horizon start)."""
        return max(self.years[0], open_year - project.lead_time_years)


class ObjectiveWeights(BaseModel):
    """How the council weighs the parts of the objective (each a documented default, each overridable)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unmet_learner_year: float = Field(
        default=150_000.0, ge=0, description="Penalty per learner-year without a suitable place (GBP equivalent)"
    )
    out_of_area: float = Field(default=1.0, ge=0, description="Weight on out-of-area/independent placement cost")
    revenue: float = Field(default=1.0, ge=0, description="Weight on revenue cost (per place per year, GBP)")
    travel_per_minute: float = Field(
        default=40.0, ge=0, description="GBP-equivalent per learner-year per journey minute (one way)"
    )
    capital: float = Field(default=0.0, ge=0, description="Weight per GBP of capital (budgets already limit it)")


class SolveOptions(BaseModel):
    """Solver settings: time limit, target gap, seed, and whether to add the strong linking cuts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit_seconds: float = Field(default=60.0, gt=0)
    relative_gap: float = Field(default=1e-4, ge=0, description="Stop when (primal - bound) / primal is below this")
    absolute_gap: float = Field(default=1e-6, ge=0)
    seed: int = 0
    threads: int = Field(default=1, ge=1, description="SCIP threads (HiGHS MIP runs serially: deterministic)")
    strong_links: bool = Field(default=True, description="x[p,d,t] <= demand * open[p,t]: tighter LP bound")
    solver: str = Field(default="highs", pattern="^(highs|scip)$")


@dataclass(frozen=True)
class ProjectDecision:
    id: str
    places: int
    open_year: int
    spend_year: int
    capital: float


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

    @property
    def has_solution(self) -> bool:
        return self.objective is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "wall_seconds": self.wall_seconds,
            "programme": [d.__dict__ for d in self.programme],
            "breakdown": self.breakdown,
            "unmet_by_year": {str(k): v for k, v in self.unmet_by_year.items()},
            "out_of_area_by_year": {str(k): v for k, v in self.out_of_area_by_year.items()},
            "capital_by_year": {str(k): v for k, v in self.capital_by_year.items()},
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
                         progress: Progress) -> mathopt.SolveResult:
    """Solve in a worker thread, interrupting it as soon as the user asks to stop."""
    interrupter = SolveInterrupter()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = mathopt.solve(model, solver, params=params, interrupter=interrupter)
        except Exception as error:  # re-raised in the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    cancelled = False
    while worker.is_alive():
        worker.join(0.2)
        if not cancelled and progress.should_stop():
            interrupter.interrupt()
            cancelled = True
    if "error" in outcome:
        raise outcome["error"]
    if cancelled:
        raise RunCancelled("expansion solve cancelled")
    result: mathopt.SolveResult = outcome["result"]
    return result


def solve_expansion_data(data: ExpansionData, weights: ObjectiveWeights | None = None,
                         options: SolveOptions | None = None, progress: Progress | None = None,
                         hint: Sequence[ProjectDecision] | None = None) -> ExpansionSolution:
    """Build and solve the multi-period MIP; the solution reports every part of the objective separately."""
    weights = weights or ObjectiveWeights()
    options = options or SolveOptions()
    progress = progress or NullProgress()
    started = time.perf_counter()
    years = data.years
    n_years = len(years)
    n_sources = len(data.source_ids)
    model = mathopt.Model(name="expansion")

    # Decisions: build project p at size k, opening in year t (at most one choice per project).
    build: dict[tuple[int, int, int], mathopt.Variable] = {}
    for p, project in enumerate(data.projects):
        for k in range(len(project.sizes)):
            for t, year in enumerate(years):
                if year in project.open_years and not project.forced_out:
                    build[p, k, t] = model.add_binary_variable(name=f"build[{project.id},{project.sizes[k]},{year}]")
        choices = [v for (pp, _, _), v in build.items() if pp == p]
        if choices:
            # A project is built once, at one size, opening in one year.
            if project.forced_in:
                model.add_linear_constraint(mathopt.fast_sum(choices) == 1, name=f"forced_in[{project.id}]")
            else:
                model.add_linear_constraint(mathopt.fast_sum(choices) <= 1, name=f"once[{project.id}]")

    def places_open(p: int, t: int) -> mathopt.LinearSum:
        project = data.projects[p]
        return mathopt.fast_sum(project.sizes[k] * build[p, k, tt] for k in range(len(project.sizes))
                                for tt in range(t + 1) if (p, k, tt) in build)

    def is_open(p: int, t: int) -> mathopt.LinearSum:
        project = data.projects[p]
        return mathopt.fast_sum(build[p, k, tt] for k in range(len(project.sizes))
                                for tt in range(t + 1) if (p, k, tt) in build)

    first_open: dict[int, int] = {}
    for (p, _, t) in build:
        first_open[p] = min(t, first_open.get(p, t))
    flow: dict[tuple[int, int], mathopt.Variable] = {}
    by_source: dict[tuple[int, int], list[mathopt.Variable]] = {}
    by_demand: dict[tuple[int, int], list[mathopt.Variable]] = {}
    travel_terms: list[mathopt.LinearBase] = []
    revenue_terms: list[mathopt.LinearBase] = []
    oa_terms: list[mathopt.LinearBase] = []
    for a, arc in enumerate(data.arcs):
        is_project = arc.source >= n_sources
        for t in range(n_years):
            if data.demand[arc.demand][t] <= 0:
                continue
            if not is_project and data.source_capacity[arc.source][t] <= 0:
                continue
            if is_project and first_open.get(arc.source - n_sources, n_years) > t:
                continue
            x = model.add_variable(lb=0.0, name=f"x[{a},{years[t]}]")
            flow[a, t] = x
            by_source.setdefault((arc.source, t), []).append(x)
            by_demand.setdefault((arc.demand, t), []).append(x)
            if arc.minutes:
                travel_terms.append(arc.minutes * x)
            if arc.revenue_per_learner:
                # An out-of-area/independent place's fee is out-of-area cost; any other is revenue cost.
                (oa_terms if data.is_out_of_area_source(arc.source) else revenue_terms).append(
                    arc.revenue_per_learner * x)
            if is_project and options.strong_links:
                p = arc.source - n_sources
                bound_places = min(data.demand[arc.demand][t], max(data.projects[p].sizes))
                # Nobody is placed in a project before it opens (tight form: at most this group's demand).
                model.add_linear_constraint(x <= bound_places * is_open(p, t), name=f"link[{a},{years[t]}]")

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

    arcs_of_source: dict[int, list[int]] = {}
    for a, arc in enumerate(data.arcs):
        arcs_of_source.setdefault(arc.source, []).append(a)
    for i, sub in enumerate(data.sub_capacities):
        demands = set(sub.demands)
        for t in range(n_years):
            xs = [flow[a, t] for a in arcs_of_source.get(sub.source, [])
                  if data.arcs[a].demand in demands and (a, t) in flow]
            if xs:
                # A setting admits no more learners of a phase than its places for that phase.
                model.add_linear_constraint(mathopt.fast_sum(xs) <= sub.capacity[t],
                                            name=f"sub_cap[{i},{data.source_ids[sub.source]},{years[t]}]")

    oa_vars: dict[tuple[int, int], mathopt.Variable] = {}
    unmet_vars: dict[tuple[int, int], mathopt.Variable] = {}
    for d in range(len(data.demand_ids)):
        for t in range(n_years):
            need = data.demand[d][t]
            if need <= 0:
                continue
            served = list(by_demand.get((d, t), []))
            oa_cost = data.out_of_area_cost[d] if data.out_of_area_cost else None
            if oa_cost is not None:
                oa = model.add_variable(lb=0.0, name=f"oa[{data.demand_ids[d]},{years[t]}]")
                oa_vars[d, t] = oa
                served.append(oa)
                oa_terms.append(oa_cost * oa)
            if data.allow_unmet:
                u = model.add_variable(lb=0.0, name=f"unmet[{data.demand_ids[d]},{years[t]}]")
                unmet_vars[d, t] = u
                served.append(u)
            # Every learner needing a place is placed somewhere, out of area, or counted as unmet need.
            model.add_linear_constraint(mathopt.fast_sum(served) == need,
                                        name=f"demand[{data.demand_ids[d]},{years[t]}]")

    capital_expr: dict[int, list[mathopt.LinearBase]] = {}
    for (p, k, t), var in build.items():
        project = data.projects[p]
        capital_expr.setdefault(data.spend_year(project, years[t]), []).append(project.capital_by_size[k] * var)
    for year, terms in capital_expr.items():
        if year in data.budget_by_year:
            # Capital spent in a year stays within that year's capital budget.
            model.add_linear_constraint(mathopt.fast_sum(terms) <= data.budget_by_year[year], name=f"budget[{year}]")
    if data.budget_total is not None and capital_expr:
        # Capital over the whole programme stays within the total budget.
        model.add_linear_constraint(
            mathopt.fast_sum(term for terms in capital_expr.values() for term in terms) <= data.budget_total,
            name="budget_total")

    project_revenue_terms: list[mathopt.LinearBase] = []
    for p, project in enumerate(data.projects):
        if project.revenue_per_place:
            for t in range(n_years):
                project_revenue_terms.append(project.revenue_per_place * places_open(p, t))

    capital_all = [term for terms in capital_expr.values() for term in terms]
    model.minimize(
        weights.revenue * mathopt.fast_sum(revenue_terms + project_revenue_terms)
        + weights.travel_per_minute * mathopt.fast_sum(travel_terms)
        + weights.out_of_area * mathopt.fast_sum(oa_terms)
        + weights.unmet_learner_year * mathopt.fast_sum(unmet_vars.values())
        + weights.capital * mathopt.fast_sum(capital_all)
    )

    params = mathopt.SolveParameters(
        time_limit=_seconds(options.time_limit_seconds), relative_gap_tolerance=options.relative_gap,
        absolute_gap_tolerance=options.absolute_gap, random_seed=options.seed,
    )
    if options.solver == "scip":
        params.threads = options.threads  # HiGHS takes no thread count through MathOpt; its MIP runs serially
    model_params = None
    if hint:
        chosen = {(d.id, d.places, d.open_year) for d in hint}
        values = {var: (1.0 if (data.projects[p].id, data.projects[p].sizes[k], years[t]) in chosen else 0.0)
                  for (p, k, t), var in build.items()}
        model_params = mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(variable_values=values)])
    progress.report(0.05, f"solving expansion MIP ({len(build)} build choices, {len(flow)} flows)")
    solver_type = mathopt.SolverType.HIGHS if options.solver == "highs" else mathopt.SolverType.GSCIP
    if model_params is not None and solver_type == mathopt.SolverType.GSCIP:
        result = mathopt.solve(model, solver_type, params=params, model_params=model_params)
    else:
        result = _solve_interruptibly(model, solver_type, params, progress)
    wall = time.perf_counter() - started
    status = _STATUS.get(result.termination.reason, result.termination.reason.name.lower())
    if not result.has_primal_feasible_solution():
        return ExpansionSolution(status=status, objective=None, bound=None, gap=None, wall_seconds=wall,
                                 programme=[], breakdown={}, unmet_by_year={}, out_of_area_by_year={},
                                 capital_by_year={})
    objective = float(result.objective_value())
    bound = float(result.termination.objective_bounds.dual_bound)
    gap = abs(objective - bound) / max(abs(objective), 1e-9) if bound == bound and abs(bound) != float("inf") else None
    values = result.variable_values()

    programme: list[ProjectDecision] = []
    for (p, k, t), var in sorted(build.items()):
        if values[var] > 0.5:
            project = data.projects[p]
            programme.append(ProjectDecision(
                id=project.id, places=project.sizes[k], open_year=years[t],
                spend_year=data.spend_year(project, years[t]), capital=project.capital_by_size[k]))
    capital_by_year: dict[int, float] = {}
    for decision in programme:
        capital_by_year[decision.spend_year] = capital_by_year.get(decision.spend_year, 0.0) + decision.capital
    unmet_by_year = {year: 0.0 for year in years}
    for (_d, t), var in unmet_vars.items():
        unmet_by_year[years[t]] += values[var]
    oa_by_year = {year: 0.0 for year in years}
    for (_d, t), var in oa_vars.items():
        oa_by_year[years[t]] += values[var]
    flows = {key: values[var] for key, var in flow.items() if values[var] > 1e-9}
    outside = {key: v for key, v in flows.items() if data.is_out_of_area_source(data.arcs[key[0]].source)}
    for (_a, t), v in outside.items():
        oa_by_year[years[t]] += v
    project_places_years = sum(d.places * sum(1 for y in years if y >= d.open_year) * _revenue(data, d.id)
                               for d in programme)
    breakdown = {
        "revenue_existing_and_arcs": sum(data.arcs[a].revenue_per_learner * v for (a, t), v in flows.items()
                                         if (a, t) not in outside),
        "revenue_new_places": project_places_years,
        "travel_learner_minutes": sum(data.arcs[a].minutes * v for (a, _), v in flows.items()),
        "out_of_area_cost": sum((data.out_of_area_cost[d] or 0.0) * values[var] for (d, _), var in oa_vars.items())
        + sum(data.arcs[a].revenue_per_learner * v for (a, _), v in outside.items()),
        "out_of_area_learner_years": sum(oa_by_year.values()),
        "unmet_learner_years": sum(unmet_by_year.values()),
        "capital": sum(capital_by_year.values()),
    }
    progress.report(1.0, f"expansion solved: {status}")
    return ExpansionSolution(status=status, objective=objective, bound=bound, gap=gap, wall_seconds=wall,
                             programme=programme, breakdown=breakdown, unmet_by_year=unmet_by_year,
                             out_of_area_by_year=oa_by_year, capital_by_year=capital_by_year, flows=flows)


def _revenue(data: ExpansionData, project_id: str) -> float:
    return next(p.revenue_per_place for p in data.projects if p.id == project_id)


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)
