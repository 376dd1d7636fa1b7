"""`placeplan import postcodes FILE`: load OS Code-Point Open or the ONSPD / NSPL into the `postcodes` table.

The learner and GIAS importers resolve a `Postcode` column against this table (homes kept to 100 m, postcodes never
stored). The product's format is detected (`planner.io.postcodes.open_postcodes`); the load is one transaction
(`api.postcodes.load_postcodes`): `--replace` (the default) makes the file the whole table, `--add` overwrites the
postcodes it holds and keeps the others. A file that is not a postcode product, a broken zip or a product that
reads mostly bad rows changes nothing and exits 1; a database failure changes nothing and exits 2. Bad rows in a
good product are skipped, counted and listed (file, row, column).
"""

from __future__ import annotations

import csv
import time
import zipfile
import zlib
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.cli.common import CliError, check_csv_file, fresh_settings, open_database, progress_bar, run_command
from api.postcodes import LoadStats, load_postcodes, table_size_bytes
from planner.io.postcodes import PostcodeFormatError, PostcodeReport, PostcodeSource, open_postcodes

PROBLEMS_SHOWN = 20
# What a damaged or unreadable file raises while it is read (a zip's CRC or deflate stream, a truncated member).
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeError, csv.Error)


def import_postcodes_command(path: Path, replace: bool) -> None:
    console = Console()

    def body() -> None:
        if path.is_file() and path.suffix.lower() == ".csv":
            check_csv_file(path)  # an empty file, or a spreadsheet saved as .csv: one line
        source = _open(path)
        with open_database(fresh_settings()) as engine:
            stats = _load(console, engine, source, replace)
            size = table_size_bytes(engine)
        _print_summary(console, source, stats, size, replace)

    run_command(console, body)


def _open(path: Path) -> PostcodeSource:
    try:
        return open_postcodes(path)
    except FileNotFoundError:
        raise CliError(f"no such file or folder: {path}") from None
    except PostcodeFormatError as error:
        raise CliError(str(error)) from None
    except READ_ERRORS as error:
        raise CliError(f"cannot read {path}: {error}") from None


def _load(console: Console, engine: Engine, source: PostcodeSource, replace: bool) -> LoadStats:
    """Stream the product into the table under a progress bar (bytes read; rows written and rows per second)."""
    driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error  # raised by the raw COPY / executemany
    started = time.perf_counter()
    label = f"Loading {source.path.name} ({source.format})"
    try:
        with progress_bar(console) as progress:
            task = progress.add_task(label, total=source.total_bytes or None)

            def on_progress(rows: int) -> None:
                rate = rows / max(time.perf_counter() - started, 1e-9)
                progress.update(task, completed=source.bytes_read,
                                description=f"{label}: {rows:,} rows, {rate:,.0f} rows/s")

            return load_postcodes(engine, source.records(), source=source.format, replace=replace,
                                  on_progress=on_progress)
    except PostcodeFormatError as error:
        _print_problems(console, source.report)
        raise CliError(f"{error}; nothing was changed") from None
    except READ_ERRORS as error:
        raise CliError(f"cannot read {source.path}: {error}; nothing was changed") from None
    except (SQLAlchemyError, driver_error) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise CliError(f"database error: {reason}; nothing was changed", code=2) from None


def _print_problems(console: Console, report: PostcodeReport) -> None:
    if not report.problems:
        return
    table = Table("file", "row", "column", "value", "expected", title="Bad rows (skipped)", title_style="yellow")
    for problem in report.problems[:PROBLEMS_SHOWN]:
        table.add_row(getattr(problem, "file", report.source), str(problem.row), problem.column,
                      problem.value or "(blank)", problem.expected)
    if report.problems_total > PROBLEMS_SHOWN:
        table.add_row("...", "", "", "", f"and {report.problems_total - PROBLEMS_SHOWN} more")
    console.print(table)


def _print_summary(console: Console, source: PostcodeSource, stats: LoadStats, size: int, replace: bool) -> None:
    report = source.report
    _print_problems(console, report)
    skipped = report.rows_skipped + report.problems_total
    console.print(f"loaded [bold]{stats.rows:,}[/bold] postcode(s) from {source.path.name} ({source.format}, "
                  f"{report.files_read} file(s), {report.rows_read:,} row(s) read) "
                  f"{'replacing the table' if replace else 'added to the table'}")
    console.print(f"skipped: {skipped:,} row(s)")
    for reason, count in sorted(report.skipped_reasons.items(), key=lambda item: (-item[1], item[0])):
        console.print(f"  {reason}: {count:,}")
    console.print(f"terminated: {stats.terminated:,} (kept, flagged: importers refuse them)")
    console.print(f"wall time: {stats.seconds:.1f} s ({stats.rows_per_second:,.0f} rows/s)")
    console.print(f"table postcodes: {stats.table_rows:,} postcode(s), {size / 1e6:.1f} MB")
