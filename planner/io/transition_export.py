"""Exports of a transition plan: JSON, a CSV of activities, a printable HTML page per learner, an ICS per team.

Pseudonymous ids only: no names, postcodes or birth dates ever reach these files. ICS is written by hand to
RFC 5545 (CRLF line endings, lines folded at 75 octets, text escaped); each activity is an all-day event on the
Monday of its week (or a week-long event), so any calendar app can import it.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jinja2 import Environment, select_autoescape

from planner.io.cells import SafeDictWriter

CSV_COLUMNS = ("case_id", "learner_id", "transition", "tier", "score", "team_id", "activity_id", "kind", "hours",
               "week", "week_commencing", "due_date", "weeks_late", "deadline", "planning_deadline", "latest_review",
               "slack_weeks", "late", "reason")


def case_shortfall_reason(case: dict[str, Any], unallocated: dict[str, dict[str, Any]]) -> str:
    """Why a case will miss a deadline ("" when it will not): no team, activities left out, or weeks late."""
    if case["team_id"] is None:
        entry = unallocated.get(case["case_id"], {})
        return f"no team: {entry.get('reason', 'not allocated')}"
    left_out = [a["kind"] for a in case["activities"] if not a["scheduled"]]
    if left_out:
        return f"{len(left_out)} activities not scheduled this year (the team's weeks are full): " \
               + ", ".join(sorted(set(left_out)))
    late = [f"{a['kind']} {a['weeks_late']} week(s) late" for a in case["activities"] if (a["weeks_late"] or 0) > 0]
    return "; ".join(late)


def activities_csv(result: dict[str, Any]) -> str:
    """One row per activity of every case; cases that will miss a deadline first, with the reason; each activity's
    slack (weeks between its week and its due week; negative when late)."""
    unallocated = {str(u.get("case_id")): u for u in result.get("unallocated", [])}
    reasons = {case["case_id"]: case_shortfall_reason(case, unallocated) for case in result["cases"]}
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for case in sorted(result["cases"], key=lambda c: (not reasons[c["case_id"]], c["planning_deadline"],
                                                       c["case_id"])):
        for act in case["activities"]:
            writer.writerow({
                "case_id": case["case_id"], "learner_id": case["learner_id"], "transition": case["transition"],
                "tier": case["tier"], "score": case["score"], "team_id": case["team_id"] or "",
                "activity_id": act["activity_id"], "kind": act["kind"], "hours": act["hours"],
                "week": "" if act["week"] is None else act["week"], "week_commencing": act["week_commencing"] or "",
                "due_date": act["due_date"], "weeks_late": "" if act["weeks_late"] is None else act["weeks_late"],
                "deadline": case["deadline"], "planning_deadline": case["planning_deadline"],
                "latest_review": case["latest_review"],
                "slack_weeks": "" if act["week"] is None else act["due_week"] - act["week"],
                "late": bool(reasons[case["case_id"]]), "reason": reasons[case["case_id"]],
            })
    return buffer.getvalue()


CALENDAR_COLUMNS = ("learner_id", "process", "step", "date", "rule", "preparing_for_adulthood", "overdue", "notes")


def statutory_calendar_csv(result: dict[str, Any]) -> str:
    """One row per dated step of every learner's casework (annual reviews, phase transfers, new assessments, the
    sixth-day duty), in date order, with the rule each date comes from."""
    calendar = result.get("statutory_calendar") or {"rows": [], "rules": {}}
    steps = [(date_, row, step) for row in calendar["rows"] for step, date_ in row["steps"].items()]
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=CALENDAR_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for date_, row, step in sorted(steps, key=lambda item: (item[0], item[1]["learner_id"], item[2])):
        writer.writerow({"learner_id": row["learner_id"], "process": row["process"], "step": step, "date": date_,
                         "rule": calendar["rules"].get(f"{row['process']}.{step}", ""),
                         "preparing_for_adulthood": row["preparing_for_adulthood"], "overdue": row["overdue"],
                         "notes": "; ".join(row["notes"])})
    return buffer.getvalue()


def plan_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, sort_keys=True, default=str)


LEARNER_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Transition plan {{ case.learner_id }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 60em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; }
.late { color: #a00; font-weight: bold; } @media print { body { margin: 1cm; } }
</style></head><body>
<h1>Transition plan: learner {{ case.learner_id }}</h1>
<p>{{ case.transition | replace("_", " ") }} ({{ case.ncy_now }} &rarr; {{ case.ncy_next }}), need {{ case.need }}.
Outreach team: <strong>{{ case.team_id or "not allocated" }}</strong>.</p>
<table>
<tr><th>Deadline</th><td>{{ case.deadline }} ({{ "statutory" if case.statutory else "local rule" }});
we plan to {{ case.planning_deadline }}</td></tr>
<tr><th>Latest review meeting</th><td>{{ case.latest_review }}</td></tr>
<tr><th>Weeks left</th><td>{{ case.weeks_left }}</td></tr>
<tr><th>Transfer</th><td>{{ case.transfer_date }}; current setting {{ case.current_setting_id or "none" }},
receiving setting {{ case.receiving_setting_id or "to be named" }}</td></tr>
<tr><th>Preparing for adulthood</th><td>{{ "yes" if case.preparing_for_adulthood else "no" }}</td></tr>
<tr><th>Support</th><td>{{ case.tier }} (score {{ case.score }})</td></tr>
</table>
<h2>Why this support</h2>
<ul>{% for rule in case.rules %}<li>{{ rule.rule }} (+{{ rule.points }}): {{ rule.reason }}</li>
{% else %}<li>No risk rule fired.</li>{% endfor %}</ul>
<h2>Activities</h2>
<table><tr><th>Activity</th><th>Hours</th><th>Week commencing</th><th>Due by</th><th>Status</th></tr>
{% for act in case.activities %}<tr><td>{{ act.kind }}</td><td>{{ act.hours }}</td>
<td>{{ act.week_commencing or "not scheduled" }}</td><td>{{ act.due_date }}</td>
<td{% if act.weeks_late %} class="late"{% endif %}>{% if not act.scheduled %}not scheduled{% elif act.weeks_late %}
{{ act.weeks_late }} week(s) late{% else %}on time{% endif %}</td></tr>
{% endfor %}</table>
</body></html>
"""


def learner_html(case: dict[str, Any]) -> str:
    """A printable page for one learner's transition plan."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(LEARNER_TEMPLATE).render(case=case)


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets are folded with CRLF + a space."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def team_ics(result: dict[str, Any], team_id: str, generated: datetime | None = None) -> str:
    """The team's scheduled activities as an iCalendar file: one week-long all-day event per activity."""
    stamp = (generated or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//placeplan//transitions//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_escape(f'Transitions {team_id}')}"]
    for case in result["cases"]:
        if case["team_id"] != team_id:
            continue
        for act in case["activities"]:
            if act["week_commencing"] is None:
                continue
            monday = date.fromisoformat(act["week_commencing"])
            saturday = monday + timedelta(days=5)
            summary = f"{act['kind']} - learner {case['learner_id']} ({case['transition'].replace('_', ' ')})"
            description = (f"{act['hours']} h; due by {act['due_date']}; tier {case['tier']}; "
                           f"deadline {case['planning_deadline']}")
            lines += [
                "BEGIN:VEVENT",
                f"UID:{act['activity_id'].replace(':', '-')}@placeplan",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{monday.strftime('%Y%m%d')}",
                f"DTEND;VALUE=DATE:{saturday.strftime('%Y%m%d')}",
                f"SUMMARY:{_ics_escape(summary)}",
                f"DESCRIPTION:{_ics_escape(description)}",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
