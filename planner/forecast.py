"""Cohort (Markov) projection of EHC plan demand with Monte Carlo bands.

Each learner is in a state (NCY, need, setting kind) in a locality. Year on year every learner ages one NCY and
either leaves (the plan ceases), moves to another setting kind, or stays; new plans join by NCY, need and
locality. Running this 1,000 times (all runs at once, as NumPy arrays of learners x runs) gives p10/p50/p90 of the
number of learners by need x phase x locality x year, for all plans, for those in specialist settings, and for
those in alternative provision. Rates come from `planner.forecast_rates` (history shrunk to national) or from the
user, and scenario levers scale joiners, cap growth, and shift moves between setting kinds from a given year.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.codes import NCY_MAX, NCY_MIN, Need, Phase, SettingKind
from planner.domain import Instance, NeedForecast
from planner.forecast_rates import (
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
from planner.progress import NullProgress, Progress, RunCancelled

P = len(PHASES)
GONE = K  # kind index of a learner whose plan has ceased (or an empty joiner slot)

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
    joiner_growth_per_year: float = Field(
        default=0.0, ge=-0.5, le=1.0,
        description="Compound yearly growth of joiner rates (national new plans grew ~14%/yr 2019-2024)")
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


@dataclass
class _Block:
    """Learners who entered in the same year, laid out as kind[run, slot].

    For the base caseload the slots are the learners (the same in every run: attributes have shape (1, n));
    for new plans each run has its own learners (attributes (runs, width), unused slots are GONE). Every slot
    belongs to a segment (need, locality, NCY at entry); segments are sorted by need, locality, NCY, so those
    sharing a need, phase and locality in any year are contiguous. `seg_counts[run, segment]` holds the packed
    counts (_PACKED) and is updated only where learners leave or move.
    """

    entry_step: int
    kind: NDArray[np.int8]
    seg_of_slot: NDArray[np.int64]
    seg_need: NDArray[np.int64]
    seg_locality: NDArray[np.int64]
    seg_ncy: NDArray[np.int64]
    seg_counts: NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))

    def recount(self) -> None:
        """Packed counts per run and segment from scratch (after creation or the growth cap)."""
        R, width = self.kind.shape
        S = self.seg_need.size
        segment = np.broadcast_to(self.seg_of_slot, (R, width)) + np.arange(R, dtype=np.int64)[:, None] * S
        weights = _PACKED[self.kind.reshape(-1)]
        self.seg_counts = np.bincount(segment.reshape(-1), weights=weights, minlength=R * S).astype(
            np.int64).reshape(R, S)


def _base_block(ncy: NDArray[np.int64], need: NDArray[np.int64], locality: NDArray[np.int64],
                kind: NDArray[np.int64], R: int) -> _Block:
    order = np.lexsort((ncy, locality, need))
    ncy, need, locality, kind = ncy[order], need[order], locality[order], kind[order]
    n = ncy.shape[0]
    if n:
        change = np.flatnonzero((np.diff(ncy) != 0) | (np.diff(need) != 0) | (np.diff(locality) != 0)) + 1
        col_start = np.concatenate(([0], change)).astype(np.int64)
    else:
        col_start = np.zeros(0, dtype=np.int64)
    block = _Block(
        entry_step=0, kind=np.broadcast_to(kind.astype(np.int8), (R, n)).copy(),
        seg_of_slot=(np.searchsorted(col_start, np.arange(n), side="right") - 1)[None, :].astype(np.int64),
        seg_need=need[col_start], seg_locality=locality[col_start], seg_ncy=ncy[col_start],
    )
    first_run = np.bincount(block.seg_of_slot[0], weights=_PACKED[block.kind[0]], minlength=col_start.size)
    block.seg_counts = np.broadcast_to(first_run.astype(np.int64), (R, col_start.size)).copy()
    return block


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


class _KindSampler:
    """Draws a kind for each row index of a mix table (rows of shares) with one uniform per draw."""

    def __init__(self, mix: NDArray[np.float64]) -> None:
        cum = np.cumsum(mix.reshape(-1, K), axis=1)
        # Column k holds the share of kinds 0..k for every row; kind = how many of them the uniform passes.
        self._cum_by_kind = np.ascontiguousarray(cum[:, :-1].T.astype(np.float32))

    def draw(self, rng: np.random.Generator, rows: NDArray[np.int64]) -> NDArray[np.int8]:
        u = rng.random(rows.shape[0], dtype=np.float32)
        kind = np.zeros(rows.shape[0], dtype=np.int8)
        for column in self._cum_by_kind:
            kind += u >= column[rows]
        return kind


def simulate(rates: RateArrays, initial: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                               NDArray[np.int64]],
             params: ForecastParameters, base_year: int, n_localities: int,
             progress: Progress | None = None) -> NDArray[np.int32]:
    """Run the Monte Carlo projection. `initial` = (ncy, need, locality, kind) of the base-year caseload.

    Returns counts[run, year, need, phase, locality, measure] for years base_year+1 .. base_year+horizon.
    """
    progress = progress or NullProgress()
    rng = np.random.default_rng(params.seed)
    R, H, L = params.runs, params.horizon_years, n_localities
    blocks = [_base_block(*initial, R=R)]
    counts = np.zeros((R, H, G, P, L, len(MEASURES)), dtype=np.int32)
    need_scale = np.array([params.joiner_scale * params.joiner_scale_by_need.get(n, 1.0) for n in NEEDS])
    # A plan ceases with the NCY's leaving probability; after NCY 20 (the year they turn 25) every plan ceases.
    leave = np.append(rates.leave, 1.0).astype(np.float32)
    leave[N_NCY - 1] = 1.0
    leave_or_move = np.minimum(np.append(rates.leave + rates.move, 0.0), 1.0).astype(np.float32)
    total_before = np.full(R, initial[0].shape[0], dtype=np.int64)
    for step in range(1, H + 1):
        if progress.should_stop():
            raise RunCancelled("forecast cancelled")
        joiner_mix, destination = _year_tables(rates, params, base_year, step)
        movers_to = _KindSampler(destination)
        survivors = np.zeros(R, dtype=np.int64)
        for block in blocks:
            _advance(block, step, rng, leave, leave_or_move, movers_to)
            survivors += np.count_nonzero(block.kind != GONE, axis=1)
        joiners = _joiners(rates, _KindSampler(joiner_mix), need_scale, params, step, rng, R)
        if params.growth_cap is not None:
            allowed = np.maximum(np.floor(total_before * (1.0 + params.growth_cap)).astype(np.int64) - survivors, 0)
            _cap_joiners(joiners, allowed, rng)
        joiners.recount()
        blocks.append(joiners)
        for block in blocks:
            _count(block, step, counts[:, step - 1], L)
        total_before = survivors + np.count_nonzero(joiners.kind != GONE, axis=1)
        progress.report(step / H * 0.95, f"forecast year {base_year + step}")
    return counts


def _advance(block: _Block, step: int, rng: np.random.Generator, leave: NDArray[np.float32],
             leave_or_move: NDArray[np.float32], movers_to: _KindSampler) -> None:
    """One year for a block: each learner leaves, moves or stays (ageing one NCY is implied by the step).

    One uniform per learner: below the NCY's leaving probability the plan ceases; between it and leaving +
    moving the learner changes setting kind (to the destination mix of the NCY they move into); otherwise they
    stay. Only the few candidates below leaving + moving are looked at individually.
    """
    R, width = block.kind.shape
    S = block.seg_need.size
    if S == 0 or width == 0:
        return
    seg_ncy_before = block.seg_ncy + (step - 1 - block.entry_step)
    seg_idx = np.minimum(seg_ncy_before - NCY_MIN, N_NCY)  # index N_NCY: beyond NCY 20, already gone
    u = rng.random((R, width), dtype=np.float32)
    candidates = np.flatnonzero(u < leave_or_move[seg_idx][block.seg_of_slot])
    kind = block.kind.reshape(-1)
    candidates = candidates[kind[candidates] != GONE]
    if candidates.size == 0:
        return
    if block.seg_of_slot.shape[0] == 1:
        segment = block.seg_of_slot[0, candidates % width]
    else:
        segment = block.seg_of_slot.reshape(-1)[candidates]
    leaving = u.reshape(-1)[candidates] < leave[seg_idx[segment]]
    old = kind[candidates]
    new = np.full(candidates.size, GONE, dtype=np.int8)
    moving = ~leaving
    if moving.any():
        moved_segment = segment[moving]
        rows = (seg_ncy_before[moved_segment] + 1 - NCY_MIN) * G + block.seg_need[moved_segment]
        new[moving] = movers_to.draw(rng, rows)
    kind[candidates] = new
    # Keep the per-segment counts current: only the learners who left or moved change them.
    flat_counts = block.seg_counts.reshape(-1)
    flat_counts += np.bincount((candidates // width) * S + segment, weights=_PACKED[new] - _PACKED[old],
                               minlength=flat_counts.size).astype(np.int64)


def _joiners(rates: RateArrays, placement: _KindSampler, need_scale: NDArray[np.float64],
             params: ForecastParameters, step: int, rng: np.random.Generator, R: int) -> _Block:
    """New plans in year `step`: Poisson counts per NCY x need x locality, then a placement each."""
    lam = rates.joiners * need_scale[None, :, None] * (1.0 + params.joiner_growth_per_year) ** (step - 1)
    # Cells in (need, locality, NCY) order: they are the block's segments, the same list in every run.
    g_idx, l_idx, n_idx = np.nonzero(lam.transpose(1, 2, 0) > 0)
    per_run = rng.poisson(lam[n_idx, g_idx, l_idx], size=(R, n_idx.size))
    totals = per_run.sum(axis=1)
    width = int(totals.max()) if totals.size else 0
    segment = np.zeros((R, width), dtype=np.int64)
    kind = np.full((R, width), GONE, dtype=np.int8)
    if width:
        cell_ids = np.repeat(np.tile(np.arange(n_idx.size, dtype=np.int64), R), per_run.ravel())
        run_ids = np.repeat(np.arange(R, dtype=np.int64), totals)
        position = np.arange(cell_ids.size) - np.repeat(np.cumsum(totals) - totals, totals)
        flat = run_ids * width + position
        segment.reshape(-1)[flat] = cell_ids
        kind.reshape(-1)[flat] = placement.draw(rng, n_idx[cell_ids] * G + g_idx[cell_ids])
    return _Block(
        entry_step=step, kind=kind, seg_of_slot=segment, seg_need=g_idx.astype(np.int64),
        seg_locality=l_idx.astype(np.int64), seg_ncy=(NCY_MIN + n_idx).astype(np.int64),
    )


def _cap_joiners(block: _Block, allowed: NDArray[np.int64], rng: np.random.Generator) -> None:
    """Keep at most `allowed[run]` new plans in each run, chosen at random (the growth cap lever)."""
    if block.kind.shape[1] == 0:
        return
    key = rng.random(block.kind.shape)
    key[block.kind == GONE] = 2.0
    rank = np.argsort(np.argsort(key, axis=1), axis=1)
    block.kind[rank >= allowed[:, None]] = GONE


# Counting packs three counts into one int64 per learner: 1 if not a specialist place (kinds 0-2), 2**20 if
# specialist (3-8), 2**40 if alternative provision (9), 0 if gone; a segment sum then holds all three.
_PACKED = np.array([1] * FIRST_SPECIALIST_KIND + [1 << 20] * (ALTERNATIVE_PROVISION_KIND - FIRST_SPECIALIST_KIND)
                   + [1 << 40] + [0], dtype=np.int64)
_MASK20 = (1 << 20) - 1


def _count(block: _Block, step: int, out: NDArray[np.int32], L: int) -> None:
    """Add a block's learners in year `step` to out[run, need, phase, locality, measure]."""
    S = block.seg_need.size
    if S == 0:
        return
    R = out.shape[0]
    ncy_now = np.minimum(block.seg_ncy + (step - block.entry_step), NCY_MAX)
    cell = (block.seg_need * P + PHASE_OF_NCY_INDEX[ncy_now - NCY_MIN]) * L + block.seg_locality
    starts = np.concatenate(([0], np.flatnonzero(np.diff(cell) != 0) + 1))
    packed = np.add.reduceat(block.seg_counts, starts, axis=1)
    flat_out = out.reshape(R, G * P * L, len(MEASURES))
    cells = cell[starts]
    other, specialist, ap = ((packed >> shift) & _MASK20 for shift in (0, 20, 40))
    flat_out[:, cells, 0] += (other + specialist + ap).astype(np.int32)
    flat_out[:, cells, 1] += specialist.astype(np.int32)
    flat_out[:, cells, 2] += ap.astype(np.int32)


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
        "forecast": result.table(),
    }
