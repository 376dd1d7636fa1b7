"""Solver-independent checks of a team's transition schedule: the executable spec and the test oracle.

It re-reads the problem and the chosen weeks and checks, in plain loops with no solver code: every activity in the
year and not before its release week, precedence (and no successor without its predecessor), the team's minutes in
every week, and the weeks late it reports against each due week.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from planner.transitions.schedule import TeamScheduleProblem


@dataclass
class ScheduleCheck:
    violations: list[str] = field(default_factory=list)
    late_weeks: dict[str, int] = field(default_factory=dict)
    objective: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def check_schedule(problem: TeamScheduleProblem, weeks: Mapping[str, int | None],
                   reported_late: Mapping[str, int] | None = None) -> ScheduleCheck:
    """Every broken rule in a schedule, the weeks late per activity and the objective recomputed from scratch."""
    check = ScheduleCheck()
    by_id = {a.activity_id: a for a in problem.activities}
    for activity_id in weeks:
        if activity_id not in by_id:
            check.violations.append(f"{activity_id}: not an activity of team {problem.team_id}")
    load = [0] * problem.weeks
    for act in problem.activities:
        if act.activity_id not in weeks:
            check.violations.append(f"{act.activity_id}: missing from the schedule")
            continue
        week = weeks[act.activity_id]
        if week is None:
            check.objective += problem.unscheduled_penalty
            continue
        if not 0 <= week < problem.weeks:
            check.violations.append(f"{act.activity_id}: week {week} is outside the year (0..{problem.weeks - 1})")
            continue
        if week < act.release_week:
            check.violations.append(f"{act.activity_id}: week {week} is before its release week {act.release_week}")
        load[week] += act.minutes
        late = week - act.due_week if week > act.due_week else 0
        check.late_weeks[act.activity_id] = late
        check.objective += act.weight * late
        for pred, lag in act.predecessors:
            if pred not in by_id:
                continue
            pred_week = weeks.get(pred)
            if pred_week is None:
                check.violations.append(f"{act.activity_id}: takes place but its predecessor {pred} does not")
            elif week < pred_week + 1 + lag:
                check.violations.append(
                    f"{act.activity_id}: week {week} is before predecessor {pred} (week {pred_week}) + 1 + lag {lag}"
                )
    for week, used in enumerate(load):
        if used > problem.capacity[week]:
            check.violations.append(
                f"week {week}: {used} minutes scheduled, team {problem.team_id} has {problem.capacity[week]}"
            )
    if reported_late is not None:
        for activity_id, late in check.late_weeks.items():
            if reported_late.get(activity_id, 0) != late:
                check.violations.append(
                    f"{activity_id}: reported {reported_late.get(activity_id, 0)} weeks late, actually {late}"
                )
    return check
