"""Robust KPIs of a fixed programme: its allocation re-solved under each forecast draw, one model for all draws.

Why a module of its own: a draw differs from the plan only in its demand, so the programme's model is built once
(over the draws' envelope, so every flow any draw needs exists) and each draw re-solves it as a warm-started HiGHS
LP with only the demand rows changed. Rebuilding the model per draw (as `evaluate_programme` used to) took about
1.5 s a draw on the county, so only 2 of 10 draws fitted in the default time limit; a re-solve takes tenths of a
second. With the programme fixed the model has no choice left but the allocation, so the LP's answer is the MIP's
(tests/expansion/test_expansion.py checks each draw against a fresh solve of that draw).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import highspy
import numpy as np

from planner.expansion.local_search import ProgrammeEvaluator
from planner.expansion.model import ExpansionData, ObjectiveWeights, SolveOptions, build_expansion_model


class DrawEvaluator:
    """Unmet and out-of-area learner-years of one fixed programme (`data`: projects forced in or out, no budgets,
    its demand the draws' envelope, `envelope_of`) under any demand path of that shape within the envelope."""

    def __init__(self, data: ExpansionData, weights: ObjectiveWeights) -> None:
        # No strong links: with every build fixed they add nothing to the allocation, and their coefficients
        # would depend on the demand.
        built = build_expansion_model(data, weights, SolveOptions(strong_links=False))
        self.build_seconds = built.build_seconds
        self.evaluator = ProgrammeEvaluator(built.model, built.builds)
        position, row_of = self.evaluator.position, self.evaluator.row
        self.groups = [group.members for group in built.groups]
        self.keys = list(built.demand_rows)
        self.rows = np.array([row_of[built.demand_rows[key].id] for key in self.keys], dtype=np.int32)
        self.unmet_columns = np.array([position[v.id] for v in built.unmet_vars.values()], dtype=np.int32)
        outside = [position[v.id] for v in built.oa_vars.values()]
        outside += [position[v.id] for (a, _), v in built.flow.items()
                    if data.is_out_of_area_source(data.arcs[a].source)]
        self.out_of_area_columns = np.array(outside, dtype=np.int32)
        grouped = {d for members in self.groups for d in members}
        # Demand points no setting can serve (no arcs, no out-of-area fallback) are unmet whatever the programme:
        # the model counts them as a constant, so they are added here per draw.
        self.unserved = [d for d in range(len(data.demand)) if d not in grouped]

    def evaluate(self, path: Sequence[Sequence[float]], deadline: float | None) -> tuple[float, float] | None:
        """(unmet, out-of-area) learner-years of the programme under `path`, or None (infeasible or out of time)."""
        need = np.array([sum(path[d][t] for d in self.groups[g]) for g, t in self.keys])
        highs = self.evaluator.highs
        for row, value in zip(self.rows.tolist(), need.tolist(), strict=True):
            highs.changeRowBounds(row, value, value)  # one by one: highspy's stubs lack the batch call
        highs.setOptionValue("time_limit", float("inf") if deadline is None else max(
            0.0, deadline - time.perf_counter()))
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.array(highs.getSolution().col_value)
        constant = sum(max(0.0, value) for d in self.unserved for value in path[d])
        return float(values[self.unmet_columns].sum()) + constant, float(values[self.out_of_area_columns].sum())


def envelope_of(paths: Sequence[Sequence[Sequence[float]]]) -> list[list[float]]:
    """Per demand point and year, the largest demand of any path (so the model has every flow any path needs)."""
    return np.max(np.array(paths, dtype=float), axis=0).tolist()
