"""Transition support: who faces a key transition, by when, with what support, from which team, in which weeks.

- `planning`: `find_transitions`, `plan_transitions`, `run_transitions` (the entry points);
- `support`: the transparent rules giving each case a risk score, a tier and its activities;
- `deadlines`: the statutory dates (SEND Regulations 2014, Code of Practice 2015);
- `school_calendar`: term and holiday weeks;
- `gap`: the generalised assignment problem (CP-SAT, greedy, LP bound); `gap_types`: the same solved over case
  types; `gap_file`: the OR-Library GAP reader;
- `outreach`: cases allocated to outreach teams (GAP over term windows); `rebalance`: moving cases a team's
  schedule cannot fit;
- `schedule`: one team's week-by-week schedule (CP-SAT); `schedule_bound`: its time-indexed LP bound.

May import `planner.domain` and `planner.solving`.
"""
