"""The expansion MIP's inputs and answers as plain numbers: candidate projects, arcs from sources to demand, capacity
caps, the whole data set, and a project decision. Kept apart from `planner.expansion.model` (which builds and
solves the MIP) so that the local search (`planner.expansion.local_search`) can use them without importing the
model that calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class ProjectOption:
    """A candidate project as the MIP sees it: sizes with their capital, opening years, revenue per place."""

    id: str
    sizes: tuple[int, ...]
    capital_by_size: tuple[float, ...]
    open_years: tuple[int, ...]
    lead_time_years: int = 0
    revenue_per_place: float = 0.0
    forced_out: bool = False
    forced_in: bool = False
    ramp: tuple[float, ...] = ()
    """Share of the places usable in the 1st, 2nd, ... year open (then all): new provision fills over its first
    years (a new school opens with some year groups); empty = full from the first year."""

    def usable_share(self, years_open: int) -> float:
        """Share of the built places usable in the `years_open`-th year open (0 = the opening year)."""
        return self.ramp[years_open] if 0 <= years_open < len(self.ramp) else 1.0


@dataclass(frozen=True)
class Arc:
    """A way to serve one demand point from one source: `source` indexes existing sources, then projects."""

    source: int
    demand: int
    revenue_per_learner: float
    minutes: float = 0.0


@dataclass(frozen=True)
class SubCapacity:
    """Places of one source open to some demand points only (a setting's cap for one phase), per year."""

    source: int
    demands: tuple[int, ...]
    capacity: tuple[float, ...]


@dataclass(frozen=True)
class ExpansionData:
    """Everything the MIP needs, already in numbers. Years index the columns of demand and capacity."""

    years: tuple[int, ...]
    demand_ids: tuple[str, ...]
    demand: tuple[tuple[float, ...], ...]
    source_ids: tuple[str, ...]
    source_capacity: tuple[tuple[float, ...], ...]
    projects: tuple[ProjectOption, ...]
    arcs: tuple[Arc, ...]
    out_of_area_cost: tuple[float | None, ...] = ()
    allow_unmet: bool = True
    budget_by_year: dict[int, float] = field(default_factory=dict)
    budget_total: float | None = None
    source_out_of_area: tuple[bool, ...] = ()
    """Per existing source: True for out-of-area/independent places (their arcs' cost counts as out-of-area)."""
    sub_capacities: tuple[SubCapacity, ...] = ()

    def is_out_of_area_source(self, source: int) -> bool:
        return source < len(self.source_out_of_area) and self.source_out_of_area[source]

    def spend_year(self, project: ProjectOption, open_year: int) -> int:
        """The year the capital for a project opening in `open_year` is spent (clamped to the horizon start)."""
        return max(self.years[0], open_year - project.lead_time_years)


class ObjectiveWeights(BaseModel):
    """How the council weighs the parts of the objective (each a documented default, each overridable)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unmet_learner_year: float = Field(
        default=150_000.0, ge=0, description="Penalty per learner-year without a suitable place (GBP equivalent)"
    )
    out_of_area: float = Field(default=1.0, ge=0, description="Weight on out-of-area/independent placement cost")
    revenue: float = Field(default=1.0, ge=0, description="Weight on revenue cost (per place per year, GBP)")
    travel_per_minute: float = Field(
        default=40.0, ge=0, description="GBP-equivalent per learner-year per journey minute (one way)"
    )
    capital: float = Field(default=0.0, ge=0, description="Weight per GBP of capital (budgets already limit it)")


@dataclass(frozen=True)
class ProjectDecision:
    id: str
    places: int
    open_year: int
    spend_year: int
    capital: float
