"""`placeplan settings set` and `placeplan instances set`: correct a stored council without re-importing it.

Real extracts leave gaps a council must fill before planning: GIAS has blank capacities for resourced provision,
SEN units and colleges, special schools with no SEN designations, and a council's own knowledge of commissioned
places differs from `SchoolCapacity`. The base year and census date of an instance follow its data (a SEN2
return's reference date), and can be corrected here. Every change is validated as a whole instance (the same
integrity rules as an import) and written in one transaction: a bad change stores nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.console import Console

from api.cli.common import CliError, fresh_settings, load_stored, open_database, run_command, save_stored
from planner.domain.calendar import academic_year_of
from planner.domain.codes import Phase, SettingKind, parse_need
from planner.domain.models import Setting


def _parse_designations(text: str) -> frozenset[Any]:
    """'ASD,SLCN' -> {ASD, SLCN}; '' or 'none' -> no designations (an undesignated specialist setting takes every
    need: `Setting.designated_needs`)."""
    if text.strip().lower() in ("", "none"):
        return frozenset()
    try:
        return frozenset(parse_need(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise CliError(f"--designations: {error}") from None


def _parse_phase_places(values: list[str]) -> dict[Phase, int]:
    """['primary=20', 'secondary=30'] -> {PRIMARY: 20, SECONDARY: 30}."""
    places: dict[Phase, int] = {}
    for value in values:
        phase_text, _, number = value.partition("=")
        try:
            places[Phase(phase_text.strip().lower())] = int(number)
        except ValueError:
            raise CliError(f"--phase-places {value!r}: expected PHASE=PLACES with PHASE one of "
                           f"{', '.join(p.value for p in Phase)}") from None
    return places


def _changed_setting(setting: Setting, capacity: int | None, designations: str | None, kind: str | None,
                     phase_places: list[str], name: str | None) -> Setting:
    update: dict[str, Any] = {}
    if capacity is not None:
        update["capacity"] = capacity
    if designations is not None:
        update["designations"] = _parse_designations(designations)
    if kind is not None:
        try:
            update["kind"] = SettingKind(kind)
        except ValueError:
            raise CliError(f"--kind {kind!r}: expected one of {', '.join(k.value for k in SettingKind)}") from None
    if phase_places:
        update["capacity_by_phase"] = _parse_phase_places(phase_places)
    if name is not None:
        update["name"] = name
    if not update:
        raise CliError("nothing to change: give --capacity, --designations, --kind, --phase-places or --name")
    # model_validate re-runs the field rules (model_copy would not)
    return Setting.model_validate({**setting.model_dump(), **update})


def _describe(setting: Setting) -> str:
    needs = ", ".join(sorted(n.value for n in setting.designations)) or "none (takes every need)" \
        if setting.kind.is_specialist else "-"
    phases = ", ".join(f"{p.value}={n}" for p, n in setting.capacity_by_phase.items())
    return (f"{setting.kind.value}, {setting.capacity} places{f' ({phases})' if phases else ''}, "
            f"designations {needs}")


def settings_set_command(setting_id: str, instance_name: str | None, capacity: int | None, designations: str | None,
                         kind: str | None, phase_places: list[str], name: str | None) -> None:
    console = Console()

    def body() -> None:
        with open_database(fresh_settings()) as engine:
            instance_id, instance = load_stored(engine, instance_name)
            old = instance.setting_by_id.get(setting_id)
            if old is None:
                raise CliError(f"instance {instance.name!r} has no setting {setting_id!r} "
                               "(`placeplan settings list` shows them)")
            new = _changed_setting(old, capacity, designations, kind, phase_places, name)
            settings = tuple(new if s.id == setting_id else s for s in instance.settings)
            save_stored(engine, instance_id, instance.replace(settings=settings))
        console.print(f"setting {setting_id} ({new.name}) in instance {instance.name!r} (id {instance_id}):")
        console.print(f"  before: {_describe(old)}")
        console.print(f"  after:  {_describe(new)}")

    run_command(console, body)


def instances_set_command(instance_name: str | None, base_year: int | None, census_date: date | None,
                          rename: str | None) -> None:
    console = Console()

    def body() -> None:
        if base_year is None and census_date is None and rename is None:
            raise CliError("nothing to change: give --base-year, --census-date or --rename")
        with open_database(fresh_settings()) as engine:
            instance_id, instance = load_stored(engine, instance_name)
            year = base_year
            if year is None:
                # A census date fixes the academic year it falls in (January 2025 -> 2024/25)
                year = academic_year_of(census_date) if census_date is not None else instance.base_year
            changed = instance.replace(
                base_year=year,
                census_date=census_date if census_date is not None else
                (instance.census_date if base_year is None else None),
                name=rename or instance.name,
            )
            save_stored(engine, instance_id, changed)
        census = changed.census_date.isoformat() if changed.census_date else "not recorded"
        console.print(f"instance {changed.name!r} (id {instance_id}): base year {changed.base_year}/"
                      f"{(changed.base_year + 1) % 100:02d}, census {census}")

    run_command(console, body)


def register_edit_commands(settings_app: typer.Typer, instances_app: typer.Typer) -> None:
    """Add `settings set` and `instances set` to their groups."""

    @settings_app.command("set")
    def settings_set(
        setting_id: str = typer.Argument(..., help="Setting id (URN, <URN>-RP, <URN>-UNIT)"),
        capacity: int | None = typer.Option(None, "--capacity", min=0, help="Places in total"),
        designations: str | None = typer.Option(
            None, "--designations", help="Needs it is designated for, e.g. ASD,SLCN ('none': takes every need)"),
        kind: str | None = typer.Option(None, "--kind", help="Setting kind, e.g. special, sen_unit"),
        phase_places: list[str] = typer.Option([], "--phase-places", help="Places per phase, e.g. primary=20"),
        name: str | None = typer.Option(None, "--name", help="A new name"),
        instance: str | None = typer.Option(None, "--instance", help="Instance name (default: the latest stored)"),
    ) -> None:
        """Change a setting's places, designations or kind (checked as a whole instance; nothing stored if bad)."""
        settings_set_command(setting_id, instance, capacity, designations, kind, phase_places, name)

    @instances_app.command("set")
    def instances_set(
        instance: str | None = typer.Option(None, "--instance", help="Instance name (default: the latest stored)"),
        base_year: int | None = typer.Option(None, "--base-year", help="Academic year the data describe (2024 = "
                                                                       "2024/25)"),
        census_date: str | None = typer.Option(None, "--census-date", help="Census date, YYYY-MM-DD (sets the base "
                                                                           "year it falls in)"),
        rename: str | None = typer.Option(None, "--rename", help="A new name for the instance"),
    ) -> None:
        """Correct an instance's base year, census date or name (learners' NCYs follow from their birth dates)."""
        try:
            census = date.fromisoformat(census_date) if census_date else None
        except ValueError:
            Console(stderr=True).print(f"[red]error:[/red] --census-date {census_date!r}: expected YYYY-MM-DD")
            raise typer.Exit(code=1) from None
        instances_set_command(instance, base_year, census, rename)
