"""Shipped scenarios by name (scenarios/data/<name>.yaml), and the bases they apply to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def shipped_edits(name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A shipped scenario's lineage-expanded edits (its parents' first) and its merged run parameters."""
    from scenarios.spec import all_edits, all_parameters

    spec = get_scenario(name)
    return all_edits(spec, get_scenario), all_parameters(spec, get_scenario)


def materialise_shipped(name: str, base: Instance) -> tuple[Instance, dict[str, Any]]:
    """A shipped scenario on a council's data: the instance (labelled with its name and lineage) and its
    run-parameter overrides (its own parameters under those its edits produce). Its edits that fit any council
    (scenarios.fitting) are resolved against `base`; ScenarioEditError 'does not fit: ...' when they cannot be."""
    from scenarios.spec import all_parameters, materialise_spec

    spec = get_scenario(name)
    instance, overrides = materialise_spec(spec, base, get_scenario)
    return instance, {**all_parameters(spec, get_scenario), **overrides}


def shipped_fit(base: Instance, only: str | None = None) -> dict[str, str | None]:
    """Per shipped scenario: None when it applies to this council, else why not ('edit 1 (reduce_chosen): pick:
    does not fit: no pupil referral unit or AP in this council')."""
    from scenarios.what_if import does_not_fit

    names = SHIPPED_SCENARIOS if only is None else (only,)
    return {name: does_not_fit(base, shipped_edits(name)[0]) for name in names}


def shipped_run_input(kind: str, name: str, base: Instance, parameters: dict[str, Any]
                      ) -> tuple[Instance, dict[str, Any]]:
    """What a run of `kind` (expansion, sufficiency, forecast, placement) solves on a shipped scenario: its edits
    resolved and applied to the council's data, its overrides mapped onto the kind's parameters under the given
    ones (scenarios.what_if.run_parameters), as for a stored scenario. The service (api.jobs) and the CLI's
    `--scenario NAME` both come here."""
    from scenarios.what_if import run_parameters

    instance, overrides = materialise_shipped(name, base)
    return instance, run_parameters(kind, instance, overrides, parameters)


def shipped_resolved(name: str, base: Instance) -> list[dict[str, Any]]:
    """A shipped scenario's lineage-expanded edits as they apply to this council: those that fit any council
    (scenarios.fitting) replaced by the ordinary edits they choose; ScenarioDoesNotFit when they cannot."""
    from scenarios.what_if import parse_edits, resolve_fitting

    return [edit.model_dump(mode="json", exclude_none=True)
            for _, edit in resolve_fitting(base, parse_edits(shipped_edits(name)[0]))]
