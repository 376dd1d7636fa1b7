"""Place planning for English local authorities' SEND services: domain models and solvers.

This package knows nothing of HTTP or databases; `api/` adapts it for the service and the CLI, `scenarios/`
builds councils and what-if edits on it.

Where things live (each sub-package's docstring says more):

- `planner.domain`: models, code tables, academic calendar, travel times and journey limits (imports nothing else
  of ours);
- `planner.solving`: solver plumbing: progress and cancellation, CP-SAT helpers, the MathOpt proto builder
  (imports nothing else of ours);
- `planner.placement`: placement rounds: who, eligibility, objective, min-cost flow, siblings, explanations;
- `planner.forecast`: the cohort forecast: rates, simulation, backtest, what-if levers;
- `planner.sufficiency`: places against forecast need, year by year (uses the forecast);
- `planner.expansion`: the expansion programme optimiser: MIP, demand, OR-Library CFLP reader (uses the forecast and
  sufficiency);
- `planner.transitions`: transition cases, support rules, deadlines, outreach GAP, weekly schedules and bounds;
- `planner.validation`: solver-independent checks of plans and schedules (the tests' oracle);
- `planner.areas`: localities (derived or imported) and default outreach teams for any council;
- `planner.io`: importers of council files, exports and charts (uses the domain and the solvers' results).

The layers go one way: domain <- solvers <- io <- scenarios <- api/CLI (tests/test_layers.py checks it).
"""

__version__ = "0.1.0"
