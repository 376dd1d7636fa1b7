"""Quantiles of totals come from the totals of the draws, never from summing cell quantiles (sufficiency demand,
expansion demand and the cohort backtest)."""

from __future__ import annotations

import numpy as np
import pytest

from planner.domain.models import Instance
from planner.expansion.demand import forecast_cells, quantile_demand
from planner.forecast.simulation import MEASURES, forecast
from planner.sufficiency import POOLS, demand_by_year, round_demand, share_total


@pytest.fixture(scope="module")
def projection(history_factory):  # type: ignore[no-untyped-def]
    instance: Instance = history_factory(seed=5)
    return forecast(instance, {"runs": 400, "horizon_years": 3, "seed": 11})


def test_total_quantile_is_the_quantile_of_the_runs_totals(projection) -> None:  # type: ignore[no-untyped-def]
    m = MEASURES.index("specialist")
    totals = projection.counts[..., m].sum(axis=(2, 3, 4))
    assert np.allclose(projection.total_quantile(0.9, "specialist"), np.quantile(totals, 0.9, axis=0))
    by_need = projection.total_quantile(0.9, "specialist", keep=(0,))
    assert np.allclose(by_need, np.quantile(projection.counts[..., m].sum(axis=(3, 4)), 0.9, axis=0))
    # The sum of cell p90s overstates the p90 of the total (the defect this guards against).
    summed_cells = projection.quantile(0.9, "specialist").sum(axis=(1, 2, 3))
    assert (summed_cells > 1.05 * np.quantile(totals, 0.9, axis=0)).all()


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_sufficiency_demand_totals_are_quantiles_of_totals(projection, q: float) -> None:  # type: ignore[no-untyped-def]
    demand = demand_by_year(projection, q)
    for pool, measure in POOLS.items():
        expected = round_demand(projection.total_quantile(q, measure))
        for y, year in enumerate(projection.years):
            total = sum(v for (_, _, _, p), v in demand[year].items() if p == pool)
            assert total == expected[y], (pool, year)


def test_expansion_demand_uses_the_same_totals(projection) -> None:  # type: ignore[no-untyped-def]
    cells = forecast_cells(projection)
    rows = quantile_demand(projection, 0.9, cells)
    for pool, measure in POOLS.items():
        expected = round_demand(projection.total_quantile(0.9, measure))
        got = [sum(row[y] for row, cell in zip(rows, cells, strict=True) if cell[3] == pool)
               for y in range(len(projection.years))]
        assert got == list(expected)


def test_share_total_by_largest_remainder() -> None:
    assert list(share_total(np.array([1.0, 1.0, 1.0]), 4)) == [2, 1, 1]
    assert list(share_total(np.array([0.5, 2.5, 0.0]), 5)) == [1, 4, 0]  # 0.83 -> 0 + 1, 4.17 -> 4
    assert list(share_total(np.array([0.0, 0.0]), 3)) == [0, 0]
    assert share_total(np.array([[1.0, 3.0]]), 8).tolist() == [[2, 6]]


def test_scap_demand_is_the_quantile_of_the_phase_totals(history_factory, projection) -> None:  # type: ignore[no-untyped-def]
    from planner.forecast.rates import PHASES
    from planner.io.sufficiency_export import scap_rows

    instance = history_factory(seed=5)  # the council the projection was made for (its capacity)
    m = MEASURES.index("specialist")
    per_phase = projection.counts[..., m].sum(axis=(2, 4))  # run, year, phase
    for q in (0.5, 0.9):
        rows = scap_rows(instance, projection, quantile=q)
        for row in rows:
            y = projection.years.index(row["academic_year"])
            p = PHASES.index(row["phase"])
            expected = np.quantile(per_phase[:, y, p], q)
            assert row["forecast_specialist_learners"] == round(expected)
            if q == 0.9:
                # Not the sum of the cells' p90s (which is higher wherever the cells vary independently).
                cells = projection.quantile(0.9, "specialist")[y, :, p, :].sum()
                assert cells >= expected
    summed = projection.quantile(0.9, "specialist").sum(axis=(1, 3))  # year, phase
    exact = np.quantile(per_phase, 0.9, axis=0)
    assert (summed > 1.02 * exact)[:, [PHASES.index(x) for x in ("primary", "secondary")]].any()
