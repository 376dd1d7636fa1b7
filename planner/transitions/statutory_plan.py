"""The statutory casework calendar of a transitions run: every learner with a plan, not only those moving.

For each learner with a live plan (planner.transitions.casework_calendar has the rules and their sources):
- a **phase transfer** case: its review from notice to final amended plan, with the meeting by the earlier of the
  transfer deadline less 12 weeks (reg 18) and 12 months from the last review (CFA 2014 s44(1)), the final plan by
  the transfer deadline, and a consultation with the new setting when the learner changes setting;
- anyone else whose **annual review** falls due before the end of the planning year (12 months from the last
  review; from the plan's start when it is under a year old; unknown otherwise, and counted as such);
- a **permanently excluded** pupil not yet in alternative provision: the sixth-day duty and the reintegration review;
- each **new needs assessment** request given: the 6-, 16- and 20-week dates.

The result is compact (one row per process with its steps' dates; the rule behind each step once, in `rules`):
on a county of 20,000 plans every learner has a row.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from planner.domain.models import Instance, Learner
from planner.transitions.cases import (
    SEPTEMBER_TRANSFERS,
    TransitionCase,
    TransitionParameters,
    exclusion_start,
)
from planner.transitions.casework_calendar import (
    CaseworkEvent,
    annual_review_due,
    assessment_events,
    exclusion_events,
    review_chain,
)
from planner.transitions.school_calendar import SchoolCalendar

PHASE_TRANSFER_RULE = "SEND Regulations 2014 reg 18; CFA 2014 s44(1): by the transfer date less 12 weeks, and " \
                      "within 12 months of the last review"
ANNUAL_RULE = "Children and Families Act 2014 s44(1): within 12 months of the last review"


def _recent_start(learner: Learner, as_of: date) -> date | None:
    if learner.plan_start is not None and learner.plan_start > as_of - timedelta(days=365):
        return learner.plan_start
    return None


def learner_processes(instance: Instance, learner: Learner, params: TransitionParameters, calendar: SchoolCalendar,
                      case: TransitionCase | None) -> tuple[list[list[CaseworkEvent]], bool]:
    """The learner's casework processes in the planning year, and whether the annual review date is unknown."""
    as_of = params.as_of or calendar.start
    year_end = calendar.friday(calendar.weeks - 1)
    rules, holidays = params.casework, params.bank_holidays
    pfa = instance.learner_ncy(learner, params.year - 1) >= rules.pfa_from_ncy
    processes: list[list[CaseworkEvent]] = []
    annual = annual_review_due(learner.last_review, _recent_start(learner, as_of), rules)
    if case is not None and case.transition in SEPTEMBER_TRANSFERS and case.statutory:
        # The phase-transfer review (reg 18) is that year's annual review
        processes.append(review_chain(learner.id, "phase_transfer", case.latest_review, rules, calendar, holidays,
                                      pfa=pfa, consult=case.changes_setting, final_deadline=case.planning_deadline,
                                      due_rule=PHASE_TRANSFER_RULE))
    elif annual is not None and annual <= year_end:
        processes.append(review_chain(learner.id, "annual_review", annual, rules, calendar, holidays, pfa=pfa,
                                      due_rule=ANNUAL_RULE))
    current = instance.setting_by_id.get(learner.current_setting_id or "")
    exclusion = exclusion_start(learner, params, as_of, current.kind if current else None)
    if exclusion is not None:
        processes.append(exclusion_events(learner.id, exclusion[0], rules, calendar, holidays,
                                          stay_weeks=params.pru_stay_weeks, known=exclusion[1]))
    unknown = annual is None and not (case is not None and case.statutory and case.transition in SEPTEMBER_TRANSFERS)
    return processes, unknown


def _row(events: list[CaseworkEvent], as_of: date) -> dict[str, Any]:
    first = events[0]
    last_statutory = max((e.date for e in events if e.statutory), default=first.date)
    notes = {e.note for e in events if e.note}
    notice = next((e.date for e in events if e.step == "notice_sent_by"), None)
    if notice is not None and notice < as_of <= first.date:
        notes.add("the notice date has passed: with two weeks' notice the meeting will be late")
    return {
        "learner_id": first.learner_id, "process": first.process,
        "steps": {e.step: e.date.isoformat() for e in events},
        "preparing_for_adulthood": "preparing for adulthood" in first.note,
        "overdue": events[0].date < as_of if first.process in ("annual_review", "phase_transfer")
        else last_statutory < as_of,
        "notes": sorted(notes),
    }


def statutory_calendar(instance: Instance, params: TransitionParameters, calendar: SchoolCalendar,
                       cases: list[TransitionCase]) -> dict[str, Any]:
    """Every learner's casework dates in the planning year, the rule behind each step, and counts."""
    as_of = params.as_of or calendar.start
    by_learner = {c.learner_id: c for c in cases}
    rows: list[dict[str, Any]] = []
    rules: dict[str, str] = {}
    unknown = 0
    for learner in instance.learners:
        if learner.plan_end is not None:
            continue  # the plan has ceased
        processes, no_date = learner_processes(instance, learner, params, calendar, by_learner.get(learner.id))
        unknown += no_date
        for events in processes:
            rows.append(_row(events, as_of))
            rules.update({f"{e.process}.{e.step}": e.rule for e in events})
    for request in params.assessment_requests:
        events = assessment_events(request, params.casework, params.bank_holidays)
        rows.append(_row(events, as_of))
        rules.update({f"{e.process}.{e.step}": e.rule for e in events})
    rows.sort(key=lambda r: (min(r["steps"].values()), r["learner_id"], r["process"]))
    return {
        "window": {"from": as_of.isoformat(), "to": calendar.friday(calendar.weeks - 1).isoformat()},
        "rows": rows,
        "rules": dict(sorted(rules.items())),
        "counts": {"by_process": dict(sorted(Counter(r["process"] for r in rows).items())),
                   "overdue": sum(1 for r in rows if r["overdue"]),
                   "preparing_for_adulthood": sum(1 for r in rows if r["preparing_for_adulthood"]),
                   "annual_review_date_unknown": unknown},
    }


def attach_to_cases(plan: dict[str, Any], calendar_rows: list[dict[str, Any]]) -> None:
    """Give each case of a plan its learner's casework rows (`statutory_calendar` on the case)."""
    by_learner: dict[str, list[dict[str, Any]]] = {}
    for row in calendar_rows:
        by_learner.setdefault(row["learner_id"], []).append(row)
    for case in plan["cases"]:
        case["statutory_calendar"] = by_learner.get(case["learner_id"], [])
