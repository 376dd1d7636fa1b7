"""Solver-independent checks, recomputed from the domain in plain Python: the executable spec and test oracle.

- `placement`: every hard rule and statistic of a placement plan;
- `schedule`: every rule of a team's transition schedule.

May import `planner.domain`, `planner.solving` and the solvers' problem and result models.
"""
