"""One test per numbered SEN2 rule: the fictional return with one row broken must report that rule, row and field.

CSV cases edit a copy of tests/data/sen2/csv (plain names, lower-case Blade columns); rows are spreadsheet rows
(header = 1). Person rows: 1001 -> 2, 1002 -> 3, 1003 -> 4, 1004 -> 5, 1005 -> 6, 1006 -> 7, 1007 -> 8 (requests
the same); named plans 1001..1006 -> 2..7; active plans and placement details 1001, 1002, 1003, 1004, 1006 -> 2..6;
SEN needs 1001 ASD, 1001 SLCN, 1002 SEMH, 1003 SLD, 1003 PD, 1006 DS -> 2..7. XML cases edit return.xml; their row is
the line of the record's start tag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from planner.io.postcode_lookup import PostcodeFix, lookup_from_mapping
from planner.io.report import ImportValidationError, RowProblem
from planner.io.sen2 import rules
from planner.io.sen2.reader import read_sen2
from tests.io.sen2.conftest import DATA, KEY, EditableReturn, fixes_from_csv, line_of

FIXES = fixes_from_csv(DATA / "postcodes.csv")
LOOKUP = lookup_from_mapping(FIXES)


@dataclass(frozen=True)
class Case:
    """A rule broken by one edit: the problem expected (rule, module, row, column as written)."""

    rule: str
    edit: Callable[[EditableReturn], object]
    module: str
    row: int
    column: str
    lookup: object = LOOKUP
    warning: bool = False


def _second_active_plan(r: EditableReturn) -> None:
    # Person 1005's plan (named plan row 6) moved to person 1001 and no longer ceased: 1001 has two active plans.
    r.set("requests", 6, "persontableid", "1001").set("namedplan", 6, "ceasedate", "")


def _long_lsoa_lookup() -> object:
    fixes = dict(FIXES)
    fixes["ZZ1 1AA"] = PostcodeFix(easting=430140, northing=500260, lsoa="E0100000100000000000")
    return lookup_from_mapping(fixes)


CASES = [
    Case("SEN2-001", lambda r: r.delete("senneed"), "sen-need", 1, "senneed.csv"),
    Case("SEN2-001", lambda r: (r.folder / "Blade-Export_01-01-2025_person.csv").write_bytes(
        r.path("person").read_bytes()), "person", 1, "person.csv"),
    Case("SEN2-002", lambda r: r.drop_column("person", "personbirthdate"), "person", 1, "personbirthdate"),
    Case("SEN2-003", lambda r: r.set("sen2", 2, "referencedate", ""), "sen2", 2, "referencedate"),
    Case("SEN2-004", lambda r: r.set("requests", 3, "persontableid", "9999"), "requests", 3, "persontableid"),
    Case("SEN2-004", lambda r: r.set("senneed", 7, "activeplanstableid", "1006-AP9"), "sen-need", 7,
         "activeplanstableid"),
    Case("SEN2-005", lambda r: r.set("person", 3, "upn", "A100000000001"), "person", 3, "upn"),
    Case("SEN2-005", lambda r: r.add_row("person", {"persontableid": "1001", "surname": "Surname8",
                                                    "forename": "Forename8", "personbirthdate": "2015-01-01",
                                                    "postcode": "ZZ1 1AB"}), "person", 9, "persontableid"),
    Case("SEN2-006", lambda r: r.set("namedplan", 2, "startdate", "2020-13-45"), "named-plan", 2, "startdate"),
    Case("SEN2-006", lambda r: r.set("namedplan", 3, "startdate", ""), "named-plan", 3, "startdate"),
    Case("SEN2-006", lambda r: r.set("placementdetail", 4, "entrydate", "Sept 2023"), "placement-detail", 4,
         "entrydate"),
    Case("SEN2-007", lambda r: r.set("person", 2, "personbirthdate", "1990-01-01"), "person", 2,
         "personbirthdate"),
    Case("SEN2-007", lambda r: r.set("person", 5, "personbirthdate", ""), "person", 5, "personbirthdate"),
    Case("SEN2-008", lambda r: r.set("senneed", 2, "sentype", "AUT"), "sen-need", 2, "sentype"),
    Case("SEN2-009", lambda r: r.set("senneed", 3, "sentyperank", "3"), "sen-need", 3, "sentyperank"),
    Case("SEN2-009", lambda r: r.set("senneed", 3, "sentyperank", "1"), "sen-need", 3, "sentyperank"),
    Case("SEN2-009", lambda r: r.set("senneed", 3, "sentype", "ASD"), "sen-need", 3, "sentype"),
    Case("SEN2-023", lambda r: r.set("placementdetail", 2, "placementrank", "2"), "active-plans", 2,
         "placementrank", warning=True),
    Case("SEN2-010", lambda r: r.set("placementdetail", 2, "placementrank", "7"), "placement-detail", 2,
         "placementrank"),
    Case("SEN2-010", lambda r: r.add_row("placementdetail", {
        "placementdetailtableid": "1001-PD2", "activeplanstableid": "1001-AP1", "urn": "100002",
        "placementrank": "1", "entrydate": "2024-01-08"}), "placement-detail", 7, "placementrank"),
    Case("SEN2-011", lambda r: r.set("placementdetail", 2, "urn", ""), "placement-detail", 2, "urn"),
    Case("SEN2-012", lambda r: r.set("placementdetail", 5, "sensetting", "HOME"), "placement-detail", 5,
         "sensetting"),
    Case("SEN2-013", lambda r: r.set("placementdetail", 2, "urn", "10001"), "placement-detail", 2, "urn"),
    Case("SEN2-013", lambda r: r.set("placementdetail", 4, "ukprn", "1000000X"), "placement-detail", 4, "ukprn"),
    Case("SEN2-014", lambda r: r.set("placementdetail", 3, "resourcedprovisionindicator", "maybe"),
         "placement-detail", 3, "resourcedprovisionindicator"),
    Case("SEN2-015", lambda r: r.set("placementdetail", 3, "senunitindicator", "Y"), "placement-detail", 3,
         "resourcedprovisionindicator"),
    Case("SEN2-016", lambda r: r.set("namedplan", 5, "ceasedate", "2024-09-01"), "named-plan", 5, "ceasedate"),
    Case("SEN2-017", lambda r: r.set("person", 4, "postcode", "ZZ9 9ZZ"), "person", 4, "postcode"),
    Case("SEN2-017", lambda r: r.set("person", 4, "postcode", "ZZ1 1AG"), "person", 4, "postcode"),
    Case("SEN2-017", lambda r: r.set("person", 4, "postcode", "not known"), "person", 4, "postcode"),
    Case("SEN2-018", lambda r: None, "person", 1, "postcode", lookup=None),
    Case("SEN2-019", lambda r: r.set("person", 2, "sex", "X"), "person", 2, "sex"),
    Case("SEN2-020", _second_active_plan, "named-plan", 6, "startdate"),
    Case("SEN2-020", lambda r: r.add_row("activeplans", {"activeplanstableid": "1001-AP2",
                                                         "requeststableid": "1001-R1"}),
         "active-plans", 7, "activeplanstableid"),
    Case("SEN2-021", lambda r: None, "active-plans", 5, "sentype", warning=True),
    Case("SEN2-021", lambda r: r.set("senneed", 4, "sentype", ""), "sen-need", 4, "sentype", warning=True),
    Case("SEN2-022", lambda r: None, "person", 2, "(learner)", lookup=_long_lsoa_lookup()),
]


def _key(problem: RowProblem) -> tuple[str, str, int, str]:
    return problem.rule, problem.module, problem.row, problem.column


def _read(folder: Path, case: Case) -> list[RowProblem]:
    try:
        result = read_sen2(folder, postcode_lookup=case.lookup, pseudonym_key=KEY)  # type: ignore[arg-type]
    except ImportValidationError as error:
        assert not case.warning, error.report.summary()
        return list(error.report.problems)
    assert case.warning, "the broken return was accepted"
    assert not result.report.problems
    return [w for w in result.report.warnings if w.rule == case.rule]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}-{c.module}-{c.row}-{c.column}")
def test_rule_reports_its_row_and_field(case: Case, editable: EditableReturn) -> None:
    case.edit(editable)
    found = _read(editable.folder, case)
    assert (case.rule, case.module, case.row, case.column) in {_key(p) for p in found}, [str(p) for p in found]
    assert {p.rule for p in found} == {case.rule}, [str(p) for p in found]  # the one broken row, nothing else


def test_every_rule_has_a_case_and_a_row_in_the_table() -> None:
    assert {rule.id for rule in rules.RULES} == {case.rule for case in CASES}
    for rule in rules.RULES:
        assert re.search(rf"^{rule.id}  ", rules.__doc__ or "", re.MULTILINE), rule.id


# -- the same rules seen in an XML return: rows are lines, fields are element names -----------------------------------

def _problems(path: Path) -> list[RowProblem]:
    with pytest.raises(ImportValidationError) as raised:
        read_sen2(path, postcode_lookup=LOOKUP, pseudonym_key=KEY)
    return list(raised.value.report.problems)


def test_xml_not_well_formed(xml_copy: Callable[[Callable[[str], str]], Path]) -> None:
    text = (DATA / "return.xml").read_text()
    cut = line_of(text, "<Person>", 3)
    path = xml_copy(lambda t: "\n".join(t.splitlines()[:cut]))
    (problem,) = _problems(path)
    assert (problem.rule, problem.module, problem.column) == ("SEN2-001", "sen2", "XML")
    assert problem.row >= cut


def test_xml_without_persons(xml_copy: Callable[[Callable[[str], str]], Path]) -> None:
    path = xml_copy(lambda t: t.replace("<Persons>", "<People>").replace("</Persons>", "</People>"))
    assert [_key(p) for p in _problems(path)] == [("SEN2-001", "person", 1, "Persons")]


def test_xml_record_outside_its_parent(xml_copy: Callable[[Callable[[str], str]], Path]) -> None:
    block = re.compile(r"\n( *)<SENneed>\s*<SENtype>DS</SENtype>\s*<SENtypeRank>1</SENtypeRank>\s*</SENneed>")

    def move(text: str) -> str:  # person 1006's need moved out of <ActivePlans> into <Requests>
        found = block.search(text)
        assert found
        text = text[:found.start()] + text[found.end():]
        end = text.index("</ActivePlans>", found.start())
        end = text.index("\n", end)
        return text[:end] + found.group(0) + text[end:]

    path = xml_copy(move)
    edited = path.read_text()
    problems = _problems(path)
    assert ("SEN2-004", "sen-need", line_of(edited, "<SENtype>DS") - 1, "ActivePlans") in {_key(p) for p in problems}


def test_xml_bad_code_is_reported_at_its_record_line(xml_copy: Callable[[Callable[[str], str]], Path]) -> None:
    path = xml_copy(lambda t: t.replace("<SENtype>DS</SENtype>", "<SENtype>XX</SENtype>"))
    edited = path.read_text()
    assert [_key(p) for p in _problems(path)] == [("SEN2-008", "sen-need", line_of(edited, "<SENtype>XX") - 1,
                                                    "SENtype")]


def test_xml_birth_date_problem_withholds_the_value(xml_copy: Callable[[Callable[[str], str]], Path]) -> None:
    path = xml_copy(lambda t: t.replace("<PersonBirthDate>2014-08-31<", "<PersonBirthDate>1980-08-31<"))
    edited = path.read_text()
    (problem,) = _problems(path)
    assert _key(problem) == ("SEN2-007", "person", line_of(edited, "<Person>"), "PersonBirthDate")
    assert "1980" not in str(problem) and problem.value.startswith("(withheld")


def test_census_date_given_replaces_a_missing_reference_date(editable: EditableReturn) -> None:
    editable.set("sen2", 2, "referencedate", "")
    result = read_sen2(editable.folder, postcode_lookup=LOOKUP, census_date=date(2025, 1, 16), pseudonym_key=KEY)
    assert result.census_date == date(2025, 1, 16) and len(result.learners) == 5


@pytest.mark.parametrize("text, expected", [
    ("2025-01-16", date(2025, 1, 16)), ("2025-01-16T00:00:00", date(2025, 1, 16)), ("2025-01-16Z", date(2025, 1, 16)),
    ("16/01/2025", date(2025, 1, 16)), ("6/1/2025", date(2025, 1, 6)), ("2022-Sep-28 00:00:00", date(2022, 9, 28)),
    ("2022-sep-28", date(2022, 9, 28)),
])
def test_date_formats(text: str, expected: date) -> None:
    assert rules.parse_date(text) == expected


@pytest.mark.parametrize("text", ["28-09-2022x", "2022-Sept-28", "2022-02-30", "31/02/2022", "yesterday", "20220928"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError):
        rules.parse_date(text)
