"""The money view of an allocation: high-needs placement spend per year by type, transport, unmet need, capital.

Input is a sufficiency allocation as stored (its per-cell `rows` and per-setting `spare` rows, per year), so the
money is the cost of exactly the placements the scenario's figures show:
- **by type**: each setting's used places x its cost per place (`CostAssumptions.place_cost`), summed by kind;
- **transport**: placed learners x the share transported (from the learners' `needs_transport` flags: the share
  of learners now in that pool's in-area, or out-of-area, places who are transported) x the band cost for the
  cell's mean journey (road km from minutes by the car profile); learners with unmet need travel to the
  placement it forces at the longest band;
- **unmet**: unmet learners (short of capacity + out of reach) x the cost of the placement unmet need forces, by need;
- every figure inflated from the base year: x (1 + inflation) ^ (year - base year).
`total` = sum of types + transport + unmet, per year. Against a baseline: `savings_vs_baseline` = baseline total
minus this total, per year, and `payback_year` = the first year the cumulative savings reach the capital.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner.costs.assumptions import CostAssumptions
from planner.domain.codes import Need
from planner.domain.models import Instance
from planner.domain.travel import DEFAULT_PROFILES, TravelMode
from planner.sufficiency import POOL_OF_KIND, is_out_of_area


def transport_shares(instance: Instance) -> dict[tuple[str, bool], float]:
    """Share of learners transported, by (pool, out of area), from the learners' `needs_transport` flags.

    A group with no learners takes its pool's share, then the share over all placed specialist/AP learners, else 0.
    """
    counts: dict[tuple[str, bool], list[int]] = {}
    settings = instance.setting_by_id
    for learner in instance.learners:
        setting = settings.get(learner.current_setting_id or "")
        if setting is None or setting.kind not in POOL_OF_KIND or learner.plan_end is not None:
            continue
        key = (POOL_OF_KIND[setting.kind], is_out_of_area(setting, instance))
        tally = counts.setdefault(key, [0, 0])
        tally[0] += int(learner.needs_transport)
        tally[1] += 1

    def share(keys: Sequence[tuple[str, bool]]) -> float | None:
        moved = sum(counts[k][0] for k in keys if k in counts)
        total = sum(counts[k][1] for k in keys if k in counts)
        return moved / total if total else None

    shares: dict[tuple[str, bool], float] = {}
    overall = share(list(counts)) or 0.0
    for pool in set(POOL_OF_KIND.values()):
        pooled = share([(pool, False), (pool, True)])
        for outside in (False, True):
            own = share([(pool, outside)])
            shares[pool, outside] = own if own is not None else pooled if pooled is not None else overall
    return shares


def road_km(minutes: float | None) -> float:
    """Road km of a journey of `minutes` by car (the travel model's car profile, inverted)."""
    if minutes is None:
        return 0.0
    car = DEFAULT_PROFILES[TravelMode.CAR]
    return max(0.0, minutes - car.fixed_minutes) * car.speed_kmh / 60.0


def money_view(instance: Instance, years: Sequence[int], rows: Sequence[Mapping[str, Any]],
               spare: Sequence[Mapping[str, Any]], capital_by_year: Mapping[int, float],
               assumptions: CostAssumptions) -> dict[str, Any]:
    """The "money" block of a run (shape in docs/costs.md); savings and payback are None until compared."""
    settings = instance.setting_by_id
    shares = transport_shares(instance) if assumptions.transport_share is None else {}
    longest = assumptions.transport_bands[-1].cost
    kinds = sorted({s.kind.value for s in instance.settings if s.kind in POOL_OF_KIND})
    by_type = {kind: [0.0] * len(years) for kind in kinds}
    transport = [0.0] * len(years)
    unmet = [0.0] * len(years)
    index = {int(year): i for i, year in enumerate(years)}

    def share(pool: str, outside: bool) -> float:
        given = assumptions.transport_share
        return float(given) if given is not None else shares.get((pool, outside), 0.0)

    for row in spare:
        i = index.get(int(row["academic_year"]))
        setting = settings.get(row["setting_id"])
        if i is None or setting is None or not row["used"]:
            continue
        factor = (1.0 + assumptions.inflation) ** (int(row["academic_year"]) - instance.base_year)
        by_type.setdefault(setting.kind.value, [0.0] * len(years))[i] += row["used"] * assumptions.place_cost(
            setting) * factor
    for row in rows:
        i = index.get(int(row["academic_year"]))
        if i is None:
            continue
        factor = (1.0 + assumptions.inflation) ** (int(row["academic_year"]) - instance.base_year)
        pool = row.get("pool", "specialist")
        band = assumptions.transport_cost(road_km(row.get("mean_journey_minutes")))
        left = row["short_of_capacity"] + row["out_of_reach"]
        moved = row["placed_in_area"] * share(pool, False) + row["placed_out_of_area"] * share(pool, True)
        # Unmet learners travel to the independent / out-of-area placement it forces: the longest band.
        transport[i] += (moved * band + left * share(pool, True) * longest) * factor
        unmet[i] += left * assumptions.unmet_cost_for(Need(row["need"])) * factor
    total = [sum(series[i] for series in by_type.values()) + transport[i] + unmet[i] for i in range(len(years))]
    return {
        "years": [int(y) for y in years], "by_type": by_type, "transport": transport, "unmet": unmet,
        "total": total, "capital": float(sum(capital_by_year.values())),
        "capital_by_year": {str(y): float(v) for y, v in sorted(capital_by_year.items())},
        "savings_vs_baseline": None, "payback_year": None,
        "assumptions": {**assumptions.described(), "price_base_year": instance.base_year,
                        "transport_shares": {f"{pool}/{'out_of_area' if out else 'in_area'}": round(v, 4)
                                             for (pool, out), v in sorted(shares.items())}},
    }


def payback_year(years: Sequence[int], savings: Sequence[float], capital: float) -> int | None:
    """The first year whose cumulative savings reach the capital spent (None: no capital, or not in the horizon)."""
    if capital <= 0:
        return None
    running = 0.0
    for year, saving in zip(years, savings, strict=True):
        running += saving
        if running >= capital - 1e-6:
            return int(year)
    return None


def with_savings(money: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, Any]:
    """This money view against a baseline's: savings per year (baseline total - this total) and the payback year.

    Years are matched by value; a year the baseline lacks saves nothing. The baseline itself saves zero.
    """
    base_total = dict(zip(baseline["years"], baseline["total"], strict=True))
    savings = [float(base_total.get(year, value)) - float(value)
               for year, value in zip(money["years"], money["total"], strict=True)]
    extra_capital = float(money["capital"]) - float(baseline.get("capital", 0.0))
    return {**money, "savings_vs_baseline": savings,
            "payback_year": payback_year(money["years"], savings, extra_capital)}


def money_totals(money: Mapping[str, Any]) -> dict[str, Any]:
    """One comparison line: capital, revenue (placements), transport, unmet, total, savings and payback."""
    savings = money.get("savings_vs_baseline")
    return {
        "capital": float(money["capital"]),
        "revenue": float(sum(sum(series) for series in money["by_type"].values())),
        "transport": float(sum(money["transport"])),
        "unmet": float(sum(money["unmet"])),
        "total": float(sum(money["total"])),
        "savings_vs_baseline": None if savings is None else float(sum(savings)),
        "payback_year": money.get("payback_year"),
    }
