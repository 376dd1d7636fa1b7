"""CLI: `placeplan place --round 2027` and `placeplan bench placement --preset county`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import CliError, audit_cli
from api.cli.instance_source import FileOption, LegacyFileOption, PresetOption, StoredOption, resolve_instance
from api.cli.tables import CsvOption, results_console, show_table

# What each objective rule's value counts (planner/placement/params.py ObjectiveRule), as the table labels it: the
# "placed" rule's value is 1 per learner left without a setting, so it is the unplaced count, not the placed one.
RULE_LABELS = {
    "placed": "unplaced learners (rule 'placed')",
    "preference": "preference penalty",
    "restrictiveness": "restrictiveness (0 mainstream .. 4 independent)",
    "travel": "journey minutes",
    "cost": "cost (cost units)",
    "stability": "proposals changed from --previous",
}

# Why a learner is left unplaced (planner/placement/plan.py UnplacedReason), in words.
UNPLACED_LABELS = {
    "NO_DESIGNATED_SETTING": "no setting meets the need at this age",
    "NO_SETTING_OF_PLAN_TYPE": "none of the plan's type or admitting them",
    "TOO_FAR": "all suitable settings too far",
    "ALL_FULL": "all suitable settings in reach full",
    "SIBLING_GROUP": "not placeable with the sibling group",
}


def placement_table(plan: Any, round_year: int) -> Table:
    """The round's figures: placed and unplaced counts, unplaced learners by reason, then each rule's value."""
    from collections import Counter

    s = plan.statistics
    table = Table(title=f"Placements {round_year}/{(round_year + 1) % 100:02d}",
                  caption="objective: each rule's value, lower is better (docs/placement.md)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("learners in the round", f"{s.placed + s.unplaced:,}")
    table.add_row("placed", f"{s.placed:,}")
    table.add_row("unplaced", f"{s.unplaced:,}", end_section=not s.unplaced)
    reasons = Counter(d.unplaced_reason.value for d in plan.decisions if d.setting_id is None and d.unplaced_reason)
    for reason, count in reasons.most_common():
        table.add_row(f"  unplaced: {UNPLACED_LABELS.get(reason, reason)}", f"{count:,}",
                      end_section=reason == reasons.most_common()[-1][0])
    for rule, value in s.objective.items():
        table.add_row(f"objective: {RULE_LABELS.get(rule, rule)}", f"{value:,}")
    return table


def read_previous_proposals(path: Path) -> dict[str, str | None]:
    """learner_id -> setting_id (blank: unplaced) from a placement list written by `place --out FILE.csv`."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ValueError(f"--previous: cannot read {path}: {error.strerror or error}") from None
    if rows and not {"learner_id", "setting_id"} <= set(rows[0]):
        raise ValueError(f"--previous: {path.name} needs the columns learner_id and setting_id (a `place --out` list)")
    return {row["learner_id"]: (row["setting_id"] or None) for row in rows}


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add `place` and `bench placement`."""

    @app.command("place")
    def place_command(
        round_year: int = typer.Option(..., "--round", help="Academic year of the places (2027 = 2027/28)"),
        stored: StoredOption = None,
        file: FileOption = None,
        preset: PresetOption = None,
        legacy_file: LegacyFileOption = None,
        csv_target: CsvOption = None,
        out: Path = typer.Option(None, "--out", help="Write the placement list (.csv or .xlsx)"),
        previous: Path = typer.Option(None, "--previous", help="An earlier placement list (.csv from --out): keep "
                                                               "its proposals wherever still feasible, list changes"),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Propose a setting for every learner moving in a round, with reasons."""
        from planner.io.placement_export import write_placements
        from planner.placement.matching import place
        from planner.placement.params import PlacementParameters

        console = results_console(csv_target)
        errors = Console(stderr=True, highlight=False)
        source = resolve_instance(file, preset, stored=stored, legacy_file=legacy_file)
        instance = source.instance
        try:
            earlier = read_previous_proposals(previous) if previous is not None else {}
            params = PlacementParameters(round_year=round_year, seed=seed, previous_proposals=earlier)
            with errors.status(f"placing the {round_year}/{(round_year + 1) % 100:02d} round (usually seconds; "
                               "a county of 20,000 learners takes about 2 s)"):
                plan = place(instance, params)
            # audited before anything is written (no audit, no export): the plan names every learner in the round
            audit_cli(None, action="export" if out is not None else "read", resource_type="placement_plan",
                      learner_count=len(plan.decisions), resource_id=out.name[:64] if out is not None else None)
            if out is not None:
                write_placements(instance, plan, out)
        except CliError as error:
            errors.print(f"[red]error:[/red] {error}", soft_wrap=True)
            raise typer.Exit(error.code) from None
        except (ValueError, OSError, KeyError) as error:
            errors.print(f"[red]error:[/red] {error}", soft_wrap=True)
            raise typer.Exit(1) from None
        s = plan.statistics
        show_table(placement_table(plan, round_year), csv_target)
        if previous is not None:
            console.print(f"{len(plan.changes)} proposal(s) changed from {previous.name}")
            for change in plan.changes:
                console.print(f"  {change.learner_id}: {change.previous_setting_id or 'unplaced'} -> "
                              f"{change.setting_id or 'unplaced'}: {change.reason}")
        for problem in plan.infeasibilities:
            errors.print(f"[red]{problem.rule}[/red] {problem.learner_id}: {problem.detail}", soft_wrap=True)
        console.print(f"status={s.status} placed={s.placed} unplaced={s.unplaced} wall={s.wall_seconds:.2f} s"
                      + (f" -> {out}" if out else ""))
        if s.status == "INFEASIBLE":
            raise typer.Exit(1)

    @bench.command("placement")
    def bench_placement(
        preset: str = typer.Option("county", "--preset"),
        siblings: bool = typer.Option(False, "--siblings", help="Keep 2% sibling groups and pin 1% of learners"),
        compare: str = typer.Option(None, "--compare", help="'cpsat': also time a plain CP-SAT model (120 s cap)"),
    ) -> None:
        """Place every learner of a preset; ends with one line of figures (with one bare flow solve's time on the
        same eligible pairs, and the ratio of the wall time to it)."""
        from scenarios.placement_bench import bare_flow, bench_line, plain_cpsat, run_bench

        console = Console()
        if compare not in (None, "cpsat"):
            Console(stderr=True).print(f"[red]error:[/red] --compare must be 'cpsat', got {compare!r}")
            raise typer.Exit(1)
        try:
            with console.status(f"placing every learner of {preset}"):
                instance, params, plan = run_bench(preset, siblings)
        except (ValueError, KeyError) as error:
            Console(stderr=True).print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from None
        with console.status("one bare min-cost flow on the same eligible pairs"):
            bare = bare_flow(instance, params)
        if compare == "cpsat":
            with console.status("plain CP-SAT (up to 120 s)"):
                result = plain_cpsat(instance, params)
            ratio = result.wall_seconds / max(plan.statistics.wall_seconds, 1e-9)
            console.print(f"cpsat compare: status={result.status} wall={result.wall_seconds:.1f} s "
                          f"objective={result.objective:.0f} bound={result.bound:.0f} "
                          f"ratio={ratio:.1f}x flow wall")
        console.print(bench_line(preset, plan, bare), soft_wrap=True, highlight=False)
