"""Import learners (children and young people with EHC plans) from a CSV whose columns follow SEN2 naming.

The columns are documented in docs/data-formats.md. Identifiers must be pseudonymous: a value shaped like a UPN
(a letter and 12 more characters) is refused.

A home is located by `Easting`/`Northing` (British National Grid metres) when the row gives them, else by a
`Postcode` column resolved through a `PostcodeLookup` (loaded by `placeplan import postcodes`): all the file's
postcodes in one call, the home kept as the postcode's point rounded to 100 m and its LSOA. A postcode is never
stored, logged or shown in the report: an unknown, malformed or terminated one is a row problem naming the row and
the column, with the value withheld.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from pydantic import ValidationError

from planner.domain.calendar import ncy_for
from planner.domain.codes import NCY_MAX, NCY_MIN, Need, ProvisionType, Sex, parse_need
from planner.domain.models import Learner, Point
from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup, normalise_postcode, postcode_problem, rounded_point
from planner.io.report import ImportReport, ImportValidationError
from planner.io.tabular import (
    Source,
    check_identifier,
    open_table,
    parse_bool,
    parse_date,
    parse_float,
    parse_int,
)

logger = logging.getLogger(__name__)


def _check_age_column(header: list[str], report: ImportReport) -> None:
    """A learner's age comes from a birth date or an NCY: one of the two columns must be there."""
    if not set(header).intersection((BIRTH_DATE, *NCY)):
        report.add_problem(1, f"{BIRTH_DATE} or NCY", "", f"a column named {BIRTH_DATE!r} or 'NCY'")

# Column names (SEN2 item names where SEN2 has one). Alternatives accepted for the id and the NCY.
PERSON_ID = ("PersonID", "LearnerID")
BIRTH_DATE = "PersonBirthDate"
NCY = ("NCY", "NCYearActual")
PRIMARY_NEED = "PrimaryNeed"
SECONDARY_NEED = "SecondaryNeed"
EASTING = "Easting"
NORTHING = "Northing"
LOCALITY = "Locality"
URN = "URN"
REQUESTED = "RequestedSettings"
PINNED = "PinnedSetting"
SIBLING_GROUP = "SiblingGroup"
LOOKED_AFTER = "LookedAfter"
EXCLUDED = "Excluded"
AT_RISK = "AtRiskOfExclusion"
SUSPENSIONS = "Suspensions"
NEEDS_TRANSPORT = "NeedsTransport"
MAX_JOURNEY = "MaxJourneyMinutes"
# The plan's type of provision (EHC plan section I) and what an officer also accepts: no SEN2 item names these, so
# the columns use the planner's codes (planner.domain.codes.ProvisionType values, e.g. "special", "sen_unit").
PROVISION_TYPE = "PlanProvisionType"
ACCEPTABLE_TYPES = "AcceptableTypes"
SEX = "Sex"  # SEN2 item Sex: M, F (U or blank: unknown)
RESIDENTIAL = "NeedsResidential"
PLAN_START = "StartDate"
SETTING_START = "EntryDate"
POSTCODE_COLUMNS = frozenset({"postcode", "post code", "personpostcode"})

# Easting/Northing or a Postcode column is also needed (checked with the header: `_check_location_columns`).
REQUIRED_COLUMNS: tuple[str | tuple[str, ...], ...] = (PERSON_ID, PRIMARY_NEED)
WITHHELD = "(withheld)"  # shown instead of a postcode, birth date or home grid reference in a row problem
PERSONAL_COLUMNS = frozenset({BIRTH_DATE, EASTING, NORTHING})  # with POSTCODE_COLUMNS: withheld in a report
LOAD_POSTCODES = "run `placeplan import postcodes FILE` (OS Code-Point Open or the ONSPD/NSPL) first"
REQUEST_SEPARATOR = ";"
MAX_REQUESTS = 10
# A Unique Pupil Number: one letter, eleven digits and a final check character. Never an acceptable learner id.
UPN_SHAPE = re.compile(r"^[A-Za-z]\d{11}[A-Za-z0-9]$")

_Problem = Callable[[str, str, str], None]
T = TypeVar("T")


class LearnerImport(NamedTuple):
    """Learners read from a CSV (file order) and the validation report."""

    learners: tuple[Learner, ...]
    report: ImportReport


def read_learners(
    source: Source,
    *,
    base_year: int | None = None,
    known_setting_ids: Collection[str] | None = None,
    known_locality_ids: Collection[str] | None = None,
    skip_invalid: bool = False,
    postcode_lookup: PostcodeLookup | None = None,
) -> LearnerImport:
    """Read a learner CSV.

    With `base_year`, an NCY derived from a birth date must be in the planner's range (ages 0-25); with
    `known_setting_ids` / `known_locality_ids`, URNs, requested settings and localities must exist. Rows without
    Easting/Northing are located by their postcode through `postcode_lookup`. Raises ImportValidationError carrying
    the report when any row is bad, unless `skip_invalid` is True.
    """

    def check_header(header: list[str], report: ImportReport) -> None:
        _check_age_column(header, report)
        _check_location_columns(header, report, postcode_lookup is not None)

    report, header, rows = open_table(source, REQUIRED_COLUMNS, check_header)
    settings = set(known_setting_ids) if known_setting_ids is not None else None
    localities = set(known_locality_ids) if known_locality_ids is not None else None
    table = list(rows)  # learner files are small; the postcodes are resolved in one call before the rows are read
    homes = _HomeFinder.for_file(header, table, postcode_lookup)

    parsed: list[tuple[int, Learner]] = []
    seen: dict[str, int] = {}
    for row_number, row in table:
        report.rows_read += 1
        learner = _read_row(row_number, row, report, base_year, settings, localities, seen, homes)
        if learner is not None:
            parsed.append((row_number, learner))
    homes.add_note(report)

    # A sibling group must name at least two learners (they are placed together).
    group_sizes = Counter(learner.sibling_group for _, learner in parsed if learner.sibling_group)
    kept: list[Learner] = []
    for row_number, learner in parsed:
        if learner.sibling_group and group_sizes[learner.sibling_group] < 2:
            report.add_problem(row_number, SIBLING_GROUP, learner.sibling_group,
                               "a sibling group shared with at least one other learner in the file")
            continue
        kept.append(learner)
    report.rows_valid = len(kept)
    report.problems.sort(key=lambda p: p.row)

    if report.problems and not skip_invalid:
        raise ImportValidationError(report)
    logger.info("learner import %s: %d rows, %d learners, %d problems", report.source, report.rows_read, len(kept),
                len(report.problems))
    return LearnerImport(tuple(kept), report)


def _first_column(row: dict[str, str], names: tuple[str, ...]) -> tuple[str, str]:
    """The first of several alternative columns present in the row (name, value)."""
    for column in names:
        if column in row:
            return column, row[column]
    return names[0], ""


def _read_row(row_number: int, row: dict[str, str], report: ImportReport, base_year: int | None,
              settings: set[str] | None, localities: set[str] | None, seen: dict[str, int],
              homes: _HomeFinder) -> Learner | None:
    before = len(report.problems)

    def problem(column: str, value: str, expected: str) -> None:
        # A report never echoes a personal value (UK GDPR Art. 5(1)(c)): the birth date, the home's grid reference
        # and any postcode are withheld, whichever column a postcode was typed into (a shifted row, a locality).
        personal = column in PERSONAL_COLUMNS or column.strip().lower() in POSTCODE_COLUMNS
        withheld = bool(value) and (personal or normalise_postcode(value) is not None)
        report.add_problem(row_number, column, WITHHELD if withheld else value, expected)

    id_column, learner_id = _first_column(row, PERSON_ID)
    try:
        check_identifier(learner_id)
        if UPN_SHAPE.match(learner_id):
            raise ValueError("expected a pseudonymous id (this looks like a UPN, which must not be used)")
    except ValueError as error:
        problem(id_column, "" if UPN_SHAPE.match(learner_id) else learner_id, _expected(error))
    else:
        if learner_id in seen:
            problem(id_column, learner_id, f"an id not already used (row {seen[learner_id]} has it)")
        else:
            seen[learner_id] = row_number

    birth_date = _optional(row, BIRTH_DATE, parse_date, problem)
    ncy_column, ncy_text = _first_column(row, NCY)
    ncy: int | None = None
    if ncy_text:
        try:
            ncy = parse_int(ncy_text, low=NCY_MIN, high=NCY_MAX)
        except ValueError as error:
            problem(ncy_column, ncy_text, _expected(error))
    elif birth_date is None and not row.get(BIRTH_DATE):
        problem(BIRTH_DATE, "", "a birth date or an NCY (one of the two is needed)")
    if birth_date is not None and base_year is not None:
        derived = ncy_for(birth_date, base_year)
        if not NCY_MIN <= derived <= NCY_MAX:
            when = "after" if derived < NCY_MIN else "before"
            problem(BIRTH_DATE, row[BIRTH_DATE], f"a birth date giving an NCY from {NCY_MIN} to {NCY_MAX} in "
                                                 f"{base_year}/{(base_year + 1) % 100:02d} (ages 0-25): this one is "
                                                 f"{when} that range (NCY {derived})")
        elif ncy is not None and ncy != derived:
            problem(ncy_column, ncy_text, f"the NCY the birth date gives in {base_year} ({derived}), or leave it blank")

    primary = _need(row, PRIMARY_NEED, problem, required=True)
    secondary = _need(row, SECONDARY_NEED, problem, required=False)
    if primary is not None and secondary is not None and primary == secondary:
        problem(SECONDARY_NEED, row[SECONDARY_NEED], "a need different from PrimaryNeed, or blank")

    home, lsoa = homes.locate(row, problem)
    locality = row.get(LOCALITY, "") or None
    if locality is not None and localities is not None and locality not in localities:
        problem(LOCALITY, locality, "a known locality id")

    current = _setting_id(row, URN, settings, problem)
    pinned = _setting_id(row, PINNED, settings, problem)
    requested: list[str] = []
    if row.get(REQUESTED, ""):
        requested = [part.strip() for part in row[REQUESTED].split(REQUEST_SEPARATOR) if part.strip()]
        if len(requested) > MAX_REQUESTS:
            problem(REQUESTED, row[REQUESTED], f"at most {MAX_REQUESTS} settings separated by ';'")
        if len(set(requested)) != len(requested):
            problem(REQUESTED, row[REQUESTED], "each setting named once, most preferred first, separated by ';'")
        for part in requested:
            try:
                check_identifier(part)
            except ValueError as error:
                problem(REQUESTED, part, _expected(error))
                continue
            if settings is not None and part not in settings:
                problem(REQUESTED, part, "a known setting id (URN) for every requested setting")

    sibling = row.get(SIBLING_GROUP, "") or None
    if sibling is not None:
        try:
            check_identifier(sibling)
        except ValueError as error:
            problem(SIBLING_GROUP, sibling, _expected(error))
    flags = {column: _optional(row, column, parse_bool, problem) or False
             for column in (LOOKED_AFTER, EXCLUDED, AT_RISK, NEEDS_TRANSPORT)}
    suspensions = _optional(row, SUSPENSIONS, lambda t: parse_int(t, low=0), problem) or 0
    max_journey = _optional(row, MAX_JOURNEY, lambda t: parse_int(t, low=1, high=600), problem)
    plan_start = _optional(row, PLAN_START, parse_date, problem)
    setting_start = _optional(row, SETTING_START, parse_date, problem)
    plan = _plan_fields(row, problem)

    if len(report.problems) > before or primary is None or home is None:
        return None
    try:
        return Learner(
            id=learner_id, ncy=ncy, birth_date=birth_date, primary_need=primary, secondary_need=secondary, home=home,
            locality_id=locality, current_setting_id=current, requested_setting_ids=tuple(requested),
            pinned_setting_id=pinned, sibling_group=sibling, looked_after=flags[LOOKED_AFTER],
            excluded=flags[EXCLUDED], at_risk_of_exclusion=flags[AT_RISK], suspensions=suspensions,
            needs_transport=flags[NEEDS_TRANSPORT], max_journey_minutes=max_journey, plan_start=plan_start,
            setting_start=setting_start, lsoa=lsoa, **plan,
        )
    except ValidationError as error:  # pragma: no cover - every rule is checked above; kept as a safety net
        for detail in error.errors():
            problem(id_column, learner_id, str(detail["msg"]))
        return None


def _plan_fields(row: dict[str, str], problem: _Problem) -> dict[str, object]:
    """The plan's type of provision, the officer's acceptable types, sex and a residential placement (optional)."""
    def provision(text: str) -> ProvisionType:
        try:
            return ProvisionType(text.strip().lower())
        except ValueError:
            raise ValueError("expected one of " + ", ".join(t.value for t in ProvisionType)) from None

    def sex(text: str) -> Sex | None:
        code = text.strip().upper()
        if code in ("U", ""):
            return None
        try:
            return Sex(code)
        except ValueError:
            raise ValueError("expected M, F or U") from None

    acceptable = _optional(row, ACCEPTABLE_TYPES,
                           lambda t: frozenset(provision(p) for p in t.split(REQUEST_SEPARATOR) if p.strip()), problem)
    return {"provision_type": _optional(row, PROVISION_TYPE, provision, problem),
            "acceptable_types": acceptable or frozenset(), "sex": _optional(row, SEX, sex, problem),
            "needs_residential": _optional(row, RESIDENTIAL, parse_bool, problem) or False}


def _expected(error: ValueError) -> str:
    return str(error).removeprefix("expected ")


def _optional(row: dict[str, str], column: str, parse: Callable[[str], T], problem: _Problem) -> T | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as error:
        problem(column, text, _expected(error))
        return None


def _need(row: dict[str, str], column: str, problem: _Problem, required: bool) -> Need | None:
    text = row.get(column, "")
    if not text:
        if required:
            problem(column, "", "a need code: " + ", ".join(n.value for n in Need))
        return None
    try:
        return parse_need(text)
    except ValueError:
        problem(column, text, "a need code: " + ", ".join(n.value for n in Need))
        return None


def _home(row: dict[str, str], problem: _Problem) -> Point | None:
    values: dict[str, float] = {}
    for column, high in ((EASTING, 800_000.0), (NORTHING, 1_400_000.0)):
        try:
            values[column] = parse_float(row[column], low=0, high=high)
        except ValueError as error:
            problem(column, row[column], f"British National Grid metres: {_expected(error)}")
    if len(values) < 2:
        return None
    return Point(easting=values[EASTING], northing=values[NORTHING])


def postcode_column(header: Iterable[str]) -> str | None:
    """The header's postcode column as written (`Postcode`, `Post code`, `PersonPostcode`, any case), if any."""
    return next((name for name in header if name.strip().lower() in POSTCODE_COLUMNS), None)


def _check_location_columns(header: list[str], report: ImportReport, have_lookup: bool) -> None:
    """Easting and Northing, or a Postcode column with a lookup to resolve it: else a header problem (row 1)."""
    if EASTING in header and NORTHING in header:
        return
    column = postcode_column(header)
    if column is None:
        for missing in (c for c in (EASTING, NORTHING) if c not in header):
            report.add_problem(1, missing, "", f"a column named {missing!r} (British National Grid metres), or a "
                                               "Postcode column")
    elif not have_lookup:
        report.add_problem(1, column, "", f"Easting and Northing columns, or postcodes resolved to grid references: "
                                          f"{LOAD_POSTCODES}")


@dataclass
class _HomeFinder:
    """Locates each row's home: its Easting/Northing, else its postcode (resolved once for the whole file)."""

    postcode_column: str | None
    coordinates: bool  # the file has Easting and Northing columns
    fixes: Mapping[str, PostcodeFix] | None  # None: postcodes are not used (no column or no lookup)
    used: int = 0

    @classmethod
    def for_file(cls, header: list[str], rows: list[tuple[int, dict[str, str]]],
                 lookup: PostcodeLookup | None) -> _HomeFinder:
        finder = cls(postcode_column(header), EASTING in header and NORTHING in header, None)
        if finder.postcode_column is None or lookup is None:
            return finder
        finder.fixes = {}
        codes = {normalise_postcode(row[finder.postcode_column]) for _, row in rows if finder.uses_postcode(row)}
        wanted = {code for code in codes if code is not None}
        if wanted:
            finder.fixes = lookup(wanted)
        return finder

    def uses_postcode(self, row: dict[str, str]) -> bool:
        if self.postcode_column is None:
            return False
        if not self.coordinates:
            return True
        return not (row.get(EASTING) or row.get(NORTHING)) and bool(row.get(self.postcode_column))

    def locate(self, row: dict[str, str], problem: _Problem) -> tuple[Point | None, str | None]:
        """The home and its LSOA; (None, None) after recording a problem (never showing the postcode)."""
        column = self.postcode_column
        if self.fixes is None or column is None or not self.uses_postcode(row):
            return _home(row, problem), None
        text = row.get(column, "")
        code = normalise_postcode(text)
        fix = self.fixes.get(code) if code is not None else None
        why = postcode_problem(fix, code is not None)
        if why is not None or fix is None:
            problem(column, WITHHELD if text else "", why or "a known postcode")
            return None, None
        self.used += 1
        return rounded_point(fix), fix.lsoa

    def add_note(self, report: ImportReport) -> None:
        if self.postcode_column is None:
            return
        if self.used:
            report.notes.append(f"{self.used} home(s) located from postcodes (kept to 100 m with the LSOA; "
                                "postcodes are not stored)")
        elif self.coordinates:
            report.notes.append("Postcode column ignored: postcodes are not stored; Easting/Northing locate the home")


def _setting_id(row: dict[str, str], column: str, settings: set[str] | None, problem: _Problem) -> str | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        check_identifier(text)
    except ValueError as error:
        problem(column, text, _expected(error))
        return None
    if settings is not None and text not in settings:
        problem(column, text, "a known setting id (URN)")
        return None
    return text

