"""A real-shape council end to end, through the CLI only, from an empty database to every plan.

The council is Vale of Zed (tests/data/realshape: a GIAS extract in the real layout with special academies, RP and
SEN units, a PRU, independent specials, a college, selective and single-sex schools and other LAs' settings; the
ONS NSPL postcode lookup; its SEN2 person-level return). These are the README's "Your own council" commands, in
order (about 10 s).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import typer
from sqlmodel import Session, select
from typer.testing import CliRunner

from api import store
from api.db import make_engine
from api.service_tables import AuditEventRow
from planner.domain.codes import SettingKind
from planner.domain.models import Instance
from planner.placement.params import PlacementParameters
from planner.sufficiency import is_out_of_area
from planner.validation.placement_rules import expected_round

DATA = Path(__file__).resolve().parents[1] / "data" / "realshape"
NAME = "Vale of Zed"
SPECIAL_ACADEMIES = {"990188", "990189", "990190"}  # typed "Academy special converter/sponsor led" in GIAS

SCENARIO = """\
name: zed-autism-expansion
description: Expand Quengarth Academy (a special academy) by 20 places from September 2026.
base:
  preset: demo
edits:
  - op: expand_places
    setting_id: "990188"
    places: 20
    from_year: 2026
    capital_cost: 1600000
"""


def _stored(url: str) -> Instance:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return store.load_instance(session, store.latest_instance_id(session, NAME) or 0)
    finally:
        engine.dispose()


def _run(app: typer.Typer, runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"placeplan {' '.join(args)}\n{result.output}"
    return result.output


def _import(app: typer.Typer, runner: CliRunner, url: str) -> Instance:
    _run(app, runner, "import", "gias", str(DATA / "gias_extract.csv"), "--la-code", "990", "--instance", NAME)
    _run(app, runner, "import", "postcodes", str(DATA / "nspl_extract.csv"))
    out = _run(app, runner, "import", "sen2", str(DATA / "sen2_return"), "--instance", NAME)
    assert "1,500 learner(s) with an active plan at the census 2025-01-16 (base year 2024/25)" in out
    _run(app, runner, "localities", "import", str(DATA / "localities.csv"), "--instance", NAME)
    _run(app, runner, "teams", "default", "--instance", NAME)
    return _stored(url)


def test_a_real_council_from_empty_database_to_every_plan(app: typer.Typer, runner: CliRunner, sqlite_url: str,
                                                          data_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{(data_dir / 'placeplan.db').resolve()}"
    instance = _import(app, runner, url)
    assert (instance.base_year, len(instance.learners), len(instance.localities)) == (2024, 1500, 4)
    engine = make_engine(url)
    with Session(engine) as session:  # the SEN2 import is audited as the OS user, with its count (issue 18)
        imports = [(e.resource_type, e.learner_count, e.channel) for e in session.exec(select(AuditEventRow)).all()]
    engine.dispose()
    assert ("sen2_return", 1500, "cli") in imports
    assert len(instance.teams) == 6 and all(x.locality_id for x in instance.learners)
    # Special academies are special schools, and their places count as special
    special = {SettingKind.SPECIAL, SettingKind.SEMH_SPECIAL}
    assert {instance.setting_by_id[s].kind for s in SPECIAL_ACADEMIES} <= special
    for urn in SPECIAL_ACADEMIES:
        kind = instance.setting_by_id[urn].kind.value
        assert urn in _run(app, runner, "settings", "list", "--kind", kind, "--instance", NAME, "--limit", "100")
        assert instance.setting_by_id[urn].capacity > 0
    # Nobody is lost: every learner in a setting the extract does not hold is kept out of area
    out_of_area = [x for x in instance.learners if x.current_setting_id
                   and is_out_of_area(instance.setting_by_id[x.current_setting_id], instance)]
    assert len(out_of_area) > 100
    # Postcodes are never stored; homes are rounded to 100 m and carry their LSOA
    assert all(x.home.easting % 100 == 0 and x.lsoa for x in instance.learners if x.current_setting_id)

    _run(app, runner, "forecast", "--stored", NAME, "--runs", "200")
    out = _run(app, runner, "sufficiency", "--stored", NAME, "--runs", "200")
    assert "base year 2024/25 (census 2025-01-16)" in out
    with (tmp_path / "out" / "sufficiency" / "sufficiency.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["academic_year"] == "2025" and r["pool"] == "specialist"]
    placed_out = sum(int(r["placed_out_of_area"]) for r in rows)
    in_specialist_out_of_area = sum(1 for x in out_of_area
                                    if instance.setting_by_id[x.current_setting_id or ""].kind.is_specialist)
    # The children placed out of area now are out of area in the first year (in-area specials are over capacity)
    assert placed_out >= 0.9 * in_specialist_out_of_area

    _run(app, runner, "place", "--stored", NAME, "--round", "2025", "--out", str(tmp_path / "place.csv"))
    with (tmp_path / "place.csv").open(encoding="utf-8") as handle:
        decided = {r["learner_id"]: r for r in csv.DictReader(handle)}
    due = expected_round(instance, 2025, PlacementParameters())
    assert set(decided) == due
    # Out-of-area learners stay put unless their round says otherwise (a transfer, a setting that cannot keep them)
    assert {x.id for x in out_of_area} & set(decided) <= due
    assert any(x.id not in decided for x in out_of_area)
    # Nobody in specialist provision is proposed a step down to mainstream unless the plan allows it
    assert not any(r["step_down"] == "True" for r in decided.values())

    out = _run(app, runner, "transitions", "plan", "--stored", NAME, "--year", "2025", "--time-limit", "20")
    assert "transitions Vale of Zed: cases=" in out
    (tmp_path / "expansion.yaml").write_text(SCENARIO, encoding="utf-8")
    _run(app, runner, "scenario", "run", "baseline", "--stored", NAME)
    _run(app, runner, "scenario", "run", str(tmp_path / "expansion.yaml"), "--stored", NAME)
    _run(app, runner, "scenario", "compare", "baseline", str(tmp_path / "expansion.yaml"), "--stored", NAME,
         "--csv", str(tmp_path / "compare.csv"))
    compared = (tmp_path / "compare.csv").read_text(encoding="utf-8")
    assert "baseline" in compared and "expansion.yaml" in compared
    out = _run(app, runner, "scenario", "optimise", "--stored", NAME, "--runs", "100", "--draws", "0",
               "--no-frontier", "--no-marginal", "--time-limit", "20", "--candidates", "12")
    assert "expansion Vale of Zed: projects=12" in out


def test_the_xml_return_gives_the_same_caseload_as_the_csv(app: typer.Typer, runner: CliRunner, sqlite_url: str,
                                                            data_dir: Path) -> None:
    url = f"sqlite:///{(data_dir / 'placeplan.db').resolve()}"
    _run(app, runner, "import", "gias", str(DATA / "gias_extract.csv"), "--la-code", "990", "--instance", NAME)
    _run(app, runner, "import", "postcodes", str(DATA / "codepoint_open.zip"))
    _run(app, runner, "import", "sen2", str(DATA / "sen2_return"), "--instance", NAME)
    from_csv = _stored(url)
    _run(app, runner, "import", "sen2", str(DATA / "sen2_return_xml.zip"), "--instance", NAME)
    from_xml = _stored(url)
    assert from_xml.learners == from_csv.learners and from_xml.settings == from_csv.settings


def test_a_bad_return_stores_nothing(app: typer.Typer, runner: CliRunner, sqlite_url: str, data_dir: Path,
                                     tmp_path: Path) -> None:
    url = f"sqlite:///{(data_dir / 'placeplan.db').resolve()}"
    _run(app, runner, "import", "gias", str(DATA / "gias_extract.csv"), "--la-code", "990", "--instance", NAME)
    before = _stored(url)
    # Without the postcode lookup the return's postcodes cannot be resolved: a header-level rule stops it
    result = runner.invoke(app, ["import", "sen2", str(DATA / "sen2_return"), "--instance", NAME])
    assert result.exit_code == 1 and "SEN2-018" in result.output and "nothing was stored" in result.output
    assert _stored(url) == before


def test_a_return_breaking_a_numbered_rule_stores_nothing(app: typer.Typer, runner: CliRunner, sqlite_url: str,
                                                          data_dir: Path, tmp_path: Path) -> None:
    """SEN2-008: a need code that is not one of the 2025 codes rejects the return; the stored council is unchanged."""
    url = f"sqlite:///{(data_dir / 'placeplan.db').resolve()}"
    _run(app, runner, "import", "gias", str(DATA / "gias_extract.csv"), "--la-code", "990", "--instance", NAME)
    _run(app, runner, "import", "postcodes", str(DATA / "codepoint_open.zip"))
    broken = tmp_path / "broken_return"
    shutil.copytree(DATA / "sen2_return", broken)
    needs = next(broken.glob("*senneed.csv"))
    lines = needs.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",ASD,", ",AUT,", 1)  # row 2: P00001-S1,P00001-AP1,ASD,1
    needs.write_text("".join(lines), encoding="utf-8")
    before = _stored(url)
    result = runner.invoke(app, ["import", "sen2", str(broken), "--instance", NAME])
    assert result.exit_code == 1 and "SEN2-008" in result.output and "nothing was stored" in result.output
    assert _stored(url) == before
