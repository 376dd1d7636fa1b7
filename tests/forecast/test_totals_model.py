"""The totals model's pieces against hand-computed values: growth rates, damping, shrinkage, the damped path."""

from __future__ import annotations

import numpy as np
import pytest

from planner.forecast.totals import (
    LaFit,
    MeasureFit,
    TotalsSettings,
    compound_growth,
    contiguous_history,
    damping,
    fit_la,
    fit_measure,
    log_growth,
    rng_for,
    shrinkage_weight,
    simulate,
)

SETTINGS = TotalsSettings(draws=400)


def test_history_is_the_unbroken_run_ending_at_the_last_year() -> None:
    assert contiguous_history({2019: 5, 2020: 0, 2021: 7, 2022: 8, 2023: 9}, 2022) == {2021: 7.0, 2022: 8.0}
    assert contiguous_history({2019: 5}, 2022) == {}
    assert log_growth({2020: 100, 2021: 110, 2023: 121}) == {2021: pytest.approx(np.log(1.1))}


def test_damping_is_the_lag_one_ratio_within_bounds() -> None:
    assert damping([0.10, 0.09], SETTINGS) == pytest.approx(0.9)  # 0.009 / 0.01
    assert damping([0.2, 0.1], SETTINGS) == pytest.approx(0.8)  # 0.5, raised to the lower bound
    assert damping([0.1, 0.1, 0.1], SETTINGS) == pytest.approx(0.98)  # 1.0, lowered to the upper bound
    assert damping([0.1], SETTINGS) == pytest.approx(0.98)  # not estimable: the upper bound


def test_shrinkage_from_between_and_within_variances() -> None:
    """Mean deviations 0.01, -0.01, 0.03 over 3 years each, residual variance 0.0003 each: s^2 = 0.0003,
    tau^2 = var(0.01, -0.01, 0.03) - 0.0003 / 3 = 0.0004 - 0.0001 = 0.0003, w(n=3) = 0.0003 / 0.0004 = 0.75."""
    las = [LaFit(la_code=c, measure="all_plans", last_year=2022, last_value=100.0, growth_years=3,
                 mean_deviation=d, residual_variance=0.0003) for c, d in (("A", 0.01), ("B", -0.01), ("C", 0.03))]
    fit = fit_measure("all_plans", las, {2020: 0.1, 2021: 0.1, 2022: 0.1}, SETTINGS)
    assert fit.within_variance == pytest.approx(0.0003)
    assert fit.between_variance == pytest.approx(0.0003)
    assert shrinkage_weight(las[0], fit) == pytest.approx(0.75)
    one_year = LaFit(la_code="D", measure="all_plans", last_year=2022, last_value=100.0, growth_years=1,
                     mean_deviation=0.03, residual_variance=0.0)
    assert shrinkage_weight(one_year, fit) == pytest.approx(0.0003 / 0.0006)  # a short history leans on England


def test_fit_la_reads_deviations_from_the_reference() -> None:
    la = fit_la("A", "all_plans", {2020: 100, 2021: 120, 2022: 132}, {2021: np.log(1.1), 2022: np.log(1.1)})
    assert la.growth_years == 2 and la.last_value == 132 and la.last_year == 2022
    expected = [np.log(1.2) - np.log(1.1), np.log(1.1) - np.log(1.1)]
    assert la.mean_deviation == pytest.approx(np.mean(expected))
    assert la.residual_variance == pytest.approx(np.var(expected, ddof=1))


def test_without_variance_the_path_is_the_damped_trend() -> None:
    """England grows 10% (log) every year, the LA like England, no noise: p = last x exp(0.1 (0.98 + 0.98^2 ..))."""
    fit = MeasureFit(measure="all_plans", damping=0.98, reference_growth=(0.1, 0.1, 0.1), between_variance=0.0,
                     within_variance=0.0, las_used=3)
    la = LaFit(la_code="A", measure="all_plans", last_year=2022, last_value=1000.0, growth_years=3,
               mean_deviation=0.05, residual_variance=0.0)
    draws = simulate(la, fit, 3, SETTINGS, rng_for(1, "A", 0))
    steps = np.cumsum(0.98 ** np.arange(1, 4))
    assert np.allclose(draws, 1000.0 * np.exp(0.1 * steps)[None, :])  # tau^2 = 0: w = 0, the deviation is ignored


def test_bands_widen_with_the_horizon_and_the_seed_fixes_them() -> None:
    fit = MeasureFit(measure="all_plans", damping=0.95, reference_growth=(0.09, 0.1, 0.11), between_variance=1e-4,
                     within_variance=4e-4, las_used=10)
    la = LaFit(la_code="A", measure="all_plans", last_year=2022, last_value=1000.0, growth_years=3,
               mean_deviation=0.02, residual_variance=3e-4)
    draws = simulate(la, fit, 5, SETTINGS, rng_for(7, "A", 0))
    q10, q90 = np.quantile(draws, [0.1, 0.9], axis=0)
    assert (np.diff(np.log(q90 / q10)) > 0).all()
    assert np.array_equal(draws, simulate(la, fit, 5, SETTINGS, rng_for(7, "A", 0)))
    assert not np.array_equal(draws, simulate(la, fit, 5, SETTINGS, rng_for(8, "A", 0)))


def test_compound_growth_of_a_single_year_is_the_last_value() -> None:
    assert list(compound_growth({2022: 50.0}, 2)) == [50.0, 50.0]


def test_drift_variance_recovers_a_local_level_in_growth() -> None:
    """Growth rates made by r_t = mu_t + e_t, mu_t = mu_t-1 + eta_t over 400 LAs x 6 years: the pooled moment
    estimator finds sigma_eta^2 (and 0 when growth does not drift)."""
    from planner.forecast.totals import LaFit, drift_variance

    rng = np.random.default_rng(7)

    def fits(eta_sd: float) -> list[LaFit]:
        out = []
        for i in range(400):
            mu = 0.08 + np.cumsum(rng.normal(0.0, eta_sd, 6))
            growth = tuple(float(v) for v in mu + rng.normal(0.0, 0.02, 6))
            out.append(LaFit(la_code=f"E{i}", measure="all_plans", last_year=2025, last_value=1000.0,
                             growth_years=6, mean_deviation=0.0, residual_variance=0.0, growth=growth))
        return out

    assert drift_variance(fits(0.03)) == pytest.approx(0.03 ** 2, rel=0.25)
    assert drift_variance(fits(0.0)) < 0.1 * 0.03 ** 2


def test_spread_scale_is_the_shrunk_root_mean_square_error() -> None:
    from planner.forecast.totals import TotalsSettings, spread_scale, squared_errors

    settings = TotalsSettings(calibration_prior_errors=4.0)
    assert spread_scale([], settings) == 1.0
    assert spread_scale([4.0] * 4, settings) == pytest.approx(np.sqrt((16 + 4) / 8))
    draws = np.exp(np.random.default_rng(1).normal(np.log(100.0), 0.1, (20_000, 1)))
    # An actual 2 sd above the mean log draw has z^2 = 4.
    assert squared_errors(draws, [100.0 * np.exp(0.2)])[0] == pytest.approx(4.0, rel=0.05)
