"""Cost assumptions: published defaults (each with its source and year) and the council's own overrides.

Precedence, most specific first: a run's `setting_costs[setting_id]`; the setting's own recorded `cost_per_place`
(what the council pays that setting, and what scenario cost edits change); the run's or council's `place_costs`
by kind and phase; the published defaults below. Council-wide overrides live in
`instance.metadata["cost_assumptions"]` (any field of `CostAssumptions`); a run's `costs` parameter wins over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from planner.domain.codes import DEFAULT_COST_PER_PLACE, Need, Phase, SettingKind
from planner.domain.models import Instance, Setting
from planner.domain.parsing import validate_or_explain

# Annual cost per place, GBP, by type of provision (taken as base-year prices). Sources:
# - Special schools, AP/PRU: place funding of GBP 10,000 a place (elements 1 and 2) plus the commissioning council's
#   top-up (element 3, set locally): ESFA "High needs funding: 2024 to 2025 operational guide" (2024). The total,
#   maintained special ~GBP 23k, SEMH special ~30k, AP/PRU ~18-20k, is the product's indicative figure
#   (planner.domain.codes.DEFAULT_COST_PER_PLACE, /work/shared/DOMAIN.md), above the NAO's average high-needs
#   funding per pupil of GBP 19,100 in 2017-18 ("Support for pupils with SEND in England", NAO, September 2019).
# - Resourced provision / SEN units: GBP 6,000 place funding on top of the mainstream per-pupil funding (same ESFA
#   guide) plus top-up: the product's indicative 19-21k.
# - Independent / non-maintained special: GBP 52,000 a pupil on average in 2015-16 (Freedom of Information replies
#   from 110 councils, Schools Week, "Private special school places cost GBP 480 million per year", 2017); GBP 57,150
#   in the Audit Commission's 2007 review of out-of-authority placements; the product uses 60,000 (DOMAIN.md:
#   55-65k), the same figure sufficiency prices independent places at.
# - Post-16 specialist (SPI) ~40k, FE college ~9k, mainstream ~7k: DOMAIN.md's indicative figures.
# National figures do not differ by phase, so each phase takes its kind's figure until the council overrides it.
PUBLISHED_PLACE_COSTS: dict[SettingKind, float] = {kind: float(cost) for kind, cost in DEFAULT_COST_PER_PLACE.items()}

# Home-to-school transport per transported learner with SEND, GBP a year: GBP 9,800 on average in county councils in
# 2023/24 (County Councils Network, from BBC data, 27 March 2024; CCN/IMPOWER "The travel to school challenge",
# 2024, gives GBP 8,299 across councils). No national figure by distance is published, so every band starts at the
# average; a council sets its own contract prices per band (`transport_bands`).
PUBLISHED_TRANSPORT_PER_LEARNER = 9_800.0

# Unmet need is not free: a learner with no suitable place in reach is placed independently or out of area
# (Children and Families Act 2014 s42: the council must secure the provision in the plan). Priced by default at an
# independent special school place (above), for every need until the council gives need-specific fees.
PUBLISHED_UNMET_COST = PUBLISHED_PLACE_COSTS[SettingKind.INDEPENDENT_SPECIAL]

# Inflation of placement and transport prices, a year: the Bank of England's 2% CPI target (HM Treasury remit).
DEFAULT_INFLATION = 0.02


class TransportBand(BaseModel):
    """Transport cost per transported learner a year for journeys up to `up_to_km` (road km; None: any longer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    up_to_km: float | None = Field(default=None, gt=0)
    cost: float = Field(ge=0)


class CostAssumptions(BaseModel):
    """Everything the money view prices; every default is a published figure (module comments)."""

    model_config = ConfigDict(extra="forbid")

    place_costs: dict[SettingKind, dict[Phase, float] | float] = Field(
        default_factory=dict, description="GBP a place a year by kind (one figure) or by kind and phase")
    setting_costs: dict[str, float] = Field(default_factory=dict, description="GBP a place a year for one setting")
    transport_bands: list[TransportBand] = Field(
        default_factory=lambda: [TransportBand(up_to_km=km, cost=PUBLISHED_TRANSPORT_PER_LEARNER)
                                 for km in (5.0, 15.0, 30.0)] + [TransportBand(cost=PUBLISHED_TRANSPORT_PER_LEARNER)])
    transport_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of placed learners transported; None: from learners' flags")
    unmet_cost_by_need: dict[Need, float] = Field(default_factory=dict, description="GBP a learner-year by need")
    unmet_cost: float = Field(default=PUBLISHED_UNMET_COST, ge=0, description="GBP a learner-year, other needs")
    inflation: float = Field(default=DEFAULT_INFLATION, ge=-0.1, le=0.5, description="Yearly price rise")

    @field_validator("transport_bands")
    @classmethod
    def _ordered(cls, bands: list[TransportBand]) -> list[TransportBand]:
        limits = [b.up_to_km for b in bands]
        if not bands or limits[-1] is not None:
            raise ValueError("the last band must have no upper limit (up_to_km: null)")
        finite = [x for x in limits[:-1] if x is not None]
        if len(finite) != len(limits) - 1 or finite != sorted(finite):
            raise ValueError("bands must be in increasing up_to_km, only the last one open")
        return bands

    def place_cost(self, setting: Setting) -> float:
        """GBP a place a year at a setting (precedence in the module docstring)."""
        if setting.id in self.setting_costs:
            return float(self.setting_costs[setting.id])
        if setting.cost_per_place:
            return float(setting.cost_per_place)
        return self.kind_cost(setting.kind, setting.phases)

    def kind_cost(self, kind: SettingKind, phases: frozenset[Phase] | None = None) -> float:
        """A kind's cost: the mean over the phases given of the council's figure (default: the published one)."""
        given = self.place_costs.get(kind)
        default = PUBLISHED_PLACE_COSTS[kind]
        if given is None:
            return default
        if not isinstance(given, dict):
            return float(given)
        values = [float(given.get(phase, default)) for phase in sorted(phases or given, key=lambda p: p.value)]
        return sum(values) / len(values) if values else default

    def transport_cost(self, road_km: float) -> float:
        return next(b.cost for b in self.transport_bands if b.up_to_km is None or road_km <= b.up_to_km)

    def unmet_cost_for(self, need: Need) -> float:
        return float(self.unmet_cost_by_need.get(need, self.unmet_cost))

    def described(self) -> dict[str, Any]:
        """The figures used, with their sources, for the run's stored result."""
        return {
            **self.model_dump(mode="json"),
            "published_place_costs": {k.value: v for k, v in PUBLISHED_PLACE_COSTS.items()},
            "sources": {
                "place_costs": "ESFA High needs funding 2024-25 operational guide (GBP 10,000 place funding + "
                               "local top-up); NAO 2019; DOMAIN.md indicative figures",
                "independent_special": "Schools Week FOI of 110 councils, 2015-16 average GBP 52,000 (2017); "
                                       "Audit Commission 2007 GBP 57,150; product default 60,000",
                "transport": "County Councils Network / BBC, 27 March 2024: GBP 9,800 per SEND learner "
                             "transported, county councils 2023/24",
                "unmet": "priced as the independent special placement it forces (CFA 2014 s42)",
                "inflation": "Bank of England 2% CPI target",
            },
        }


def cost_assumptions(instance: Instance, overrides: Mapping[str, Any] | None = None) -> CostAssumptions:
    """The council's assumptions (instance metadata) under a run's overrides; a ValueError names the field."""
    council = dict(instance.metadata.get("cost_assumptions", {}) or {})
    merged = {**council, **dict(overrides or {})}
    return validate_or_explain(CostAssumptions, merged, "cost assumption")
