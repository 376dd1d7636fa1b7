"""The money view of an expansion programme, priced by the high-needs cost model (`planner.costs`).

The programme's own allocation (the MIP's flows) is priced as a scenario run's is (docs/costs.md): existing places
used x their cost per place by kind; a new project's usable places (after its ramp-up) x its annual cost per
place; transport for the flows' journeys; unmet need (demand no flow serves) at the placement it forces, by need.
Against "build nothing" (the same model with every project left out) it gives the savings per year and the
payback year of the programme's capital.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planner.costs.assumptions import CostAssumptions
from planner.costs.projection import road_km, transport_shares, with_savings
from planner.domain.models import Instance
from planner.expansion.demand import Cell
from planner.expansion.model import ExpansionData, ExpansionSolution


def programme_money(instance: Instance, data: ExpansionData, cells: Sequence[Cell], solution: ExpansionSolution,
                    candidates: dict[str, Any], assumptions: CostAssumptions) -> dict[str, Any]:
    """The "money" block (planner.costs shape) of one solved programme; savings are None until compared."""
    years = list(data.years)
    settings = instance.setting_by_id
    shares = transport_shares(instance)
    longest = assumptions.transport_bands[-1].cost
    n_sources = len(data.source_ids)
    by_type: dict[str, list[float]] = {}
    transport = [0.0] * len(years)
    unmet = [0.0] * len(years)
    served = [[0.0] * len(years) for _ in data.demand]
    factor = [(1.0 + assumptions.inflation) ** (year - instance.base_year) for year in years]

    def share(pool: str, outside: bool) -> float:
        given = assumptions.transport_share
        return float(given) if given is not None else shares.get((pool, outside), 0.0)

    for (a, t), amount in solution.flows.items():
        arc = data.arcs[a]
        served[arc.demand][t] += amount
        pool = cells[arc.demand][3]
        outside = data.is_out_of_area_source(arc.source)
        transport[t] += amount * share(pool, outside) * assumptions.transport_cost(road_km(arc.minutes)) * factor[t]
        if arc.source < n_sources:
            setting = settings[data.source_ids[arc.source]]
            series = by_type.setdefault(setting.kind.value, [0.0] * len(years))
            series[t] += amount * assumptions.place_cost(setting) * factor[t]
    projects = {p.id: p for p in data.projects}
    for decision in solution.programme:
        option, candidate = projects[decision.id], candidates[decision.id]
        series = by_type.setdefault(candidate.kind.value, [0.0] * len(years))
        for t, year in enumerate(years):
            if year >= decision.open_year:
                # New places are commissioned (paid) as they become usable, filled or not.
                usable = decision.places * option.usable_share(year - decision.open_year)
                series[t] += usable * option.revenue_per_place * factor[t]
    for d, cell in enumerate(cells):
        for t in range(len(years)):
            left = max(0.0, data.demand[d][t] - served[d][t])
            if left > 1e-9:
                unmet[t] += left * assumptions.unmet_cost_for(cell[0]) * factor[t]
                transport[t] += left * share(cell[3], True) * longest * factor[t]
    total = [sum(series[t] for series in by_type.values()) + transport[t] + unmet[t] for t in range(len(years))]
    return {
        "years": years, "by_type": dict(sorted(by_type.items())), "transport": transport, "unmet": unmet,
        "total": total, "capital": float(sum(d.capital for d in solution.programme)),
        "capital_by_year": {str(y): v for y, v in sorted(solution.capital_by_year.items())},
        "savings_vs_baseline": None, "payback_year": None,
        "assumptions": {**assumptions.described(), "price_base_year": instance.base_year,
                        "baseline": "build nothing (every candidate project left out)"},
    }


def money_against_nothing(programme: dict[str, Any], nothing: dict[str, Any] | None) -> dict[str, Any]:
    """The programme's money with savings and payback against building nothing (unchanged if not solved)."""
    return programme if nothing is None else with_savings(programme, nothing)
