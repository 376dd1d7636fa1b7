"""The council's own candidate projects from a CSV: size options, defaults from the expanded setting, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance
from planner.expansion.candidates_csv import CandidateFileError, parse_candidates_csv, read_candidates_csv
from planner.expansion.programme import ExpansionParameters, build_expansion_data
from planner.forecast.simulation import ForecastParameters
from scenarios.demo import build_demo

DATA = Path(__file__).resolve().parents[1] / "data" / "expansion" / "candidates_demo.csv"
HEADER = "id,setting,name,kind,locality,places,need,phase,capital_cost,earliest_year\n"


@pytest.fixture(scope="module")
def demo() -> Instance:
    return build_demo("demo", 2026)


def test_rows_sharing_an_id_are_size_options_with_their_own_capital(demo: Instance) -> None:
    candidates = {c.id: c for c in read_candidates_csv(DATA, demo)}
    expansion = candidates["EXP-930002"]
    original = demo.setting_by_id["930002"]
    assert expansion.place_steps == (16, 32)
    assert (expansion.capital(16), expansion.capital(32)) == (1_400_000, 2_500_000)
    # Blank fields take the expanded setting's kind, needs, ages and locality.
    assert expansion.kind is original.kind and expansion.designations == original.designated_needs
    assert (expansion.ncy_min, expansion.ncy_max, expansion.locality_id) == (original.ncy_min, original.ncy_max,
                                                                            original.locality_id)
    new = candidates["NEW-TOWN-ASD"]
    assert new.kind is SettingKind.SPECIAL and new.designations == {Need.ASD, Need.SLCN}
    assert (new.ncy_min, new.ncy_max, new.earliest_year, new.lead_time_years) == (0, 6, 2028, 2)
    assert new.revenue_per_place == 24_000 and new.capital(60) == 7_500_000
    # The optimiser takes them as they are: sizes, capital by size, opening years.
    params = ExpansionParameters(candidates=list(candidates.values()), horizon_years=3,
                                 forecast=ForecastParameters(runs=20))
    data, _ = build_expansion_data(demo, params)
    options = {p.id: p for p in data.projects}
    assert options["EXP-930002"].capital_by_size == (1_400_000, 2_500_000)
    assert options["NEW-TOWN-ASD"].open_years == (2028, 2029)
    assert options["NEW-TOWN-ASD"].ramp == (0.5, 0.75) and options["EXP-930002"].ramp == (0.75,)


@pytest.mark.parametrize(("row", "message"), [
    ("X,999999,,,,16,,,100,2027", "council.csv: row 2: setting: unknown setting '999999'"),
    ("X,930002,,,,sixteen,,,100,2027", "council.csv: row 2: places: 'sixteen' is not a number"),
    ("X,930002,,,,16,,,-5,2027", "council.csv: row 2: capital_cost: '-5' must be >= 0"),
    ("X,,,special,NV-TOWN,16,ASD,infant,100,2027", "council.csv: row 2: phase: 'infant' is not a valid Phase"),
    ("X,,,special,NOWHERE,16,ASD,primary,100,2027", "council.csv: row 2: locality: unknown locality 'NOWHERE'"),
    ("X,,,special,NV-TOWN,16,,primary,100,2027", "council.csv: row 2: need: missing value"),
    ("X,930002,,,,16,,,100,", "council.csv: row 2: earliest_year: missing value"),
])
def test_errors_name_the_file_row_and_field(demo: Instance, row: str, message: str) -> None:
    with pytest.raises(CandidateFileError) as caught:
        parse_candidates_csv(HEADER + row + "\n", demo, source="council.csv")
    assert str(caught.value).startswith(message)


def test_a_missing_column_and_disagreeing_size_options_are_named(demo: Instance) -> None:
    with pytest.raises(CandidateFileError, match="council.csv: row 1: capital_cost: missing column"):
        parse_candidates_csv("id,setting,places,earliest_year\nX,930002,16,2027\n", demo, source="council.csv")
    rows = HEADER + "X,930002,,,,16,,,100,2027\nX,930002,,,,32,,,200,2028\n"
    with pytest.raises(CandidateFileError, match="council.csv: row 3: earliest_year: differs from row 2"):
        parse_candidates_csv(rows, demo, source="council.csv")
