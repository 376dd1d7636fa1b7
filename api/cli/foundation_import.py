"""`placeplan import gias|learners|travel FILE`: read a file with the `planner.io` importers and store it.

How imported records attach to an instance (all chosen by `--instance NAME`, default "Imported council"; the
newest stored instance with that name is the one extended):

- `import gias` creates the instance when there is none with that name (base year `--base-year`, default the
  current academic year), else extends it: settings with the same id (URN, `<URN>-RP`, `<URN>-UNIT`) are
  replaced, new ones are added, learners, localities and teams are kept.
- `import learners` needs the instance (learners refer to its settings): learners with the same id are replaced
  and new ones added, or with `--replace` the file becomes the whole caseload.
- `import travel` needs the instance: the journey times are stored with it (pairs already stored are updated,
  `--replace` drops the old ones first); both ends of every journey must be learner, locality or setting ids of
  the instance.

Everything is checked before anything is written, and written in one transaction: a bad file (or a record that
does not fit the instance) prints the validation report, stores nothing and exits with code 1. With
`--skip-invalid` the good rows are stored and the skipped ones are listed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlmodel import Session

from api import store
from api.cli.common import (
    CliError,
    audit_cli,
    check_csv_file,
    fresh_settings,
    load_named,
    open_database,
    print_report,
    progress_bar,
    run_command,
    save_stored,
)
from api.postcodes import loaded_lookup
from planner.domain.calendar import academic_year_of
from planner.domain.models import Instance, Learner, Setting, TravelTime
from planner.io.report import ImportReport, ImportValidationError

DEFAULT_INSTANCE_NAME = "Imported council"


def _check_file(path: Path) -> None:
    check_csv_file(path)  # missing, empty, header-only, or a spreadsheet saved as .csv: one line, nothing stored


def _importer(module: str, function: str) -> Callable[..., Any]:
    try:
        found: Callable[..., Any] = getattr(importlib.import_module(module), function)
    except (ModuleNotFoundError, AttributeError):
        raise CliError(f"this importer is not available in this installation ({module}.{function})") from None
    return found


def _read(console: Console, reader: Callable[[], Any], path: Path) -> Any:
    """Run an importer; on a validation failure print the report and stop (nothing stored)."""
    try:
        with progress_bar(console) as progress:
            progress.add_task(f"Reading {path.name}", total=None)
            return reader()
    except ImportValidationError as error:
        print_report(console, error.report, stored=False)
        raise CliError(f"{path.name}: {len(error.report.problems)} problem(s) in "
                       f"{error.report.rows_invalid or 1} row(s); nothing was stored") from None
    except (OSError, UnicodeError) as error:
        raise CliError(f"cannot read {path}: {error}") from None


def _merge_by_id(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    """Records of `old` with those of `new` replacing same-id ones in place; new ids appended in file order."""
    incoming = {record.id: record for record in new}
    merged = [incoming.pop(record.id, record) for record in old]
    return (*merged, *incoming.values())


def _store(engine: Any, instance_id: int | None, instance: Instance, source: str) -> int:
    with Session(engine) as session:
        if instance_id is None:
            instance_id = store.save_instance(session, instance, source)
        else:
            store.overwrite_instance(session, instance_id, instance, source)
        session.commit()
    return instance_id


def import_gias_command(path: Path, la_code: str | None, skip_invalid: bool, instance_name: str,
                        base_year: int | None) -> None:
    console = Console()

    def body() -> None:
        _check_file(path)
        read_gias = _importer("planner.io.gias", "read_gias")
        with open_database(fresh_settings()) as engine:
            lookup = loaded_lookup(engine)  # rows without Easting/Northing are located by postcode
            result = _read(console, lambda: read_gias(path, la_code=la_code, skip_invalid=skip_invalid,
                                                      postcode_lookup=lookup), path)
            settings: tuple[Setting, ...] = result.settings
            report: ImportReport = result.report
            with Session(engine) as session:
                existing_id = store.latest_instance_id(session, instance_name)
                existing = store.load_instance(session, existing_id) if existing_id is not None else None
            if existing is None:
                year = base_year if base_year is not None else academic_year_of(date.today())
                instance = Instance(name=instance_name, base_year=year, settings=settings,
                                    metadata={"imports": [f"gias:{path.name}"]})
            else:
                imports = [*existing.metadata.get("imports", []), f"gias:{path.name}"]
                instance = existing.replace(settings=_merge_by_id(existing.settings, settings),
                                            metadata={**existing.metadata, "imports": imports})
            stored_id = _store(engine, existing_id, instance, f"gias:{path.name}")
        print_report(console, report, stored=True)
        verb = "created" if existing is None else "extended"
        console.print(f"{verb} instance [bold]{instance_name}[/bold] (id {stored_id}): {len(settings)} setting(s) "
                      f"imported from {path.name}, {len(instance.settings)} in total; "
                      f"{report.rows_skipped} row(s) skipped as out of scope or closed")

    run_command(console, body)


def import_learners_command(path: Path, skip_invalid: bool, instance_name: str, replace: bool) -> None:
    console = Console()

    def body() -> None:
        _check_file(path)
        read_learners = _importer("planner.io.learners", "read_learners")
        with open_database(fresh_settings()) as engine:
            existing_id, existing = load_named(engine, instance_name, "learners refer to settings, so import the "
                                               "settings first (`placeplan import gias FILE --instance NAME`)")
            result = _read(console, lambda: read_learners(
                path, base_year=existing.base_year, known_setting_ids=set(existing.setting_by_id),
                known_locality_ids=set(existing.locality_by_id), skip_invalid=skip_invalid,
                postcode_lookup=loaded_lookup(engine)), path)
            learners: tuple[Learner, ...] = tuple(result.learners)
            report: ImportReport = result.report
            merged = learners if replace else _merge_by_id(existing.learners, learners)
            imports = [*existing.metadata.get("imports", []), f"learners:{path.name}"]
            instance = existing.replace(learners=merged, metadata={**existing.metadata, "imports": imports})
            save_stored(engine, existing_id, instance)
            audit_cli(engine, action="import", resource_type="learners", learner_count=len(learners),
                      resource_id=path.name[:64], instance_id=existing_id)
        print_report(console, report, stored=True)
        console.print(f"instance [bold]{instance_name}[/bold] (id {existing_id}): {len(learners)} learner(s) "
                      f"imported from {path.name}, {len(instance.learners)} in total")

    run_command(console, body)


def import_travel_command(path: Path, skip_invalid: bool, instance_name: str, replace: bool) -> None:
    console = Console()

    def body() -> None:
        _check_file(path)
        read_matrix = _importer("planner.io.travel_matrix", "read_travel_matrix")
        with open_database(fresh_settings()) as engine:
            existing_id, existing = load_named(engine, instance_name, "import its settings and learners first")
            known = set(existing.learner_by_id) | set(existing.locality_by_id) | set(existing.setting_by_id)
            result = _read(console, lambda: read_matrix(path, known_ids=known, skip_invalid=skip_invalid), path)
            matrix: dict[tuple[str, str], float] = dict(result.matrix)
            report: ImportReport = result.report
            # Check every pair against the instance (origin a learner, locality or team; destination a setting)
            # before anything is written: InstanceIntegrityError lists the problems and nothing is stored.
            merged = {} if replace else dict(existing.travel_matrix)
            merged.update(matrix)
            existing.replace(travel_times=tuple(TravelTime(origin_id=o, destination_id=d, minutes=m)
                                                for (o, d), m in sorted(merged.items())))
            with Session(engine) as session:
                total = store.save_travel_matrix(session, existing_id, matrix, replace=replace)
                session.commit()
        print_report(console, report, stored=True)
        console.print(f"instance [bold]{instance_name}[/bold] (id {existing_id}): {len(matrix)} journey time(s) "
                      f"imported from {path.name}, {total} stored in total")

    run_command(console, body)


def register_import(app: typer.Typer) -> None:
    """Add the `placeplan import` group."""
    group = typer.Typer(help="Import GIAS settings, a learner caseload or a travel matrix into an instance.",
                        no_args_is_help=True)
    app.add_typer(group, name="import")

    instance_option = typer.Option(DEFAULT_INSTANCE_NAME, "--instance",
                                   help="Instance to create or extend (the newest with this name)")
    skip_option = typer.Option(False, "--skip-invalid", help="Store the good rows and list the bad ones")

    @group.command("gias")
    def gias(
        file: Path = typer.Argument(..., help="GIAS establishment CSV (edubasealldata*.csv or an extract)"),
        la_code: str | None = typer.Option(None, "--la-code", help="Your LA code: other LAs' settings are out of area"),
        skip_invalid: bool = skip_option,
        instance: str = instance_option,
        base_year: int | None = typer.Option(None, "--base-year",
                                             help="Academic year of a new instance (default: the current one)"),
    ) -> None:
        """Import settings from a GIAS CSV: creates the instance or extends it (same-id settings replaced)."""
        import_gias_command(file, la_code, skip_invalid, instance, base_year)

    @group.command("learners")
    def learners(
        file: Path = typer.Argument(..., help="Learner CSV (SEN2-style columns, see docs)"),
        skip_invalid: bool = skip_option,
        instance: str = instance_option,
        replace: bool = typer.Option(False, "--replace", help="The file is the whole caseload (others removed)"),
    ) -> None:
        """Import learners into an existing instance (same-id learners replaced, new ones added)."""
        import_learners_command(file, skip_invalid, instance, replace)

    @group.command("travel")
    def travel(
        file: Path = typer.Argument(..., help="Travel matrix CSV: origin_id,destination_id,minutes"),
        skip_invalid: bool = skip_option,
        instance: str = instance_option,
        replace: bool = typer.Option(False, "--replace", help="Remove the instance's stored journey times first"),
    ) -> None:
        """Import known journey times for an existing instance (they override distance estimates)."""
        import_travel_command(file, skip_invalid, instance, replace)

    # --- postcodes (api/cli/postcodes_import.py) ---
    @group.command("postcodes")
    def postcodes(
        file: Path = typer.Argument(..., help="OS Code-Point Open (zip, folder, area CSV) or ONSPD/NSPL (CSV, zip)"),
        replace: bool = typer.Option(True, "--replace/--add",
                                     help="The file becomes the whole table (default), or is added over it"),
    ) -> None:
        """Load the postcode lookup (postcode -> grid reference, LSOA) used by learner and GIAS imports."""
        from api.cli.postcodes_import import import_postcodes_command

        import_postcodes_command(file, replace)
    # --- end postcodes ---

    # --- SEN2 person-level return (api/cli/sen2_import.py) ---
    @group.command("sen2")
    def sen2(
        source: Path = typer.Argument(..., help="SEN2 return: folder of module CSVs, the XML file, or a zip of either"),
        instance: str = instance_option,
        census_date: str | None = typer.Option(None, "--census-date",
                                               help="Census date YYYY-MM-DD (default: the return's reference date)"),
        skip_invalid: bool = skip_option,
        merge: bool = typer.Option(False, "--merge", help="Keep learners the return does not mention (default: the "
                                                         "return is the whole caseload)"),
    ) -> None:
        """Import the council's SEN2 person-level return: learners, placements (out of area kept), base year."""
        from api.cli.sen2_import import import_sen2_command, parse_census_date

        import_sen2_command(source, instance, parse_census_date(census_date), skip_invalid, merge)
