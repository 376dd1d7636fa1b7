"""Transition support: who faces a key transition, by when, with what support, from which team, in which weeks.

- `planning`: `plan_transitions`, `run_transitions` (the entry points; re-exports the case model);
- `cases`: `find_transitions`, the case model, the receiving setting, each case's activities;
- `support`: the transparent rules giving each case a risk score, a tier and its activities;
- `deadlines`: the statutory dates (SEND Regulations 2014, Code of Practice 2015);
- `casework_calendar`, `statutory_plan`: the statutory casework calendar of every learner with a plan;
- `school_calendar`: term and holiday weeks;
- `gap`: the generalised assignment problem (CP-SAT, greedy, LP bound); `gap_types`: the same solved over case
  types; `gap_exact`: HiGHS MIP beside a one-worker CP-SAT (`placeplan gap`); `gap_file`: the OR-Library reader;
- `outreach`: cases allocated to outreach teams (GAP over term windows); `rebalance`: moving cases a team's
  schedule cannot fit, placing unallocated cases at a lateness price;
- `schedule`: one team's week-by-week schedule (CP-SAT); `schedule_bound`: its time-indexed LP bound;
- `joint_problem`, `joint_bound`, `lagrangian_bound`: the whole problem (allocation + schedule + lateness) and its
  valid lower bounds; `plan_result`: the JSON result.

May import `planner.domain` and `planner.solving`.
"""
