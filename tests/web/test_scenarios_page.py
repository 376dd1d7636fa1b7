"""The scenarios page end to end (headless Chromium, the demo council): the baseline and shipped scenarios listed
and compared with a difference column, units on the chart's axis and a table behind it, the money view rendered
from fixture results that carry it, edits refused with the API's numbered message, edit and delete with runs kept
and shown stale."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlmodel import Session

from tests.web.conftest import LiveServer, Visit, screenshot, sign_in  # shared helpers (importlib mode)

pytestmark = pytest.mark.slow
FAST = {"runs": 20, "horizon_years": 3, "placement_kpis": False}


def _money(years: list[str], total: float, savings: float | None, payback: int | None) -> dict[str, Any]:
    """A money view as the cost model stores it (result["money"]), with round figures a test can read back."""
    n = len(years)
    return {"years": [int(y) for y in years], "by_type": {"Special school": [total * 0.7] * n},
            "transport": [total * 0.1] * n, "unmet": [total * 0.2] * n, "total": [total] * n,
            "capital": 0.0 if savings is None else 10e6, "payback_year": payback,
            "savings_vs_baseline": None if savings is None else [savings] * n, "assumptions": {}}


def _store_fixture_runs(server: LiveServer) -> list[int]:
    """Finished runs of the baseline and phase 2 whose results carry a money view; their years."""
    from api import store
    from api.scenario_store import shipped_snapshot
    from api.tables import RunRow, utc_now
    from planner.solving.progress import NullProgress
    from scenarios.runner import run_scenario

    engine = server.app.state.engine
    with Session(engine) as session:
        demo = store.load_instance(session, server.instance_id)
        for name, parameters, money in (
                ("baseline", {}, (40e6, None, None)),
                ("phase2-special-expansion", {"scenario": "phase2-special-expansion"}, (36e6, 4e6, 2031))):
            result = run_scenario(demo, {**FAST, **parameters}, NullProgress())
            result["money"] = _money(result["years"], *money)
            session.add(RunRow(kind="scenario", status="succeeded", instance_id=server.instance_id,
                               parameters={**FAST, **parameters}, progress=1.0, message="finished", result=result,
                               statistics=result["statistics"], finished_at=utc_now(), scenario_name=name,
                               scenario_lineage=[] if name == "baseline" else shipped_snapshot(name)))
        session.commit()
    return [int(y) for y in result["years"]]


WHOLE_POUNDS = re.compile(r"^[+−]?£\d{1,3}(,\d{3})*$")


def table_cells(page: Any, selector: str, *, skip_first: bool) -> list[str]:
    """The body cells of a table, row by row (without the row header when `skip_first`)."""
    rows = page.locator(f"{selector} tbody tr")
    return [cell for i in range(rows.count())
            for cell in rows.nth(i).locator("th, td").all_inner_texts()[1 if skip_first else 0:]]


def row_cells(page: Any, selector: str, label: str) -> list[str]:
    row = page.locator(f"{selector} tbody tr", has=page.locator("th", has_text=label)).first
    return row.locator("td").all_inner_texts()


def assert_whole_pounds(cells: list[str]) -> None:
    """Every money cell in whole pounds with thousands separators ("—" for no figure): no "£4.1m" among them."""
    assert cells and [c for c in cells if c.strip() != "—" and not WHOLE_POUNDS.match(c.strip())] == [], cells


def test_planner_compares_the_baseline_and_a_shipped_scenario_with_money(live_server: LiveServer,
                                                                          visit: Visit) -> None:
    years = _store_fixture_runs(live_server)
    page = visit.page
    sign_in(visit, live_server, "planner")
    page.get_by_role("link", name="Scenarios", exact=True).click()
    page.wait_for_selector("#scenario-table")
    listed = page.inner_text("#scenario-table")
    for name in ("baseline", "phase2-special-expansion", "pru-restructure", "post16-growth"):
        assert name in listed
    assert "Builds on: phase2-special-expansion" in listed  # post16-growth's lineage
    page.get_by_label("Compare baseline").check()
    page.get_by_label("Compare phase2-special-expansion").check()
    page.get_by_role("button", name="Compare ticked scenarios").click()
    page.wait_for_selector("#comparison")
    header = page.inner_text("#comparison thead")
    assert "phase2-special-expansion minus baseline" in header
    page.wait_for_selector("#compare-chart .main-svg")
    assert page.locator("#compare-chart .ytitle").text_content() == "Unmet need (learners)"
    assert "minus baseline" in page.inner_text("#compare-chart-table thead")
    page.get_by_label("Chart measure").select_option("revenue_cost")
    assert page.locator("#compare-chart .ytitle").text_content() == "Revenue cost of in-area places (GBP m)"
    # One money format in every column: whole pounds (the scenario's revenue cost is millions a year, its
    # difference against the baseline may be thousands; "£4.1m" above "+£234,000" was the old mix).
    assert_whole_pounds(table_cells(page, "#compare-chart-table", skip_first=True))
    for measure in ("Out-of-area / independent cost", "Capital spent", "Revenue cost of in-area places"):
        assert_whole_pounds(row_cells(page, "#comparison", measure))
    money = page.inner_text("#money-compare-table")
    spend = page.locator("#money-compare-table tr", has_text="Spend minus baseline").inner_text()
    assert spend.split("\t")[1:] == ["£0", "−£12,000,000"]  # GBP 4m a year less over 3 years
    saving = page.locator("#money-compare-table tr", has_text="Savings against the baseline").inner_text()
    # the baseline saves nothing against itself (GBP 0), the scenario GBP 12m over three years; its GBP 10m of
    # capital is paid back in the third year (4m + 4m + 4m >= 10m), recomputed against the compared baseline
    assert saving.split("\t")[1:] == ["£0", "£12,000,000"]
    for measure in ("Capital", "High-needs spend, total", "of which home-to-school transport"):
        assert_whole_pounds(row_cells(page, "#money-compare-table", measure))
    payback = page.locator("#money-compare-table tr", has_text="Payback year").inner_text()
    assert payback.split("\t")[1:] == ["—", f"{years[2]}/{(years[2] + 1) % 100:02d}"], money
    assert page.locator("#money-chart .ytitle").text_content() == "High-needs spend (GBP m)"
    assert "£36,000,000" in page.inner_text("#money-chart-table")
    assert_whole_pounds(table_cells(page, "#money-chart-table", skip_first=True))
    screenshot(visit, "04b-scenarios-compare-money")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the comparison fits without sideways scroll
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(visit, "04b-scenarios-compare-money-phone")
    assert visit.errors == []


def test_planner_edits_and_deletes_a_scenario_and_its_runs_stay_stale(live_server: LiveServer,
                                                                      visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "planner")
    page.get_by_role("link", name="Scenarios", exact=True).click()
    page.wait_for_selector("#scenario-table")
    page.get_by_label("Name", exact=True).fill("Page test annex")
    page.get_by_label("Add an edit").select_option("expand_places")
    page.get_by_role("button", name="Add edit").click()
    page.get_by_label("Add an edit").select_option("close_setting")
    page.get_by_role("button", name="Add edit").click()
    page.locator("#edit-rows .edit-row").nth(0).get_by_role("button", name="Remove edit 1").click()
    assert page.locator("#edit-rows .edit-number").inner_text() == "Edit 1: Close a setting"
    page.locator("#edit-rows [data-field=year]").fill("2001")
    page.get_by_role("button", name="Create scenario").click()
    page.wait_for_selector("#create-error:has-text('edit 1: year 2001 is before')")
    page.locator("#edit-rows [data-field=year]").fill("2029")
    page.get_by_role("button", name="Create scenario").click()
    page.wait_for_selector("#scenario-table >> text=Page test annex")
    page.get_by_role("button", name="Run Page test annex").click()
    page.wait_for_selector("#run-progress[data-status=succeeded]", timeout=120_000)
    page.wait_for_selector("#run-result h3:has-text('Page test annex')")
    page.get_by_role("button", name="Edit Page test annex").click()
    assert page.locator("#create-h").inner_text() == "Edit scenario Page test annex"
    page.locator("#edit-rows [data-field=year]").fill("2030")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector("#status:has-text('version 2')")
    page.wait_for_selector("#recent-runs >> text=has been edited since this run")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Page test annex").click()
    page.wait_for_selector("#status:has-text('Deleted Page test annex')")
    page.wait_for_selector("#scenario-table >> text=Page test annex", state="detached")
    page.wait_for_selector("#recent-runs >> text=has been deleted since this run")
    screenshot(visit, "04c-scenarios-edit-delete")
    assert visit.errors == []


def test_copying_a_shipped_child_takes_its_parents_edits_first(live_server: LiveServer, visit: Visit) -> None:
    from scenarios.registry import get_scenario

    page = visit.page
    sign_in(visit, live_server, "planner")
    page.get_by_role("link", name="Scenarios", exact=True).click()
    page.wait_for_selector("#scenario-table")
    page.get_by_role("button", name="Copy post16-growth to a new scenario").click()
    assert page.get_by_label("Name", exact=True).input_value() == "post16-growth (copy)"
    copied = json.loads(page.locator("#sc-json").input_value())
    assert copied == get_scenario("phase2-special-expansion").edits + get_scenario("post16-growth").edits
    page.get_by_role("button", name="Create scenario").click()
    page.wait_for_selector("#scenario-table >> text=post16-growth (copy)")
    assert visit.errors == []


def test_the_optimiser_plans_on_a_shipped_scenario(live_server: LiveServer, visit: Visit) -> None:
    from sqlmodel import col, select

    from api.tables import RunRow

    page = visit.page
    sign_in(visit, live_server, "planner")
    page.get_by_role("link", name="Scenarios", exact=True).click()
    page.wait_for_selector("#scenario-table")
    page.get_by_label("Plan for").select_option(label="phase2-special-expansion")
    page.get_by_label("Years to plan").fill("3")
    page.get_by_label("Time limit (seconds)").fill("4")
    page.get_by_role("button", name="Run optimiser").click()
    page.wait_for_selector("#opt-progress[data-status=succeeded]", timeout=180_000)
    with Session(live_server.app.state.engine) as session:
        runs = [r for r in session.exec(select(RunRow).where(col(RunRow.kind) == "expansion")).all()
                if r.scenario_name == "phase2-special-expansion"]
    assert [(r.instance_id, r.parameters["scenario"], r.status) for r in runs] == [
        (live_server.instance_id, "phase2-special-expansion", "succeeded")]
    assert visit.errors == []
