"""Import settings from a GIAS (Get Information About Schools) establishment extract.

One row per establishment, with GIAS's own column names (`URN`, `EstablishmentName`, `TypeOfEstablishment (name)`,
`SEN1 (name)`..`SEN13 (name)`, `Easting`, `Northing`, ...). What the importer does with them:

- kind: `TypeOfEstablishment (name)` through `planner.domain.codes.GIAS_TYPE_TO_KIND`, else `EstablishmentTypeGroup
  (name)` through `GIAS_GROUP_TO_KIND` (both case-insensitive); a special school designated SEMH becomes an SEMH special
  school. Out-of-scope groups (universities, children's centres, Welsh schools, online providers, other types) are
  skipped and counted.
- status: "Closed" rows are skipped (counted, never an error); "Proposed to open" is proposed, "Open, but proposed
  to close" is closing (with `OpenDate` / `CloseDate` giving the years when present).
- ages: a child's age on 31 August fixes the NCY (age 4 -> Reception, NCY 0), so `StatutoryLowAge` a gives
  ncy_min = a - 4; `StatutoryHighAge` is the age at leaving, so ncy_max = high - 5 (a primary school 4-11 is
  NCY 0..6, a secondary 11-16 is 7..11, 11-18 is 7..13, a special school 2-19 is -2..14). Both are clamped to the
  planner's range (N2 = -2 to NCY 20); colleges with blank ages get 16-25 (NCY 12..20) with a warning.
- capacity: `SchoolCapacity` (PRUs: `PlacesPRU` when present and the capacity is blank); a blank capacity uses
  `NumberOfPupils` when given, else 0 places, each with a warning (set it before planning).
- resourced provision / SEN unit: `ResourcedProvisionCapacity` and `SenUnitCapacity` each become their own setting
  `<URN>-RP` / `<URN>-UNIT` (kind resourced provision / SEN unit) hosted by the school, designated for the school's
  SEN1..SEN13 needs. A mainstream host keeps no designations of its own (it meets needs by compatibility).
- in area: with `la_code`, establishments of other local authorities are out of area.
- location: `Easting`/`Northing`; a row without them is located by its `Postcode` through a `PostcodeLookup` (the
  `postcodes` table loaded by `placeplan import postcodes`), at the postcode's own point (schools are public, so
  not rounded). Those rows are read after the others, with all their postcodes resolved in one call. The postcode
  is never put into a setting, a report or a log (a bad one is a row problem with the value withheld).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

from pydantic import ValidationError

from planner.domain.calendar import academic_year_of
from planner.domain.codes import (
    DEFAULT_COST_PER_PLACE,
    GIAS_GROUP_TO_KIND,
    GIAS_TYPE_TO_KIND,
    NCY_MAX,
    NCY_MIN,
    Need,
    SchoolGender,
    SettingKind,
    SettingStatus,
    parse_need,
)
from planner.domain.models import Point, Setting
from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup, normalise_postcode, postcode_problem
from planner.io.report import ImportReport, ImportValidationError
from planner.io.tabular import (
    Source,
    open_table,
    parse_date,
    parse_float,
    parse_int,
)

logger = logging.getLogger(__name__)

URN = "URN"
LA_CODE = "LA (code)"
NAME = "EstablishmentName"
TYPE = "TypeOfEstablishment (name)"
GROUP = "EstablishmentTypeGroup (name)"
STATUS = "EstablishmentStatus (name)"
LOW_AGE = "StatutoryLowAge"
HIGH_AGE = "StatutoryHighAge"
CAPACITY = "SchoolCapacity"
PUPILS = "NumberOfPupils"
PLACES_PRU = "PlacesPRU"
RP_TYPE = "TypeOfResourcedProvision (name)"
RP_CAPACITY = "ResourcedProvisionCapacity"
UNIT_CAPACITY = "SenUnitCapacity"
EASTING = "Easting"
NORTHING = "Northing"
OPEN_DATE = "OpenDate"
CLOSE_DATE = "CloseDate"
POSTCODE = "Postcode"
GENDER = "Gender (name)"
ADMISSIONS = "AdmissionsPolicy (name)"
BOARDERS = "Boarders (name)"
UKPRN = "UKPRN"
SEN_COLUMNS = tuple(f"SEN{i} (name)" for i in range(1, 14))

# Easting/Northing or a Postcode column is also needed (checked with the header: `_check_location_columns`).
REQUIRED_COLUMNS = (URN, NAME, TYPE, STATUS, LOW_AGE, HIGH_AGE)
WITHHELD = "(withheld)"  # shown instead of a postcode in a row problem

# GIAS groups that are not places for children with EHC plans in this planner: skipped and counted, not errors.
OUT_OF_SCOPE_GROUPS = frozenset({"universities", "children's centres", "welsh schools", "online provider",
                                 "other types"})
STATUS_MAP: dict[str, SettingStatus | None] = {
    "open": SettingStatus.OPEN,
    "open, but proposed to close": SettingStatus.CLOSING,
    "proposed to open": SettingStatus.PROPOSED,
    "closed": None,
}
NO_DESIGNATION = frozenset({"", "not applicable", "not recorded", "n/a", "none"})
COLLEGE_KINDS = (SettingKind.FE_COLLEGE, SettingKind.POST16_SPECIALIST)
COLLEGE_DEFAULT_AGES = (16, 25)
MAX_AGE = 99


_Problem = Callable[[str, str, str], None]


class GiasImport(NamedTuple):
    """Settings read from a GIAS extract (schools, then each school's RP / unit) and the validation report."""

    settings: tuple[Setting, ...]
    report: ImportReport


def _expected(error: ValueError) -> str:
    return str(error).removeprefix("expected ")


def ncy_range_from_statutory_ages(low_age: int, high_age: int) -> tuple[int, int]:
    """NCY range of an establishment from its statutory ages: low age a -> NCY a - 4; leaving age h -> NCY h - 5.

    Clamped to the planner's range (nursery N2 = -2 to NCY 20, the year a young person turns 25).
    """
    return max(low_age - 4, NCY_MIN), min(high_age - 5, NCY_MAX)


def read_gias(
    source: Source,
    *,
    la_code: str | int | None = None,
    skip_invalid: bool = False,
    cost_per_place: Mapping[SettingKind, int] | None = None,
    postcode_lookup: PostcodeLookup | None = None,
) -> GiasImport:
    """Read a GIAS establishment CSV into settings.

    Raises ImportValidationError (with the report) when any row is bad, unless `skip_invalid` is True; then the
    good rows are returned and the report lists the rest. A missing required column always raises. Rows without
    Easting/Northing are located by their postcode through `postcode_lookup` when one is given.
    """
    report, header, rows = open_table(source, REQUIRED_COLUMNS, lambda found, into: _check_location_columns(
        found, into, postcode_lookup is not None))
    by_postcode = POSTCODE in header and postcode_lookup is not None
    has_coordinates = EASTING in header and NORTHING in header
    if POSTCODE in header and not by_postcode:
        report.notes.append("Postcode column ignored: settings are located by Easting/Northing only")
    costs = dict(DEFAULT_COST_PER_PLACE)
    costs.update(cost_per_place or {})
    wanted_la = str(la_code).strip() if la_code is not None else None
    if wanted_la is None:
        report.notes.append("no LA code given: every establishment is treated as in area")

    # Each row's settings in file order; rows located by postcode wait (slot kept) until their postcodes are resolved.
    slots: list[list[Setting]] = []
    waiting: list[tuple[int, int, dict[str, str]]] = []
    seen_urns: dict[int, int] = {}
    for row_number, row in rows:
        report.rows_read += 1
        if by_postcode and _needs_postcode(row, has_coordinates):
            waiting.append((len(slots), row_number, row))
            slots.append([])
            continue
        slots.append(_take_row(row_number, row, report, wanted_la, costs, seen_urns, _location))
    if waiting and postcode_lookup is not None:
        locate = _postcode_locator(postcode_lookup, [row for _, _, row in waiting])
        for slot, row_number, row in waiting:
            slots[slot] = _take_row(row_number, row, report, wanted_la, costs, seen_urns, locate)
        report.notes.append(f"{len(waiting)} row(s) without Easting/Northing located by postcode")
        report.problems.sort(key=lambda p: p.row)
    settings = [setting for built in slots for setting in built]

    if report.problems and not skip_invalid:
        raise ImportValidationError(report)
    logger.info("GIAS import %s: %d rows, %d settings, %d problems", report.source, report.rows_read, len(settings),
                len(report.problems))
    return GiasImport(tuple(settings), report)


_Locate = Callable[[dict[str, str], _Problem], Point | None]


def _take_row(row_number: int, row: dict[str, str], report: ImportReport, wanted_la: str | None,
              costs: Mapping[SettingKind, int], seen_urns: dict[int, int], locate: _Locate) -> list[Setting]:
    """One row's settings (none when it is bad or deliberately skipped), counted in the report."""
    before = len(report.problems)
    built = _read_row(row_number, row, report, wanted_la, costs, seen_urns, locate)
    if len(report.problems) > before:
        return []
    if built is None:
        report.rows_skipped += 1
        return []
    report.rows_valid += 1
    return built


def _check_location_columns(header: list[str], report: ImportReport, have_lookup: bool) -> None:
    """Easting and Northing, or a Postcode column with a lookup to resolve it: else a header problem (row 1)."""
    if EASTING in header and NORTHING in header:
        return
    if POSTCODE in header and have_lookup:
        return
    for missing in (c for c in (EASTING, NORTHING) if c not in header):
        hint = " (or Postcode, once `placeplan import postcodes FILE` has loaded the lookup)" if POSTCODE in header \
            else ""
        report.add_problem(1, missing, "", f"a column named {missing!r}{hint}")


def _needs_postcode(row: dict[str, str], has_coordinates: bool) -> bool:
    """No Easting/Northing but a postcode (or no coordinate columns at all): the row is located by its postcode.

    Closed establishments are skipped before their location is read, so they never wait for a postcode.
    """
    if row.get(EASTING, "").strip() or row.get(NORTHING, "").strip() or row[STATUS].strip().lower() == "closed":
        return False
    return not has_coordinates or bool(row.get(POSTCODE, "").strip())


def _postcode_locator(lookup: PostcodeLookup, rows: list[dict[str, str]]) -> _Locate:
    """Locates rows by postcode, all of `rows`' postcodes resolved in one lookup call."""
    codes = {normalise_postcode(row.get(POSTCODE, "")) for row in rows}
    fixes: Mapping[str, PostcodeFix] = lookup({code for code in codes if code is not None})

    def locate(row: dict[str, str], problem: _Problem) -> Point | None:
        text = row.get(POSTCODE, "")
        code = normalise_postcode(text)
        fix = fixes.get(code) if code is not None else None
        why = postcode_problem(fix, code is not None)
        if why is not None or fix is None:
            problem(POSTCODE, WITHHELD if text else "", why or "a known postcode")
            return None
        return Point(easting=fix.easting, northing=fix.northing)

    return locate


def _read_row(row_number: int, row: dict[str, str], report: ImportReport, wanted_la: str | None,
              costs: Mapping[SettingKind, int], seen_urns: dict[int, int], locate: _Locate) -> list[Setting] | None:
    """The settings one row gives (a school and its bases), None for a row deliberately skipped."""
    problem_count = len(report.problems)

    def problem(column: str, value: str, expected: str) -> None:
        report.add_problem(row_number, column, value, expected)

    # Closed establishments and out-of-scope groups are left out before anything else is checked: real extracts
    # leave many of their fields blank.
    status_text = row[STATUS].strip().lower()
    status: SettingStatus | None = SettingStatus.OPEN
    if status_text in STATUS_MAP:
        status = STATUS_MAP[status_text]
        if status is None:
            return None  # closed: not a place any more (counted as skipped)
    type_text = row[TYPE].strip().lower()
    group_text = row.get(GROUP, "").strip().lower()
    kind = GIAS_TYPE_TO_KIND.get(type_text) or GIAS_GROUP_TO_KIND.get(group_text)
    if kind is None and group_text in OUT_OF_SCOPE_GROUPS:
        return None  # universities, children's centres, ...: not places in this planner (counted as skipped)

    if status_text not in STATUS_MAP:
        problem(STATUS, row[STATUS], "Open, Open but proposed to close, Proposed to open or Closed")
    if kind is None:
        problem(TYPE, row[TYPE], "a GIAS establishment type (or a known EstablishmentTypeGroup (name))")

    urn: int | None = None
    try:
        urn = parse_int(row[URN], low=1)
    except ValueError as error:
        problem(URN, row[URN], _expected(error))
    if urn is not None and urn in seen_urns:
        problem(URN, row[URN], f"a URN not already used (row {seen_urns[urn]} has it)")
    elif urn is not None:
        seen_urns[urn] = row_number

    name = row[NAME].strip()
    if not name or len(name) > 200:
        problem(NAME, row[NAME], "the establishment name (1-200 characters)")

    designations: set[Need] = set()
    for column in SEN_COLUMNS:
        value = row.get(column, "")
        if value.strip().lower() in NO_DESIGNATION:
            continue
        try:
            designations.add(parse_need(value))
        except ValueError:
            problem(column, value, "a SEN designation such as 'ASD - Autistic Spectrum Disorder' or a need code")
    if kind is SettingKind.SPECIAL and Need.SEMH in designations:
        kind = SettingKind.SEMH_SPECIAL

    ncy_range = _ages(row, kind, problem, report, row_number)
    capacity = _capacity(row, kind, problem, report, row_number)
    rp_places = _optional_places(row, RP_CAPACITY, problem)
    unit_places = _optional_places(row, UNIT_CAPACITY, problem)
    location = locate(row, problem)
    opens_year, closes_year = _years(row, status, problem)

    in_area = True
    if wanted_la is not None:
        in_area = row.get(LA_CODE, "").strip() == wanted_la

    if len(report.problems) > problem_count or kind is None or urn is None or ncy_range is None \
            or location is None or status is None:
        return None  # the caller counts this row as invalid: problems were recorded

    ncy_min, ncy_max = ncy_range
    is_mainstream = kind in (SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE)
    la_code = row.get(LA_CODE, "").strip() or None
    common = {"location": location, "in_area": in_area, "status": status, "opens_year": opens_year,
              "closes_year": closes_year, "la_code": la_code}
    if kind.is_specialist and not designations and kind is not SettingKind.PRU_AP:
        report.add_warning(row_number, SEN_COLUMNS[0], "", "SEN designations (none given: the setting is taken to "
                                                           "meet every need; set them with `placeplan settings set`)")
    built: list[Setting] = []
    try:
        built.append(Setting(
            id=str(urn), name=name, kind=kind, designations=frozenset() if is_mainstream else frozenset(designations),
            ncy_min=ncy_min, ncy_max=ncy_max, capacity=capacity, cost_per_place=costs[kind], urn=urn, **common,
            **_admissions(row, kind, group_text, problem),
        ))
        rp_flag = row.get(RP_TYPE, "").strip().lower()
        for suffix, base_kind, places, flagged, label in (
            ("RP", SettingKind.RESOURCED_PROVISION, rp_places, "resourced provision" in rp_flag, "resourced provision"),
            ("UNIT", SettingKind.SEN_UNIT, unit_places, "sen unit" in rp_flag, "SEN unit"),
        ):
            if places is None and not flagged:
                continue
            if places is None:
                report.add_warning(row_number, RP_CAPACITY if suffix == "RP" else UNIT_CAPACITY, "",
                                   f"the {label} capacity ({RP_TYPE} says there is one; counted as 0 places)")
            if not designations:
                report.add_warning(row_number, SEN_COLUMNS[0], "",
                                   f"SEN designations for the {label} (none given)")
            built.append(Setting(
                id=f"{urn}-{suffix}", name=f"{name} ({label})"[:200], kind=base_kind,
                designations=frozenset(designations), ncy_min=ncy_min, ncy_max=ncy_max, capacity=places or 0,
                cost_per_place=costs[base_kind], host_setting_id=str(urn), **common,
            ))
    except ValidationError as error:
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else URN
            problem(_FIELD_COLUMNS.get(field, field), row.get(_FIELD_COLUMNS.get(field, ""), ""), detail["msg"])
        return None
    return built


def _admissions(row: dict[str, str], kind: SettingKind, group: str, problem: _Problem) -> dict[str, object]:
    """Who the school admits and how full it is (GIAS columns; blank or 'Not applicable' = the default)."""
    gender = {"boys": SchoolGender.BOYS, "girls": SchoolGender.GIRLS}.get(row.get(GENDER, "").strip().lower(),
                                                                          SchoolGender.MIXED)
    facts: dict[str, object] = {
        "gender": gender,
        # AdmissionsPolicy (name) "Selective": a grammar school (admits by ability)
        "selective": row.get(ADMISSIONS, "").strip().lower() == "selective",
        # Boarders (name) "Boarding school": residential
        "boarding": row.get(BOARDERS, "").strip().lower() == "boarding school",
        # Independent mainstream schools (EstablishmentTypeGroup "Independent schools", typed mainstream)
        "independent": kind is SettingKind.MAINSTREAM and group == "independent schools",
    }
    for column, field, digits in ((UKPRN, "ukprn", 8), (PUPILS, "number_on_roll", None)):
        text = row.get(column, "").strip()
        if not text:
            continue
        try:
            facts[field] = parse_int(text, low=0)
        except ValueError as error:
            problem(column, text, _expected(error))
            continue
        if digits is not None and len(text) != digits:
            problem(column, text, f"a {digits}-digit UK provider reference number")
    if kind not in (SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE):
        facts.pop("number_on_roll", None)  # specialist places are commissioned places, not a roll against capacity
    return facts


_FIELD_COLUMNS = {
    "id": URN, "name": NAME, "capacity": CAPACITY, "ncy_min": LOW_AGE, "ncy_max": HIGH_AGE,
    "location": EASTING, "opens_year": OPEN_DATE, "closes_year": CLOSE_DATE,
}


def _ages(row: dict[str, str], kind: SettingKind | None, problem: _Problem, report: ImportReport,
          row_number: int) -> tuple[int, int] | None:
    low_text, high_text = row[LOW_AGE], row[HIGH_AGE]
    if not low_text and not high_text and kind in COLLEGE_KINDS:
        report.add_warning(row_number, LOW_AGE, "", "statutory ages (a college without them is taken as ages 16-25)")
        return ncy_range_from_statutory_ages(*COLLEGE_DEFAULT_AGES)
    low = high = None
    try:
        low = parse_int(low_text, low=0, high=MAX_AGE)
    except ValueError as error:
        problem(LOW_AGE, low_text, _expected(error))
    try:
        high = parse_int(high_text, low=1, high=MAX_AGE)
    except ValueError as error:
        problem(HIGH_AGE, high_text, _expected(error))
    if low is None or high is None:
        return None
    if high <= low:
        problem(HIGH_AGE, high_text, f"an age above StatutoryLowAge ({low}): the age pupils leave")
        return None
    ncy_min, ncy_max = ncy_range_from_statutory_ages(low, high)
    if ncy_min > ncy_max:
        problem(HIGH_AGE, high_text, f"an age range overlapping nursery to age 25 (NCY {NCY_MIN}..{NCY_MAX})")
        return None
    return ncy_min, ncy_max


def _capacity(row: dict[str, str], kind: SettingKind | None, problem: _Problem, report: ImportReport,
              row_number: int) -> int:
    text = row.get(CAPACITY, "")
    if not text and kind is SettingKind.PRU_AP and row.get(PLACES_PRU, ""):
        text = row[PLACES_PRU]
    if text:
        try:
            return parse_int(text, low=0)
        except ValueError as error:
            problem(CAPACITY, text, _expected(error))
            return 0
    pupils = row.get(PUPILS, "")
    if pupils:
        try:
            on_roll = parse_int(pupils, low=0)
        except ValueError as error:
            problem(PUPILS, pupils, _expected(error))
            return 0
        report.add_warning(row_number, CAPACITY, "", f"a capacity (NumberOfPupils used instead: {on_roll} places)")
        return on_roll
    report.add_warning(row_number, CAPACITY, "", "a capacity (counted as 0 places: set it before planning)")
    return 0


def _optional_places(row: dict[str, str], column: str, problem: _Problem) -> int | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        places = parse_int(text, low=0)
    except ValueError as error:
        problem(column, text, _expected(error))
        return None
    return places or None


def _location(row: dict[str, str], problem: _Problem) -> Point | None:
    values: dict[str, float] = {}
    for column, high in ((EASTING, 800_000.0), (NORTHING, 1_400_000.0)):
        try:
            values[column] = parse_float(row.get(column, ""), low=0, high=high)
        except ValueError as error:
            expected = _expected(error)
            problem(column, row.get(column, ""), f"British National Grid metres: {expected}")
    if len(values) < 2:
        return None
    return Point(easting=values[EASTING], northing=values[NORTHING])


def _years(row: dict[str, str], status: SettingStatus | None, problem: _Problem) -> tuple[int | None, int | None]:
    """Opening year for proposed schools, first year without places for closing ones (from GIAS dates)."""
    opens: int | None = None
    closes: int | None = None
    for column in (OPEN_DATE, CLOSE_DATE):
        text = row.get(column, "")
        if not text:
            continue
        try:
            day: date = parse_date(text)
        except ValueError as error:
            problem(column, text, _expected(error))
            continue
        if column == OPEN_DATE and status is SettingStatus.PROPOSED:
            opens = academic_year_of(day)
        if column == CLOSE_DATE and status is SettingStatus.CLOSING:
            closes = academic_year_of(day) + 1
    return opens, closes
