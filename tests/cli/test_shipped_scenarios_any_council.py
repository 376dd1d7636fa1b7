"""The shipped scenarios on a council they were not written for (the real-shape Vale of Zed, tests/data/realshape),
the shared data options of `placeplan scenario costs`, and shipped scenarios as targets of sufficiency runs.

The shipped scenarios choose the council's own settings and localities when they run (scenarios.fitting), so they
apply to Vale of Zed as imported, and are refused with the reason on a council lacking what they choose.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner

from api import store
from api.db import make_engine
from api.scenario_store import shipped_entries
from tests.api.conftest import build_small_instance
from tests.cli.test_real_council_end_to_end import _import

SHIPPED = ("phase2-special-expansion", "pru-restructure", "post16-growth")


def _ok(app: typer.Typer, runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"placeplan {' '.join(args)}\n{result.output}"
    return result.stdout


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_shipped_scenarios_fit_and_run_on_a_real_shape_council(
    app: typer.Typer, runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{(data_dir / 'placeplan.db').resolve()}"
    zed = _import(app, runner, url)
    listed = _ok(app, runner, "scenario", "list", "--stored", "Vale of Zed")
    for name in SHIPPED:
        assert f"{name}: fits" in listed, listed
    engine = make_engine(url)
    try:  # the dashboard's catalogue for this council (GET /scenarios?catalogue=true) lists all three
        with Session(engine) as session:
            zed_id = store.latest_instance_id(session, "Vale of Zed") or 0
            assert [e["key"] for e in shipped_entries(session, zed_id)] == [f"shipped:{n}" for n in SHIPPED]
    finally:
        engine.dispose()
    out = _ok(app, runner, "scenario", "run", "phase2-special-expansion")  # the newest stored: Vale of Zed
    assert "scenario phase2-special-expansion: status=optimal" in out

    # costs on the newest stored council, CSV on stdout. Base year 2024/25: the resourced provision opening in 2025 is
    # paid for in 2024 (before the first year shown), the two expansions opening in 2026 (32 x GBP 75,000 and
    # 24 x GBP 87,500) in 2025, the autism school opening in 2027 (GBP 14m) in 2026 (scenarios/data, what_if).
    rows = _rows(_ok(app, runner, "scenario", "costs", "baseline", "phase2-special-expansion", "--csv", "-"))
    capital = {(r["scenario"], r["academic_year"]): float(r["capital"]) for r in rows}
    assert capital[("phase2-special-expansion", "2025")] == 32 * 75_000 + 24 * 87_500
    assert capital[("phase2-special-expansion", "2026")] == 14_000_000
    assert {v for (name, _), v in capital.items() if name == "baseline"} == {0.0}
    by_year = {(r["scenario"], r["academic_year"]): float(r["total"]) for r in rows}
    for r in rows:  # savings are the baseline's spend minus the scenario's, year by year
        if r["scenario"] == "phase2-special-expansion":
            assert float(r["savings_vs_baseline"]) == pytest.approx(
                by_year[("baseline", r["academic_year"])] - float(r["total"]), abs=0.02
            )

    # The same council from a file gives the same figures; --stored by name too; only one source at a time.
    council_file = tmp_path / "zed.json"
    council_file.write_text(zed.model_dump_json(), encoding="utf-8")
    from_file = _rows(_ok(app, runner, "scenario", "costs", "baseline", "--file", str(council_file), "--csv", "-"))
    from_stored = _rows(_ok(app, runner, "scenario", "costs", "baseline", "--stored", "Vale of Zed", "--csv", "-"))
    assert from_file == from_stored == [r for r in rows if r["scenario"] == "baseline"]
    both = runner.invoke(app, ["scenario", "costs", "baseline", "--stored", "Vale of Zed", "--preset", "demo"])
    assert both.exit_code == 1 and "choose one of --stored NAME, --file PATH or --preset NAME" in both.output
    written = tmp_path / "costs.csv"
    _ok(app, runner, "scenario", "costs", "baseline", "--preset", "demo", "--csv", str(written))
    assert {r["scenario"] for r in _rows(written.read_text(encoding="utf-8"))} == {"baseline"}

    # A shipped scenario as the target of a sufficiency run: the autism school it opens (2027) has its places.
    _ok(
        app,
        runner,
        "sufficiency",
        "--scenario",
        "phase2-special-expansion",
        "--years",
        "3",
        "--runs",
        "40",
        "--out",
        str(tmp_path / "suff"),
    )
    spare = _rows((tmp_path / "suff" / "spare_places.csv").read_text(encoding="utf-8"))
    opened = {(r["academic_year"], r["capacity"]) for r in spare if r["setting_id"] == "NEW-ASD-SPECIAL"}
    assert opened == {("2027", "120")}


def test_shipped_scenarios_are_refused_with_the_reason_where_they_do_not_fit(
    app: typer.Typer, runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    small = tmp_path / "small.json"  # a primary school, an ASD/SLD special school, an SEMH school: no PRU, no SPI
    small.write_text(build_small_instance().model_dump_json(), encoding="utf-8")
    listed = _ok(app, runner, "scenario", "list", "--file", str(small))
    assert "phase2-special-expansion: fits" in listed
    assert (
        "pru-restructure: does not fit: no pupil referral unit or AP in this council (edit 1, reduce_chosen)" in listed
    )
    assert "post16-growth: does not fit: no specialist post-16 institution in this council" in listed
    refused = runner.invoke(app, ["scenario", "run", "pru-restructure", "--file", str(small)])
    assert refused.exit_code == 1
    assert "does not fit: no pupil referral unit or AP in this council" in refused.output
    optimise = runner.invoke(app, ["scenario", "optimise", "--file", str(small), "--scenario", "post16-growth"])
    assert optimise.exit_code == 1
    assert "does not fit: no specialist post-16 institution in this council" in optimise.output
