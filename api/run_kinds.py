"""The solve kinds the run API and the CLI can execute, each a plain function in a capability package.

Every run function has the signature

    def run_x(instance: planner.domain.models.Instance, parameters: dict[str, Any],
              progress: planner.solving.progress.Progress) -> dict[str, Any]

and returns a JSON-serialisable result with at least `status` and `statistics` (wall time, objective, bound,
gap where they apply). Functions are imported lazily so that importing the API does not import every solver.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from planner.domain.models import Instance
from planner.solving.progress import Progress

RunFunction = Callable[[Instance, dict[str, Any], Progress], dict[str, Any]]

RUN_KINDS: dict[str, str] = {
    "placement": "planner.placement.matching:run_placement",
    "forecast": "planner.forecast.simulation:run_forecast",
    "published_forecast": "planner.forecast.published_backtest:run_published_forecast",
    "cohort_forecast": "api.cohort_run:run_cohort_forecast",
    "sufficiency": "planner.sufficiency:run_sufficiency",
    "scenario": "scenarios.runner:run_scenario",
    "expansion": "planner.expansion.programme:run_expansion",
    "transitions": "planner.transitions.planning:run_transitions",
}


def resolve_run_function(kind: str) -> RunFunction:
    """The run function for a kind; KeyError naming the known kinds when it is not one."""
    if kind not in RUN_KINDS:
        raise KeyError(f"unknown run kind {kind!r}: expected one of {', '.join(sorted(RUN_KINDS))}")
    module_name, function_name = RUN_KINDS[kind].split(":")
    function: RunFunction = getattr(importlib.import_module(module_name), function_name)
    return function
