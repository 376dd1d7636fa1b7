"""Default outreach teams: the six specialist teams, hours scaled to the caseload, based at the settings' centre."""

from __future__ import annotations

from datetime import date

import pytest

from planner.areas import default_teams
from planner.areas.teams import DEFAULT_TEAM_SPECS, remap_team_localities
from planner.domain.codes import Need
from planner.domain.models import Instance, Learner, Locality, OutreachTeam, Point, Setting


def _instance(current: int, ceased: int = 0, localities: int = 2) -> Instance:
    home = Point(easting=400_000, northing=500_000)
    learners = [Learner(id=f"C{i}", ncy=5, primary_need="ASD", home=home) for i in range(current)]
    learners += [Learner(id=f"X{i}", ncy=5, primary_need="ASD", home=home, plan_end=date(2025, 7, 1))
                 for i in range(ceased)]
    settings = (
        Setting(id="S1", name="One", kind="mainstream", ncy_min=0, ncy_max=6, capacity=200,
                location=Point(easting=400_000, northing=500_000)),
        Setting(id="S2", name="Two", kind="special", ncy_min=0, ncy_max=14, capacity=80,
                location=Point(easting=410_000, northing=510_001)),
        Setting(id="S3", name="Away", kind="independent_special", ncy_min=0, ncy_max=14, capacity=30,
                location=Point(easting=600_000, northing=700_000), in_area=False),
    )
    locs = tuple(Locality(id=f"L{i}", name=f"L{i}", centroid=home) for i in range(localities))
    return Instance(name="T", base_year=2026, learners=tuple(learners), settings=settings, localities=locs)


def test_the_six_default_teams_and_their_specialisms() -> None:
    teams = default_teams(_instance(3_500))
    assert [t.id for t in teams] == ["T-AUT", "T-SEMH", "T-SENS", "T-LD", "T-EY", "T-PFA"]
    by_id = {t.id: t for t in teams}
    assert by_id["T-AUT"].specialisms == {Need.ASD, Need.SLCN}
    assert by_id["T-SEMH"].specialisms == {Need.SEMH}
    assert by_id["T-SENS"].specialisms == {Need.HI, Need.VI, Need.MSI}
    assert by_id["T-LD"].specialisms == {Need.MLD, Need.SLD, Need.PMLD, Need.SPLD, Need.DS}
    assert by_id["T-EY"].specialisms == by_id["T-PFA"].specialisms == frozenset(Need)


def test_hours_are_the_demo_ratio_scaled_to_the_current_caseload() -> None:
    # at the demo's 3,500 learners: the demo's hours exactly
    assert [t.hours_per_week for t in default_teams(_instance(3_500))] == [180.0, 150.0, 75.0, 90.0, 70.0, 55.0]
    # 700 current plans (ceased ones do not count): a fifth, to a tenth of an hour
    assert [t.hours_per_week for t in default_teams(_instance(700, ceased=300))] == [36.0, 30.0, 15.0, 18.0,
                                                                                        14.0, 11.0]
    assert [t.hours_per_week for t in default_teams(_instance(100))] == [
        pytest.approx(round(h * 100 / 3_500, 1)) for _, _, _, h in DEFAULT_TEAM_SPECS]
    assert all(t.hours_per_week == 0 for t in default_teams(_instance(0)))


def test_based_at_the_centre_of_in_area_settings_covering_every_locality() -> None:
    teams = default_teams(_instance(10, localities=3))
    # mean of S1 and S2 (the out-of-area S3 does not count), to the metre: (405000, 505000.5 -> 505000)
    assert {t.base for t in teams} == {Point(easting=405_000, northing=505_000)}
    assert {t.locality_ids for t in teams} == {frozenset({"L0", "L1", "L2"})}
    bare = _instance(10, localities=0).replace(settings=())
    assert {t.base for t in default_teams(bare)} == {Point(easting=400_000, northing=500_000)}  # the homes' centre
    assert {t.locality_ids for t in default_teams(bare)} == {frozenset()}  # no localities yet: empty means all


def test_default_teams_fit_the_instance_and_are_deterministic() -> None:
    instance = _instance(1_234)
    teams = default_teams(instance)
    assert instance.replace(teams=teams).teams == teams
    assert default_teams(instance) == teams


def test_remap_team_localities() -> None:
    team = OutreachTeam(id="T", name="T", specialisms=frozenset({"ASD"}), hours_per_week=1,
                        locality_ids=frozenset({"A", "B"}))
    part = team.model_copy(update={"id": "P", "locality_ids": frozenset({"A"})})
    kept, notes = remap_team_localities([team, part], {"A", "B", "C"}, {"A", "X"})
    assert kept[0].locality_ids == {"A"} and kept[1].locality_ids == {"A"}
    assert notes == ["team T now covers 1 locality"]
    every, _ = remap_team_localities([team], {"A", "B"}, {"X", "Y"})
    assert every[0].locality_ids == {"X", "Y"}  # covered every old locality: covers every new one


# --------------------------------------------------------------------------------------------------------------
# The teams CSV (planner.io.teams)

TEAMS_CSV = b"""team_id,name,specialisms,hours_per_week,localities,easting,northing
T1,Autism,ASD;slcn,37.5,L0,443000,513000
T2,Everyone,ASD; SEMH,20,,,
"""


def test_teams_csv_reads_good_rows() -> None:
    from planner.io.teams import read_teams

    teams, report = read_teams(TEAMS_CSV, known_locality_ids={"L0", "L1"})
    assert teams == (
        OutreachTeam(id="T1", name="Autism", specialisms=frozenset({Need.ASD, Need.SLCN}), hours_per_week=37.5,
                     locality_ids=frozenset({"L0"}), base=Point(easting=443_000, northing=513_000)),
        OutreachTeam(id="T2", name="Everyone", specialisms=frozenset({Need.ASD, Need.SEMH}), hours_per_week=20),
    )
    assert report.rows_valid == 2
    minimal, _ = read_teams(b"team_id,name,specialisms,hours_per_week\nT,Team,HI,5\n")
    assert minimal[0].locality_ids == frozenset() and minimal[0].base is None


def test_teams_csv_row_problems() -> None:
    from planner.io.report import ImportValidationError
    from planner.io.teams import read_teams

    text = TEAMS_CSV + b"""T3,Bad,ASD;XYZ,-1,Q,443000,
,,,,,,
T1,Again,ASD,1,,,
T4,No needs,,abc,L0;bad id,,
"""
    with pytest.raises(ImportValidationError) as info:
        read_teams(text, known_locality_ids={"L0"})
    assert [(p.row, p.column, p.value) for p in info.value.report.problems] == [
        (4, "specialisms", "XYZ"),
        (4, "hours_per_week", "-1"),
        (4, "localities", "Q"),
        (4, "northing", ""),
        (6, "team_id", "T1"),
        (7, "specialisms", ""),
        (7, "hours_per_week", "abc"),
        (7, "localities", "bad id"),
    ]
    teams, report = read_teams(text, known_locality_ids={"L0"}, skip_invalid=True)
    assert [t.id for t in teams] == ["T1", "T2"] and report.rows_invalid == 3
