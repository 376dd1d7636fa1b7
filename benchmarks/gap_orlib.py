"""Benchmark: the OR-Library generalised assignment instances of types A-D (5-20 agents, 100-200 jobs) solved
exactly with `planner.transitions.gap_exact.solve_gap_portfolio` (what `placeplan gap` runs).

    .venv/bin/python benchmarks/gap_orlib.py [--time-limit 120] [--workers 2] [--method portfolio|highs|cpsat]
                                             [NAME ...]

Reads the instances and their known optima from tests/data/transitions (`a05100.txt` ... `d20200.txt`,
`orlib_optima.csv`; public OR-Library data, Beasley). Prints one line per instance:
`c20200 20x200 objective=2391 bound=2391 status=OPTIMAL wall=13.6 s known=2391`, then how many were proven optimal
within the limit. `--method highs` runs the MIP alone (one core), `cpsat` the per-case CP-SAT model of
`placeplan gap --method cpsat`.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from planner.transitions.gap import solve_gap
from planner.transitions.gap_exact import solve_gap_portfolio
from planner.transitions.gap_file import gap_problem_from_instance, read_gap

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "transitions"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="instances (default: all 24 of types A-D)")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--method", choices=("portfolio", "highs", "cpsat"), default="portfolio")
    args = parser.parse_args(argv)
    known = {row["instance"]: int(row["optimum"]) for row in csv.DictReader((DATA / "orlib_optima.csv").open())}
    names = args.names or list(known)
    proven = 0
    for name in names:
        instance = read_gap(DATA / f"{name}.txt")
        problem = gap_problem_from_instance(instance, "min")
        started = time.perf_counter()
        if args.method == "cpsat":
            result = solve_gap(problem, time_limit=args.time_limit, workers=args.workers)
        else:
            workers = 1 if args.method == "highs" else args.workers
            result = solve_gap_portfolio(problem, time_limit=args.time_limit, workers=workers)
        wall = time.perf_counter() - started
        proven += result.status == "OPTIMAL"
        objective = "none" if result.objective is None else f"{result.objective:g}"
        bound = "none" if result.bound is None else f"{result.bound:g}"
        print(f"{name} {instance.agents}x{instance.jobs} objective={objective} bound={bound} status={result.status} "
              f"wall={wall:.1f} s known={known.get(name, '?')}", flush=True)
    print(f"proven optimal: {proven} of {len(names)} within {args.time_limit:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
