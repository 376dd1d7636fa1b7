"""Shipped scenarios by name (scenarios/data/<name>.yaml), and the bases they apply to."""

from __future__ import annotations

from pathlib import Path

from planner.domain.models import Instance
from scenarios.spec import ScenarioBase, ScenarioSpec, load_spec

SHIPPED_SCENARIOS = ("phase2-special-expansion", "pru-restructure", "post16-growth")


def _data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


def scenario_names() -> list[str]:
    return list(SHIPPED_SCENARIOS)


def get_scenario(name: str) -> ScenarioSpec:
    """The shipped scenario called `name`; KeyError naming the known ones otherwise."""
    if name not in SHIPPED_SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}: expected one of {', '.join(SHIPPED_SCENARIOS)}")
    return load_spec(_data_dir() / f"{name}.yaml")


def load_base(base: ScenarioBase) -> Instance:
    """Build a preset base (instance references are resolved by the service, which stores instances)."""
    if base.instance is not None:
        raise ValueError(f"base: instance {base.instance!r} must be loaded by the service (no preset)")
    from scenarios.demo import build_demo  # the demo generator (engineer foundation-data)

    return build_demo(base.preset or "demo", base.seed)
