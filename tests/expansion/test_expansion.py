"""The council-level optimiser: marginal values are real re-solves, the frontier behaves, runs are deterministic."""

from __future__ import annotations

import pytest

from planner.domain.models import Instance
from planner.expansion.demand import draw_demand, forecast_draws
from planner.expansion.model import SolveOptions, solve_expansion_data
from planner.expansion.programme import (
    ExpansionParameters,
    budget_frontier,
    build_expansion_data,
    evaluate_programme,
    fixed_programme,
    frontier_chart,
    marginal_values,
    run_expansion,
    with_budget,
    without_project,
)
from planner.forecast.simulation import ForecastParameters
from planner.solving.progress import NullProgress
from planner.sufficiency import SufficiencyParameters, assess_sufficiency
from scenarios.demo import build_demo

EXACT = SolveOptions(relative_gap=1e-9, time_limit_seconds=60)


@pytest.fixture(scope="module")
def demo() -> Instance:
    return build_demo("demo", 2026)


@pytest.fixture(scope="module")
def params() -> ExpansionParameters:
    return ExpansionParameters(candidate_count=3, horizon_years=2, budget_total=20_000_000,
                               budget_per_year=12_000_000, solve=EXACT, frontier_fractions=[0, 0.25, 0.5, 1, 2],
                               forecast=ForecastParameters(runs=40), robust_draws=3)


def test_marginal_value_is_the_objective_change_when_dropped(demo: Instance, params: ExpansionParameters) -> None:
    data, _ = build_expansion_data(demo, params)
    solution = solve_expansion_data(data, params.weights, EXACT)
    assert solution.status == "optimal" and solution.programme
    values = marginal_values(data, solution, params.weights, EXACT)
    for decision in solution.programme:
        dropped = solve_expansion_data(without_project(data, decision.id), params.weights, EXACT)
        assert dropped.objective is not None and solution.objective is not None
        entry = values[decision.id]
        assert entry["raw_value"] == pytest.approx(dropped.objective - solution.objective, rel=1e-6, abs=1.0)
        # Solved exactly, the re-solve's gap is below any real value: the value is significant and reported.
        assert entry["significant"] and entry["value"] == entry["raw_value"] > 0


def test_frontier_never_gets_worse_with_more_budget(demo: Instance, params: ExpansionParameters) -> None:
    data, _ = build_expansion_data(demo, params)
    rows = budget_frontier(data, [0, 5e6, 10e6, 20e6, 40e6], params.weights, EXACT)
    assert len(rows) >= 5
    objectives = [row["objective"] for row in rows]
    assert all(b <= a + 1e-6 * abs(a) for a, b in zip(objectives, objectives[1:], strict=False))
    assert rows[0]["capital_used"] == 0 and rows[0]["projects"] == 0
    assert all(row["capital_used"] <= row["budget_total"] + 1e-6 for row in rows)
    assert frontier_chart(rows, "png").startswith(b"\x89PNG")


@pytest.mark.slow
def test_run_expansion_reports_programme_frontier_and_statistics(demo: Instance,
                                                                  params: ExpansionParameters) -> None:
    result = run_expansion(demo, params.model_dump(), NullProgress())
    again = run_expansion(demo, params.model_dump(), NullProgress())
    assert result["status"] == "optimal"
    assert {"wall_seconds", "objective", "bound", "gap"} <= set(result["statistics"])
    assert len(result["frontier"]) == 5
    assert [p["id"] for p in result["programme"]] == [p["id"] for p in again["programme"]]
    assert result["statistics"]["objective"] == again["statistics"]["objective"]
    assert all(p["marginal_value"] is not None or p["marginal_value_note"] == "not significant"
               for p in result["programme"])
    assert sum(p["capital"] for p in result["programme"]) <= 20_000_000 + 1e-6
    assert result["robust"]["draws"] == 3 and result["robust"] == again["robust"]


def test_robust_evaluation_over_forecast_draws(demo: Instance, params: ExpansionParameters) -> None:
    data, labels = build_expansion_data(demo, params)
    solution = solve_expansion_data(data, params.weights, EXACT)
    projection, cells = labels["projection"], labels["cells"]
    paths = forecast_draws(projection, cells, 4)
    # A draw is one Monte Carlo run of the forecast: its totals are that run's counts.
    for run, path in enumerate(paths):
        total = sum(sum(row) for row in path)
        assert total == projection.counts[run, ..., 1:].sum()
    assert paths[1] == draw_demand(projection, 1, cells) and paths[0] != paths[1]
    kpis = evaluate_programme(data, solution.programme, paths, params.weights)
    assert kpis["draws"] == 4
    assert min(kpis["unmet_expected"], kpis["unmet_p90"]) >= 0 and kpis["unmet_p90"] >= kpis["unmet_expected"] - 1e-6
    central = evaluate_programme(data, solution.programme, [list(map(list, data.demand))], params.weights)
    assert central["unmet_expected"] == pytest.approx(solution.breakdown["unmet_learner_years"], abs=1e-6)


def test_without_projects_the_mip_places_what_sufficiency_places(demo: Instance) -> None:
    """Same demand, same rules: the MIP's unmet need and out-of-area placements per year are sufficiency's."""
    params = ExpansionParameters(candidates=[], horizon_years=3, nearest_sources=None,
                                 forecast=ForecastParameters(runs=40), journey_limits={"secondary": 60})
    data, labels = build_expansion_data(demo, params)
    solution = solve_expansion_data(data, params.weights, EXACT)
    report = assess_sufficiency(demo, labels["projection"], SufficiencyParameters(
        journey_limit_minutes={"secondary": 60}))
    for totals in report.totals_by_year():
        year = totals["academic_year"]
        assert sum(row[data.years.index(year)] for row in data.demand) == totals["demand"]
        assert solution.unmet_by_year[year] == pytest.approx(totals["short_of_capacity"] + totals["out_of_reach"])
        assert solution.out_of_area_by_year[year] == pytest.approx(totals["placed_out_of_area"])


def test_bad_parameter_is_named(demo: Instance) -> None:
    with pytest.raises(ValueError, match="horizon_years"):
        run_expansion(demo, {"horizon_years": 0}, NullProgress())


def test_frontier_on_the_demo_is_monotone_and_never_worse_than_the_main_solve(demo: Instance) -> None:
    """Unmet need never rises and the objective never worsens as the budget rises; at the main solve's budget (and
    above its capital) a point is never worse than the main solve, even when each level gets a short time."""
    params = ExpansionParameters(candidate_count=12, horizon_years=4, budget_total=20_000_000,
                                 budget_per_year=10_000_000, forecast=ForecastParameters(runs=40),
                                 solve=SolveOptions(relative_gap=1e-4, time_limit_seconds=20))
    data, _ = build_expansion_data(demo, params)
    main = solve_expansion_data(data, params.weights, params.solve)
    assert main.objective is not None
    budgets = [20e6, 0, 5e6, 10e6, 30e6, 15e6]
    rows = budget_frontier(data, budgets, params.weights, SolveOptions(relative_gap=1e-4, time_limit_seconds=2),
                           main=main)
    assert [row["budget_total"] for row in rows] == sorted(budgets)
    for cheaper, dearer in zip(rows, rows[1:], strict=False):
        assert dearer["objective"] <= cheaper["objective"] + 1e-6
        assert dearer["unmet_learner_years"] <= cheaper["unmet_learner_years"] + 1e-6
    for row in rows:
        assert row["capital_used"] <= row["budget_total"] + 1e-6
        assert row["gap"] is not None and row["status_text"].startswith(("optimal", "feasible, gap"))
        if row["budget_total"] >= main.breakdown["capital"]:
            assert row["objective"] <= main.objective + 1e-6
    at_main = next(row for row in rows if row["budget_total"] == 20e6)
    assert at_main["objective"] == pytest.approx(main.objective)


def test_status_is_optimal_only_at_a_proven_gap_of_a_hundredth_of_a_percent() -> None:
    from planner.expansion.model import honest_status, status_text

    assert honest_status("optimal", 0.0035) == "feasible"
    assert status_text(honest_status("optimal", 0.0035), 0.0035) == "feasible, gap 0.35%"
    assert honest_status("optimal", 0.00009) == "optimal" and status_text("optimal", 0.00009) == "optimal"
    assert honest_status("feasible", 0.0) == "optimal"


def test_whole_run_keeps_to_its_time_limit(demo: Instance) -> None:
    """The issue's one timed test: a 5 s limit covers forecast, main solve, frontier, marginal values and robust
    KPIs; the whole call ends within 5.5 s (10% over at most), and the time split is reported."""
    import time

    parameters = {"candidate_count": 24, "horizon_years": 6, "forecast": {"runs": 100}, "robust_draws": 5,
                  "solve": {"time_limit_seconds": 5, "relative_gap": 0.0}}
    started = time.perf_counter()
    result = run_expansion(demo, parameters, NullProgress())
    wall = time.perf_counter() - started
    assert wall <= 5.5, result["statistics"]["time_split"]
    split = result["statistics"]["time_split"]
    assert {"forecast", "build", "main_solve", "total"} <= set(split) and split["total"] <= 5.5
    if result["statistics"]["objective"] is not None:  # on a very loaded machine even no programme may be found
        assert {"frontier", "marginal_values", "money", "robust"} <= set(split)


def test_programme_money_reconciles_with_the_mip_and_pays_back_against_building_nothing(
        demo: Instance, params: ExpansionParameters) -> None:
    from planner.costs.assumptions import CostAssumptions
    from planner.expansion.money import money_against_nothing, programme_money

    data, labels = build_expansion_data(demo, params)
    solution = solve_expansion_data(data, params.weights, EXACT)
    nothing = solve_expansion_data(data, params.weights, EXACT) if not solution.programme else \
        solve_expansion_data(fixed_programme(data, []), params.weights, EXACT)
    flat = CostAssumptions(inflation=0.0)
    money = programme_money(demo, data, labels["cells"], solution, labels["candidates"], flat)
    parts = solution.breakdown
    # Placements cost what the MIP counted: existing places, out-of-area fees and the new places' revenue.
    assert sum(map(sum, money["by_type"].values())) == pytest.approx(
        parts["revenue_existing_and_arcs"] + parts["out_of_area_cost"] + parts["revenue_new_places"], rel=1e-9)
    assert sum(money["unmet"]) == pytest.approx(parts["unmet_learner_years"] * 60_000, rel=1e-9)
    for t in range(len(money["years"])):
        assert money["total"][t] == pytest.approx(sum(s[t] for s in money["by_type"].values())
                                                  + money["transport"][t] + money["unmet"][t])
    compared = money_against_nothing(money, programme_money(demo, data, labels["cells"], nothing,
                                                            labels["candidates"], flat))
    base = programme_money(demo, data, labels["cells"], nothing, labels["candidates"], flat)
    assert compared["savings_vs_baseline"] == pytest.approx([b - s for b, s in zip(base["total"], money["total"],
                                                                                    strict=True)])
    assert compared["capital"] == pytest.approx(parts["capital"])


def test_a_cheaper_point_inherits_the_bound_of_a_dearer_one() -> None:
    """Hand-made points: a weak or missing bound is replaced by the best bound proven at a larger budget (or by the
    main solve's, passed as a known point), and the gap and status follow; a stronger own bound is kept."""
    from planner.expansion.followup import inherit_bounds

    rows = [{"budget_total": 0.0, "objective": 120.0, "bound": 120.0},
            {"budget_total": 10.0, "objective": 110.0, "bound": 3.0},
            {"budget_total": 20.0, "objective": 100.0, "bound": None},
            {"budget_total": 40.0, "objective": 99.0, "bound": 95.0},
            {"budget_total": 80.0, "objective": 98.0, "bound": 90.0}]
    inherit_bounds(rows, known=[(30.0, 97.0)])
    assert [row["bound"] for row in rows] == [120.0, 97.0, 97.0, 95.0, 90.0]
    assert "bound_from" not in rows[0] and "bound_from" not in rows[3]
    assert rows[1]["bound_from"].startswith("the point at GBP 30")
    assert rows[2]["gap"] == pytest.approx(0.03) and rows[2]["status_text"] == "feasible, gap 3.00%"
    assert rows[1]["gap"] == pytest.approx(13 / 110)


def test_inherited_frontier_bounds_are_valid(demo: Instance, params: ExpansionParameters) -> None:
    """With levels too short to prove anything themselves, every point's bound (own or inherited) is still at most
    that budget's true optimum (each level solved exactly on its own), and bounds never fall as budgets shrink."""
    data, _ = build_expansion_data(demo, params)
    budgets = [0, 5e6, 10e6, 20e6]
    main = solve_expansion_data(data, params.weights, EXACT)  # at the data's 20m
    rows = budget_frontier(data, budgets, params.weights, SolveOptions(time_limit_seconds=0.01), main=main)
    for row in rows:
        exact = solve_expansion_data(with_budget(data, row["budget_total"]), params.weights, EXACT)
        assert exact.status == "optimal" and exact.objective is not None
        assert row["bound"] is not None and row["bound"] <= exact.objective * (1 + 1e-7) + 1e-6
    assert all(a["bound"] >= b["bound"] - 1e-6 for a, b in zip(rows, rows[1:], strict=False))
    assert rows[2]["bound"] >= main.bound - 1e-6  # the 10m point knows at least what the 20m solve proved


def test_robust_draws_match_a_fresh_solve_of_each_draw(demo: Instance, params: ExpansionParameters) -> None:
    """One model re-solved per draw with only its demand changed gives, draw by draw, what a model built and solved
    for that draw alone gives (the independent oracle: MathOpt's HiGHS, strong links, the draw's own groups)."""
    from planner.expansion.draws import DrawEvaluator, envelope_of
    from planner.expansion.programme import fixed_programme, with_demand

    data, labels = build_expansion_data(demo, params)
    solution = solve_expansion_data(data, params.weights, EXACT)
    assert solution.programme, "the check needs a programme that places learners"
    paths = forecast_draws(labels["projection"], labels["cells"], 5)
    fixed = fixed_programme(data, solution.programme)
    evaluator = DrawEvaluator(with_demand(fixed, envelope_of(paths)), params.weights)
    unmet = []
    for path in paths:
        alone = solve_expansion_data(with_demand(fixed, path), params.weights, EXACT)
        figures = evaluator.evaluate(path, None)
        assert figures is not None
        assert figures[0] == pytest.approx(alone.breakdown["unmet_learner_years"], rel=1e-7, abs=1e-5)
        assert figures[1] == pytest.approx(alone.breakdown["out_of_area_learner_years"], rel=1e-7, abs=1e-5)
        unmet.append(figures[0])
    assert len(set(round(u, 6) for u in unmet)) > 1  # the draws differ, so the demand rows really were changed
    kpis = evaluate_programme(data, solution.programme, paths, params.weights)
    assert kpis["draws"] == 5 and kpis["unmet_expected"] == pytest.approx(sum(unmet) / 5)


def test_robust_draws_stop_at_the_deadline(demo: Instance, params: ExpansionParameters) -> None:
    """No draw is started after the deadline, and none is counted that was not solved."""
    import time

    data, _ = build_expansion_data(demo, params)
    paths = [list(map(list, data.demand))] * 4
    late = evaluate_programme(data, [], paths, params.weights, deadline=time.perf_counter() - 1.0)
    assert (late["draws"], late["draws_asked"]) == (0, 4)
    in_time = evaluate_programme(data, [], paths, params.weights, deadline=time.perf_counter() + 60.0)
    assert (in_time["draws"], in_time["draws_asked"]) == (4, 4)
