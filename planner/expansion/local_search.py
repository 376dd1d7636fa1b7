"""A primal heuristic for the expansion MIP: greedy, local search and kicks over programmes, each priced exactly.

Why: on the county HiGHS's own heuristics find a good programme late (40 s on a quiet machine) or, under load, not
within the time limit. Here a programme (a build choice per project) is priced by the **same** model with
its build variables fixed: what is left is an LP (the allocation), so its value is exactly the MIP objective of that
programme. The LP is solved with HiGHS directly (`highspy`) and warm-started from the previous basis, so pricing a
neighbour takes tenths of a second instead of a rebuild.

Moves are ranked by a valid estimate: the LP's value is a convex function of the fixed build variables, and their
reduced costs are a subgradient, so `objective + reduced costs . change` is a **lower bound** on a neighbour's
objective. Neighbours (one project changed: added, dropped, resized, moved in time; or two projects changed at once,
which is how a budget that is spent is reallocated) are priced best gain per pound first (from nothing: a greedy
on marginal gain per pound); a neighbour whose estimate is no better than the current programme cannot improve it
and is never priced. A descent ends at a local optimum (no neighbour's estimate is better), after `_TRIES`
neighbours in a row without gain, or at the deadline; kicks (a few projects dropped at random, seeded) restart it.
The result is handed to the MIP as a solution hint, so the MIP only ever improves on it; the MIP proves the bound.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import highspy
import numpy as np
from ortools.math_opt.python import mathopt

from planner.expansion.model_data import ExpansionData, ProjectDecision


class BuiltModel(Protocol):
    """What the search reads of a built expansion MIP (`planner.expansion.model.ExpansionModel`, which calls the
    search: importing it here would make a cycle)."""

    data: ExpansionData
    model: mathopt.Model
    builds: dict[tuple[int, int, int], mathopt.Variable]
    budget_total_row: mathopt.LinearConstraint | None

# The model's scalings (planner.expansion.model): budget rows in GBP millions, the objective in GBP thousands.
_MILLION = 1e-6
_THOUSANDTH = 1e-3

# The model's budget rows are in GBP millions; the same tolerance as the solver's feasibility (1e-7 of a million).
_BUDGET_TOLERANCE = 0.1
# A neighbour must improve the objective (solver units: GBP thousands) by more than this to be taken.
_IMPROVEMENT = 1e-6
# Pairs of changes are formed from this many best single changes (by estimate) and every change of a built project.
_PAIR_POOL = 250
# Ranking by gain per pound: GBP millions added to a change's extra capital (a change that saves capital still
# ranks by its gain).
_RATIO_OFFSET = 0.5
# Kicks (iterated local search): projects dropped from the best programme before searching again, and how many
# kicks in a row may find nothing better before the search ends (measured on the county: a kick dropping 3 found
# GBP 2,975.4m from the first local optimum's 2,977.4m; further kicks found nothing better).
_KICK_SIZE = 3
_KICKS = 5
# A descent gives up after this many neighbours in a row priced without gain (measured: never reached on the
# county; on the demo, where the estimates are looser, 40 s of exhaustive search reach GBP 458.0m with 2,258
# programmes priced, 40 tries 465.1m with 417 in 21 s: the MIP finds 454.2m itself there).
_TRIES = 40


@dataclass
class SearchResult:
    """The best programme found (choice index per project), its objective (GBP) and what the search did."""

    chosen: dict[int, int]
    objective: float
    evaluations: int = 0
    improvements: int = 0
    local_optimum: bool = False
    seconds: float = 0.0
    trace: list[float] = field(default_factory=list)
    kicks: int = 0


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance; the first one made in a process prints HiGHS's banner on stdout (before any option can
    silence it), so it is made with stdout (file descriptor 1) pointed at /dev/null for that moment."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class ProgrammeEvaluator:
    """Prices programmes: the model with its build variables fixed, as a warm-started HiGHS LP."""

    def __init__(self, model: mathopt.Model, builds: dict[tuple[int, int, int], mathopt.Variable]) -> None:
        proto = model.export_model()
        position = {var_id: i for i, var_id in enumerate(proto.variables.ids)}
        n, m = len(proto.variables.ids), len(proto.linear_constraints.ids)
        row = {row_id: i for i, row_id in enumerate(proto.linear_constraints.ids)}
        matrix = proto.linear_constraint_matrix
        cost = np.zeros(n)
        objective = proto.objective.linear_coefficients
        cost[[position[i] for i in objective.ids]] = objective.values
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = cost
        lp.col_lower_ = np.array(proto.variables.lower_bounds)
        upper = np.array(proto.variables.upper_bounds)
        lp.col_upper_ = upper
        lp.row_lower_ = np.array(proto.linear_constraints.lower_bounds)
        lp.row_upper_ = np.array(proto.linear_constraints.upper_bounds)
        lp.offset_ = proto.objective.offset
        # Row-wise sparse matrix, straight from MathOpt's (row, column, coefficient) triplets (sorted by row).
        rows = np.array([row[i] for i in matrix.row_ids], dtype=np.int64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.searchsorted(rows, np.arange(m + 1)).astype(np.int32)
        lp.a_matrix_.index_ = np.array([position[j] for j in matrix.column_ids], dtype=np.int32)
        lp.a_matrix_.value_ = np.array(matrix.coefficients)
        self.highs = _quiet_highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")  # keeps the basis, so each re-solve is warm-started
        self.highs.passModel(lp)
        self.keys = tuple(builds)
        # Where each MathOpt variable and constraint sits in the HiGHS LP (by MathOpt id).
        self.position, self.row = position, row
        self.columns = np.array([position[builds[key].id] for key in self.keys], dtype=np.int32)
        self.allowed = upper[self.columns] > 0.5  # a choice forced out (upper bound 0) is never made
        self.evaluations = 0

    def evaluate(self, ones: np.ndarray, deadline: float) -> float | None:
        """Objective (solver units) of the programme whose chosen build columns are `ones` (a 0/1 vector over the
        choices), or None when infeasible or out of time."""
        seconds = deadline - time.perf_counter()
        if seconds <= 0:
            return None
        self.highs.setOptionValue("time_limit", float(seconds))
        self.highs.changeColsBounds(len(self.columns), self.columns, ones.astype(float), ones.astype(float))
        self.highs.run()
        self.evaluations += 1
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(self.highs.getInfo().objective_function_value)

    def reduced_costs(self) -> np.ndarray:
        """Reduced costs of the build columns at the last LP solved (a subgradient of its value)."""
        return np.array(self.highs.getSolution().col_dual)[self.columns]


def _spend_matrix(
    keys: tuple[tuple[int, int, int], ...], capital: list[float], spend_years: list[int], years: list[int]
) -> np.ndarray:
    spend = np.zeros((len(keys), len(years)))
    index = {year: j for j, year in enumerate(years)}
    for i, year in enumerate(spend_years):
        spend[i, index[year]] = capital[i]
    return spend


def _within_budget(spend: np.ndarray, yearly: np.ndarray, total: float) -> np.ndarray:
    """Which rows of per-year spend (GBP millions, one row per programme) keep every budget."""
    return np.all(spend <= yearly + _BUDGET_TOLERANCE * 1e-6, axis=-1) & (spend.sum(axis=-1) <= total + 1e-7)


def _per_pound(delta: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """Estimated change of the objective per GBP million of extra capital (plus `_RATIO_OFFSET`): how a greedy on
    marginal value per pound ranks a change (negative: an improvement)."""
    return delta / (np.maximum(spend.sum(axis=-1), 0.0) + _RATIO_OFFSET)


class _Neighbourhood:
    """Single and paired changes of a programme, each with its lower-bound estimate, best gain per pound first."""

    def __init__(self, project: np.ndarray, spend: np.ndarray, yearly: np.ndarray, total: float) -> None:
        self.project, self.spend, self.yearly, self.total = project, spend, yearly, total

    def _singles(
        self, chosen: dict[int, int], rc: np.ndarray, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every change of one project (to another allowed choice, or dropped: choice -1): project, choice,
        estimated change of the objective, change of spend per year."""
        options = np.flatnonzero(allowed)
        old_of = np.array([chosen.get(int(p), -1) for p in self.project[options]], dtype=int)
        old_rc = np.where(old_of >= 0, rc[np.maximum(old_of, 0)], 0.0)
        old_spend = np.where((old_of >= 0)[:, None], self.spend[np.maximum(old_of, 0)], 0.0)
        keep = old_of != options
        options, old_rc, old_spend = options[keep], old_rc[keep], old_spend[keep]
        drops = sorted(chosen.items())
        drop_choice = np.array([c for _, c in drops], dtype=int)
        return (
            np.concatenate([self.project[options], np.array([p for p, _ in drops], dtype=int)]),
            np.concatenate([options, -np.ones(len(drops), dtype=int)]),
            np.concatenate([rc[options] - old_rc, -rc[drop_choice]]),
            np.concatenate([self.spend[options] - old_spend, -self.spend[drop_choice]]),
        )

    def moves(
        self, chosen: dict[int, int], rc: np.ndarray, objective: float, allowed: np.ndarray
    ) -> Iterator[tuple[float, tuple[tuple[int, int], ...]]]:
        """(estimate, ((project, new choice or -1), ...)) for every neighbour within budget whose estimate beats
        `objective`, best priority (estimated gain per pound of extra capital) first."""
        base = np.zeros(self.spend.shape[1])
        for c in chosen.values():
            base += self.spend[c]
        single_p, single_c, delta, spend = self._singles(chosen, rc, allowed)
        # Pairs: one change among the best singles (any budget), one change of a built project.
        pool = np.argsort(delta, kind="stable")[:_PAIR_POOL]
        built_side = np.flatnonzero(np.isin(single_p, list(chosen)))
        grid_a, grid_b = np.meshgrid(pool, built_side, indexing="ij")
        a, b = grid_a.ravel(), grid_b.ravel()
        distinct = single_p[a] != single_p[b]
        # Singles are pairs with no second change (b = -1).
        a = np.concatenate([np.arange(len(single_p)), a[distinct]])
        b = np.concatenate([-np.ones(len(single_p), dtype=int), b[distinct]])
        second = b >= 0
        est = delta[a] + np.where(second, delta[np.maximum(b, 0)], 0.0)
        extra = spend[a] + np.where(second[:, None], spend[np.maximum(b, 0)], 0.0)
        ok = np.flatnonzero((est < -_IMPROVEMENT) & _within_budget(base + extra, self.yearly, self.total))
        for i in ok[np.argsort(_per_pound(est[ok], extra[ok]), kind="stable")]:
            first = (int(single_p[a[i]]), int(single_c[a[i]]))
            yield (
                objective + float(est[i]),
                (first, (int(single_p[b[i]]), int(single_c[b[i]]))) if b[i] >= 0 else (first,),
            )


def local_search(
    evaluator: ProgrammeEvaluator,
    project: np.ndarray,
    spend: np.ndarray,
    yearly: np.ndarray,
    total: float,
    start: dict[int, int],
    deadline: float,
    tries: int | None = None,
) -> SearchResult | None:
    """Best-priority-first local search from `start` (choice index per project; {} = build nothing, so the first
    moves are the greedy's: the best addition per pound, priced). Spend and budgets in GBP millions, objectives
    in solver units; None when even the start cannot be priced in time. `tries`: stop when that many neighbours
    in a row do not improve (then `local_optimum` is False: not every neighbour was priced)."""
    started = time.perf_counter()
    neighbourhood = _Neighbourhood(project, spend, yearly, total)

    def ones(chosen: dict[int, int]) -> np.ndarray:
        vector = np.zeros(len(project))
        vector[list(chosen.values())] = 1.0
        return vector

    objective = evaluator.evaluate(ones(start), deadline)
    if objective is None:
        return None
    result = SearchResult(chosen=dict(start), objective=objective, trace=[objective])
    while time.perf_counter() < deadline:
        # Reduced costs at the current programme (the LP last solved is the current programme's).
        rc = evaluator.reduced_costs()
        improved, failures = False, 0
        for _estimate, changes in neighbourhood.moves(result.chosen, rc, result.objective, evaluator.allowed):
            if time.perf_counter() >= deadline:
                break
            candidate = dict(result.chosen)
            for p, c in changes:
                if c < 0:
                    del candidate[p]
                else:
                    candidate[p] = c
            value = evaluator.evaluate(ones(candidate), deadline)
            if value is not None and value < result.objective - _IMPROVEMENT:
                result.chosen, result.objective, improved = candidate, value, True
                result.improvements += 1
                result.trace.append(value)
                break
            failures += 1
            if tries is not None and failures >= tries:
                break
        if not improved:
            # Every neighbour whose lower bound beats the programme was priced (unless time or tries ran out first).
            result.local_optimum = time.perf_counter() < deadline and (tries is None or failures < tries)
            break
    result.evaluations = evaluator.evaluations
    result.seconds = time.perf_counter() - started
    return result


def iterated_search(
    evaluator: ProgrammeEvaluator,
    project: np.ndarray,
    spend: np.ndarray,
    yearly: np.ndarray,
    total: float,
    start: dict[int, int],
    deadline: float,
    seed: int = 0,
) -> SearchResult | None:
    """Local search from `start`, then kicks: the best programme with `_KICK_SIZE` of its projects dropped at random
    (seeded), searched again; ends after `_KICKS` kicks in a row that find nothing better, or at the deadline.
    The result is the best local optimum found; `trace` is the sequence of best objectives."""
    started = time.perf_counter()
    best = local_search(evaluator, project, spend, yearly, total, start, deadline, _TRIES)
    if best is None:
        return None
    rng = random.Random(seed)
    misses = improvements = kicks = 0
    while misses < _KICKS and best.chosen and time.perf_counter() < deadline:
        kicked = dict(best.chosen)
        for p in rng.sample(sorted(kicked), min(_KICK_SIZE, len(kicked))):
            del kicked[p]
        again = local_search(evaluator, project, spend, yearly, total, kicked, deadline, _TRIES)
        kicks += 1
        if again is not None and again.objective < best.objective - _IMPROVEMENT:
            improvements += again.improvements
            again.trace = [*best.trace, again.objective]
            best, misses = again, 0
        else:
            misses += 1
    best.improvements += improvements
    best.kicks = kicks
    best.evaluations = evaluator.evaluations
    best.seconds = time.perf_counter() - started
    return best


def _start_choices(
    built: BuiltModel, evaluator: ProgrammeEvaluator, start: Sequence[ProjectDecision]
) -> dict[int, int]:
    """A programme of decisions as the choice index per project (decisions the model cannot take are left out)."""
    data = built.data
    index = {key: i for i, key in enumerate(evaluator.keys)}
    chosen: dict[int, int] = {}
    for decision in start:
        p = next(i for i, option in enumerate(data.projects) if option.id == decision.id)
        i = index.get((p, data.projects[p].sizes.index(decision.places), data.years.index(decision.open_year)))
        if i is not None and evaluator.allowed[i]:
            chosen[p] = i
    return chosen


def search_programme(
    built: BuiltModel, start: Sequence[ProjectDecision], deadline: float, seed: int = 0
) -> tuple[list[ProjectDecision], SearchResult] | None:
    """Greedy, local search and kicks (`iterated_search`) on a built model as it stands (its total budget row and
    forced-out projects as set for this solve), from `start` (empty: build nothing). The programme found and the
    search's figures (objective in GBP), or None when nothing could be priced before `deadline`."""
    data = built.data
    evaluator = ProgrammeEvaluator(built.model, built.builds)
    keys = evaluator.keys
    spend_years = [data.spend_year(data.projects[p], data.years[t]) for p, _, t in keys]
    budget_years = sorted(set(spend_years))
    capital = [data.projects[p].capital_by_size[k] * _MILLION for p, k, _ in keys]
    spend = _spend_matrix(keys, capital, spend_years, budget_years)
    yearly = np.array([data.budget_by_year[y] * _MILLION if y in data.budget_by_year else np.inf for y in budget_years])
    row = built.budget_total_row
    total = np.inf if row is None else float(row.upper_bound)
    project = np.array([p for p, _, _ in keys], dtype=int)
    chosen = _start_choices(built, evaluator, start)
    result = iterated_search(evaluator, project, spend, yearly, total, chosen, deadline, seed)
    if result is None:
        return None
    result.objective /= _THOUSANDTH
    result.trace = [value / _THOUSANDTH for value in result.trace]
    programme = []
    for p, i in sorted(result.chosen.items()):
        _, k, t = keys[i]
        option = data.projects[p]
        programme.append(
            ProjectDecision(
                id=option.id,
                places=option.sizes[k],
                open_year=data.years[t],
                spend_year=data.spend_year(option, data.years[t]),
                capital=option.capital_by_size[k],
            )
        )
    return programme, result
