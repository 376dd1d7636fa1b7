"""A CSV field over Python's csv limit (131,072 characters) is a clear problem naming file, row and column, never a
traceback (issue 18, item 8); the value itself is not echoed."""

from __future__ import annotations

import pytest

from planner.io.report import ImportValidationError
from planner.io.sen2.source import csv_table
from planner.io.tabular import CSV_FIELD_LIMIT, CsvFieldTooLong, open_table

LONG = "x" * (CSV_FIELD_LIMIT + 10)


def test_importers_report_the_row_and_column_of_an_over_long_field() -> None:
    raw = f"id,name,notes\nA,North,ok\nB,South,{LONG}\n".encode()
    report, _header, rows = open_table(raw, ["id", "name"])
    with pytest.raises(ImportValidationError) as caught:
        list(rows)
    problem = caught.value.report.problems[0]
    assert (problem.row, problem.column, problem.value) == (3, "notes", "")
    assert "131,072 characters" in problem.expected and LONG not in str(caught.value)


def test_an_over_long_header_is_reported_too() -> None:
    with pytest.raises(ImportValidationError) as caught:
        open_table(f"id,{LONG}\n1,2\n".encode(), ["id"])
    assert caught.value.report.problems[0].row == 1


def test_sen2_module_files_name_the_file() -> None:
    with pytest.raises(CsvFieldTooLong, match=r"Blade-Export_person.csv: row 2, column 'surname'"):
        csv_table("person", "Blade-Export_person.csv", f"persontableid,surname\n1,{LONG}\n".encode())
