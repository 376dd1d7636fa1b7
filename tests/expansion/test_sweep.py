"""Sweeps give the same results on a local process pool and on a real Dask LocalCluster with worker processes."""

from __future__ import annotations

import pytest

from planner.expansion import ExpansionParameters, build_expansion_data
from planner.expansion_model import SolveOptions
from planner.sweep import SweepSettings, make_cases, run_sweep, solve_case
from scenarios.demo import build_demo
from scenarios.registry import get_scenario
from scenarios.spec import materialise_spec


def small_datasets() -> dict:
    base = build_demo("demo", 2026)
    params = ExpansionParameters(candidate_count=4, horizon_years=3)
    phase2, _ = materialise_spec(get_scenario("phase2-special-expansion"), base, get_scenario)
    return {"baseline": build_expansion_data(base, params)[0], "phase2": build_expansion_data(phase2, params)[0]}


SETTINGS = SweepSettings(weights=ExpansionParameters().weights, options=SolveOptions(relative_gap=1e-9))


def test_local_pool_matches_serial() -> None:
    datasets = small_datasets()
    cases = make_cases(list(datasets), draws=2, budgets=[0.0, 8e6])
    pooled = run_sweep(datasets, cases, SETTINGS, scheduler="", max_workers=2)
    serial = [solve_case(datasets[c.scenario], c, SETTINGS) for c in cases]
    assert pooled == serial
    assert [(r["scenario"], r["draw"], r["budget_total"]) for r in pooled] == [
        (c.scenario, c.draw, c.budget_total) for c in cases]
    assert all(r["capital"] == 0 for r in pooled if r["budget_total"] == 0)


@pytest.mark.slow
def test_dask_local_cluster_matches_local_pool() -> None:
    from distributed import Client, LocalCluster

    datasets = small_datasets()
    cases = make_cases(list(datasets), draws=3, budgets=[0.0, 8e6])
    local = run_sweep(datasets, cases, SETTINGS, scheduler="", max_workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        remote = run_sweep(datasets, cases, SETTINGS, client=client)
    assert remote == local
