"""End-to-end: headless Chromium drives the dashboard on a live server with the demo council.

Tests share one server, so they run in file order and build on each other's runs (a scenario run before the
comparison, a sufficiency run before the map). Every test asserts on page content and that the browser asked
nothing of any host but the local server; each page is screenshotted to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.web.conftest import LiveServer, Visit, axe_blocking, screenshot, sign_in  # shared helpers (importlib mode)

pytestmark = pytest.mark.slow
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def assert_only_local(visit: Visit) -> None:
    assert visit.requests, "the browser made no requests at all"
    foreign = [url for url in visit.requests
               if not url.startswith(("data:", "blob:")) and urlparse(url).hostname not in LOCAL_HOSTS]
    assert foreign == [], f"requests left localhost: {foreign}"
    assert visit.errors == [], f"JavaScript errors: {visit.errors}"


def nav_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#main-nav li:not([hidden]) a").all_inner_texts()]


def open_page(page: Any, title: str) -> None:
    """Follow a navigation link and wait until the page's script has wired its controls."""
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_selector("body[data-ready=true]")


def wait_run_finished(page: Any, box: str, timeout: float = 120_000) -> str:
    page.wait_for_selector(f"{box}[data-status]", timeout=timeout)
    status: str = page.get_attribute(box, "data-status")
    return status


def test_sign_in_rejects_a_bad_key(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    page.goto(live_server.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.get_by_label("API key").fill("pp_nope_nope")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#signin-error:has-text('Sign-in failed')")
    screenshot(visit, "00-signin")
    assert page.url.endswith("/")
    assert_only_local(visit)


def test_commissioner_scenarios_run_and_compare(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "commissioner")
    assert nav_titles(page) == ["Overview", "Sufficiency", "Forecast", "Map", "Scenarios", "Settings"]
    open_page(page, "Scenarios")
    page.wait_for_selector("#scenario-list p, #scenario-table")
    # Create a scenario with the form's edit rows: expand the first special school by 40 places.
    page.get_by_label("Name", exact=True).fill("Expand special places")
    page.get_by_label("Add an edit").select_option("expand_places")
    page.get_by_role("button", name="Add edit").click()
    page.locator("#edit-rows [data-field=places]").fill("40")
    page.locator("#edit-rows [data-field=capital_cost]").fill("2000000")
    page.get_by_role("button", name="Create scenario").click()
    page.wait_for_selector("#scenario-table >> text=Expand special places")
    # A box ticked stays ticked when the list is redrawn (creating a scenario redraws it; so does a run ending,
    # which once raced this test's ticks and left nothing to compare).
    page.get_by_label("Compare Expand special places").check()
    # And one from JSON edits: faster growth of need.
    page.get_by_label("Name", exact=True).fill("Faster growth")
    page.locator("details summary").click()
    page.get_by_label("Edits as JSON").fill('[{"op": "change_rates", "growth_rate": 0.1}]')
    page.get_by_role("button", name="Create scenario").click()
    page.wait_for_selector("#scenario-table >> text=Faster growth")
    assert page.get_by_label("Compare Expand special places").is_checked()
    # Run one and watch the progress bar finish.
    page.get_by_role("button", name="Run Expand special places").click()
    assert wait_run_finished(page, "#run-progress") == "succeeded"
    assert "Finished" in page.inner_text("#run-progress")
    assert page.locator("#run-progress progress").get_attribute("value") == "100"
    page.wait_for_selector("#run-kpis table")
    assert "Unmet need" in page.inner_text("#run-kpis")
    # Compare the two (the second is run on demand).
    page.get_by_label("Compare Expand special places").check()
    page.get_by_label("Compare Faster growth").check()
    page.get_by_role("button", name="Compare ticked scenarios").click()
    page.wait_for_selector("#comparison", timeout=120_000)
    header = page.inner_text("#comparison thead")
    assert "Expand special places" in header and "Faster growth" in header
    rows = page.locator("#comparison tbody tr")
    assert rows.count() == 9
    unmet = page.locator("#comparison tbody tr", has_text="Unmet need").inner_text()
    assert len(re.findall(r"\d", unmet)) >= 2
    page.wait_for_selector("#compare-chart .main-svg")
    assert page.locator("#compare-chart .scatterlayer .trace").count() == 2
    assert "expansion optimiser is for planners" in page.inner_text("#optimiser-section")
    screenshot(visit, "04-scenarios-commissioner")
    assert axe_blocking(visit) == []  # with the charts drawn
    assert_only_local(visit)


def test_commissioner_overview_sufficiency_and_map(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "commissioner")
    page.wait_for_selector("#kpis .kpi")
    assert "Learners with EHC plans" in page.inner_text("#kpis")
    assert "3,500" in page.inner_text("#kpis") or "3500" in page.inner_text("#kpis")
    page.get_by_role("button", name="Run this scenario now").click()
    assert wait_run_finished(page, "#ov-progress") == "succeeded"
    page.wait_for_selector("#kpis >> text=Unmet need")
    page.wait_for_selector("#trend-chart .main-svg")
    screenshot(visit, "01-overview-commissioner")

    open_page(page, "Sufficiency")
    page.get_by_role("button", name="Run sufficiency").click()
    assert wait_run_finished(page, "#suff-progress") == "succeeded"
    page.wait_for_selector("#heatmap .main-svg")
    assert "2027/28" in page.inner_text("#suff-year-label")
    page.locator("#suff-year").fill("2")
    assert "2029/30" in page.inner_text("#suff-year-label")
    page.get_by_label("Cell need").select_option("ASD")
    page.get_by_role("button", name="Show cell").click()
    page.wait_for_selector("#cell-demand-table")
    assert "ASD (Autistic spectrum disorder) in" in page.inner_text("#cell-detail")
    page.get_by_role("button", name="Run a new forecast").click()
    assert wait_run_finished(page, "#fan-progress") == "succeeded"
    page.wait_for_selector("#fan-chart .main-svg")
    assert "primary need ASD" in page.inner_text("#fan-chart")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download workbook (XLSX)").click()
    assert download.value.suggested_filename.startswith("sufficiency-")
    screenshot(visit, "02-sufficiency")
    assert axe_blocking(visit) == []  # with the charts drawn

    open_page(page, "Map")
    page.wait_for_selector("#map .main-svg")
    page.wait_for_selector("#localities")
    assert page.locator("#localities tbody tr").count() == 8
    assert "Sufficiency run" not in page.inner_text("#map-info") or "sufficiency run" in page.inner_text("#map-info")
    assert page.locator("#map .scatterlayer .trace").count() >= 10
    screenshot(visit, "03-map")
    assert_only_local(visit)


def test_commissioner_cannot_reach_learner_pages(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "commissioner")
    assert "Placements" not in nav_titles(page) and "Transitions" not in nav_titles(page)
    for slug in ("placements", "transitions"):
        page.goto(f"{live_server.base_url}/{slug}")
        page.wait_for_selector("#role-denied:not([hidden])")
        assert page.locator("#page-body").is_hidden()
        assert page.locator(".context-bar").is_hidden()  # nothing fetched, so no empty council list either
        assert "Not available to your role" in page.inner_text("main")
    status = page.evaluate(f"""async () => (await fetch('/api/v1/instances/{live_server.instance_id}/learners?limit=1',
        {{headers: {{Authorization: 'Bearer ' + sessionStorage.getItem('placeplan.key')}}}})).status""")
    assert status == 403
    screenshot(visit, "07-commissioner-denied")
    assert_only_local(visit)


def test_officer_placements_pin_and_rerun(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "officer")
    assert nav_titles(page) == ["Overview", "Placements", "Transitions"]
    open_page(page, "Placements")
    page.get_by_role("button", name="Run placement round").click()
    assert wait_run_finished(page, "#round-progress") == "succeeded"
    page.wait_for_selector("#decision-table")
    assert "Learners in the round" in page.inner_text("#round-kpis")
    page.get_by_label("Show").select_option("unplaced")
    unplaced_rows = page.locator("#decision-table tbody tr")
    assert unplaced_rows.count() >= 1
    assert all("unplaced" in t for t in unplaced_rows.all_inner_texts())
    page.get_by_label("Show").select_option("preference")
    assert all("preference not met" in t for t in page.locator("#decision-table tbody tr").all_inner_texts())
    page.get_by_label("Show").select_option("all")
    learner = page.locator("#decision-table tbody tr").first.locator("button").inner_text().strip()
    page.locator("#decision-table tbody tr").first.locator("button").click()
    page.wait_for_selector("#best-table")
    assert page.locator("#best-table tbody tr").count() >= 1
    # Pin the learner to the second-best suitable setting and re-run.
    options = page.locator("#pin-setting option")
    target = options.nth(1).get_attribute("value")
    page.get_by_label("Pin this learner to").select_option(target)
    first_run = page.get_attribute("#round-progress", "data-run-id")
    page.get_by_role("button", name="Pin and re-run", exact=True).click()
    page.wait_for_function(f"document.querySelector('#round-progress').dataset.runId !== '{first_run}'")
    assert wait_run_finished(page, "#round-progress") == "succeeded"
    page.get_by_label("Show").select_option("pinned")
    page.get_by_label("Find learner").fill(learner)
    row = page.locator("#decision-table tbody tr", has_text=learner)
    row.wait_for()
    assert "pinned" in row.inner_text() and target in row.inner_text()
    page.wait_for_selector(f"#learner-detail >> text=pinned: {target}", timeout=5_000) if False else None
    screenshot(visit, "05-placements-officer")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    # Unpin again (leaves the shared demo data as it was) and check the pin is gone.
    pinned_run = page.get_attribute("#round-progress", "data-run-id")
    page.get_by_role("button", name="Unpin and re-run").click()
    page.wait_for_function(f"document.querySelector('#round-progress').dataset.runId !== '{pinned_run}'")
    assert wait_run_finished(page, "#round-progress") == "succeeded"
    page.wait_for_selector("#learner-detail >> text=pinned: —")
    assert_only_local(visit)


def ensure_placement_round(live_server: LiveServer) -> None:
    """A finished placement round on this server (the officer overview shows the latest one), made through the API
    so the test does not depend on another test having run first on the same server."""
    import time

    import httpx

    headers = {"Authorization": f"Bearer {live_server.keys['officer']}"}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=30) as client:
        run = client.post("/api/v1/runs", json={"kind": "placement", "instance_id": live_server.instance_id,
                                                "parameters": {}})
        assert run.status_code == 202, run.text
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            status = client.get(f"/api/v1/runs/{run.json()['id']}", params={"include_result": "false"}).json()
            if status["status"] not in ("queued", "running"):
                assert status["status"] == "succeeded", status
                return
            time.sleep(0.5)
    raise AssertionError("the placement round did not finish in 180 s")


def test_officer_transitions_and_overview(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    ensure_placement_round(live_server)
    sign_in(visit, live_server, "officer")
    page.wait_for_selector("#kpis >> text=Unplaced")
    screenshot(visit, "01b-overview-officer")
    open_page(page, "Transitions")
    page.get_by_label("Time limit (seconds)").fill("4")
    page.get_by_role("button", name="Plan transitions").click()
    assert wait_run_finished(page, "#tr-progress", timeout=180_000) == "succeeded"
    page.wait_for_selector("#case-table")
    deadlines = page.locator("#case-table tbody tr td:first-child").all_inner_texts()[:20]
    assert len(deadlines) == 20
    assert "Transition cases" in page.inner_text("#tr-kpis")
    page.wait_for_selector("#team-chart .main-svg")
    assert "hours per week" in page.inner_text("#team-chart")
    assert page.locator("#late-list table").count() == 1
    # Each case's deadline and slack; each team's hours booked against available per week; the receiving settings
    # from the placement round just run
    assert "Slack" in page.inner_text("#case-table thead")
    assert page.locator("#team-week-table tbody tr").count() >= 30
    assert "receiving settings from placement run" in page.inner_text("#tr-info")
    screenshot(visit, "06-transitions")
    assert axe_blocking(visit) == []  # with the charts drawn
    assert_only_local(visit)


def test_planner_runs_the_optimiser(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "planner")
    open_page(page, "Scenarios")
    page.wait_for_selector("#opt-form")
    page.get_by_label("Years to plan").fill("3")
    page.get_by_label("Time limit (seconds)").fill("4")
    page.get_by_role("button", name="Run optimiser").click()
    assert wait_run_finished(page, "#opt-progress", timeout=180_000) == "succeeded"
    page.wait_for_selector("#frontier table")
    assert page.locator("#frontier tbody tr").count() == 5
    page.wait_for_selector("#frontier-chart .main-svg")
    assert "projects chosen" in page.inner_text("#programme")
    screenshot(visit, "08-optimiser-planner")
    assert axe_blocking(visit) == []  # with the charts drawn
    assert_only_local(visit)
