"""Which (learner, setting) pairs a placement may use, with a reason code for every excluded pair.

Vectorised with numpy so a county (20,000 learners x 300 settings = 6M pairs) is evaluated in well under a
second; the reason codes for one learner are recomputed on demand (explanations) from the same per-learner and
per-setting arrays, so the full reason matrix is never materialised. `planner.validation.placement` re-derives the same
rules in plain Python, independently, as the test oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from planner.domain.codes import Need, SettingKind, phase_of_ncy
from planner.domain.models import Instance
from planner.domain.travel import TravelModel, points_array, travel_model_for
from planner.placement.params import PlacementParameters

NEEDS: tuple[Need, ...] = tuple(Need)
KINDS: tuple[SettingKind, ...] = tuple(SettingKind)


class ExclusionReason(StrEnum):
    """Why a setting may not be proposed for a learner (most fundamental first)."""

    CLOSED = "CLOSED"  # the setting has no places in the round's academic year
    AGE_RANGE = "AGE_RANGE"  # the learner's NCY is outside the setting's age range
    NOT_DESIGNATED = "NOT_DESIGNATED"  # the setting cannot meet the learner's primary need
    PRU_NOT_FLAGGED = "PRU_NOT_FLAGGED"  # a PRU/AP only for learners excluded or at risk of exclusion
    TOO_FAR = "TOO_FAR"  # the journey is longer than the learner's limit


def round_minutes(minutes: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole minutes, halves rounded up (the same rule the validator applies)."""
    return np.floor(minutes + 0.5).astype(np.int64)


@dataclass(frozen=True)
class EligibilityMatrix:
    """Eligibility of every learner x setting pair of a round, plus the arrays that explain it."""

    learner_ids: tuple[str, ...]
    setting_ids: tuple[str, ...]
    eligible: NDArray[np.bool_]  # (learners, settings)
    minutes: NDArray[np.float64]  # (learners, settings) journey minutes
    limit: NDArray[np.int64]  # (learners,) journey limit in minutes
    ncy: NDArray[np.int64]  # (learners,) NCY in the round year
    need_index: NDArray[np.int64]  # (learners,) index into NEEDS
    at_risk: NDArray[np.bool_]  # (learners,)
    meets_need: NDArray[np.bool_]  # (needs, settings)
    ncy_min: NDArray[np.int64]
    ncy_max: NDArray[np.int64]
    is_open: NDArray[np.bool_]
    is_pru: NDArray[np.bool_]

    @property
    def pair_count(self) -> int:
        return int(self.eligible.sum())

    def pair_reasons(self, row: int, col: int) -> list[ExclusionReason]:
        """Why setting `col` is excluded for learner `row` (empty list = eligible)."""
        out: list[ExclusionReason] = []
        if not self.is_open[col]:
            out.append(ExclusionReason.CLOSED)
        if not self.ncy_min[col] <= self.ncy[row] <= self.ncy_max[col]:
            out.append(ExclusionReason.AGE_RANGE)
        if not self.meets_need[self.need_index[row], col]:
            out.append(ExclusionReason.NOT_DESIGNATED)
        if self.is_pru[col] and not self.at_risk[row]:
            out.append(ExclusionReason.PRU_NOT_FLAGGED)
        if self.minutes[row, col] > self.limit[row]:
            out.append(ExclusionReason.TOO_FAR)
        return out

    def reasons(self, row: int) -> list[list[ExclusionReason]]:
        """For learner `row`, the reasons each setting is excluded (empty list = eligible)."""
        checks = (
            (ExclusionReason.CLOSED, ~self.is_open),
            (ExclusionReason.AGE_RANGE, (self.ncy[row] < self.ncy_min) | (self.ncy[row] > self.ncy_max)),
            (ExclusionReason.NOT_DESIGNATED, ~self.meets_need[self.need_index[row]]),
            (ExclusionReason.PRU_NOT_FLAGGED, self.is_pru & ~self.at_risk[row]),
            # The journey limit rule: no setting further than the learner's limit (their own, else the phase default
            # in planner.domain.travel.DEFAULT_JOURNEY_LIMITS); tested in tests/placement/test_rules.py
            (ExclusionReason.TOO_FAR, self.minutes[row] > self.limit[row]),
        )
        out: list[list[ExclusionReason]] = [[] for _ in self.setting_ids]
        for reason, mask in checks:
            for col in np.flatnonzero(mask):
                out[int(col)].append(reason)
        return out


def compute_eligibility(instance: Instance, learner_ids: tuple[str, ...] | list[str], year: int,
                        parameters: PlacementParameters,
                        travel: TravelModel | None = None) -> EligibilityMatrix:
    """Evaluate every hard rule that depends only on the pair (not on other learners) for all pairs at once."""
    # Known journey times from the council's travel matrix replace the estimate pair by pair.
    travel = travel_model_for(instance, travel or TravelModel(mode=parameters.travel_mode))
    learners = [instance.learner_by_id[i] for i in learner_ids]
    settings = list(instance.settings)
    ncy = np.array([instance.learner_ncy(x, year) for x in learners], dtype=np.int64)
    limit = np.array(
        [parameters.journey_limit(phase_of_ncy(int(n)), x.max_journey_minutes) for x, n in zip(learners, ncy,
                                                                                               strict=True)],
        dtype=np.int64)
    need_pos = {need: k for k, need in enumerate(NEEDS)}
    need_index = np.array([need_pos[x.primary_need] for x in learners], dtype=np.int64)
    at_risk = np.array([x.at_risk for x in learners], dtype=np.bool_)
    # The setting can meet the need: a designation for it, or the kind's compatibility table.
    meets_need = np.zeros((len(NEEDS), len(settings)), dtype=np.bool_)
    for col, s in enumerate(settings):
        met = s.designated_needs | parameters.compatible_needs(s.kind)
        for need in met:
            meets_need[need_pos[need], col] = True
    ncy_min = np.array([s.ncy_min for s in settings], dtype=np.int64)
    ncy_max = np.array([s.ncy_max for s in settings], dtype=np.int64)
    is_open = np.array([s.is_open_in(year) for s in settings], dtype=np.bool_)
    is_pru = np.array([s.kind is SettingKind.PRU_AP for s in settings], dtype=np.bool_)
    homes = points_array([x.home for x in learners])
    places = points_array([s.location for s in settings])
    minutes = travel.minutes_matrix(homes, places, list(learner_ids), [s.id for s in settings])
    eligible = meets_need[need_index]
    # The learner's NCY is in the setting's age range.
    eligible &= (ncy[:, None] >= ncy_min[None, :]) & (ncy[:, None] <= ncy_max[None, :])
    # Only settings with places in the round's year.
    eligible &= is_open[None, :]
    # A PRU only for learners flagged excluded or at risk of exclusion.
    eligible &= ~(is_pru[None, :] & ~at_risk[:, None])
    # The journey is within the learner's limit (45 min primary, 75 min secondary by default).
    eligible &= minutes <= limit[:, None]
    return EligibilityMatrix(
        learner_ids=tuple(learner_ids), setting_ids=tuple(s.id for s in settings), eligible=eligible,
        minutes=minutes, limit=limit, ncy=ncy, need_index=need_index, at_risk=at_risk, meets_need=meets_need,
        ncy_min=ncy_min, ncy_max=ncy_max, is_open=is_open, is_pru=is_pru,
    )
