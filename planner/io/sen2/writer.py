"""Write SEN2 returns in the layouts the reader reads, from `Sen2Person` records (test data and benchmarks only).

- `write_sen2_csv`: one CSV per module with the Blade export's lower-case column names and table-id keys
  ([blade-csv]); Blade file names `Blade-Export_<DD-MM-YYYY>_<module>.csv` with Blade dates ("2025-Jan-16
  00:00:00"), or plain `<module>.csv` names with ISO dates.
- `write_sen2_xml`: one `<Message>` in the 2024 schema's nesting and element order ([xsd]).
- `read_persons_csv`: the flat `persons.csv` test councils are described in (one row per person: ISO dates, Y/N
  flags, blanks for unknown) into `Sen2Person` records.

Each person gets one request; a person with a plan start gets an assessment (outcome Y: plan issued) and a named
plan (with the placement as its plan detail); while the plan is not ceased on the reference date, an ActivePlans
record with the placement (rank 1), the needs and the last review date. Codes written that the records do not
carry are real codes of the return ([xsd]): Collection "SEN2", SourceLevel "L", Ethnicity "NOBT" (information not
yet obtained), RequestOutcome "Y" (assessed) or "A" (decision yet to be made), AssessmentOutcome "Y". Yes/no
items are written "true"/"false" ([xsd] `yesnotype`). Only ever write fictional people.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType

from planner.io.cells import safe_csv_writer
from planner.io.sen2 import schema as s
from planner.io.sen2.model import Sen2Person, Sen2Placement

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ETHNICITY_NOT_OBTAINED = "NOBT"  # [xsd] ethnicitytype: information not yet obtained
_DateText = Callable[[date | None], str]

# Columns written per module, in order [blade-csv].
CSV_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    s.SEN2: ("sen2tableid", "collection", "year", "referencedate", "sourcelevel", "lea"),
    s.PERSON: ("persontableid", "sen2tableid", "surname", "forename", "personbirthdate", "sex", "ethnicity",
               "postcode", "upn", "uniquelearnernumber", "upnunknown"),
    s.REQUESTS: ("requeststableid", "persontableid", "receiveddate", "requestoutcome"),
    s.ASSESSMENT: ("assessmenttableid", "requeststableid", "assessmentoutcome"),
    s.NAMED_PLAN: ("namedplantableid", "assessmenttableid", "startdate", "ceasedate", "ceasereason"),
    s.PLAN_DETAIL: ("plandetailtableid", "namedplantableid", "urn", "ukprn", "sensetting", "placementrank",
                    "senunitindicator", "resourcedprovisionindicator"),
    s.ACTIVE_PLANS: ("activeplanstableid", "requeststableid", "lastreview"),
    s.PLACEMENT_DETAIL: ("placementdetailtableid", "activeplanstableid", "urn", "ukprn", "sensetting",
                         "placementrank", "entrydate", "leavingdate", "senunitindicator",
                         "resourcedprovisionindicator"),
    s.SEN_NEED: ("senneedtableid", "activeplanstableid", "sentype", "sentyperank"),
})


def blade_date(day: date) -> str:
    """A date as the Blade export writes it: 2025-Jan-16 00:00:00 [blade-csv parse-date]."""
    return f"{day.year:04d}-{_MONTHS[day.month - 1]}-{day.day:02d} 00:00:00"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _is_active(person: Sen2Person, reference_date: date) -> bool:
    return person.plan_start is not None and (person.cease_date is None or person.cease_date >= reference_date)


# -- CSV --------------------------------------------------------------------------------------------------------------

def write_sen2_csv(folder: Path, persons: Sequence[Sen2Person], reference_date: date, la_code: str, *,
                   blade_names: bool = True, export_date: date | None = None) -> list[Path]:
    """Write the nine module CSVs into `folder` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    when = export_date or reference_date

    def text(day: date | None) -> str:
        if day is None:
            return ""
        return blade_date(day) if blade_names else day.isoformat()

    rows = _module_rows(persons, reference_date, la_code, text)
    paths = []
    for module in s.MODULES:
        token = s.FILE_TOKEN[module]
        path = folder / (f"Blade-Export_{when:%d-%m-%Y}_{token}.csv" if blade_names else f"{token}.csv")
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = safe_csv_writer(handle)  # formula-like text escaped (planner.io.cells)
            writer.writerow(CSV_COLUMNS[module])
            writer.writerows(rows[module])
        paths.append(path)
    return paths


def _module_rows(persons: Sequence[Sen2Person], reference_date: date, la_code: str,
                 text: _DateText) -> dict[str, list[tuple[str, ...]]]:
    rows: dict[str, list[tuple[str, ...]]] = {module: [] for module in s.MODULES}
    rows[s.SEN2].append(("1", "SEN2", str(reference_date.year), text(reference_date), "L", la_code))
    for person in persons:
        for module, row in _person_rows(person, reference_date, text):
            rows[module].append(row)
    return rows


def _person_rows(person: Sen2Person, reference_date: date, text: _DateText) -> Iterator[tuple[str, tuple[str, ...]]]:
    pid = person.person_table_id
    yield s.PERSON, (pid, "1", person.surname, person.forename, text(person.birth_date), person.sex,
                     ETHNICITY_NOT_OBTAINED, person.postcode, person.upn, person.uln, "")
    yield s.REQUESTS, (f"{pid}-R1", pid, text(person.request_received), "Y" if person.plan_start else "A")
    if person.plan_start is None:
        return
    yield s.ASSESSMENT, (f"{pid}-A1", f"{pid}-R1", "Y")
    yield s.NAMED_PLAN, (f"{pid}-N1", f"{pid}-A1", text(person.plan_start), text(person.cease_date), "")
    placement = person.placement
    if placement is not None:
        yield s.PLAN_DETAIL, (f"{pid}-D1", f"{pid}-N1", *_setting_cells(placement), "1",
                              _flag(placement.sen_unit), _flag(placement.resourced_provision))
    if not _is_active(person, reference_date):
        return
    yield s.ACTIVE_PLANS, (f"{pid}-AP1", f"{pid}-R1", text(person.last_review))
    if placement is not None:
        yield s.PLACEMENT_DETAIL, (f"{pid}-PD1", f"{pid}-AP1", *_setting_cells(placement), "1",
                                   text(placement.entry_date), "", _flag(placement.sen_unit),
                                   _flag(placement.resourced_provision))
    for number, (code, rank) in enumerate(person.needs, start=1):
        yield s.SEN_NEED, (f"{pid}-S{number}", f"{pid}-AP1", code, str(rank))


def _setting_cells(placement: Sen2Placement) -> tuple[str, str, str]:
    return (str(placement.urn) if placement.urn is not None else "",
            str(placement.ukprn) if placement.ukprn is not None else "", placement.sen_setting or "")


# -- XML --------------------------------------------------------------------------------------------------------------

def write_sen2_xml(path: Path, persons: Sequence[Sen2Person], reference_date: date, la_code: str) -> Path:
    """Write one XML return (`<Message>`, [xsd] element order, indented, utf-8)."""
    message = ET.Element(s.XML_ROOT)
    header = ET.SubElement(message, s.XML_ELEMENT[s.SEN2])
    details = ET.SubElement(header, s.XML_COLLECTION_DETAILS)
    _leaves(details, ((s.COLLECTION, "SEN2"), (s.YEAR, str(reference_date.year)),
                      (s.REFERENCE_DATE, reference_date.isoformat())))
    _leaves(ET.SubElement(header, s.XML_SOURCE), (("sourcelevel", "L"), (s.LEA, la_code)),
            names={"sourcelevel": "SourceLevel"})
    holder = ET.SubElement(message, s.XML_PERSONS)
    for person in persons:
        _xml_person(holder, person, reference_date)
    ET.indent(message, space="  ")
    path = Path(path)
    ET.ElementTree(message).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _leaves(parent: ET.Element, items: Sequence[tuple[str, str]], names: Mapping[str, str] | None = None) -> None:
    """Child elements holding text, skipping blanks (optional items are left out, as the schema allows)."""
    for name, value in items:
        if value:
            ET.SubElement(parent, (names or {}).get(name) or s.XML_NAME[name]).text = value


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _xml_person(holder: ET.Element, person: Sen2Person, reference_date: date) -> None:
    element = ET.SubElement(holder, s.XML_ELEMENT[s.PERSON])
    _leaves(element, ((s.SURNAME, person.surname), (s.FORENAME, person.forename),
                      (s.BIRTH_DATE, _day(person.birth_date)), (s.SEX, person.sex),
                      ("ethnicity", ETHNICITY_NOT_OBTAINED), (s.POSTCODE, person.postcode), (s.UPN, person.upn),
                      (s.ULN, person.uln)), names={"ethnicity": "Ethnicity"})
    request = ET.SubElement(element, s.XML_ELEMENT[s.REQUESTS])
    _leaves(request, ((s.RECEIVED_DATE, _day(person.request_received)),
                      (s.REQUEST_OUTCOME, "Y" if person.plan_start else "A")))
    if person.plan_start is None:
        return
    assessment = ET.SubElement(request, s.XML_ELEMENT[s.ASSESSMENT])
    _leaves(assessment, ((s.ASSESSMENT_OUTCOME, "Y"),))
    plan = ET.SubElement(assessment, s.XML_ELEMENT[s.NAMED_PLAN])
    _leaves(plan, ((s.START_DATE, _day(person.plan_start)),))
    if person.placement is not None:
        _xml_placement(ET.SubElement(plan, s.XML_ELEMENT[s.PLAN_DETAIL]), person.placement, with_entry=False)
    _leaves(plan, ((s.CEASE_DATE, _day(person.cease_date)),))
    if _is_active(person, reference_date):
        active = ET.SubElement(request, s.XML_ELEMENT[s.ACTIVE_PLANS])
        if person.placement is not None:
            _xml_placement(ET.SubElement(active, s.XML_ELEMENT[s.PLACEMENT_DETAIL]), person.placement,
                           with_entry=True)
        for code, rank in person.needs:
            _leaves(ET.SubElement(active, s.XML_ELEMENT[s.SEN_NEED]), ((s.SEN_TYPE, code),
                                                                        (s.SEN_TYPE_RANK, str(rank))))
        _leaves(active, ((s.LAST_REVIEW, _day(person.last_review)),))


def _xml_placement(element: ET.Element, placement: Sen2Placement, *, with_entry: bool) -> None:
    urn, ukprn, setting = _setting_cells(placement)
    _leaves(element, ((s.URN, urn), (s.UKPRN, ukprn), (s.SEN_SETTING, setting), (s.PLACEMENT_RANK, "1")))
    if with_entry:
        _leaves(element, ((s.ENTRY_DATE, _day(placement.entry_date)),))
    _leaves(element, ((s.SEN_UNIT, _flag(placement.sen_unit)),
                      (s.RESOURCED_PROVISION, _flag(placement.resourced_provision))))


# -- persons.csv ------------------------------------------------------------------------------------------------------

PERSONS_COLUMNS = ("person_id", "upn", "forename", "surname", "birth_date", "sex", "postcode", "need1", "need2",
                   "plan_start", "cease_date", "last_review", "urn", "ukprn", "sen_setting", "sen_unit",
                   "resourced_provision", "entry_date", "request_received")
_PERSONAL = frozenset({"upn", "forename", "surname", "birth_date", "postcode"})


def read_persons_csv(path: Path) -> list[Sen2Person]:
    """Read a persons.csv (columns PERSONS_COLUMNS; ISO dates, Y/N flags, blanks for unknown).

    Raises ValueError naming the row and column of a bad value (personal values are not repeated).
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in PERSONS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{Path(path).name}: missing column(s) {', '.join(missing)}")
        return [_person(number, {k: (v or "").strip() for k, v in row.items() if k})
                for number, row in enumerate(reader, start=2)]


def _person(number: int, row: Mapping[str, str]) -> Sen2Person:
    def fail(column: str, expected: str) -> ValueError:
        shown = "" if column in _PERSONAL else f" {row[column]!r}"
        return ValueError(f"persons.csv row {number}, column {column!r}:{shown} expected {expected}")

    def day(column: str) -> date | None:
        try:
            return date.fromisoformat(row[column]) if row[column] else None
        except ValueError:
            raise fail(column, "an ISO date (YYYY-MM-DD) or blank") from None

    def flag(column: str) -> bool:
        if row[column].upper() not in ("Y", "N", ""):
            raise fail(column, "Y, N or blank")
        return row[column].upper() == "Y"

    def number_of(column: str) -> int | None:
        if row[column] and not row[column].isdigit():
            raise fail(column, "digits or blank")
        return int(row[column]) if row[column] else None

    needs = tuple((row[c].upper(), rank) for c, rank in (("need1", 1), ("need2", 2)) if row[c])
    placement = Sen2Placement(urn=number_of("urn"), ukprn=number_of("ukprn"), sen_setting=row["sen_setting"] or None,
                              sen_unit=flag("sen_unit"), resourced_provision=flag("resourced_provision"),
                              entry_date=day("entry_date"))
    has_placement = any(row[c] for c in ("urn", "ukprn", "sen_setting", "entry_date"))
    return Sen2Person(person_table_id=row["person_id"], upn=row["upn"], forename=row["forename"],
                      surname=row["surname"], birth_date=day("birth_date"), sex=row["sex"].upper(),
                      postcode=row["postcode"], needs=needs, plan_start=day("plan_start"),
                      cease_date=day("cease_date"), last_review=day("last_review"),
                      placement=placement if has_placement else None, request_received=day("request_received"))
