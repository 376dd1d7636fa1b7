"""Localities CSV: a centre or area codes per row, row-level problems, all-or-nothing unless skip_invalid."""

from __future__ import annotations

import pytest

from planner.areas import LocalitySpec
from planner.domain.models import Point
from planner.io.localities import read_localities
from planner.io.report import ImportValidationError

GOOD = b"""locality_id,name,easting,northing,area_codes,in_area
N,North,443000,513000,,
S,South,,,E01000001; e01000002,Y
E,East,450000,500000,SW1A;B1,
OUT,Next door,470000,520000,,N
"""


def _problems(text: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportValidationError) as info:
        read_localities(text)
    return [(p.row, p.column, p.value) for p in info.value.report.problems]


def test_a_good_file_gives_specs_in_file_order() -> None:
    specs, report = read_localities(GOOD)
    assert specs == (
        LocalitySpec(id="N", name="North", centre=Point(easting=443_000, northing=513_000)),
        LocalitySpec(id="S", name="South", area_codes=frozenset({"E01000001", "E01000002"})),
        LocalitySpec(id="E", name="East", centre=Point(easting=450_000, northing=500_000),
                     area_codes=frozenset({"SW1A", "B1"})),
        LocalitySpec(id="OUT", name="Next door", centre=Point(easting=470_000, northing=520_000), in_area=False),
    )
    assert (report.rows_read, report.rows_valid, report.problems) == (4, 4, [])


def test_codes_only_and_centre_only_files_are_accepted() -> None:
    specs, _ = read_localities(b"locality_id,name,area_codes\nA,Alpha,E01000001\n")
    assert specs[0].area_codes == {"E01000001"} and specs[0].centre is None
    specs, _ = read_localities(b"locality_id,name,easting,northing\nA,Alpha,1,2\n")
    assert specs[0].centre == Point(easting=1, northing=2)


def test_row_problems_name_row_column_value_and_expectation() -> None:
    text = b"""locality_id,name,easting,northing,area_codes,in_area
N,North,443000,,,
S S,,440000,510000,,
X,Codes,,,E01000001;bad code,
Y,Nowhere,,,,
Z,Far,900000,510000,,
W,Odd,1,1,,maybe
V,Takes X's code,1,1,E01000001,
X,Again,1,1,,
"""
    with pytest.raises(ImportValidationError) as info:
        read_localities(text)
    report = info.value.report
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (2, "northing", ""),
        (3, "locality_id", "S S"),
        (3, "name", ""),
        (4, "area_codes", "bad code"),
        (5, "area_codes", ""),
        (6, "easting", "900000"),
        (7, "in_area", "maybe"),
        (9, "locality_id", "X"),
    ]
    assert report.problems[0].expected == "a value (easting and northing go together)"
    assert report.problems[4].expected == "easting and northing, or at least one area code"
    assert report.problems[5].expected == "a number from 0 to 800000"
    assert "row 4" in report.problems[7].expected
    assert report.rows_read == 8


def test_an_area_code_in_two_localities_is_a_problem() -> None:
    problems = _problems(b"locality_id,name,area_codes\nA,Alpha,E01000001\nB,Beta,E01000002;e01000001\n")
    assert problems == [(3, "area_codes", "E01000001")]


def test_header_problems() -> None:
    assert _problems(b"locality_id,name\nA,Alpha\n") == [(1, "easting/northing or area_codes", "")]
    assert _problems(b"locality_id,name,easting\nA,Alpha,1\n") == [
        (1, "northing", ""), (1, "easting/northing or area_codes", "")]
    assert _problems(b"id,name,area_codes\nA,Alpha,E01000001\n") == [(1, "locality_id", "")]
    assert _problems(b"locality_id,name,area_codes\n") == [(1, "locality_id", "")]  # no row at all


def test_skip_invalid_keeps_the_good_rows_and_lists_the_bad() -> None:
    specs, report = read_localities(GOOD + b"BAD ID,Bad,1,1,,\n", skip_invalid=True)
    assert [s.id for s in specs] == ["N", "S", "E", "OUT"]
    assert [(p.row, p.column) for p in report.problems] == [(6, "locality_id")]
    assert (report.rows_read, report.rows_valid) == (5, 4)


def test_a_windows_1252_file_reads() -> None:
    specs, report = read_localities("locality_id,name,easting,northing\nA,Côte,1,2\n".encode("cp1252"))
    assert specs[0].name == "Côte" and "Windows-1252" in report.notes[0]
