"""The cohort model from several SEN2 returns (planner.forecast.cohort, planner.io.sen2.history): transitions
counted from matched ids, shrinkage, the end of plans at 25, no data after the training year, and the backtest on
Vale of Zed's five returns (tests/data/realshape/sen2_history, made by a process that is not this model)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.domain.codes import NCY_MAX, NCY_MIN, Need
from planner.forecast.cohort import (
    CohortSettings,
    Snapshot,
    _advance,
    draw_parameters,
    fit_cohort,
    year_counts,
)
from planner.forecast.cohort_backtest import backtest_returns
from planner.forecast.rates import KIND_INDEX, NEED_INDEX

REALSHAPE = Path(__file__).resolve().parents[1] / "data" / "realshape"
ASD, MAIN, SPECIAL = NEED_INDEX[Need.ASD], KIND_INDEX["mainstream"], KIND_INDEX["special"]
SMALL = CohortSettings(draws=200, parameter_sets=40, seed=3)


def snap(year: int, people: list[tuple[str, int, int]]) -> Snapshot:
    """(id, NCY, kind) children with autism."""
    return Snapshot(year=year, ids=tuple(p[0] for p in people), ncy=np.array([p[1] for p in people]),
                    need=np.full(len(people), ASD), kind=np.array([p[2] for p in people]))


def test_transitions_are_counted_from_matched_ids() -> None:
    before = snap(2021, [("a", 3, MAIN), ("b", 3, MAIN), ("c", 6, MAIN), ("d", NCY_MAX, SPECIAL)])
    after = snap(2022, [("a", 4, MAIN), ("c", 7, SPECIAL), ("e", 0, MAIN), ("f", 5, SPECIAL)])
    counts = year_counts(before, after)
    n3, n6 = 3 - NCY_MIN, 6 - NCY_MIN
    assert counts.outcomes[n3, ASD, MAIN, 0] == 1  # b left
    assert counts.outcomes[n3, ASD, MAIN, 1 + MAIN] == 1  # a stayed in mainstream
    assert counts.outcomes[n6, ASD, MAIN, 1 + SPECIAL] == 1  # c moved to a special school at Year 7
    assert counts.outcomes.sum() == 3  # d (NCY 20) leaves by law: not counted as an estimated rate
    assert counts.joiners[0 - NCY_MIN, ASD, MAIN] == 1 and counts.joiners[5 - NCY_MIN, ASD, SPECIAL] == 1
    assert counts.joiners.sum() == 2
    with pytest.raises(ValueError, match="consecutive"):
        year_counts(before, replace(after, year=2023))


def test_big_cells_follow_their_own_rates_and_empty_ones_the_pool() -> None:
    # 400 Year 3 mainstream children with autism, a quarter of whom move to special schools; Year 8 empty.
    people = [(f"p{i}", 3, MAIN) for i in range(400)]
    moved = [(pid, 4, SPECIAL if i % 4 == 0 else MAIN) for i, (pid, _, _) in enumerate(people)]
    fit = fit_cohort([snap(2021, people), snap(2022, moved)])
    p = np.mean([draw_parameters(fit, SMALL, np.random.default_rng(s)).outcomes for s in range(30)], axis=0)
    n3 = 3 - NCY_MIN
    assert p[n3, ASD, MAIN, 1 + SPECIAL] == pytest.approx(0.25, abs=0.03)
    # An empty cell has England's rates through the pool: mostly staying in mainstream, a small chance of leaving.
    n8 = 8 - NCY_MIN
    assert 0.8 < p[n8, ASD, MAIN, 1 + MAIN] < 0.99 and 0.0 < p[n8, ASD, MAIN, 0] < 0.1


def test_plans_end_in_the_year_the_young_person_turns_25() -> None:
    fit = fit_cohort([snap(2021, [("a", 10, MAIN)]), snap(2022, [("a", 11, MAIN)])])
    params = draw_parameters(fit, SMALL, np.random.default_rng(1))
    assert (params.outcomes[-1, ..., 0] == 1.0).all()
    x = np.zeros((5, *params.outcomes.shape[:3]), dtype=np.int64)
    x[:, -1, ASD, SPECIAL] = 7
    x[:, -2, ASD, SPECIAL] = 7
    after = _advance(np.random.default_rng(2), x, params.outcomes)
    assert after[:, -1].sum() <= 5 * 7 and after[:, -1].sum() > 0  # the NCY 19s who stay are now NCY 20
    assert after.sum() == after[:, -1].sum()  # nobody from NCY 20 goes on


@pytest.fixture(scope="module")
def returns() -> list[Snapshot]:
    from planner.io.gias import read_gias
    from planner.io.sen2.history import read_returns, return_sources

    settings = read_gias(REALSHAPE / "gias_extract.csv", la_code="990", skip_invalid=True).settings
    return read_returns(return_sources([REALSHAPE / "sen2_history"]), settings)


def test_the_returns_link_children_across_years(returns: list[Snapshot]) -> None:
    assert [s.year for s in returns] == [2021, 2022, 2023, 2024, 2025]
    assert all(s.left_out == 0 for s in returns)
    first, second = set(returns[0].ids), set(returns[1].ids)
    # Most children are in the next return (ids are the reader's pseudonyms of the UPN); some left, some joined.
    assert 0.8 < len(first & second) / len(first) < 0.97 and len(second - first) > 100


def test_no_return_after_the_training_year_is_read(returns: list[Snapshot]) -> None:
    clean = backtest_returns(returns, 2023, 2, SMALL)
    poisoned = [replace(s, kind=np.zeros_like(s.kind), ncy=np.zeros_like(s.ncy)) if s.year > 2023 else s
                for s in returns]
    forecast = backtest_returns(poisoned, 2023, 2, SMALL)
    assert [(r.p10, r.p50, r.p90) for r in clean.rows] == [(r.p10, r.p50, r.p90) for r in forecast.rows]
    assert [r.actual for r in clean.rows] != [r.actual for r in forecast.rows]  # the scores did read them


@pytest.mark.slow
def test_backtest_on_five_returns_beats_the_last_value(returns: list[Snapshot]) -> None:
    result = backtest_returns(returns, 2022, 3, CohortSettings(draws=400, parameter_sets=50))
    assert [r.year for r in result.rows if r.measure == "all_plans"] == [2023, 2024, 2025]
    h3 = [r for r in result.rows if r.horizon == 3 and r.measure == "all_plans"][0]
    # Plans grew every year in these returns: the model's p50 is nearer than carrying the last count forward.
    assert abs(h3.p50 - h3.actual) < abs(h3.last_value - h3.actual)
    assert all(r.p10 < r.p50 < r.p90 for r in result.rows)
    widths = [(r.p90 - r.p10) / r.p50 for r in result.rows if r.measure == "all_plans"]
    assert widths == sorted(widths)  # bands widen with the horizon
    assert result.summary().startswith("returns_backtest: train_to=2022 horizon=3 ape_p50_h1=")


def test_cli_backtest_returns_prints_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli.main import build_app

    monkeypatch.setenv("PLACEPLAN_DATA_DIR", str(tmp_path))  # the pseudonym key file goes there, not in the repo
    monkeypatch.delenv("PLACEPLAN_PSEUDONYM_KEY", raising=False)
    out = tmp_path / "rows.csv"
    result = CliRunner().invoke(build_app(), [
        "forecast", "backtest-returns", "--sen2-returns", str(REALSHAPE / "sen2_history"),
        "--gias", str(REALSHAPE / "gias_extract.csv"), "--la-code", "990",
        "--train-to", "2023", "--horizon", "2", "--draws", "60", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    line = [x for x in result.output.splitlines() if x.startswith("returns_backtest:")]
    assert line and "coverage_p10_p90=" in line[0] and "cagr_ape_h2=" in line[0]
    assert out.read_text().splitlines()[0] == "measure,year,horizon,actual,p10,p50,p90,compound_growth,last_value"


def test_leaving_rate_year_spread_beyond_chance() -> None:
    """Years whose leaving rates differ far more than binomial noise give a positive sd; one rate every year, 0."""
    from planner.forecast.cohort import OUTCOMES, YearCounts, leave_year_sd

    def year(leavers: int, stayers: int) -> YearCounts:
        outcomes = np.zeros((N_NCY_TEST, 14, 10, OUTCOMES))
        outcomes[5, 0, 0, 0] = leavers
        outcomes[5, 0, 0, 1] = stayers
        return YearCounts(year=2022, outcomes=outcomes, joiners=np.zeros((N_NCY_TEST, 14, 10)))

    steady = [year(500, 4500), year(500, 4500), year(500, 4500)]
    assert leave_year_sd(steady) == 0.0
    swinging = [year(300, 4700), year(700, 4300), year(450, 4550)]  # 6%, 14%, 9%: log sd about 0.43
    assert 0.3 < leave_year_sd(swinging) < 0.5
    assert leave_year_sd(swinging[:2]) == 0.0  # two years: no estimate


N_NCY_TEST = NCY_MAX - NCY_MIN + 1


def test_cli_returns_forecast_writes_both_totals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    from typer.testing import CliRunner

    from api.cli.main import build_app

    monkeypatch.setenv("PLACEPLAN_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(build_app(), [
        "forecast", "returns", "--sen2-returns", str(REALSHAPE / "sen2_history"),
        "--gias", str(REALSHAPE / "gias_extract.csv"), "--la-code", "990", "--years", "2", "--draws", "40",
        "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2-year error on your returns" in " ".join(result.output.split())
    with (tmp_path / "out" / "returns_forecast.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["measure"], r["year"]) for r in rows) == [
        ("all_plans", "2026"), ("all_plans", "2027"), ("special_schools", "2026"), ("special_schools", "2027")]
    assert all(float(r["p10"]) <= float(r["p50"]) <= float(r["p90"]) for r in rows)
