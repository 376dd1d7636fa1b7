"""CLI: `placeplan scenario run|compare|optimise`, `placeplan cflp FILE`, `placeplan bench expansion|sweep`.

Scenarios are named (shipped) or YAML files. They run on the newest stored council by default, or on `--stored NAME`,
`--file PATH` (an Instance JSON file) or `--preset NAME` (the demo/county generator; `--seed` picks its seed), the
same vocabulary as every solving command (api/cli/instance_source.py). Errors print a clear message on stderr and
exit non-zero, without a traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.common import error_console, print_error, solver_bar
from api.cli.instance_source import FileOption, PresetOption, StoredOption
from api.cli.tables import CsvOption, results_console, show_table

# --seed beside --stored/--file/--preset on every scenario command that builds a preset
SeedOption = Annotated[int | None, typer.Option(help="With --preset: the generator's seed (alone: the demo preset)")]
console = Console(soft_wrap=True)


class DataChoice:
    """The council a scenario command runs on (--stored / --file / --preset with --seed), resolved once."""

    def __init__(self, stored: str | None, file: Path | None, preset: str | None, seed: int | None,
                 legacy_file: Path | None = None) -> None:
        self.stored, self.file, self.preset, self.seed, self.legacy_file = stored, file, preset, seed, legacy_file
        self._instance: Any = None

    def base(self) -> Any:
        """The base instance; `--seed` alone means the demo preset with that seed (the shipped scenarios' base)."""
        from api.cli.instance_source import resolve_instance

        if self._instance is None:
            preset = self.preset or ("demo" if self.seed is not None else None)
            self._instance = resolve_instance(self.file, preset, seed=self.seed if self.seed is not None else 2026,
                                              stored=self.stored, legacy_file=self.legacy_file).instance
        return self._instance

    @property
    def label(self) -> str:
        if self.stored or self.preset:
            return str(self.stored or self.preset)
        return str(self._instance.name) if self._instance is not None else "stored"


def _fail(message: str) -> None:
    print_error(message)  # one line: a reason is never broken
    raise typer.Exit(code=1)


def _guard(action: Callable[[], None]) -> None:
    """Run a command body; known input errors become a message and exit code 1."""
    try:
        action()
    except typer.Exit:
        raise
    except (ValueError, KeyError, FileNotFoundError, OSError) as error:
        text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        _fail(str(text))


def _load_spec(name_or_file: str) -> Any:
    from scenarios.registry import get_scenario
    from scenarios.spec import load_spec

    path = Path(name_or_file)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        return load_spec(path)
    return get_scenario(name_or_file)


def _lookup(spec: Any) -> Callable[[str], Any]:
    from scenarios.registry import get_scenario

    def lookup(name: str) -> Any:
        return spec if name == spec.name else get_scenario(name)

    return lookup


def _run_named(name_or_file: str, choice: DataChoice, progress: Any,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the scenario named (or the spec file) on the chosen council; `extra` parameters override the spec's."""
    from scenarios.runner import run_scenario
    from scenarios.spec import all_parameters, materialise_spec

    if name_or_file == "baseline":
        return run_scenario(choice.base(), dict(extra or {}), progress)
    spec = _load_spec(name_or_file)
    instance, overrides = materialise_spec(spec, choice.base(), _lookup(spec))
    return run_scenario(instance, {**all_parameters(spec, _lookup(spec)), **overrides, **(extra or {})}, progress)


def kpi_label(name: str) -> str:
    """A KPI's row label with its unit when it is money: "out of area cost (GBP)" (scenarios.comparison.UNITS)."""
    from scenarios.comparison import UNITS

    return name.replace("_", " ") + (" (GBP)" if UNITS.get(name) == "GBP" else "")


def kpi_text(name: str, value: float, *, signed: bool = False) -> str:
    """A KPI as printed, one format per measure whatever its size: minutes to one decimal, everything else (learners,
    whole pounds) as a whole number with thousands separators, so "0" and "1,500,000" share a row, never "0.0"."""
    from scenarios.comparison import UNITS

    decimals = 1 if UNITS.get(name) == "minutes" else 0
    return f"{value:{'+' if signed else ''},.{decimals}f}"


def _kpi_table(title: str, run: dict[str, Any]) -> Table:
    from scenarios.runner import KPI_FIELDS

    table = Table(title=title)
    table.add_column("year", justify="right")
    for name, _ in KPI_FIELDS:
        table.add_column(kpi_label(name), justify="right")
    for year in run["years"]:
        row = run["kpis"][year]
        table.add_row(year, *[kpi_text(name, row[name]) for name, _ in KPI_FIELDS])
    return table


def compare_table(table_data: dict[str, Any]) -> Table:
    """`scenario compare`'s totals: a row per scenario, then one per other scenario's difference against the
    baseline ("NAME minus BASELINE"); money in whole pounds throughout (no "4.1m" beside "234,000")."""
    from scenarios.runner import KPI_FIELDS

    table = Table(title=f"totals over the horizon (differences against {table_data['baseline']})")
    table.add_column("scenario")
    names_shown = [n for n, _ in KPI_FIELDS if not n.endswith("journey_minutes")]
    for metric in names_shown:
        table.add_column(kpi_label(metric), justify="right")
    for name, totals in table_data["totals"].items():
        table.add_row(name, *[kpi_text(m, totals[m]) for m in names_shown])
    for name, diff in table_data["totals_vs_baseline"].items():
        if name != table_data["baseline"]:
            table.add_row(f"{name} minus {table_data['baseline']}", *[kpi_text(m, diff[m], signed=True)
                                                                      for m in names_shown])
    return table


def _or_dash(value: float | None, decimals: int) -> str:
    """A figure, or '-' when the solve found none (not 0, which would read as a result)."""
    return "-" if value is None else f"{value:,.{decimals}f}"


def announce_optimise(time_limit: float, frontier: bool, marginal: bool, draws: int = 0) -> None:
    """Say up front how long the optimiser may take: --time-limit is a wall-clock limit for the whole call
    (forecast, main solve, frontier levels, marginal values and draws; planner/expansion/programme.py)."""
    parts = [f"up to {time_limit * 1.1:g} s in all (--time-limit {time_limit:g} s covers the main solve"]
    extras = [name for name, on in (("the budget frontier", frontier), ("marginal values", marginal),
                                    (f"{draws} forecast draws", bool(draws))) if on]
    if extras:
        parts.append(" and " + ", ".join(extras))
    error_console().print("optimising after a forecast: " + "".join(parts) + ")", highlight=False, soft_wrap=True)


def _print_money(money: dict[str, Any], console: Console) -> None:
    """Totals over the horizon per scenario, in GBP million; savings and payback against the baseline."""
    table = Table(title=f"high-needs spend over the horizon, GBP m (baseline: {money.get('baseline') or 'none'})")
    for column in ("scenario", "capital", "placements", "transport", "unmet need", "total", "savings", "payback"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for row in money["summary"]:
        savings = row["savings_vs_baseline"]
        table.add_row(row["scenario"], *[f"{row[k] / 1e6:,.1f}" for k in ("capital", "revenue", "transport", "unmet",
                                                                           "total")],
                      "-" if savings is None else f"{savings / 1e6:,.1f}", str(row["payback_year"] or "-"))
    console.print(table)


def _cost_assumptions(path: Path | None) -> dict[str, Any]:
    """Cost assumption overrides from a JSON/YAML file (planner.costs), or none."""
    if path is None:
        return {}
    import yaml

    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{path.name}: expected a mapping of cost assumptions")
    return loaded


def register(app: typer.Typer, bench: typer.Typer) -> None:
    scenario = typer.Typer(help="What-if scenarios: run, compare and optimise expansion programmes.",
                           no_args_is_help=True)
    app.add_typer(scenario, name="scenario")

    @scenario.command("list")
    def list_scenarios(
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        seed: SeedOption = None,
    ) -> None:
        """List the shipped scenarios; with --stored/--file/--preset, whether each fits that council and why not."""
        from scenarios.registry import get_scenario, scenario_names, shipped_fit

        choice = DataChoice(stored, file, preset, seed)
        given = any(value is not None for value in (stored, file, preset, seed))

        def body() -> None:
            reasons = shipped_fit(choice.base()) if given else {}
            for name in scenario_names():
                spec = get_scenario(name)
                fit = "" if not given else ": fits" if reasons[name] is None else f": {escape(str(reasons[name]))}"
                console.print(f"[bold]{name}[/bold]{fit} (parent: {spec.parent or '-'}): {spec.description.strip()}",
                              highlight=False)

        _guard(body)

    @scenario.command("run")
    def run(
        name: Annotated[str, typer.Argument(help="Shipped scenario name, 'baseline', or a YAML/JSON file")],
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        seed: SeedOption = None,
        csv_target: CsvOption = None,
        output: Annotated[Path | None, typer.Option("--json", help="Write the full result as JSON")] = None,
    ) -> None:
        """Run one scenario: per-year demand, unmet need, out of area, capital, revenue and journeys."""
        choice = DataChoice(stored, file, preset, seed)
        console = results_console(csv_target)

        def body() -> None:
            choice.base()
            error_console().print("running the scenario: a forecast, a sufficiency flow per year and a placement round "
                                "(the 3,500-learner demo: about 5 s)", highlight=False)
            with solver_bar(f"scenario {name}") as progress:
                result = _run_named(name, choice, progress)
            show_table(_kpi_table(f"scenario {name}", result), csv_target, transpose=True, corner="year")
            headline = result.get("placement")
            if headline:
                console.print(f"placement round {headline['academic_year']}: placed {headline['placed']} of "
                              f"{headline['learners']}, unplaced {headline['unplaced']}; first preference met "
                              f"{headline['first_preference_met']} of {headline['with_requests']} with requests",
                              highlight=False)
            if output:
                output.write_text(json.dumps(result, indent=2), encoding="utf-8")
            stats = result["statistics"]
            console.print(f"scenario {name}: status={result['status']} wall={stats['wall_seconds']:.2f} s")

        _guard(body)

    @scenario.command("compare")
    def compare(
        names: Annotated[list[str], typer.Argument(help="Scenarios to compare ('baseline' for the base)")],
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        seed: SeedOption = None,
        csv_path: Annotated[str | None, typer.Option(
            "--csv", metavar="PATH|-", help="Write the comparison per scenario and year as CSV to PATH; '-' writes it "
                                            "to stdout instead of the table")] = None,
        xlsx_path: Annotated[Path | None, typer.Option("--xlsx", help="Write the table as XLSX")] = None,
        chart: Annotated[Path | None, typer.Option(help="Write a chart (.png or .svg)")] = None,
        output: Annotated[Path | None, typer.Option("--json", help="Write the comparison as JSON")] = None,
    ) -> None:
        """Compare scenarios side by side per year (table, CSV/XLSX, PNG/SVG chart)."""
        from scenarios.runner import compare_runs, comparison_chart, comparison_csv, comparison_xlsx

        choice = DataChoice(stored, file, preset, seed)

        def body() -> None:
            runs = {}
            choice.base()
            error_console().print(f"comparing {len(names)} scenarios: each a forecast, a sufficiency flow per year and "
                                  "a placement round (the 3,500-learner demo: about 5 s each)")
            with solver_bar("comparing") as progress:
                for name in names:
                    runs[name] = _run_named(name, choice, progress)
            table_data = compare_runs(runs)
            table = compare_table(table_data)
            if csv_path == "-":
                typer.echo(comparison_csv(table_data), nl=False)
            else:
                show_table(table, transpose=True, corner="total over the horizon")
            if csv_path and csv_path != "-":
                Path(csv_path).write_text(comparison_csv(table_data), encoding="utf-8")
            if xlsx_path:
                xlsx_path.write_bytes(comparison_xlsx(table_data))
            if chart:
                chart.write_bytes(comparison_chart(table_data, chart.suffix.lstrip(".").lower()))
            if output:
                output.write_text(json.dumps(table_data, indent=2), encoding="utf-8")

        _guard(body)

    @scenario.command("costs")
    def costs(
        names: Annotated[list[str], typer.Argument(help="Scenarios to cost ('baseline' first: savings against it)")],
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        seed: SeedOption = None,
        assumptions: Annotated[Path | None, typer.Option(
            help="Cost assumptions (JSON/YAML: place_costs, setting_costs, transport_bands, unmet_cost_by_need, "
                 "inflation...)")] = None,
        csv_path: Annotated[str | None, typer.Option(
            "--csv", metavar="PATH|-", help="Write spend per scenario and year as CSV to PATH; '-' writes it to "
                                            "stdout instead of the table")] = None,
        xlsx_path: Annotated[Path | None, typer.Option("--xlsx", help="Write summary, by year, assumptions")] = None,
        chart: Annotated[Path | None, typer.Option(help="Write the spend and payback chart (.png or .svg)")] = None,
        output: Annotated[Path | None, typer.Option("--json", help="Write the money views as JSON")] = None,
    ) -> None:
        """High-needs spend over the horizon per scenario: capital, placements, transport, unmet need, savings
        against the baseline and payback year. On the newest stored council unless --stored/--file/--preset."""
        from planner.io.money_export import money_chart, money_csv, money_xlsx
        from scenarios.runner import compare_money

        choice = DataChoice(stored, file, preset, seed)

        def body() -> None:
            overrides = _cost_assumptions(assumptions)
            choice.base()
            runs = {}
            with solver_bar("costing") as progress:
                for name in names:
                    runs[name] = _run_named(name, choice, progress, {"costs": overrides})
            money = compare_money(runs)
            if csv_path == "-":
                typer.echo(money_csv(money["views"]), nl=False)
            else:
                _print_money(money, console)
            if csv_path and csv_path != "-":
                Path(csv_path).write_text(money_csv(money["views"]), encoding="utf-8")
            if xlsx_path:
                xlsx_path.write_bytes(money_xlsx(money["views"]))
            if chart:
                chart.write_bytes(money_chart(money["views"], chart.suffix.lstrip(".").lower()))
            if output:
                output.write_text(json.dumps(money, indent=2), encoding="utf-8")

        _guard(body)

    @scenario.command("optimise")
    def optimise(
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        seed: SeedOption = None,
        csv_target: CsvOption = None,
        candidates: Annotated[int, typer.Option(help="Candidate projects to generate")] = 40,
        years: Annotated[int, typer.Option(help="Horizon in academic years")] = 10,
        budget_total: Annotated[float, typer.Option(help="Total capital budget, GBP")] = 60_000_000,
        budget_per_year: Annotated[float, typer.Option(help="Capital budget per year, GBP")] = 15_000_000,
        time_limit: Annotated[float, typer.Option(
            help="Seconds for the whole run: forecast, solve, frontier, marginal values, robust KPIs")] = 60,
        gap: Annotated[float, typer.Option(help="Target relative gap (0.0001: prove within 0.01%)")] = 0.0001,
        frontier: Annotated[bool, typer.Option(help="Solve at 6 budget levels")] = True,
        quantile: Annotated[float, typer.Option(help="Forecast quantile used as demand (0.5 = p50)")] = 0.5,
        runs: Annotated[int, typer.Option(help="Forecast Monte Carlo runs")] = 1000,
        draws: Annotated[int, typer.Option(help="Forecast runs the programme is evaluated on (0: none)")] = 10,
        marginal: Annotated[bool, typer.Option(help="Marginal value of each chosen project")] = True,
        chart: Annotated[Path | None, typer.Option(help="Frontier chart (.png/.svg)")] = None,
        output: Annotated[Path | None, typer.Option("--json", help="Write the full result as JSON")] = None,
        projects: Annotated[Path | None, typer.Option(
            help="The council's candidate projects (CSV: setting, places, need, phase, capital_cost, earliest_year)"
        )] = None,
        ramp_new: Annotated[str | None, typer.Option(
            help="Share of a new setting's places usable in its 1st, 2nd... year, e.g. 0.5,0.75")] = None,
        ramp_expansion: Annotated[str | None, typer.Option(
            help="Share of an expansion's places usable in its 1st, 2nd... year, e.g. 0.75")] = None,
        scenario: Annotated[str | None, typer.Option(
            help="Optimise on a shipped scenario on this council (placeplan scenario list) instead of its data as "
                 "it is")] = None,
    ) -> None:
        """Choose which expansion projects to fund, how big and when, within capital budgets."""
        from planner.expansion.programme import run_expansion

        choice = DataChoice(stored, file, preset, seed)
        console = results_console(csv_target)

        def body() -> None:
            instance = choice.base()
            announce_optimise(time_limit, frontier, marginal, draws)
            parameters: dict[str, Any] = {
                "candidate_count": candidates, "horizon_years": years, "budget_total": budget_total,
                "budget_per_year": budget_per_year, "marginal_values": marginal,
                "solve": {"time_limit_seconds": time_limit, "relative_gap": gap},
                "quantile": quantile, "forecast": {"runs": runs}, "robust_draws": draws,
                **({} if frontier else {"frontier_fractions": []}),
            }
            ramps = {key: [float(x) for x in text.split(",") if x.strip()]
                     for key, text in (("new", ramp_new), ("expansion", ramp_expansion)) if text is not None}
            if ramps:
                parameters["ramp_up"] = ramps
            if scenario is not None:  # its edits applied, its demand levers and journey limits in the parameters
                from scenarios.registry import shipped_run_input

                instance, parameters = shipped_run_input("expansion", scenario, instance, parameters)
            if projects is not None:
                from planner.expansion.candidates_csv import read_candidates_csv

                parameters["candidates"] = [c.model_dump() for c in read_candidates_csv(projects, instance)]
            with solver_bar("optimising") as progress:
                result = run_expansion(instance, parameters, progress)
            table = Table(title=f"programme ({result['status_text']})")
            for column in ("project", "places", "opens", "capital GBP", "marginal value GBP"):
                table.add_column(column, justify="left" if column == "project" else "right")
            for p in result["programme"]:
                mv = p["marginal_value"]
                # A marginal value within its re-solve's proven gap reads "not significant".
                table.add_row(f"{p['id']} {p['name']}", str(p["places"]), str(p["open_year"]),
                              f"{p['capital']:,.0f}",
                              (p.get("marginal_value_note") or "-") if mv is None else f"{mv:,.0f}")
            show_table(table, csv_target)
            if result.get("frontier"):
                front = Table(title="budget frontier", caption="each level's gap is against the best bound proven at "
                                                               "its budget or a dearer one; '-': no solution in time")
                for column in ("budget GBP", "status", "capital used", "unmet learner-years",
                               "out of area learner-years", "objective", "programme from"):
                    front.add_column(column, justify="right")
                for row in result["frontier"]:
                    front.add_row(f"{row['budget_total']:,.0f}", str(row.get("status_text", "-")),
                                  _or_dash(row["capital_used"], 0), _or_dash(row["unmet_learner_years"], 1),
                                  _or_dash(row["out_of_area_learner_years"], 1), _or_dash(row["objective"], 0),
                                  str(row.get("programme_from", "-")))
                if csv_target != "-":
                    show_table(front)
                if chart:
                    from planner.expansion.programme import frontier_chart

                    chart.write_bytes(frontier_chart(result["frontier"], chart.suffix.lstrip(".").lower()))
            robust = result.get("robust")
            if robust and not robust["draws"]:
                console.print("robust KPIs: no forecast draw evaluated within the time limit", highlight=False)
            elif robust:
                console.print(f"over {robust['draws']} forecast draws: unmet learner-years expected "
                              f"{robust['unmet_expected']:,.1f}, p90 {robust['unmet_p90']:,.1f}; out of area expected "
                              f"{robust['out_of_area_expected']:,.1f}, p90 {robust['out_of_area_p90']:,.1f}",
                              highlight=False)
            money = result.get("money")
            if money:
                savings = money.get("savings_vs_baseline")
                console.print(
                    f"high-needs spend over {len(money['years'])} years: GBP {sum(money['total']) / 1e6:,.1f}m "
                    f"(capital GBP {money['capital'] / 1e6:,.1f}m); against building nothing: "
                    + ("not solved in time" if savings is None else
                       f"saves GBP {sum(savings) / 1e6:,.1f}m, payback "
                       f"{money['payback_year'] or 'not within the horizon'}"),
                    highlight=False)
            if output:
                output.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
            stats = result["statistics"]
            gap_text = "n/a" if stats["gap"] is None else f"{100 * stats['gap']:.2f}%"
            split = ", ".join(f"{k} {v:.1f} s" for k, v in stats.get("time_split", {}).items() if k != "total")
            error_console().print(f"time split: {split}", highlight=False)
            first = stats.get("first_programme")
            if first:
                error_console().print(f"first programme (greedy and local search): objective {first['objective']:,.0f} "
                                    f"in {first['seconds']:.1f} s, {first['evaluations']} programmes priced, "
                                    f"{first['kicks']} kicks", highlight=False)
            console.print(f"expansion {choice.label}: projects={stats['projects']} years={stats['years']} "
                          f"status={result['status_text']} gap={gap_text} wall={stats['total_wall_seconds']:.1f} s "
                          f"(limit {stats['time_limit_seconds']:.0f} s)", highlight=False)

        _guard(body)

    @app.command("cflp")
    def cflp(
        file: Annotated[Path, typer.Argument(help="OR-Library capacitated facility location file (capNN.txt)")],
        time_limit: Annotated[float, typer.Option(help="Seconds")] = 300,
    ) -> None:
        """Solve an OR-Library CFLP instance through the expansion optimiser."""
        from planner.expansion.cflp import read_cflp, solve_cflp

        def body() -> None:
            solution = solve_cflp(read_cflp(file), time_limit_seconds=time_limit)
            objective = "none" if solution.objective is None else f"{solution.objective:.3f}"
            console.print(f"objective={objective} status={solution.status} wall={solution.wall_seconds:.2f}",
                          highlight=False)

        _guard(body)

    @bench.command("expansion")
    def bench_expansion(
        preset: Annotated[str, typer.Option(help="demo|county")] = "county",
        seed: Annotated[int, typer.Option()] = 2026,
        candidates: Annotated[int, typer.Option()] = 40,
        years: Annotated[int, typer.Option()] = 10,
        time_limit: Annotated[float, typer.Option()] = 60,
        gap: Annotated[float, typer.Option(help="Target relative gap (0.0001: 'optimal' means within 0.01%)")]
        = 0.0001,
        runs: Annotated[int, typer.Option(help="Forecast Monte Carlo runs")] = 1000,
        stored: Annotated[str | None, typer.Option(help="Time it on this stored council instead of a preset")]
        = None,
    ) -> None:
        """Time the expansion MIP on a preset (demand from the forecast's p50): one line of figures at the end.

        `wall` is building the model (travel, arcs) plus solving it; the forecast's own time is printed apart.
        """
        from planner.expansion.model import SolveOptions, solve_expansion_data
        from planner.expansion.programme import ExpansionParameters, build_expansion_data, project_forecast
        from planner.forecast.simulation import ForecastParameters

        choice = DataChoice(stored, None, None, None) if stored is not None else DataChoice(None, None, preset, seed)

        def body() -> None:
            instance = choice.base()
            params = ExpansionParameters(candidate_count=candidates, horizon_years=years,
                                         forecast=ForecastParameters(runs=runs),
                                         solve=SolveOptions(time_limit_seconds=time_limit, relative_gap=gap))
            with solver_bar("forecasting") as progress:
                projection = project_forecast(instance, params, progress)
            started = time.perf_counter()
            data, _ = build_expansion_data(instance, params, projection=projection)
            with solver_bar("solving") as progress:
                solution = solve_expansion_data(data, params.weights, params.solve, progress)
            wall = time.perf_counter() - started
            console.print(f"forecast: {projection.runs} runs, {len(projection.years)} years, "
                          f"{projection.wall_seconds:.1f} s; model: {len(data.demand_ids)} demand groups, "
                          f"{len(data.source_ids)} settings, {len(data.arcs)} arcs; capital "
                          f"{solution.breakdown.get('capital', 0):,.0f} GBP on {len(solution.programme)} projects; "
                          f"objective {solution.objective or 0:,.0f}, bound {solution.bound or 0:,.0f}; unmet "
                          f"{solution.breakdown.get('unmet_learner_years', 0):,.0f} and out of area "
                          f"{solution.breakdown.get('out_of_area_learner_years', 0):,.0f} learner-years",
                          highlight=False)
            gap_text = "n/a" if solution.gap is None else f"{100 * solution.gap:.3f}%"
            console.print(f"expansion {stored or preset}: projects={len(data.projects)} years={len(data.years)} "
                          f"status={solution.status} gap={gap_text} wall={wall:.1f} s", highlight=False)

        _guard(body)

    @bench.command("sweep")
    def bench_sweep(
        cases: Annotated[int, typer.Option(help="Number of (scenario x draw x budget) cases")] = 200,
        dask_workers: Annotated[int, typer.Option(help="Also time a LocalCluster with this many workers; 0: no")]
        = 2,
        workers: Annotated[int, typer.Option(help="Local process pool workers")] = 2,
    ) -> None:
        """Time a sweep on the local process pool and on a Dask LocalCluster; checks both agree."""
        from scenarios.sweep import sweep_benchmark

        def body() -> None:
            with solver_bar("sweeping") as progress:
                figures = sweep_benchmark(cases, workers, dask_workers, progress)
            console.print(
                f"sweep: cases={figures['cases']} local_pool_wall={figures['local_wall']:.1f} s"
                + (f" dask_local_cluster_wall={figures['dask_wall']:.1f} s identical={figures['identical']}"
                   if figures.get("dask_wall") is not None else ""), highlight=False)

        _guard(body)
