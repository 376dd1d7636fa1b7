"""Calibrated bands of the cohort model (planner.forecast.cohort_calibration) on Vale of Zed's five returns
(tests/data/realshape/sen2_history): the spread moves about an unchanged median by exactly the scale, two training
returns leave the model's own bands, and no return after the training year changes the calibration."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.forecast.cohort import CohortForecast, CohortSettings, Snapshot
from planner.forecast.cohort_backtest import backtest_returns
from planner.forecast.cohort_calibration import inner_errors, rescaled

REALSHAPE = Path(__file__).resolve().parents[1] / "data" / "realshape"
SMALL = CohortSettings(draws=300, parameter_sets=30, seed=5)


@pytest.fixture(scope="module")
def returns() -> list[Snapshot]:
    from planner.io.gias import read_gias
    from planner.io.sen2.history import read_returns, return_sources

    settings = read_gias(REALSHAPE / "gias_extract.csv", la_code="990", skip_invalid=True).settings
    return read_returns(return_sources([REALSHAPE / "sen2_history"]), settings)


def test_rescaling_doubles_log_distances_from_the_median() -> None:
    logs = np.log(1000.0) + np.linspace(-0.2, 0.2, 401)[:, None] * np.array([[1.0, 2.0]])  # (draws, horizon)
    forecast = CohortForecast(base_year=2025, years=(2026, 2027),
                              draws={"all_plans": np.exp(logs), "special_schools": np.exp(logs)})
    out = rescaled(forecast, {"all_plans": 2.0, "special_schools": 1.0})
    q = np.log(out.quantiles("all_plans"))
    assert q[1] == pytest.approx([np.log(1000.0)] * 2)  # the median stays
    # p10 of the evenly spread logs is at -0.16 (times the year's width), now twice as far
    assert q[1] - q[0] == pytest.approx([0.32, 0.64], rel=1e-9)
    assert q[2] - q[1] == pytest.approx([0.32, 0.64], rel=1e-9)
    assert (out.draws["special_schools"] == forecast.draws["special_schools"]).all()


def test_two_training_returns_keep_the_models_own_bands(returns: list[Snapshot]) -> None:
    """No origin before the second return: nothing to calibrate on, the bands are the uncalibrated model's."""
    assert inner_errors(returns[:2], SMALL) == {"all_plans": [], "special_schools": []}
    calibrated = backtest_returns(returns, 2022, 1, SMALL)
    plain = backtest_returns(returns, 2022, 1, SMALL.model_copy(update={"calibrate": False}))
    assert calibrated.spread_scales == {"all_plans": 1.0, "special_schools": 1.0}
    assert [(r.p10, r.p50, r.p90) for r in calibrated.rows] == [(r.p10, r.p50, r.p90) for r in plain.rows]


def test_the_bands_move_by_the_scale_about_the_same_median(returns: list[Snapshot]) -> None:
    calibrated = backtest_returns(returns, 2024, 1, SMALL)
    plain = backtest_returns(returns, 2024, 1, SMALL.model_copy(update={"calibrate": False}))
    # Origins 2022 (scored on 2023 and 2024) and 2023 (on 2024): three errors per measure
    assert {m: len(v) for m, v in inner_errors(returns[:4], SMALL).items()} == {"all_plans": 3, "special_schools": 3}
    for c, p in zip(calibrated.rows, plain.rows, strict=True):
        scale = calibrated.spread_scales[c.measure]
        assert scale != 1.0
        assert c.p50 == pytest.approx(p.p50)
        assert np.log(c.p90 / c.p50) == pytest.approx(scale * np.log(p.p90 / p.p50), rel=0.02)
        assert np.log(c.p50 / c.p10) == pytest.approx(scale * np.log(p.p50 / p.p10), rel=0.02)


def test_no_return_after_the_training_year_moves_the_calibration(returns: list[Snapshot]) -> None:
    clean = backtest_returns(returns, 2024, 1, SMALL)
    poisoned = [replace(s, kind=np.zeros_like(s.kind), ncy=np.zeros_like(s.ncy)) if s.year > 2024 else s
                for s in returns]
    again = backtest_returns(poisoned, 2024, 1, SMALL)
    assert again.spread_scales == clean.spread_scales
    assert [(r.p10, r.p90) for r in again.rows] == [(r.p10, r.p90) for r in clean.rows]
