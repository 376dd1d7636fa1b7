"""Travel matrix import: origin/destination minutes usable by TravelModel, and row-level errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.domain.models import Point
from planner.domain.travel import TravelModel
from planner.io import ImportValidationError, read_travel_matrix


def test_good_matrix_feeds_the_travel_model(data_dir: Path) -> None:
    matrix, report = read_travel_matrix(data_dir / "travel_good.csv")
    assert matrix == {("NV-TOWN", "100001"): 12.5, ("NV-TOWN", "100004"): 25.0, ("P001", "100001"): 9.0}
    assert (report.rows_read, report.rows_valid) == (3, 3)
    model = TravelModel(matrix=matrix)
    here, there = Point(easting=430_000, northing=500_000), Point(easting=460_000, northing=500_000)
    assert model.minutes(here, there, "P001", "100001") == 9.0
    assert model.minutes(here, there, "P002", "100001") == pytest.approx(10.8 + 0.95 * 30, abs=0.01)


def test_bad_rows(data_dir: Path) -> None:
    with pytest.raises(ImportValidationError) as info:
        read_travel_matrix(data_dir / "travel_bad.csv")
    report = info.value.report
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (3, "minutes", "abc"),
        (4, "minutes", "-3"),
        (5, "origin_id", ""),
        (6, "destination_id", "100001"),
        (7, "minutes", "99999"),
    ]
    assert "row 2 already gives it" in report.problems[3].expected


def test_skip_invalid_and_known_ids(data_dir: Path) -> None:
    matrix, report = read_travel_matrix(data_dir / "travel_bad.csv", skip_invalid=True)
    assert matrix == {("NV-TOWN", "100001"): 12.5} and len(report.problems) == 5
    with pytest.raises(ImportValidationError) as info:
        read_travel_matrix(data_dir / "travel_good.csv", known_ids={"NV-TOWN", "100001", "100004"})
    assert [(p.row, p.column, p.value) for p in info.value.report.problems] == [(4, "origin_id", "P001")]


def test_header_must_be_exact(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("from,to,minutes\nA,B,3\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        read_travel_matrix(path)
    assert {p.column for p in info.value.report.problems} == {"origin_id", "destination_id"}
