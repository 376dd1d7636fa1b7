"""Reading the postcode products: OS Code-Point Open (zip, folder, area CSV) and ONSPD / NSPL (CSV, zip).

The files under tests/data/postcodes/ are fictional extracts in the products' published shapes (postcode areas ZY
and ZZ do not exist); see the module docstring of planner.io.postcodes for the layouts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from planner.io.postcodes import (
    CODEPOINT_OPEN,
    ONSPD,
    PROBLEMS_KEPT,
    PostcodeFormatError,
    PostcodeProblem,
    PostcodeRecord,
    PostcodeSource,
    open_postcodes,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "postcodes"
CODEPOINT_ZIP = DATA / "codepoint_open_small.zip"
NSPL = DATA / "nspl_small.csv"
ONSPD_ZIP = DATA / "onspd_small.zip"


def read_all(path: Path) -> tuple[list[PostcodeRecord], PostcodeSource]:
    source = open_postcodes(path)
    records = list(source.records())
    return records, source


def test_codepoint_open_zip_as_published() -> None:
    records, source = read_all(CODEPOINT_ZIP)
    assert source.format == CODEPOINT_OPEN
    by_code = {r.postcode: r for r in records}
    assert sorted(by_code) == ["ZY11AA", "ZY11AB", "ZZ101AA", "ZZ11AA", "ZZ11AB", "ZZ11AD"]
    assert by_code["ZZ11AA"] == PostcodeRecord("ZZ11AA", 430120, 500240, None, "E05099001", "E06000099", False)
    assert by_code["ZY11AA"].district == "E07000999"
    report = source.report
    assert (report.files_read, report.rows_read, report.rows_valid) == (2, 9, 6)
    assert report.skipped_reasons == {"no coordinates (positional quality 90)": 1, "malformed postcode": 1,
                                      "non-numeric coordinates": 1}
    assert report.rows_skipped == 1 and report.problems_total == 2 and report.rows_invalid == 2
    assert [(p.file, p.row, p.column, p.value) for p in report.problems] == [
        ("Data/CSV/zz.csv", 6, "Postcode", "ZZ1 1A"),
        ("Data/CSV/zz.csv", 7, "Eastings", "abc"),
    ]
    assert "Data/CSV/zz.csv: row 7, column 'Eastings'" in str(report.problems[1])
    assert '"file":"Data/CSV/zz.csv"' in report.model_dump_json()
    assert source.bytes_read == source.total_bytes > 0


def test_codepoint_open_folder_and_single_area_csv(tmp_path: Path) -> None:
    with zipfile.ZipFile(CODEPOINT_ZIP) as archive:
        archive.extractall(tmp_path / "codepo_gb")
    folder_records, folder = read_all(tmp_path / "codepo_gb")
    zip_records, _ = read_all(CODEPOINT_ZIP)
    assert folder.format == CODEPOINT_OPEN and folder_records == zip_records

    # A folder holding only the area CSVs (no Doc/, no Data/CSV/ layout), then one area CSV on its own.
    loose = tmp_path / "loose"
    loose.mkdir()
    for name in ("zy.csv", "zz.csv"):
        (loose / name).write_bytes((tmp_path / "codepo_gb" / "Data" / "CSV" / name).read_bytes())
    assert read_all(loose)[0] == zip_records
    area_records, area = read_all(loose / "zy.csv")
    assert area.format == CODEPOINT_OPEN and [r.postcode for r in area_records] == ["ZY11AA", "ZY11AB"]


def test_codepoint_column_headers_file_sets_the_layout(tmp_path: Path) -> None:
    """The columns are mapped from Doc/Code-Point_Open_Column_Headers.csv (long names), not assumed."""
    archive = tmp_path / "reordered.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("Doc/Code-Point_Open_Column_Headers.csv",
                     "EA,NO,PC,PQ\nEastings,Northings,Postcode,Positional_quality_indicator\n")
        out.writestr("Data/CSV/zz.csv", '430120,500240,"ZZ1 1AA",10\n')
    [record] = read_all(archive)[0]
    assert (record.postcode, record.easting, record.northing, record.district) == ("ZZ11AA", 430120, 500240, None)

    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as out:
        out.writestr("Doc/Code-Point_Open_Column_Headers.csv", "PC,PQ\nPostcode,Quality\n")
        out.writestr("Data/CSV/zz.csv", '"ZZ1 1AA",10,430120,500240\n')
    with pytest.raises(PostcodeFormatError, match="Eastings"):
        open_postcodes(broken)


def test_nspl_csv_flags_terminated_and_skips_what_has_no_gb_grid_reference() -> None:
    records, source = read_all(NSPL)
    assert source.format == ONSPD
    by_code = {r.postcode: r for r in records}
    assert sorted(by_code) == ["ZZ11AA", "ZZ11AB", "ZZ11AD", "ZZ22AA"]
    assert by_code["ZZ11AA"] == PostcodeRecord("ZZ11AA", 430120, 500240, "E01099001", "E05099001", "E06000099", False)
    assert by_code["ZZ11AD"].terminated and not by_code["ZZ11AB"].terminated
    assert by_code["ZZ22AA"].lsoa is None  # a pseudo code (E99999999) is no LSOA
    report = source.report
    assert (report.rows_read, report.rows_valid, report.terminated) == (8, 4, 1)
    assert report.skipped_reasons == {"no grid reference (osgrdind 9 or blank)": 1,
                                      "Northern Ireland (Irish Grid references)": 1,
                                      "malformed postcode": 1, "non-numeric coordinates": 1}
    assert [(p.row, p.column, p.value) for p in report.problems] == [(7, "pcd", "ZZ  11A"), (8, "oseast1m", "n/a")]


def test_onspd_zip_prefers_the_main_file_and_the_2021_lsoa() -> None:
    records, source = read_all(ONSPD_ZIP)
    assert source.format == ONSPD
    assert [e.name for e in source.entries] == ["Data/ONSPD_FEB_2026_UK.csv"]
    assert [(r.postcode, r.lsoa, r.ward, r.district, r.terminated) for r in records] == [
        ("ZZ11AA", "E01099001", "E05099001", "E06000099", False),
        ("ZZ11AB", "E01099002", "E05099001", "E06000099", False),
        ("ZZ11AD", "E01099002", "E05099002", "E06000099", True),
    ]


def test_onspd_with_only_2011_lsoas_and_upper_case_header(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("PCD,OSEAST1M,OSNRTH1M,DOTERM,LSOA11,OSWARD,OSLAUA\nZZ1 1AA,430120,500240,,E01011001,E05099001,"
                    "E06000099\n", encoding="utf-8")
    [record] = read_all(path)[0]
    assert record == PostcodeRecord("ZZ11AA", 430120, 500240, "E01011001", "E05099001", "E06000099", False)


def test_a_file_that_is_no_postcode_product_is_refused() -> None:
    with pytest.raises(PostcodeFormatError, match="not a postcode product"):
        open_postcodes(DATA / "not_postcodes.csv")


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_postcodes(tmp_path / "nowhere.zip")
    with pytest.raises(PostcodeFormatError, match="no CSV file"):
        open_postcodes(tmp_path)


def test_a_product_of_mostly_bad_rows_is_refused_at_the_end() -> None:
    source = open_postcodes(DATA / "mostly_bad_zz.csv")  # the first row looks like Code-Point Open
    assert source.format == CODEPOINT_OPEN
    with pytest.raises(PostcodeFormatError, match="5 of 6 rows are bad"):
        list(source.records())


def test_only_the_first_problems_are_listed_but_all_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "zz.csv"
    good = "".join(f'"ZZ{d} {s}AA",10,430000,500000\n' for d in range(1, 100) for s in range(10))
    bad = "".join(f'"ZZ1 {s}A{u}",10,x,500000\n' for s in range(10) for u in "BDEFGHJLNPQRSTUWXYZ")
    path.write_text(good + bad + bad.replace("A", "B"), encoding="utf-8")
    source = open_postcodes(path)
    assert len(list(source.records())) == 990
    assert source.report.problems_total == 380 and len(source.report.problems) == PROBLEMS_KEPT
    assert all(isinstance(p, PostcodeProblem) for p in source.report.problems)


def test_reading_streams_file_by_file() -> None:
    """Records come out before the later files are opened: nothing holds the whole product."""
    source = open_postcodes(CODEPOINT_ZIP)
    records = source.records()
    first = next(records)
    assert first.postcode == "ZY11AA" and source.report.files_read == 1
    records.close()
