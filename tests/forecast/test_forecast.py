"""The forecast: rate recovery from a synthetic history, national fallback, exact bookkeeping, levers, backtest."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance
from planner.forecast.backtest import backtest
from planner.forecast.rates import (
    KIND_INDEX,
    NEED_INDEX,
    EstimationSettings,
    PlacementMix,
    caseload_arrays,
    estimate_rate_arrays,
    estimate_rates,
    national_trend,
    ncy_index,
)
from planner.forecast.simulation import (
    MEASURES,
    ForecastParameters,
    MoveShift,
    expected_counts,
    forecast,
    parse_forecast_parameters,
    run_forecast,
)
from planner.solving.progress import NullProgress, RunCancelled

WEAK_PRIOR = EstimationSettings(history_years=2, prior_learner_years=1.0, prior_joiner_years=0.01,
                                prior_mix_learners=1.0)


def test_estimator_recovers_known_rates(history_factory: Callable[..., Instance]) -> None:
    """A history simulated from known rates gives back those rates (moves over 2 years: few repeat moves)."""
    instance = history_factory(joiners_per_cell=12.0, seed=11)
    rates, _, provenance = estimate_rate_arrays(caseload_arrays(instance), WEAK_PRIOR)
    assert provenance["history_fields"] == {"plan_start": True, "plan_end": True, "setting_start": True}
    school = [ncy_index(n) for n in range(1, 13) if n + 1 not in (7, 12)]
    assert np.allclose(rates.leave[school], 0.04, atol=0.012)
    assert np.allclose(rates.leave[[ncy_index(n) for n in (14, 15)]], 0.3, atol=0.06)
    assert np.allclose(rates.move[[ncy_index(n) for n in range(1, 6)]], 0.05, atol=0.015)
    assert np.allclose(rates.move[[ncy_index(6), ncy_index(11)]], 0.25, atol=0.05)
    # Joiners: 12 a year in every (NCY -1..11) x (ASD, SEMH, SLCN) x locality cell.
    cells = rates.joiners[ncy_index(-1):ncy_index(11) + 1][:, [NEED_INDEX[n] for n in (Need.ASD, Need.SEMH, Need.SLCN)]]
    assert cells.mean() == pytest.approx(12.0, rel=0.05)
    assert rates.joiners[:, NEED_INDEX[Need.PD]].sum() < 0.001 * cells.sum()  # no PD joiners: prior only
    # Destinations of movers (pooled over school NCYs and needs): 50% mainstream, 30% special, 10% RP, 10% indep.
    dest = rates.destination_mix[ncy_index(1):ncy_index(12)][:, [NEED_INDEX[n] for n in (Need.ASD, Need.SEMH)]]
    pooled = dest.reshape(-1, dest.shape[-1]).mean(axis=0)
    assert pooled[KIND_INDEX["mainstream"]] == pytest.approx(0.5, abs=0.06)
    assert pooled[KIND_INDEX["special"]] == pytest.approx(0.3, abs=0.06)
    assert pooled[KIND_INDEX["independent_special"]] == pytest.approx(0.1, abs=0.04)
    joiner = rates.joiner_mix[ncy_index(0):ncy_index(10)][:, NEED_INDEX[Need.ASD]].mean(axis=0)
    assert joiner[KIND_INDEX["mainstream"]] == pytest.approx(0.8, abs=0.05)
    assert joiner[KIND_INDEX["pru_ap"]] == pytest.approx(0.05, abs=0.03)


def test_no_history_falls_back_to_national(history_instance: Instance) -> None:
    """Without plan_start/plan_end/setting_start the rates are the national defaults from sen2_trend.yaml."""
    learners = tuple(learner.model_copy(update={"plan_start": None, "plan_end": None, "setting_start": None})
                     for learner in history_instance.learners if learner.plan_end is None)
    bare = history_instance.replace(learners=learners)
    rates, _, provenance = estimate_rate_arrays(caseload_arrays(bare))
    trend = national_trend()
    assert provenance["history_years"] == []
    assert rates.leave[ncy_index(5)] == pytest.approx(trend.leave_probability_by_ncy[5])
    assert rates.move[ncy_index(6)] == pytest.approx(trend.move_probability_at_transfer)
    assert rates.joiners.sum() == pytest.approx(len(learners) * trend.new_plans_per_plan, rel=1e-3)


def test_same_seed_same_forecast_and_bookkeeping(history_instance: Instance) -> None:
    params = {"horizon_years": 3, "runs": 50, "seed": 5}
    a = forecast(history_instance, params)
    b = forecast(history_instance, params)
    c = forecast(history_instance, {**params, "seed": 6})
    assert np.array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)
    # all plans = specialist + alternative provision + the rest, never less than either part
    assert (a.counts[..., 0] >= a.counts[..., 1] + a.counts[..., 2]).all()
    assert a.counts.shape == (50, 3, len(Need), 5, 3, len(MEASURES))


def test_no_leavers_movers_or_joiners_keeps_everyone_in_place(history_instance: Instance) -> None:
    """With user rates of zero, year h holds exactly the base caseload aged h years (up to NCY 20)."""
    rates = estimate_rates(history_instance).model_copy(update={
        "joiners": [], "leave_probability": {n: 0.0 for n in range(-2, 21)},
        "move_probability": {n: 0.0 for n in range(-2, 21)}})
    result = forecast(history_instance, {"horizon_years": 4, "runs": 3, "rates": rates.model_dump()})
    case = caseload_arrays(history_instance)
    on = case.on_caseload_in_base_year
    for h in range(1, 5):
        ncy = case.ncy_in(history_instance.base_year + h)[on]
        expected_total = int((ncy <= 20).sum())
        specialist = case.kind[on] >= KIND_INDEX[SettingKind.RESOURCED_PROVISION.value]
        expected_specialist = int(((ncy <= 20) & specialist & (case.kind[on] != KIND_INDEX["pru_ap"])).sum())
        assert (result.counts[:, h - 1, ..., 0].sum(axis=(1, 2, 3)) == expected_total).all()
        assert (result.counts[:, h - 1, ..., 1].sum(axis=(1, 2, 3)) == expected_specialist).all()


def test_levers_move_the_forecast(history_instance: Instance) -> None:
    base = {"horizon_years": 3, "runs": 200, "seed": 1}
    plain = forecast(history_instance, base)
    fewer = forecast(history_instance, {**base, "joiner_scale": 0.5})
    assert fewer.counts[:, -1, ..., 0].sum() < plain.counts[:, -1, ..., 0].sum()
    capped = forecast(history_instance, {**base, "growth_cap": 0.0})
    start = int(caseload_arrays(history_instance).on_caseload_in_base_year.sum())
    assert (capped.counts[:, :, ..., 0].sum(axis=(2, 3, 4)) <= start).all()
    shift = MoveShift(from_year=history_instance.base_year + 1, from_kind="independent_special", to_kind="special",
                      fraction=1.0, ncys=list(range(-2, 21)))
    shifted = forecast(history_instance, {**base, "move_shifts": [shift.model_dump()]})
    # No new independent placements at all: the independent count can only fall after the shift.
    assert shifted.rates.destination_mix is not None
    ind = KIND_INDEX["independent_special"]
    assert plain.rates.destination_mix[..., ind].max() > 0
    spec_plain = plain.quantile(0.5, "specialist").sum()
    spec_shifted = shifted.quantile(0.5, "specialist").sum()
    assert spec_shifted == pytest.approx(spec_plain, rel=0.1)  # specialist total broadly unchanged


def test_parameters_are_validated_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="horizon_years"):
        parse_forecast_parameters({"horizon_years": 11})
    with pytest.raises(ValueError, match="from_kind"):
        MoveShift(from_year=2027, from_kind="castle", to_kind="special", fraction=0.5)
    assert ForecastParameters().runs == 1000


def test_cancellation_stops_the_forecast(history_instance: Instance) -> None:
    class Stop(NullProgress):
        def should_stop(self) -> bool:
            return True

    with pytest.raises(RunCancelled):
        run_forecast(history_instance, {"runs": 5}, Stop())


def test_run_forecast_is_json_ready(history_instance: Instance) -> None:
    import json

    out = run_forecast(history_instance, {"horizon_years": 2, "runs": 20}, NullProgress())
    assert out["status"] == "ok" and out["statistics"]["runs"] == 20
    json.dumps(out)
    assert {"p10", "p50", "p90"} <= set(out["forecast"][0])
    # Fan-chart totals: the p90 of the runs' totals, not the sum of the cells' p90s.
    again = forecast(history_instance, {"horizon_years": 2, "runs": 20})
    runs_totals = again.counts[..., 0].sum(axis=(2, 3, 4))
    assert out["totals"]["all_plans"]["p90"] == np.quantile(runs_totals, 0.9, axis=0).tolist()
    assert out["totals"]["all_plans"]["p90"] != again.quantile(0.9, "all_plans").sum(axis=(1, 2, 3)).tolist()


def test_backtest_reports_mape_by_need_and_phase(history_factory: Callable[..., Instance]) -> None:
    """Fit on history to Y-2, forecast Y-1..Y: the model that generated the data forecasts it well."""
    instance = history_factory(joiners_per_cell=6.0, seed=3)
    report = backtest(instance, 2, {"runs": 200, "estimation": {"prior_learner_years": 1.0,
                                                                 "prior_joiner_years": 0.01,
                                                                 "prior_mix_learners": 1.0}})
    assert report["fitted_up_to_year"] == instance.base_year - 2
    assert set(report["mape_by_need"]) == {"ASD", "SEMH", "SLCN"}
    assert report["mape_by_phase"]["primary"] < 0.08
    assert report["mape"] < 0.25


Arrays = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def _initial(instance: Instance) -> Arrays:
    case = caseload_arrays(instance)
    on = case.on_caseload_in_base_year
    return case.ncy_in(instance.base_year)[on], case.need[on], case.locality[on], case.kind[on]


@pytest.mark.parametrize("levers", [
    {},
    {"joiner_scale_by_need": {"ASD": 2.0}, "joiner_growth_per_year": 0.1,
     "move_shifts": [{"from_year": 2028, "from_kind": "special", "to_kind": "pru_ap", "fraction": 0.5,
                      "ncys": list(range(-2, 21))}]},
])
def test_monte_carlo_mean_matches_the_expected_value_projection(history_instance: Instance,
                                                                levers: dict[str, object]) -> None:
    """The cohort simulation is unbiased: per cell, the mean over 2,000 runs is within 5 standard errors (plus a
    small floor) of the deterministic expected-value projection, with and without levers."""
    params = parse_forecast_parameters({"horizon_years": 4, "runs": 2000, "seed": 9, **levers})
    result = forecast(history_instance, params)
    expected = expected_counts(result.rates, _initial(history_instance), params, history_instance.base_year,
                               len(result.locality_ids))
    mean = result.counts.mean(axis=0)
    # Counts are sums of independent Bernoulli/Poisson parts: variance <= mean, so SE <= sqrt(expected / runs).
    tolerance = 5.0 * np.sqrt(expected / params.runs) + 0.02
    assert np.abs(mean - expected).max() > 0  # a real comparison, not two empty arrays
    assert (np.abs(mean - expected) <= tolerance).all()
    totals_mean, totals_expected = mean[..., 0].sum(axis=(1, 2, 3)), expected[..., 0].sum(axis=(1, 2, 3))
    assert totals_mean == pytest.approx(totals_expected, rel=0.01)


def test_every_mover_to_one_kind_empties_the_others(history_instance: Instance) -> None:
    """Zero-variance check: with no leavers or joiners and every learner moving to special each year, year 1
    holds exactly the base caseload (aged, up to NCY 20), all in specialist places."""
    rates = estimate_rates(history_instance).model_copy(update={
        "joiners": [], "leave_probability": {n: 0.0 for n in range(-2, 21)},
        "move_probability": {n: 1.0 for n in range(-2, 21)},
        "destination_mix": [PlacementMix(ncy=n, need=need, shares={"special": 1.0})
                            for n in range(-2, 21) for need in Need]})
    result = forecast(history_instance, {"horizon_years": 2, "runs": 5, "rates": rates.model_dump()})
    case = caseload_arrays(history_instance)
    ncy = case.ncy_in(history_instance.base_year + 1)[case.on_caseload_in_base_year]
    total = result.counts[:, 0, ..., 0].sum(axis=(1, 2, 3))
    assert (total == int((ncy <= 20).sum())).all()
    assert (result.counts[:, 0, ..., 1] == result.counts[:, 0, ..., 0]).all()
    assert (result.counts[:, :, ..., 2] == 0).all()


def test_joiner_trend_is_estimated_from_the_councils_history(history_factory: Callable[..., Instance]) -> None:
    """New plans growing 15% a year (log) are found (weak prior), projected with damping, and carried in the rates
    JSON; the lever, when set, replaces the trend."""
    growing = history_factory(joiner_growth=0.15, joiners_per_cell=6.0, seed=3)
    settings = EstimationSettings(prior_growth_years=0.01)
    arrays, _, provenance = estimate_rate_arrays(caseload_arrays(growing), settings)
    assert provenance["joiner_trend"]["own_growth"] == pytest.approx(0.15, abs=0.03)
    assert arrays.joiner_trend == pytest.approx(0.15, abs=0.03) and 0.8 <= arrays.joiner_damping <= 0.98
    steps = [arrays.joiner_growth(s) for s in (1, 2, 3)]
    assert steps[0] > 1.0 and steps[2] > steps[1] > steps[0]
    # The joiner level is the last year's (not the window mean): about 6 x exp(0.15 x 8) new plans per cell.
    needs = [NEED_INDEX[n] for n in (Need.ASD, Need.SEMH, Need.SLCN)]
    cells = arrays.joiners[ncy_index(-1):ncy_index(11) + 1][:, needs]
    assert cells.mean() == pytest.approx(6.0 * np.exp(0.15 * 8), rel=0.1)
    rates = estimate_rates(growing, settings)
    assert rates.joiner_trend == pytest.approx(arrays.joiner_trend, abs=1e-6)
    trend = forecast(growing, {"runs": 200, "horizon_years": 3, "estimation": settings.model_dump()})
    flat = forecast(growing, {"runs": 200, "horizon_years": 3, "estimation": settings.model_dump(),
                              "joiner_growth_per_year": 0.0})
    assert trend.counts[..., 0].sum() > flat.counts[..., 0].sum()


def test_no_joiner_trend_without_ceased_plans(history_instance: Instance) -> None:
    """Without plan_end the early years count only survivors: no trend is estimated (growth 0, as before)."""
    open_only = history_instance.model_copy(update={"learners": tuple(
        learner.model_copy(update={"plan_end": None}) for learner in history_instance.learners)})
    arrays, _, provenance = estimate_rate_arrays(caseload_arrays(open_only))
    assert arrays.joiner_trend == 0.0 and arrays.joiner_growth(5) == 1.0
    assert str(provenance["joiner_trend"]).startswith("none")
