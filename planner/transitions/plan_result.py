"""A transition plan as JSON-ready data: objective, bounds and gaps stated honestly, each case's activities, each
team's hours week by week, and the dashboard counts (pseudonymous ids only)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from planner.domain.codes import ncy_label
from planner.domain.models import Instance
from planner.solving.cpsat import relative_gap
from planner.transitions.cases import TransitionCase, TransitionParameters, team_week_capacity
from planner.transitions.joint_bound import JointBound
from planner.transitions.levelling import load_profile
from planner.transitions.schedule import TeamScheduleProblem
from planner.transitions.school_calendar import SchoolCalendar


def bound_statistics(objective: float, allocation: Any, allocation_mip: dict[str, Any],
                     whole: JointBound) -> dict[str, Any]:
    """Objective, the whole problem's valid bound and gap, and the allocation MIP's own figures under its name."""
    gap = relative_gap(objective, whole.bound) if allocation.objective is not None else None
    return {
        "objective": objective, "bound": whole.bound, "gap": gap, "bound_method": whole.method,
        "bound_detail": {"no_capacity": whole.no_capacity_bound, "joint_lp": whole.lp_bound,
                         "joint_lp_columns": whole.lp_variables, "lagrangian": whole.lagrangian_bound,
                         "lagrangian_iterations": whole.lagrangian_iterations,
                         "wall_seconds": round(whole.wall_seconds, 3), "notes": whole.notes},
        "allocation_gap": allocation_mip.get("gap"),
        "allocation": allocation_mip,
        "gap_rule": "objective = allocation cost (travel + fit + penalty per unallocated case) + late_week_cost x "
                    "weighted weeks late (left-out activities included); bound = a lower bound valid for the whole "
                    "problem (allocation + weekly schedule + lateness together: the largest of the no-capacity, "
                    "joint time-indexed LP and Lagrangian bounds, planner.transitions.joint_bound); gap = "
                    "(objective - bound) / objective. allocation_gap is the allocation MIP's gap over its half-term "
                    "budgets only, not the problem's.",
    }


def plan_status(allocation: Any, objective: float, bound: float) -> str:
    """OPTIMAL only when the plan meets the whole problem's bound; a decomposition that is optimal step by step
    (e.g. cases left unallocated that a lateness price could have covered) is FEASIBLE."""
    if allocation.objective is None:
        return str(allocation.status)
    return "OPTIMAL" if objective <= bound else "FEASIBLE"


def assemble_result(instance: Instance, params: TransitionParameters, calendar: SchoolCalendar,
                    cases: list[TransitionCase], allocation: Any, schedules: dict[str, Any],
                    problems: dict[str, TeamScheduleProblem], shortfall: list[dict[str, Any]],
                    wall: float, allocation_mip: dict[str, Any], whole: JointBound) -> dict[str, Any]:
    schedule_cost = sum(s.objective for s in schedules.values()) * params.late_week_cost
    allocation_objective = allocation.objective if allocation.objective is not None else 0.0
    objective = allocation_objective + schedule_cost
    status = plan_status(allocation, objective, whole.bound)
    late_cases = sorted({row["case_id"] for row in shortfall})
    week_of_activity: dict[str, int | None] = {}
    minutes_of_activity: dict[str, int] = {}
    for team_id, schedule in schedules.items():
        week_of_activity.update(schedule.week_by_activity)
        minutes_of_activity.update({a.activity_id: a.minutes for a in problems[team_id].activities})
    plans = [case_plan(case, allocation.team_by_case.get(case.case_id), week_of_activity, minutes_of_activity,
                       calendar) for case in cases]
    week_hours = {team_id: max(p.capacity, default=0) / 60 for team_id, p in problems.items()}
    plans = with_deadline_status(plans, allocation.unallocated, week_hours)
    team_rows, weeks_over = team_rows_and_overload(instance, calendar, allocation, schedules, problems,
                                                   params.outreach.availability)
    return {
        "status": status,
        "year": params.year,
        "academic_year": calendar.academic_year,
        "calendar": {"start": calendar.start.isoformat(), "weeks": calendar.weeks,
                     "school_weeks": calendar.school_weeks(),
                     "blocks": [b.model_dump(mode="json") for b in calendar.blocks]},
        "cases": plans,
        "teams": team_rows,
        "unallocated": allocation.unallocated,
        "receiving_settings": {
            "placement_run_id": params.placement_run_id,
            "rule": "pinned setting; else the latest placement run's proposal; else the family's first request, "
                    "only when there is no placement run (CFA 2014 s38-39); staying on in an all-through setting",
            "by_source": dict(sorted(Counter(c.receiving_source or "to_be_named" for c in cases).items())),
        },
        "extra_hours_to_allocate_by_team": {team: round(v / 60, 1)
                                            for team, v in allocation.extra_minutes_by_team.items()},
        "shortfall": shortfall,
        "counts": counts(cases, allocation.team_by_case, late_cases),
        "statistics": {
            "wall_seconds": round(wall, 3),
            **bound_statistics(objective, allocation, allocation_mip, whole),
            "cases": len(cases), "teams": len(instance.teams), "late_cases": len(late_cases),
            "weeks_over_capacity": weeks_over,
            "load_levelling": levelling_statistics(team_rows),
            "breakdown": {"travel_and_fit_cost": allocation.breakdown.get("cost", 0),
                          "unallocated_penalty": allocation.breakdown.get("unallocated_penalty", 0),
                          "lateness_cost": schedule_cost,
                          "unallocated_cases": allocation.breakdown.get("unallocated", 0),
                          "moved_after_scheduling": allocation.breakdown.get("moved_after_scheduling", 0),
                          "placed_at_a_lateness_price": allocation.breakdown.get("placed_at_a_lateness_price", 0)},
        },
    }


def levelling_statistics(team_rows: list[dict[str, Any]]) -> dict[str, float]:
    """Over the teams with work: the highest weekly share of hours, the mean spread of weekly shares, and the mean
    share of a team's booked hours in its first 3 term-time weeks (front-loading)."""
    busy = [t for t in team_rows if any(t["load_hours_by_week"])]
    if not busy:
        return {"peak_load_share": 0.0, "mean_load_share_spread": 0.0, "mean_first_3_weeks_share": 0.0}
    return {"peak_load_share": max(t["peak_load_share"] for t in busy),
            "mean_load_share_spread": round(sum(t["load_share_spread"] for t in busy) / len(busy), 3),
            "mean_first_3_weeks_share": round(sum(t["first_3_weeks_share"] for t in busy) / len(busy), 3)}


def team_rows_and_overload(instance: Instance, calendar: SchoolCalendar, allocation: Any,
                           schedules: dict[str, Any], problems: dict[str, TeamScheduleProblem],
                           availability: float = 1.0) -> tuple[list[dict[str, Any]], int]:
    """Each team's hours booked against its hours, week by week and term by term; and the number of (team, week)
    pairs booked above the team's hours (0 for every schedule the solver returns)."""
    rows: list[dict[str, Any]] = []
    over = 0
    for team in instance.teams:
        schedule = schedules.get(team.id)
        load = [0] * calendar.weeks
        capacity = list(problems[team.id].capacity) if team.id in problems else \
            team_week_capacity(team.hours_per_week, calendar, availability)  # a team with no cases: all its hours
        if schedule is not None:
            for act in problems[team.id].activities:
                week = schedule.week_by_activity.get(act.activity_id)
                if week is not None:
                    load[week] += act.minutes
        over += sum(1 for used, hours in zip(load, capacity, strict=False) if used > hours)
        profile = load_profile(problems[team.id], schedule.week_by_activity) if schedule is not None else None
        rows.append({
            "team_id": team.id, "name": team.name,
            "cases": sum(1 for team_id in allocation.team_by_case.values() if team_id == team.id),
            "status": schedule.status if schedule else "EMPTY",
            "lateness_objective": schedule.objective if schedule else 0.0,
            "lateness_bound": schedule.bound if schedule else 0.0,
            "hours_by_term": {t.value: round(v / 60, 1) for t, v in allocation.used[team.id].items()},
            "capacity_hours_by_term": {t.value: round(v / 60, 1) for t, v in allocation.capacity[team.id].items()},
            "load_hours_by_week": [round(m / 60, 2) for m in load],
            "capacity_hours_by_week": [round(m / 60, 2) for m in capacity],
            "extra_hours_by_week": {str(w): round(m / 60, 2) for w, m in
                                    (schedule.extra_minutes_by_week.items() if schedule else [])},
            "extra_hours_status": schedule.extra_status if schedule else None,
            # How level the load is: the busiest week's share of its hours, the spread (standard deviation) of the
            # weekly shares, and the share of the year's booked hours in the first 3 term-time weeks
            "peak_load_share": round(profile.peak_share, 3) if profile else 0.0,
            "load_share_spread": round(profile.spread, 3) if profile else 0.0,
            "first_3_weeks_share": round(profile.first_weeks_share, 3) if profile else 0.0,
        })
    return rows, over


def case_plan(case: TransitionCase, team_id: str | None, week_of_activity: dict[str, int | None],
              minutes_of_activity: dict[str, int], calendar: SchoolCalendar) -> dict[str, Any]:
    """One learner's transition plan as JSON-ready data (pseudonymous ids only)."""
    activities: list[dict[str, Any]] = []
    for act in case.activities:
        week = week_of_activity.get(act.activity_id) if team_id is not None else None
        activities.append({
            "activity_id": act.activity_id, "kind": act.kind.value,
            "hours": round(minutes_of_activity.get(act.activity_id, act.minutes) / 60, 2),
            "week": week, "week_commencing": calendar.monday(week).isoformat() if week is not None else None,
            "due_week": act.due_week, "due_date": act.due_date.isoformat(),
            "weeks_late": max(0, week - act.due_week) if week is not None else None,
            "scheduled": week is not None,
        })
    return {
        "case_id": case.case_id, "learner_id": case.learner_id, "transition": case.transition.value,
        "ncy_now": ncy_label(case.ncy_now) if case.ncy_now is not None else "unknown",
        "ncy_next": "unknown" if case.ncy_next is None else ncy_label(case.ncy_next) if case.ncy_next <= 20 else "end",
        "need": case.need.value, "locality_id": case.locality_id,
        "current_setting_id": case.current_setting_id, "receiving_setting_id": case.receiving_setting_id,
        "receiving_source": case.receiving_source,
        "changes_setting": case.changes_setting, "statutory": case.statutory,
        "deadline": case.deadline.isoformat(), "planning_deadline": case.planning_deadline.isoformat(),
        "latest_review": case.latest_review.isoformat(), "transfer_date": case.transfer_date.isoformat(),
        "weeks_left": case.weeks_left, "preparing_for_adulthood": case.preparing_for_adulthood,
        "score": case.proposal.score, "tier": case.proposal.tier.value,
        "rules": [r.model_dump() for r in case.proposal.fired],
        "team_id": team_id, "activities": activities,
        "late": any((a["weeks_late"] or 0) > 0 for a in activities) or (team_id is not None and any(
            not a["scheduled"] for a in activities)),
    }


def case_shortfall_reason(case: dict[str, Any], unallocated: dict[str, dict[str, Any]],
                          week_hours: dict[str, float] | None = None) -> str:
    """Why a case will miss a deadline ("" when it will not): no team, activities left out (longer than any week
    of the team's hours, or the team's weeks are full), or weeks late."""
    if case["team_id"] is None:
        entry = unallocated.get(case["case_id"], {})
        return f"no team: {entry.get('reason', 'not allocated')}"
    left_out = [a for a in case["activities"] if not a["scheduled"]]
    if left_out:
        most = (week_hours or {}).get(case["team_id"])
        too_long = sorted({a["kind"] for a in left_out if most is not None and a["hours"] > most})
        if too_long:
            return f"{len(left_out)} activities not scheduled this year: " + ", ".join(too_long) + \
                   f" needs more than the team's {most:g} hours in a week"
        return f"{len(left_out)} activities not scheduled this year (the team's weeks are full): " \
               + ", ".join(sorted({a["kind"] for a in left_out}))
    late = [f"{a['kind']} {a['weeks_late']} week(s) late (due {a['due_date']})" for a in case["activities"]
            if (a["weeks_late"] or 0) > 0]
    return "; ".join(late)


def case_slack_weeks(case: dict[str, Any]) -> int | None:
    """The least slack over a case's activities: weeks between the week each is booked in and its due week
    (negative when late); None when the case has no team or an activity is not scheduled."""
    if case["team_id"] is None or not case["activities"] or not all(a["scheduled"] for a in case["activities"]):
        return None
    return min(a["due_week"] - a["week"] for a in case["activities"])


def with_deadline_status(plans: list[dict[str, Any]], unallocated: list[dict[str, Any]],
                         week_hours: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Each case with its slack and whether (and why) it will miss a deadline; the cases that will miss one first
    (earliest deadline first), then the rest by deadline. `week_hours`: each team's most hours in a week."""
    by_case = {str(u.get("case_id")): u for u in unallocated}
    for plan in plans:
        plan["reason"] = case_shortfall_reason(plan, by_case, week_hours)
        plan["misses_deadline"] = bool(plan["reason"])
        plan["slack_weeks"] = case_slack_weeks(plan)
    return sorted(plans, key=lambda p: (not p["misses_deadline"], p["planning_deadline"], p["case_id"]))


def counts(cases: list[TransitionCase], team_by_case: dict[str, str | None],
           late_cases: list[str]) -> dict[str, Any]:
    """Aggregates for dashboards (no learner ids): by transition, tier, team, need; late and unallocated."""
    def tally(values: list[str]) -> dict[str, int]:
        result: dict[str, int] = {}
        for value in values:
            result[value] = result.get(value, 0) + 1
        return dict(sorted(result.items()))

    return {
        "cases": len(cases),
        "by_transition": tally([c.transition.value for c in cases]),
        "by_tier": tally([c.proposal.tier.value for c in cases]),
        "by_need": tally([c.need.value for c in cases]),
        "by_team": tally([team_by_case.get(c.case_id) or "unallocated" for c in cases]),
        "preparing_for_adulthood": sum(1 for c in cases if c.preparing_for_adulthood),
        "late": len(late_cases),
        "unallocated": sum(1 for c in cases if team_by_case.get(c.case_id) is None),
    }
