"""The numbered validation rules of the SEN2 reader: one small function each, and the `Findings` they report into.

Every problem names its rule, module, row (CSV: spreadsheet row, header = 1; XML: line of the record's start tag;
1 for a problem with the file itself), field (as written in the file), the value found -- withheld for personal
data (names, birth date, postcode, UPN, ULN) -- and what was expected. Header rules (H) stop the import whatever
`skip_invalid` says; the others reject the person the row belongs to; SEN2-021 is a warning, W (learner kept).
Rules marked "active" apply to persons with a plan active on the census date only (a child whose plan ceased
years ago is not checked for age or postcode).

Id        Module            Field                        Rule
                            Source
--------  ----------------  ---------------------------  -----------------------------------------------------------
SEN2-001  any (H)           file / element               Each required module present once: CSVs sen2, person,
                                                         requests, assessment, namedplan, activeplans,
                                                         placementdetail, senneed (plandetail optional); XML well
                                                         formed, with <Header> and <Persons>
                            [blade-csv] make-file-names; [xsd] MessageType
SEN2-002  any CSV (H)       key and item columns         A module has the columns learners are built from
                                                         (schema.REQUIRED_FIELDS)
                            [blade-csv] column names
SEN2-003  sen2 (H)          ReferenceDate                The census date is known: the header's ReferenceDate, or
                                                         `census_date` given (which overrides it)
                            [xsd] CollectionDetails/ReferenceDate; [blade-csv] referencedate
SEN2-004  all but sen2      parent's table id            A link key names an existing parent row: person>sen2 (when
                                                         given), requests>person, assessment>requests,
                                                         named-plan>assessment, plan-detail>named-plan,
                                                         active-plans>requests, placement-detail>active-plans,
                                                         sen-need>active-plans; XML records nest in their parent
                            [blade-csv] module-key->ancestors, ds-map->table-id-ds; [xsd] nesting
SEN2-005  person            persontableid, UPN, ULN      No person twice: table id, UPN and ULN each unique
                            [blade-csv] persontableid key; planner (one learner per child)
SEN2-006  any               any date                     A date is YYYY-MM-DD (a time or zone may follow),
                                                         DD/MM/YYYY or Blade "2022-Sep-28 00:00:00"; StartDate
                                                         is required
                            [blade-csv] parse-date; [xsd] xs:date, StartDate minOccurs=1
SEN2-007  person (active)   PersonBirthDate              Given, and gives an age of 0 to 25 on the census date (a
                                                         child under 2 passes but is outside the planner's NCY range
                                                         N2..Y20, which `Instance` checks)
                            [plans-placements] issue-not-send-age; EHC plans run to age 25 (CFA 2014)
SEN2-008  sen-need          SENtype                      A 2025 need code: SPLD MLD SLD PMLD SEMH SLCN HI VI MSI PD
                                                         ASD DS OTH (blank: see SEN2-021)
                            [dictionary] item 5.8a; [plans-placements] issue-invalid-sen-type
SEN2-009  sen-need          SENtypeRank                  1 or 2; at most one need of each rank per active plan; the
                                                         rank 2 need differs from the rank 1 need
                            [xsd] ranktype, SENneed maxOccurs=2; [plans-placements] sen-need-primary
SEN2-010  placement-detail  PlacementRank                1 or 2; (active) exactly one rank 1 placement current on
                                                         the census date in the ActivePlans of the active plan
                            [xsd] ranktype; [plans-placements] placement-detail-on-census-dates,
                            issue-no-placement-detail
SEN2-011  placement-detail  URN / UKPRN / SENsetting     A placement names a URN, a UKPRN or a SENsetting
                            [plans-placements] issue-placement-detail-missing-sen2-estab
SEN2-012  placement-detail  SENsetting                   A SENsetting code when given: OLA OPA EHE EYP OTH NEET
                                                         NIEC NIEO
                            [dictionary] items 4.7c, 5.7c; [xsd] sensettingtype; [plans-placements]
                            issue-invalid-sen-setting
SEN2-013  placement-detail  URN, UKPRN                   URN is 6 digits, UKPRN 8 digits
                            [xsd] URN pattern \\d{6}, UKPRN pattern \\d{8}
SEN2-014  placement-detail  SENunitIndicator,            Y/N, 1/0 or true/false, any case (blank = no)
                            ResourcedProvisionIndicator
                            [xsd] yesnotype; witan pre_submission.clj (0/1)
SEN2-015  placement-detail  ResourcedProvisionIndicator  Not both a SEN unit and resourced provision
                            planner rule: distinct kinds of base (SettingKind.SEN_UNIT, RESOURCED_PROVISION);
                            [plans-placements] keeps the two indicators apart
SEN2-016  named-plan        CeaseDate                    Not before the plan's StartDate
                            [plans-placements] named-plan-on-census-dates (a plan spans StartDate..CeaseDate)
SEN2-017  person (active)   PostCode                     Shaped like a postcode, in the lookup, not terminated
                                                         (checked when a lookup is given)
                            planner postcode_lookup.postcode_problem
SEN2-018  person (H)        PostCode                     A postcode lookup is given when the return has postcodes
                                                         (run `placeplan import postcodes FILE` first)
                            planner
SEN2-019  person            Sex                          M, F, U or blank (U and blank: unknown)
                            [xsd] sextype
SEN2-020  named-plan,       StartDate,                   (active) One plan active on the census date per person,
          active-plans      activeplanstableid           and at most one ActivePlans record for its request
                            [plans-placements] issue-multiple-requests; [xsd] ActivePlans maxOccurs=1
SEN2-021  sen-need (W)      SENtype                      (active) A primary need is recorded; a blank SENtype or no
                                                         rank 1 record is read as NSA (need not yet recorded)
                            [plans-placements] issue-missing-sen-type; DfE tables count "need unknown"
SEN2-022  person (active)   (learner)                    The learner passes the domain model's own checks (safety
                                                         net, e.g. an over-long LSOA code from a lookup)
                            planner Learner
SEN2-023  active-plans (W)  PlacementRank                (active) A placement is recorded; none: the learner is kept
                                                         with no setting, as awaiting a place (warning)
                            DfE EHC plan tables: placement_unknown "Placement not recorded"

Sources are the tags of `planner.io.sen2.schema`: [blade-csv], [dictionary], [plans-placements] are files of
MastodonC/witan.sen2, [xsd] is liia-tools' SEN2 schema (2024).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from planner.domain.calendar import age_on
from planner.domain.codes import Sex
from planner.io.postcode_lookup import PostcodeFix, normalise_postcode, postcode_problem
from planner.io.report import RowProblem
from planner.io.sen2 import schema as s
from planner.io.sen2.records import Record, Table


@dataclass(frozen=True)
class Rule:
    """One row of the rule table above."""

    id: str
    module: str
    field: str
    text: str
    header: bool = False
    warning: bool = False


RULES: tuple[Rule, ...] = (
    Rule("SEN2-001", "any", "file / element", "each required module present once", header=True),
    Rule("SEN2-002", "any", "columns", "a module has the columns learners are built from", header=True),
    Rule("SEN2-003", s.SEN2, "ReferenceDate", "the census date is known", header=True),
    Rule("SEN2-004", "all but sen2", "parent table id", "a link key names an existing parent row"),
    Rule("SEN2-005", s.PERSON, "persontableid / UPN / ULN", "no person twice"),
    Rule("SEN2-006", "any", "dates", "dates parse; StartDate required"),
    Rule("SEN2-007", s.PERSON, "PersonBirthDate", "age 0-25 on the census date"),
    Rule("SEN2-008", s.SEN_NEED, "SENtype", "a SEN2 2025 need code"),
    Rule("SEN2-009", s.SEN_NEED, "SENtypeRank", "rank 1 or 2, at most one of each, different needs"),
    Rule("SEN2-010", s.PLACEMENT_DETAIL, "PlacementRank", "rank 1 or 2; one current rank 1 placement"),
    Rule("SEN2-011", s.PLACEMENT_DETAIL, "URN / UKPRN / SENsetting", "a placement names its setting"),
    Rule("SEN2-012", s.PLACEMENT_DETAIL, "SENsetting", "a SENsetting code"),
    Rule("SEN2-013", s.PLACEMENT_DETAIL, "URN / UKPRN", "URN 6 digits, UKPRN 8 digits"),
    Rule("SEN2-014", s.PLACEMENT_DETAIL, "indicators", "Y/N, 1/0 or true/false"),
    Rule("SEN2-015", s.PLACEMENT_DETAIL, "ResourcedProvisionIndicator", "not both SEN unit and resourced provision"),
    Rule("SEN2-016", s.NAMED_PLAN, "CeaseDate", "not before StartDate"),
    Rule("SEN2-017", s.PERSON, "PostCode", "postcode resolvable by the lookup"),
    Rule("SEN2-018", s.PERSON, "PostCode", "a postcode lookup when the return has postcodes", header=True),
    Rule("SEN2-019", s.PERSON, "Sex", "M, F, U or blank"),
    Rule("SEN2-020", "named-plan / active-plans", "StartDate / activeplanstableid", "one active plan per person"),
    Rule("SEN2-021", s.SEN_NEED, "SENtype", "a primary need is recorded", warning=True),
    Rule("SEN2-022", s.PERSON, "(learner)", "the learner passes the domain model's checks"),
    Rule("SEN2-023", s.ACTIVE_PLANS, "PlacementRank", "a placement is recorded for the active plan", warning=True),
)
HEADER_RULES = frozenset(rule.id for rule in RULES if rule.header)


class Findings:
    """Problems (each rejects the person its row belongs to, or the whole file for header rules) and warnings."""

    def __init__(self, xml: bool = False) -> None:
        self.xml = xml
        self.names: dict[str, Mapping[str, str]] = {}
        self.problems: list[RowProblem] = []
        self.persons: list[int] = []  # the person index of each problem (-1: none / orphaned row)
        self.warnings: list[RowProblem] = []

    def column(self, module: str, name: str) -> str:
        """A field's name as written in the file (else the CSV / XML spelling of the SEN2 item)."""
        written = self.names.get(module, {}).get(name)
        if written:
            return written
        return s.XML_NAME.get(name, name) if self.xml else name

    def add(self, rule: str, module: str, row: int, name: str, value: str, expected: str, person: int = -1,
            *, warning: bool = False) -> None:
        shown = s.WITHHELD if name in s.PERSONAL_FIELDS and value else value
        found = RowProblem(row=row, column=self.column(module, name), value=shown, expected=expected, rule=rule,
                           module=module)
        if warning:
            self.warnings.append(found)
        else:
            self.problems.append(found)
            self.persons.append(person)

    def at(self, rule: str, module: str, rec: Record, name: str, expected: str, value: str | None = None,
           *, warning: bool = False) -> None:
        """A problem with one field of one record (its value taken from the record unless given)."""
        self.add(rule, module, rec.row, name, rec.get(name) if value is None else value, expected, rec.person,
                 warning=warning)

    @property
    def fatal(self) -> bool:
        """A header rule is broken: nothing can be imported."""
        return any(p.rule in HEADER_RULES for p in self.problems)

    @property
    def bad_persons(self) -> set[int]:
        return {person for person in self.persons if person >= 0}


# -- SEN2-001 / 002 / 003: the return as a whole ------------------------------------------------------------------

def module_files(out: Findings, found: Mapping[str, Sequence[str]]) -> None:
    """SEN2-001 (CSV): each required module has one file; a module with several files is ambiguous."""
    for module in s.MODULES:
        names = found.get(module, ())
        token = s.FILE_TOKEN[module]
        if not names and module in s.REQUIRED_MODULES:
            out.add("SEN2-001", module, 1, f"{token}.csv", "",
                    f"a {module} module file: 'Blade-Export_<DD-MM-YYYY>_{token}.csv' or '{token}.csv'")
        elif len(names) > 1:
            out.add("SEN2-001", module, 1, f"{token}.csv", ", ".join(sorted(names)), f"one {module} module file")


def xml_parts(out: Findings, has_header: bool, has_persons: bool) -> None:
    """SEN2-001 (XML): the message has its `<Header>` and its `<Persons>`."""
    if not has_header:
        out.add("SEN2-001", s.SEN2, 1, "Header", "", "a <Header> element (CollectionDetails, Source)")
    if not has_persons:
        out.add("SEN2-001", s.PERSON, 1, "Persons", "", "a <Persons> element holding the <Person> records")


def xml_unreadable(out: Findings, line: int, reason: str) -> None:
    """SEN2-001 (XML): the file is not well-formed XML."""
    out.add("SEN2-001", s.SEN2, line, "XML", "", f"well-formed XML ({reason})")


def required_columns(out: Findings, table: Table) -> None:
    """SEN2-002 (CSV): the module has the key and item columns the reader needs."""
    for name in s.REQUIRED_FIELDS[table.module]:
        if name not in table.names:
            out.add("SEN2-002", table.module, 1, name, "", f"a column named {name!r} in {table.where}")


def census_date(out: Findings, given: date | None, header: Sequence[Record]) -> date | None:
    """SEN2-003: the census date: `given` (overrides), else the header's ReferenceDate (SEN2-006 if unreadable)."""
    text = header[0].get(s.REFERENCE_DATE) if header else ""
    if given is not None:
        return given
    if not text:
        row = header[0].row if header else 1
        out.add("SEN2-003", s.SEN2, row, s.REFERENCE_DATE, "",
                "the return's reference (census) date, or a census date given to the import")
        return None
    return date_field(out, s.SEN2, header[0], s.REFERENCE_DATE, required=True)


# -- SEN2-004 / 005: keys ---------------------------------------------------------------------------------------

def links(out: Findings, tables: Mapping[str, Table]) -> None:
    """SEN2-004: every record names an existing parent; each record learns the person it belongs to."""
    keys: dict[str, dict[str, Record]] = {}
    for module in s.MODULES:
        table = tables.get(module)
        records = table.records if table is not None else []
        index: dict[str, Record] = {}
        for position, rec in enumerate(records):
            if module == s.PERSON:
                rec.person = position
            if module != s.SEN2:
                _link(out, module, rec, keys)
            if rec.key and rec.key not in index:
                index[rec.key] = rec
        keys[module] = index


def _link(out: Findings, module: str, rec: Record, keys: Mapping[str, Mapping[str, Record]]) -> None:
    parent_module = s.PARENT[module]
    if module == s.PERSON:
        if rec.parent and keys.get(s.SEN2) and rec.parent not in keys[s.SEN2]:
            out.at("SEN2-004", module, rec, s.TABLE_ID[s.SEN2], "the sen2tableid of the return's header row")
        return
    parent = keys.get(parent_module, {}).get(rec.parent) if rec.parent else None
    if parent is None:
        where = f"nested in a <{s.XML_ELEMENT[parent_module]}>" if out.xml else \
            f"the {s.TABLE_ID[parent_module]} of a row in the {parent_module} module"
        out.at("SEN2-004", module, rec, s.TABLE_ID[parent_module], where, value=rec.parent)
        return
    rec.person = parent.person


def duplicate_persons(out: Findings, persons: Sequence[Record]) -> None:
    """SEN2-005: a person table id, UPN or ULN used by two person rows (reported on the later one)."""
    for name in (s.TABLE_ID[s.PERSON], s.UPN, s.ULN):
        first: dict[str, int] = {}
        for rec in persons:
            value = rec.get(name).upper()
            if not value:
                continue
            if value in first:
                out.at("SEN2-005", s.PERSON, rec, name, "a person not already in the return (person row "
                                                        f"{first[value]} has the same {out.column(s.PERSON, name)})")
            else:
                first[value] = rec.row


# -- SEN2-006 / 007 / 016: dates ------------------------------------------------------------------------------------

_MONTHS = MappingProxyType({name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)})
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ TZ+-].*)?$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_BLADE = re.compile(r"^(\d{4})-([A-Za-z]{3})-(\d{1,2})(?: .*)?$")  # [blade-csv] parse-date: "2022-Sep-28 00:00:00"
DATE_EXPECTED = "a date as YYYY-MM-DD, DD/MM/YYYY or YYYY-Mon-DD (e.g. 2025-01-16, 16/01/2025, 2025-Jan-16)"


def parse_date(text: str) -> date:
    """A SEN2 date in any of the formats exports use; ValueError otherwise."""
    match = _ISO.match(text)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    match = _UK.match(text)
    if match:
        return date(int(match[3]), int(match[2]), int(match[1]))
    match = _BLADE.match(text)
    if match and match[2].lower() in _MONTHS:
        return date(int(match[1]), _MONTHS[match[2].lower()], int(match[3]))
    raise ValueError(DATE_EXPECTED)


def date_field(out: Findings, module: str, rec: Record, name: str, *, required: bool = False) -> date | None:
    """SEN2-006: a date field parses (and is present when required)."""
    text = rec.get(name)
    if not text:
        if required:
            out.at("SEN2-006", module, rec, name, f"{DATE_EXPECTED} (required)")
        return None
    try:
        return parse_date(text)
    except ValueError:
        out.at("SEN2-006", module, rec, name, DATE_EXPECTED)
        return None


def birth_date_age(out: Findings, rec: Record, birth: date | None, census: date) -> bool:
    """SEN2-007: a person with an active plan has a birth date giving an age of 0 to 25 on the census date."""
    if birth is None:
        if not rec.get(s.BIRTH_DATE):
            out.at("SEN2-007", s.PERSON, rec, s.BIRTH_DATE, "a birth date (required for a child with an active plan)")
        return False
    if not s.SEND_AGE_MIN <= age_on(census, birth) <= s.SEND_AGE_MAX:
        out.at("SEN2-007", s.PERSON, rec, s.BIRTH_DATE,
               f"a birth date giving an age of {s.SEND_AGE_MIN} to {s.SEND_AGE_MAX} on the census date {census}")
        return False
    return True


def cease_after_start(out: Findings, rec: Record, start: date | None, cease: date | None) -> None:
    """SEN2-016: a plan does not cease before it starts."""
    if start is not None and cease is not None and cease < start:
        out.at("SEN2-016", s.NAMED_PLAN, rec, s.CEASE_DATE, f"a cease date on or after the plan's start date {start}")


# -- SEN2-008 / 009 / 021: needs ------------------------------------------------------------------------------------

def sen_type(out: Findings, rec: Record) -> str | None:
    """SEN2-008: a SENtype code (upper-cased); None when blank (NSA, see SEN2-021) or invalid."""
    code = rec.get(s.SEN_TYPE).upper()
    if code and code not in s.SEN_TYPES:
        out.at("SEN2-008", s.SEN_NEED, rec, s.SEN_TYPE, "a SEN2 need code: " + ", ".join(sorted(s.SEN_TYPES)))
        return None
    return code or None


def rank(out: Findings, rule: str, module: str, rec: Record, name: str) -> int | None:
    """SEN2-009 / SEN2-010: a SENtypeRank or PlacementRank is 1 or 2."""
    value = s.RANKS.get(rec.get(name).removesuffix(".0"))
    if value is None:
        out.at(rule, module, rec, name, "1 (primary / main) or 2")
    return value


def need_ranks(out: Findings, needs: Sequence[tuple[Record, str | None, int | None]]) -> tuple[str | None, str | None]:
    """SEN2-009: at most one need of each rank, the two different; returns the (rank 1, rank 2) codes."""
    by_rank: dict[int, tuple[Record, str | None]] = {}
    for rec, code, rank_ in needs:
        if rank_ is None:
            continue
        if rank_ in by_rank:
            out.at("SEN2-009", s.SEN_NEED, rec, s.SEN_TYPE_RANK, f"one SEN need of rank {rank_} per plan "
                                                                   f"(row {by_rank[rank_][0].row} has rank {rank_})")
            continue
        by_rank[rank_] = (rec, code)
    primary = by_rank.get(1, (None, None))[1]
    second = by_rank.get(2)
    if second is not None and second[1] is not None and second[1] == primary:
        out.at("SEN2-009", s.SEN_NEED, second[0], s.SEN_TYPE, "a secondary need different from the primary need")
        return primary, None
    return primary, second[1] if second is not None else None


def need_recorded(out: Findings, active: Record, rank_1: Record | None) -> None:
    """SEN2-021 (warning): no primary need recorded (blank SENtype, or no rank 1 record); the learner gets NSA."""
    if rank_1 is None:
        out.at("SEN2-021", s.ACTIVE_PLANS, active, s.SEN_TYPE,
               "a rank 1 SEN need record for the active plan: read as NSA (need not yet recorded)", value="",
               warning=True)
    elif not rank_1.get(s.SEN_TYPE):
        out.at("SEN2-021", s.SEN_NEED, rank_1, s.SEN_TYPE,
               "a SENtype for the rank 1 need: read as NSA (need not yet recorded)", warning=True)


# -- SEN2-010..015: placements ----------------------------------------------------------------------------------------

def main_placement(out: Findings, active: Record, current: Sequence[tuple[Record, int | None]]) -> Record | None:
    """SEN2-010: exactly one rank 1 placement current on the census date; returns it."""
    main = [rec for rec, rank_ in current if rank_ == 1]
    if not main:
        # A plan with no placement recorded is real (the DfE tables count "placement not recorded"): the learner is
        # kept, with no setting, and a placement round treats them as a plan awaiting a place.
        out.at("SEN2-023", s.ACTIVE_PLANS, active, s.PLACEMENT_RANK,
               "a rank 1 placement current on the census date (none recorded: kept as awaiting a place)",
               value="", warning=True)
        return None
    for extra in main[1:]:
        out.at("SEN2-010", s.PLACEMENT_DETAIL, extra, s.PLACEMENT_RANK,
               f"one rank 1 placement per active plan (row {main[0].row} is rank 1 too)")
    return main[0] if len(main) == 1 else None


def no_active_plans_record(out: Findings, request: Record) -> None:
    """SEN2-010: the request of the plan active on the census date has no ActivePlans record (so no placement)."""
    out.at("SEN2-010", s.REQUESTS, request, s.TABLE_ID[s.ACTIVE_PLANS],
           "an ActivePlans record with a rank 1 placement for the plan active on the census date", value="")


def placement_named(out: Findings, rec: Record) -> bool:
    """SEN2-011: a placement has a URN, a UKPRN or a SENsetting."""
    if rec.get(s.URN) or rec.get(s.UKPRN) or rec.get(s.SEN_SETTING):
        return True
    out.at("SEN2-011", s.PLACEMENT_DETAIL, rec, s.URN, "a URN, a UKPRN or a SENsetting code naming the placement")
    return False


def sen_setting(out: Findings, rec: Record) -> str | None:
    """SEN2-012: a SENsetting code when one is given (upper-cased)."""
    code = rec.get(s.SEN_SETTING).upper()
    if code and code not in s.SEN_SETTINGS:
        out.at("SEN2-012", s.PLACEMENT_DETAIL, rec, s.SEN_SETTING,
               "a SENsetting code: " + ", ".join(sorted(s.SEN_SETTINGS)))
        return None
    return code or None


def reference_number(out: Findings, rec: Record, name: str, digits: int) -> int | None:
    """SEN2-013: a URN of 6 digits or a UKPRN of 8 (None when blank or wrong)."""
    text = rec.get(name)
    if not text:
        return None
    if len(text) == digits and text.isascii() and text.isdigit():
        return int(text)
    out.at("SEN2-013", s.PLACEMENT_DETAIL, rec, name, f"{digits} digits")
    return None


def indicator(out: Findings, rec: Record, name: str) -> bool:
    """SEN2-014: a yes/no indicator (blank = no)."""
    word = rec.get(name).lower()
    if word in s.YES_WORDS:
        return True
    if word not in s.NO_WORDS:
        out.at("SEN2-014", s.PLACEMENT_DETAIL, rec, name, "Y/N, 1/0 or true/false")
    return False


def indicator_pair(out: Findings, rec: Record, sen_unit: bool, resourced_provision: bool) -> None:
    """SEN2-015: a placement is in a SEN unit or in resourced provision, not both."""
    if sen_unit and resourced_provision:
        out.at("SEN2-015", s.PLACEMENT_DETAIL, rec, s.RESOURCED_PROVISION,
               "not both SENunitIndicator and ResourcedProvisionIndicator: a SEN unit or resourced provision")


# -- SEN2-017 / 018 / 019 / 020 / 022: persons and plans --------------------------------------------------------------

def postcode(out: Findings, rec: Record, fixes: Mapping[str, PostcodeFix]) -> PostcodeFix | None:
    """SEN2-017: the home postcode is found in the lookup (the value is never shown)."""
    normalised = normalise_postcode(rec.get(s.POSTCODE))
    fix = fixes.get(normalised) if normalised else None
    reason = postcode_problem(fix, normalised is not None)
    if reason is not None:
        out.at("SEN2-017", s.PERSON, rec, s.POSTCODE, reason)
        return None
    return fix


def postcodes_need_lookup(out: Findings, with_postcode: int) -> None:
    """SEN2-018: postcodes are present but no lookup was given to place homes."""
    if with_postcode:
        out.add("SEN2-018", s.PERSON, 1, s.POSTCODE, "",
                f"a postcode lookup to place the homes of {with_postcode} person(s): load one with "
                "`placeplan import postcodes FILE` (Code-Point Open or NSPL) first")


def sex(out: Findings, rec: Record) -> Sex | None:
    """SEN2-019: Sex is M, F, U or blank (U and blank: unknown)."""
    code = rec.get(s.SEX).upper()
    if not code:
        return None
    if code not in s.SEX_CODES:
        out.at("SEN2-019", s.PERSON, rec, s.SEX, "M, F, U (unknown) or blank")
        return None
    return s.SEX_CODES[code]


def one_active_plan(out: Findings, plans: Sequence[Record]) -> bool:
    """SEN2-020: one named plan active on the census date per person (the others are reported)."""
    for extra in plans[1:]:
        out.at("SEN2-020", s.NAMED_PLAN, extra, s.START_DATE,
               f"one plan active on the census date per person (named plan row {plans[0].row} is active too)")
    return len(plans) == 1


def one_active_plans_record(out: Findings, records: Sequence[Record]) -> bool:
    """SEN2-020: one ActivePlans record for the request of the active plan."""
    for extra in records[1:]:
        out.at("SEN2-020", s.ACTIVE_PLANS, extra, s.TABLE_ID[s.ACTIVE_PLANS],
               f"one ActivePlans record per request (row {records[0].row} is for the same request)")
    return len(records) == 1


def learner_rejected(out: Findings, rec: Record, messages: Collection[str]) -> None:
    """SEN2-022: the domain model refused the learner built from this person (messages carry no values)."""
    out.at("SEN2-022", s.PERSON, rec, "(learner)", "; ".join(messages), value="")
