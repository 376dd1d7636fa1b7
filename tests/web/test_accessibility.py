"""Every page, every role, both screen sizes: axe-core finds no serious or critical violation, nothing overflows
sideways on a 390 px phone, and a screenshot of each goes to test-artifacts/screenshots/.

axe's JavaScript comes from the ``axe-playwright-python`` package (PyPI, dev extra), which bundles ``axe.min.js``:
no CDN, no npm step. The runs that fill the pages (sufficiency, forecast, published forecast, scenario, placement
round) are made through the API first, so each page shows its charts and tables when axe looks at it. The counts
per page and role (every impact) are written to test-artifacts/axe-counts.json for the report.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from api.web.pages import PAGES
from tests.web.conftest import (  # shared helpers (importlib mode)
    SCREENSHOTS,
    LiveServer,
    Visit,
    published_forecast_body,
    sign_in,
)

pytestmark = pytest.mark.slow
ROLES = ("officer", "commissioner", "planner", "admin")
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
BLOCKING = ("serious", "critical")
COUNTS = SCREENSHOTS.parent / "axe-counts.json"
# What the API answers a role (and so which run kinds each needs): runs are made once per server.
RUNS = (("planner", {"kind": "sufficiency", "parameters": {"forecast": {"horizon_years": 10}}}),
        ("planner", {"kind": "forecast", "parameters": {}}),
        ("planner", {"kind": "scenario", "parameters": {}}),
        ("officer", {"kind": "placement", "parameters": {}}))


def axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def run_through_api(server: LiveServer, role: str, body: dict[str, Any]) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {server.keys[role]}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
        latest = client.get("/api/v1/runs", params={"kind": body["kind"], "status": "succeeded", "limit": 1,
                                                    "instance_id": server.instance_id})
        if latest.status_code == 200 and latest.json()["items"]:
            return
        run = client.post("/api/v1/runs", json={**body, "instance_id": server.instance_id})
        assert run.status_code == 202, run.text
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.get(f"/api/v1/runs/{run.json()['id']}", params={"include_result": "false"}).json()
            if status["status"] not in ("queued", "running"):
                assert status["status"] == "succeeded", status
                return
            time.sleep(0.5)
    raise AssertionError(f"the {body['kind']} run did not finish in 300 s")


@pytest.fixture(scope="module")
def filled_server(live_server: LiveServer) -> LiveServer:
    for role, body in RUNS:
        run_through_api(live_server, role, body)
    run_through_api(live_server, "planner", published_forecast_body())  # the Forecast page's fan
    return live_server


def settle(page: Any) -> None:
    """Wait for the page's script to have fetched its data and drawn its charts (body[data-ready] is set once every
    page callback, charts included, has finished) or shown the role notice."""
    page.wait_for_selector("body[data-ready=true], #role-denied:not([hidden])")


def axe_violations(page: Any, script: str) -> list[dict[str, Any]]:
    page.evaluate(script)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]),
             "target": v["nodes"][0]["target"] if v["nodes"] else None} for v in result["violations"]]


def overflow(page: Any) -> int:
    """Pixels the page is wider than the viewport (0: nothing scrolls sideways)."""
    width: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return width


def visit_role(visit: Visit, server: LiveServer, role: str, script: str) -> dict[str, Any]:
    page = visit.page
    found: dict[str, Any] = {}
    # The sign-in page first (before any key is stored), at both sizes.
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(server.base_url + "/")
        page.wait_for_selector("#api-key")
        page.screenshot(path=str(SCREENSHOTS / f"signin-{size}.png"), full_page=True)
        entry = found.setdefault("signin", {})
        if size == "desktop":
            entry["violations"] = axe_violations(page, script)
        else:
            entry["overflow_px"] = overflow(page)
    page.set_viewport_size({"width": SIZES["desktop"][0], "height": SIZES["desktop"][1]})
    sign_in(visit, server, role)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for p in PAGES:
            page.goto(f"{server.base_url}/{p.slug}")
            settle(page)
            page.screenshot(path=str(SCREENSHOTS / f"{p.slug}-{role}-{size}.png"), full_page=True)
            entry = found.setdefault(p.slug, {})
            if size == "desktop":
                entry["violations"] = axe_violations(page, script)
            else:
                entry["overflow_px"] = overflow(page)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_accessible_and_fits_a_phone(filled_server: LiveServer, visit: Visit, role: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = visit_role(visit, filled_server, role, axe_script())
    counts = json.loads(COUNTS.read_text()) if COUNTS.exists() else {}
    counts[role] = {slug: {"overflow_px": e["overflow_px"],
                           **{impact: sum(v["nodes"] for v in e["violations"] if v["impact"] == impact)
                              for impact in ("critical", "serious", "moderate", "minor")},
                           "rules": sorted({f"{v['id']} ({v['impact']})" for v in e["violations"]})}
                    for slug, e in found.items()}
    COUNTS.write_text(json.dumps(counts, indent=1))
    blocking = {slug: [v for v in e["violations"] if v["impact"] in BLOCKING] for slug, e in found.items()}
    assert {slug: v for slug, v in blocking.items() if v} == {}
    assert {slug: e["overflow_px"] for slug, e in found.items() if e["overflow_px"] > 0} == {}
    assert visit.errors == [], f"JavaScript errors: {visit.errors}"
