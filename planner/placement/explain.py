"""Reasons people can read: why each alternative was not chosen, and the best settings for one learner now.

Works from the instance and a finished plan (no re-solve): eligibility for the learner is recomputed, free places
are the plan's free capacity minus the places the plan uses.
"""

from __future__ import annotations

from pydantic import BaseModel

from planner.domain.models import Instance
from planner.placement.eligibility import compute_eligibility, round_minutes
from planner.placement.objective import preference_value, setting_cost_units
from planner.placement.params import ObjectiveRule, PlacementParameters
from planner.placement.plan import PlacementPlan


class Alternative(BaseModel):
    setting_id: str
    eligible: bool
    reasons: list[str]  # exclusion codes, or FULL / WORSE_ON_<RULE>
    spare_places: int
    rules: dict[str, int]  # rule values if this setting were named (travel in journey minutes)
    detail: str
    proposed: bool = False  # the plan's own proposal for this learner
    would_displace: list[str] = []  # a full setting: the learner in this round it would displace (weakest claim)


class LearnerExplanation(BaseModel):
    learner_id: str
    chosen_setting_id: str | None
    chosen_rules: dict[str, int]
    alternatives: list[Alternative]


def _spare(plan: PlacementPlan) -> dict[str, int]:
    used: dict[str, int] = {}
    for d in plan.decisions:
        if d.setting_id is not None:
            used[d.setting_id] = used.get(d.setting_id, 0) + 1
    return {sid: free - used.get(sid, 0) for sid, free in plan.free_capacity.items()}


def explain_learner(instance: Instance, plan: PlacementPlan, learner_id: str,
                    parameters: PlacementParameters | None = None) -> LearnerExplanation:
    """Every setting considered for one learner and why it was not chosen (ineligible, full, worse on a rule)."""
    parameters = parameters or PlacementParameters()
    decision = plan.decision_for(learner_id)
    learner = instance.learner_by_id[learner_id]
    elig = compute_eligibility(instance, (learner_id,), plan.academic_year, parameters)
    reasons = elig.reasons(0)
    minutes = round_minutes(elig.minutes[0])
    spare = _spare(plan)
    order = [rule for level in parameters.objective for rule in level]

    def rules_for(col: int) -> dict[str, int]:
        s = instance.settings[col]
        requested = learner.requested_setting_ids
        rank = requested.index(s.id) + 1 if s.id in requested else None
        earlier = parameters.previous_proposals
        stability = {ObjectiveRule.STABILITY.value: int(learner_id in earlier and earlier[learner_id] != s.id)} \
            if earlier else {}
        return {**stability,
                ObjectiveRule.PLACED.value: 0,
                ObjectiveRule.PREFERENCE.value: preference_value(rank, len(requested), parameters),
                ObjectiveRule.RESTRICTIVENESS.value: parameters.restrictiveness_of(s.kind),
                ObjectiveRule.TRAVEL.value: int(minutes[col]),
                ObjectiveRule.COST.value: setting_cost_units(s, parameters)}

    chosen_col = elig.setting_ids.index(decision.setting_id) if decision.setting_id else None
    unplaced_stability = int(learner_id in parameters.previous_proposals
                             and parameters.previous_proposals[learner_id] is not None)
    unplaced_rules = {ObjectiveRule.PLACED.value: 1}
    if parameters.previous_proposals:
        unplaced_rules[ObjectiveRule.STABILITY.value] = unplaced_stability
    chosen_rules = rules_for(chosen_col) if chosen_col is not None else unplaced_rules
    out: list[Alternative] = []
    for col, sid in enumerate(elig.setting_ids):
        if col == chosen_col:
            continue
        values = rules_for(col)
        codes = [r.value for r in reasons[col]]
        detail = ", ".join(codes)
        if not codes:
            if spare.get(sid, 0) <= 0:
                codes, detail = ["FULL"], "no free place left in this plan"
            elif chosen_col is not None:
                for rule in order:
                    delta = values[rule.value] - chosen_rules[rule.value]
                    if delta > 0:
                        codes, detail = [f"WORSE_ON_{rule.value.upper()}"], f"worse on {rule.value} by {delta}"
                        break
                    if delta < 0:
                        codes, detail = ["OTHER_RULE"], f"better on {rule.value} by {-delta}, but a higher rule"
                        break
        out.append(Alternative(setting_id=sid, eligible=not reasons[col], reasons=codes,
                               spare_places=spare.get(sid, 0), rules=values, detail=detail))
    return LearnerExplanation(learner_id=learner_id, chosen_setting_id=decision.setting_id,
                              chosen_rules=chosen_rules, alternatives=out)


def weakest_claim(plan: PlacementPlan, setting_id: str, besides: str) -> list[str]:
    """The learner placed at `setting_id` in this round whom naming it for someone else would displace: not pinned,
    the weakest claim first (did not request it, then the longest journey), ties by id. Empty when nobody could be."""
    placed = [d for d in plan.decisions
              if d.setting_id == setting_id and not d.pinned and d.learner_id != besides]
    if not placed:
        return []
    weakest = max(placed, key=lambda d: (d.preference_rank is None, d.preference_value, d.travel_minutes or 0,
                                         d.learner_id))
    return [weakest.learner_id]


def recommend(instance: Instance, plan: PlacementPlan, learner_id: str, n: int = 5,
              parameters: PlacementParameters | None = None) -> list[Alternative]:
    """The best n settings for one learner against the current plan: the plan's proposal first (marked `proposed`),
    then eligible settings with a place, then full ones, each by the objective's rules in order. A full option
    names the learner it would displace. For an unplaced learner these are the nearest settings that would take
    them with one more place."""
    explanation = explain_learner(instance, plan, learner_id, parameters)
    parameters = parameters or PlacementParameters()
    order = [rule.value for level in parameters.objective for rule in level]
    eligible = [a for a in explanation.alternatives if a.eligible]
    eligible.sort(key=lambda a: (a.spare_places <= 0, *[a.rules.get(r, 0) for r in order], a.setting_id))
    chosen = explanation.chosen_setting_id
    best: list[Alternative] = []
    if chosen is not None:
        best.append(Alternative(setting_id=chosen, eligible=True, reasons=["PROPOSED"],
                                spare_places=_spare(plan).get(chosen, 0), rules=explanation.chosen_rules,
                                detail="the plan's proposal", proposed=True))
    for option in eligible[: max(0, n - len(best))]:
        displaced = weakest_claim(plan, option.setting_id, learner_id) if option.spare_places <= 0 else []
        best.append(option.model_copy(update={"would_displace": displaced}))
    return best


def objective_breakdown(plan: PlacementPlan) -> list[dict[str, object]]:
    """The per-rule objective of a plan, in rule order, for reports."""
    return [{"rule": rule, "value": value, "bound": plan.statistics.bound.get(rule)}
            for rule, value in plan.statistics.objective.items()]


__all__ = ["Alternative", "LearnerExplanation", "explain_learner", "recommend", "objective_breakdown"]
