"""OR-Library capacitated facility location (Beasley `cap41`..`cap74`) read and mapped onto the expansion optimiser.

Why: reproducing the published optima through `planner.expansion.model.solve_expansion_data` (the same code path
the council's expansion programme uses) proves that optimiser exact. The mapping: each facility is a candidate
project with one size (its capacity), capital = its fixed cost (weighted 1 in the objective), no revenue per place;
each customer is a demand point whose demand may be split; an arc's cost per learner is cost / demand (the file
gives the cost of serving all of a customer's demand); one period; all demand must be served (no unmet, no
out-of-area).

File format: `m n`; m lines `capacity fixed_cost`; then per customer its demand and m costs (wrapped over lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.expansion.model import (
    Arc,
    ExpansionData,
    ExpansionSolution,
    ObjectiveWeights,
    ProjectOption,
    SolveOptions,
    solve_expansion_data,
)
from planner.solving.progress import Progress


class CflpFormatError(ValueError):
    """A CFLP file that does not follow the OR-Library format; the message says where."""


@dataclass(frozen=True)
class CflpInstance:
    name: str
    capacities: tuple[float, ...]
    fixed_costs: tuple[float, ...]
    demands: tuple[float, ...]
    costs: tuple[tuple[float, ...], ...]  # costs[j][i]: serving all of customer j from facility i

    @property
    def n_facilities(self) -> int:
        return len(self.capacities)

    @property
    def n_customers(self) -> int:
        return len(self.demands)


def parse_cflp(text: str, name: str = "cflp") -> CflpInstance:
    """Parse OR-Library text; CflpFormatError names what is missing or malformed."""
    tokens = text.split()
    position = 0

    def take(what: str) -> float:
        nonlocal position
        if position >= len(tokens):
            raise CflpFormatError(f"{name}: file ends early while reading {what}")
        token = tokens[position]
        position += 1
        try:
            return float(token)
        except ValueError:
            raise CflpFormatError(f"{name}: expected a number for {what}, got {token!r}") from None

    m = int(take("the number of facilities"))
    n = int(take("the number of customers"))
    if m <= 0 or n <= 0:
        raise CflpFormatError(f"{name}: need at least one facility and one customer (got m={m}, n={n})")
    capacities: list[float] = []
    fixed: list[float] = []
    for i in range(m):
        capacities.append(take(f"facility {i + 1} capacity"))
        fixed.append(take(f"facility {i + 1} fixed cost"))
    demands: list[float] = []
    costs: list[tuple[float, ...]] = []
    for j in range(n):
        demands.append(take(f"customer {j + 1} demand"))
        costs.append(tuple(take(f"customer {j + 1} cost from facility {i + 1}") for i in range(m)))
    if position != len(tokens):
        raise CflpFormatError(f"{name}: {len(tokens) - position} unexpected trailing value(s)")
    return CflpInstance(name=name, capacities=tuple(capacities), fixed_costs=tuple(fixed), demands=tuple(demands),
                        costs=tuple(costs))


def read_cflp(path: str | Path) -> CflpInstance:
    file = Path(path)
    return parse_cflp(file.read_text(encoding="utf-8"), name=file.stem)


def cflp_to_expansion(instance: CflpInstance, year: int = 2026) -> ExpansionData:
    """Facilities -> candidate projects, customers -> demand points, one period, all demand served."""
    projects = tuple(
        ProjectOption(id=f"F{i + 1}", sizes=(int(round(instance.capacities[i])),),
                      capital_by_size=(instance.fixed_costs[i],), open_years=(year,))
        for i in range(instance.n_facilities)
    )
    if any(abs(p.sizes[0] - c) > 1e-9 for p, c in zip(projects, instance.capacities, strict=True)):
        raise CflpFormatError(f"{instance.name}: capacities must be whole places")
    arcs = tuple(
        Arc(source=i, demand=j, revenue_per_learner=instance.costs[j][i] / instance.demands[j])
        for j in range(instance.n_customers) if instance.demands[j] > 0
        for i in range(instance.n_facilities)
    )
    return ExpansionData(
        years=(year,), demand_ids=tuple(f"C{j + 1}" for j in range(instance.n_customers)),
        demand=tuple((d,) for d in instance.demands), source_ids=(), source_capacity=(), projects=projects,
        arcs=arcs, out_of_area_cost=(), allow_unmet=False,
    )


# Fixed cost counts pound for pound; allocation cost is the arcs' "revenue"; nothing else applies.
CFLP_WEIGHTS = ObjectiveWeights(unmet_learner_year=0.0, out_of_area=0.0, revenue=1.0, travel_per_minute=0.0,
                                capital=1.0)


def solve_cflp(instance: CflpInstance, time_limit_seconds: float = 120.0, relative_gap: float = 1e-9,
               progress: Progress | None = None) -> ExpansionSolution:
    """Solve a CFLP instance to proven optimality through the expansion optimiser."""
    options = SolveOptions(time_limit_seconds=time_limit_seconds, relative_gap=relative_gap, absolute_gap=1e-6)
    return solve_expansion_data(cflp_to_expansion(instance), CFLP_WEIGHTS, options, progress)
