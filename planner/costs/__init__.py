"""High-needs cost model: what a placement pattern costs a council each year, and what a programme saves.

- `assumptions`: annual cost per place by type of provision x phase, transport per transported learner by distance
  band, the cost of unmet need by need (the independent or out-of-area placement it forces), inflation; published
  defaults with their source and year, overridable per council (`instance.metadata["cost_assumptions"]`), per run
  and per setting (`setting_costs`, or the setting's own recorded `cost_per_place`).
- `projection`: the money view of one allocation (a sufficiency result): a projection of high-needs placement
  spend by type, transport and unmet need per year, capital, and against a baseline the savings and payback year.
- `outputs`: CSV, XLSX and PNG of one or more money views.

May import `planner.domain` and `planner.sufficiency` (a solver layer package; tests/test_layers.py).
"""
