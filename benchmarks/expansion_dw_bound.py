"""Benchmark (a diagnostic for issue 15): how far a Dantzig-Wolfe decomposition of the capital side lifts the lower
bound of the county expansion model, the bound that keeps `placeplan bench expansion --preset county` from
"proven optimal (gap <= 0.01%) in 60 s".

    .venv/bin/python benchmarks/expansion_dw_bound.py [--pricing dp|mip] [--time-limit 120] [--smoothing 0.5]
                                                      [--round-seconds 5] [--solve-seconds 60]

Same model and data as `placeplan bench expansion --preset county` (seed 2026, 40 candidates, 10 years, the
forecast's p50 from 1,000 runs). The master is the model's LP relaxation with its build variables tied to a convex
combination of programmes (the columns); a round solves it (HiGHS, warm-started), prices one programme at its
duals and one at duals smoothed towards the best round's (Wentges), and adds those that improve it. Pricing:
- `dp`: exact in milliseconds, over a relaxation of the programmes: one knapsack per capital-spend year (each
  project at most once in that year, within the year's budget; capital in GBP 10k units), combined under the total
  budget by a min-plus convolution; "a project is built once" across years stays in the master as the model's row;
- `mip`: the whole programme (every budget, "built once") as a HiGHS MIP with `--round-seconds` per round; the
  bound uses the MIP's proven dual bound, so it stays valid when a round stops short of optimal.
Each round's Lagrangian bound (master value + the most negative reduced cost) is a valid lower bound of the MIP.
Prints one line: the root LP, the best bound, the master's last value (an upper bound on the decomposition's own
bound: no root bound of this kind can pass it), rounds and seconds; with `--solve-seconds`, then the bench's solve
(local search, HiGHS) of the model with the best round's cut added, and what it ends at.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import highspy
import numpy as np
from ortools.math_opt.python import mathopt

from planner.expansion.local_search import ProgrammeEvaluator, _quiet_highs
from planner.expansion.model import ExpansionModel, SolveOptions, build_expansion_model
from planner.solving.progress import NullProgress

_UNIT = 10_000  # GBP: every candidate's capital is a multiple of it on the county (checked at start)
_SOLVER_UNITS = 1e-3  # the model's objective is in GBP thousands (planner.expansion.model)
# A cut on the build choices: `sum(duals[i] * build[keys[i]]) >= lowest`.
Cut = tuple[tuple[tuple[int, int, int], ...], np.ndarray, float]


def county_model() -> ExpansionModel:
    """The model `placeplan bench expansion --preset county` solves, built the same way."""
    from api.cli.instance_source import resolve_instance
    from planner.expansion.programme import ExpansionParameters, build_expansion_data, project_forecast
    from planner.forecast.simulation import ForecastParameters

    instance = resolve_instance(None, "county", seed=2026, stored=None, legacy_file=None).instance
    params = ExpansionParameters(candidate_count=40, horizon_years=10, forecast=ForecastParameters(runs=1000),
                                 solve=SolveOptions(time_limit_seconds=60, relative_gap=1e-4))
    projection = project_forecast(instance, params, NullProgress())
    data, _ = build_expansion_data(instance, params, projection=projection)
    return build_expansion_model(data, params.weights, params.solve)


class Capital:
    """The build choices' capital side: spend year, cost in GBP 10k units, project, and the budgets."""

    def __init__(self, built: ExpansionModel, keys: tuple[tuple[int, int, int], ...], allowed: np.ndarray) -> None:
        data = built.data
        capital = [data.projects[p].capital_by_size[k] for p, k, _ in keys]
        if any(round(c) % _UNIT for c in capital):
            raise SystemExit(f"capital not in GBP {_UNIT:,} units: the dp pricing needs them")
        self.cost = np.array([round(c) // _UNIT for c in capital], dtype=np.int64)
        self.project = np.array([p for p, _, _ in keys])
        self.spend_year = np.array([data.spend_year(data.projects[p], data.years[t]) for p, _, t in keys])
        self.allowed = allowed
        self.budget = {year: int(amount // _UNIT) for year, amount in data.budget_by_year.items()}
        total = data.budget_total if data.budget_total is not None else sum(data.budget_by_year.values())
        self.total = int(total // _UNIT)


def year_table(capital: Capital, year: int, price: np.ndarray) -> tuple[np.ndarray, Callable[[int], list[int]]]:
    """Cheapest sum of `price` over one spend year's choices within the year's budget, for every capital c <= the
    budget (a multiple-choice knapsack: at most one choice per project), and a function that gives the choices."""
    size = capital.budget.get(year, capital.total) + 1
    best, steps = np.zeros(size), []
    items = np.nonzero((capital.spend_year == year) & capital.allowed & (price < 0))[0]
    for p in np.unique(capital.project[items]):
        new, pick = best.copy(), np.full(size, -1)
        for i in items[capital.project[items] == p]:
            c = capital.cost[i]
            if c >= size:
                continue
            candidate = best[:size - c] + price[i]
            better = candidate < new[c:]
            new[c:][better], pick[c:][better] = candidate[better], i
        steps.append(pick)
        best = new

    def choices(c: int) -> list[int]:
        chosen = []
        for pick in reversed(steps):
            if pick[c] >= 0:
                chosen.append(int(pick[c]))
                c -= int(capital.cost[pick[c]])
        return chosen

    return best, choices


def price_dp(capital: Capital, price: np.ndarray) -> tuple[float, float, list[int]]:
    """Exact over the relaxation: yearly knapsacks combined under the total budget (min-plus convolution).
    Returns (value, proven lower bound of the value, choices)."""
    size = capital.total + 1
    combined, picks, tables = np.zeros(size), [], []
    for year in sorted(set(capital.spend_year.tolist())):
        table, choices = year_table(capital, year, price)
        new, pick = combined.copy(), np.zeros(size, dtype=np.int64)
        for c in range(1, min(len(table), size)):
            candidate = table[c] + combined[:size - c]
            better = candidate < new[c:]
            new[c:][better], pick[c:][better] = candidate[better], c
        combined = new
        picks.append(pick)
        tables.append(choices)
    c, chosen = size - 1, []
    for pick, choices in zip(reversed(picks), reversed(tables), strict=True):
        chosen += choices(int(pick[c]))
        c -= int(pick[c])
    return float(combined[-1]), float(combined[-1]), chosen


class MipPricing:
    """The whole programme as a HiGHS MIP (every budget row, each project built at most once)."""

    def __init__(self, capital: Capital, seconds: float) -> None:
        n = len(capital.cost)
        rows: list[np.ndarray] = []
        coefficients: list[np.ndarray] = []
        upper: list[float] = []
        for year, budget in sorted(capital.budget.items()):
            rows.append(np.nonzero(capital.spend_year == year)[0])
            coefficients.append(capital.cost[rows[-1]].astype(float))
            upper.append(float(budget))
        rows.append(np.arange(n))
        coefficients.append(capital.cost.astype(float))
        upper.append(float(capital.total))
        for p in np.unique(capital.project):
            rows.append(np.nonzero(capital.project == p)[0])
            coefficients.append(np.ones(len(rows[-1])))
            upper.append(1.0)
        self.highs = _quiet_highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("time_limit", seconds)
        self.highs.addVars(n, np.zeros(n), capital.allowed.astype(float))
        self.highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                         np.array([highspy.HighsVarType.kInteger] * n))
        for index, values, bound in zip(rows, coefficients, upper, strict=True):
            self.highs.addRow(-highspy.kHighsInf, bound, len(index), index.astype(np.int32), values)

    def __call__(self, price: np.ndarray) -> tuple[float, float, list[int]]:
        n = len(price)
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), price)
        self.highs.run()
        info = self.highs.getInfo()
        chosen = np.nonzero(np.array(self.highs.getSolution().col_value) > 0.5)[0]
        return float(info.objective_function_value), float(info.mip_dual_bound), [int(i) for i in chosen]


def decompose(built: ExpansionModel, pricing: str, seconds: float, smoothing: float,
              round_seconds: float) -> tuple[dict[str, float], Cut]:
    """Column generation on the capital side: the figures of the line printed, and the best round's cut
    (`sum(duals[i] * build[keys[i]]) >= lowest` holds for every programme the pricing covers)."""
    started = time.perf_counter()
    evaluator = ProgrammeEvaluator(built.model, built.builds)
    master, columns = evaluator.highs, evaluator.columns
    master.run()
    root = master.getInfo().objective_function_value
    capital = Capital(built, evaluator.keys, evaluator.allowed)
    price = (lambda duals: price_dp(capital, duals)) if pricing == "dp" else MipPricing(capital, round_seconds)
    n, first = len(columns), master.getLp().num_row_
    # Build choice i = the weight of the programmes that make it; the weights add up to at most 1 (none: build nothing).
    master.addRows(n, np.zeros(n), np.zeros(n), n, np.arange(n, dtype=np.int32), columns.astype(np.int32), np.ones(n))
    master.addRow(-highspy.kHighsInf, 1.0, 0, np.array([], dtype=np.int32), np.array([]))
    link, convexity = np.arange(first, first + n), first + n
    best, centre, cut, rounds, value, converged = -np.inf, None, 0.0, 0, root, False
    while time.perf_counter() - started < seconds:
        master.run()
        value = master.getInfo().objective_function_value
        duals = np.array(master.getSolution().row_dual)
        link_duals, weight_dual = duals[link], duals[convexity]
        _, lowest, chosen = price(link_duals)
        bound = value + min(0.0, lowest - weight_dual)
        if bound > best:
            best, centre, cut = bound, link_duals, lowest
        candidates = [chosen]
        if smoothing > 0 and centre is not None:
            candidates.append(price(smoothing * centre + (1 - smoothing) * link_duals)[2])
        added = 0
        for programme in candidates:
            if programme and link_duals[programme].sum() - weight_dual < -1e-9 * abs(value):
                rows = np.append(link[programme], convexity).astype(np.int32)
                master.addCol(0.0, 0.0, highspy.kHighsInf, len(rows), rows, np.append(-np.ones(len(programme)), 1.0))
                added += 1
        rounds += 1
        if not added:
            converged = True
            break
    figures = {"root": root, "bound": best, "master": value, "rounds": rounds,
               "seconds": time.perf_counter() - started, "converged": float(converged)}
    return figures, (evaluator.keys, np.zeros(n) if centre is None else centre, cut)


def solve_with_cut(built: ExpansionModel, cut: Cut, seconds: float) -> str:
    """The bench's solve (local search, then HiGHS) on the model with the best round's cut added: the LP relaxation
    then starts at or above the bound (linear programming duality), and HiGHS's own cuts and search add to it."""
    keys, duals, lowest = cut
    terms = [float(duals[i]) * built.builds[key] for i, key in enumerate(keys) if duals[i] != 0]
    built.model.add_linear_constraint(mathopt.fast_sum(terms) >= lowest - 1e-9 * abs(lowest), name="dw_cut")
    solution = built.solve(SolveOptions(time_limit_seconds=seconds, relative_gap=1e-4))
    gap = "n/a" if solution.gap is None else f"{100 * solution.gap:.3f}%"
    return (f" with_cut: objective={solution.objective or 0:,.0f} bound={solution.bound or 0:,.0f} "
            f"status={solution.status} gap={gap} wall={solution.wall_seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pricing", choices=("dp", "mip"), default="dp")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds for the column generation")
    parser.add_argument("--smoothing", type=float, default=0.5, help="0: price at the master's duals only")
    parser.add_argument("--round-seconds", type=float, default=5.0, help="--pricing mip: HiGHS seconds per round")
    parser.add_argument("--solve-seconds", type=float, default=0.0,
                        help="then solve the MIP with the best cut added for this long, as the bench does; 0: no")
    args = parser.parse_args(argv)
    built = county_model()
    figures, cut = decompose(built, args.pricing, args.time_limit, args.smoothing, args.round_seconds)
    solved = solve_with_cut(built, cut, args.solve_seconds) if args.solve_seconds > 0 else ""
    print(f"dw_bound county pricing={args.pricing}: root_lp={figures['root'] / _SOLVER_UNITS:,.0f} "
          f"bound={figures['bound'] / _SOLVER_UNITS:,.0f} master={figures['master'] / _SOLVER_UNITS:,.0f} "
          f"rounds={figures['rounds']:.0f} converged={bool(figures['converged'])} seconds={figures['seconds']:.1f}"
          + solved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
