"""`placeplan localities derive|import|list|set` and `placeplan teams default|import|list|set`.

A council that imported its own files has no localities and no outreach teams, and the forecast, sufficiency and
transition planning need both. These commands create them on a stored instance (`--instance NAME`, default the
newest stored instance): `localities derive` clusters the homes (by LSOA when learners carry one,
`planner.areas.derive_localities`), `localities import` reads a council's own list, `teams default` adds six
specialist teams with hours scaled to the caseload. Each change is checked as a whole instance and written in one
transaction (`api.store.overwrite_instance`): a bad change or a bad file stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import (
    CliError,
    check_csv_file,
    error_console,
    fresh_settings,
    load_stored,
    open_database,
    progress_bar,
    report_table,
    run_command,
    save_stored,
)
from api.cli.tables import CsvOption, print_fitted, results_console, show_table
from planner.domain.codes import Need
from planner.domain.models import Instance, Locality, OutreachTeam
from planner.io.report import ImportReport, ImportValidationError

INSTANCE_HELP = "Instance name (default: the newest stored instance)"


# --------------------------------------------------------------------------------------------------------------
# Loading and saving a stored instance


def _edit(name: str | None, change: Callable[[Instance], Instance]) -> tuple[int, Instance, Instance]:
    """Load an instance, change it (ValueError -> a one-line error) and store the result: (id, before, after)."""
    with open_database(fresh_settings()) as engine:
        instance_id, before = load_stored(engine, name)
        try:
            after = change(before)
        except ValueError as error:  # includes pydantic's ValidationError: show its first line
            raise CliError(str(error).splitlines()[0]) from None
        save_stored(engine, instance_id, after)
    return instance_id, before, after


def _view(name: str | None) -> tuple[int, Instance]:
    with open_database(fresh_settings()) as engine:
        return load_stored(engine, name)


def _read(console: Console, path: Path, reader: Callable[[], Any]) -> Any:
    """Run a CSV reader; on bad rows print the report and stop with nothing stored."""
    check_csv_file(path)  # missing, empty, header-only, or a spreadsheet saved as .csv: one line
    try:
        with progress_bar(console) as progress:
            progress.add_task(f"Reading {path.name}", total=None)
            return reader()
    except ImportValidationError as error:
        error_console().print(report_table(error.report.problems, "Validation report: nothing was stored"))
        raise CliError(f"{path.name}: {len(error.report.problems)} problem(s) in "
                       f"{error.report.rows_invalid or 1} row(s); nothing was stored") from None
    except (OSError, UnicodeError) as error:
        raise CliError(f"cannot read {path}: {error}") from None


def _print_skipped(console: Console, report: ImportReport) -> None:
    if report.problems:
        print_fitted(error_console(), report_table(report.problems, "Rows skipped (--skip-invalid)", "yellow"))


# --------------------------------------------------------------------------------------------------------------
# Tables


def localities_table(instance: Instance, title: str) -> Table:
    """One row per locality: id, name, centre, area codes and how many learners and settings are in it."""
    learners: dict[str | None, int] = {}
    settings: dict[str | None, int] = {}
    for learner in instance.learners:
        learners[learner.locality_id] = learners.get(learner.locality_id, 0) + 1
    for setting in instance.settings:
        settings[setting.locality_id] = settings.get(setting.locality_id, 0) + 1
    table = Table("id", "name", "centre (E, N)", "area codes", "learners", "settings", "area", title=title)
    for loc in instance.localities:
        table.add_row(loc.id, loc.name, _point(loc), str(len(loc.area_codes)) if loc.area_codes else "-",
                      str(learners.get(loc.id, 0)), str(settings.get(loc.id, 0)), "in" if loc.in_area else "out")
    if None in learners or None in settings:
        table.add_section()
        table.add_row("-", "(no locality)", "", "", str(learners.get(None, 0)), str(settings.get(None, 0)), "")
    return table


def _point(locality: Locality) -> str:
    return f"{locality.centroid.easting:,.0f}, {locality.centroid.northing:,.0f}"


def teams_table(instance: Instance, title: str) -> Table:
    table = Table("id", "name", "specialisms", "hours/week", "localities", "base (E, N)", title=title)
    for team in instance.teams:
        covered = "all" if not team.locality_ids or team.locality_ids >= set(instance.locality_by_id) \
            else ", ".join(sorted(team.locality_ids))
        base = f"{team.base.easting:,.0f}, {team.base.northing:,.0f}" if team.base else "-"
        needs = "every need" if team.specialisms == frozenset(Need) else \
            ", ".join(sorted(n.value for n in team.specialisms))
        table.add_row(team.id, team.name, needs,
                      f"{team.hours_per_week:,.1f}", covered, base)
    return table


def _label(instance_id: int, instance: Instance) -> str:
    return f"instance [bold]{instance.name}[/bold] (id {instance_id})"


def _print_team_changes(console: Console, before: Instance, after: Instance) -> None:
    """Teams whose patch followed the new localities, and forecasts or journey times that went with the old ones."""
    for team in after.teams:
        old = before.team_by_id.get(team.id)
        if old is not None and old.locality_ids != team.locality_ids:
            console.print(f"team {team.id} now covers {', '.join(sorted(team.locality_ids)) or 'every locality'}")
    if len(after.forecasts) < len(before.forecasts):
        console.print(f"{len(before.forecasts) - len(after.forecasts)} stored forecast row(s) of old localities "
                      "dropped (they described the old areas)")
    if len(after.travel_times) < len(before.travel_times):
        console.print(f"{len(before.travel_times) - len(after.travel_times)} journey time(s) from old localities "
                      "dropped")


# --------------------------------------------------------------------------------------------------------------
# Localities


def localities_derive_command(count: int | None, instance_name: str | None) -> None:
    console = Console()

    def body() -> None:
        from planner.areas import apply_localities, derive_localities

        message: list[str] = []

        def change(instance: Instance) -> Instance:
            derived = derive_localities(instance, count)
            message.append(derived.message)
            return apply_localities(instance, derived)

        instance_id, before, after = _edit(instance_name, change)
        console.print(localities_table(after, f"Localities of {after.name} (instance {instance_id})"))
        console.print(message[0])
        _print_team_changes(console, before, after)
        console.print(f"{_label(instance_id, after)}: {len(after.localities)} localities stored, replacing "
                      f"{len(before.localities)}")

    run_command(console, body)


def localities_import_command(path: Path, instance_name: str | None, skip_invalid: bool) -> None:
    console = Console()

    def body() -> None:
        from planner.areas import LocalityBuildError, apply_localities, assign_to_localities, build_localities
        from planner.io.localities import read_localities

        result = _read(console, path, lambda: read_localities(path, skip_invalid=skip_invalid))
        if not result.specs:
            raise CliError(f"{path.name}: no valid locality row; nothing was stored")
        message: list[str] = []

        def change(instance: Instance) -> Instance:
            try:
                localities = build_localities(instance, result.specs)
            except LocalityBuildError as error:
                raise CliError(f"{path.name}: {error}; nothing was stored") from None
            assigned = assign_to_localities(instance, localities)
            message.append(assigned.message)
            return apply_localities(instance, assigned)

        instance_id, before, after = _edit(instance_name, change)
        _print_skipped(console, result.report)
        console.print(localities_table(after, f"Localities of {after.name} (instance {instance_id})"))
        console.print(message[0])
        _print_team_changes(console, before, after)
        console.print(f"{_label(instance_id, after)}: {len(after.localities)} localities imported from "
                      f"{path.name}, replacing {len(before.localities)}")

    run_command(console, body)


def localities_list_command(instance_name: str | None, csv_target: str | None = None) -> None:
    console = results_console(csv_target)

    def body() -> None:
        instance_id, instance = _view(instance_name)
        if not instance.localities:
            console.print(f"{_label(instance_id, instance)} has no localities: `placeplan localities derive` or "
                          "`placeplan localities import FILE` creates them")
            return
        show_table(localities_table(instance, f"Localities of {instance.name} (instance {instance_id})"), csv_target)

    run_command(console, body)


def localities_set_command(locality_id: str, name: str, instance_name: str | None) -> None:
    console = Console()

    def body() -> None:
        old: list[Locality] = []

        def change(instance: Instance) -> Instance:
            found = instance.locality_by_id.get(locality_id)
            if found is None:
                raise CliError(f"instance {instance.name!r} has no locality {locality_id!r} "
                               "(`placeplan localities list` shows them)")
            old.append(found)
            renamed = Locality.model_validate({**found.model_dump(), "name": name})
            return instance.replace(localities=tuple(renamed if x.id == locality_id else x
                                                     for x in instance.localities))

        instance_id, _, after = _edit(instance_name, change)
        console.print(f"locality {locality_id} in {_label(instance_id, after)}: renamed from {old[0].name!r} to "
                      f"{after.locality_by_id[locality_id].name!r}")

    run_command(console, body)


# --------------------------------------------------------------------------------------------------------------
# Teams


def teams_default_command(instance_name: str | None) -> None:
    console = Console()

    def body() -> None:
        from planner.areas import default_teams
        from planner.areas.teams import REFERENCE_CASELOAD, current_caseload

        instance_id, before, after = _edit(instance_name, lambda i: i.replace(teams=default_teams(i)))
        console.print(teams_table(after, f"Outreach teams of {after.name} (instance {instance_id})"))
        console.print(f"hours scaled to the caseload: {current_caseload(after):,} learners with a current plan, "
                      f"the demo council's hours per {REFERENCE_CASELOAD:,}; based at the centre of the in-area "
                      "settings; covering every locality")
        console.print(f"{_label(instance_id, after)}: {len(after.teams)} default teams stored, replacing "
                      f"{len(before.teams)}")

    run_command(console, body)


def teams_import_command(path: Path, instance_name: str | None, skip_invalid: bool) -> None:
    console = Console()

    def body() -> None:
        from planner.io.teams import read_teams

        with open_database(fresh_settings()) as engine:
            known = set(load_stored(engine, instance_name)[1].locality_by_id)
        result = _read(console, path, lambda: read_teams(path, known_locality_ids=known, skip_invalid=skip_invalid))
        if not result.teams:
            raise CliError(f"{path.name}: no valid team row; nothing was stored")
        instance_id, before, after = _edit(instance_name, lambda i: i.replace(teams=result.teams))
        _print_skipped(console, result.report)
        console.print(teams_table(after, f"Outreach teams of {after.name} (instance {instance_id})"))
        console.print(f"{_label(instance_id, after)}: {len(after.teams)} team(s) imported from {path.name}, "
                      f"replacing {len(before.teams)}")

    run_command(console, body)


def teams_list_command(instance_name: str | None, csv_target: str | None = None) -> None:
    console = results_console(csv_target)

    def body() -> None:
        instance_id, instance = _view(instance_name)
        if not instance.teams:
            console.print(f"{_label(instance_id, instance)} has no outreach teams: `placeplan teams default` or "
                          "`placeplan teams import FILE` creates them")
            return
        show_table(teams_table(instance, f"Outreach teams of {instance.name} (instance {instance_id})"), csv_target)

    run_command(console, body)


def _changed_team(team: OutreachTeam, hours: float | None, name: str | None) -> OutreachTeam:
    update: dict[str, Any] = {}
    if hours is not None:
        update["hours_per_week"] = hours
    if name is not None:
        update["name"] = name
    # model_validate re-runs the field rules (model_copy would not)
    return OutreachTeam.model_validate({**team.model_dump(), **update})


def teams_set_command(team_id: str, hours: float | None, name: str | None, instance_name: str | None) -> None:
    console = Console()

    def body() -> None:
        if hours is None and name is None:
            raise CliError("nothing to change: give --hours or --name")
        old: list[OutreachTeam] = []

        def change(instance: Instance) -> Instance:
            found = instance.team_by_id.get(team_id)
            if found is None:
                raise CliError(f"instance {instance.name!r} has no team {team_id!r} "
                               "(`placeplan teams list` shows them)")
            old.append(found)
            new = _changed_team(found, hours, name)
            return instance.replace(teams=tuple(new if t.id == team_id else t for t in instance.teams))

        instance_id, _, after = _edit(instance_name, change)
        new = after.team_by_id[team_id]
        console.print(f"team {team_id} in {_label(instance_id, after)}:")
        console.print(f"  before: {old[0].name}, {old[0].hours_per_week:,.1f} hours a week")
        console.print(f"  after:  {new.name}, {new.hours_per_week:,.1f} hours a week")

    run_command(console, body)


# --------------------------------------------------------------------------------------------------------------
# Registration


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the `localities` and `teams` groups to `placeplan` (no benchmark)."""
    _register_localities(app)
    _register_teams(app)


def _register_localities(app: typer.Typer) -> None:
    group = typer.Typer(help="Localities (district patches) of a stored instance: derive, import, list, rename.",
                        no_args_is_help=True)
    app.add_typer(group, name="localities")

    @group.command("derive")
    def derive(
        count: int | None = typer.Option(None, "--count", min=1, max=50,
                                         help="How many (default: one per 400 learners, 3 to 10)"),
        instance: str | None = typer.Option(None, "--instance", help=INSTANCE_HELP),
    ) -> None:
        """Derive localities from where learners live (by LSOA when they carry one) and assign everyone to them."""
        localities_derive_command(count, instance)

    @group.command("import")
    def import_(
        file: Path = typer.Argument(..., help="CSV: locality_id,name and easting,northing or area_codes"),
        instance: str | None = typer.Option(None, "--instance", help=INSTANCE_HELP),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Store the good rows and list the bad ones"),
    ) -> None:
        """Replace the localities with a council's own list and assign learners and settings to them."""
        localities_import_command(file, instance, skip_invalid)

    @group.command("list")
    def list_(instance: str | None = typer.Option(None, "--instance", "--stored", help=INSTANCE_HELP),
              csv_target: CsvOption = None) -> None:
        """List localities with their learners and settings."""
        localities_list_command(instance, csv_target)

    @group.command("set")
    def set_(
        locality_id: str = typer.Argument(..., help="Locality id, e.g. LOC-01"),
        name: str = typer.Option(..., "--name", help="A new name"),
        instance: str | None = typer.Option(None, "--instance", help=INSTANCE_HELP),
    ) -> None:
        """Rename a locality."""
        localities_set_command(locality_id, name, instance)


def _register_teams(app: typer.Typer) -> None:
    group = typer.Typer(help="Outreach teams of a stored instance: defaults, import, list, change.",
                        no_args_is_help=True)
    app.add_typer(group, name="teams")

    @group.command("default")
    def default(instance: str | None = typer.Option(None, "--instance", help=INSTANCE_HELP)) -> None:
        """Replace the teams with six default specialist teams, hours scaled to the caseload."""
        teams_default_command(instance)

    @group.command("import")
    def import_(
        file: Path = typer.Argument(
            ..., help="CSV: team_id,name,specialisms,hours_per_week,localities,easting,northing"),
        instance: str | None = typer.Option(None, "--instance", help=INSTANCE_HELP),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Store the good rows and list the bad ones"),
    ) -> None:
        """Replace the teams with a council's own list."""
        teams_import_command(file, instance, skip_invalid)

    @group.command("list")
    def list_(instance: str | None = typer.Option(None, "--instance", "--stored", help=INSTANCE_HELP),
              csv_target: CsvOption = None) -> None:
        """List outreach teams."""
        teams_list_command(instance, csv_target)

    @group.command("set")
    def set_(
        team_id: str = typer.Argument(..., help="Team id, e.g. T-AUT"),
        hours: float | None = typer.Option(None, "--hours", min=0, help="Practitioner hours per school week"),
        name: str | None = typer.Option(None, "--name", help="A new name"),
        instance: str | None = typer.Option(None, "--instance", help=INSTANCE_HELP),
    ) -> None:
        """Change a team's hours or name."""
        teams_set_command(team_id, hours, name, instance)
