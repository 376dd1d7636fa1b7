"""Instance integrity: each broken rule is reported naming the record, its id and the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from planner.domain.codes import Need, Phase, SettingKind
from planner.domain.models import (
    Instance,
    InstanceIntegrityError,
    IntegrityProblem,
    Learner,
    Locality,
    NeedForecast,
    OutreachTeam,
    Point,
    Setting,
)

HERE = Point(easting=430_000, northing=500_000)


def setting(id: str = "S1", **changes: Any) -> Setting:
    fields: dict[str, Any] = {"id": id, "name": f"School {id}", "kind": SettingKind.MAINSTREAM, "ncy_min": 0,
                              "ncy_max": 6, "capacity": 30, "location": HERE}
    fields.update(changes)
    return Setting(**fields)


def learner(id: str = "L1", **changes: Any) -> Learner:
    fields: dict[str, Any] = {"id": id, "ncy": 3, "primary_need": Need.ASD, "home": HERE}
    fields.update(changes)
    return Learner(**fields)


def instance(**changes: Any) -> Instance:
    fields: dict[str, Any] = {
        "name": "Test council", "base_year": 2026,
        "localities": (Locality(id="LOC1", name="One", centroid=HERE),),
        "settings": (setting("S1"),), "learners": (learner("L1"),),
    }
    fields.update(changes)
    return Instance(**fields)


def problems_of(**changes: Any) -> list[IntegrityProblem]:
    with pytest.raises(InstanceIntegrityError) as info:
        instance(**changes)
    return info.value.problems


def triples(problems: list[IntegrityProblem]) -> set[tuple[str, str, str]]:
    return {(p.record, p.record_id, p.field) for p in problems}


def test_valid_instance_builds_and_maps_ids() -> None:
    built = instance()
    assert built.setting_by_id["S1"].name == "School S1"
    assert built.learner_by_id["L1"].ncy == 3


def test_unknown_current_setting() -> None:
    problems = problems_of(learners=(learner("L1", current_setting_id="NOPE"),))
    assert triples(problems) == {("learner", "L1", "current_setting_id")}
    assert "'NOPE'" in problems[0].message


def test_unknown_requested_setting_names_the_rank() -> None:
    problems = problems_of(learners=(learner("L1", requested_setting_ids=("S1", "GONE")),))
    assert triples(problems) == {("learner", "L1", "requested_setting_ids[2]")}


def test_requested_twice() -> None:
    problems = problems_of(learners=(learner("L1", requested_setting_ids=("S1", "S1")),))
    assert triples(problems) == {("learner", "L1", "requested_setting_ids")}


def test_unknown_pinned_setting_and_locality() -> None:
    problems = problems_of(learners=(learner("L1", pinned_setting_id="X", locality_id="NOWHERE"),))
    assert triples(problems) == {("learner", "L1", "pinned_setting_id"), ("learner", "L1", "locality_id")}


def test_unknown_host_and_setting_locality() -> None:
    base = setting("S1-RP", kind=SettingKind.RESOURCED_PROVISION, host_setting_id="S9", locality_id="LOC9")
    problems = problems_of(settings=(setting("S1"), base))
    assert triples(problems) == {("setting", "S1-RP", "host_setting_id"), ("setting", "S1-RP", "locality_id")}


def test_unknown_team_and_forecast_locality() -> None:
    team = OutreachTeam(id="T1", name="Autism", specialisms=frozenset({Need.ASD}), hours_per_week=10,
                        locality_ids=frozenset({"LOC1", "LOC7"}))
    forecast = NeedForecast(academic_year=2027, need=Need.ASD, phase=Phase.PRIMARY, locality_id="LOC8",
                            p10=1, p50=2, p90=3)
    problems = problems_of(teams=(team,), forecasts=(forecast,))
    assert triples(problems) == {("team", "T1", "locality_ids"), ("forecast", "2027/ASD/primary", "locality_id")}
    assert "'LOC7'" in next(p for p in problems if p.record == "team").message


def test_duplicate_ids() -> None:
    problems = problems_of(settings=(setting("S1"), setting("S1")), learners=(learner("L1"), learner("L1")))
    assert triples(problems) == {("setting", "S1", "id"), ("learner", "L1", "id")}


def test_one_member_sibling_group() -> None:
    problems = problems_of(learners=(learner("L1", sibling_group="G1"), learner("L2", sibling_group="G2"),
                                     learner("L3", sibling_group="G2")))
    assert triples(problems) == {("learner", "L1", "sibling_group")}
    assert "'G1'" in problems[0].message


def test_learner_too_old_names_birth_date() -> None:
    problems = problems_of(learners=(learner("L1", ncy=None, birth_date=date(1990, 1, 1)),))
    assert triples(problems) == {("learner", "L1", "birth_date")}


def test_phase_cap_above_capacity_or_outside_range() -> None:
    special = setting("S2", kind=SettingKind.SPECIAL, capacity=20,
                      capacity_by_phase={Phase.PRIMARY: 25, Phase.SECONDARY: 5})
    problems = problems_of(settings=(setting("S1"), special))
    assert triples(problems) == {("setting", "S2", "capacity_by_phase[primary]"),
                                 ("setting", "S2", "capacity_by_phase[secondary]")}


def test_every_problem_is_listed_in_the_message() -> None:
    with pytest.raises(InstanceIntegrityError) as info:
        instance(learners=(learner("L1", current_setting_id="X"), learner("L2", current_setting_id="Y")))
    assert "2 integrity problem(s)" in str(info.value)
    assert "learner L1: current_setting_id" in str(info.value) and "learner L2" in str(info.value)


def test_impossible_age_range_names_the_setting() -> None:
    with pytest.raises(ValidationError, match="setting S5: ncy_min \\(7\\) is above ncy_max \\(6\\)"):
        setting("S5", ncy_min=7, ncy_max=6)


def test_negative_capacity_names_setting_and_field() -> None:
    with pytest.raises(ValidationError, match="setting S6: capacity must be >= 0, got -1"):
        setting("S6", capacity=-1)
    with pytest.raises(ValidationError, match="setting S7: cost_per_place must be >= 0"):
        setting("S7", cost_per_place=-5)
    with pytest.raises(ValidationError, match=r"setting S8: capacity_by_phase\[primary\] must be >= 0"):
        setting("S8", capacity_by_phase={Phase.PRIMARY: -2})


def test_learner_field_rules() -> None:
    with pytest.raises(ValidationError, match="learner L9: give ncy or birth_date"):
        learner("L9", ncy=None)
    with pytest.raises(ValidationError, match="learner L9: secondary_need repeats primary_need"):
        learner("L9", secondary_need=Need.ASD)
    with pytest.raises(ValidationError, match="learner L9: max_journey_minutes must be > 0"):
        learner("L9", max_journey_minutes=0)


def test_negative_team_hours_and_unordered_forecast() -> None:
    with pytest.raises(ValidationError, match="team T2: hours_per_week must be >= 0"):
        OutreachTeam(id="T2", name="x", specialisms=frozenset(), hours_per_week=-1)
    with pytest.raises(ValidationError, match="p10 <= p50 <= p90"):
        NeedForecast(academic_year=2027, need=Need.ASD, phase=Phase.PRIMARY, locality_id="L", p10=3, p50=2, p90=4)


def test_models_are_frozen_and_replace_revalidates() -> None:
    built = instance()
    with pytest.raises(ValidationError):
        built.settings[0].capacity = 5  # type: ignore[misc]
    with pytest.raises(InstanceIntegrityError):
        built.replace(learners=(learner("L1", current_setting_id="MISSING"),))
    assert built.replace(name="Renamed").name == "Renamed"
