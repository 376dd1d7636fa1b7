"""Rule values per (learner, setting) arc and their exact lexicographic composition into integer costs.

Lexicographic by big-M weights, computed from bounds so the order is exact: for two assignments their difference
decomposes into simple cycles of the residual network, and a simple cycle uses at most K learner arcs, K being
the number of distinct nodes a learner arc can land on (settings, phase nodes, "unplaced"). So if a level's weight
exceeds K x (largest lower-level composite of any one arc), no trade on lower levels can pay for one unit on a
higher level. Levels are packed top-first into stages whose composite fits safely in int64 for OR-Tools'
cost scaling; between stages the solver restricts itself to the optimal face of the previous stage.

The first level, "placed" on its own (`PlacementParameters` refuses anything else), is always a stage of its own:
place as many learners as possible first, whatever the other levels hold. The residual-cycle argument covers the
flow, not plans with sibling groups kept whole, where one more placement may need many groups moved (more learner
arcs than K); a stage of its own keeps "placed" exact there too, with no weight to prove.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from planner.domain.codes import DEFAULT_COST_PER_PLACE
from planner.domain.models import Instance, Setting
from planner.placement.params import ObjectiveRule, PlacementParameters

# OR-Tools' min-cost flow scales costs by (nodes + 1) internally; keep max arc cost x (nodes + 1) below this.
SAFE_COST_PRODUCT = 2**61  # measured: OR-Tools 9.15 accepts up to about 3.8e18 / (nodes + 1)


def setting_cost_units(setting: Setting, parameters: PlacementParameters) -> int:
    """Annual cost of a place in the cost rule's unit (the setting's own figure, else the kind's default)."""
    gbp = setting.cost_per_place or DEFAULT_COST_PER_PLACE[setting.kind]
    return (gbp + parameters.cost_unit_gbp // 2) // parameters.cost_unit_gbp


def preference_value(rank: int | None, requested: int, parameters: PlacementParameters) -> int:
    """0 for the first choice, rank - 1 for later choices, the unmet penalty when none is named."""
    if requested == 0:
        return 0  # no request: nothing to honour
    if rank is None:
        return parameters.unmet_preference_penalty
    return min(rank - 1, parameters.unmet_preference_penalty - 1)


@dataclass(frozen=True)
class RuleValues:
    """Integer rule values for each learner arc (arrays aligned with the arcs)."""

    values: dict[ObjectiveRule, NDArray[np.int64]]

    def level(self, level: dict[ObjectiveRule, int]) -> NDArray[np.int64]:
        first = next(iter(self.values.values()))
        total = np.zeros_like(first)
        for rule, weight in level.items():
            total = total + weight * self.values[rule]
        return total


@dataclass(frozen=True)
class Stage:
    """Consecutive objective levels solved together with exact big-M weights."""

    levels: tuple[int, ...]
    weights: tuple[int, ...]  # multiplier of each level inside the stage composite

    def composite(self, level_values: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        total = np.zeros_like(level_values[0])
        for level, weight in zip(self.levels, self.weights, strict=True):
            total = total + weight * level_values[level]
        return total


def pack_stages(level_values: list[NDArray[np.int64]], landing_nodes: int, num_nodes: int,
                num_learners: int) -> list[Stage]:
    """Group the levels top-first into stages whose exact composite cannot overflow; level 0 ("placed") alone first.

    `landing_nodes` bounds the learner arcs in a simple residual cycle (distinct nodes learner arcs enter).
    """
    k = max(1, min(landing_nodes, max(num_learners, 1))) + 1
    limit = SAFE_COST_PRODUCT // max(num_nodes + 1, num_learners + 1)
    maxima = [int(v.max()) if v.size else 0 for v in level_values]
    if any(v.size and int(v.min()) < 0 for v in level_values):
        raise ValueError("objective: rule values must be non-negative")
    # Place as many as possible first: the "placed" level is never traded against another level in one stage.
    stages: list[Stage] = [Stage(levels=(0,), weights=(1,))] if level_values else []
    start = 1
    while start < len(level_values):
        if maxima[start] > limit:
            raise ValueError(f"objective level {start} has values up to {maxima[start]}, too large for an exact "
                             "solve: raise cost_unit_gbp")
        end = start + 1
        while end < len(level_values):
            weights = _weights(maxima[start:end + 1], k)
            if _max_composite(maxima[start:end + 1], weights) > limit:
                break
            end += 1
        weights = _weights(maxima[start:end], k)
        stages.append(Stage(levels=tuple(range(start, end)), weights=tuple(weights)))
        start = end
    return stages


def _weights(maxima: list[int], k: int) -> list[int]:
    """Weights from the bottom up: each level outweighs K times the largest lower composite of one arc."""
    weights = [0] * len(maxima)
    lower_max = 0
    for pos in range(len(maxima) - 1, -1, -1):
        weights[pos] = 1 if pos == len(maxima) - 1 else k * lower_max + 1
        lower_max = weights[pos] * maxima[pos] + lower_max
    return weights


def _max_composite(maxima: list[int], weights: list[int]) -> int:
    return sum(w * m for w, m in zip(weights, maxima, strict=True))


def annual_cost_gbp(setting: Setting) -> int:
    """A place's annual cost in pounds: the setting's own figure, else its kind's default."""
    return setting.cost_per_place or DEFAULT_COST_PER_PLACE[setting.kind]


def _over_resources(settings: tuple[Setting, ...], threshold: int, arc_row: NDArray[np.int64],
                    col: NDArray[np.int64], placed_arc: NDArray[np.bool_], learners: int) -> NDArray[np.bool_]:
    """Arcs to settings dearer than the learner's cheapest eligible setting by more than the threshold (the
    efficient use of resources ground, CFA 2014 s39(4)(b)): such a request scores as not requested."""
    gbp = np.array([annual_cost_gbp(s) for s in settings], dtype=np.int64)
    arc_gbp = gbp[col]
    cheapest = np.full(learners, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(cheapest, arc_row[placed_arc], arc_gbp[placed_arc])
    return placed_arc & (arc_gbp > cheapest[arc_row] + threshold)


def _stability(parameters: PlacementParameters, learner_ids: tuple[str, ...], arc_row: NDArray[np.int64],
               arc_col: NDArray[np.int64], column: dict[str, int]) -> NDArray[np.int64]:
    """1 on every arc that moves a learner from the setting an earlier run proposed (-1: unplaced there)."""
    previous = parameters.previous_proposals
    if not previous:
        return np.zeros(len(arc_row), dtype=np.int64)
    unknown = -2  # not in the earlier run: no proposal to keep
    earlier = np.array([unknown if lid not in previous else
                        (-1 if previous[lid] is None else column.get(previous[lid] or "", unknown))
                        for lid in learner_ids], dtype=np.int64)
    kept = earlier[arc_row]
    return ((kept != unknown) & (arc_col != kept)).astype(np.int64)


def rule_values(instance: Instance, parameters: PlacementParameters, learner_ids: tuple[str, ...],
                arc_row: NDArray[np.int64], arc_col: NDArray[np.int64],
                minutes: NDArray[np.int64]) -> RuleValues:
    """Rule values for learner arcs; `arc_col` -1 is the "unplaced" arc, `minutes` the arcs' journey minutes."""
    settings = instance.settings
    placed_arc = arc_col >= 0
    col = np.where(placed_arc, arc_col, 0)
    restrictiveness = np.array([parameters.restrictiveness_of(s.kind) for s in settings], dtype=np.int64)
    cost = np.array([setting_cost_units(s, parameters) for s in settings], dtype=np.int64)
    requested_count = np.array([len(instance.learner_by_id[i].requested_setting_ids) for i in learner_ids],
                               dtype=np.int64)
    column = {s.id: c for c, s in enumerate(settings)}
    unmet = np.where(requested_count[arc_row] > 0, parameters.unmet_preference_penalty, 0).astype(np.int64)
    preference = unmet.copy()
    rank_keys: dict[int, int] = {}
    width = len(settings) + 1
    for row, learner_id in enumerate(learner_ids):
        for rank, setting_id in enumerate(instance.learner_by_id[learner_id].requested_setting_ids, start=1):
            rank_keys[row * width + column[setting_id]] = rank
    if rank_keys:
        keys = np.array(sorted(rank_keys), dtype=np.int64)
        ranks = np.array([rank_keys[k] for k in keys.tolist()], dtype=np.int64)
        arc_keys = arc_row * width + col
        pos = np.clip(np.searchsorted(keys, arc_keys), 0, len(keys) - 1)
        hit = placed_arc & (keys[pos] == arc_keys)
        if parameters.resources_threshold_gbp is not None:
            hit &= ~_over_resources(settings, parameters.resources_threshold_gbp, arc_row, col, placed_arc,
                                    len(learner_ids))
        preference[hit] = np.minimum(ranks[pos[hit]] - 1, parameters.unmet_preference_penalty - 1)
    values = {
        ObjectiveRule.STABILITY: _stability(parameters, learner_ids, arc_row, arc_col, column),
        ObjectiveRule.PLACED: (~placed_arc).astype(np.int64),
        ObjectiveRule.PREFERENCE: preference,
        ObjectiveRule.RESTRICTIVENESS: np.where(placed_arc, restrictiveness[col], 0).astype(np.int64),
        ObjectiveRule.TRAVEL: np.where(placed_arc, minutes, 0).astype(np.int64),
        ObjectiveRule.COST: np.where(placed_arc, cost[col], 0).astype(np.int64),
    }
    return RuleValues(values=values)
