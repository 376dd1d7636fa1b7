"""Import a council's localities: CSV `locality_id,name` plus a centre (`easting,northing`) or `area_codes`.

`area_codes` are `;`-separated LSOA, ward or postcode district codes (e.g. `E01000001;E01000002`, `SW1A;SW1P`);
homes in them belong to the locality. A row may give both. An optional `in_area` column (Y/N, default Y) marks
neighbouring authorities' areas. The reader returns specs (`planner.areas.LocalitySpec`): a locality given only by
area codes gets its centre from the homes in those codes when `planner.areas.build_localities` builds it.

Every row is checked; a bad file imports nothing (ImportValidationError with the report) unless `skip_invalid`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from planner.areas.localities import NAME_LENGTH, LocalitySpec
from planner.domain.models import Point
from planner.io.report import ImportReport, ImportValidationError
from planner.io.tabular import Source, check_identifier, open_table, parse_bool, parse_float

LOCALITY_ID = "locality_id"
NAME = "name"
EASTING = "easting"
NORTHING = "northing"
AREA_CODES = "area_codes"
IN_AREA = "in_area"
REQUIRED_COLUMNS = (LOCALITY_ID, NAME)
# British National Grid bounds (planner.domain.models.Point)
EASTING_RANGE = (0.0, 800_000.0)
NORTHING_RANGE = (0.0, 1_400_000.0)
# An LSOA (E01000001), ward (E05000026) or postcode district (SW1A, B1) code: letters and digits only
AREA_CODE = re.compile(r"^[A-Z0-9]{2,16}$")


class LocalityImport(NamedTuple):
    """The localities read (as specs, in file order) and the validation report."""

    specs: tuple[LocalitySpec, ...]
    report: ImportReport


def check_point_columns(header: list[str], report: ImportReport) -> None:
    """Easting and northing come as a pair: a header with one of them is a problem (row 1)."""
    present = {EASTING, NORTHING} & set(header)
    if len(present) == 1:
        missing = ({EASTING, NORTHING} - present).pop()
        report.add_problem(1, missing, "", f"a column named {missing!r} (easting and northing go together)")


def _check_header(header: list[str], report: ImportReport) -> None:
    check_point_columns(header, report)
    if not ({EASTING, NORTHING} <= set(header) or AREA_CODES in header):
        report.add_problem(1, f"{EASTING}/{NORTHING} or {AREA_CODES}", "",
                           "columns easting and northing (a centre) or area_codes (the locality's codes)")


def parse_point(row_number: int, row: dict[str, str], report: ImportReport) -> tuple[bool, Point | None]:
    """(ok, point) from the row's easting and northing: both blank is no point, one alone or out of range a problem."""
    east, north = row.get(EASTING, ""), row.get(NORTHING, "")
    if not east and not north:
        return True, None
    values: list[float] = []
    for column, text, (low, high) in ((EASTING, east, EASTING_RANGE), (NORTHING, north, NORTHING_RANGE)):
        try:
            values.append(parse_float(text, low=low, high=high))
        except ValueError as error:
            expected = str(error).removeprefix("expected ") if text else "a value (easting and northing go together)"
            report.add_problem(row_number, column, text, expected)
    if len(values) < 2:
        return False, None
    return True, Point(easting=values[0], northing=values[1])


def _area_codes(row_number: int, text: str, report: ImportReport) -> frozenset[str] | None:
    """The `;`-separated codes, upper-cased; None (and a problem) when one is not shaped like a code."""
    parts = [part.strip() for part in text.split(";") if part.strip()]
    codes = [part.upper() for part in parts]
    bad = [part for part, code in zip(parts, codes, strict=True) if not AREA_CODE.match(code)]
    if bad:
        report.add_problem(row_number, AREA_CODES, bad[0],
                           "LSOA, ward or postcode district codes (letters and digits) separated by ';'")
        return None
    return frozenset(codes)


def _identity(row_number: int, row: dict[str, str], report: ImportReport) -> tuple[str, str] | None:
    """The row's id and name, or None with problems added."""
    locality_id, name = row[LOCALITY_ID], row[NAME]
    ok = True
    try:
        check_identifier(locality_id)
    except ValueError as error:
        report.add_problem(row_number, LOCALITY_ID, locality_id, str(error).removeprefix("expected "))
        ok = False
    if not name or len(name) > NAME_LENGTH:
        report.add_problem(row_number, NAME, name, f"a name of 1 to {NAME_LENGTH} characters")
        ok = False
    return (locality_id, name) if ok else None


def _in_area(row_number: int, row: dict[str, str], report: ImportReport) -> bool | None:
    text = row.get(IN_AREA, "")
    if not text:
        return True  # the council's own area unless said otherwise
    try:
        return parse_bool(text)
    except ValueError as error:
        report.add_problem(row_number, IN_AREA, text, str(error).removeprefix("expected "))
        return None


def _spec(row_number: int, row: dict[str, str], report: ImportReport) -> LocalitySpec | None:
    """One row as a spec, or None with its problems added to the report."""
    identity = _identity(row_number, row, report)
    point_ok, centre = parse_point(row_number, row, report)
    codes = _area_codes(row_number, row.get(AREA_CODES, ""), report)
    in_area = _in_area(row_number, row, report)
    if point_ok and centre is None and codes == frozenset():
        # A locality needs somewhere to be: a centre, or codes whose homes give it one
        report.add_problem(row_number, AREA_CODES, "", "easting and northing, or at least one area code")
        return None
    if identity is None or not point_ok or codes is None or in_area is None:
        return None
    return LocalitySpec(id=identity[0], name=identity[1], centre=centre, area_codes=codes, in_area=in_area)


def _repeated_id(row_number: int, locality_id: str, first_row: dict[str, int], report: ImportReport) -> bool:
    """A locality id already on an earlier row (valid or not) is a problem: which is right cannot be guessed."""
    earlier = first_row.setdefault(locality_id, row_number) if locality_id else row_number
    if earlier != row_number:
        report.add_problem(row_number, LOCALITY_ID, locality_id, f"each locality once (row {earlier} has it)")
    return earlier != row_number


def _claimed_codes(row_number: int, spec: LocalitySpec, claimed: dict[str, tuple[str, int]],
                   report: ImportReport) -> bool:
    """An area code an earlier locality already has is a problem: a home belongs to one locality."""
    taken = False
    for code in sorted(spec.area_codes):
        owner = claimed.get(code)
        if owner is not None:
            report.add_problem(row_number, AREA_CODES, code,
                               f"each area code in one locality (row {owner[1]} gives it to {owner[0]})")
            taken = True
    return taken


def read_localities(source: Source, *, skip_invalid: bool = False) -> LocalityImport:
    """Read a localities CSV. Raises ImportValidationError carrying the report when any row is bad (or there is
    no row at all), unless `skip_invalid` is True (then the bad rows are left out and listed)."""
    report, _header, rows = open_table(source, REQUIRED_COLUMNS, _check_header)
    specs: list[LocalitySpec] = []
    first_row: dict[str, int] = {}
    claimed: dict[str, tuple[str, int]] = {}
    for row_number, row in rows:
        report.rows_read += 1
        repeated = _repeated_id(row_number, row[LOCALITY_ID], first_row, report)
        spec = _spec(row_number, row, report)
        if spec is None or repeated or _claimed_codes(row_number, spec, claimed, report):
            continue
        claimed.update({code: (spec.id, row_number) for code in spec.area_codes})
        specs.append(spec)
        report.rows_valid += 1
    if report.rows_read == 0:
        report.add_problem(1, LOCALITY_ID, "", "at least one locality row under the header")
    if report.problems and (not skip_invalid or report.rows_read == 0):
        raise ImportValidationError(report)
    return LocalityImport(tuple(specs), report)
