"""The GAP solver reproduces the published OR-Library optima (gap1..gap4, both senses) and the CLI prints them."""

from __future__ import annotations

import csv
import itertools
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from planner.transitions.gap import GapProblem, solve_gap
from planner.transitions.gap_file import GapFileError, gap_problem_from_instance, parse_gap, read_gap

DATA = Path(__file__).resolve().parents[1] / "data" / "transitions"
OPTIMA = [(row["instance"], row["sense"].lower(), int(row["optimum"]))
          for row in csv.DictReader((DATA / "optima.csv").open())]


def test_every_instance_is_listed_in_both_senses() -> None:
    assert len(OPTIMA) == 40
    assert {s for _, s, _ in OPTIMA} == {"min", "max"}


@pytest.mark.parametrize(("name", "sense", "optimum"), OPTIMA)
def test_published_optimum(name: str, sense: str, optimum: int) -> None:
    instance = read_gap(DATA / f"{name}.txt")
    result = solve_gap(gap_problem_from_instance(instance, "min" if sense == "min" else "max"), time_limit=60)
    assert result.status == "OPTIMAL"
    assert result.objective == optimum
    assert result.gap == 0


def test_cli_prints_objective_status_wall() -> None:
    out = CliRunner().invoke(app, ["gap", str(DATA / "c0515_1.txt"), "--sense", "max"])
    assert out.exit_code == 0, out.output
    assert re.fullmatch(r"objective=336 status=OPTIMAL wall=\d+\.\d+\n", out.output)


def test_cli_rejects_a_bad_file_and_sense(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\n1 2 3\n")
    out = CliRunner().invoke(app, ["gap", str(bad)])
    assert out.exit_code == 1 and "expected" in out.output
    out = CliRunner().invoke(app, ["gap", str(DATA / "c0515_1.txt"), "--sense", "up"])
    assert out.exit_code == 1 and "--sense" in out.output


def test_parse_errors_name_the_problem() -> None:
    with pytest.raises(GapFileError, match="integer"):
        parse_gap("2 x")
    with pytest.raises(GapFileError, match="positive"):
        parse_gap("0 3")


def _brute_force(problem: GapProblem) -> float | None:
    best: float | None = None
    n_agents = len(problem.capacities)
    choices = [[a for a in range(n_agents) if problem.costs[j][a] is not None] + [None] for j in
               range(len(problem.costs))]
    for combo in itertools.product(*choices):
        if problem.unassigned_penalty is None and None in combo:
            continue
        used = [0] * n_agents
        value = 0.0
        for j, a in enumerate(combo):
            if a is None:
                value += problem.unassigned_penalty[j]  # type: ignore[index]
            else:
                used[a] += problem.uses[j][a][0]
                value += problem.costs[j][a]  # type: ignore[operator]
        if all(u <= problem.capacities[a][0] for a, u in enumerate(used)) and (best is None or value < best):
            best = value
    return best


@pytest.mark.parametrize("seed", range(8))
def test_random_small_gaps_match_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    jobs, agents = 6, 3
    problem = GapProblem(
        costs=[[rng.randint(1, 20) if rng.random() < 0.85 else None for _ in range(agents)] for _ in range(jobs)],
        uses=[[[rng.randint(1, 9)] for _ in range(agents)] for _ in range(jobs)],
        capacities=[[rng.randint(5, 15)] for _ in range(agents)],
        unassigned_penalty=[50] * jobs,
    )
    result = solve_gap(problem, time_limit=10, workers=1)
    assert result.status == "OPTIMAL"
    assert result.objective == _brute_force(problem)
    again = solve_gap(problem, time_limit=10, workers=1)
    assert again.assignment == result.assignment  # same seed, same answer


# ---------------------------------------------------------------------------------------------------------------
# The portfolio (HiGHS MIP beside a one-worker CP-SAT) that `placeplan gap` runs
# ---------------------------------------------------------------------------------------------------------------

LARGE = {row["instance"]: int(row["optimum"]) for row in csv.DictReader((DATA / "orlib_optima.csv").open())}


@pytest.mark.parametrize(("name", "sense", "optimum"), OPTIMA)
def test_portfolio_reproduces_the_published_optimum(name: str, sense: str, optimum: int) -> None:
    from planner.transitions.gap_exact import solve_gap_portfolio

    instance = read_gap(DATA / f"{name}.txt")
    result = solve_gap_portfolio(gap_problem_from_instance(instance, "min" if sense == "min" else "max"),
                                 time_limit=60, workers=2)
    assert result.status == "OPTIMAL" and result.objective == optimum and result.gap == 0


@pytest.mark.parametrize("name", ["a05100", "a20200", "b05100", "b20100", "c05100", "c10100", "c20100"])
def test_portfolio_proves_types_a_to_c_at_council_sizes(name: str) -> None:
    from planner.transitions.gap_exact import solve_gap_portfolio

    instance = read_gap(DATA / f"{name}.txt")
    result = solve_gap_portfolio(gap_problem_from_instance(instance, "min"), time_limit=60, workers=2)
    assert result.status == "OPTIMAL" and result.objective == LARGE[name] == result.bound


@pytest.mark.parametrize("seed", range(8))
def test_portfolio_matches_brute_force_with_penalties_and_forbidden_pairs(seed: int) -> None:
    from planner.transitions.gap_exact import solve_gap_portfolio

    rng = random.Random(seed)
    jobs, agents = 6, 3
    problem = GapProblem(
        costs=[[rng.randint(1, 20) if rng.random() < 0.85 else None for _ in range(agents)] for _ in range(jobs)],
        uses=[[[rng.randint(1, 9)] for _ in range(agents)] for _ in range(jobs)],
        capacities=[[rng.randint(5, 15)] for _ in range(agents)],
        unassigned_penalty=[50] * jobs,
    )
    for workers in (1, 2):
        result = solve_gap_portfolio(problem, time_limit=10, workers=workers)
        assert result.status == "OPTIMAL" and result.objective == _brute_force(problem)


def test_portfolio_says_infeasible_when_no_plan_fits() -> None:
    from planner.transitions.gap_exact import solve_gap_portfolio

    problem = GapProblem(costs=[[1], [1]], uses=[[[5]], [[5]]], capacities=[[6]])
    assert solve_gap_portfolio(problem, time_limit=5).status == "INFEASIBLE"


def test_cli_runs_a_200_job_instance_with_the_portfolio() -> None:
    out = CliRunner().invoke(app, ["gap", str(DATA / "b20200.txt"), "--time-limit", "60"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("objective=2339 status=OPTIMAL")
