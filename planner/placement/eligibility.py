"""Which (learner, setting) pairs a placement may use, with a reason code for every excluded pair.

Vectorised with numpy so a county (20,000 learners x 300 settings = 6M pairs) is evaluated in well under a
second; the reason codes for one learner are recomputed on demand (explanations) from the same per-learner and
per-setting arrays, so the full reason matrix is never materialised. `planner.validation.placement` re-derives the same
rules in plain Python, independently, as the test oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.domain.codes import PROVISION_OF_KIND, Need, ProvisionType, SchoolGender, SettingKind, Sex, phase_of_ncy
from planner.domain.models import Instance, Learner, Setting
from planner.domain.travel import TravelModel, points_array, travel_model_for
from planner.placement.params import PlacementParameters

NEEDS: tuple[Need, ...] = tuple(Need)
KINDS: tuple[SettingKind, ...] = tuple(SettingKind)
TYPES: tuple[ProvisionType, ...] = tuple(ProvisionType)
SEX_CODE: dict[Sex | None, int] = {None: 0, Sex.MALE: 1, Sex.FEMALE: 2}
ONLY_SEX_CODE: dict[SchoolGender, int] = {SchoolGender.MIXED: 0, SchoolGender.BOYS: 1, SchoolGender.GIRLS: 2}


class ExclusionReason(StrEnum):
    """Why a setting may not be proposed for a learner (most fundamental first)."""

    CLOSED = "CLOSED"  # the setting has no places in the round's academic year
    AGE_RANGE = "AGE_RANGE"  # the learner's NCY is outside the setting's age range
    NOT_DESIGNATED = "NOT_DESIGNATED"  # the setting cannot meet the learner's primary need
    PRU_NOT_FLAGGED = "PRU_NOT_FLAGGED"  # a PRU/AP only for learners excluded or at risk of exclusion
    TOO_FAR = "TOO_FAR"  # the journey is longer than the learner's limit
    TYPE_NOT_IN_PLAN = "TYPE_NOT_IN_PLAN"  # not a type of provision the plan names (or the officer accepts)
    SINGLE_SEX = "SINGLE_SEX"  # a boys' or girls' school, and the learner is not (or their sex is not recorded)
    SELECTIVE_NOT_REQUESTED = "SELECTIVE_NOT_REQUESTED"  # a grammar school the family did not request
    INDEPENDENT_NOT_REQUESTED = "INDEPENDENT_NOT_REQUESTED"  # an independent mainstream school not requested
    RESIDENTIAL_NOT_IN_PLAN = "RESIDENTIAL_NOT_IN_PLAN"  # a boarding school, and the plan names no residential place


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
    allowed_types: NDArray[np.bool_]  # (learners, TYPES) the plan's types of provision
    setting_type: NDArray[np.int64]  # (settings,) index into TYPES
    learner_sex: NDArray[np.int8]  # (learners,) 0 unknown, 1 male, 2 female
    only_sex: NDArray[np.int8]  # (settings,) 0 mixed, 1 boys only, 2 girls only
    selective: NDArray[np.bool_]  # (settings,)
    independent: NDArray[np.bool_]  # (settings,) independent mainstream schools
    boarding: NDArray[np.bool_]  # (settings,)
    residential: NDArray[np.bool_]  # (learners,) the plan names a residential placement
    requested: NDArray[np.bool_]  # (learners, settings) the family requested it

    def conditions(self, row: int) -> tuple[tuple[ExclusionReason, NDArray[np.bool_]], ...]:
        """The rules on the plan's type and the setting's admissions, as masks over the settings for one learner."""
        not_requested = ~self.requested[row]
        return (
            # Only settings of the type of provision the plan names (or an acceptable type): the presumption of
            # mainstream belongs to writing the plan (CFA 2014 s33), not to placement.
            (ExclusionReason.TYPE_NOT_IN_PLAN, ~self.allowed_types[row, self.setting_type]),
            # A single-sex school only for a learner of that sex; an unknown sex never goes to one.
            (ExclusionReason.SINGLE_SEX, (self.only_sex > 0) & (self.only_sex != self.learner_sex[row])),
            # Grammar schools select by ability: only when the family requested one.
            (ExclusionReason.SELECTIVE_NOT_REQUESTED, self.selective & not_requested),
            # Independent mainstream schools are not places a council allocates unless the family asks (s38-39).
            (ExclusionReason.INDEPENDENT_NOT_REQUESTED, self.independent & not_requested),
            # Boarding only when the plan names a residential placement.
            (ExclusionReason.RESIDENTIAL_NOT_IN_PLAN, self.boarding & ~self.residential[row]),
        )

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
        out.extend(self._pair_conditions(row, col))
        return out

    def _pair_conditions(self, row: int, col: int) -> list[ExclusionReason]:
        """The plan-type and admissions rules for one pair (the same rules as `conditions`, for one setting)."""
        requested = bool(self.requested[row, col])
        checks = (
            (ExclusionReason.TYPE_NOT_IN_PLAN, not self.allowed_types[row, self.setting_type[col]]),
            (ExclusionReason.SINGLE_SEX, self.only_sex[col] > 0 and self.only_sex[col] != self.learner_sex[row]),
            (ExclusionReason.SELECTIVE_NOT_REQUESTED, bool(self.selective[col]) and not requested),
            (ExclusionReason.INDEPENDENT_NOT_REQUESTED, bool(self.independent[col]) and not requested),
            (ExclusionReason.RESIDENTIAL_NOT_IN_PLAN, bool(self.boarding[col]) and not self.residential[row]),
        )
        return [reason for reason, broken in checks if broken]

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
            *self.conditions(row),
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
    plan = _plan_arrays(instance, learners, settings, ncy)
    eligible &= plan.pop("type_ok")
    eligible &= ~((plan["only_sex"][None, :] > 0) & (plan["only_sex"][None, :] != plan["learner_sex"][:, None]))
    eligible &= ~((plan["selective"] | plan["independent"])[None, :] & ~plan["requested"])
    eligible &= ~(plan["boarding"][None, :] & ~plan["residential"][:, None])
    return EligibilityMatrix(
        learner_ids=tuple(learner_ids), setting_ids=tuple(s.id for s in settings), eligible=eligible,
        minutes=minutes, limit=limit, ncy=ncy, need_index=need_index, at_risk=at_risk, meets_need=meets_need,
        ncy_min=ncy_min, ncy_max=ncy_max, is_open=is_open, is_pru=is_pru, **plan,
    )


def _plan_arrays(instance: Instance, learners: list[Learner], settings: list[Setting],
                 ncy: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
    """The arrays behind the plan-type and admissions rules (see EligibilityMatrix._conditions)."""
    type_pos = {t: k for k, t in enumerate(TYPES)}
    allowed = np.zeros((len(learners), len(TYPES)), dtype=np.bool_)
    rows_of: dict[frozenset[ProvisionType] | None, list[int]] = {}
    by_id = instance.setting_by_id
    for row, learner in enumerate(learners):
        types = learner.plan_types(by_id.get(learner.current_setting_id or ""), int(ncy[row]))
        rows_of.setdefault(types, []).append(row)
    for types, rows in rows_of.items():  # a handful of distinct type sets: fill them in bulk
        columns = list(range(len(TYPES))) if types is None else [type_pos[t] for t in types]  # None: any type
        allowed[np.ix_(rows, columns)] = True
    setting_type = np.array([type_pos[PROVISION_OF_KIND[s.kind]] for s in settings], dtype=np.int64)
    col_of = {s.id: col for col, s in enumerate(settings)}
    requested = np.zeros((len(learners), len(settings)), dtype=np.bool_)
    for row, learner in enumerate(learners):
        cols = [col_of[sid] for sid in learner.requested_setting_ids if sid in col_of]
        requested[row, cols] = True
    return {
        "type_ok": allowed[:, setting_type],
        "allowed_types": allowed, "setting_type": setting_type, "requested": requested,
        "learner_sex": np.array([SEX_CODE[x.sex] for x in learners], dtype=np.int8),
        "only_sex": np.array([ONLY_SEX_CODE[s.gender] for s in settings], dtype=np.int8),
        "selective": np.array([s.selective for s in settings], dtype=np.bool_),
        "independent": np.array([s.independent and s.kind is SettingKind.MAINSTREAM for s in settings],
                                dtype=np.bool_),
        "boarding": np.array([s.boarding for s in settings], dtype=np.bool_),
        "residential": np.array([x.needs_residential for x in learners], dtype=np.bool_),
    }
