"""Rates for the cohort forecast: joiners, leavers and movers, estimated from a caseload history.

The forecast needs, per national curriculum year (NCY), need and locality, how many new plans start each year
(joiners) and where they are placed; per NCY how likely a plan is to cease (leavers); and how likely a learner is
to change setting kind, and to which kind (movers). A council's own history is thin at that level of detail, so
every rate is shrunk towards the national SEN2 trend (scenarios/data/sen2_trend.yaml): with no history the national
defaults are used as they are; with a long history the council's own figures dominate.

Fields of `Learner` used (and nothing else):
- `birth_date` / `ncy` (through `Instance.learner_ncy`): the NCY in each year;
- `primary_need`; `locality_id` (or, when missing, the locality whose centroid is nearest to `home`);
- `plan_start`: the academic year the plan started is the year the learner joined the caseload;
- `plan_end`: the academic year the plan ceased is the year the learner left (None: still on the caseload);
- `current_setting_id` (its `Setting.kind`; None means "none": educated elsewhere or awaiting a placement);
- `setting_start`: a learner already on the caseload whose current placement started in year y moved in year y,
  into the current setting's kind. Earlier moves are not recorded in the domain, so destinations are estimated
  without their origin (see docs/sufficiency.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from planner.domain.calendar import academic_year_of
from planner.domain.codes import NCY_MAX, NCY_MIN, Need, Phase, SettingKind, phase_of_ncy
from planner.domain.models import Instance, Learner

NONE_KIND = "none"
# Ordered so the projection can count by ranges: kinds 0-2 are not specialist places, 3-8 are specialist places
# (resourced provision, SEN units, special and SEMH special schools, independent special, specialist post-16),
# 9 is alternative provision.
KIND_LABELS: tuple[str, ...] = (
    SettingKind.MAINSTREAM.value, SettingKind.FE_COLLEGE.value, NONE_KIND,
    SettingKind.RESOURCED_PROVISION.value, SettingKind.SEN_UNIT.value, SettingKind.SPECIAL.value,
    SettingKind.SEMH_SPECIAL.value, SettingKind.INDEPENDENT_SPECIAL.value, SettingKind.POST16_SPECIALIST.value,
    SettingKind.PRU_AP.value,
)
FIRST_SPECIALIST_KIND = 3
ALTERNATIVE_PROVISION_KIND = 9
K = len(KIND_LABELS)  # setting kinds plus "none"
NEEDS: tuple[Need, ...] = tuple(Need)
G = len(NEEDS)
NCYS: tuple[int, ...] = tuple(range(NCY_MIN, NCY_MAX + 1))
N_NCY = len(NCYS)
PHASES: tuple[Phase, ...] = tuple(Phase)
PHASE_OF_NCY_INDEX: NDArray[np.int64] = np.array([PHASES.index(phase_of_ncy(n)) for n in NCYS], dtype=np.int64)
KIND_INDEX: dict[str, int] = {label: i for i, label in enumerate(KIND_LABELS)}
NEED_INDEX: dict[Need, int] = {need: i for i, need in enumerate(NEEDS)}


def ncy_index(ncy: int) -> int:
    return ncy - NCY_MIN


class NationalTrend(BaseModel):
    """The national defaults read from scenarios/data/sen2_trend.yaml (see the file header for sources)."""

    model_config = ConfigDict(frozen=True)

    caseload_total: dict[int, int]
    new_plans_total: dict[int, int]
    ceased_plans_total: dict[int, int]
    caseload_growth_per_year: float
    new_plans_per_plan: float
    new_plans_share_by_ncy: dict[int, float]
    leave_probability_by_ncy: dict[int, float]
    placement_mix_by_ncy: dict[int, dict[str, float]]
    new_plan_placement_mix_by_need: dict[str, dict[str, float]]
    placement_mix_by_need: dict[str, dict[str, float]]
    new_plans_need_share: dict[str, float]
    caseload_need_share: dict[str, float]
    move_probability_within_phase: float
    move_probability_at_transfer: float
    transfer_ncys: list[int]


def _trend_text() -> str:
    """The YAML from the installed `scenarios` package data, else from the source tree next to `planner`."""
    try:
        return (resources.files("scenarios") / "data" / "sen2_trend.yaml").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError, TypeError):  # pragma: no cover - namespace or partial installs
        return (Path(__file__).resolve().parent.parent / "scenarios" / "data" / "sen2_trend.yaml").read_text(
            encoding="utf-8")


@lru_cache(maxsize=1)
def national_trend() -> NationalTrend:
    """The shipped national trend (package data; read once)."""
    return NationalTrend.model_validate(yaml.safe_load(_trend_text()))


class JoinerRate(BaseModel):
    """Expected new plans per year for one NCY x need x locality."""

    ncy: int = Field(ge=NCY_MIN, le=NCY_MAX)
    need: Need
    locality_id: str
    per_year: float = Field(ge=0)


class PlacementMix(BaseModel):
    """Shares of setting kinds (keys: SettingKind values or "none") for one NCY x need."""

    ncy: int = Field(ge=NCY_MIN, le=NCY_MAX)
    need: Need
    shares: dict[str, float]


class ForecastRates(BaseModel):
    """Every rate the projection uses, JSON-serialisable so a user can inspect, edit and pass them back.

    `destination_mix` is indexed by the NCY moved INTO; `move_probability` and `leave_probability` by the NCY the
    learner is in before the move (the year that ends).
    """

    locality_ids: list[str]
    joiners: list[JoinerRate] = Field(description="Expected new plans per year; cells not listed have none")
    joiner_mix: list[PlacementMix] = Field(description="Where new plans are placed, by NCY at joining x need")
    leave_probability: dict[int, float] = Field(description="Chance a plan ceases during the year, by NCY")
    move_probability: dict[int, float] = Field(description="Chance of a change of setting kind, by NCY")
    destination_mix: list[PlacementMix] = Field(description="Where movers go, by NCY after the move x need")
    joiner_trend: float = Field(default=0.0, ge=-1.0, le=1.0,
                                description="Log growth a year of new plans (damped by joiner_damping a year ahead)")
    joiner_damping: float = Field(default=1.0, ge=0.0, le=1.0, description="Damping of the joiner trend")
    provenance: dict[str, Any] = Field(default_factory=dict, description="History used and shrinkage weights")


@dataclass(frozen=True)
class RateArrays:
    """ForecastRates as arrays for the simulation. Shapes: L localities, G needs, K kinds, N_NCY years."""

    joiners: NDArray[np.float64]  # (N_NCY, G, L) expected new plans per year
    joiner_mix: NDArray[np.float64]  # (N_NCY, G, K) rows sum to 1
    leave: NDArray[np.float64]  # (N_NCY,)
    move: NDArray[np.float64]  # (N_NCY,)
    destination_mix: NDArray[np.float64]  # (N_NCY, G, K) rows sum to 1, indexed by NCY after the move
    joiner_trend: float = 0.0  # log growth a year of new plans, damped by joiner_damping per year ahead
    joiner_damping: float = 1.0

    def joiner_growth(self, step: int) -> float:
        """Multiplier of the joiner rates `step` years after the base year: exp(trend x (phi + .. + phi^step))."""
        if self.joiner_trend == 0.0:
            return 1.0
        return float(np.exp(self.joiner_trend * sum(self.joiner_damping ** j for j in range(1, step + 1))))


def _normalise(mix: NDArray[np.float64]) -> NDArray[np.float64]:
    total = mix.sum(axis=-1, keepdims=True)
    uniform_mainstream = np.zeros(mix.shape[-1])
    uniform_mainstream[KIND_INDEX[SettingKind.MAINSTREAM.value]] = 1.0
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, mix / safe, uniform_mainstream)


def rates_to_arrays(rates: ForecastRates) -> RateArrays:
    """Validate and convert user-facing rates; a ValueError names the offending entry."""
    loc_index = {loc: i for i, loc in enumerate(rates.locality_ids)}
    joiners = np.zeros((N_NCY, G, len(loc_index)))
    for j in rates.joiners:
        if j.locality_id not in loc_index:
            raise ValueError(f"rates.joiners: unknown locality {j.locality_id!r}")
        joiners[ncy_index(j.ncy), NEED_INDEX[j.need], loc_index[j.locality_id]] += j.per_year

    def mix_array(name: str, mixes: list[PlacementMix], default: NDArray[np.float64]) -> NDArray[np.float64]:
        out = default.copy()
        for m in mixes:
            row = np.zeros(K)
            for kind, share in m.shares.items():
                if kind not in KIND_INDEX:
                    raise ValueError(f"rates.{name}: unknown setting kind {kind!r} (expected {', '.join(KIND_LABELS)})")
                if share < 0:
                    raise ValueError(f"rates.{name}: share for {kind} must be >= 0, got {share}")
                row[KIND_INDEX[kind]] = share
            out[ncy_index(m.ncy), NEED_INDEX[m.need]] = row
        return _normalise(out)

    stay_mainstream = _normalise(np.zeros((N_NCY, G, K)))
    leave = np.zeros(N_NCY)
    move = np.zeros(N_NCY)
    for name, source, target in (("leave_probability", rates.leave_probability, leave),
                                 ("move_probability", rates.move_probability, move)):
        for ncy, p in source.items():
            if not NCY_MIN <= int(ncy) <= NCY_MAX or not 0.0 <= p <= 1.0:
                raise ValueError(f"rates.{name}[{ncy}]: need NCY {NCY_MIN}..{NCY_MAX} and a probability 0..1")
            target[ncy_index(int(ncy))] = p
    # Plans run at most to the end of the year the young person turns 25 (NCY 20): everyone leaves after it.
    leave[-1] = 1.0
    return RateArrays(
        joiners=joiners,
        joiner_mix=mix_array("joiner_mix", rates.joiner_mix, stay_mainstream),
        leave=leave,
        move=np.minimum(move, 1.0 - leave),
        destination_mix=mix_array("destination_mix", rates.destination_mix, stay_mainstream),
        joiner_trend=rates.joiner_trend,
        joiner_damping=rates.joiner_damping,
    )


def arrays_to_rates(arrays: RateArrays, locality_ids: list[str], provenance: dict[str, Any]) -> ForecastRates:
    joiners = [
        JoinerRate(ncy=NCYS[n], need=NEEDS[g], locality_id=locality_ids[loc], per_year=round(float(v), 6))
        for n, g, loc in zip(*np.nonzero(arrays.joiners > 0), strict=True)
        for v in [arrays.joiners[n, g, loc]]
    ]

    def mixes(mix: NDArray[np.float64]) -> list[PlacementMix]:
        return [PlacementMix(ncy=NCYS[n], need=NEEDS[g],
                             shares={KIND_LABELS[k]: round(float(mix[n, g, k]), 6) for k in range(K)
                                     if mix[n, g, k] > 0})
                for n in range(N_NCY) for g in range(G)]

    return ForecastRates(
        locality_ids=list(locality_ids),
        joiners=joiners,
        joiner_mix=mixes(arrays.joiner_mix),
        leave_probability={NCYS[n]: round(float(arrays.leave[n]), 6) for n in range(N_NCY)},
        move_probability={NCYS[n]: round(float(arrays.move[n]), 6) for n in range(N_NCY)},
        destination_mix=mixes(arrays.destination_mix),
        joiner_trend=round(arrays.joiner_trend, 6),
        joiner_damping=round(arrays.joiner_damping, 6),
        provenance=provenance,
    )


# ---------------------------------------------------------------- national priors


def _kind_vector(shares: dict[str, float]) -> NDArray[np.float64]:
    row = np.zeros(K)
    for kind, share in shares.items():
        row[KIND_INDEX[kind]] = share
    return row


def _need_tilted_mix(by_ncy: dict[int, dict[str, float]], by_need: dict[str, dict[str, float]],
                     need_share: dict[str, float]) -> NDArray[np.float64]:
    """Mix by NCY x need: the national mix at each NCY, tilted by how each need differs from all needs.

    Down syndrome (DS) has no national series yet; it borrows severe learning difficulty's mix.
    """
    ncy_mix = np.array([_kind_vector(by_ncy.get(n, by_ncy[min(by_ncy, key=lambda m: abs(m - n))])) for n in NCYS])
    need_rows = {need: _kind_vector(by_need.get(need.value, by_need.get("SLD", {}))) for need in NEEDS}
    overall = sum((need_share.get(k, 0.0) * _kind_vector(v) for k, v in by_need.items()), np.zeros(K))
    overall = np.where(overall > 0, overall, 1.0)
    out = np.zeros((N_NCY, G, K))
    for g, need in enumerate(NEEDS):
        out[:, g, :] = ncy_mix * (need_rows[need] / overall)[None, :]
    return _normalise(out)


def national_arrays(instance_caseload: int, locality_share: NDArray[np.float64],
                    trend: NationalTrend | None = None) -> RateArrays:
    """National defaults scaled to a council: joiners in proportion to its caseload, split by its localities."""
    trend = trend or national_trend()
    ncy_share = np.array([trend.new_plans_share_by_ncy.get(n, 0.0) for n in NCYS])
    need_share = np.array([trend.new_plans_need_share.get(need.value, 0.0) for need in NEEDS])
    total = instance_caseload * trend.new_plans_per_plan
    joiners = total * ncy_share[:, None, None] * need_share[None, :, None] * locality_share[None, None, :]
    leave = np.array([trend.leave_probability_by_ncy.get(n, 0.0) for n in NCYS])
    leave[-1] = 1.0
    move = np.array([trend.move_probability_at_transfer if n + 1 in trend.transfer_ncys
                     else trend.move_probability_within_phase for n in NCYS])
    return RateArrays(
        joiners=joiners,
        joiner_mix=_need_tilted_mix(trend.placement_mix_by_ncy, trend.new_plan_placement_mix_by_need,
                                    trend.caseload_need_share),
        leave=leave,
        move=np.minimum(move, 1.0 - leave),
        destination_mix=_need_tilted_mix(trend.placement_mix_by_ncy, trend.placement_mix_by_need,
                                         trend.caseload_need_share),
    )


# ---------------------------------------------------------------- the caseload as arrays


@dataclass(frozen=True)
class CaseloadArrays:
    """One row per learner: what the estimator and the projection read from `Learner` records."""

    ncy_base: NDArray[np.int64]  # NCY in the base year (may be outside -2..20 for ceased learners)
    need: NDArray[np.int64]
    locality: NDArray[np.int64]
    kind: NDArray[np.int64]
    start_year: NDArray[np.int64]  # academic year the plan started; -1 unknown
    end_year: NDArray[np.int64]  # academic year the plan ceased; big when still open
    setting_start_year: NDArray[np.int64]  # academic year the current placement started; -1 unknown
    base_year: int
    locality_ids: tuple[str, ...]

    @property
    def on_caseload_in_base_year(self) -> NDArray[np.bool_]:
        return self.on_caseload(self.base_year)

    def ncy_in(self, year: int) -> NDArray[np.int64]:
        return self.ncy_base + (year - self.base_year)

    def on_caseload(self, year: int) -> NDArray[np.bool_]:
        """Plan started by `year` (or start unknown) and not ceased by it, with an NCY the planner models."""
        ncy = self.ncy_in(year)
        return ((self.start_year <= year) & (self.end_year > year) & (ncy >= NCY_MIN) & (ncy <= NCY_MAX))


OPEN_PLAN = 10_000


def caseload_arrays(instance: Instance) -> CaseloadArrays:
    """Read the learner fields the forecast uses (module docstring) into arrays."""
    if not instance.localities:
        raise ValueError("the instance has no localities: the forecast projects demand by locality")
    locality_ids = tuple(loc.id for loc in instance.localities)
    loc_index = {loc: i for i, loc in enumerate(locality_ids)}
    centroids = np.array([[loc.centroid.easting, loc.centroid.northing] for loc in instance.localities])
    n = len(instance.learners)
    ncy = np.zeros(n, dtype=np.int64)
    need = np.zeros(n, dtype=np.int64)
    locality = np.zeros(n, dtype=np.int64)
    kind = np.full(n, KIND_INDEX[NONE_KIND], dtype=np.int64)
    start = np.full(n, -1, dtype=np.int64)
    end = np.full(n, OPEN_PLAN, dtype=np.int64)
    setting_start = np.full(n, -1, dtype=np.int64)
    settings = instance.setting_by_id
    for i, learner in enumerate(instance.learners):
        ncy[i] = instance.learner_ncy(learner)
        need[i] = NEED_INDEX[learner.primary_need]
        locality[i] = _locality_of(learner, loc_index, centroids)
        if learner.current_setting_id is not None:
            kind[i] = KIND_INDEX[settings[learner.current_setting_id].kind.value]
        if learner.plan_start is not None:
            start[i] = academic_year_of(learner.plan_start)
        if learner.plan_end is not None:
            end[i] = academic_year_of(learner.plan_end)
        if learner.setting_start is not None:
            setting_start[i] = academic_year_of(learner.setting_start)
    return CaseloadArrays(ncy, need, locality, kind, start, end, setting_start, instance.base_year, locality_ids)


def _locality_of(learner: Learner, loc_index: dict[str, int], centroids: NDArray[np.float64]) -> int:
    if learner.locality_id is not None and learner.locality_id in loc_index:
        return loc_index[learner.locality_id]
    d = (centroids[:, 0] - learner.home.easting) ** 2 + (centroids[:, 1] - learner.home.northing) ** 2
    return int(np.argmin(d))


# ---------------------------------------------------------------- estimation


class EstimationSettings(BaseModel):
    """How much history to use and how strongly to lean on the national defaults."""

    history_years: int = Field(default=5, ge=0, le=20, description="Past year-on-year transitions to fit on")
    prior_learner_years: float = Field(
        default=200.0, gt=0,
        description="Weight of the national leave/move rates, in learner-years of exposure at each NCY")
    prior_joiner_years: float = Field(
        default=1.0, gt=0, description="Weight of the national joiner rates, in years of the council's history")
    prior_mix_learners: float = Field(
        default=20.0, gt=0, description="Weight of the prior placement mix, in learners at each NCY x need")
    prior_growth_years: float = Field(
        default=2.0, gt=0,
        description="Weight of England's new-plan growth in the joiner trend, in years of the council's history")


def estimate_rates(instance: Instance, settings: EstimationSettings | None = None,
                   up_to_year: int | None = None) -> ForecastRates:
    """Rates from the instance's history up to `up_to_year` (default: the base year), shrunk to national."""
    arrays, _, provenance = estimate_rate_arrays(caseload_arrays(instance), settings, up_to_year)
    return arrays_to_rates(arrays, [loc.id for loc in instance.localities], provenance)


def estimate_rate_arrays(case: CaseloadArrays, settings: EstimationSettings | None = None,
                         up_to_year: int | None = None,
                         national: NationalTrend | None = None) -> tuple[RateArrays, NDArray[np.bool_], dict[str, Any]]:
    """Fit on the year-on-year transitions (y-1 -> y) for y in (up_to - history_years, up_to].

    Returns the rate arrays, the mask of learners on the caseload in `up_to` (the starting population), and a
    provenance dict (events and exposures seen, shrinkage weights).
    """
    settings = settings or EstimationSettings()
    national = national or national_trend()
    last = case.base_year if up_to_year is None else up_to_year
    L = len(case.locality_ids)
    population = case.on_caseload(last)
    loc_counts = np.bincount(case.locality[population], minlength=L).astype(float) + 1.0
    prior = national_arrays(int(population.sum()), loc_counts / loc_counts.sum(), national)

    has_start = bool((case.start_year >= 0).any())
    has_end = bool((case.end_year < OPEN_PLAN).any())
    has_moves = bool((case.setting_start_year >= 0).any())
    years = list(range(last - settings.history_years + 1, last + 1))

    trend = joiner_trend(case, years, settings, national) if has_start and has_end else None
    joiners = np.zeros((N_NCY, G, L))
    joiner_kinds = np.zeros((N_NCY, G, K))
    exposure = np.zeros(N_NCY)
    leavers = np.zeros(N_NCY)
    movers = np.zeros(N_NCY)
    destinations = np.zeros((N_NCY, G, K))
    for year in years:
        before = case.on_caseload(year - 1)
        now = case.on_caseload(year)
        ncy_before = case.ncy_in(year - 1)
        ncy_now = case.ncy_in(year)
        if has_start:
            joined = (case.start_year == year) & now
            idx = ncy_now[joined] - NCY_MIN
            # With a trend, each year's new plans are brought to the last year's level (the mean of a growing
            # series lags it by half the window).
            level = float(np.exp(trend.trend * (last - year))) if trend is not None else 1.0
            np.add.at(joiners, (idx, case.need[joined], case.locality[joined]), level)
            # The placement at joining is the current one only if it started the year the plan did (or undated).
            first = joined & ((case.setting_start_year == year) | (case.setting_start_year < 0))
            np.add.at(joiner_kinds, (ncy_now[first] - NCY_MIN, case.need[first], case.kind[first]), 1.0)
        exposed = before & (ncy_before < NCY_MAX)
        np.add.at(exposure, ncy_before[exposed] - NCY_MIN, 1.0)
        left = exposed & (case.end_year == year)
        np.add.at(leavers, ncy_before[left] - NCY_MIN, 1.0)
        moved = exposed & now & (case.setting_start_year == year)
        np.add.at(movers, ncy_before[moved] - NCY_MIN, 1.0)
        np.add.at(destinations, (ncy_now[moved] - NCY_MIN, case.need[moved], case.kind[moved]), 1.0)

    # The council's own placement mix now (by NCY x need) sits between movers' history and the national mix.
    stock = np.zeros((N_NCY, G, K))
    np.add.at(stock, (case.ncy_in(last)[population] - NCY_MIN, case.need[population], case.kind[population]), 1.0)
    k_mix = settings.prior_mix_learners
    local_mix = _normalise(stock + k_mix * prior.destination_mix)
    joiner_years = len(years) if has_start else 0
    k_j = settings.prior_joiner_years
    k_e = settings.prior_learner_years
    leave_exposure = exposure if has_end else np.zeros(N_NCY)
    move_exposure = exposure if has_moves else np.zeros(N_NCY)
    leave = (leavers * (leave_exposure > 0) + k_e * prior.leave) / (leave_exposure + k_e)
    leave[-1] = 1.0
    move = (movers * (move_exposure > 0) + k_e * prior.move) / (move_exposure + k_e)
    arrays = RateArrays(
        joiners=(joiners + k_j * prior.joiners) / (joiner_years + k_j),
        joiner_mix=_normalise(joiner_kinds + k_mix * _normalise(0.5 * prior.joiner_mix + 0.5 * local_mix)),
        leave=leave,
        move=np.minimum(move, 1.0 - leave),
        destination_mix=_normalise(destinations + k_mix * local_mix),
        joiner_trend=trend.trend if trend is not None else 0.0,
        joiner_damping=trend.damping if trend is not None else 1.0,
    )
    seen = {"joiners_seen": sum(trend.yearly.values()) if trend is not None else int(joiners.sum()),
            "leavers_seen": int(leavers.sum()) if has_end else 0, "movers_seen": int(movers.sum()) if has_moves else 0,
            "exposure_learner_years": int(exposure.sum()), "population": int(population.sum())}
    provenance = _provenance(last, years, {"plan_start": has_start, "plan_end": has_end, "setting_start": has_moves},
                             seen, settings, trend)
    return arrays, population, provenance


def _provenance(last: int, years: list[int], fields: dict[str, bool], seen: dict[str, int],
                settings: EstimationSettings, trend: JoinerTrend | None) -> dict[str, Any]:
    """What the estimate saw: years, history fields, events and exposures, shrinkage, the joiner trend."""
    return {
        "fitted_up_to_year": last,
        "history_years": years if any(fields.values()) else [],
        "history_fields": fields,
        **seen,
        "shrinkage": settings.model_dump(),
        "national_source": "scenarios/data/sen2_trend.yaml (DfE SEN2 2025, national rows)",
        "joiner_trend": (trend.provenance() if trend is not None
                         else "none: needs plan_start and plan_end history (ceased plans), else growth 0"),
    }


# ---------------------------------------------------------------- the trend in new plans


@dataclass(frozen=True)
class JoinerTrend:
    """The council's damped trend in new plans (log growth a year), shrunk towards England's."""

    trend: float
    damping: float
    own: float | None
    weight: float
    national: float
    yearly: dict[int, int]

    def provenance(self) -> dict[str, Any]:
        return {"per_year": round(self.trend, 4), "damping": self.damping, "own_growth": self.own,
                "own_weight": round(self.weight, 3), "england_growth": round(self.national, 4),
                "new_plans_by_year": self.yearly}


def joiner_trend(case: CaseloadArrays, years: list[int], settings: EstimationSettings,
                 national: NationalTrend) -> JoinerTrend:
    """Trend in the yearly count of new plans over `years` (needs ceased plans recorded: without them the early
    years count only survivors and the trend is biased upwards).

    own = mean log growth of the council's yearly new plans; England's = mean log growth of national new plans
    (`new_plans_total`, DfE newplans.csv national rows, via scenarios/data/sen2_trend.yaml); trend = w x own +
    (1 - w) x England's with w = n / (n + prior_growth_years) over n growth years; damping phi from England's
    series as in `planner.forecast.totals.damping` (lag-1 ratio clipped to [0.8, 0.98]).
    """
    from planner.forecast.totals import TotalsSettings, damping

    yearly = {y: int(((case.start_year == y) & case.on_caseload(y)).sum()) for y in years}
    own_rates = [float(np.log(yearly[y] / yearly[y - 1])) for y in years
                 if y - 1 in yearly and yearly[y] > 0 and yearly[y - 1] > 0]
    totals = national.new_plans_total
    england = [float(np.log(totals[y] / totals[y - 1])) for y in sorted(totals) if y - 1 in totals]
    england_mean = float(np.mean(england)) if england else 0.0
    weight = len(own_rates) / (len(own_rates) + settings.prior_growth_years)
    own = float(np.mean(own_rates)) if own_rates else None
    trend = weight * (own or 0.0) + (1.0 - weight) * england_mean
    return JoinerTrend(trend=trend, damping=damping(england, TotalsSettings()), own=own, weight=weight,
                       national=england_mean, yearly=yearly)
