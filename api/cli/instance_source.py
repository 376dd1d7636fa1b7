"""Where a solving command's instance comes from: an Instance JSON file, a demo preset, or the database.

Every solving command (place, forecast, sufficiency, transitions plan, scenario ...) resolves its instance here,
so they all behave alike: `--instance-file FILE` wins, then `--preset NAME` (the fictional demo council, built in
memory), and by default the newest instance stored in the database (`placeplan demo` or `placeplan import ...`),
or the one named by `--stored NAME`. A council that imported its own data therefore plans on its own data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlmodel import Session

from planner.domain.models import Instance, InstanceIntegrityError


@dataclass(frozen=True)
class ResolvedInstance:
    instance: Instance
    description: str  # e.g. "stored instance 3 (Northvale Council)", for the command's output


def resolve_instance(instance_file: Path | None = None, preset: str | None = None, seed: int = 2026,
                     stored: str | None = None, console: Console | None = None) -> ResolvedInstance:
    """The instance a command works on; prints one red line and exits (1 bad input, 2 database) on failure."""
    console = console or Console(stderr=True)
    try:
        return _with_base_year(_resolve(instance_file, preset, seed, stored))
    except _SourceError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=error.code) from None
    except (ValueError, InstanceIntegrityError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None


def _resolve(instance_file: Path | None, preset: str | None, seed: int, stored: str | None) -> ResolvedInstance:
    if instance_file is not None:
        return ResolvedInstance(_from_file(instance_file), f"file {instance_file}")
    if preset is not None:
        from scenarios.demo import build_demo

        return ResolvedInstance(build_demo(preset, seed=seed), f"demo preset {preset!r} (seed {seed})")
    return _from_database(stored)


def base_year_label(instance: Instance) -> str:
    """'base year 2024/25 (census 2025-01-16)': shown by every command, so nobody plans on the wrong year."""
    label = f"base year {instance.base_year}/{(instance.base_year + 1) % 100:02d}"
    return label + (f" (census {instance.census_date.isoformat()})" if instance.census_date else "")


def _with_base_year(resolved: ResolvedInstance) -> ResolvedInstance:
    return ResolvedInstance(resolved.instance, f"{resolved.description}, {base_year_label(resolved.instance)}")


class _SourceError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        self.code = code
        super().__init__(message)


def _from_file(path: Path) -> Instance:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _SourceError(f"cannot read {path}: {error.strerror}") from None
    try:
        return Instance.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _SourceError(f"{path} is not an instance: {where}: {first['msg']} "
                           f"({error.error_count()} problem(s))") from None


def _from_database(stored: str | None) -> ResolvedInstance:
    from api import store
    from api.cli.common import CliError, fresh_settings, open_database, resolve_instance_id

    try:
        with open_database(fresh_settings()) as engine, Session(engine) as session:
            instance_id = resolve_instance_id(session, stored, None)
            instance = store.load_instance(session, instance_id)
    except CliError as error:
        raise _SourceError(str(error), error.code) from None
    except store.InstanceNotFound as error:
        raise _SourceError(str(error)) from None
    return ResolvedInstance(instance, f"stored instance {instance_id} ({instance.name})")
