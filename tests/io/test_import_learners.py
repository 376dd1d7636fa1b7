"""Learner CSV import: SEN2-style columns, booleans, dates, the 31 August rule, and row-level errors."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from planner.domain.codes import Need
from planner.domain.models import Point
from planner.io import ImportValidationError, read_learners

KNOWN_SETTINGS = {"100001", "100002-RP", "100003", "100003-UNIT", "100004"}


def test_good_file(data_dir: Path) -> None:
    learners, report = read_learners(data_dir / "learners_good.csv", base_year=2026,
                                     known_setting_ids=KNOWN_SETTINGS, known_locality_ids={"NV-TOWN"})
    assert report.ok and (report.rows_read, report.rows_valid) == (4, 4)
    by_id = {x.id: x for x in learners}
    first, second, third, fourth = (by_id[i] for i in ("P001", "P002", "P003", "P004"))
    # Born 31 August 2015: Year 7 in 2026/27; born a day later: still Year 6.
    assert first.ncy_in(2026, 2026) == 7 and second.ncy_in(2026, 2026) == 6
    assert (first.primary_need, first.secondary_need) == (Need.ASD, Need.SLCN)
    assert first.home == Point(easting=430_100, northing=500_200) and first.locality_id == "NV-TOWN"
    assert first.current_setting_id == "100001" and first.requested_setting_ids == ("100002-RP", "100004")
    assert first.needs_transport and not first.looked_after and first.max_journey_minutes == 45
    assert (first.plan_start, first.setting_start) == (date(2020, 3, 1), date(2021, 9, 3))
    assert second.primary_need is Need.SEMH and second.looked_after and second.excluded and second.suspensions == 3
    assert second.current_setting_id is None and second.requested_setting_ids == ()
    assert third.ncy == 7 and third.birth_date is None and third.primary_need is Need.SLD
    assert third.plan_start == date(2019, 9, 1) and third.looked_after
    assert third.sibling_group == fourth.sibling_group == "SG1"
    assert fourth.at_risk_of_exclusion and not fourth.excluded and fourth.max_journey_minutes == 60


def test_postcodes_are_ignored(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    learners, report = read_learners(data_dir / "learners_good.csv")
    text = " ".join(x.model_dump_json() for x in learners) + report.model_dump_json() + caplog.text
    assert "NV1" not in text and "NV2" not in text
    assert any("Postcode column ignored" in note for note in report.notes)


def test_bad_rows_are_reported_by_row_and_column(data_dir: Path) -> None:
    with pytest.raises(ImportValidationError) as info:
        read_learners(data_dir / "learners_bad.csv", base_year=2026, known_setting_ids=KNOWN_SETTINGS)
    report = info.value.report
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (3, "PrimaryNeed", "XYZ"),
        (4, "NCY", "25"),
        (5, "PersonBirthDate", "(withheld)"),  # personal values are never echoed back (issue 18)
        (6, "Easting", "(withheld)"),
        (7, "LookedAfter", "maybe"),
        (8, "PersonID", "P001"),
        (9, "PersonID", ""),  # a UPN is refused and never echoed back
        (10, "SiblingGroup", "SG9"),
        (11, "Suspensions", "-1"),
        (12, "MaxJourneyMinutes", "0"),
        (13, "RequestedSettings", "100001;100001"),
        (14, "URN", "999999"),
        (15, "SecondaryNeed", "ASD"),
    ]
    assert "UPN" in report.problems[6].expected
    assert "A123456789012" not in str(info.value) and "31/02/2015" not in str(info.value)
    assert report.rows_valid == 1


def test_skip_invalid_keeps_the_good_rows(data_dir: Path) -> None:
    learners, report = read_learners(data_dir / "learners_bad.csv", base_year=2026,
                                     known_setting_ids=KNOWN_SETTINGS, skip_invalid=True)
    assert [x.id for x in learners] == ["P001"]
    assert len(report.problems) == 13


def test_birth_date_outside_the_age_range(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("LearnerID,PersonBirthDate,PrimaryNeed,Easting,Northing\nX1,1990-05-01,ASD,430000,500000\n",
                    encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        read_learners(path, base_year=2026)
    problem = info.value.report.problems[0]
    assert (problem.row, problem.column) == (2, "PersonBirthDate") and "ages 0-25" in problem.expected


def test_ncy_must_agree_with_birth_date(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    path.write_text("LearnerID,PersonBirthDate,NCY,PrimaryNeed,Easting,Northing\n"
                    "X1,2015-08-31,7,ASD,430000,500000\nX2,2015-08-31,6,ASD,430000,500000\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        read_learners(path, base_year=2026)
    assert [(p.row, p.column) for p in info.value.report.problems] == [(3, "NCY")]


def test_needs_an_age_column_and_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "no_age.csv"
    path.write_text("PersonID,PrimaryNeed,Easting\nX1,ASD,430000\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        read_learners(path, skip_invalid=True)
    assert {p.column for p in info.value.report.problems} == {"Northing", "PersonBirthDate or NCY"}


def test_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("PersonID,NCY,PrimaryNeed,Easting,Northing,Locality\nX1,3,ASD,430000,500000,Château\n"
                     .encode("latin-1"))
    learners, report = read_learners(path)
    assert learners[0].locality_id == "Château" and learners[0].ncy == 3
    assert any("Windows-1252" in note for note in report.notes)


def test_plan_type_columns(tmp_path: Path) -> None:
    """The plan's type of provision, the officer's acceptable types, sex and a residential placement."""
    from planner.domain.codes import ProvisionType, Sex

    path = tmp_path / "plans.csv"
    path.write_text("PersonID,NCY,PrimaryNeed,Easting,Northing,PlanProvisionType,AcceptableTypes,Sex,NeedsResidential\n"
                    "A1,5,ASD,430000,500000,special,sen_unit;resourced_provision,F,Y\n"
                    "A2,5,MLD,430000,500000,,,U,\n"
                    "A3,5,MLD,430000,500000,grammar,,X,\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as raised:
        read_learners(path, base_year=2026)
    problems = {(p.row, p.column) for p in raised.value.report.problems}
    assert problems == {(4, "PlanProvisionType"), (4, "Sex")}
    learners, _ = read_learners(path, base_year=2026, skip_invalid=True)
    first, second = learners
    assert first.provision_type is ProvisionType.SPECIAL and first.sex is Sex.FEMALE and first.needs_residential
    assert first.acceptable_types == {ProvisionType.SEN_UNIT, ProvisionType.RESOURCED_PROVISION}
    assert second.provision_type is None and second.sex is None and not second.needs_residential
