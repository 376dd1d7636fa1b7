"""Small hand-made instances for the transition planner (no demo generator, no /work/shared)."""

from __future__ import annotations

from datetime import date

import pytest

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance, Learner, Locality, OutreachTeam, Point, Setting


def _setting(sid: str, kind: SettingKind, low: int, high: int, east: float) -> Setting:
    return Setting(id=sid, name=sid, kind=kind, ncy_min=low, ncy_max=high, capacity=100,
                   location=Point(easting=east, northing=300_000), locality_id="L1")


def _learner(lid: str, ncy: int, setting: str | None, need: Need = Need.ASD, **extra: object) -> Learner:
    return Learner(id=lid, ncy=ncy, primary_need=need, home=Point(easting=401_000, northing=301_000),
                   locality_id="L1", current_setting_id=setting, **extra)  # type: ignore[arg-type]


def build_small_instance(hours_per_week: float = 20.0) -> Instance:
    """Base year 2026: with year=2027 every learner below faces one transition type."""
    settings = (
        _setting("NURS", SettingKind.MAINSTREAM, -2, -1, 400_000),
        _setting("INF", SettingKind.MAINSTREAM, 0, 2, 402_000),
        _setting("JUN", SettingKind.MAINSTREAM, 3, 6, 403_000),
        _setting("PRI", SettingKind.MAINSTREAM, 0, 6, 404_000),
        _setting("SEC", SettingKind.MAINSTREAM, 7, 11, 406_000),
        _setting("SPEC", SettingKind.SPECIAL, 7, 13, 420_000),
        _setting("COL", SettingKind.FE_COLLEGE, 12, 14, 410_000),
        _setting("PRU", SettingKind.PRU_AP, 5, 11, 408_000),
    )
    learners = (
        _learner("EY1", -1, "NURS"),
        _learner("IJ1", 2, "INF", requested_setting_ids=("JUN",)),
        _learner("PS1", 6, "PRI", Need.SEMH, requested_setting_ids=("SPEC",)),
        _learner("SP1", 11, "SEC", Need.MLD, requested_setting_ids=("COL",)),
        _learner("P19", 14, "COL", Need.SLD),
        _learner("END", 20, None, Need.PMLD),
        _learner("PRU1", 8, "PRU", Need.SEMH, excluded=True, setting_start=date(2026, 3, 2)),
        _learner("RISK", 4, "PRI", Need.SEMH, suspensions=4),
        _learner("STAY", 3, "PRI", Need.SLCN),  # Y3 -> Y4 in a primary school: no transition
        _learner("Y9", 9, "SEC", Need.HI),  # no transition; preparing for adulthood from Year 9
    )
    teams = (
        OutreachTeam(id="T1", name="Autism and SEMH", specialisms=frozenset({Need.ASD, Need.SEMH}),
                     hours_per_week=hours_per_week, base=Point(easting=400_000, northing=300_000)),
        OutreachTeam(id="T2", name="Learning", specialisms=frozenset({Need.MLD, Need.SLD, Need.PMLD}),
                     hours_per_week=hours_per_week, base=Point(easting=410_000, northing=300_000)),
    )
    return Instance(name="small", base_year=2026,
                    localities=(Locality(id="L1", name="One", centroid=Point(easting=400_000, northing=300_000)),),
                    settings=settings, learners=learners, teams=teams)


@pytest.fixture
def small_instance() -> Instance:
    return build_small_instance()


def build_counter_example(cases: int = 40, hours_per_week: float = 5.0) -> Instance:
    """Issue 16's counter-example shape: `cases` Year 6 learners moving to one secondary school, one team of
    `hours_per_week` hours. Every case is universal tier (a 2-hour review due by late November and a 1-hour
    handover): the half-term budgets cannot hold every review by its date, but the whole problem can take them all
    at a lateness price far below the penalty for leaving a case without a team."""
    primaries = tuple(
        Setting(id=f"P{k}", name=f"P{k}", kind=SettingKind.MAINSTREAM, ncy_min=0, ncy_max=6, capacity=100,
                location=Point(easting=400_000 + 1_500 * k, northing=300_000 + 700 * (k % 3)), locality_id="L1")
        for k in range(8))
    secondary = Setting(id="SEC", name="SEC", kind=SettingKind.MAINSTREAM, ncy_min=7, ncy_max=11, capacity=500,
                        location=Point(easting=405_000, northing=301_000), locality_id="L1")
    learners = tuple(
        Learner(id=f"L{i:02d}", ncy=6, primary_need=Need.MLD, home=Point(easting=400_500 + 1_500 * (i % 8),
                                                                         northing=300_500),
                locality_id="L1", current_setting_id=f"P{i % 8}", requested_setting_ids=("SEC",))
        for i in range(cases))
    team = OutreachTeam(id="T1", name="Learning", specialisms=frozenset({Need.MLD}), hours_per_week=hours_per_week,
                        base=Point(easting=400_000, northing=300_000))
    return Instance(name="counter-example", base_year=2026,
                    localities=(Locality(id="L1", name="One", centroid=Point(easting=400_000, northing=300_000)),),
                    settings=(*primaries, secondary), learners=learners, teams=(team,))
