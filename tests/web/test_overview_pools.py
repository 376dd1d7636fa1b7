"""The Overview shows specialist places and alternative provision (PRU/AP) as separate figures: the scenario run's
demand, need not met and places for each pool apart, never the two added into one number (issue 17)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.web.conftest import LiveServer, Visit, axe_blocking, sign_in  # shared helpers (importlib mode)
from tests.web.test_accessibility import run_through_api

pytestmark = pytest.mark.slow


def figure(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def group_figures(page: Any, heading: str) -> dict[str, int]:
    group = page.locator(".kpi-group", has=page.get_by_role("heading", name=heading, exact=True))
    cards = group.locator(".kpi")
    return {
        cards.nth(i).locator(".label").inner_text(): figure(cards.nth(i).locator(".value").inner_text())
        for i in range(cards.count())
    }


def test_overview_shows_specialist_and_ap_figures_apart(live_server: LiveServer, visit: Visit) -> None:
    run_through_api(live_server, "planner", {"kind": "scenario", "parameters": {}})
    headers = {"Authorization": f"Bearer {live_server.keys['planner']}"}
    with httpx.Client(base_url=live_server.base_url + "/api/v1", headers=headers, timeout=60) as client:
        run = client.get(
            "/runs",
            params={"kind": "scenario", "status": "succeeded", "limit": 1, "instance_id": live_server.instance_id},
        ).json()["items"][0]
        result = client.get(f"/runs/{run['id']}").json()["result"]
        settings = client.get(f"/instances/{live_server.instance_id}/settings", params={"limit": 500}).json()["items"]
    year = result["years"][0]
    # AP places by hand: open, in-area pupil referral units / AP in the first year (the demo opens nothing later).
    ap_places = sum(
        s["capacity"]
        for s in settings
        if s["kind"] == "pru_ap"
        and s["in_area"]
        and (s["opens_year"] is None or s["opens_year"] <= int(year))
        and s["status"] != "proposed"
        and (s["closes_year"] is None or int(year) < s["closes_year"])
    )
    assert ap_places > 0

    sign_in(visit, live_server, "planner")
    page = visit.page
    page.wait_for_selector("#kpis .kpi-group")
    shown = {
        pool: group_figures(page, heading)
        for pool, heading in (("specialist", "Specialist places"), ("alternative_provision", "Alternative provision"))
    }
    for pool, figures in shown.items():
        k = result["kpis_by_pool"][year][pool]
        assert figures["Learners needing a place"] == k["demand"]
        assert figures["Not met in area"] == k["short_of_capacity"] + k["out_of_reach"] + k["placed_out_of_area"]
        assert figures["Unmet need (no place at all)"] == k["short_of_capacity"] + k["out_of_reach"]
        assert figures["Out-of-area and independent placements"] == k["placed_out_of_area"]
    assert shown["alternative_provision"]["Places in area"] == ap_places
    # The sum of the two pools (the old single figure) is nowhere on the page.
    together = result["kpis"][year]["demand"]
    assert together == sum(result["kpis_by_pool"][year][p]["demand"] for p in shown)
    values = [figure(v) for v in page.locator("#kpis .kpi .value").all_inner_texts() if re.search(r"\d", v)]
    assert together not in values
    # The trend chart follows the chosen pool.
    page.wait_for_selector("#trend-chart .main-svg")
    page.get_by_label("Pool of places").select_option("alternative_provision")
    page.wait_for_function("document.getElementById('trend-chart-alt').textContent.startsWith('Alternative provision')")
    assert axe_blocking(visit) == []
