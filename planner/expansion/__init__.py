"""The expansion programme optimiser: which projects to fund, at what size and when, within a budget.

- `model`: the multi-period capacitated facility-location MIP (MathOpt/HiGHS) on plain arrays;
- `demand`: demand and allocation rules taken from the forecast and the sufficiency model;
- `programme`: projects, parameters and `run_expansion` on an instance;
- `followup`: what is asked after the main solve (budget frontier, marginal values, robust KPIs);
- `draws`: a fixed programme re-solved under each forecast draw (the robust KPIs);
- `local_search`: the greedy and local search that give the MIP its first programme;
- `candidates_csv`, `model_data`, `money`: the council's candidate projects file, the model's plain data types,
  and the programme's money figures;
- `cflp`: the OR-Library capacitated facility location reader mapped onto the model (exactness tests).

May import `planner.domain`, `planner.solving`, `planner.forecast` and `planner.sufficiency`.
"""
