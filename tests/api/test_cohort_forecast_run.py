"""The `cohort_forecast` run kind through the API: the council's own SEN2 returns (Vale of Zed's five, in
tests/data/realshape/sen2_history) named by folder under the service's returns folder, totals with p10/p50/p90 and
the model's out-of-sample backtest; role checks, and no way to make the service read a file outside that folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from api import store
from api.auth import Role, create_user
from planner.domain.models import Instance
from tests.api.conftest import Service  # shared helpers (importlib mode)

REALSHAPE = Path(__file__).resolve().parents[1] / "data" / "realshape"
FAST = {"horizon_years": 2, "draws": 100, "parameter_sets": 10, "seed": 7}
ACTIVE_2021 = 1500  # tests/data/realshape/README.md: persons_active=1500, the January 2021 return's caseload


@pytest.fixture
def vale(sqlite_service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Vale of Zed stored with its GIAS settings (types of provision), its returns in the returns folder, a key
    per role that is a member of it."""
    from planner.io.gias import read_gias

    settings = read_gias(REALSHAPE / "gias_extract.csv", la_code="990", skip_invalid=True).settings
    root = tmp_path / "returns"
    shutil.copytree(REALSHAPE / "sen2_history", root / "vale-of-zed")
    (tmp_path / "secret.csv").write_text("not a return\n")
    monkeypatch.setenv("PLACEPLAN_SEN2_RETURNS_DIR", str(root))
    with Session(sqlite_service.engine) as session:
        instance_id = store.save_instance(session, Instance(name="Vale of Zed", base_year=2024, settings=settings),
                                          "realshape")
        keys = {role: create_user(session, f"vale-{role}", Role(role), councils=(instance_id,))[1]
                for role in ("officer", "commissioner", "planner")}
        session.commit()
    return {"instance_id": instance_id, "keys": keys}


def post(service: Service, key: str, instance_id: int, parameters: dict[str, Any]) -> Any:
    return service.client.post("/api/v1/runs", headers={"Authorization": f"Bearer {key}"},
                               json={"kind": "cohort_forecast", "instance_id": instance_id, "parameters": parameters})


def finished(service: Service, key: str, run_id: str) -> dict[str, Any]:
    service.keys["_vale"] = key
    return service.wait_for(run_id, role="_vale", timeout=120)


def test_planner_runs_the_cohort_forecast_with_its_backtest(sqlite_service: Service, vale: dict[str, Any]) -> None:
    # return_paths sent by the caller are replaced by the files of the named folder (never read from the request)
    response = post(sqlite_service, vale["keys"]["planner"], vale["instance_id"],
                    {**FAST, "returns": "vale-of-zed", "return_paths": ["/nonexistent/a.zip", "/nonexistent/b"]})
    assert response.status_code == 202, response.text
    run = finished(sqlite_service, vale["keys"]["planner"], response.json()["id"])
    assert run["status"] == "succeeded", run
    result = run["result"]
    assert result["last_year"] == 2025 and result["years"] == [2026, 2027]
    assert result["history"]["all_plans"]["2021"] == ACTIVE_2021
    assert set(result["history"]["all_plans"]) == {"2021", "2022", "2023", "2024", "2025"}
    for measure in ("all_plans", "special_schools"):
        q = result["forecast"][measure]
        assert all(a <= b <= c for a, b, c in zip(q["p10"], q["p50"], q["p90"], strict=True))
        assert q["p90"][1] - q["p10"][1] > q["p90"][0] - q["p10"][0]  # the band widens with the horizon
    # Plans grew every year in these returns (1,500 in 2021 to more in 2025): the median keeps growing.
    assert result["forecast"]["all_plans"]["p50"][0] > result["history"]["all_plans"]["2025"]
    back = result["backtest"]
    assert back["train_to"] == 2022 and back["horizon"] == 3 and back["tested_years"] == [2023, 2024, 2025]
    for measure in ("all_plans", "special_schools"):
        h3 = [r for r in back["rows"] if r["measure"] == measure and r["year"] == 2025]
        assert len(h3) == 1
        # The scored actual is the return's own count, and the error is the p50's distance from it
        assert h3[0]["actual"] == result["history"][measure]["2025"]
        assert back["ape_p50"][measure] == pytest.approx(100 * abs(h3[0]["p50"] - h3[0]["actual"]) / h3[0]["actual"])


def test_commissioner_may_run_it_and_an_officer_may_not(sqlite_service: Service, vale: dict[str, Any]) -> None:
    denied = post(sqlite_service, vale["keys"]["officer"], vale["instance_id"], {**FAST, "returns": "vale-of-zed"})
    assert denied.status_code == 403
    allowed = post(sqlite_service, vale["keys"]["commissioner"], vale["instance_id"],
                   {"returns": "vale-of-zed", "horizon_years": 1, "draws": 40, "parameter_sets": 4})
    assert allowed.status_code == 202, allowed.text
    run = finished(sqlite_service, vale["keys"]["commissioner"], allowed.json()["id"])
    assert run["status"] == "succeeded", run
    officer_view = sqlite_service.client.get(f"/api/v1/runs/{allowed.json()['id']}",
                                             headers={"Authorization": f"Bearer {vale['keys']['officer']}"})
    assert officer_view.status_code in (403, 404)


@pytest.mark.parametrize("name", ["../returns/vale-of-zed", "/etc", "..", "vale-of-zed/../..", "", None, 3])
def test_a_returns_name_that_is_not_a_plain_folder_is_refused(sqlite_service: Service, vale: dict[str, Any],
                                                             name: Any) -> None:
    response = post(sqlite_service, vale["keys"]["planner"], vale["instance_id"], {**FAST, "returns": name})
    assert response.status_code == 422
    assert "returns" in response.text


def test_a_folder_that_is_not_there_fails_the_run_without_reading_elsewhere(sqlite_service: Service,
                                                                           vale: dict[str, Any]) -> None:
    response = post(sqlite_service, vale["keys"]["planner"], vale["instance_id"], {**FAST, "returns": "secret.csv"})
    assert response.status_code == 202
    run = finished(sqlite_service, vale["keys"]["planner"], response.json()["id"])
    assert run["status"] == "failed"
    assert "no folder of SEN2 returns named 'secret.csv'" in (run["error"] or "")
