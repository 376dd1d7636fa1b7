"""What every placeplan command shares: reading the settings afresh, opening (and migrating) the database, turning
expected failures into one red line on stderr and an exit code (1 bad input, 2 database unreachable), a progress
bar, finding the stored instance a command works on, checking an input file is a non-empty CSV, and showing tables
that fit the terminal (api/cli/tables.py) with `--csv PATH|-`.

Results go to stdout; errors, warnings, validation reports and progress go to stderr, so `placeplan ... > out.txt`
or `--csv -` keeps only the results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api import store
from api.cli.tables import print_fitted
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


def error_console() -> Console:
    """A console on stderr (made per use: it follows the terminal width and the stream as they are now)."""
    return Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    error_console().print(f"[red]error:[/red] {message}", soft_wrap=True)


def audit_cli(engine: Engine | None, *, action: str, resource_type: str, learner_count: int | None,
              resource_id: str | None = None, instance_id: int | None = None) -> None:
    """One audit event for a command that read, exported or imported learner-level data, as the OS user, in the
    configured database (the service's audit table; `engine` None: opened here)."""
    from api.audit import record_cli_audit

    def write(target: Engine) -> None:
        with Session(target) as session:
            record_cli_audit(session, action=action, resource_type=resource_type, resource_id=resource_id,
                             instance_id=instance_id, learner_count=learner_count)
            session.commit()

    if engine is not None:
        write(engine)
        return
    with open_database(fresh_settings()) as opened:
        write(opened)


def run_command(console: Console, action: Callable[[], T]) -> T:
    """Run a command body, turning expected failures into a red message on stderr and an exit code (`console`
    is the command's results console, kept for the callers' signatures)."""
    try:
        return action()
    except CliError as error:
        print_error(str(error))
        raise typer.Exit(code=error.code) from None
    except (store.InstanceNotFound, store.InstanceInUse, store.UnstorableText, CsvFieldTooLong) as error:
        print_error(str(error))
        raise typer.Exit(code=1) from None
    except InstanceIntegrityError as error:
        print_fitted(error_console(), integrity_table(error))
        print_error(f"{len(error.problems)} integrity problem(s); nothing was stored")
        raise typer.Exit(code=1) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        print_error(f"database error: {reason}")
        raise typer.Exit(code=2) from None


def integrity_table(error: InstanceIntegrityError) -> Table:
    table = Table("record", "id", "field", "problem", title="Integrity problems")
    for problem in error.problems[:200]:
        table.add_row(problem.record, problem.record_id, problem.field, problem.message)
    if len(error.problems) > 200:
        table.add_row("...", "", "", f"and {len(error.problems) - 200} more")
    return table


def progress_bar(console: Console) -> Progress:
    """A transient progress bar on stderr, shown only on a terminal (`console` kept for the callers' signatures)."""
    errors = error_console()
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=errors, transient=True, disable=not errors.is_terminal)


class BarProgress:
    """planner.solving.progress.Progress on a Rich bar (the fraction clipped to 0-1, the message to 60 characters)."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self._bar = bar
        self._task = task

    def report(self, fraction: float, message: str) -> None:
        self._bar.update(self._task, completed=max(0.0, min(1.0, fraction)) * 100, description=message[:60])

    def should_stop(self) -> bool:
        return False


@contextmanager
def solver_bar(label: str) -> Iterator[BarProgress]:
    """A transient bar with a percentage on stderr for a forecasting or solving command, shown only on a terminal:
    on a pipe or a file Rich's live display leaves an empty line behind (`cmd 2>&1 | less` showed a stray blank
    line after every bar)."""
    errors = error_console()
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=errors, transient=True, disable=not errors.is_terminal) as bar:
        yield BarProgress(bar, bar.add_task(label, total=100))


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
    """An importer's report on stderr: the problems (skipped rows, or why nothing was stored), warnings and notes
    (`console` is the command's results console, kept for the callers' signatures)."""
    errors = error_console()
    if report.problems:
        title = f"{what} skipped (--skip-invalid)" if stored else f"{name}: nothing was stored"
        print_fitted(errors, report_table(report.problems, title, "yellow" if stored else "red"))
    if report.warnings:
        print_fitted(errors, report_table(report.warnings, "Warnings (defaults used; rows kept)", "yellow"))
    for note in report.notes:
        errors.print(f"[dim]note: {note}[/dim]")



# Magic numbers of the spreadsheet files people save by mistake in place of a CSV:
# a ZIP local file header starts every Office Open XML package (.xlsx; ECMA-376 Part 2, Open Packaging Conventions)
# and every OpenDocument file (.ods; OASIS ODF 1.2 Part 3); a Compound File Binary header starts a legacy Excel
# .xls ([MS-CFB] section 2.2, header signature D0 CF 11 E0 A1 B1 1A E1).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def check_csv_file(path: Path) -> None:
    """Refuse, in one line, a file that is missing, empty, only a header row, or a spreadsheet or other binary
    file given where a CSV is expected (an import would otherwise report every row, or store an empty instance)."""
    if not path.exists():
        raise CliError(f"no such file: {path}")
    if not path.is_file():
        raise CliError(f"not a file: {path}")
    with path.open("rb") as handle:
        head = handle.read(4096)
        kind = _binary_kind(path, head)
        if kind is not None:
            raise CliError(f"{path.name}: {kind}")
        records = _records_up_to_two(head, handle)
    if records == 0:
        raise CliError(f"{path.name} is empty: nothing to import")
    if records == 1:
        raise CliError(f"{path.name} has a header row and no records: nothing to import")


def _binary_kind(path: Path, head: bytes) -> str | None:
    if head.startswith(ZIP_MAGIC):
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            names = []
        if any(name.startswith("xl/") for name in names):
            return "this is an Excel file (XLSX); save it as CSV (File > Save As > CSV UTF-8) and import that"
        if "mimetype" in names:
            return "this is an OpenDocument spreadsheet; save it as CSV and import that"
        return "this is a zip archive, not a CSV file; extract the CSV and import that"
    if head.startswith(OLE_MAGIC):
        return "this is an Excel file (XLS); save it as CSV (File > Save As > CSV UTF-8) and import that"
    if b"\x00" in head:
        return "this is not a CSV text file (binary data, or UTF-16 text); save it as CSV UTF-8 and import that"
    return None


def _records_up_to_two(head: bytes, handle: BinaryIO) -> int:
    """How many non-blank lines the file has, counting no further than two (header plus one record)."""

    def blank(line: bytes) -> bool:
        return not line.strip(b" \t\r\n,;\xef\xbb\xbf")

    lines = head.splitlines(keepends=True)
    tail = lines.pop() if lines and not lines[-1].endswith((b"\n", b"\r")) else b""
    count = sum(1 for line in lines if not blank(line))
    for line in handle:
        if count >= 2:
            break
        tail += line
        if tail.endswith((b"\n", b"\r")):
            count += 0 if blank(tail) else 1
            tail = b""
    if tail and not blank(tail):
        count += 1
    return min(count, 2)
