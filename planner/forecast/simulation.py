"""Cohort (Markov) projection of EHC plan demand with Monte Carlo bands.

Each learner is in a state (NCY, need, setting kind) in a locality. Year on year every learner ages one NCY and
either leaves (the plan ceases), moves to another setting kind, or stays; new plans join by NCY, need and
locality. Running this 1,000 times (all runs at once, vectorised with NumPy, counted in a cohort table of
run x cohort x need x locality) gives p10/p50/p90 of the number of learners by need x phase x locality x year,
for all plans, for those in specialist settings, and for those in alternative provision. Rates come from
`planner.forecast.rates` (history shrunk to national) or from the user, and scenario levers scale joiners, cap
growth, and shift moves between setting kinds from a given year.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.domain.codes import NCY_MAX, NCY_MIN, Need, Phase, SettingKind
from planner.domain.models import Instance, NeedForecast
from planner.forecast.rates import (
    ALTERNATIVE_PROVISION_KIND,
    FIRST_SPECIALIST_KIND,
    KIND_INDEX,
    KIND_LABELS,
    N_NCY,
    NEEDS,
    PHASE_OF_NCY_INDEX,
    PHASES,
    EstimationSettings,
    ForecastRates,
    G,
    K,
    RateArrays,
    caseload_arrays,
    estimate_rate_arrays,
    rates_to_arrays,
)
from planner.solving.progress import NullProgress, Progress, RunCancelled

P = len(PHASES)
assert (np.diff(PHASE_OF_NCY_INDEX) >= 0).all() and np.unique(PHASE_OF_NCY_INDEX).size == P  # phases ascend

# What the projection counts: every plan, those in specialist settings (SCAP: special schools, SEN units,
# resourced provision, plus independent special and specialist post-16), and those in alternative provision.
# Kind indices are ordered (forecast_rates.KIND_LABELS) so each measure is a range of kind codes.
MEASURES: tuple[str, ...] = ("all_plans", "specialist", "alternative_provision")
assert all(SettingKind(KIND_LABELS[k]).is_specialist for k in range(FIRST_SPECIALIST_KIND, K))
assert KIND_LABELS[ALTERNATIVE_PROVISION_KIND] == SettingKind.PRU_AP.value


class MoveShift(BaseModel):
    """From `from_year`, move a fraction of placements into `from_kind` to `to_kind` at the given NCYs.

    Applies to movers arriving at those NCYs and to new plans starting at them. Default NCYs are the phase
    transfers (Reception, Year 7, Year 12), e.g. "half as many independent placements at transition points".
    """

    model_config = ConfigDict(extra="forbid")

    from_year: int = Field(description="First academic year the shift applies to (2028 = 2028/29)")
    from_kind: str = Field(description="Setting kind placements move away from (e.g. independent_special)")
    to_kind: str = Field(description="Setting kind they go to instead (e.g. special)")
    fraction: float = Field(ge=0, le=1, description="Share of those placements that shift")
    ncys: list[int] | None = Field(default=None, description="NCYs moved into; default the transfers 0, 7, 12")

    @model_validator(mode="after")
    def _known_kinds(self) -> MoveShift:
        for name in ("from_kind", "to_kind"):
            if getattr(self, name) not in KIND_INDEX:
                raise ValueError(f"{name}: unknown setting kind {getattr(self, name)!r} "
                                 f"(expected one of {', '.join(KIND_LABELS)})")
        for n in self.ncys or []:
            if not NCY_MIN <= n <= NCY_MAX:
                raise ValueError(f"ncys: {n} is outside {NCY_MIN}..{NCY_MAX}")
        return self


class ForecastParameters(BaseModel):
    """Everything a forecast run takes; defaults are the documented ones (docs/sufficiency.md)."""

    model_config = ConfigDict(extra="forbid")

    horizon_years: int = Field(default=5, ge=1, le=10, description="Years projected after the base year")
    runs: int = Field(default=1000, ge=1, le=20_000, description="Monte Carlo runs")
    seed: int = Field(default=2026, description="Seed of the numpy Generator: same seed, same forecast")
    estimation: EstimationSettings = Field(default_factory=EstimationSettings)
    rates: ForecastRates | None = Field(default=None, description="User-set rates; replace the estimated ones")
    joiner_scale: float = Field(default=1.0, ge=0, description="Multiplies every joiner rate")
    joiner_scale_by_need: dict[Need, float] = Field(default_factory=dict, description="Extra multiplier per need")
    joiner_growth_per_year: float | None = Field(
        default=None, ge=-0.5, le=1.0,
        description="Compound yearly growth of joiner rates (national new plans grew ~12%/yr 2019-2024); None: the "
                    "council's own damped trend in new plans when its history records ceased plans, else 0")
    growth_cap: float | None = Field(
        default=None, ge=0, le=1,
        description="Most the total caseload may grow in a year (0.05 = 5%); excess new plans are dropped at random")
    move_shifts: list[MoveShift] = Field(default_factory=list)


@dataclass
class ForecastResult:
    """Monte Carlo counts and what produced them. counts[run, year, need, phase, locality, measure]."""

    base_year: int
    years: list[int]
    locality_ids: list[str]
    counts: NDArray[np.int32]
    rates: RateArrays
    provenance: dict[str, Any]
    parameters: ForecastParameters
    wall_seconds: float
    base_counts: NDArray[np.int64] = field(default_factory=lambda: np.zeros((G, len(MEASURES)), dtype=np.int64))
    """Learners in the starting caseload by need x measure (the fan chart's first point)."""

    @property
    def runs(self) -> int:
        return int(self.counts.shape[0])

    def quantile(self, q: float, measure: str = "specialist") -> NDArray[np.float64]:
        """The q-quantile over runs, shape (year, need, phase, locality)."""
        m = MEASURES.index(measure)
        return np.asarray(np.quantile(self.counts[..., m], q, axis=0), dtype=np.float64)

    def total_quantile(self, q: float, measure: str = "specialist", keep: tuple[int, ...] = ()) -> NDArray[np.float64]:
        """The q-quantile over runs of a total: cells are summed within each run first, over every axis of
        (need, phase, locality) not in `keep` (axis numbers 0-2), shape (year, *kept axes). Never the sum of the
        cells' quantiles, which overstates an upper quantile of the total (and understates a lower one)."""
        m = MEASURES.index(measure)
        summed = tuple(2 + a for a in range(3) if a not in keep)
        totals = self.counts[..., m].sum(axis=summed, dtype=np.int64) if summed else self.counts[..., m]
        return np.asarray(np.quantile(totals, q, axis=0), dtype=np.float64)

    def table(self, measures: tuple[str, ...] = MEASURES) -> list[dict[str, Any]]:
        """Tidy rows: year, need, phase, locality, measure, p10, p50, p90, mean (cells with any demand)."""
        rows: list[dict[str, Any]] = []
        for measure in measures:
            m = MEASURES.index(measure)
            data = self.counts[..., m]
            q = np.quantile(data, [0.1, 0.5, 0.9], axis=0)
            mean = data.mean(axis=0)
            for y, g, p, loc in zip(*np.nonzero(q[2] + mean > 0), strict=True):
                rows.append({
                    "academic_year": self.years[y], "need": NEEDS[g].value, "phase": PHASES[p].value,
                    "locality_id": self.locality_ids[loc], "measure": measure,
                    "p10": float(q[0, y, g, p, loc]), "p50": float(q[1, y, g, p, loc]),
                    "p90": float(q[2, y, g, p, loc]), "mean": round(float(mean[y, g, p, loc]), 3),
                })
        return rows

    def need_forecasts(self, measure: str = "specialist") -> list[NeedForecast]:
        """NeedForecast records (the domain's type) for one measure, cells with any demand."""
        return [NeedForecast(academic_year=r["academic_year"], need=Need(r["need"]), phase=Phase(r["phase"]),
                             locality_id=r["locality_id"], p10=r["p10"], p50=r["p50"], p90=r["p90"])
                for r in self.table((measure,))]

    def totals_by_need(self, measure: str = "all_plans") -> dict[str, NDArray[np.float64]]:
        """For fan charts: per need, quantiles (p10, p50, p90) over runs of the LA total, shape (3, years)."""
        m = MEASURES.index(measure)
        per_need = self.counts[..., m].sum(axis=(3, 4))  # run, year, need
        q = np.quantile(per_need, [0.1, 0.5, 0.9], axis=0)
        return {NEEDS[g].value: q[:, :, g] for g in range(G)}


# ---------------------------------------------------------------- simulation
#
# Why learners and not binomials per cohort state: the county's 20,000 learners sit in about 3,500 occupied
# (NCY, need, locality, class) states, 5.6 a state; numpy draws a binomial in about 40 ns whatever its size but a
# uniform in about 2 ns, so drawing leavers and movers per state and run (2-3 binomials each, ~6 million states a
# year over 1,000 runs) costs more than one uniform per learner. Counting, ageing and joiners are by cohort.
#
# Only the measure classes of a setting kind matter for the output, and where a learner goes next never depends on
# where they are now (leaving and moving depend on the NCY, destinations on the NCY moved into and the need), so
# each learner carries a class (other / specialist / alternative provision / gone), not a kind. The counts live
# in a cohort table C[run, cohort, need, locality] (three class counts packed in one int64), where the cohort is
# the NCY shifted by the year, so ageing a year is free; only the learners with an event (a leave or a move, about
# a quarter of learners a year) touch it. See docs/sufficiency.md ("Method") for why events are drawn per learner
# rather than as binomials per cohort state.

GONE_CLASS, OTHER, SPECIALIST, ALTERNATIVE = 0, 1, 2, 3
CLASS_OF_KIND: NDArray[np.int8] = np.array(
    [OTHER] * FIRST_SPECIALIST_KIND + [SPECIALIST] * (ALTERNATIVE_PROVISION_KIND - FIRST_SPECIALIST_KIND)
    + [ALTERNATIVE], dtype=np.int8)
N_CLASSES = 3
# One int64 per cohort cell holds its three class counts: other in bits 0-19, specialist 20-39, AP 40-59.
_PACKED = np.array([0, 1, 1 << 20, 1 << 40], dtype=np.int64)
_MASK20 = (1 << 20) - 1


def _class_mix(mix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Kind shares (..., K) summed into class shares (..., 3)."""
    onehot = np.zeros((K, N_CLASSES))
    onehot[np.arange(K), CLASS_OF_KIND - OTHER] = 1.0
    return np.asarray(mix @ onehot, dtype=np.float64)


def _year_tables(rates: RateArrays, params: ForecastParameters, base_year: int,
                 step: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Joiner mix and destination mix for the year base_year + step, with any move shifts applied."""
    joiner_mix = rates.joiner_mix.copy()
    destination = rates.destination_mix.copy()
    year = base_year + step
    for shift in params.move_shifts:
        if year < shift.from_year:
            continue
        src, dst = KIND_INDEX[shift.from_kind], KIND_INDEX[shift.to_kind]
        ncys = shift.ncys if shift.ncys is not None else [0, 7, 12]
        rows = [n - NCY_MIN for n in ncys]
        for mix in (joiner_mix, destination):
            moved = mix[rows, :, src] * shift.fraction
            mix[rows, :, src] -= moved
            mix[rows, :, dst] += moved
    return joiner_mix, destination


@dataclass(frozen=True)
class _Layout:
    """Cohort-table geometry: state = (cohort * G + need) * L + locality, cohort = NCY index - year + horizon."""

    R: int
    H: int
    L: int

    @property
    def cohorts(self) -> int:
        return N_NCY + self.H

    @property
    def states(self) -> int:
        return self.cohorts * G * self.L

    def state(self, ncy_index: NDArray[np.int64], need: NDArray[np.int64], locality: NDArray[np.int64],
              step: int) -> NDArray[np.int64]:
        return ((ncy_index - step + self.H) * G + need) * self.L + locality


@dataclass(frozen=True)
class _Transitions:
    """Per cohort state, this year's thresholds on one uniform u: u < event (leave or move) is a candidate,
    and its new class is how many of leave, to_specialist, to_alternative u reaches (0 gone, 1 other,
    2 specialist, 3 AP): u is uniform on [0, event) given an event, so one draw decides both."""

    event: NDArray[np.float32]
    leave: NDArray[np.float32]
    to_specialist: NDArray[np.float32]
    to_alternative: NDArray[np.float32]


def _transitions(layout: _Layout, leave: NDArray[np.float64], move: NDArray[np.float64],
                 destination: NDArray[np.float64], step: int) -> _Transitions:
    """Thresholds for the year ending at `step` (from NCY n in step-1 to n+1 in step), for every state."""
    cohort = np.arange(layout.cohorts)
    before = cohort + (step - 1) - layout.H  # NCY index during the year that ends
    valid = (before >= 0) & (before < N_NCY)
    b = np.clip(before, 0, N_NCY - 1)
    p_leave = np.where(valid, leave[b], 0.0)
    p_move = np.where(valid, move[b], 0.0)
    # A plan ceases with the NCY's leaving probability; after NCY 20 (the year they turn 25) every plan ceases.
    p_leave = np.where(valid & (b == N_NCY - 1), 1.0, p_leave)
    p_move = np.minimum(p_move, 1.0 - p_leave)
    dest = _class_mix(destination)[np.minimum(b + 1, N_NCY - 1)]  # (cohorts, G, 3) by the NCY moved into
    shape = (layout.cohorts, G, layout.L)

    def per_state(values: NDArray[np.float64]) -> NDArray[np.float32]:
        full = np.broadcast_to(values.reshape(values.shape + (1,) * (3 - values.ndim)), shape)
        return np.ascontiguousarray(full, dtype=np.float32).reshape(-1)

    first = p_leave[:, None] + p_move[:, None] * dest[..., 0]
    second = first + p_move[:, None] * dest[..., 1]
    return _Transitions(event=per_state(p_leave + p_move), leave=per_state(p_leave),
                        to_specialist=per_state(first), to_alternative=per_state(second))


# Learners handled at once: keeps every temporary small, so it stays in cache and the allocator reuses memory
# instead of faulting in fresh pages each year (which cost more than the arithmetic on this kind of machine).
CHUNK_SLOTS = 1 << 18


class _BaseBlock:
    """The base-year caseload: the same learners in every run, laid out as cls[run, learner] with learners
    sorted by state, so a state's threshold is a per-column value broadcast over runs, and the columns of
    cohorts past NCY 20 are a suffix that later years skip."""

    def __init__(self, state: NDArray[np.int64], cls: NDArray[np.int8], R: int) -> None:
        order = np.argsort(state, kind="stable")
        self.state = state[order].astype(np.int32)
        self.cls = np.ascontiguousarray(np.broadcast_to(cls[order], (R, state.size)))

    def advance(self, rng: np.random.Generator, table: _Transitions, cohort_table: NDArray[np.int64],
                live_below: int) -> None:
        live = int(np.searchsorted(self.state, live_below, side="left"))
        if live == 0:
            return
        R, width = self.cls.shape
        S = cohort_table.shape[1]
        event = table.event[self.state[:live]][None, :]
        rows_per_chunk = max(1, CHUNK_SLOTS // live)
        flat_cls = self.cls.reshape(-1)
        for first in range(0, R, rows_per_chunk):
            u = rng.random((min(rows_per_chunk, R - first), live), dtype=np.float32)
            flat = np.flatnonzero(u < event)
            rows = flat // live
            # (row, column) of the chunk -> position in cls: flat + row * (width - live) + first * width
            where = flat + rows * (width - live) + first * width
            old = flat_cls[where]
            alive = np.flatnonzero(old)  # GONE_CLASS is 0: learners already gone have no events
            flat, rows, where, old = flat[alive], rows[alive], where[alive], old[alive]
            cols = flat - rows * live
            state = self.state[cols]
            new = _outcome(u.reshape(-1)[flat], state, table)
            flat_cls[where] = new
            _add_changes(cohort_table, (rows + first) * S + state, old, new)


class _Block:
    """New plans of one year, flat: every run's learners one after another, as (run, state, class). Learners
    whose plan has ceased are dropped once they make up a quarter of the block, so later years do not scan them."""

    def __init__(self, run: NDArray[np.int16], state: NDArray[np.int32], cls: NDArray[np.int8]) -> None:
        self.run = run
        self.state = state
        self.cls = cls
        self.gone = 0

    def advance(self, rng: np.random.Generator, table: _Transitions, cohort_table: NDArray[np.int64],
                live_below: int) -> None:
        S = cohort_table.shape[1]
        for first in range(0, self.cls.size, CHUNK_SLOTS):
            part = slice(first, first + CHUNK_SLOTS)
            state_all = self.state[part]
            u = rng.random(state_all.size, dtype=np.float32)
            slots = np.flatnonzero(u < table.event[state_all])
            cls = self.cls[part]
            old = cls[slots]
            alive = np.flatnonzero(old)
            slots, old = slots[alive], old[alive]
            state = state_all[slots]
            new = _outcome(u[slots], state, table)
            cls[slots] = new
            self.gone += int(np.count_nonzero(new == GONE_CLASS))
            _add_changes(cohort_table, self.run[part][slots].astype(np.int64) * S + state, old, new)
        if self.gone * 4 > self.cls.size:
            keep = np.flatnonzero(self.cls)
            self.run, self.state, self.cls = self.run[keep], self.state[keep], self.cls[keep]
            self.gone = 0


def _outcome(u: NDArray[np.float32], state: NDArray[np.int32], table: _Transitions) -> NDArray[np.int8]:
    """The class after the year for candidates still on the caseload (u below their event threshold)."""
    new = (u >= table.leave[state]).astype(np.int8)
    new += u >= table.to_specialist[state]
    new += u >= table.to_alternative[state]
    return new


def _add_changes(cohort_table: NDArray[np.int64], keys: NDArray[np.int64], old: NDArray[np.int8],
                 new: NDArray[np.int8]) -> None:
    """Move the learners whose class changed between the packed class counts of their cohort cell (adding the
    zero change of those who moved within their class is cheaper than leaving them out)."""
    _add_packed(cohort_table, keys, _PACKED[new] - _PACKED[old])


def _add_packed(table: NDArray[np.int64], keys: NDArray[np.int64], values: NDArray[np.int64]) -> None:
    """table.flat[keys] += values, duplicates included (numpy's unbuffered ufunc.at)."""
    np.add.at(table.reshape(-1), keys, values)


class _Alias:
    """Walker/Vose alias table: draws an index with the given weights in O(1) (a uniform index, then keep it
    or take its alias), exactly up to float32 resolution."""

    def __init__(self, weights: NDArray[np.float64]) -> None:
        n = weights.size
        scaled = weights / weights.sum() * n
        self.prob = np.ones(n, dtype=np.float32)
        self.alias = np.arange(n, dtype=np.int32)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            self.prob[s], self.alias[s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.int32]:
        out = np.empty(size, dtype=np.int32)
        for first in range(0, size, CHUNK_SLOTS):
            n = min(CHUNK_SLOTS, size - first)
            index = rng.integers(0, self.prob.size, n, dtype=np.int32)
            accept = rng.random(n, dtype=np.float32) < self.prob[index]
            out[first:first + n] = np.where(accept, index, self.alias[index])
        return out


# Runs simulated together: runs are independent, so a group's arrays (cohort table, learners) stay small enough
# for the cache; each group has its own generator spawned from the seed, so the result does not depend on anything
# but the seed and the number of runs.
RUN_GROUP = 125


def simulate(rates: RateArrays, initial: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                               NDArray[np.int64]],
             params: ForecastParameters, base_year: int, n_localities: int,
             progress: Progress | None = None) -> NDArray[np.int32]:
    """Run the Monte Carlo projection. `initial` = (ncy, need, locality, kind) of the base-year caseload.

    Returns counts[run, year, need, phase, locality, measure] for years base_year+1 .. base_year+horizon.
    """
    progress = progress or NullProgress()
    R, H = params.runs, params.horizon_years
    counts = np.zeros((R, H, G, P, n_localities, len(MEASURES)), dtype=np.int32)
    layout = _Layout(R=R, H=H, L=n_localities)
    need_scale = np.array([params.joiner_scale * params.joiner_scale_by_need.get(n, 1.0) for n in NEEDS])
    years: list[tuple[_Transitions, _JoinerTable]] = []
    for step in range(1, H + 1):
        joiner_mix, destination = _year_tables(rates, params, base_year, step)
        years.append((_transitions(layout, rates.leave, rates.move, destination, step),
                      _joiner_table(rates, joiner_mix, need_scale, params, step, layout)))
    starts = list(range(0, R, RUN_GROUP))
    seeds = np.random.SeedSequence(params.seed).spawn(len(starts))
    for index, (first, seed) in enumerate(zip(starts, seeds, strict=True)):
        group = counts[first:first + RUN_GROUP]
        _simulate_group(years, initial, params, base_year, np.random.default_rng(seed), group, progress,
                        (index / len(starts), 1 / len(starts)))
    return counts


Initial = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def _simulate_group(years: list[tuple[_Transitions, _JoinerTable]], initial: Initial,
                    params: ForecastParameters, base_year: int, rng: np.random.Generator,
                    counts: NDArray[np.int32], progress: Progress, share: tuple[float, float]) -> None:
    """Simulate counts.shape[0] runs into counts[run, year, need, phase, locality, measure]."""
    R, H, L = counts.shape[0], params.horizon_years, counts.shape[4]
    layout = _Layout(R=R, H=H, L=L)
    S = layout.states
    ncy, need, locality, kind = initial
    base_state = layout.state(ncy - NCY_MIN, need, locality, 0)
    blocks: list[_BaseBlock | _Block] = [_BaseBlock(base_state, CLASS_OF_KIND[kind], R)]
    cohort_table = np.zeros((R, S), dtype=np.int64)
    cohort_table += np.bincount(base_state, weights=_PACKED[CLASS_OF_KIND[kind]], minlength=S).astype(np.int64)
    total_before = np.full(R, ncy.shape[0], dtype=np.int64)
    for step, (table, joiner_table) in enumerate(years, start=1):
        if progress.should_stop():
            raise RunCancelled("forecast cancelled")
        # States of cohorts past NCY 20 in the year that ends hold nobody: the base block skips them.
        live_below = int(layout.state(np.array(N_NCY - 1), np.array(G - 1), np.array(L - 1), step - 1)) + 1
        for block in blocks:
            block.advance(rng, table, cohort_table, live_below)
        if params.growth_cap is not None:
            survivors = _unpack_total(cohort_table)
            allowed = np.maximum(np.floor(total_before * (1.0 + params.growth_cap)).astype(np.int64) - survivors, 0)
        else:
            allowed = None
        joiners = _joiners(joiner_table, rng, R, allowed)
        _add_packed(cohort_table, joiners.run.astype(np.int64) * S + joiners.state, _PACKED[joiners.cls])
        if step < H:  # the last year's new plans are counted, never advanced
            blocks.append(joiners)
        _count(cohort_table, layout, step, counts[:, step - 1])
        if params.growth_cap is not None:
            total_before = _unpack_total(cohort_table)
        progress.report((share[0] + share[1] * step / H) * 0.95, f"forecast year {base_year + step}")


@dataclass(frozen=True)
class _JoinerTable:
    """New plans in one year: Poisson per NCY x need x locality x placement class (rate = joiners x joiner mix),
    drawn as a Poisson total per run split over those categories by an alias table (the same distribution)."""

    rate: float
    alias: _Alias | None
    state_of: NDArray[np.int32]
    class_of: NDArray[np.int8]


def joiner_growth(rates: RateArrays, params: ForecastParameters, step: int) -> float:
    """Multiplier of joiner rates in year base + step: the lever's compound growth from the second year when set,
    else the estimated damped trend (1.0 without one)."""
    if params.joiner_growth_per_year is not None:
        return float((1.0 + params.joiner_growth_per_year) ** (step - 1))
    return rates.joiner_growth(step)


def _joiner_table(rates: RateArrays, joiner_mix: NDArray[np.float64], need_scale: NDArray[np.float64],
                  params: ForecastParameters, step: int, layout: _Layout) -> _JoinerTable:
    lam = rates.joiners * need_scale[None, :, None] * joiner_growth(rates, params, step)
    weights = (lam[..., None] * _class_mix(joiner_mix)[:, :, None, :]).reshape(-1)  # (NCY, need, locality, class)
    categories = np.flatnonzero(weights > 0)
    n_idx, g_idx, l_idx, c_idx = np.unravel_index(categories, (N_NCY, G, layout.L, N_CLASSES))
    return _JoinerTable(
        rate=float(weights.sum()), alias=_Alias(weights[categories]) if categories.size else None,
        state_of=layout.state(n_idx, g_idx, l_idx, step).astype(np.int32),
        class_of=(c_idx + OTHER).astype(np.int8))


def _joiners(joiner_table: _JoinerTable, rng: np.random.Generator, R: int,
             allowed: NDArray[np.int64] | None) -> _Block:
    """One year's new plans for R runs, laid out run by run."""
    alias = joiner_table.alias
    if alias is None:
        empty = np.zeros(0, dtype=np.int64)
        return _Block(empty.astype(np.int16), empty.astype(np.int32), empty.astype(np.int8))
    totals = rng.poisson(joiner_table.rate, size=R)
    runs_per_chunk = max(1, CHUNK_SLOTS // max(1, int(totals.max())))
    parts: list[tuple[NDArray[np.int16], NDArray[np.int32]]] = []
    for first in range(0, R, runs_per_chunk):
        chunk = totals[first:first + runs_per_chunk]
        category = alias.draw(rng, int(chunk.sum()))
        run = np.repeat(np.arange(first, first + chunk.size, dtype=np.int16), chunk)
        if allowed is not None:
            # The growth cap: keep at most allowed[run] new plans in each run, chosen at random.
            order = np.lexsort((rng.random(category.size), run))
            start = np.concatenate(([0], np.cumsum(chunk)[:-1]))
            keep = np.zeros(category.size, dtype=bool)
            keep[order] = np.arange(category.size) - start[run[order] - first] < allowed[run[order]]
            run, category = run[keep], category[keep]
        parts.append((run, category))
    run = np.concatenate([p[0] for p in parts])
    category = np.concatenate([p[1] for p in parts])
    return _Block(run, joiner_table.state_of[category], joiner_table.class_of[category])


def _unpack(packed: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    return packed & _MASK20, (packed >> 20) & _MASK20, (packed >> 40) & _MASK20


def _unpack_total(cohort_table: NDArray[np.int64]) -> NDArray[np.int64]:
    other, specialist, ap = _unpack(cohort_table)
    return np.asarray((other + specialist + ap).sum(axis=1), dtype=np.int64)


def _count(cohort_table: NDArray[np.int64], layout: _Layout, step: int, out: NDArray[np.int32]) -> None:
    """out[run, need, phase, locality, measure] for year `step`, summing cohorts by phase."""
    R, H, L = layout.R, layout.H, layout.L
    first = H - step  # cohort of NCY index 0 this year
    window = cohort_table.reshape(R, layout.cohorts, G, L)[:, first:first + N_NCY]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(PHASE_OF_NCY_INDEX)) + 1))
    packed = np.add.reduceat(window, starts, axis=1)  # run, phase, need, locality (phases ascend with NCY)
    other, specialist, ap = (part.transpose(0, 2, 1, 3) for part in _unpack(packed))
    out[..., 0] = other + specialist + ap
    out[..., 1] = specialist
    out[..., 2] = ap


def expected_counts(rates: RateArrays, initial: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                                      NDArray[np.int64]],
                    params: ForecastParameters, base_year: int, n_localities: int) -> NDArray[np.float64]:
    """The expected value of `simulate` (no growth cap), projected deterministically: expected[year, need, phase,
    locality, measure]. The Monte Carlo mean must agree with it (tests); the growth cap is not linear."""
    L = n_localities
    ncy, need, locality, kind = initial
    x = np.zeros((N_NCY, G, L, N_CLASSES))
    np.add.at(x, (ncy - NCY_MIN, need, locality, CLASS_OF_KIND[kind] - OTHER), 1.0)
    need_scale = np.array([params.joiner_scale * params.joiner_scale_by_need.get(n, 1.0) for n in NEEDS])
    p_leave = rates.leave.copy()
    p_leave[N_NCY - 1] = 1.0
    p_move = np.minimum(rates.move, 1.0 - p_leave)
    out = np.zeros((params.horizon_years, G, P, L, len(MEASURES)))
    for step in range(1, params.horizon_years + 1):
        joiner_mix, destination = _year_tables(rates, params, base_year, step)
        dest = _class_mix(destination)
        stay = x[:-1] * (1.0 - p_leave[:-1] - p_move[:-1])[:, None, None, None]
        movers = x[:-1].sum(axis=3) * p_move[:-1, None, None]
        nxt = np.zeros_like(x)
        nxt[1:] = stay + movers[..., None] * dest[1:, :, None, :]
        lam = rates.joiners * need_scale[None, :, None] * joiner_growth(rates, params, step)
        nxt += lam[..., None] * _class_mix(joiner_mix)[:, :, None, :]
        x = nxt
        by_phase = np.stack([x[p == PHASE_OF_NCY_INDEX].sum(axis=0) for p in range(P)], axis=1)
        out[step - 1, ..., 0] = by_phase.sum(axis=3)
        out[step - 1, ..., 1] = by_phase[..., SPECIALIST - OTHER]
        out[step - 1, ..., 2] = by_phase[..., ALTERNATIVE - OTHER]
    return out


# ---------------------------------------------------------------- entry points


def _measure_mask(kind: NDArray[np.int64], measure: int) -> NDArray[np.bool_]:
    if measure == 1:
        return (kind >= FIRST_SPECIALIST_KIND) & (kind < ALTERNATIVE_PROVISION_KIND)
    if measure == 2:
        return kind == ALTERNATIVE_PROVISION_KIND
    return np.ones(kind.shape, dtype=bool)


def parse_forecast_parameters(parameters: dict[str, Any] | ForecastParameters | None) -> ForecastParameters:
    """Validate run parameters; a ValueError names the field."""
    if isinstance(parameters, ForecastParameters):
        return parameters
    try:
        return ForecastParameters.model_validate(parameters or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"forecast parameter {where}: {first['msg']}") from error


def forecast(instance: Instance, parameters: dict[str, Any] | ForecastParameters | None = None,
             progress: Progress | None = None, up_to_year: int | None = None) -> ForecastResult:
    """Estimate (or take) rates and project the caseload `horizon_years` beyond `up_to_year` (default base)."""
    params = parse_forecast_parameters(parameters)
    progress = progress or NullProgress()
    started = time.perf_counter()
    case = caseload_arrays(instance)
    start_year = instance.base_year if up_to_year is None else up_to_year
    arrays, population, provenance = estimate_rate_arrays(case, params.estimation, start_year)
    if params.rates is not None:
        if list(params.rates.locality_ids) != list(case.locality_ids):
            raise ValueError("rates.locality_ids must list the instance's localities in order "
                             f"({', '.join(case.locality_ids)})")
        arrays = rates_to_arrays(params.rates)
        provenance = {**params.rates.provenance, "source": "user"}
    progress.report(0.05, "rates ready")
    initial = (case.ncy_in(start_year)[population], case.need[population], case.locality[population],
               case.kind[population])
    counts = simulate(arrays, initial, params, start_year, len(case.locality_ids), progress)
    result = ForecastResult(
        base_year=start_year, years=[start_year + h for h in range(1, params.horizon_years + 1)],
        locality_ids=list(case.locality_ids), counts=counts, rates=arrays, provenance=provenance,
        parameters=params, wall_seconds=time.perf_counter() - started,
        base_counts=np.stack([np.bincount(initial[1][_measure_mask(initial[3], m)], minlength=G)
                              for m in range(len(MEASURES))], axis=1).astype(np.int64),
    )
    progress.report(1.0, "forecast done")
    return result


def run_forecast(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run-kind entry point (api/run_kinds.py): the forecast as a JSON-serialisable dict."""
    result = forecast(instance, parameters, progress)
    totals = result.totals_by_need("all_plans")
    return {
        "status": "ok",
        "statistics": {"wall_seconds": round(result.wall_seconds, 3), "runs": result.runs,
                       "years": len(result.years), "base_caseload": int(result.base_counts[:, 0].sum())},
        "base_year": result.base_year,
        "years": result.years,
        "provenance": result.provenance,
        "totals_by_need": {need: {"p10": q[0].tolist(), "p50": q[1].tolist(), "p90": q[2].tolist()}
                           for need, q in totals.items()},
        # The council's totals per year for a fan chart: quantiles over runs of each run's total.
        "totals": {m: {f"p{round(100 * q)}": result.total_quantile(q, m).tolist() for q in (0.1, 0.5, 0.9)}
                   for m in MEASURES},
        "forecast": result.table(),
    }
