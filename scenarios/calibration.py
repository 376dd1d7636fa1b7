"""National calibration for the demo council: need, age and placement mix from the DfE's 2025 EHC plan statistics.

The figures are copied into the shipped file `scenarios/data/national_2025.yaml` (OGL v3), so the generator never
reads anything outside the package. From three published two-way tables (need x age, placement x age,
placement x need) we fit one three-way table by iterative proportional fitting, so that a generated learner's
placement depends on both their age and their need (an SLD learner is more likely in a special school, an SPLD
learner in mainstream) while every published margin is still reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from planner.domain.codes import NCY_MAX, NCY_MIN, Need

NATIONAL_FILE = "national_2025.yaml"

# Placement categories of the SEN2 caseload tables, in the order used by every array below.
PLACEMENT_CATEGORIES: tuple[str, ...] = (
    "mainstream",
    "resourced_provision",
    "sen_unit",
    "special",
    "independent_special",
    "pru_ap",
    "fe_college",
    "post16_specialist",
    "none",
)

# Down syndrome became a primary-need code in SEN2 2025 but the 2025 tables carry no column for it. We give it a
# small share taken from "need unknown" (0.8%) and borrow the age and placement profile of MLD and SLD together.
DOWN_SYNDROME_SHARE_PC = 0.5
DOWN_SYNDROME_PROFILE: tuple[Need, ...] = (Need.MLD, Need.SLD)

NCYS: tuple[int, ...] = tuple(range(NCY_MIN, NCY_MAX + 1))


@dataclass(frozen=True)
class NationalCalibration:
    """The national mix the demo council is drawn from (arrays indexed by NCYS, needs, PLACEMENT_CATEGORIES)."""

    source: str
    needs: tuple[Need, ...]
    need_share_pc: dict[Need, float]  # published shares, plus DS; sums to ~100 (unknown need left out)
    need_share: dict[Need, float]  # the shares the generator uses: renormalised to sum to exactly 1
    ncy_given_need: NDArray[np.float64]  # (needs, ncys): P(NCY | need)
    placement_given_ncy_need: NDArray[np.float64]  # (ncys, needs, categories): P(placement | NCY, need)
    placement_share_by_ncy: NDArray[np.float64]  # (ncys, categories): published P(placement | age)


def _age_key_to_ncy(key: str) -> int:
    """SEN2 age on 31 August -> NCY (age - 4). 'under_3' is nursery N2; age 25 joins age 24 in NCY 20."""
    if key == "under_3":
        return NCY_MIN
    return min(int(key) - 4, NCY_MAX)


def load_national_figures() -> dict[str, Any]:
    """The raw figures from the shipped YAML (package data)."""
    # Next to this module (package data), so it works from a checkout, an editable install or a wheel.
    text = (Path(__file__).resolve().parent / "data" / NATIONAL_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def largest_remainder(shares: NDArray[np.float64] | list[float], total: int) -> NDArray[np.int64]:
    """Whole counts summing to `total` in proportion to `shares` (Hamilton's largest-remainder method).

    Used for quota sampling: every count is within one of its exact quota, so the generated mix matches the
    national mix for any seed.
    """
    weights = np.asarray(shares, dtype=np.float64)
    if total < 0 or weights.sum() <= 0 or (weights < 0).any():
        raise ValueError("largest_remainder needs a non-negative total and non-negative shares with a positive sum")
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    remainder = int(total - counts.sum())
    if remainder:
        # Ties broken by position so the result is deterministic.
        order = np.lexsort((np.arange(len(exact)), -(exact - counts)))
        counts[order[:remainder]] += 1
    return counts


def _ipf(seed: NDArray[np.float64], margins: list[tuple[tuple[int, int], NDArray[np.float64]]],
         iterations: int = 60) -> NDArray[np.float64]:
    """Iterative proportional fitting of a 3-way table to 2-way margins (each margin a probability table)."""
    table = seed.copy()
    for _ in range(iterations):
        for axes, target in margins:
            other = ({0, 1, 2} - set(axes)).pop()
            current = table.sum(axis=other)
            factor = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
            table *= np.expand_dims(factor, axis=other)
    return table


@lru_cache(maxsize=1)
def national_calibration() -> NationalCalibration:
    """Build the calibration tables once per process (pure function of the shipped file)."""
    data = load_national_figures()
    published = [Need(code) for code in data["need_share_pc"]]
    needs = (*published, Need.DS)
    need_share_pc = {need: float(data["need_share_pc"][need.value]) for need in published}
    need_share_pc[Need.DS] = DOWN_SYNDROME_SHARE_PC
    total_pc = sum(need_share_pc.values())
    need_share = {need: pc / total_pc for need, pc in need_share_pc.items()}

    n_ncy, n_need, n_cat = len(NCYS), len(needs), len(PLACEMENT_CATEGORIES)
    need_index = {need: i for i, need in enumerate(needs)}

    # Need x NCY counts (published needs), then DS borrowing the MLD+SLD profile.
    need_by_ncy = np.zeros((n_need, n_ncy))
    for key, row in data["need_counts_by_age"].items():
        col = _age_key_to_ncy(str(key)) - NCY_MIN
        for code, count in row.items():
            need_by_ncy[need_index[Need(code)], col] += float(count)
    profile = sum(need_by_ncy[need_index[n]] for n in DOWN_SYNDROME_PROFILE)
    need_by_ncy[need_index[Need.DS]] = profile
    ncy_given_need = need_by_ncy / need_by_ncy.sum(axis=1, keepdims=True)

    # Placement x NCY counts (all needs).
    place_by_ncy = np.zeros((n_ncy, n_cat))
    for key, row in data["placement_counts_by_age"].items():
        r = _age_key_to_ncy(str(key)) - NCY_MIN
        for c, category in enumerate(PLACEMENT_CATEGORIES):
            place_by_ncy[r, c] += float(row[category])
    placement_share_by_ncy = place_by_ncy / place_by_ncy.sum(axis=1, keepdims=True)

    # Placement x need counts, DS borrowing the MLD+SLD profile.
    place_by_need = np.zeros((n_need, n_cat))
    for code, row in data["placement_counts_by_need"].items():
        for c, category in enumerate(PLACEMENT_CATEGORIES):
            place_by_need[need_index[Need(code)], c] = float(row[category])
    place_by_need[need_index[Need.DS]] = sum(place_by_need[need_index[n]] for n in DOWN_SYNDROME_PROFILE)

    # Margins as joint probabilities over (NCY, need, category), with the need shares we generate.
    shares = np.array([need_share[n] for n in needs])
    joint_ncy_need = (ncy_given_need * shares[:, None]).T  # (ncy, need)
    joint_need_cat = place_by_need / place_by_need.sum(axis=1, keepdims=True) * shares[:, None]
    joint_ncy_cat = placement_share_by_ncy * joint_ncy_need.sum(axis=1)[:, None]
    seed = np.ones((n_ncy, n_need, n_cat))
    fitted = _ipf(seed, [((0, 1), joint_ncy_need), ((1, 2), joint_need_cat), ((0, 2), joint_ncy_cat)])
    sums = fitted.sum(axis=2, keepdims=True)
    fallback = np.broadcast_to(placement_share_by_ncy[:, None, :], fitted.shape)
    placement_given = np.where(sums > 0, fitted / np.where(sums > 0, sums, 1.0), fallback)

    return NationalCalibration(
        source=str(data["source"]),
        needs=needs,
        need_share_pc=need_share_pc,
        need_share=need_share,
        ncy_given_need=ncy_given_need,
        placement_given_ncy_need=placement_given,
        placement_share_by_ncy=placement_share_by_ncy,
    )
