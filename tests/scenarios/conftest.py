"""Small hand-built council for the scenario tests (independent of the demo generator)."""

from __future__ import annotations

import pytest

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance, Learner, Locality, Point, Setting


def small_instance() -> Instance:
    north = Locality(id="N", name="North", centroid=Point(easting=400_000, northing=300_000))
    south = Locality(id="S", name="South", centroid=Point(easting=400_000, northing=280_000))
    settings = (
        Setting(id="M1", name="North Primary", kind=SettingKind.MAINSTREAM, ncy_min=0, ncy_max=6, capacity=420,
                cost_per_place=7000, location=north.centroid, locality_id="N"),
        Setting(id="SP1", name="Oak Special", kind=SettingKind.SPECIAL, designations=frozenset({Need.ASD, Need.SLD}),
                ncy_min=0, ncy_max=14, capacity=100, cost_per_place=23000, location=north.centroid,
                locality_id="N"),
        Setting(id="SP2", name="Elm Special", kind=SettingKind.SPECIAL, designations=frozenset({Need.SLD}),
                ncy_min=7, ncy_max=14, capacity=60, cost_per_place=25000, location=south.centroid, locality_id="S"),
        Setting(id="PRU1", name="Short Stay", kind=SettingKind.PRU_AP, ncy_min=7, ncy_max=11, capacity=30,
                cost_per_place=19000, location=south.centroid, locality_id="S"),
    )
    learners = (
        Learner(id="L1", ncy=3, primary_need=Need.ASD, home=north.centroid, locality_id="N", current_setting_id="SP1"),
        Learner(id="L2", ncy=8, primary_need=Need.SLD, home=south.centroid, locality_id="S", current_setting_id="SP2"),
    )
    return Instance(name="Tiny", base_year=2026, localities=(north, south), settings=settings, learners=learners)


@pytest.fixture
def tiny() -> Instance:
    return small_instance()
