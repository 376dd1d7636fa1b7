"""Formula (CSV) injection: every workbook and CSV writer escapes formula-like text through planner.io.cells
(issue 18, item 4: an instance name became a live formula in the sufficiency workbook's Assumptions sheet)."""

from __future__ import annotations

import ast
import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from planner.io.cells import FORMULA_STARTS, SafeDictWriter, safe_cell, safe_csv_writer
from tests.api.conftest import build_small_instance

ROOT = Path(__file__).resolve().parents[2]
EVIL = "=cmd|' /C calc'!A0"
HOSTILE = [EVIL, "+1+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _live(value: Any) -> bool:
    """True when a spreadsheet would read this cell as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and safe_cell(value) != value


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _xlsx_cells(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell is stored as a formula"
    return [c.value for c in cells]


def _assert_escaped(cells: list[Any], *expected_text: str) -> None:
    assert not [c for c in cells if _live(c)]
    for text in expected_text:  # the hostile text is there, shown as text (so the check above saw it)
        assert "'" + text in cells, text


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_text_gets_an_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", [12, -3, 2.5, -0.25, "-3", "+1.5", "1e5", "North", "", None, True])
def test_numbers_and_plain_text_are_untouched(value: Any) -> None:
    assert safe_cell(value) == value


def test_csv_writers_escape_header_and_cells() -> None:
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=["name", "n", EVIL])
    writer.writeheader()
    writer.writerow({"name": EVIL, "n": -4, EVIL: "@x"})
    plain = io.StringIO()
    safe_csv_writer(plain).writerows([[EVIL, -4, "-4"]])
    assert _csv_cells(buffer.getvalue()) == ["name", "n", "'" + EVIL, "'" + EVIL, "-4", "'@x"]
    assert _csv_cells(plain.getvalue()) == ["'" + EVIL, "-4", "-4"]


@pytest.fixture(scope="module")
def evil_instance() -> Any:
    """The small test council with a hostile name, locality name and setting name."""
    instance = build_small_instance()
    localities = tuple(loc.model_copy(update={"name": "@" + loc.name}) for loc in instance.localities)
    settings = tuple(s.model_copy(update={"name": EVIL}) if s.id == "100001" else s for s in instance.settings)
    return instance.model_copy(update={"name": EVIL, "localities": localities, "settings": settings})


def test_sufficiency_and_scap_workbooks_and_csvs(evil_instance: Any) -> None:
    from planner.forecast.simulation import forecast
    from planner.io.sufficiency_export import rows_to_csv, scap_rows, scap_workbook, sufficiency_workbook
    from planner.sufficiency import assess_sufficiency

    projection = forecast(evil_instance, {"horizon_years": 2, "runs": 20, "seed": 1})
    result = assess_sufficiency(evil_instance, projection)
    book = load_workbook(io.BytesIO(sufficiency_workbook(evil_instance, projection, result)))
    assert book["Assumptions"]["B2"].value == "'" + EVIL and book["Assumptions"]["B2"].data_type != "f"
    _assert_escaped(_xlsx_cells(sufficiency_workbook(evil_instance, projection, result)), EVIL)
    _xlsx_cells(scap_workbook(evil_instance, projection))
    rows = [{**row, "note": EVIL} for row in scap_rows(evil_instance, projection)]
    _assert_escaped(_csv_cells(rows_to_csv(rows)), EVIL)
    _assert_escaped(_csv_cells(rows_to_csv([{**row, "locality_id": EVIL} for row in result.rows])), EVIL)


def test_placement_list_csv_and_xlsx(evil_instance: Any, tmp_path: Path) -> None:
    from planner.io.placement_export import write_placements
    from planner.placement.matching import place
    from planner.placement.params import PlacementParameters

    plan = place(evil_instance, PlacementParameters(place_all=True))
    csv_cells = _csv_cells(write_placements(evil_instance, plan, tmp_path / "p.csv").read_text())
    _assert_escaped(csv_cells, EVIL)
    _assert_escaped(_xlsx_cells(write_placements(evil_instance, plan, tmp_path / "p.xlsx").read_bytes()), EVIL)
    travel = pd.read_csv(tmp_path / "p.csv")["travel_minutes"].dropna()
    assert pd.api.types.is_numeric_dtype(travel)  # numbers stay numbers


def test_comparison_csv_and_xlsx() -> None:
    from scenarios.runner import comparison_csv, comparison_xlsx

    table = {"metrics": [{"name": "unmet_need", "label": "-unmet", "unit": "learners"}], "baseline": EVIL,
             "scenarios": [{"label": EVIL, "name": EVIL, "lineage": [EVIL]}],
             "rows": [{"scenario": EVIL, "academic_year": 2027, "unmet_need": -1.5, "unmet_need_vs_baseline": 0.0}],
             "totals": {EVIL: {"unmet_need": 3.0}}, "totals_vs_baseline": {EVIL: {"unmet_need": 0.0}}}
    _assert_escaped(_csv_cells(comparison_csv(table)), EVIL)
    cells = _xlsx_cells(comparison_xlsx(table))
    _assert_escaped(cells, EVIL, "-unmet")
    assert -1.5 in cells


def test_transition_csvs() -> None:
    from planner.io.transition_export import activities_csv, statutory_calendar_csv

    activity = {"activity_id": "+a1", "kind": "review", "hours": 3.0, "week": 2, "week_commencing": "2026-09-07",
                "due_date": "2026-10-01", "weeks_late": 0, "due_week": 4, "scheduled": True}
    case = {"case_id": EVIL, "learner_id": "@L1", "transition": "-phase", "tier": 1, "score": 2.0, "team_id": "T1",
            "planning_deadline": "2027-01-01", "deadline": "2027-02-15", "latest_review": "2027-01-01",
            "activities": [activity]}
    calendar = {"rows": [{"learner_id": "@L1", "process": "annual_review", "steps": {"review_by": "2027-01-01"},
                          "preparing_for_adulthood": False, "overdue": False, "notes": [EVIL]}], "rules": {}}
    _assert_escaped(_csv_cells(activities_csv({"cases": [case], "unallocated": []})), EVIL, "@L1", "+a1")
    _assert_escaped(_csv_cells(statutory_calendar_csv({"statutory_calendar": calendar})), EVIL, "@L1")


def test_sen2_and_backtest_csvs(tmp_path: Path) -> None:
    from planner.io.cells import write_dict_csv
    from planner.io.sen2.model import Sen2Person
    from planner.io.sen2.writer import write_sen2_csv

    person = Sen2Person(person_table_id="1", upn=EVIL, forename="=A", surname="@B", birth_date=date(2015, 1, 1),
                        sex="F", postcode="-X")
    paths = write_sen2_csv(tmp_path / "sen2", [person], date(2026, 1, 15), "999")
    cells = [cell for path in paths for cell in _csv_cells(path.read_text())]
    _assert_escaped(cells, EVIL)
    write_dict_csv(tmp_path / "b.csv", ["la_name", "p50"], [{"la_name": EVIL, "p50": -2}])
    _assert_escaped(_csv_cells((tmp_path / "b.csv").read_text()), EVIL)


WRITER_CALLS = ("DictWriter", "to_csv", "to_excel", "ExcelWriter")


def test_no_writer_bypasses_the_helper() -> None:
    """Every csv/pandas/openpyxl write in the product goes through planner.io.cells (the only module allowed to
    call these directly); openpyxl sheets are written with cells.append_row."""
    offenders = []
    for path in sorted([*ROOT.glob("planner/**/*.py"), *ROOT.glob("api/**/*.py"), *ROOT.glob("scenarios/**/*.py")]):
        if path == ROOT / "planner" / "io" / "cells.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
            name = node.func.attr
            if name in WRITER_CALLS or (name, owner) in {("writer", "csv"), ("append", "ws"), ("append", "sheet")}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offenders == []
