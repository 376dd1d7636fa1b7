"""What-if demand levers (joiner-rate scales, joiner growth, a growth cap, shifts between setting kinds) mapped onto
the forecast's own parameters, so a scenario's demand is `planner.forecast.simulation.forecast`'s demand and
nothing else.

Why one mapping: scenario runs (`scenarios.runner`) and the expansion optimiser (`planner.expansion.programme`) both
take the overrides a scenario's edits produce (`scenarios.what_if.materialise`); both turn them into
`ForecastParameters` here, so the two can never project demand differently.

Mapping (keys as the `change_rates` edit writes them):
- `joiner_rate_scale["*"]` -> `ForecastParameters.joiner_scale` (multiplied in);
- `joiner_rate_scale["ASD"]` -> `joiner_scale_by_need[ASD]`;
- `joiner_rate_scale["ASD/secondary"]` or `["*/post16"]` -> the estimated joiner rates themselves, scaled at the
  NCYs of that phase (passed as user `rates`; the forecast has no per-phase lever);
- `growth_rate` (all needs) -> `joiner_growth_per_year`; `growth_cap` -> `growth_cap`; `move_shifts` -> `move_shifts`.
A growth rate for one need or phase has no forecast lever (joiner growth compounds for all needs together), so it is
refused with a message naming the field rather than approximated.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from planner.domain.codes import PHASE_NCY_RANGES, Need, Phase
from planner.domain.models import Instance
from planner.domain.parsing import validate_or_explain
from planner.forecast.rates import estimate_rates
from planner.forecast.simulation import ForecastParameters, MoveShift


class ForecastLevers(BaseModel):
    """Scenario demand levers; every one maps onto a `ForecastParameters` field (module docstring)."""

    model_config = ConfigDict(extra="forbid")

    joiner_rate_scale: dict[str, float] = Field(
        default_factory=dict, description="Multiply joiner rates: keys '*', 'ASD', 'ASD/secondary' or '*/post16'")
    growth_rate: float | dict[str, float] | None = Field(
        default=None, description="Compound yearly growth of joiner rates for all needs (a number, or {'*': rate})")
    growth_cap: float | None = Field(default=None, ge=0, le=1, description="Most the caseload may grow in a year")
    move_shifts: list[MoveShift] = Field(default_factory=list, description="Shifts between setting kinds")

    @field_validator("joiner_rate_scale")
    @classmethod
    def _scale_keys(cls, value: dict[str, float]) -> dict[str, float]:
        for key, scale in value.items():
            need, _, phase = key.partition("/")
            if need != "*" and need not in {n.value for n in Need}:
                raise ValueError(f"unknown need {need!r} in key {key!r}")
            if phase and phase not in {p.value for p in Phase}:
                raise ValueError(f"unknown phase {phase!r} in key {key!r}")
            if scale < 0:
                raise ValueError(f"scale for {key!r} must be >= 0, got {scale}")
        return value

    @field_validator("growth_rate")
    @classmethod
    def _all_needs_only(cls, value: float | dict[str, float] | None) -> float | dict[str, float] | None:
        if isinstance(value, dict):
            others = sorted(k for k in value if k != "*")
            if others:
                raise ValueError(f"growth for {', '.join(others)}: the forecast grows joiner rates for all needs "
                                 "together; scale one need's or phase's joiners with joiner_rate_scale instead")
        return value

    @property
    def growth(self) -> float | None:
        if isinstance(self.growth_rate, dict):
            return self.growth_rate.get("*")
        return self.growth_rate


def parse_levers(data: dict[str, Any]) -> ForecastLevers:
    """Validate levers; a ValueError names the field."""
    return validate_or_explain(ForecastLevers, data)


def forecast_parameters(instance: Instance, base: ForecastParameters, levers: ForecastLevers) -> ForecastParameters:
    """`base` with the levers applied (base untouched)."""
    update: dict[str, Any] = {}
    by_need = dict(base.joiner_scale_by_need)
    joiner_scale = base.joiner_scale
    by_phase: list[tuple[str, Phase, float]] = []
    for key, scale in levers.joiner_rate_scale.items():
        need, _, phase = key.partition("/")
        if phase:
            by_phase.append((need, Phase(phase), scale))
        elif need == "*":
            joiner_scale *= scale
        else:
            by_need[Need(need)] = by_need.get(Need(need), 1.0) * scale
    update["joiner_scale"] = joiner_scale
    update["joiner_scale_by_need"] = by_need
    if levers.growth is not None:
        update["joiner_growth_per_year"] = levers.growth
    if levers.growth_cap is not None:
        update["growth_cap"] = levers.growth_cap
    if levers.move_shifts:
        update["move_shifts"] = [*base.move_shifts, *levers.move_shifts]
    if by_phase:
        rates = base.rates or estimate_rates(instance, base.estimation, instance.base_year)
        joiners = []
        for joiner in rates.joiners:
            factor = 1.0
            for need, phase, scale in by_phase:
                low, high = PHASE_NCY_RANGES[phase]
                if (need == "*" or joiner.need.value == need) and low <= joiner.ncy <= high:
                    factor *= scale
            joiners.append(joiner.model_copy(update={"per_year": joiner.per_year * factor}))
        provenance = {**rates.provenance, "scenario_joiner_scales_by_phase": {f"{n}/{p.value}": s
                                                                             for n, p, s in by_phase}}
        update["rates"] = rates.model_copy(update={"joiners": joiners, "provenance": provenance})
    return base.model_copy(update=update)
