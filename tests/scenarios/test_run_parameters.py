"""A scenario's overrides reach each run kind in the parameters that kind takes (and nowhere else)."""

from __future__ import annotations

import pytest

from planner.domain.codes import Phase
from planner.forecast.simulation import ForecastParameters
from planner.placement.params import PlacementParameters
from planner.sufficiency import SufficiencyParameters
from scenarios.demo import build_demo
from scenarios.what_if import materialise, run_parameters

EDITS = [
    {"op": "change_rates", "joiner_scale": 1.2, "growth_cap": 0.05},
    {"op": "change_journey_limits", "limits": {"secondary": 60}},
]


@pytest.fixture(scope="module")
def scenario() -> tuple[object, dict[str, object]]:
    return materialise(build_demo("demo"), EDITS)


def test_each_kind_gets_its_own_share_of_the_overrides(scenario: tuple[object, dict[str, object]]) -> None:
    instance, overrides = scenario
    forecast = ForecastParameters.model_validate(run_parameters("forecast", instance, overrides, {"runs": 50}))
    assert forecast.joiner_scale == pytest.approx(1.2) and forecast.growth_cap == 0.05 and forecast.runs == 50
    sufficiency = SufficiencyParameters.model_validate(
        run_parameters("sufficiency", instance, overrides, {"quantile": 0.9}))
    assert sufficiency.journey_limit_minutes[Phase.SECONDARY] == 60 and sufficiency.quantile == 0.9
    assert sufficiency.forecast.joiner_scale == pytest.approx(1.2)
    placement = PlacementParameters.model_validate(run_parameters("placement", instance, overrides, {}))
    assert placement.journey_limit_minutes[Phase.SECONDARY] == 60
    assert placement.journey_limit_minutes[Phase.PRIMARY] == 45  # phases the scenario leaves alone keep defaults
    assert run_parameters("transitions", instance, overrides, {"year": 2027}) == {"year": 2027}
    assert run_parameters("scenario", instance, overrides, {"x": 1}) == {**overrides, "x": 1}


def test_the_request_wins_over_the_scenario(scenario: tuple[object, dict[str, object]]) -> None:
    instance, overrides = scenario
    chosen = run_parameters("placement", instance, overrides, {"journey_limit_minutes": {"secondary": 90}})
    assert chosen["journey_limit_minutes"] == {"secondary": 90}
