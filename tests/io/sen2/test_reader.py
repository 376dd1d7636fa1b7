"""Reading the fictional SEN2 return: every layout gives the same learners; ids, needs, privacy, skipping."""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from planner.domain.codes import Need, Sex
from planner.domain.models import Learner, Point
from planner.io.postcode_lookup import PostcodeLookup
from planner.io.report import ImportValidationError
from planner.io.sen2.model import PlacementRef, Sen2Import
from planner.io.sen2.reader import read_sen2
from planner.io.sen2.source import module_of
from tests.io.sen2.conftest import DATA, KEY, EditableReturn, expected_id

CENSUS = date(2025, 1, 16)


def _learner(basis: str, birth: date, sex: Sex | None, needs: tuple[Need, Need | None], home: tuple[int, int],
             lsoa: str | None, plan: date, review: date | None, entry: date) -> Learner:
    return Learner(id=expected_id(basis), birth_date=birth, sex=sex, primary_need=needs[0], secondary_need=needs[1],
                   home=Point(easting=home[0], northing=home[1]), lsoa=lsoa, plan_start=plan, last_review=review,
                   setting_start=entry)


EXPECTED = [
    _learner("A100000000001", date(2014, 8, 31), Sex.MALE, (Need.ASD, Need.SLCN), (430_100, 500_300), "E01000001",
             date(2020, 3, 1), date(2024, 6, 10), date(2021, 9, 3)),
    _learner("A100000000002", date(2010, 2, 14), Sex.FEMALE, (Need.SEMH, None), (431_000, 502_000), "E01000002",
             date(2018, 6, 1), date(2024, 11, 20), date(2021, 9, 1)),
    _learner("1000000003", date(2007, 5, 20), Sex.FEMALE, (Need.SLD, Need.PD), (428_800, 499_100), "E01000003",
             date(2016, 1, 10), date(2024, 3, 5), date(2023, 9, 4)),
    _learner("A100000000004", date(2017, 11, 2), None, (Need.NSA, None), (432_400, 502_600), None,
             date(2024, 10, 1), None, date(2024, 10, 1)),
    _learner("A100000000006", date(2012, 12, 12), Sex.MALE, (Need.DS, None), (430_100, 500_300), "E01000001",
             date(2019, 9, 1), date(2024, 9, 30), date(2019, 9, 2)),
]
EXPECTED_PLACEMENTS = {
    expected_id("A100000000001"): PlacementRef(100001, None, None, False, False, date(2021, 9, 3), 1),
    expected_id("A100000000002"): PlacementRef(100002, None, None, False, True, date(2021, 9, 1), 1),
    expected_id("1000000003"): PlacementRef(None, 10000003, None, False, False, date(2023, 9, 4), 1),
    expected_id("A100000000004"): PlacementRef(None, None, "EHE", False, False, date(2024, 10, 1), 1),
    expected_id("A100000000006"): PlacementRef(100003, None, None, True, False, date(2019, 9, 2), 1),
}
# Everything personal in the fixture that must never come out of the reader.
PERSONAL = [f"A10000000000{n}" for n in range(1, 8)] + ["1000000003"] + \
    [f"{kind}{n}" for kind in ("Forename", "Surname") for n in range(1, 8)] + \
    [f"ZZ1 1A{c}" for c in "ABDEF"] + [f"ZZ11A{c}" for c in "ABDEF"]


def _zip(tmp_path: Path, name: str, files: list[Path], folder: str = "") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            archive.write(file, f"{folder}{file.name}")
    return path


SOURCES: dict[str, Callable[[Path], Path]] = {
    "csv folder": lambda tmp: DATA / "csv",
    "blade folder": lambda tmp: DATA / "blade",
    "xml": lambda tmp: DATA / "return.xml",
    "zip of csv": lambda tmp: _zip(tmp, "csv.zip", sorted((DATA / "csv").iterdir())),
    "zip of blade in a folder": lambda tmp: _zip(tmp, "blade.zip", sorted((DATA / "blade").iterdir()), "SEN2 2025/"),
    "zip of xml": lambda tmp: _zip(tmp, "xml.zip", [DATA / "return.xml"]),
}


@pytest.mark.parametrize("name", SOURCES)
def test_every_layout_gives_the_same_learners(name: str, tmp_path: Path, lookup: PostcodeLookup) -> None:
    result = read_sen2(SOURCES[name](tmp_path), postcode_lookup=lookup, pseudonym_key=KEY)
    assert result.census_date == CENSUS and result.la_code == "999"
    assert list(result.learners) == EXPECTED
    assert result.placements == EXPECTED_PLACEMENTS
    report = result.report
    assert report.ok and (report.rows_read, report.rows_valid, report.rows_skipped) == (7, 5, 2)
    assert [(w.rule, w.module) for w in report.warnings] == [("SEN2-021", "active-plans")]  # 1004: NSA


def test_learners_have_no_current_setting_and_derive_ncy(lookup: PostcodeLookup) -> None:
    learners = read_sen2(DATA / "csv", postcode_lookup=lookup, pseudonym_key=KEY).learners
    assert all(learner.current_setting_id is None and learner.ncy is None for learner in learners)
    assert learners[0].ncy_in(2024, 2024) == 6  # born 31 August 2014: Year 6 in 2024/25


def test_no_need_recorded_is_nsa_with_a_warning(editable: EditableReturn, lookup: PostcodeLookup) -> None:
    editable.set("senneed", 4, "sentype", "")  # person 1002's only need left blank
    result = read_sen2(editable.folder, postcode_lookup=lookup, pseudonym_key=KEY)
    by_id = {learner.id: learner for learner in result.learners}
    assert by_id[expected_id("A100000000002")].primary_need is Need.NSA
    assert by_id[expected_id("A100000000004")].primary_need is Need.NSA  # no SEN need record at all
    assert {(w.rule, w.module, w.row) for w in result.report.warnings} == {
        ("SEN2-021", "sen-need", 4), ("SEN2-021", "active-plans", 5)}


def test_census_date_given_overrides_the_reference_date(lookup: PostcodeLookup) -> None:
    result = read_sen2(DATA / "csv", postcode_lookup=lookup, census_date=date(2024, 9, 1), pseudonym_key=KEY)
    assert result.census_date == date(2024, 9, 1)
    # 1004's plan starts in October 2024; 1005's ceased in July 2024.
    assert [learner.id for learner in result.learners] == [EXPECTED[i].id for i in (0, 1, 2, 4)]


def test_pseudonymous_ids(editable: EditableReturn, lookup: PostcodeLookup,
                          xml_copy: Callable[[Callable[[str], str]], Path]) -> None:
    other_key = read_sen2(DATA / "csv", postcode_lookup=lookup, pseudonym_key="another council")
    assert not {learner.id for learner in other_key.learners} & {learner.id for learner in EXPECTED}
    # Neither UPN nor ULN: the person table id (CSV) or surname, forename and birth date (XML) are hashed.
    editable.set("person", 4, "uniquelearnernumber", "")
    csv_ids = {learner.id for learner in read_sen2(editable.folder, postcode_lookup=lookup,
                                                   pseudonym_key=KEY).learners}
    assert expected_id("1003") in csv_ids
    path = xml_copy(lambda t: t.replace("<UniqueLearnerNumber>1000000003</UniqueLearnerNumber>", ""))
    xml_ids = {learner.id for learner in read_sen2(path, postcode_lookup=lookup, pseudonym_key=KEY).learners}
    assert expected_id("SURNAME3|FORENAME3|2007-05-20") in xml_ids


def test_skip_invalid_drops_and_lists_the_persons_with_problems(editable: EditableReturn,
                                                                lookup: PostcodeLookup) -> None:
    editable.set("person", 3, "sex", "X").set("placementdetail", 6, "urn", "12")  # persons 1002 and 1006
    with pytest.raises(ImportValidationError):
        read_sen2(editable.folder, postcode_lookup=lookup, pseudonym_key=KEY)
    result = read_sen2(editable.folder, postcode_lookup=lookup, pseudonym_key=KEY, skip_invalid=True)
    assert [learner.id for learner in result.learners] == [EXPECTED[i].id for i in (0, 2, 3)]
    assert set(result.placements) == {EXPECTED[i].id for i in (0, 2, 3)}
    assert {(p.rule, p.module, p.row) for p in result.report.problems} == {
        ("SEN2-019", "person", 3), ("SEN2-013", "placement-detail", 6)}
    assert "persons with problems, left out (person rows): 3, 7" in result.report.notes


def test_skip_invalid_does_not_skip_a_broken_file(editable: EditableReturn, lookup: PostcodeLookup) -> None:
    editable.delete("namedplan")
    with pytest.raises(ImportValidationError) as raised:
        read_sen2(editable.folder, postcode_lookup=lookup, skip_invalid=True)
    assert [p.rule for p in raised.value.report.problems] == ["SEN2-001"]


def _all_text(result: Sen2Import) -> str:
    return repr(result) + result.report.model_dump_json() + result.report.summary(limit=1000)


def test_nothing_personal_leaves_the_reader(lookup: PostcodeLookup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for source in (DATA / "csv", DATA / "blade", DATA / "return.xml"):
        text = _all_text(read_sen2(source, postcode_lookup=lookup, pseudonym_key=KEY))
        assert not [value for value in PERSONAL if value in text]
    assert not [value for value in PERSONAL if value in caplog.text]


def test_nothing_personal_in_a_report_of_problems(editable: EditableReturn, lookup: PostcodeLookup,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    editable.set("person", 3, "upn", "A100000000001")  # SEN2-005 on a UPN
    editable.set("person", 2, "personbirthdate", "1990-01-01")  # SEN2-007
    editable.set("person", 4, "postcode", "ZZ1 1AG")  # SEN2-017 (terminated)
    editable.set("person", 5, "personbirthdate", "2017-13-02")  # SEN2-006 on a birth date
    with pytest.raises(ImportValidationError) as raised:
        read_sen2(editable.folder, postcode_lookup=lookup, pseudonym_key=KEY)
    report = raised.value.report
    assert {p.rule for p in report.problems} == {"SEN2-005", "SEN2-006", "SEN2-007", "SEN2-017"}
    text = report.model_dump_json() + str(raised.value)
    assert not [value for value in [*PERSONAL, "ZZ1 1AG", "1990-01-01", "2017-13-02"] if value in text]
    assert not [value for value in PERSONAL if value in caplog.text]


def test_no_lookup_is_one_header_problem(lookup: PostcodeLookup) -> None:
    with pytest.raises(ImportValidationError) as raised:
        read_sen2(DATA / "csv")
    (problem,) = raised.value.report.problems
    assert problem.rule == "SEN2-018" and "placeplan import postcodes" in problem.expected


def test_unknown_source_kinds(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_sen2(tmp_path / "missing.xml")
    (tmp_path / "return.txt").write_text("hello")
    with pytest.raises(ValueError, match="expected a folder"):
        read_sen2(tmp_path / "return.txt")


@pytest.mark.parametrize("name, module", [
    ("Blade-Export_28-09-2022_namedplan.csv", "named-plan"), ("BLADE-EXPORT_28-09-2022_SENNEED.CSV", "sen-need"),
    ("person.csv", "person"), ("Named_Plan.csv", "named-plan"), ("placement-detail.csv", "placement-detail"),
    ("SEN 2025/activeplans.csv", "active-plans"), ("__MACOSX/._person.csv", None), ("people.csv", None),
    ("person.xlsx", None),
])
def test_module_file_names(name: str, module: str | None) -> None:
    assert module_of(name) == module
