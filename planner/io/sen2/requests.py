"""Open requests for an EHC needs assessment, read from a SEN2 return: the transitions plan's 20-week casework.

From the Requests module (2: ReceivedDate, RequestOutcome), the Assessment module (3: AssessmentOutcome) and the
NamedPlan module (4a: StartDate), a request is open on the census date when it was received on or before it and:

- RequestOutcome `A` ("decision yet to be made" [xsd] `requestoutcometype`): stage `decision`;
- RequestOutcome `Y` ("LA proceeded with an assessment") and no assessment outcome yet (AssessmentOutcome `A`,
  "decision has not yet been made", blank, or no Assessment record) : stage `assessment`;
- AssessmentOutcome `Y` ("it was decided an EHC plan would be issued" [xsd] `assessmentoutcometype`) and no named
  plan started on or before the census date: stage `drafting`.

Outcomes N (not to assess / no plan), W (withdrawn) and H (historical) close a request. Each open request becomes a
`planner.transitions.casework_calendar.AssessmentRequest` keyed by the person's pseudonymous id (the same HMAC as
the learners', planner.io.sen2.reader.pseudonym) and a request number; the home is the postcode's point rounded to
100 m when a lookup is given (the postcode itself is dropped). Nothing personal is kept or logged.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Literal

from planner.domain.models import Point
from planner.io.postcode_lookup import PostcodeLookup, normalise_postcode, rounded_point
from planner.io.report import ImportReport, ImportValidationError
from planner.io.sen2 import rules
from planner.io.sen2 import schema as s
from planner.io.sen2.reader import pseudonym
from planner.io.sen2.records import RawReturn, Record
from planner.io.sen2.source import load_return
from planner.transitions.casework_calendar import AssessmentRequest

logger = logging.getLogger(__name__)

OPEN_REQUEST = "A"  # RequestOutcome: decision yet to be made [xsd]
PROCEEDED = "Y"  # RequestOutcome: LA proceeded with an assessment [xsd]
PLAN_TO_BE_ISSUED = "Y"  # AssessmentOutcome: an EHC plan would be issued [xsd]
UNDECIDED_ASSESSMENT = {"A", ""}  # AssessmentOutcome: decision not yet made (or not recorded)


Stage = Literal["decision", "assessment", "drafting"]


def _stage(request: Record, assessments: list[Record], plans: dict[str, list[Record]], census: date,
           out: rules.Findings) -> Stage | None:
    """How far an open request has got on the census date (None: closed)."""
    outcome = request.get(s.REQUEST_OUTCOME).upper()
    if outcome == OPEN_REQUEST:
        return "decision"
    if outcome != PROCEEDED:
        return None  # not assessed, withdrawn, or historical
    outcomes = [a.get(s.ASSESSMENT_OUTCOME).upper() for a in assessments]
    if not outcomes or any(o in UNDECIDED_ASSESSMENT for o in outcomes):
        return "assessment"
    for assessment in assessments:
        if assessment.get(s.ASSESSMENT_OUTCOME).upper() != PLAN_TO_BE_ISSUED:
            continue
        started = [rules.date_field(out, s.NAMED_PLAN, p, s.START_DATE) for p in plans.get(assessment.key, [])]
        if not any(start is not None and start <= census for start in started):
            return "drafting"  # a plan will be issued and none has started yet
    return None


def _by_parent(raw: RawReturn, module: str) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = {}
    for rec in raw.records(module):
        found.setdefault(rec.parent, []).append(rec)
    return found


def read_open_requests(source: Path, *, census_date: date | None = None, pseudonym_key: str = "",
                       postcode_lookup: PostcodeLookup | None = None) -> list[AssessmentRequest]:
    """The requests open on the census date (the return's reference date unless given); see the module docstring.
    A return whose header or links cannot be read raises ImportValidationError."""
    out = rules.Findings()
    raw = load_return(Path(source), out)
    census = rules.census_date(out, census_date, raw.records(s.SEN2))
    rules.links(out, raw.tables)
    if out.fatal or census is None:
        raise ImportValidationError(ImportReport(source=raw.source, problems=list(out.problems)))
    persons = raw.records(s.PERSON)
    assessments, plans = _by_parent(raw, s.ASSESSMENT), _by_parent(raw, s.NAMED_PLAN)
    xml = raw.format == "xml"
    homes = _homes(persons, postcode_lookup)
    requests: list[AssessmentRequest] = []
    count: dict[int, int] = {}
    for rec in raw.records(s.REQUESTS):
        received = rules.date_field(out, s.REQUESTS, rec, s.RECEIVED_DATE)
        if rec.person < 0 or received is None or received > census:
            continue
        stage = _stage(rec, assessments.get(rec.key, []), plans, census, out)
        if stage is None:
            continue
        person = persons[rec.person]
        who = pseudonym(pseudonym_key, person, xml)
        count[rec.person] = count.get(rec.person, 0) + 1
        requests.append(AssessmentRequest(request_id=f"{who}-R{count[rec.person]}", received=received,
                                          learner_id=who, stage=stage,
                                          home=homes.get(rec.person)))
    logger.info("SEN2 return %s: %d open needs-assessment requests on %s", raw.source, len(requests), census)
    return requests


def _homes(persons: list[Record], lookup: PostcodeLookup | None) -> dict[int, Point]:
    """Each person's home rounded to 100 m, when a postcode lookup is given and knows the postcode."""
    if lookup is None:
        return {}
    codes = {i: normalise_postcode(p.get(s.POSTCODE)) for i, p in enumerate(persons)}
    fixes = lookup({c for c in codes.values() if c})
    return {i: rounded_point(fixes[c]) for i, c in codes.items() if c and c in fixes}
