"""The expansion programme optimiser: which projects to fund, at what size and when, within a budget.

- `model`: the multi-period capacitated facility-location MIP (MathOpt/HiGHS) on plain arrays;
- `demand`: demand and allocation rules taken from the forecast and the sufficiency model;
- `programme`: projects, parameters and `run_expansion` on an instance;
- `cflp`: the OR-Library capacitated facility location reader mapped onto the model (exactness tests).

May import `planner.domain`, `planner.solving`, `planner.forecast` and `planner.sufficiency`.
"""
