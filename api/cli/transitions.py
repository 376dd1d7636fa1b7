"""CLI: `placeplan transitions plan`, `placeplan gap FILE`, `placeplan bench transitions`."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api.cli.common import audit_cli, run_command, solver_bar
from api.cli.instance_source import FileOption, LegacyFileOption, PresetOption, StoredOption, resolve_instance
from api.minimise import minimise_result
from planner.domain.models import Instance

console = Console(highlight=False)
err_console = Console(stderr=True)


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=1)


def _plan(instance: Instance, parameters: dict[str, Any]) -> dict[str, Any]:
    from planner.transitions.planning import TransitionPlanError, run_transitions

    try:
        with solver_bar("transitions") as bar:
            return run_transitions(instance, parameters, bar)
    except TransitionPlanError as error:
        _fail(str(error))
    raise AssertionError("unreachable")  # pragma: no cover


def placement_settings(stored: str | None, run: str) -> tuple[dict[str, str], str | None]:
    """Learner -> proposed setting from a stored instance's placement run (`run`: "latest" or a run id), and the
    run's id; ({}, None) when there is none. The receiving setting of a transition comes from it (a pinned
    placement still wins; the family's first request is used only when there is no run): the same lookup as the
    API's transitions runs (api.transition_inputs)."""
    from sqlmodel import Session

    from api.cli.common import CliError, fresh_settings, open_database, resolve_instance_id
    from api.transition_inputs import PlacementRunNotFound, placement_proposals

    try:
        with open_database(fresh_settings()) as engine, Session(engine) as session:
            instance_id = resolve_instance_id(session, stored, None)
            return placement_proposals(session, instance_id, None, run)
    except (CliError, PlacementRunNotFound) as error:
        _fail(str(error))
    raise AssertionError("unreachable")  # pragma: no cover


def open_requests(path: Path) -> list[Any]:
    """The open needs-assessment requests of a SEN2 return (planner.io.sen2.requests), keyed by the same
    pseudonymous ids as the imported learners (the council's key); homes from the loaded postcode lookup."""
    from api.cli.common import CliError, fresh_settings, open_database
    from api.postcodes import loaded_lookup
    from planner.io.report import ImportValidationError
    from planner.io.sen2.requests import read_open_requests

    settings = fresh_settings()
    try:
        with open_database(settings) as engine:
            return read_open_requests(path, pseudonym_key=settings.resolved_pseudonym_key(),
                                      postcode_lookup=loaded_lookup(engine))
    except ImportValidationError as error:
        _fail(f"{path.name}: {len(error.report.problems)} problem(s) in the return's header or links")
    except (CliError, OSError, UnicodeError) as error:
        _fail(f"cannot read the requests of {path}: {error}")
    raise AssertionError("unreachable")  # pragma: no cover


def _write_outputs(result: dict[str, Any], out: Path) -> None:
    from planner.io.transition_export import (
        activities_csv,
        cases_csv,
        learner_html,
        plan_json,
        statutory_calendar_csv,
        team_ics,
        team_weeks_csv,
    )

    (out / "learners").mkdir(parents=True, exist_ok=True)
    (out / "teams").mkdir(parents=True, exist_ok=True)
    (out / "transition_plan.json").write_text(plan_json(result), encoding="utf-8")
    (out / "transition_activities.csv").write_text(activities_csv(result), encoding="utf-8")
    (out / "transition_cases.csv").write_text(cases_csv(result), encoding="utf-8")
    (out / "team_weeks.csv").write_text(team_weeks_csv(result), encoding="utf-8")
    if "statutory_calendar" in result:
        (out / "statutory_calendar.csv").write_text(statutory_calendar_csv(result), encoding="utf-8")
    for case in result["cases"]:
        (out / "learners" / f"{case['learner_id']}.html").write_text(learner_html(case), encoding="utf-8")
    for team in result["teams"]:
        (out / "teams" / f"{team['team_id']}.ics").write_bytes(team_ics(result, team["team_id"]).encode("utf-8"))


def print_cases(result: dict[str, Any], limit: int = 20) -> None:
    """The cases that will miss a deadline first (with the reason), then the tightest: deadline and slack."""
    from rich.table import Table

    cases = result["cases"]
    missing = sum(1 for c in cases if c.get("misses_deadline"))
    table = Table(title=f"Cases: {missing} will miss a deadline (listed first); {len(cases)} in all",
                  title_justify="left")
    for column in ("Learner", "Transition", "Deadline", "Team", "Slack (weeks)", "Misses deadline because"):
        table.add_column(column, justify="right" if column.startswith("Slack") else "left")
    ordered = sorted(cases, key=lambda c: (not c.get("misses_deadline"), c.get("slack_weeks") is not None,
                                           c.get("slack_weeks") or 0, c["planning_deadline"]))
    for case in ordered[:limit]:
        slack = case.get("slack_weeks")
        table.add_row(case["learner_id"], case["transition"].replace("_", " "),
                      f"{case['planning_deadline']}{'' if case['statutory'] else ' (local)'}", case["team_id"] or "-",
                      "-" if slack is None else str(slack), case.get("reason") or "")
    if len(cases) > limit:
        table.caption = f"first {limit} of {len(cases)}: every case is in transition_cases.csv with --out"
    console.print(table)


def print_team_weeks(result: dict[str, Any]) -> None:
    """Hours booked / available for each team (columns) in each term-time week (rows)."""
    from rich.table import Table

    teams = result["teams"]
    table = Table(title="Hours booked / available per team and week (term time)", title_justify="left")
    table.add_column("Week of")
    for team in teams:
        table.add_column(team["team_id"], justify="right")
    start = date.fromisoformat(result["calendar"]["start"])
    for week in result["calendar"]["school_weeks"]:
        cells = []
        for team in teams:
            booked = team["load_hours_by_week"][week]
            available = team["capacity_hours_by_week"][week] if team["capacity_hours_by_week"] else 0.0
            over = booked > available + 1e-9
            cells.append(f"{'[red]' if over else ''}{booked:g}/{available:g}{'[/red]' if over else ''}")
        table.add_row((start + timedelta(weeks=week)).isoformat(), *cells)
    console.print(table)


def summary_line(label: str, result: dict[str, Any]) -> str:
    """One line of figures: the whole problem's objective, valid bound and gap, wall, late cases, weeks over
    capacity (and the allocation MIP's own gap, under that name)."""
    stats = result["statistics"]
    gap, allocation_gap = stats["gap"], stats.get("allocation_gap")
    gap_text = "n/a" if gap is None else f"{100 * gap:.2f}"
    allocation_text = "n/a" if allocation_gap is None else f"{100 * allocation_gap:.2f}"
    levelling = stats.get("load_levelling", {})
    return (f"transitions {label}: cases={stats['cases']} teams={stats['teams']} status={result['status']} "
            f"objective={stats['objective']:.0f} bound={stats['bound']:.0f} gap={gap_text}% "
            f"wall={stats['wall_seconds']:.1f} s late={stats['late_cases']} "
            f"weeks_over_capacity={stats.get('weeks_over_capacity', 0)} "
            f"peak_week_load={100 * levelling.get('peak_load_share', 0):.0f}% "
            f"load_spread={levelling.get('mean_load_share_spread', 0):.3f} "
            f"first_3_weeks={100 * levelling.get('mean_first_3_weeks_share', 0):.0f}% "
            f"unallocated={stats['breakdown']['unallocated_cases']} allocation_gap={allocation_text}%")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """`placeplan transitions plan`, `placeplan gap` and `placeplan bench transitions`."""
    _register_plan(app)
    _register_gap(app)
    _register_bench(bench)


def _register_plan(app: typer.Typer) -> None:
    transitions = typer.Typer(help="Transition support: cases, outreach allocation and the weekly schedule.",
                              no_args_is_help=True)
    app.add_typer(transitions, name="transitions")

    @transitions.command("plan")
    def plan_command(
        year: Annotated[int, typer.Option(help="Calendar year of the September transfers (planned the year before)")],
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        legacy_file: LegacyFileOption = None,
        out: Annotated[Path | None, typer.Option(help="Folder for JSON, CSV, HTML per learner, ICS per team")] = None,
        time_limit: Annotated[float, typer.Option(help="Seconds for the whole solve")] = 30.0,
        seed: Annotated[int, typer.Option(help="Random seed (same seed, same plan)")] = 0,
        placement_run: Annotated[str, typer.Option(help="Stored instances: the placement run whose proposals are the "
                                                        "receiving settings (latest, a run id, or none)")] = "latest",
        sen2_requests: Annotated[Path | None, typer.Option(help="A SEN2 return (folder, XML or zip): its open "
                                                                "requests for a needs assessment are scheduled on "
                                                                "the 20-week clock")] = None,
    ) -> None:
        """Find every learner at a transition point, propose support, allocate teams and schedule the year."""
        source = resolve_instance(file, preset, stored=stored, legacy_file=legacy_file)
        inst = source.instance
        parameters: dict[str, Any] = {"year": year, "time_limit_seconds": time_limit, "seed": seed}
        if file is None and legacy_file is None and preset is None and placement_run != "none":
            settings, run_id = placement_settings(stored, placement_run)
            if run_id is not None:
                parameters.update(placement_settings=settings, placement_run_id=run_id)
                err_console.print(f"receiving settings from placement run {run_id} ({len(settings)} proposals)")
            else:
                err_console.print("no placement run stored: receiving settings from the families' first requests")
        if sen2_requests is not None:
            requests = open_requests(sen2_requests)
            parameters["assessment_requests"] = [r.model_dump(mode="json") for r in requests]
            err_console.print(f"{len(requests)} open needs-assessment requests from {sen2_requests.name}")
        err_console.print(f"planning transitions: up to {time_limit:g} s (--time-limit) for the solve")
        result = _plan(inst, parameters)
        # audited before anything is written (no audit, no export): the plan names every learner at a transition
        run_command(console, lambda: audit_cli(
            None, action="export" if out is not None else "read", resource_type="transition_plan",
            learner_count=len(result["cases"]), resource_id=out.name[:64] if out is not None else None))
        counts = result["counts"]
        console.print(f"{counts['cases']} cases: " + ", ".join(f"{k}={v}" for k, v in counts["by_transition"].items()))
        console.print("tiers: " + ", ".join(f"{k}={v}" for k, v in counts["by_tier"].items()))
        console.print(f"unallocated={counts['unallocated']} late={counts['late']}")
        print_team_weeks(result)
        print_cases(result)
        if out is not None:
            _write_outputs(minimise_result("transitions", result) or result, out)  # homes to 100 m
            console.print(f"wrote plan, cases, team-weeks, activities, {len(result['cases'])} learner pages and "
                          f"{len(result['teams'])} team calendars to {out}")
        console.print(summary_line(inst.name, result), soft_wrap=True)


def _register_gap(app: typer.Typer) -> None:
    @app.command("gap")
    def gap_command(
        file: Annotated[Path, typer.Argument(help="OR-Library GAP file (m n; costs; uses; capacities)")],
        sense: Annotated[str, typer.Option(help="min or max")] = "min",
        time_limit: Annotated[float, typer.Option(help="Seconds")] = 120.0,
        seed: Annotated[int, typer.Option()] = 0,
        method: Annotated[str, typer.Option(help="portfolio (HiGHS MIP beside a one-worker CP-SAT, the first to "
                                                 "prove optimality wins) or cpsat (the per-case CP-SAT model)")]
        = "portfolio",
        workers: Annotated[int, typer.Option(help="Cores: 1 runs the MIP alone in the portfolio")] = 2,
    ) -> None:
        """Solve an OR-Library generalised assignment instance exactly."""
        from planner.transitions.gap import solve_gap
        from planner.transitions.gap_exact import solve_gap_portfolio
        from planner.transitions.gap_file import GapFileError, gap_problem_from_instance, read_gap

        if sense not in ("min", "max"):
            _fail(f"--sense must be min or max, got {sense!r}")
        if method not in ("portfolio", "cpsat"):
            _fail(f"--method must be portfolio or cpsat, got {method!r}")
        try:
            instance = read_gap(file)
        except GapFileError as error:
            _fail(str(error))
        started = time.perf_counter()
        problem = gap_problem_from_instance(instance, "min" if sense == "min" else "max")
        if method == "portfolio":
            result = solve_gap_portfolio(problem, time_limit=time_limit, seed=seed, workers=workers)
        else:
            result = solve_gap(problem, time_limit=time_limit, seed=seed, workers=workers)
        wall = time.perf_counter() - started
        value = "none" if result.objective is None else f"{result.objective:g}"
        console.print(f"objective={value} status={result.status} wall={wall:.3f}")
        if result.objective is None:
            raise typer.Exit(code=2)


def _register_bench(bench: typer.Typer) -> None:
    @bench.command("transitions")
    def bench_command(
        preset: Annotated[str, typer.Option(help="Demo preset")] = "county",
        time_limit: Annotated[float, typer.Option(help="Seconds for the whole solve")] = 30.0,
        year: Annotated[int | None, typer.Option(help="Transfer year; default base year + 1")] = None,
        seed: Annotated[int, typer.Option()] = 0,
    ) -> None:
        """Plan the preset's transitions and print one line of figures."""
        inst = resolve_instance(preset=preset, console=err_console).instance
        result = _plan(inst, {"year": year or inst.base_year + 1, "time_limit_seconds": time_limit, "seed": seed})
        stats = result["statistics"]
        allocation = stats["allocation"]
        console.print(f"allocation MIP (half-term budgets only): status={allocation['status']} "
                      f"objective={allocation['objective']} bound={allocation['bound']} "
                      f"wall={allocation['wall_seconds']} s; lateness_cost={stats['breakdown']['lateness_cost']}; "
                      f"whole-problem bound by {stats['bound_method']}: {stats['bound_detail']}")
        console.print("seconds: " + ", ".join(f"{k}={v}" for k, v in stats.get("phase_seconds", {}).items()))
        console.print(summary_line(preset, result), soft_wrap=True)
