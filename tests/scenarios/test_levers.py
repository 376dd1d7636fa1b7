"""Scenario demand levers map onto the forecast's own parameters (one demand model)."""

from __future__ import annotations

import pytest

from planner.domain.codes import Need
from planner.domain.models import Instance
from planner.forecast.levers import forecast_parameters, parse_levers
from planner.forecast.rates import estimate_rates
from planner.forecast.simulation import ForecastParameters


def test_scales_growth_and_cap_map_onto_forecast_parameters(tiny: Instance) -> None:
    levers = parse_levers({"joiner_rate_scale": {"*": 1.5, "ASD": 2.0}, "growth_rate": {"*": 0.1},
                           "growth_cap": 0.04})
    base = ForecastParameters(joiner_scale=2.0, joiner_scale_by_need={Need.ASD: 1.5})
    params = forecast_parameters(tiny, base, levers)
    assert params.joiner_scale == pytest.approx(3.0)
    assert params.joiner_scale_by_need == {Need.ASD: pytest.approx(3.0)}
    assert params.joiner_growth_per_year == pytest.approx(0.1) and params.growth_cap == pytest.approx(0.04)
    assert params.rates is None  # no per-phase scale: the forecast estimates its own rates
    assert base.joiner_scale == 2.0  # the base is untouched


def test_a_phase_scale_scales_that_phases_joiner_rates_only(tiny: Instance) -> None:
    params = forecast_parameters(tiny, ForecastParameters(), parse_levers({"joiner_rate_scale": {"*/post16": 2.0,
                                                                                                  "ASD/primary": 3.0}}))
    estimated = {(j.ncy, j.need, j.locality_id): j.per_year for j in estimate_rates(tiny).joiners}
    assert params.rates is not None
    for joiner in params.rates.joiners:
        factor = 2.0 if 12 <= joiner.ncy <= 14 else 3.0 if joiner.need is Need.ASD and 0 <= joiner.ncy <= 6 else 1.0
        assert joiner.per_year == pytest.approx(estimated[(joiner.ncy, joiner.need, joiner.locality_id)] * factor)


@pytest.mark.parametrize(("data", "fragment"), [
    ({"growth_rate": {"ASD": 0.1}}, "growth_rate"),
    ({"joiner_rate_scale": {"XYZ": 1.1}}, "unknown need"),
    ({"joiner_rate_scale": {"*/college": 1.1}}, "unknown phase"),
    ({"growth_cap": 2}, "growth_cap"),
])
def test_bad_levers_are_named(data: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_levers(data)
