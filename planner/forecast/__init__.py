"""The cohort forecast of EHC plan demand.

- `rates`: joiner, leaver and mover rates estimated from a caseload history (national defaults where none);
- `simulation`: the Markov cohort projection with Monte Carlo bands (`forecast`, `run_forecast`);
- `backtest`: fit on history up to an earlier year, compare with what happened;
- `levers`: what-if demand levers mapped onto the forecast's parameters.

May import `planner.domain` and `planner.solving`.
"""
