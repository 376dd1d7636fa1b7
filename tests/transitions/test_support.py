"""Risk score rules: each rule fires with its points, the tier follows the thresholds, weights are settings."""

from __future__ import annotations

from planner.domain.codes import Need, SettingKind
from planner.transitions.support import CaseFacts, SupportRules, Tier, propose_support


def _rules(proposal: object) -> dict[str, int]:
    return {r.rule: r.points for r in proposal.fired}  # type: ignore[attr-defined]


def test_quiet_case_is_universal_with_only_the_transition_rule() -> None:
    facts = CaseFacts(primary_need=Need.SPLD, transition="infant_to_junior", changes_setting=False)
    proposal = propose_support(facts)
    assert proposal.score == 0 and proposal.tier is Tier.UNIVERSAL and proposal.fired == ()
    assert proposal.activities.visits == 0


def test_semh_excluded_looked_after_case_adds_every_rule() -> None:
    facts = CaseFacts(primary_need=Need.SEMH, secondary_need=Need.SLCN, transition="primary_to_secondary",
                      looked_after=True, excluded=True, at_risk_of_exclusion=True, suspensions=3,
                      current_kind=SettingKind.PRU_AP, receiving_kind=SettingKind.MAINSTREAM,
                      extra_journey_minutes=25.0)
    fired = _rules(propose_support(facts))
    assert fired == {"need": 2, "secondary_need": 1, "semh": 2, "transition": 2, "excluded": 3, "pru": 2,
                     "at_risk": 2, "suspensions": 2, "looked_after": 3, "less_restrictive": 2, "longer_journey": 1}
    proposal = propose_support(facts)
    assert proposal.score == sum(fired.values()) == 22
    assert proposal.tier is Tier.SPECIALIST


def test_thresholds_are_inclusive_and_configurable() -> None:
    facts = CaseFacts(primary_need=Need.ASD, transition="primary_to_secondary")  # 2 + 2 + unknown setting 1 = 5
    assert propose_support(facts).score == 5
    assert propose_support(facts).tier is Tier.TARGETED
    assert propose_support(facts, SupportRules(targeted_from=6)).tier is Tier.UNIVERSAL
    assert propose_support(facts, SupportRules(specialist_from=5)).tier is Tier.SPECIALIST


def test_suspensions_below_threshold_do_not_fire() -> None:
    facts = CaseFacts(primary_need=Need.MLD, transition="at_risk", suspensions=2, changes_setting=False)
    assert "suspensions" not in _rules(propose_support(facts))
    assert "suspensions" in _rules(propose_support(facts, SupportRules(suspension_threshold=2)))


def test_more_restrictive_move_and_short_journey() -> None:
    facts = CaseFacts(primary_need=Need.MLD, transition="secondary_to_post16", current_kind=SettingKind.MAINSTREAM,
                      receiving_kind=SettingKind.SPECIAL, extra_journey_minutes=10.0)
    fired = _rules(propose_support(facts))
    assert fired.get("more_restrictive") == 1 and "longer_journey" not in fired and "unknown_setting" not in fired


def test_weights_change_the_score() -> None:
    facts = CaseFacts(primary_need=Need.HI, transition="end_of_plan", looked_after=True)
    assert propose_support(facts).score == 1 + 1 + 3 + 1
    assert propose_support(facts, SupportRules(looked_after_points=10)).score == 1 + 1 + 10 + 1
