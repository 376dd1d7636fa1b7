"""Sweeps of expansion solves over (scenario x forecast draw x budget), on Dask distributed or a local process pool.

Why: a planner asks "how robust is the programme, and what does each extra million buy?" across many forecast
draws and budgets; each case is an independent MIP, so they spread across processes or a cluster. When
`PLACEPLAN_DASK_SCHEDULER` (a scheduler address such as tcp://10.0.0.5:8786) is set the cases run on that Dask
cluster; otherwise on a local `concurrent.futures.ProcessPoolExecutor`. Both give identical results (the solver is
deterministic for a case), which a test checks against a real `distributed.LocalCluster`.

A case's demand is the forecast's: draw 0 is the chosen quantile (p50 by default), draw k >= 1 is Monte Carlo run
k - 1 of the same forecast (`planner.expansion.demand.forecast_draws`), carried with the problem so a worker needs
nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from planner.expansion.model import ExpansionData, ObjectiveWeights, SolveOptions, solve_expansion_data
from planner.expansion.programme import with_budget, with_demand
from planner.solving.progress import NullProgress, Progress, RunCancelled

SCHEDULER_ENV = "PLACEPLAN_DASK_SCHEDULER"


@dataclass(frozen=True)
class SweepProblem:
    """One scenario's MIP (central demand) and its forecast draws (demand rows per draw, cell x year)."""

    data: ExpansionData
    draws: tuple[tuple[tuple[float, ...], ...], ...] = ()


@dataclass(frozen=True)
class SweepCase:
    """One case: a scenario's problem, a demand draw (0 = the central quantile) and a total capital budget."""

    scenario: str
    draw: int
    budget_total: float


@dataclass(frozen=True)
class SweepSettings:
    weights: ObjectiveWeights
    options: SolveOptions


def sweep_problem(data: ExpansionData, draws: Sequence[Sequence[Sequence[float]]] = ()) -> SweepProblem:
    return SweepProblem(data=data, draws=tuple(tuple(tuple(row) for row in path) for path in draws))


def solve_case(problem: SweepProblem, case: SweepCase, settings: SweepSettings) -> dict[str, Any]:
    """Solve one case; a plain top-level function so it pickles for process pools and Dask workers."""
    data = with_budget(problem.data, case.budget_total)
    if case.draw > 0:
        if case.draw > len(problem.draws):
            raise ValueError(f"case {case}: draw {case.draw} asked, the problem carries {len(problem.draws)} draws")
        data = with_demand(data, problem.draws[case.draw - 1])
    solution = solve_expansion_data(data, settings.weights, settings.options)
    return {
        "scenario": case.scenario, "draw": case.draw, "budget_total": case.budget_total,
        "status": solution.status, "objective": solution.objective, "gap": solution.gap,
        "unmet_learner_years": solution.breakdown.get("unmet_learner_years"),
        "out_of_area_learner_years": solution.breakdown.get("out_of_area_learner_years"),
        "capital": solution.breakdown.get("capital"),
        "programme": sorted((d.id, d.places, d.open_year) for d in solution.programme),
    }


def _solve_packed(packed: tuple[SweepProblem, SweepCase, SweepSettings]) -> dict[str, Any]:
    return solve_case(*packed)


def make_cases(scenarios: Sequence[str], draws: int, budgets: Sequence[float]) -> list[SweepCase]:
    """Cases for draws 0 (central) .. draws - 1 (forecast runs 0 .. draws - 2) at every budget."""
    return [SweepCase(s, d, b) for s in scenarios for d in range(draws) for b in budgets]


def run_sweep(problems: Mapping[str, SweepProblem], cases: Sequence[SweepCase], settings: SweepSettings,
              scheduler: str | None = None, max_workers: int | None = None, client: Any = None,
              progress: Progress | None = None) -> list[dict[str, Any]]:
    """Results in case order. Dask when `client` or a scheduler (argument or PLACEPLAN_DASK_SCHEDULER) is given."""
    progress = progress or NullProgress()
    for case in cases:
        if case.scenario not in problems:
            raise KeyError(f"case for unknown scenario {case.scenario!r}")
        if case.draw > len(problems[case.scenario].draws):
            raise ValueError(f"case {case}: scenario {case.scenario!r} carries {len(problems[case.scenario].draws)} "
                             "forecast draws")
    address = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV)
    if client is not None or address:
        return _run_on_dask(problems, cases, settings, client, address, progress)
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=max_workers) as pool:
        packed = [(problems[c.scenario], c, settings) for c in cases]
        for i, result in enumerate(pool.map(_solve_packed, packed, chunksize=max(1, len(cases) // 32))):
            results.append(result)
            _tick(progress, i + 1, len(cases), pool.shutdown)
    return results


def _tick(progress: Progress, done: int, total: int, stop: Callable[..., Any]) -> None:
    progress.report(done / total, f"{done}/{total} cases")
    if progress.should_stop():
        stop(wait=False, cancel_futures=True)
        raise RunCancelled("sweep cancelled")


def _run_on_dask(problems: Mapping[str, SweepProblem], cases: Sequence[SweepCase], settings: SweepSettings,
                 client: Any, address: str | None, progress: Progress) -> list[dict[str, Any]]:
    from distributed import Client, as_completed

    own_client = client is None
    active = client if client is not None else Client(address)
    try:
        # Each scenario's problem (with its draws) goes to the workers once, not once per case.
        scattered = {name: active.scatter(problem, broadcast=True) for name, problem in problems.items()}
        futures = [active.submit(solve_case, scattered[c.scenario], c, settings, pure=False) for c in cases]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict[str, Any] | None] = [None] * len(cases)
        for done, future in enumerate(as_completed(futures), start=1):
            results[index[future.key]] = future.result()
            progress.report(done / len(cases), f"{done}/{len(cases)} cases")
            if progress.should_stop():
                active.cancel(futures)
                raise RunCancelled("sweep cancelled")
        return [r for r in results if r is not None]
    finally:
        if own_client:
            active.close()


def scenario_problems(preset: str = "demo", seed: int = 2026, candidate_count: int = 8, horizon_years: int = 5,
                      draws: int = 10, runs: int = 200, scenarios: Sequence[str] | None = None,
                      nearest_sources: int | None = 12) -> dict[str, SweepProblem]:
    """The baseline and shipped scenarios on a preset: each one's MIP (forecast p50) and `draws` forecast runs."""
    from planner.expansion.demand import forecast_draws
    from planner.expansion.programme import ExpansionParameters, build_expansion_data
    from planner.forecast.simulation import ForecastParameters
    from scenarios.registry import get_scenario, load_base, scenario_names
    from scenarios.spec import ScenarioBase, all_parameters, materialise_spec

    base = load_base(ScenarioBase(preset=preset, seed=seed))
    settings = {"candidate_count": candidate_count, "horizon_years": horizon_years, "marginal_values": False,
                "nearest_sources": nearest_sources, "forecast": ForecastParameters(runs=max(runs, draws))}
    problems: dict[str, SweepProblem] = {}
    overrides: dict[str, Any]
    for name in ["baseline", *(scenario_names() if scenarios is None else scenarios)]:
        if name == "baseline":
            instance, overrides = base, {}
        else:
            spec = get_scenario(name)
            instance, overrides = materialise_spec(spec, base, get_scenario)
            overrides = {**all_parameters(spec, get_scenario), **overrides}
        params = ExpansionParameters.model_validate({**settings, **overrides})
        data, labels = build_expansion_data(instance, params)
        problems[name] = sweep_problem(data, forecast_draws(labels["projection"], labels["cells"], draws))
    return problems


def sweep_benchmark(cases: int = 200, workers: int = 2, dask_workers: int = 2,
                    progress: Progress | None = None) -> dict[str, Any]:
    """The shipped scenarios on the demo council, 8 candidates, 5 years, draws x 5 budgets; timed both ways."""
    import time

    from scenarios.registry import scenario_names

    budgets = [0.0, 5e6, 10e6, 20e6, 40e6]
    per_draw = (1 + len(scenario_names())) * len(budgets)
    draws = max(1, -(-cases // per_draw))
    problems = scenario_problems(draws=draws)
    all_cases = make_cases(list(problems), draws, budgets)[:cases]
    # 1% gap; a generous time limit so no case stops on time (a timed-out case could differ between the runs).
    settings = SweepSettings(weights=ObjectiveWeights(), options=SolveOptions(relative_gap=0.01,
                                                                               time_limit_seconds=300))
    started = time.perf_counter()
    local = run_sweep(problems, all_cases, settings, scheduler="", max_workers=workers, progress=progress)
    figures: dict[str, Any] = {"cases": len(all_cases), "local_wall": time.perf_counter() - started}
    if dask_workers > 0:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=dask_workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            started = time.perf_counter()
            remote = run_sweep(problems, all_cases, settings, client=client, progress=progress)
            figures["dask_wall"] = time.perf_counter() - started
        figures["identical"] = remote == local
    return figures

