"""Exports of a transition plan: JSON, CSVs (cases, team-weeks, activities), a printable HTML page per learner, an
ICS per team.

Every export says, for each case, its deadline and slack, and lists the cases that will miss a deadline first with
the reason (`cases_csv`, `activities_csv`, the ICS event descriptions); `team_weeks_csv` gives each team's hours
booked against its hours available in every week.

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
from planner.transitions.plan_result import case_shortfall_reason

CSV_COLUMNS = ("case_id", "learner_id", "transition", "tier", "score", "team_id", "activity_id", "kind", "hours",
               "week", "week_commencing", "due_date", "weeks_late", "deadline", "planning_deadline", "latest_review",
               "slack_weeks", "late", "reason")


def activities_csv(result: dict[str, Any]) -> str:
    """One row per activity of every case; cases that will miss a deadline first, with the reason; each activity's
    slack (weeks between its week and its due week; negative when late)."""
    unallocated = {str(u.get("case_id")): u for u in result.get("unallocated", [])}
    reasons = {case["case_id"]: _case_reason(case, unallocated) for case in result["cases"]}
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


CASE_COLUMNS = ("case_id", "learner_id", "transition", "statutory", "deadline", "planning_deadline",
                "latest_review", "team_id", "receiving_setting_id", "receiving_source", "tier", "slack_weeks",
                "misses_deadline", "reason")


def _case_reason(case: dict[str, Any], unallocated: dict[str, dict[str, Any]]) -> str:
    """The case's stated reason (plans from before slack was reported: worked out from its activities)."""
    reason = case.get("reason")
    return str(reason) if reason is not None else case_shortfall_reason(case, unallocated)


def cases_csv(result: dict[str, Any]) -> str:
    """One row per case: its deadline, the least slack of its activities (weeks; negative when late, blank when
    it has no team or an activity is not scheduled) and, for a case that will miss its deadline, the reason; the
    cases that will miss one first, then by deadline."""
    unallocated = {str(u.get("case_id")): u for u in result.get("unallocated", [])}
    reasons = {case["case_id"]: _case_reason(case, unallocated) for case in result["cases"]}
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=CASE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for case in sorted(result["cases"], key=lambda c: (not reasons[c["case_id"]], c["planning_deadline"],
                                                       c["case_id"])):
        slack = case.get("slack_weeks")
        writer.writerow({
            "case_id": case["case_id"], "learner_id": case["learner_id"], "transition": case["transition"],
            "statutory": case["statutory"], "deadline": case["deadline"],
            "planning_deadline": case["planning_deadline"], "latest_review": case["latest_review"],
            "team_id": case["team_id"] or "", "receiving_setting_id": case.get("receiving_setting_id") or "",
            "receiving_source": case.get("receiving_source") or "", "tier": case["tier"],
            "slack_weeks": "" if slack is None else slack, "misses_deadline": bool(reasons[case["case_id"]]),
            "reason": reasons[case["case_id"]],
        })
    return buffer.getvalue()


TEAM_WEEK_COLUMNS = ("team_id", "team_name", "week", "week_commencing", "hours_booked", "hours_available",
                     "share_booked", "over_capacity", "extra_hours_to_meet_deadlines")


def team_weeks_csv(result: dict[str, Any]) -> str:
    """One row per team and week of the year: hours booked against the hours available (none in the holidays),
    the share booked, whether the week is over (never, for a plan the solver returns) and the extra hours that week
    would need for every deadline to be met (when the team is late)."""
    start = date.fromisoformat(result["calendar"]["start"])
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=TEAM_WEEK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for team in result["teams"]:
        booked, available = team["load_hours_by_week"], team["capacity_hours_by_week"] or [0.0] * len(
            team["load_hours_by_week"])
        extra = team.get("extra_hours_by_week") or {}
        for week, (hours, cap) in enumerate(zip(booked, available, strict=False)):
            writer.writerow({
                "team_id": team["team_id"], "team_name": team["name"], "week": week,
                "week_commencing": (start + timedelta(weeks=week)).isoformat(), "hours_booked": hours,
                "hours_available": cap, "share_booked": round(hours / cap, 3) if cap else "",
                "over_capacity": hours > cap + 1e-9, "extra_hours_to_meet_deadlines": extra.get(str(week), ""),
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
<tr><th>Slack</th><td>{% if case.slack_weeks is none %}not all activities scheduled{% else %}{{ case.slack_weeks }}
week(s){% endif %}{% if case.misses_deadline %} <span class="late">will miss the deadline: {{ case.reason }}</span>
{% endif %}</td></tr>
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


def _weeks(slack: Any) -> str:
    return "n/a (not all scheduled)" if slack is None else f"{slack} week(s)"


def team_ics(result: dict[str, Any], team_id: str, generated: datetime | None = None) -> str:
    """The team's scheduled activities as an iCalendar file: one week-long all-day event per activity."""
    stamp = (generated or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//placeplan//transitions//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_escape(f'Transitions {team_id}')}"]
    unallocated = {str(u.get("case_id")): u for u in result.get("unallocated", [])}
    mine = [c for c in result["cases"] if c["team_id"] == team_id]
    reasons = {c["case_id"]: _case_reason(c, unallocated) for c in mine}
    # The cases that will miss a deadline first (calendar apps sort by date; the file reads in this order)
    for case in sorted(mine, key=lambda c: (not reasons[c["case_id"]], c["planning_deadline"], c["case_id"])):
        for act in case["activities"]:
            if act["week_commencing"] is None:
                continue
            monday = date.fromisoformat(act["week_commencing"])
            saturday = monday + timedelta(days=5)
            late = f"WILL MISS DEADLINE: {reasons[case['case_id']]}. " if reasons[case["case_id"]] else ""
            summary = f"{'LATE ' if act['weeks_late'] else ''}{act['kind']} - learner {case['learner_id']} " \
                      f"({case['transition'].replace('_', ' ')})"
            slack = act["due_week"] - act["week"]
            description = (f"{late}{act['hours']} h; due by {act['due_date']} (slack {slack} week(s)"
                           f"{'; late' if slack < 0 else ''}); case deadline {case['deadline']} "
                           f"({'statutory' if case['statutory'] else 'local rule'}; planned to "
                           f"{case['planning_deadline']}); case slack {_weeks(case.get('slack_weeks'))}; "
                           f"tier {case['tier']}")
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
