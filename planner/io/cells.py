"""The one place every spreadsheet cell the product writes passes through: formula (CSV) injection escaping.

A text cell that starts with = + - @ tab or carriage return is read by Excel, LibreOffice and Google Sheets as a
formula (OWASP, "CSV Injection"): an instance named ``=cmd|' /C calc'!A0`` written into a workbook ran as a live
formula (issue 18, item 4). Such text gets a leading apostrophe, which spreadsheets show as text. Numbers stay
numbers (an int or float is never touched, and neither is text that is just a number, such as "-3" or "+1.5").

Every CSV and XLSX writer uses these helpers: `SafeDictWriter` / `safe_csv_writer` for the csv module,
`append_row` for openpyxl sheets, `frame_csv` / `frames_xlsx` for pandas (tests/io/test_cells.py checks that no
writer bypasses them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet will show it as text: formula-like text gets a leading apostrophe."""
    # A lone "-" (no figure) is text in every spreadsheet, not a formula: left as it is.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.match(value) \
            and value != "-":
        return "'" + value
    return value


def safe_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {safe_cell(key): safe_cell(value) for key, value in row.items()}


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """csv.DictWriter whose header and every value are escaped (same arguments)."""

    def __init__(self, handle: Any, fieldnames: Iterable[str], **kwargs: Any) -> None:
        super().__init__(handle, fieldnames=list(fieldnames), **kwargs)
        self._header_names = [safe_cell(name) for name in self.fieldnames]

    def writeheader(self) -> Any:
        return self.writer.writerow(self._header_names)

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


class SafeWriter:
    """csv.writer whose every cell is escaped."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(handle: Any, **kwargs: Any) -> SafeWriter:
    return SafeWriter(handle, **kwargs)


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """openpyxl `sheet.append` with every value escaped (openpyxl stores text starting with = as a formula)."""
    sheet.append([safe_cell(value) for value in values])


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with text cells, column names and index labels escaped (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(name) for name in out.columns]
    out.index = out.index.map(safe_cell)
    if out.index.name is not None:
        out.index.name = safe_cell(out.index.name)
    return out


def frame_csv(frame: pd.DataFrame, **kwargs: Any) -> str:
    """`frame.to_csv` of the escaped frame (index left out unless asked)."""
    kwargs.setdefault("index", False)
    text: str = safe_frame(frame).to_csv(**kwargs)
    return text


def frames_xlsx(sheets: Mapping[str, tuple[pd.DataFrame, bool]]) -> bytes:
    """A workbook with one sheet per frame (name -> (frame, write its index?)), every cell escaped."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, (frame, index) in sheets.items():
            safe_frame(frame).to_excel(writer, sheet_name=name, index=index)
    return buffer.getvalue()


def write_dict_csv(path: Any, fieldnames: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """A CSV file (header + rows), every cell escaped; the folder is created if needed."""
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeDictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
