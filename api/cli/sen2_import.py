"""`placeplan import sen2 FILE_OR_FOLDER`: the council's SEN2 person-level return in, its caseload stored.

The return (DfE SEN2, person level since 2023; a folder of module CSVs, the XML, or a zip of either) is read and
checked by `planner.io.sen2.reader.read_sen2` against its numbered rules. Postcodes are resolved through the
lookup loaded by `placeplan import postcodes` and never stored. Placements are resolved against the instance's
settings (`planner.io.placement_refs`): URNs and UKPRNs not in the council's GIAS extract become out-of-area
records, never dropped. The instance's base year and census date become the return's (a January 2025 return is
base year 2024/25). By default the return replaces the whole caseload (it is the whole caseload at the census);
`--merge` keeps learners the return does not mention. Everything is checked before anything is written: a bad
return prints the report and stores nothing (exit 1) unless `--skip-invalid`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from api.cli.common import (
    CliError,
    audit_cli,
    check_csv_file,
    error_console,
    fresh_settings,
    load_named,
    open_database,
    print_report,
    progress_bar,
    run_command,
    save_stored,
)
from planner.domain.calendar import academic_year_of
from planner.domain.models import Instance, Setting
from planner.io.placement_refs import ResolvedPlacements, resolve_placements
from planner.io.report import ImportValidationError


def parse_census_date(text: str | None) -> date | None:
    """--census-date as a date; a clear one-line error for anything but YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        Console(stderr=True).print(f"[red]error:[/red] --census-date {text!r}: expected YYYY-MM-DD")
        raise typer.Exit(code=1) from None


def over_capacity_warnings(instance: Instance) -> list[str]:
    """Specialist settings holding more of the council's learners than their places (a capacity to check)."""
    on_roll = Counter(x.current_setting_id for x in instance.learners if x.current_setting_id and x.plan_end is None)
    warnings = []
    for setting in instance.settings:
        count = on_roll.get(setting.id, 0)
        if setting.kind.is_specialist and setting.in_area and count > setting.capacity:
            warnings.append(f"{setting.id} {setting.name}: {count} of the council's learners, {setting.capacity} "
                            "places (check its capacity: `placeplan settings set ID --capacity N`)")
    return warnings


def _read(console: Console, path: Path, engine: Any, census_date: date | None, skip_invalid: bool) -> Any:
    from api.postcodes import loaded_lookup
    from planner.io.sen2.reader import read_sen2

    key = fresh_settings().resolved_pseudonym_key()
    try:
        with progress_bar(console) as progress:
            progress.add_task(f"Reading {path.name}", total=None)
            return read_sen2(path, postcode_lookup=loaded_lookup(engine), census_date=census_date,
                             skip_invalid=skip_invalid, pseudonym_key=key)
    except ImportValidationError as error:
        print_report(console, error.report, stored=False, what="Persons", name="SEN2 validation report")
        raise CliError(f"{path.name}: {len(error.report.problems)} problem(s); nothing was stored") from None
    except (OSError, UnicodeError) as error:
        raise CliError(f"cannot read {path}: {error}") from None


def _new_instance(existing: Instance, result: Any, resolved: ResolvedPlacements, merge: bool,
                  source_name: str) -> Instance:
    learners = tuple(resolved.learners)
    if merge:
        incoming = {x.id: x for x in learners}
        learners = (*[incoming.pop(x.id, x) for x in existing.learners], *incoming.values())
    settings: tuple[Setting, ...] = (*existing.settings, *resolved.new_settings)
    imports = [*existing.metadata.get("imports", []), f"sen2:{source_name}"]
    return existing.replace(base_year=academic_year_of(result.census_date), census_date=result.census_date,
                            learners=learners, settings=settings,
                            metadata={**existing.metadata, "imports": imports,
                                      "la_code": result.la_code or existing.metadata.get("la_code")})


def import_sen2_command(path: Path, instance_name: str, census_date: date | None, skip_invalid: bool,
                        merge: bool) -> None:
    console = Console()

    def body() -> None:
        if not path.exists():
            raise CliError(f"no such file or folder: {path}")
        if path.is_file() and path.suffix.lower() not in (".zip", ".xml"):
            check_csv_file(path)  # an empty file, or a spreadsheet given as a module CSV: one line
        with open_database(fresh_settings()) as engine:
            instance_id, existing = load_named(engine, instance_name, "placements refer to settings, so import the "
                                               "council's GIAS extract first (`placeplan import gias FILE --la-code "
                                               "CODE`)")
            result = _read(console, path, engine, census_date, skip_invalid)
            resolved = resolve_placements(result.learners, result.placements, existing.settings)
            instance = _new_instance(existing, result, resolved, merge, path.name)
            save_stored(engine, instance_id, instance)
            audit_cli(engine, action="import", resource_type="sen2_return", learner_count=len(result.learners),
                      resource_id=path.name[:64], instance_id=instance_id)
        print_report(console, result.report, stored=True, what="Persons", name="SEN2 validation report")
        for warning in [*resolved.warnings, *over_capacity_warnings(instance)]:
            error_console().print(f"[yellow]warning:[/yellow] {warning}")
        counts = resolved.counts
        console.print(
            f"instance [bold]{instance.name}[/bold] (id {instance_id}): {len(result.learners):,} learner(s) with an "
            f"active plan at the census {result.census_date.isoformat()} (base year {instance.base_year}/"
            f"{(instance.base_year + 1) % 100:02d}); {counts['placed']:,} at a named setting, "
            f"{counts['learners_in_new_records']} of them in {counts['out_of_area_records']} out-of-area setting(s) "
            f"not in the GIAS extract, {counts['arrangements']} with no setting named (SEN2 SENsetting); "
            f"{len(instance.learners):,} learners in total")

    run_command(console, body)
