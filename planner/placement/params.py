"""Parameters of a placement round: who is placed, the hard rules' settings, and the objective order.

Every figure a council may want to change (journey limits, the need-compatibility table, restrictiveness ranks,
the objective order and weights) lives here with its documented default, never as a literal in the solver.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.domain.codes import RESTRICTIVENESS, Need, Phase, SettingKind
from planner.domain.travel import DEFAULT_JOURNEY_LIMITS, TravelMode, complete_journey_limits


class ObjectiveRule(StrEnum):
    """The rules the optimiser ranks plans by; each has an integer value per learner (lower is better)."""

    PLACED = "placed"  # place as many as possible: 1 per learner left without a setting
    PREFERENCE = "preference"  # the family's requested setting: rank - 1 when met, the unmet penalty otherwise
    RESTRICTIVENESS = "restrictiveness"  # least restrictive suitable setting (mainstream 0 .. independent 4)
    TRAVEL = "travel"  # journey minutes, rounded to the nearest minute
    COST = "cost"  # annual cost of the place in units of `cost_unit_gbp`
    # Re-planning without disruption: 1 per learner moved from the setting an earlier run proposed (or left
    # unplaced after being proposed one). With `previous_proposals` it is the level right after "placed".
    STABILITY = "stability"


def _all_needs_but(*excluded: Need) -> list[Need]:
    return [n for n in Need if n not in excluded]


# Needs a setting of each kind can meet WITHOUT a designation for them (a designation always counts).
# Mainstream (and general FE) can meet most needs with support, but not profound, severe or multi-sensory
# learning needs; resourced provision, units and special schools need a designation match; a PRU/AP takes any
# need but only for learners flagged excluded or at risk of exclusion (a separate rule).
DEFAULT_NEED_COMPATIBILITY: dict[SettingKind, list[Need]] = {
    SettingKind.MAINSTREAM: _all_needs_but(Need.PMLD, Need.SLD, Need.MSI),
    SettingKind.FE_COLLEGE: _all_needs_but(Need.PMLD, Need.SLD, Need.MSI),
    SettingKind.RESOURCED_PROVISION: [],
    SettingKind.SEN_UNIT: [],
    SettingKind.SPECIAL: [],
    SettingKind.SEMH_SPECIAL: [],
    SettingKind.INDEPENDENT_SPECIAL: [],
    SettingKind.POST16_SPECIALIST: [],
    SettingKind.PRU_AP: list(Need),
}


DEFAULT_OBJECTIVE: list[dict[ObjectiveRule, int]] = [
    {ObjectiveRule.PLACED: 1},
    {ObjectiveRule.PREFERENCE: 1},
    {ObjectiveRule.RESTRICTIVENESS: 1},
    {ObjectiveRule.TRAVEL: 1},
    {ObjectiveRule.COST: 1},
]


class PlacementParameters(BaseModel):
    """Everything a placement run can be told; unknown fields are an error naming the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round_year: int | None = Field(
        default=None, description="Academic year the places are for (2027 = 2027/28); default: base year + 1"
    )
    place_all: bool = Field(
        default=False, description="Place every learner in the instance (benchmarks, whole-caseload what-ifs)"
    )
    learner_ids: list[str] = Field(
        default_factory=list, description="Learners placed in addition to the round (or only these if place_all)"
    )
    only_listed: bool = Field(default=False, description="Place only `learner_ids`, not the whole round")
    transfer_ncys: list[int] = Field(
        default_factory=lambda: [0, 7, 12, 15],
        description="NCYs that start a new phase (Reception, Year 7, Year 12, first post-19 year)",
    )
    mainstream_margin: float = Field(
        default=0.0, ge=0, lt=1,
        description="Share of a mainstream school's capacity kept back for in-year admissions: free places = "
                    "capacity x (1 - margin) - number on roll (GIAS NumberOfPupils), when the roll is known",
    )
    pru_max_stay_days: int = Field(
        default=180, ge=0, description="PRU/AP learners placed longer than this by 1 September are reintegrated"
    )
    journey_limit_minutes: dict[Phase, int] = Field(
        default_factory=lambda: dict(DEFAULT_JOURNEY_LIMITS),
        description="Longest journey each way by phase; a learner's own max_journey_minutes overrides it",
    )
    need_compatibility: dict[SettingKind, list[Need]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_NEED_COMPATIBILITY.items()},
        description="Needs each kind of setting meets without a designation (designations always count)",
    )
    restrictiveness: dict[SettingKind, int] = Field(
        default_factory=lambda: dict(RESTRICTIVENESS),
        description="Rank of each kind, least restrictive 0 (presumption of mainstream)",
    )
    objective: list[dict[ObjectiveRule, int]] = Field(
        default_factory=lambda: [dict(level) for level in DEFAULT_OBJECTIVE],
        description="Lexicographic levels, most important first; each level is a weighted sum of rules. The first "
                    "level is 'placed' on its own (place as many as possible first)",
    )
    unmet_preference_penalty: int = Field(
        default=4, ge=1, description="Preference value when no requested setting is named (ranks score rank - 1)"
    )
    combine_levels: bool = Field(
        default=False,
        description="Solve consecutive levels together with exact big-M weights (default: one flow stage per level)",
    )
    cost_unit_gbp: int = Field(default=1, ge=1, description="Cost rule unit: 1 = pounds, 1000 = thousands")
    travel_mode: TravelMode = TravelMode.CAR
    seed: int = Field(default=0, description="CP-SAT random seed (the flow core is deterministic)")
    time_limit_seconds: float = Field(default=60.0, gt=0, le=3600,
                                      description="Limit for the CP-SAT side-constraint step")
    num_workers: int = Field(default=2, ge=1, le=16, description="CP-SAT search workers")

    @field_validator("journey_limit_minutes")
    @classmethod
    def _every_phase(cls, value: dict[Phase, int]) -> dict[Phase, int]:
        """Phases not given keep their default limit (a scenario may change only one phase)."""
        return complete_journey_limits(value)

    resources_threshold_gbp: int | None = Field(
        default=None, ge=0, le=1_000_000,
        description="Efficient use of resources (CFA 2014 s39(4)(b)): a requested setting whose annual cost exceeds "
                    "the learner's cheapest suitable setting by more than this is not owed the family's preference "
                    "(None: every request is honoured where possible)",
    )
    previous_proposals: dict[str, str | None] = Field(
        default_factory=dict,
        description="Re-planning: each learner's setting in an earlier run (None: unplaced there); proposals are "
                    "kept wherever still feasible and the plan lists every change with its reason",
    )

    @model_validator(mode="before")
    @classmethod
    def _stability_after_placed(cls, data: object) -> object:
        """With earlier proposals, keeping them is the level right after placing as many as possible."""
        if not isinstance(data, dict) or not data.get("previous_proposals"):
            return data
        objective = data.get("objective") or [dict(level) for level in DEFAULT_OBJECTIVE]
        if any(ObjectiveRule.STABILITY in {ObjectiveRule(rule) for rule in level} for level in objective):
            return data
        return {**data, "objective": [objective[0], {ObjectiveRule.STABILITY: 1}, *objective[1:]]}

    @field_validator("objective")
    @classmethod
    def _placed_first_alone(cls, value: list[dict[ObjectiveRule, int]]) -> list[dict[ObjectiveRule, int]]:
        """Levels are non-empty, each rule once with a weight >= 1, and `placed` is the first level on its own.

        Place as many learners as possible first, whatever the council's configuration: a learner left without
        a setting is never traded for shorter journeys, cheaper places or preferences met (the local authority
        must secure the provision in every plan). With another rule in the first level, enough minutes or pounds
        would outweigh a place, so such a configuration is refused, not reordered behind the council's back.
        """
        if not value or set(value[0]) != {ObjectiveRule.PLACED}:
            first = ", ".join(rule.value for rule in value[0]) if value else "nothing"
            raise ValueError(f"placed must be the first level on its own (place as many as possible first); "
                             f"objective[0] has {first}")
        seen: set[ObjectiveRule] = set()
        for index, level in enumerate(value):
            if not level:
                raise ValueError(f"objective[{index}] is empty: give at least one rule per level")
            for rule, weight in level.items():
                if rule in seen:
                    raise ValueError(f"rule {rule.value!r} appears in more than one level")
                if weight < 1:
                    raise ValueError(f"objective[{index}][{rule.value}]: weight must be >= 1, got {weight}")
                seen.add(rule)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        for phase, minutes in self.journey_limit_minutes.items():
            if minutes <= 0:
                raise ValueError(f"journey_limit_minutes[{phase.value}] must be > 0, got {minutes}")
        for kind, rank in self.restrictiveness.items():
            if rank < 0:
                raise ValueError(f"restrictiveness[{kind.value}] must be >= 0, got {rank}")
        return self

    def journey_limit(self, phase: Phase, personal: int | None) -> int:
        """The journey limit for a learner: their own when set, else the phase default."""
        if personal is not None:
            return personal
        return self.journey_limit_minutes.get(phase, max(DEFAULT_JOURNEY_LIMITS.values()))

    def compatible_needs(self, kind: SettingKind) -> frozenset[Need]:
        return frozenset(self.need_compatibility.get(kind, []))

    def restrictiveness_of(self, kind: SettingKind) -> int:
        return self.restrictiveness.get(kind, RESTRICTIVENESS[kind])
