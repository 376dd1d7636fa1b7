"""Sweeps give the same results on a local process pool and on a real Dask LocalCluster with worker processes."""

from __future__ import annotations

import pytest

from planner.expansion.model import ObjectiveWeights, SolveOptions
from scenarios.sweep import SweepProblem, SweepSettings, make_cases, run_sweep, scenario_problems, solve_case


@pytest.fixture(scope="module")
def problems() -> dict[str, SweepProblem]:
    return scenario_problems(candidate_count=2, horizon_years=2, draws=2, runs=30,
                             scenarios=["phase2-special-expansion"])


SETTINGS = SweepSettings(weights=ObjectiveWeights(), options=SolveOptions(relative_gap=1e-9))


def test_local_pool_matches_serial(problems: dict[str, SweepProblem]) -> None:
    cases = make_cases(list(problems), draws=2, budgets=[0.0, 8e6])
    pooled = run_sweep(problems, cases, SETTINGS, scheduler="", max_workers=2)
    serial = [solve_case(problems[c.scenario], c, SETTINGS) for c in cases]
    assert pooled == serial
    assert [(r["scenario"], r["draw"], r["budget_total"]) for r in pooled] == [
        (c.scenario, c.draw, c.budget_total) for c in cases]
    assert all(r["capital"] == 0 for r in pooled if r["budget_total"] == 0)


@pytest.mark.slow
def test_dask_local_cluster_matches_local_pool(problems: dict[str, SweepProblem]) -> None:
    from distributed import Client, LocalCluster

    cases = make_cases(list(problems), draws=3, budgets=[0.0, 8e6])
    local = run_sweep(problems, cases, SETTINGS, scheduler="", max_workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        remote = run_sweep(problems, cases, SETTINGS, client=client)
    assert remote == local
