"""Where a solving command's council comes from: one vocabulary on every solving command.

Every solving command (place, forecast, sufficiency, transitions plan, scenario run/compare/optimise) resolves its
instance here, so they all behave alike and take the same three options:

- `--stored NAME`: the newest instance stored under that name;
- `--file PATH`: an Instance JSON file;
- `--preset NAME`: the fictional demo council (demo or county), built in memory;
- none of them: the newest instance stored in the database (`placeplan demo` or `placeplan import ...`).

At most one may be given. The council used is named in one line on stderr (results stay on stdout). The old
spellings `--instance FILE` / `--instance-file FILE` still work for one release as hidden aliases of `--file` that
print a deprecation warning (`--instance NAME` keeps meaning a stored name in `import`, `settings`, `localities`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlmodel import Session

from planner.domain.models import Instance, InstanceIntegrityError

# The shared option declarations (Annotated form, so they work in every command's signature).
StoredOption = Annotated[str | None, typer.Option(
    "--stored", help="A council stored in the database, by name (default: the newest stored)")]
FileOption = Annotated[Path | None, typer.Option("--file", help="An Instance JSON file")]
PresetOption = Annotated[str | None, typer.Option(
    "--preset", help="The fictional demo council instead of stored data: demo or county")]
LegacyFileOption = Annotated[Path | None, typer.Option(
    "--instance", "--instance-file", hidden=True, help="Deprecated: use --file")]

LEGACY_WARNING = ("warning: --instance/--instance-file FILE is deprecated and will be removed in the next release: "
                  "use --file FILE")


@dataclass(frozen=True)
class ResolvedInstance:
    instance: Instance
    description: str  # e.g. "stored instance 3 (Northvale Council), base year 2024/25", for the command's output


def resolve_instance(instance_file: Path | None = None, preset: str | None = None, seed: int = 2026,
                     stored: str | None = None, console: Console | None = None, *,
                     legacy_file: Path | None = None, announce: bool = True) -> ResolvedInstance:
    """The instance a command works on, named in one line on stderr; prints one red line on stderr and exits
    (1 bad input, 2 database) on failure. `console` is ignored for messages (kept for callers' signatures)."""
    errors = Console(stderr=True)
    if legacy_file is not None:
        errors.print(f"[yellow]{LEGACY_WARNING}[/yellow]", highlight=False)
        if instance_file is not None:
            _exit(errors, "give --file only (--instance/--instance-file is its old spelling)", 1)
        instance_file = legacy_file
    chosen = [flag for flag, value in (("--stored", stored), ("--file", instance_file), ("--preset", preset))
              if value is not None]
    if len(chosen) > 1:
        _exit(errors, f"choose one of --stored NAME, --file PATH or --preset NAME (got {' and '.join(chosen)})", 1)
    try:
        resolved = _with_base_year(_resolve(instance_file, preset, seed, stored))
    except _SourceError as error:
        _exit(errors, str(error), error.code)
    except (ValueError, InstanceIntegrityError) as error:
        _exit(errors, str(error), 1)
    if announce:
        default = "" if chosen else " (the newest stored; choose with --stored NAME, --file PATH or --preset NAME)"
        errors.print(f"using {resolved.description}{default}", highlight=False, soft_wrap=True)
    return resolved


def _exit(errors: Console, message: str, code: int) -> None:
    errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=code)


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
    if not path.exists():
        raise _SourceError(f"no such file: {path} (a council stored in the database is chosen with --stored NAME)")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _SourceError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise _SourceError(f"{path} is not an instance: not a UTF-8 JSON text file") from None
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
        hint = ", or plan the fictional demo council with --preset demo" if stored is None and error.code == 1 else ""
        raise _SourceError(f"{error}{hint}", error.code) from None
    except store.InstanceNotFound as error:
        raise _SourceError(str(error)) from None
    return ResolvedInstance(instance, f"stored instance {instance_id} ({instance.name})")
