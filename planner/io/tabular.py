"""Reading council CSV files: decoding (utf-8 with or without BOM, else Windows-1252 / latin-1), header checks,
and the small value parsers every importer shares (integers, numbers, booleans, dates).

Parsers return a value or raise ValueError with the words "expected ..." that go straight into a RowProblem.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from planner.io.report import ImportReport, ImportValidationError

Source = Path | str | bytes

TRUE_WORDS = frozenset({"y", "yes", "1", "true", "t"})
FALSE_WORDS = frozenset({"n", "no", "0", "false", "f", ""})
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def read_source(source: Source) -> tuple[bytes, str]:
    """Bytes of a file (path) or of an upload (bytes), and a name for the report."""
    if isinstance(source, bytes):
        return source, "upload"
    path = Path(source)
    try:
        return path.read_bytes(), path.name
    except OSError as error:
        raise FileNotFoundError(f"cannot read {path}: {error.strerror or error}") from None


def decode(raw: bytes, report: ImportReport) -> str:
    """utf-8 (a BOM is dropped), falling back to Windows-1252, then latin-1 (which never fails)."""
    try:
        text = raw.decode("utf-8-sig")
        report.notes.append("encoding: utf-8" + (" with BOM" if raw.startswith(b"\xef\xbb\xbf") else ""))
        return text
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
        report.notes.append("encoding: Windows-1252 (latin-1 family)")
        return text
    except UnicodeDecodeError:
        report.notes.append("encoding: latin-1")
        return raw.decode("latin-1")


# Python's csv module refuses a field longer than this (csv.field_size_limit(), 131,072 characters by default); no
# council column comes near it, so such a field is reported as a bad value, never raised as a traceback.
CSV_FIELD_LIMIT = 131_072


class CsvFieldTooLong(ValueError):
    """A field over CSV_FIELD_LIMIT characters: which spreadsheet row and column (the value is never echoed)."""

    def __init__(self, row: int, column: str, where: str = "") -> None:
        self.row, self.column = row, column
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}row {row}, column {column!r}: a value longer than {CSV_FIELD_LIMIT:,} characters")


def long_field_column(text: str, line: int, header: Sequence[str]) -> str:
    """The column of the over-long field on physical `line` (1-based), by a plain comma split; "" when unclear."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    cells = lines[line - 1].split(",")
    index = next((i for i, cell in enumerate(cells) if len(cell) > CSV_FIELD_LIMIT), None)
    if index is None:
        return ""
    return header[index] if index < len(header) else f"column {index + 1}"


def guarded(reader: Iterator[list[str]], text: str, header: Sequence[str],
            start: int = 2) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, values) from a csv reader; CsvFieldTooLong instead of the csv module's bare error."""
    number = start - 1
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" not in str(error):
                raise
            line = getattr(reader, "line_num", number)
            raise CsvFieldTooLong(number, long_field_column(text, line, header) or "(unknown)") from None
        yield number, values


def csv_rows(text: str, report: ImportReport | None = None) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Header (stripped names) and the data rows with their spreadsheet row numbers (header = row 1).

    A field over CSV_FIELD_LIMIT characters stops the file with ImportValidationError naming its row and column
    (a problem in `report`), or CsvFieldTooLong when no report is given.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(guarded(reader, text, [], start=1))[1]]
    except StopIteration:
        return [], iter(())
    except CsvFieldTooLong as error:  # in the header row itself
        _too_long(error, report)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for number, values in guarded(reader, text, header):
                if not any(v.strip() for v in values):
                    continue  # blank line (spreadsheets often leave some at the end)
                padded = list(values) + [""] * (len(header) - len(values))
                yield number, {name: padded[i].strip() for i, name in enumerate(header)}
        except CsvFieldTooLong as error:
            _too_long(error, report)

    return header, rows()


def _too_long(error: CsvFieldTooLong, report: ImportReport | None) -> NoReturn:
    if report is None:
        raise error
    report.add_problem(error.row, error.column, "", f"a value of at most {CSV_FIELD_LIMIT:,} characters")
    raise ImportValidationError(report) from None


def require_columns(header: Sequence[str], required: Sequence[str | tuple[str, ...]], report: ImportReport) -> None:
    """A header problem (row 1) for each required column missing; a tuple means any one of those names."""
    present = set(header)
    for column in required:
        names = (column,) if isinstance(column, str) else column
        if not present.intersection(names):
            report.add_problem(1, " or ".join(names), "", f"a column named {' or '.join(repr(n) for n in names)}")


def parse_int(text: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number (also accepts '12.0' as written by spreadsheets)."""
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(_expected_number("a whole number", low, high)) from None
    if not math.isfinite(number) or number != int(number):
        raise ValueError(_expected_number("a whole number", low, high))
    value = int(number)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(_expected_number("a whole number", low, high))
    return value


def parse_float(text: str, low: float | None = None, high: float | None = None) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(_expected_number("a number", low, high)) from None
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(_expected_number("a number", low, high))
    return value


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("expected Y/N, 1/0 or true/false")


def parse_date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError("expected a date as YYYY-MM-DD or DD/MM/YYYY")


IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")


def check_identifier(text: str) -> str:
    if not IDENTIFIER.match(text):
        raise ValueError("expected an id of 1-64 letters, digits or _ . : / - (starting with a letter or digit)")
    return text


def _expected_number(kind: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"expected {kind} from {low:g} to {high:g}"
    if low is not None:
        return f"expected {kind} of at least {low:g}"
    if high is not None:
        return f"expected {kind} of at most {high:g}"
    return f"expected {kind}"


def open_table(source: Source, required: Sequence[str | tuple[str, ...]],
               check_header: Callable[[list[str], ImportReport], None] | None = None,
               ) -> tuple[ImportReport, list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Read, decode and split a CSV, with its report; ImportValidationError when a required column is missing.

    `check_header` may add further header problems (row 1) before the decision.
    """
    raw, name = read_source(source)
    report = ImportReport(source=name)
    header, rows = csv_rows(decode(raw, report), report)
    require_columns(header, required, report)
    if check_header is not None:
        check_header(header, report)
    if report.problems:
        raise ImportValidationError(report)
    return report, header, rows
