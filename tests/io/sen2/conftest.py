"""Fixtures for the SEN2 reader tests: the fictional return in tests/data/sen2, its postcode lookup, and a copy of
the return that a test may break one cell at a time."""

from __future__ import annotations

import csv
import hashlib
import hmac
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup, lookup_from_mapping

DATA = Path(__file__).resolve().parents[2] / "data" / "sen2"
KEY = "test-council-key"


def expected_id(basis: str, key: str = KEY) -> str:
    """The learner id the reader should give a child keyed by `basis` (UPN, ULN or person table id)."""
    return "P" + hmac.new(key.encode(), basis.encode(), hashlib.sha256).hexdigest()[:16]


def fixes_from_csv(path: Path) -> dict[str, PostcodeFix]:
    with path.open(newline="") as handle:
        return {row["postcode"]: PostcodeFix(easting=float(row["easting"]), northing=float(row["northing"]),
                                             lsoa=row["lsoa"] or None, terminated=row["terminated"] == "Y")
                for row in csv.DictReader(handle)}


class EditableReturn:
    """A copy of the plain-named CSV return in a temporary folder, with small editing helpers."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, token: str) -> Path:
        return self.folder / f"{token}.csv"

    def rows(self, token: str) -> list[list[str]]:
        with self.path(token).open(newline="") as handle:
            return list(csv.reader(handle))

    def write(self, token: str, rows: list[list[str]]) -> None:
        with self.path(token).open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)

    def set(self, token: str, row: int, column: str, value: str) -> EditableReturn:
        """Set one cell; `row` is the spreadsheet row (header = 1)."""
        rows = self.rows(token)
        rows[row - 1][rows[0].index(column)] = value
        self.write(token, rows)
        return self

    def add_row(self, token: str, values: dict[str, str]) -> int:
        rows = self.rows(token)
        rows.append([values.get(name, "") for name in rows[0]])
        self.write(token, rows)
        return len(rows)

    def drop_column(self, token: str, column: str) -> EditableReturn:
        rows = self.rows(token)
        index = rows[0].index(column)
        self.write(token, [row[:index] + row[index + 1:] for row in rows])
        return self

    def delete(self, token: str) -> EditableReturn:
        self.path(token).unlink()
        return self


@pytest.fixture(scope="session")
def sen2_data() -> Path:
    return DATA


@pytest.fixture(scope="session")
def fixes() -> dict[str, PostcodeFix]:
    return fixes_from_csv(DATA / "postcodes.csv")


@pytest.fixture(scope="session")
def lookup(fixes: dict[str, PostcodeFix]) -> PostcodeLookup:
    return lookup_from_mapping(fixes)


@pytest.fixture
def editable(tmp_path: Path) -> EditableReturn:
    folder = tmp_path / "return"
    shutil.copytree(DATA / "csv", folder)
    return EditableReturn(folder)


@pytest.fixture
def xml_copy(tmp_path: Path) -> Callable[[Callable[[str], str]], Path]:
    """Write an edited copy of return.xml: pass a function from the file's text to the new text."""

    def make(edit: Callable[[str], str]) -> Path:
        path = tmp_path / "return.xml"
        path.write_text(edit((DATA / "return.xml").read_text(encoding="utf-8")), encoding="utf-8")
        return path

    return make


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """Line number (from 1) of the n-th occurrence of `needle` in `text`."""
    position = -1
    for _ in range(occurrence):
        position = text.index(needle, position + 1)
    return text.count("\n", 0, position) + 1
