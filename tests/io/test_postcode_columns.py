"""Learner and GIAS files with a `Postcode` column instead of (or beside) Easting/Northing.

Homes are kept as the postcode's point rounded to 100 m plus its LSOA; a bad postcode is a row problem that names
the row and column but never the postcode; the postcode is in no learner, report or log line. Postcode areas ZZ
and ZY are fictional.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

from planner.domain.models import Point
from planner.io import ImportValidationError, read_gias, read_learners
from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup, lookup_from_mapping

FIXES = {
    "ZZ1 1AA": PostcodeFix(easting=430_149, northing=500_251, lsoa="E01099001", ward="E05099001"),
    "ZZ1 1AB": PostcodeFix(easting=430_180, northing=500_310, lsoa="E01099002"),
    "ZZ1 1AD": PostcodeFix(easting=430_260, northing=500_390, lsoa="E01099002", terminated=True),
}
POSTCODE_TEXTS = ("ZZ1 1AA", "ZZ11AA", "zz1 1ab", "ZZ1 1AD", "ZZ11AD", "ZZ5 5ZZ", "ZZ55ZZ", "NOT A PC")


class CountingLookup:
    """A lookup over FIXES that records each call (the importers must ask once per file)."""

    def __init__(self) -> None:
        self.calls: list[set[str]] = []
        self._inner: PostcodeLookup = lookup_from_mapping(FIXES)

    def __call__(self, postcodes: Collection[str]) -> Mapping[str, PostcodeFix]:
        self.calls.append(set(postcodes))
        return self._inner(postcodes)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LEARNERS = ("PersonID,NCY,PrimaryNeed,Postcode\n"
            "L1,3,ASD,ZZ1 1AA\n"
            "L2,4,SEMH,zz1 1ab\n"
            "L3,5,ASD,ZZ1 1AD\n"  # terminated
            "L4,6,MLD,ZZ5 5ZZ\n"  # not in the lookup
            "L5,7,SLD,NOT A PC\n"  # not shaped like a postcode
            "L6,8,ASD,\n")  # blank


def assert_no_postcode(text: str) -> None:
    for postcode in POSTCODE_TEXTS:
        assert postcode not in text and postcode.lower() not in text, postcode


def test_learner_homes_from_postcodes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    lookup = CountingLookup()
    path = write(tmp_path, "learners.csv", LEARNERS)
    learners, report = read_learners(path, postcode_lookup=lookup, skip_invalid=True)
    assert lookup.calls == [{"ZZ11AA", "ZZ11AB", "ZZ11AD", "ZZ55ZZ"}]  # one call, normalised, malformed left out
    by_id = {x.id: x for x in learners}
    assert sorted(by_id) == ["L1", "L2"]
    assert by_id["L1"].home == Point(easting=430_100, northing=500_300) and by_id["L1"].lsoa == "E01099001"
    assert by_id["L2"].home == Point(easting=430_200, northing=500_300) and by_id["L2"].lsoa == "E01099002"
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (4, "Postcode", "(withheld)"), (5, "Postcode", "(withheld)"), (6, "Postcode", "(withheld)"),
        (7, "Postcode", ""),
    ]
    assert "terminated" in report.problems[0].expected
    assert "placeplan import postcodes" in report.problems[1].expected
    assert "UK postcode" in report.problems[2].expected
    assert any("2 home(s) located from postcodes" in note for note in report.notes)
    stored = " ".join(x.model_dump_json() for x in learners)
    assert_no_postcode(stored + report.model_dump_json() + report.summary() + caplog.text)


def test_bad_postcodes_reject_the_file_without_showing_them(tmp_path: Path) -> None:
    path = write(tmp_path, "learners.csv", LEARNERS)
    with pytest.raises(ImportValidationError) as info:
        read_learners(path, postcode_lookup=lookup_from_mapping(FIXES))
    assert info.value.report.rows_invalid == 4
    assert_no_postcode(str(info.value))


def test_without_a_lookup_the_header_says_to_load_postcodes(tmp_path: Path) -> None:
    path = write(tmp_path, "learners.csv", LEARNERS)
    with pytest.raises(ImportValidationError) as info:
        read_learners(path)
    [problem] = info.value.report.problems
    assert (problem.row, problem.column, problem.value) == (1, "Postcode", "")
    assert "placeplan import postcodes" in problem.expected
    assert_no_postcode(str(info.value))


def test_coordinates_win_and_the_postcode_fills_blank_rows(tmp_path: Path) -> None:
    lookup = CountingLookup()
    path = write(tmp_path, "learners.csv", "PersonID,NCY,PrimaryNeed,Easting,Northing,PersonPostcode\n"
                                           "C1,3,ASD,431000,501000,ZZ1 1AA\n"
                                           "C2,3,ASD,,,ZZ1 1AB\n")
    learners, report = read_learners(path, postcode_lookup=lookup)
    assert lookup.calls == [{"ZZ11AB"}]
    assert [(x.home, x.lsoa) for x in learners] == [
        (Point(easting=431_000, northing=501_000), None), (Point(easting=430_200, northing=500_300), "E01099002"),
    ]
    assert report.ok and any("1 home(s) located from postcodes" in note for note in report.notes)


def test_coordinates_only_files_still_need_both_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "learners.csv", "PersonID,NCY,PrimaryNeed,Northing\nX1,3,ASD,500000\n")
    with pytest.raises(ImportValidationError) as info:
        read_learners(path, postcode_lookup=lookup_from_mapping(FIXES))
    assert [(p.row, p.column) for p in info.value.report.problems] == [(1, "Easting")]


GIAS_HEADER = ("URN,EstablishmentName,TypeOfEstablishment (name),EstablishmentStatus (name),StatutoryLowAge,"
               "StatutoryHighAge,SchoolCapacity,Postcode,Easting,Northing\n")


def test_gias_rows_without_coordinates_are_located_by_postcode(tmp_path: Path) -> None:
    lookup = CountingLookup()
    path = write(tmp_path, "gias.csv", GIAS_HEADER
                 + "900001,Zed Special School,Community special school,Open,2,19,100,ZZ1 1AA,,\n"
                 + "900002,Zed Pupil Referral Unit,Pupil referral unit,Open,5,16,40,ZZ1 1AB,431000,501000\n"
                 + "900003,Zed Academy,Academy special converter,Open,11,16,80,zz1 1ab,,\n")
    settings, report = read_gias(path, postcode_lookup=lookup)
    assert lookup.calls == [{"ZZ11AA", "ZZ11AB"}]
    assert [(s.id, s.location) for s in settings] == [  # file order kept; schools are public: not rounded
        ("900001", Point(easting=430_149, northing=500_251)),
        ("900002", Point(easting=431_000, northing=501_000)),
        ("900003", Point(easting=430_180, northing=500_310)),
    ]
    assert report.ok and report.rows_valid == 3
    assert_no_postcode(" ".join(s.model_dump_json() for s in settings) + report.model_dump_json())


def test_gias_postcode_only_file_and_bad_postcodes(tmp_path: Path) -> None:
    header = GIAS_HEADER.replace(",Easting,Northing", "")
    path = write(tmp_path, "gias.csv", header
                 + "900001,Zed Special School,Community special school,Open,2,19,100,ZZ1 1AA\n"
                 + "900002,Zed Pupil Referral Unit,Pupil referral unit,Open,5,16,40,ZZ1 1AD\n"
                 + "900003,Zed Academy,Academy special converter,Open,11,16,80,ZZ5 5ZZ\n")
    with pytest.raises(ImportValidationError) as info:
        read_gias(path)
    assert {(p.row, p.column) for p in info.value.report.problems} == {(1, "Easting"), (1, "Northing")}
    assert "placeplan import postcodes" in info.value.report.problems[0].expected

    settings, report = read_gias(path, postcode_lookup=lookup_from_mapping(FIXES), skip_invalid=True)
    assert [s.id for s in settings] == ["900001"]
    assert [(p.row, p.column, p.value) for p in report.problems] == [(3, "Postcode", "(withheld)"),
                                                                      (4, "Postcode", "(withheld)")]
    assert_no_postcode(report.model_dump_json())


def test_a_postcode_in_another_column_is_withheld_too(tmp_path: Path) -> None:
    path = write(tmp_path, "learners.csv", "PersonID,NCY,PrimaryNeed,Easting,Northing,Locality\n"
                                           "S1,3,ASD,430000,500000,ZZ1 1AA\n")
    with pytest.raises(ImportValidationError) as info:
        read_learners(path, known_locality_ids={"NORTH"})
    [problem] = info.value.report.problems
    assert (problem.row, problem.column, problem.value) == (2, "Locality", "(withheld)")
    assert_no_postcode(str(info.value))
