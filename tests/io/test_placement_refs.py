"""Placements named in a SEN2 return resolved against the council's settings: out-of-area and independent
placements are kept (never dropped, never re-placed as new plans), bases found, arrangements recorded."""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.codes import Arrangement, Need, SettingKind
from planner.domain.models import Instance, Learner, Point, Setting
from planner.io.placement_refs import resolve_placements


@dataclass(frozen=True)
class Ref:
    urn: int | None = None
    ukprn: int | None = None
    sen_setting: str | None = None
    sen_unit: bool = False
    resourced_provision: bool = False


def _setting(sid: str, kind: SettingKind = SettingKind.MAINSTREAM, **extra: object) -> Setting:
    return Setting(id=sid, name=f"School {sid}", kind=kind, ncy_min=0, ncy_max=13, capacity=10,
                   location=Point(easting=400_000, northing=300_000), **extra)  # type: ignore[arg-type]


SETTINGS = [
    _setting("100001", SettingKind.SPECIAL),
    _setting("100002"),
    _setting("100002-UNIT", SettingKind.SEN_UNIT, host_setting_id="100002"),
    _setting("100003"),
    _setting("100004", SettingKind.FE_COLLEGE, ukprn=10004321),
]


def _learner(lid: str, east: float = 400_000) -> Learner:
    return Learner(id=lid, ncy=5, primary_need=Need.ASD, home=Point(easting=east, northing=300_000))


def test_each_kind_of_reference_resolves() -> None:
    learners = [_learner(f"L{i}") for i in range(1, 10)]
    refs = {
        "L1": Ref(urn=100001),  # in the extract
        "L2": Ref(urn=100002, sen_unit=True),  # the school's unit
        "L3": Ref(urn=100002, resourced_provision=True),  # the return says RP, the extract has a unit only
        "L4": Ref(urn=100003, sen_unit=True),  # no base recorded: the school, with a warning
        "L5": Ref(ukprn=10004321),  # a college by UKPRN
        "L6": Ref(urn=654321),  # not in the extract: kept as out of area
        "L7": Ref(urn=654321),
        "L8": Ref(ukprn=10009999),  # a provider not in the extract
        "L9": Ref(sen_setting="EHE"),  # home education
    }
    result = resolve_placements(learners, refs, SETTINGS)
    where = {x.id: x.current_setting_id for x in result.learners}
    assert where == {"L1": "100001", "L2": "100002-UNIT", "L3": "100002-UNIT", "L4": "100003", "L5": "100004",
                     "L6": "654321", "L7": "654321", "L8": "UKPRN-10009999", "L9": None}
    assert {x.id: x.arrangement for x in result.learners}["L9"] is Arrangement.EHE
    stubs = {s.id: s for s in result.new_settings}
    assert stubs["654321"].kind is SettingKind.INDEPENDENT_SPECIAL and not stubs["654321"].in_area
    assert stubs["654321"].capacity == 2 and stubs["654321"].urn == 654321
    assert stubs["UKPRN-10009999"].kind is SettingKind.FE_COLLEGE and stubs["UKPRN-10009999"].ukprn == 10009999
    assert result.counts == {"placed": 8, "out_of_area_records": 2, "learners_in_new_records": 3, "arrangements": 1}
    assert len(result.warnings) == 4  # RP->unit, no base, and one per out-of-area record
    # The result is a valid instance: every learner's setting exists.
    Instance(name="t", base_year=2024, settings=(*SETTINGS, *result.new_settings), learners=tuple(result.learners))


def test_an_out_of_area_record_sits_at_the_mean_of_its_learners_homes_to_100_m() -> None:
    learners = [_learner("A", 401_000), _learner("B", 402_260)]
    result = resolve_placements(learners, {"A": Ref(urn=777777), "B": Ref(urn=777777)}, SETTINGS)
    assert result.new_settings[0].location == Point(easting=401_600, northing=300_000)


def test_learners_without_a_reference_are_unchanged() -> None:
    learners = [_learner("A").model_copy(update={"current_setting_id": "100001"})]
    result = resolve_placements(learners, {}, SETTINGS)
    assert result.learners[0].current_setting_id is None  # the return says nothing: no setting, no arrangement
    assert result.new_settings == []
