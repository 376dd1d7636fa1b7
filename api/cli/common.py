"""What every placeplan command shares: reading the settings afresh, opening (and migrating) the database, turning
expected failures into one red line and an exit code (1 bad input, 2 database unreachable), a progress bar, and
finding the stored instance a command works on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api import store
from api.settings import ServiceSettings
from planner.domain.models import Instance, InstanceIntegrityError
from planner.io.report import ImportReport, RowProblem
from planner.io.tabular import CsvFieldTooLong

T = TypeVar("T")


class CliError(Exception):
    """A problem to report to the user as one line and an exit code (no traceback)."""

    def __init__(self, message: str, code: int = 1) -> None:
        self.code = code
        super().__init__(message)


def fresh_settings() -> ServiceSettings:
    # Not get_settings(): it is cached for the process, and each command must see the environment as it is now.
    return ServiceSettings()


def display_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return str(parsed.database)
    return parsed.render_as_string(hide_password=True)


@contextmanager
def open_database(settings: ServiceSettings) -> Iterator[Engine]:
    """An engine on the configured database, migrated to head; CliError(code 2) when it cannot be reached."""
    from api.db import make_engine
    from api.migrate import upgrade_to_head

    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        folder = Path(str(make_url(url).database)).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CliError(f"cannot use the data folder {folder} (PLACEPLAN_DATA_DIR): {error.strerror}",
                           code=2) from None
    engine = make_engine(url)
    try:
        try:
            upgrade_to_head(engine)
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise CliError(f"cannot use the database at {display_url(url)}: {reason}", code=2) from None
        yield engine
    finally:
        engine.dispose()


def run_command(console: Console, action: Callable[[], T]) -> T:
    """Run a command body, turning expected failures into a red message and an exit code."""
    try:
        return action()
    except CliError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=error.code) from None
    except (store.InstanceNotFound, store.InstanceInUse, store.UnstorableText, CsvFieldTooLong) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    except InstanceIntegrityError as error:
        console.print(integrity_table(error))
        console.print(f"[red]error:[/red] {len(error.problems)} integrity problem(s); nothing was stored")
        raise typer.Exit(code=1) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        console.print(f"[red]error:[/red] database error: {reason}")
        raise typer.Exit(code=2) from None


def integrity_table(error: InstanceIntegrityError) -> Table:
    table = Table("record", "id", "field", "problem", title="Integrity problems")
    for problem in error.problems[:200]:
        table.add_row(problem.record, problem.record_id, problem.field, problem.message)
    if len(error.problems) > 200:
        table.add_row("...", "", "", f"and {len(error.problems) - 200} more")
    return table


def progress_bar(console: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def resolve_instance_id(session: Session, name: str | None, instance_id: int | None) -> int:
    if instance_id is not None:
        store.get_instance_row(session, instance_id)
        return instance_id
    found = store.latest_instance_id(session, name)
    if found is None:
        raise store.InstanceNotFound(name) if name is not None else CliError(
            "the database holds no instance yet: run `placeplan demo` or `placeplan import gias FILE` first"
        )
    return found


def load_stored(engine: Engine, name: str | None) -> tuple[int, Instance]:
    """The stored instance a command edits (by name, default the newest) and its id."""
    with Session(engine) as session:
        instance_id = resolve_instance_id(session, name, None)
        return instance_id, store.load_instance(session, instance_id)


def load_named(engine: Engine, name: str, hint: str) -> tuple[int, Instance]:
    """The newest stored instance called `name` and its id; CliError "no instance named ...: <hint>" otherwise."""
    with Session(engine) as session:
        instance_id = store.latest_instance_id(session, name)
        if instance_id is None:
            raise CliError(f"no instance named {name!r}: {hint}")
        return instance_id, store.load_instance(session, instance_id)


def save_stored(engine: Engine, instance_id: int, instance: Instance) -> None:
    """Overwrite the stored instance in one transaction (its source, scenarios and runs are kept)."""
    with Session(engine) as session:
        source = store.get_instance_row(session, instance_id).source
        store.overwrite_instance(session, instance_id, instance, source)
        session.commit()


REPORT_ROWS_SHOWN = 200


def report_table(problems: list[RowProblem], title: str, style: str = "red") -> Table:
    """A validation report as a table: row, column, value found, what was expected; with the rule and module
    first when the importer numbers its rules (the SEN2 return)."""
    ruled = any(problem.rule for problem in problems)
    head = ("rule", "module") if ruled else ()
    table = Table(*head, "row", "column", "value", "expected", title=title, title_style=style)
    for problem in problems[:REPORT_ROWS_SHOWN]:
        rule = (problem.rule or "-", problem.module or "-") if ruled else ()
        table.add_row(*rule, str(problem.row), problem.column, problem.value or "(blank)", problem.expected)
    if len(problems) > REPORT_ROWS_SHOWN:
        table.add_row(*(("", "") if ruled else ()), "...", "", "", f"and {len(problems) - REPORT_ROWS_SHOWN} more")
    return table


def print_report(console: Console, report: ImportReport, stored: bool, *, what: str = "Rows",
                 name: str = "Validation report") -> None:
    """An importer's report: the problems (skipped rows, or why nothing was stored), warnings and notes."""
    if report.problems:
        title = f"{what} skipped (--skip-invalid)" if stored else f"{name}: nothing was stored"
        console.print(report_table(report.problems, title, "yellow" if stored else "red"))
    if report.warnings:
        console.print(report_table(report.warnings, "Warnings (defaults used; rows kept)", "yellow"))
    for note in report.notes:
        console.print(f"[dim]note: {note}[/dim]")

