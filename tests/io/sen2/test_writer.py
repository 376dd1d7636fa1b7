"""The writer: persons.csv in, a return out in each layout, and the reader gives back the expected learners."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from planner.domain.codes import Need, Sex
from planner.io.postcode_lookup import PostcodeFix, PostcodeLookup, rounded_point
from planner.io.sen2.model import Sen2Person, Sen2Placement
from planner.io.sen2.reader import read_sen2
from planner.io.sen2.writer import blade_date, read_persons_csv, write_sen2_csv, write_sen2_xml
from tests.io.sen2.conftest import DATA, KEY, expected_id

CENSUS = date(2025, 1, 16)


def test_read_persons_csv() -> None:
    persons = read_persons_csv(DATA / "persons.csv")
    assert [p.person_table_id for p in persons] == [str(n) for n in range(1001, 1008)]
    first = persons[0]
    assert (first.upn, first.birth_date, first.sex, first.needs) == (
        "A100000000001", date(2014, 8, 31), "M", (("ASD", 1), ("SLCN", 2)))
    assert first.placement == Sen2Placement(urn=100001, entry_date=date(2021, 9, 3))
    assert persons[1].placement is not None and persons[1].placement.resourced_provision
    assert persons[3].needs == () and persons[3].placement == Sen2Placement(sen_setting="EHE",
                                                                            entry_date=date(2024, 10, 1))
    assert persons[4].cease_date == date(2024, 7, 31)
    assert persons[6].plan_start is None and persons[6].placement is None


def test_read_persons_csv_names_the_bad_cell_without_personal_values(tmp_path: Path) -> None:
    text = (DATA / "persons.csv").read_text().replace("2014-08-31,M", "31-08-2014,M")
    (tmp_path / "persons.csv").write_text(text)
    with pytest.raises(ValueError, match="row 2, column 'birth_date'") as raised:
        read_persons_csv(tmp_path / "persons.csv")
    assert "31-08-2014" not in str(raised.value)
    (tmp_path / "persons.csv").write_text(text.replace("person_id,", "id,"))
    with pytest.raises(ValueError, match="missing column"):
        read_persons_csv(tmp_path / "persons.csv")


@pytest.mark.parametrize("layout", ["blade", "plain", "xml"])
def test_round_trip(layout: str, tmp_path: Path, fixes: dict[str, PostcodeFix], lookup: PostcodeLookup) -> None:
    persons = read_persons_csv(DATA / "persons.csv")
    persons[2] = replace(persons[2], uln="1000000003")
    if layout == "xml":
        source = write_sen2_xml(tmp_path / "return.xml", persons, CENSUS, "999")
    else:
        write_sen2_csv(tmp_path / "return", persons, CENSUS, "999", blade_names=layout == "blade")
        source = tmp_path / "return"
    result = read_sen2(source, postcode_lookup=lookup, pseudonym_key=KEY)
    assert result.census_date == CENSUS and result.la_code == "999"
    active = [p for p in persons if p.plan_start and (p.cease_date is None or p.cease_date >= CENSUS)]
    assert len(result.learners) == len(active) == 5
    for person, learner in zip(active, result.learners, strict=True):
        assert learner.id == expected_id(person.upn or person.uln)
        assert learner.birth_date == person.birth_date and learner.plan_start == person.plan_start
        assert learner.last_review == person.last_review
        assert learner.sex == {"M": Sex.MALE, "F": Sex.FEMALE}.get(person.sex)
        assert (learner.primary_need, learner.secondary_need) == _needs(person)
        assert learner.home == rounded_point(fixes[person.postcode])
        assert person.placement is not None and learner.setting_start == person.placement.entry_date
        ref = result.placements[learner.id]
        assert (ref.urn, ref.ukprn, ref.sen_setting, ref.sen_unit, ref.resourced_provision) == (
            person.placement.urn, person.placement.ukprn, person.placement.sen_setting, person.placement.sen_unit,
            person.placement.resourced_provision)


def _needs(person: Sen2Person) -> tuple[Need, Need | None]:
    codes = dict((rank, code) for code, rank in person.needs)
    return Need(codes[1]) if 1 in codes else Need.NSA, Need(codes[2]) if 2 in codes else None


def test_blade_file_names_and_dates(tmp_path: Path) -> None:
    paths = write_sen2_csv(tmp_path, read_persons_csv(DATA / "persons.csv"), CENSUS, "999",
                           export_date=date(2025, 1, 28))
    assert sorted(p.name for p in paths)[0] == "Blade-Export_28-01-2025_activeplans.csv"
    assert blade_date(date(2022, 9, 28)) == "2022-Sep-28 00:00:00"
    assert "2025-Jan-16 00:00:00" in (tmp_path / "Blade-Export_28-01-2025_sen2.csv").read_text()
