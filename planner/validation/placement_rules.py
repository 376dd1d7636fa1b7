"""The placement rules restated in plain Python, one learner and one setting at a time: the validator's own copy.

Nothing here calls the solver's code (planner.placement.round, .eligibility, planner.domain.travel's model): if a
rule is misread in one place, the two disagree and the tests say so. Only data is shared (the documented travel
profiles, the code tables, the round's parameters).

Rules, in the council's words:
- who is in a round (`in_round`): a learner whose plan is open, aged within the plan's years, not on a route
  with no setting to place (supported internship, apprenticeship, other), and: with no setting (a new plan or
  awaiting a place; never home education or other arrangements, nor a plan being ceased; a nursery without a URN
  only at school entry), or with an agreed move, or whose setting cannot keep them (age, closing), or at a phase
  transfer unless the setting covers the next phase and the family asked for nothing else, or in a PRU/AP past
  its short stay;
- where they may go (`exclusion_reasons`): open, right age, meets the need (designation; an undesignated specialist
  setting takes every need; or the kind's compatibility), PRU/AP only for the excluded or at risk, within the
  journey limit, of a type the plan names, a single-sex school only for that sex, a grammar or an independent
  mainstream school only when requested, a boarding school only when the plan names a residential placement;
- how many places are free (`free_places`): capacity less learners with plans who stay; a mainstream school with a
  known roll: capacity less the margin less everyone on roll.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from planner.domain.codes import (
    POST16_EQUIVALENTS,
    PROVISION_OF_KIND,
    Arrangement,
    ProvisionType,
    SchoolGender,
    SettingKind,
    Sex,
    phase_of_ncy,
)
from planner.domain.models import Instance, Learner, Setting
from planner.domain.travel import DEFAULT_PROFILES
from planner.placement.params import PlacementParameters

LEFT_ALONE = {Arrangement.OLA, Arrangement.OPA, Arrangement.EHE, Arrangement.NIEC}
NO_SETTING_ROUTES = {ProvisionType.SUPPORTED_INTERNSHIP, ProvisionType.APPRENTICESHIP, ProvisionType.OTHER_ROUTE}
SEX_OF_SCHOOL = {SchoolGender.BOYS: Sex.MALE, SchoolGender.GIRLS: Sex.FEMALE}


def journey_minutes(instance: Instance, learner: Learner, setting: Setting, parameters: PlacementParameters) -> float:
    """A known journey time from the council's matrix, else the documented estimate for the travel mode."""
    for known in instance.travel_times:
        if known.origin_id == learner.id and known.destination_id == setting.id:
            return known.minutes
    profile = DEFAULT_PROFILES[parameters.travel_mode]
    km = math.hypot(learner.home.easting - setting.location.easting,
                    learner.home.northing - setting.location.northing) / 1000
    return profile.fixed_minutes + km * profile.detour_factor / profile.speed_kmh * 60


def _transfer_needs_place(learner: Learner, current: Setting) -> bool:
    return any(requested != current.id for requested in learner.requested_setting_ids)


def in_round(instance: Instance, learner: Learner, year: int, parameters: PlacementParameters) -> bool:
    """Whether the round for `year` must propose a setting for this learner (before listed/all options)."""
    ncy = instance.learner_ncy(learner, year)
    if learner.plan_end is not None or not -2 <= ncy <= 20 or learner.provision_type in NO_SETTING_ROUTES:
        return False
    if learner.current_setting_id is None:
        if learner.arrangement in LEFT_ALONE:
            return False
        if learner.arrangement is Arrangement.EYP:
            return ncy in parameters.transfer_ncys
        return True
    if learner.pinned_setting_id is not None and learner.pinned_setting_id != learner.current_setting_id:
        return True
    current = instance.setting_by_id[learner.current_setting_id]
    if not current.ncy_min <= ncy <= current.ncy_max or not current.is_open_in(year):
        return True
    if ncy in parameters.transfer_ncys:
        return _transfer_needs_place(learner, current)
    if current.kind is SettingKind.PRU_AP:
        started = learner.setting_start
        return started is None or started <= date(year, 9, 1) - timedelta(days=parameters.pru_max_stay_days)
    return False


def expected_round(instance: Instance, year: int, parameters: PlacementParameters) -> set[str]:
    """Every learner the round must decide on, with the listed / all options applied."""
    listed = set(parameters.learner_ids)
    if parameters.only_listed:
        return listed
    if parameters.place_all:
        return listed | {x.id for x in instance.learners
                         if x.plan_end is None and -2 <= instance.learner_ncy(x, year) <= 20}
    return listed | {x.id for x in instance.learners if in_round(instance, x, year, parameters)}


def _plan_allows(learner: Learner, setting: Setting, instance: Instance, ncy: int) -> bool:
    current = instance.setting_by_id.get(learner.current_setting_id or "")
    named = learner.provision_type
    if named is None and current is not None and current.kind is not SettingKind.PRU_AP:
        named = PROVISION_OF_KIND[current.kind]
    allowed = ({named} if named is not None else set()) | set(learner.acceptable_types)
    if named is not None and ncy >= 12:  # the post-16 equivalent of the plan's type
        allowed |= POST16_EQUIVALENTS.get(named, frozenset())
    return not allowed or PROVISION_OF_KIND[setting.kind] in allowed


def _meets_need(learner: Learner, setting: Setting, parameters: PlacementParameters) -> bool:
    if setting.designations:
        designated = setting.designations
    elif setting.kind not in (SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE):
        return True  # an undesignated specialist setting takes every need
    else:
        designated = frozenset()
    return learner.primary_need in designated or learner.primary_need in parameters.need_compatibility.get(
        setting.kind, [])


def exclusion_reasons(instance: Instance, learner: Learner, setting: Setting, year: int,
                      parameters: PlacementParameters) -> list[str]:
    """Plain-Python eligibility: the reason codes that forbid the pair (empty = allowed)."""
    reasons: list[str] = []
    ncy = instance.learner_ncy(learner, year)
    requested = setting.id in learner.requested_setting_ids
    checks = [
        ("CLOSED", not setting.is_open_in(year)),
        ("AGE_RANGE", not setting.ncy_min <= ncy <= setting.ncy_max),
        ("NOT_DESIGNATED", not _meets_need(learner, setting, parameters)),
        ("PRU_NOT_FLAGGED", setting.kind is SettingKind.PRU_AP and not (learner.excluded
                                                                        or learner.at_risk_of_exclusion)),
        ("TOO_FAR", journey_minutes(instance, learner, setting, parameters)
         > parameters.journey_limit(phase_of_ncy(ncy), learner.max_journey_minutes)),
        ("TYPE_NOT_IN_PLAN", not _plan_allows(learner, setting, instance, ncy)),
        ("SINGLE_SEX", setting.gender in SEX_OF_SCHOOL and learner.sex is not SEX_OF_SCHOOL[setting.gender]),
        ("SELECTIVE_NOT_REQUESTED", setting.selective and not requested),
        ("INDEPENDENT_NOT_REQUESTED", setting.independent and setting.kind is SettingKind.MAINSTREAM
         and not requested),
        ("RESIDENTIAL_NOT_IN_PLAN", setting.boarding and not learner.needs_residential),
    ]
    reasons.extend(code for code, broken in checks if broken)
    return reasons


def free_places(setting: Setting, stayers: int, parameters: PlacementParameters) -> int:
    """Places a round may fill at a setting."""
    if setting.kind in (SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE) and setting.number_on_roll is not None:
        return max(0, math.floor(setting.capacity * (1 - parameters.mainstream_margin)) - setting.number_on_roll)
    return max(0, setting.capacity - stayers)


def sibling_pins(instance: Instance, learner_ids: list[str], year: int,
                 parameters: PlacementParameters) -> dict[str, str]:
    """Pins a learner takes from a sibling: a sibling moving in the same phase inherits a member's agreed placement
    when that setting can take them (families ask for siblings together; the law asks for no impossible placement,
    CFA 2014 s39); a sibling with a pin of their own keeps it."""
    learners = [instance.learner_by_id[i] for i in learner_ids if i in instance.learner_by_id]
    pinned: dict[tuple[str, str], str] = {}
    for x in learners:
        if x.pinned_setting_id and x.sibling_group:
            pinned[(x.sibling_group, phase_of_ncy(instance.learner_ncy(x, year)).value)] = x.pinned_setting_id
    inherited: dict[str, str] = {}
    for x in learners:
        if x.pinned_setting_id or not x.sibling_group:
            continue
        pin = pinned.get((x.sibling_group, phase_of_ncy(instance.learner_ncy(x, year)).value))
        if pin is not None and not exclusion_reasons(instance, x, instance.setting_by_id[pin], year, parameters):
            inherited[x.id] = pin
    return inherited

