"""Read a SEN2 person-level return into the learners with an EHC plan active on the census date.

`read_sen2` takes a folder of module CSVs (COLLECT Blade export or plain names), one XML file, or a zip of either
(`planner.io.sen2.source`), checks it against the numbered rules (`planner.io.sen2.rules`), picks each child's
plan active on the census date (`planner.io.sen2.assemble`), and builds one `Learner` per child:

- `id`: "P" + the first 16 hex digits of HMAC-SHA256(pseudonym_key, UPN, else ULN, else the person table id).
  The same child gets the same id in next year's return (the UPN follows them), so years can be linked, but the id
  cannot be turned back into the UPN without the council's key (an empty key is noted in the report: anyone could
  then test guessed UPNs). An XML return has no person table id: a child with neither UPN nor ULN is keyed by
  surname, forename and birth date instead (hashed the same way).
- `birth_date` (PersonBirthDate; the domain derives the NCY), `sex` (M/F; U or blank: None), `primary_need` and
  `secondary_need` (SENtype of rank 1 and 2; no need recorded: `Need.NSA`, with a warning), `home` and `lsoa`
  (PostCode through the postcode lookup, rounded to 100 m; the postcode itself is dropped), `plan_start`
  (StartDate), `last_review` (LastReview), `setting_start` (EntryDate of the main placement).
- `current_setting_id` is left None: the main placement is returned as a `PlacementRef` (by learner id) for the
  caller to resolve against the council's settings.

Names, UPNs, ULNs, birth dates and postcodes never leave the reader: not in the learners (but the birth date,
which the domain keeps to derive the NCY), not in the report (values withheld), not in logs (counts only).
All or nothing: any problem raises `ImportValidationError` with the report, unless `skip_invalid`, when the persons
with problems are left out and listed; problems with the file itself (header rules) always raise.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from planner.domain.codes import Need
from planner.domain.models import Learner
from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup, normalise_postcode, rounded_point
from planner.io.report import ImportReport, ImportValidationError, RowProblem
from planner.io.sen2 import assemble, rules
from planner.io.sen2 import schema as s
from planner.io.sen2.model import Sen2Import
from planner.io.sen2.records import RawReturn, Record
from planner.io.sen2.source import describe, load_return

logger = logging.getLogger(__name__)

ID_HEX_DIGITS = 16


def read_sen2(source: Path, *, postcode_lookup: PostcodeLookup | None = None, census_date: date | None = None,
              skip_invalid: bool = False, pseudonym_key: str = "") -> Sen2Import:
    """Read a return; `census_date` overrides the return's reference date. See the module docstring."""
    out = rules.Findings()
    raw = load_return(Path(source), out)
    report = ImportReport(source=raw.source)
    report.notes.extend(describe(raw))
    _stop_if_fatal(out, report)
    header = raw.records(s.SEN2)
    census = rules.census_date(out, census_date, header)
    _stop_if_fatal(out, report)
    assert census is not None  # SEN2-003 is a header rule: a missing census date has stopped the import above
    la_code = (header[0].get(s.LEA) or None) if header else None
    rules.links(out, raw.tables)
    cases = assemble.cases(out, assemble.parse(out, raw), census)
    fixes = _postcode_fixes(out, cases, postcode_lookup)
    _stop_if_fatal(out, report)
    homes = [rules.postcode(out, case.person.rec, fixes) for case in cases]
    bad = out.bad_persons
    built = [(case, _learner(out, case, fix, raw.format == "xml", pseudonym_key))
             for case, fix in zip(cases, homes, strict=True) if fix is not None and case.person.rec.person not in bad]
    if out.problems and not skip_invalid:
        raise ImportValidationError(_finish(report, out, raw, census, census_date, len(cases), 0, pseudonym_key,
                                            skipped=False))
    kept = [(case, learner) for case, learner in built if learner is not None]
    placements = {learner.id: case.main.ref for case, learner in kept if case.main is not None}
    _finish(report, out, raw, census, census_date, len(cases), len(kept), pseudonym_key, skipped=True)
    logger.info("SEN2 import %s: %d persons, %d with an active plan, %d learners, %d problems, %d warnings",
                report.source, report.rows_read, len(cases), len(kept), len(report.problems), len(report.warnings))
    return Sen2Import(census_date=census, la_code=la_code, learners=tuple(learner for _, learner in kept),
                      placements=placements, report=report)


def _stop_if_fatal(out: rules.Findings, report: ImportReport) -> None:
    if out.fatal:
        report.problems = _ordered(out.problems)
        raise ImportValidationError(report)


def _postcode_fixes(out: rules.Findings, cases: list[assemble.Case],
                    lookup: PostcodeLookup | None) -> dict[str, PostcodeFix]:
    """Ask the lookup once for every home postcode (SEN2-017), or report that there is none (SEN2-018)."""
    texts = [case.person.rec.get(s.POSTCODE) for case in cases]
    if lookup is None:
        rules.postcodes_need_lookup(out, sum(1 for text in texts if text))
        return {}
    wanted = {code for code in (normalise_postcode(text) for text in texts) if code}
    return dict(lookup(wanted)) if wanted else {}


def _learner(out: rules.Findings, case: assemble.Case, fix: PostcodeFix, xml: bool, key: str) -> Learner | None:
    """The learner of one case whose person has no problem (SEN2-022 if the domain model refuses it)."""
    person = case.person.rec
    try:
        return Learner(
            id=pseudonym(key, person, xml), birth_date=case.person.birth,
            primary_need=Need(case.primary) if case.primary else Need.NSA,
            secondary_need=Need(case.secondary) if case.secondary else None,
            home=rounded_point(fix), lsoa=fix.lsoa, plan_start=case.plan.start,
            last_review=case.active.last_review if case.active else None,
            setting_start=case.main.ref.entry_date if case.main else None, sex=case.person.sex,
        )
    except ValidationError as error:
        rules.learner_rejected(out, person, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()])
        return None


def pseudonym(key: str, person: Record, xml: bool) -> str:
    """"P" + HMAC-SHA256(key, UPN or ULN or person table id) in hex, first 16 digits (see the module docstring)."""
    basis = person.get(s.UPN).replace(" ", "").upper() or person.get(s.ULN).replace(" ", "")
    if not basis and not xml:
        basis = person.key
    if not basis:
        basis = "|".join(person.get(name).replace(" ", "").upper() for name in (s.SURNAME, s.FORENAME, s.BIRTH_DATE))
    digest = hmac.new(key.encode("utf-8"), basis.encode("utf-8"), hashlib.sha256).hexdigest()
    return "P" + digest[:ID_HEX_DIGITS]


def _ordered(problems: list[RowProblem]) -> list[RowProblem]:
    order = {module: position for position, module in enumerate(s.MODULES)}
    return sorted(problems, key=lambda p: (order.get(p.module, -1), p.row, p.rule))


def _finish(report: ImportReport, out: rules.Findings, raw: RawReturn, census: date, given: date | None,
            active: int, learners: int, pseudonym_key: str, *, skipped: bool) -> ImportReport:
    """Counts, problems, warnings and notes (census date, persons dropped) on the report."""
    persons = raw.records(s.PERSON)
    report.rows_read = len(persons)
    report.rows_valid = learners
    report.rows_skipped = len(persons) - active
    report.problems = _ordered(out.problems)
    report.warnings = _ordered(out.warnings)
    origin = "given to the import" if given is not None else "the return's reference date"
    report.notes.append(f"census date {census} ({origin}); {active} of {len(persons)} person(s) have a plan "
                        "active on it")
    if not pseudonym_key:
        report.notes.append("no pseudonym key given: learner ids are hashes of UPNs anyone could recompute; "
                            "give the council's key")
    dropped = sorted({persons[i].row for i in out.bad_persons if i < len(persons)})
    if dropped and skipped:
        where = "lines" if raw.format == "xml" else "rows"
        report.notes.append(f"persons with problems, left out (person {where}): {', '.join(map(str, dropped))}")
    return report
