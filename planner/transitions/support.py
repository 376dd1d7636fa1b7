"""Support proposals: transparent rules give each transition case a risk score, a tier and the activities it needs.

Every rule is a named function of the case's facts with a weight the council sets (`SupportRules`); a proposal
lists each rule that fired and the points it added, so a caseworker can see why a child got the support they got.
The score picks a tier (universal / targeted / specialist) and the tier fixes the activities and their hours.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.domain.codes import RESTRICTIVENESS, Need, SettingKind


class Tier(StrEnum):
    UNIVERSAL = "universal"  # the statutory review and a handover
    TARGETED = "targeted"  # plus visits to the new setting and a short run of outreach sessions
    SPECIALIST = "specialist"  # plus more visits and a longer run of specialist sessions


class ActivityKind(StrEnum):
    REVIEW = "review"  # the annual (phase transfer) review meeting
    VISIT = "visit"  # a supported visit to the new setting
    SESSION = "session"  # an outreach session with the learner, family or school
    HANDOVER = "handover"  # handover to the receiving setting
    # A new EHC needs assessment (planner.transitions.assessments)
    DECISION = "decision_to_assess"  # evidence gathered and the decision whether to assess (reg 5(1))
    ASSESSMENT = "needs_assessment"  # advice gathered and the child seen (regs 6-8; a no-plan notice by reg 10(1))
    DRAFT_PLAN = "draft_plan"  # the draft plan written and served (reg 13(1): at least 15 days to comment)
    FINAL_PLAN = "final_plan"  # the final plan issued (reg 13(2): within 20 weeks of the request)


class CaseFacts(BaseModel):
    """What the rules look at: a learner's needs and history and the move ahead (no personal identifiers)."""

    model_config = ConfigDict(frozen=True)

    primary_need: Need
    secondary_need: Need | None = None
    transition: str = Field(description="Transition type value (see planner.transitions.planning.TransitionType)")
    looked_after: bool = False
    excluded: bool = False
    at_risk_of_exclusion: bool = False
    suspensions: int = 0
    current_kind: SettingKind | None = None
    receiving_kind: SettingKind | None = None
    changes_setting: bool = True
    extra_journey_minutes: float | None = Field(
        default=None, description="Journey to the receiving setting minus journey to the current one"
    )


class TierActivities(BaseModel):
    """The activities of one tier; hours are per occurrence."""

    model_config = ConfigDict(frozen=True)

    review_hours: float = Field(ge=0)
    visits: int = Field(ge=0)
    visit_hours: float = Field(ge=0)
    sessions: int = Field(ge=0)
    session_hours: float = Field(ge=0)
    handover_hours: float = Field(ge=0)

    @property
    def total_hours(self) -> float:
        return (self.review_hours + self.visits * self.visit_hours + self.sessions * self.session_hours
                + self.handover_hours)


DEFAULT_NEED_POINTS: dict[Need, int] = {
    Need.ASD: 2,
    Need.SEMH: 2,
    Need.PMLD: 2,
    Need.SLD: 1,
    Need.MSI: 2,
    Need.VI: 1,
    Need.HI: 1,
    Need.PD: 1,
    Need.SLCN: 1,
}

DEFAULT_TRANSITION_POINTS: dict[str, int] = {
    "primary_to_secondary": 2,
    "secondary_to_post16": 2,
    "pru_reintegration": 2,
    "at_risk": 2,
    "post16_to_post19": 1,
    "end_of_plan": 1,
    "early_years_to_reception": 1,
    "infant_to_junior": 0,
    "middle_school_transfer": 1,
}


class SupportRules(BaseModel):
    """Weights and thresholds of the risk rules, and the activities of each tier. Every default is a setting."""

    model_config = ConfigDict(frozen=True)

    need_points: dict[Need, int] = Field(
        default_factory=lambda: dict(DEFAULT_NEED_POINTS), description="Points for the primary need"
    )
    secondary_need_points: int = Field(default=1, description="Points for having a secondary need")
    semh_points: int = Field(default=2, description="Extra points when SEMH is the primary or secondary need")
    transition_points: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TRANSITION_POINTS), description="Points by transition type"
    )
    excluded_points: int = Field(default=3, description="Permanently excluded")
    pru_points: int = Field(default=2, description="Currently in a PRU or alternative provision")
    at_risk_points: int = Field(default=2, description="Flagged at risk of exclusion")
    suspension_threshold: int = Field(default=3, ge=1, description="Suspensions in 12 months that count as a rule")
    suspension_points: int = Field(default=2)
    looked_after_points: int = Field(default=3, description="A looked-after child")
    more_restrictive_points: int = Field(default=1, description="Moving to a more restrictive kind of setting")
    less_restrictive_points: int = Field(default=2, description="Moving to a less restrictive kind (e.g. special -> "
                                                                "mainstream), a move that often needs more support")
    unknown_setting_points: int = Field(default=1, description="Moving but no receiving setting named or requested")
    longer_journey_minutes: float = Field(default=20.0, ge=0, description="Extra minutes that count as longer")
    longer_journey_points: int = Field(default=1)
    targeted_from: int = Field(default=4, description="Score from which the tier is targeted")
    specialist_from: int = Field(default=7, description="Score from which the tier is specialist")
    tiers: dict[Tier, TierActivities] = Field(
        default_factory=lambda: {
            Tier.UNIVERSAL: TierActivities(review_hours=2, visits=0, visit_hours=0, sessions=0, session_hours=0,
                                           handover_hours=1),
            Tier.TARGETED: TierActivities(review_hours=3, visits=2, visit_hours=2, sessions=3, session_hours=1.5,
                                          handover_hours=2),
            Tier.SPECIALIST: TierActivities(review_hours=3, visits=3, visit_hours=2.5, sessions=6, session_hours=2,
                                            handover_hours=3),
        },
        description="Activities and hours per tier",
    )

    @model_validator(mode="after")
    def _ordered(self) -> SupportRules:
        if self.specialist_from < self.targeted_from:
            raise ValueError(
                f"specialist_from ({self.specialist_from}) must be >= targeted_from ({self.targeted_from})"
            )
        missing = [t.value for t in Tier if t not in self.tiers]
        if missing:
            raise ValueError(f"tiers: no activities given for {', '.join(missing)}")
        return self


class FiredRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    points: int
    reason: str


class SupportProposal(BaseModel):
    """The score, the rules behind it, the tier and its activities."""

    model_config = ConfigDict(frozen=True)

    score: int
    tier: Tier
    fired: tuple[FiredRule, ...]
    activities: TierActivities


def fired_rules(facts: CaseFacts, rules: SupportRules) -> list[FiredRule]:
    """Every rule that applies to a case, with its points (rules with zero points are left out)."""
    fired: list[FiredRule] = []

    def fire(rule: str, points: int, reason: str) -> None:
        if points:
            fired.append(FiredRule(rule=rule, points=points, reason=reason))

    # Some needs make any change of setting harder (autism, SEMH, complex needs)
    fire("need", rules.need_points.get(facts.primary_need, 0), f"primary need {facts.primary_need.value}")
    # A second recorded need adds to the support a move takes
    if facts.secondary_need is not None:
        fire("secondary_need", rules.secondary_need_points, f"secondary need {facts.secondary_need.value}")
    # SEMH needs are where transitions most often break down
    if Need.SEMH in (facts.primary_need, facts.secondary_need):
        fire("semh", rules.semh_points, "SEMH is a primary or secondary need")
    # The kind of transition: a change of phase and school is a bigger step than staying on
    fire("transition", rules.transition_points.get(facts.transition, 0), f"transition {facts.transition}")
    # Past exclusion or a current PRU/AP place: reintegration is fragile
    if facts.excluded:
        fire("excluded", rules.excluded_points, "permanently excluded")
    if facts.current_kind is SettingKind.PRU_AP:
        fire("pru", rules.pru_points, "currently in a PRU or alternative provision")
    if facts.at_risk_of_exclusion:
        fire("at_risk", rules.at_risk_points, "flagged at risk of exclusion")
    if facts.suspensions >= rules.suspension_threshold:
        fire("suspensions", rules.suspension_points,
             f"{facts.suspensions} suspensions in 12 months (threshold {rules.suspension_threshold})")
    # Looked-after children: the virtual school head and social worker join the plan
    if facts.looked_after:
        fire("looked_after", rules.looked_after_points, "looked-after child")
    # A change of setting kind: more restrictive, or stepping down to a less restrictive setting
    if facts.changes_setting and facts.current_kind is not None and facts.receiving_kind is not None:
        before, after = RESTRICTIVENESS[facts.current_kind], RESTRICTIVENESS[facts.receiving_kind]
        if after > before:
            fire("more_restrictive", rules.more_restrictive_points,
                 f"{facts.current_kind.value} -> {facts.receiving_kind.value}")
        elif after < before:
            fire("less_restrictive", rules.less_restrictive_points,
                 f"{facts.current_kind.value} -> {facts.receiving_kind.value}")
    # Moving with no setting named or requested yet: the family does not know where the child is going
    if facts.changes_setting and facts.receiving_kind is None:
        fire("unknown_setting", rules.unknown_setting_points, "no receiving setting named or requested yet")
    # A longer journey to the new setting (travel training, transport)
    if facts.extra_journey_minutes is not None and facts.extra_journey_minutes >= rules.longer_journey_minutes:
        fire("longer_journey", rules.longer_journey_points,
             f"journey {facts.extra_journey_minutes:.0f} minutes longer (threshold {rules.longer_journey_minutes:.0f})")
    return fired


def tier_for_score(score: int, rules: SupportRules) -> Tier:
    if score >= rules.specialist_from:
        return Tier.SPECIALIST
    if score >= rules.targeted_from:
        return Tier.TARGETED
    return Tier.UNIVERSAL


def propose_support(facts: CaseFacts, rules: SupportRules | None = None) -> SupportProposal:
    """The risk score (sum of fired rules' points), the tier it falls in and that tier's activities."""
    rules = rules or SupportRules()
    fired = fired_rules(facts, rules)
    score = sum(rule.points for rule in fired)
    tier = tier_for_score(score, rules)
    activities = rules.tiers[tier]
    if not facts.changes_setting:
        # Staying in the same setting: no visits to a new setting
        activities = activities.model_copy(update={"visits": 0})
    return SupportProposal(score=score, tier=tier, fired=tuple(fired), activities=activities)
