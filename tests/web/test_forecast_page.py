"""The Forecast page: Trafford's published-tables forecast as a fan for all plans and special schools, with the
sentence giving the model's 3-year error from the run's own out-of-sample backtest (never typed in); commissioners
and planners see it, an officer gets the role notice and the API refuses the run kind.

The run is made through the API (as the a11y test does); the page reads the newest finished run of the council.
A planner also runs the cohort model from the page on Vale of Zed's returns put in the service's returns folder.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import LiveServer, Visit, published_forecast_body, sign_in  # shared helpers (importlib mode)
from tests.web.test_accessibility import run_through_api
from tests.web.test_dashboard import assert_only_local, nav_titles

pytestmark = pytest.mark.slow
REALSHAPE = Path(__file__).resolve().parents[1] / "data" / "realshape"
SENTENCE = re.compile(r"This model's 3-year error for your council was (\d+\.\d)% \(median absolute percentage "
                      r"error, trained to (\d{4}), tested on (\d{4})–(\d{4})\)\.")


@pytest.fixture(scope="module")
def forecast_run(live_server: LiveServer) -> dict[str, Any]:
    run_through_api(live_server, "planner", published_forecast_body())
    headers = {"Authorization": f"Bearer {live_server.keys['commissioner']}"}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=60) as client:
        page = client.get("/api/v1/runs", params={"kind": "published_forecast", "status": "succeeded", "limit": 1,
                                                  "instance_id": live_server.instance_id}).json()
        run: dict[str, Any] = client.get(f"/api/v1/runs/{page['items'][0]['id']}").json()
    return run


@pytest.mark.parametrize("role", ["commissioner", "planner"])
def test_the_fan_and_its_error_come_from_the_run(live_server: LiveServer, visit: Visit, forecast_run: dict[str, Any],
                                                 role: str) -> None:
    page = visit.page
    sign_in(visit, live_server, role)
    assert "Forecast" in nav_titles(page)
    page.get_by_role("link", name="Forecast", exact=True).click()
    page.wait_for_selector("body[data-ready=true]")
    result = forecast_run["result"]
    back = result["backtest"]
    # The tables hold January 2019..2025: the run's own check trains to 2022 and scores 2023..2025.
    assert (back["train_to"], back["tested_years"]) == (2022, [2023, 2024, 2025])
    for measure in ("all_plans", "special_schools"):
        text = page.inner_text(f"#fc-{measure}-error")
        found = SENTENCE.search(text)
        assert found, text
        assert float(found.group(1)) == round(back["ape_p50"][measure], 1)
        assert found.group(1) != "0.0"
        assert [int(found.group(i)) for i in (2, 3, 4)] == [2022, 2023, 2025]
        # The error is the run's p50 at 2025 against the published 2025 figure (its backtest row)
        row = next(r for r in back["rows"] if r["measure"] == measure and r["year"] == 2025)
        assert back["ape_p50"][measure] == pytest.approx(100 * abs(row["p50"] - row["actual"]) / row["actual"])
        # The table behind the fan: the actual January counts, then the forecast percentiles of the run
        table = page.locator(f"#fc-{measure}-chart-data table")
        cells = {r.locator("th").text_content().strip(): [c.strip() for c in r.locator("td").all_text_contents()]
                 for r in table.locator("tbody tr").all()}  # text_content: the <details> is closed
        last = str(result["last_year"])
        assert int(cells[last][0].replace(",", "")) == round(result["history"][measure][last])
        first = str(result["years"][0])
        assert int(cells[first][2].replace(",", "")) == round(result["forecast"][measure]["p50"][0])
        assert page.locator(f"#fc-{measure}-chart .scatterlayer .trace").count() == 4
    assert "Trafford" in page.inner_text("#fc-info")
    assert_only_local(visit)


def test_an_officer_gets_the_role_notice_and_the_api_refuses(live_server: LiveServer, visit: Visit,
                                                             forecast_run: dict[str, Any]) -> None:
    page = visit.page
    sign_in(visit, live_server, "officer")
    assert "Forecast" not in nav_titles(page)
    page.goto(f"{live_server.base_url}/forecast")
    page.wait_for_selector("#role-denied:not([hidden])")
    assert page.locator("#page-body").is_hidden()
    headers = {"Authorization": f"Bearer {live_server.keys['officer']}"}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=60) as client:
        assert client.get(f"/api/v1/runs/{forecast_run['id']}").status_code in (403, 404)
        listed = client.get("/api/v1/runs", params={"kind": "published_forecast"}).json()
        assert listed["items"] == []
        body = {**published_forecast_body(horizon=1, draws=20), "instance_id": live_server.instance_id}
        assert client.post("/api/v1/runs", json=body).status_code == 403


@pytest.fixture(scope="module")
def returns_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Vale of Zed's five returns (tests/data/realshape/sen2_history) in the service's returns folder; the live
    server's run threads read PLACEPLAN_SEN2_RETURNS_DIR when a run starts (api.cohort_inputs)."""
    root = tmp_path_factory.mktemp("returns")
    shutil.copytree(REALSHAPE / "sen2_history", root / "vale-of-zed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLACEPLAN_SEN2_RETURNS_DIR", str(root))
        yield "vale-of-zed"


def test_a_planner_runs_the_cohort_model_from_the_page(live_server: LiveServer, visit: Visit,
                                                       returns_folder: str) -> None:
    page = visit.page
    sign_in(visit, live_server, "planner")
    page.get_by_role("link", name="Forecast", exact=True).click()
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#fc-cohort-box > summary").click()
    page.get_by_label("Folder of SEN2 returns").fill(returns_folder)
    page.get_by_role("button", name="Run the cohort forecast").click()
    page.wait_for_selector("#fc-progress[data-status=succeeded]", timeout=240_000)
    assert page.locator("#fc-model").input_value() == "cohort_forecast"
    run_id = page.locator("#fc-progress").get_attribute("data-run-id")
    headers = {"Authorization": f"Bearer {live_server.keys['planner']}"}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=60) as client:
        result = client.get(f"/api/v1/runs/{run_id}").json()["result"]
    back = result["backtest"]
    assert (back["train_to"], back["tested_years"]) == (2022, [2023, 2024, 2025])
    assert result["history"]["all_plans"]["2021"] == 1500  # tests/data/realshape/README.md: persons_active=1500
    for measure in ("all_plans", "special_schools"):
        found = SENTENCE.search(page.inner_text(f"#fc-{measure}-error"))
        assert found and float(found.group(1)) == round(back["ape_p50"][measure], 1)
    # A name that is not a plain folder is refused by the API, and the page says so
    page.get_by_label("Folder of SEN2 returns").fill("../etc")
    page.get_by_role("button", name="Run the cohort forecast").click()
    page.wait_for_selector("#status.error")
    assert "returns" in page.inner_text("#status")
    assert_only_local(visit)
