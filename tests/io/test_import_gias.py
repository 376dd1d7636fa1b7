"""GIAS establishment import: real column names, both encodings, blanks, bases, closed and out-of-LA rows."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from planner.domain.codes import Need, SettingKind, SettingStatus
from planner.domain.models import Instance
from planner.io import ImportValidationError, RowProblem, read_gias
from planner.io.gias import ncy_range_from_statutory_ages

GOOD_FILES = ["gias_good_utf8_bom.csv", "gias_good_latin1.csv"]
POSTCODES = ("NV1 1AA",)


@pytest.mark.parametrize("name", GOOD_FILES)
def test_good_extract_gives_the_right_settings(data_dir: Path, name: str) -> None:
    settings, report = read_gias(data_dir / name, la_code="999")
    by_id = {s.id: s for s in settings}
    assert list(by_id) == ["100001", "100002", "100002-RP", "100003", "100003-UNIT", "100004", "100005", "100006",
                           "100008", "100009", "100010", "100010-RP", "100010-UNIT", "100012", "100013"]
    assert (report.rows_read, report.rows_valid, report.rows_skipped, report.problems) == (13, 11, 2, [])

    primary = by_id["100001"]
    assert (primary.kind, primary.ncy_min, primary.ncy_max, primary.capacity) == (SettingKind.MAINSTREAM, 0, 6, 420)
    assert primary.designations == frozenset() and primary.urn == 100001 and primary.in_area
    assert (primary.location.easting, primary.location.northing) == (430_100, 500_200)

    # Resourced provision: its own setting hosted by the school, designated from SEN1..SEN13, nursery from age 3.
    rp = by_id["100002-RP"]
    assert (rp.kind, rp.host_setting_id, rp.capacity) == (SettingKind.RESOURCED_PROVISION, "100002", 12)
    assert rp.designations == {Need.ASD, Need.SLCN} and (rp.ncy_min, rp.ncy_max) == (-1, 6)
    assert by_id["100002"].designations == frozenset()
    unit = by_id["100003-UNIT"]
    assert (unit.kind, unit.host_setting_id, unit.capacity, unit.designations) == (
        SettingKind.SEN_UNIT, "100003", 10, {Need.HI})
    assert (by_id["100003"].ncy_min, by_id["100003"].ncy_max) == (7, 13)
    assert by_id["100010-RP"].capacity == 8 and by_id["100010-UNIT"].capacity == 6
    assert by_id["100010-UNIT"].designations == {Need.SPLD, Need.MLD}

    # Accented name read correctly from either encoding; blank capacity -> NumberOfPupils with a warning.
    special = by_id["100004"]
    assert special.name == "Château Beck School"
    assert (special.kind, special.ncy_min, special.ncy_max, special.capacity) == (SettingKind.SPECIAL, -2, 14, 96)
    assert special.designations == {Need.SLD, Need.PMLD, Need.PD}
    assert RowProblem(row=5, column="SchoolCapacity", value="",
                      expected="a capacity (NumberOfPupils used instead: 96 places)") in report.warnings

    semh = by_id["100005"]
    assert (semh.kind, semh.ncy_min, semh.ncy_max) == (SettingKind.SEMH_SPECIAL, 1, 11)
    assert (semh.status, semh.closes_year) == (SettingStatus.CLOSING, 2027)
    pru = by_id["100006"]
    assert (pru.kind, pru.capacity, pru.ncy_min, pru.ncy_max) == (SettingKind.PRU_AP, 40, 7, 11)

    # Another LA's independent special school: out of area; designated SEMH but stays independent.
    independent = by_id["100008"]
    assert independent.kind is SettingKind.INDEPENDENT_SPECIAL and not independent.in_area
    assert independent.designations == {Need.ASD, Need.SEMH}

    college = by_id["100009"]
    assert (college.kind, college.ncy_min, college.ncy_max, college.capacity) == (SettingKind.FE_COLLEGE, 12, 20, 0)
    assert {(w.row, w.column) for w in report.warnings} >= {(10, "StatutoryLowAge"), (10, "SchoolCapacity")}
    assert by_id["100012"].kind is SettingKind.POST16_SPECIALIST
    proposed = by_id["100013"]
    assert (proposed.kind, proposed.status, proposed.opens_year) == (SettingKind.SPECIAL, SettingStatus.PROPOSED, 2027)

    # Closed school and university skipped, never errors.
    assert "100007" not in by_id and "100011" not in by_id
    assert by_id["100001"].cost_per_place > 0


def test_encodings_are_detected_and_agree(data_dir: Path) -> None:
    utf8 = read_gias(data_dir / GOOD_FILES[0], la_code=999)
    latin = read_gias(data_dir / GOOD_FILES[1], la_code=999)
    assert utf8.settings == latin.settings
    assert any("utf-8 with BOM" in note for note in utf8.report.notes)
    assert any("Windows-1252" in note for note in latin.report.notes)
    assert "\ufeff" not in utf8.settings[0].id


def test_settings_form_a_valid_instance(data_dir: Path) -> None:
    settings, _ = read_gias(data_dir / GOOD_FILES[0], la_code="999")
    instance = Instance(name="Imported", base_year=2026, settings=settings)
    assert instance.setting_by_id["100002-RP"].host_setting_id == "100002"


def test_without_la_code_everything_is_in_area(data_dir: Path) -> None:
    settings, report = read_gias(data_dir / GOOD_FILES[0])
    assert all(s.in_area for s in settings)
    assert any("no LA code" in note for note in report.notes)


def test_postcode_never_reaches_settings_report_or_log(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings, report = read_gias(data_dir / GOOD_FILES[0], la_code="999")
    text = " ".join(s.model_dump_json() for s in settings) + report.model_dump_json() + caplog.text
    assert not any(code in text for code in POSTCODES)
    assert any("Postcode column ignored" in note for note in report.notes)


def test_malformed_rows_give_the_report_and_nothing_else(data_dir: Path) -> None:
    with pytest.raises(ImportValidationError) as info:
        read_gias(data_dir / "gias_bad.csv")
    report = info.value.report
    found = {(p.row, p.column, p.value) for p in report.problems}
    assert found == {
        (3, "URN", "abc"),
        (4, "StatutoryHighAge", "4"),
        (5, "SEN1 (name)", "XYZ - Unknown Need"),
        (6, "SchoolCapacity", "-5"),
        (7, "Easting", ""),
        (8, "EstablishmentStatus (name)", "Maybe"),
        (9, "URN", "100001"),
        (10, "TypeOfEstablishment (name)", "Space academy"),
    }
    assert all(p.expected for p in report.problems)
    assert next(p for p in report.problems if p.row == 9).expected == "a URN not already used (row 2 has it)"
    assert "row 6, column 'SchoolCapacity': '-5'; expected a whole number of at least 0" in str(info.value)
    assert (report.rows_read, report.rows_valid, report.rows_invalid) == (9, 1, 8)


def test_skip_invalid_keeps_the_good_rows(data_dir: Path) -> None:
    settings, report = read_gias(data_dir / "gias_bad.csv", skip_invalid=True)
    assert [s.id for s in settings] == ["100001"]
    assert len(report.problems) == 8 and not report.ok


def test_missing_required_column_always_fails(tmp_path: Path) -> None:
    path = tmp_path / "no_type.csv"
    path.write_text("URN,EstablishmentName,EstablishmentStatus (name),StatutoryLowAge,StatutoryHighAge,Easting\n"
                    "1,School,Open,4,11,430000\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        read_gias(path, skip_invalid=True)
    columns = {p.column for p in info.value.report.problems}
    assert columns == {"TypeOfEstablishment (name)", "Northing"}
    assert all(p.row == 1 for p in info.value.report.problems)


def test_bytes_upload_and_missing_file(data_dir: Path, tmp_path: Path) -> None:
    settings, report = read_gias((data_dir / GOOD_FILES[1]).read_bytes(), la_code="999")
    assert len(settings) == 15 and report.source == "upload"
    with pytest.raises(FileNotFoundError, match="cannot read"):
        read_gias(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(4, 11, (0, 6)), (11, 16, (7, 11)), (11, 18, (7, 13)), (2, 19, (-2, 14)), (3, 7, (-1, 2)), (7, 11, (3, 6)),
     (0, 5, (-2, 0)), (16, 99, (12, 20)), (19, 25, (15, 20))],
)
def test_statutory_ages_to_ncy(low: int, high: int, expected: tuple[int, int]) -> None:
    assert ncy_range_from_statutory_ages(low, high) == expected


def test_closed_rows_are_skipped_even_when_incomplete(tmp_path: Path) -> None:
    header = ("URN,EstablishmentName,TypeOfEstablishment (name),EstablishmentTypeGroup (name),"
              "EstablishmentStatus (name),StatutoryLowAge,StatutoryHighAge,Easting,Northing\n")
    path = tmp_path / "closed.csv"
    path.write_text(header + "1,Open School,Community school,Local authority maintained schools,Open,4,11,430000,"
                    "500000\n,Closed School,Community school,,Closed,,,,\n"
                    "3,A University,Higher education institutions,Universities,Open,,,,\n", encoding="utf-8")
    settings, report = read_gias(path)
    assert [s.id for s in settings] == ["1"]
    assert (report.rows_read, report.rows_valid, report.rows_skipped) == (3, 1, 2)
