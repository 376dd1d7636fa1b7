"""The result of a placement round: one decision per learner plus statistics a tribunal can check.

Plain pydantic models so results serialise to JSON for the run API and read back unchanged.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class RequestOutcome(StrEnum):
    """What happened to one setting the family requested."""

    NAMED = "NAMED"  # the requested setting is named
    EARLIER_CHOICE_NAMED = "EARLIER_CHOICE_NAMED"  # a higher-ranked request was named instead
    UNSUITABLE = "UNSUITABLE"  # cannot meet the need, wrong age range, closed, or PRU not appropriate
    TOO_FAR = "TOO_FAR"  # suitable but the journey is over the learner's limit
    FULL = "FULL"  # suitable and in reach but its places went to others
    OTHER_RULE = "OTHER_RULE"  # suitable with a place, but naming it broke a higher rule (e.g. sibling group)


class UnplacedReason(StrEnum):
    NO_DESIGNATED_SETTING = "NO_DESIGNATED_SETTING"  # no open setting can meet the need at this age
    NO_SETTING_OF_PLAN_TYPE = "NO_SETTING_OF_PLAN_TYPE"  # some can, but none of the type the plan names (or that
    # admits this learner: single-sex, selective or independent not requested, boarding not in the plan)
    TOO_FAR = "TOO_FAR"  # suitable settings exist, all beyond the journey limit
    ALL_FULL = "ALL_FULL"  # suitable settings in reach, all full
    SIBLING_GROUP = "SIBLING_GROUP"  # could be placed alone, but not together with the sibling group


class RefusalGround(StrEnum):
    """The grounds on which the LA may decline to name a requested setting (Children and Families Act 2014 s39(4)):
    the school is unsuitable for the child's age, ability, aptitude or SEN (here: need, age, type of provision,
    admissions, a journey beyond the limit), or attending it would be incompatible with the efficient education of
    others (its places went to learners ahead in the order) or the efficient use of resources."""

    UNSUITABLE = "UNSUITABLE"
    EFFICIENT_EDUCATION_OF_OTHERS = "EFFICIENT_EDUCATION_OF_OTHERS"
    EFFICIENT_USE_OF_RESOURCES = "EFFICIENT_USE_OF_RESOURCES"


class RequestResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    setting_id: str
    rank: int
    outcome: RequestOutcome
    ground: RefusalGround | None = Field(default=None, description="The s39(4) ground when the request is refused")
    detail: str = Field(default="", description="The numbers behind the refusal (codes, minutes, places)")


class PlacementDecision(BaseModel):
    """Where one learner is proposed to go, and why."""

    model_config = ConfigDict(frozen=True)

    learner_id: str
    setting_id: str | None = Field(description="Proposed setting; None when no setting can take the learner")
    pinned: bool = Field(default=False, description="An agreed, named placement kept as given")
    preference_rank: int | None = Field(default=None, description="Rank of the requested setting named, if any")
    requests: list[RequestResult] = Field(default_factory=list)
    preference_value: int = Field(default=0, description="Preference rule value: rank - 1, or the unmet penalty")
    travel_minutes: int | None = None
    restrictiveness: int | None = None
    cost: int | None = Field(default=None, description="Annual cost of the place in the cost unit")
    unplaced_reason: UnplacedReason | None = None
    over_capacity: bool = Field(default=False, description="A pinned placement beyond the free places")
    step_down: bool = Field(default=False, description="From a specialist setting now to a mainstream proposal: "
                                                       "flagged for review in every output")
    reason: str = Field(default="", description="One line a family can read")


class PlacementStatistics(BaseModel):
    status: str = Field(description="OPTIMAL, FEASIBLE (time limit) or INFEASIBLE (a hard rule cannot hold)")
    objective: dict[str, int] = Field(default_factory=dict, description="Value of each rule (lower is better)")
    bound: dict[str, int] = Field(default_factory=dict, description="Proven bound per rule (= value when optimal)")
    gap: float = 0.0
    placed: int = 0
    unplaced: int = 0
    learners: int = 0
    settings: int = 0
    eligible_pairs: int = 0
    stages: int = 0
    used_cpsat: bool = False
    cpsat_free_learners: int = 0
    cpsat_variables: int = 0
    wall_seconds: float = 0.0
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    peak_rss_mib: float = 0.0


class Infeasibility(BaseModel):
    """A hard rule that cannot hold as given (e.g. a pinned placement the learner is not eligible for)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    learner_id: str
    setting_id: str | None = None
    detail: str


class ProposalChange(BaseModel):
    """Re-planning: a learner whose proposal differs from the earlier run's, and why."""

    model_config = ConfigDict(frozen=True)

    learner_id: str
    previous_setting_id: str | None
    setting_id: str | None
    reason: str


class PlacementPlan(BaseModel):
    academic_year: int
    decisions: list[PlacementDecision] = Field(default_factory=list)
    statistics: PlacementStatistics
    infeasibilities: list[Infeasibility] = Field(default_factory=list)
    free_capacity: dict[str, int] = Field(default_factory=dict, description="Places free before this round")
    changes: list[ProposalChange] = Field(default_factory=list,
                                          description="Against `previous_proposals`: every changed proposal, why")

    def decision_for(self, learner_id: str) -> PlacementDecision:
        for decision in self.decisions:
            if decision.learner_id == learner_id:
                return decision
        raise KeyError(f"learner {learner_id!r} is not in this placement plan")
