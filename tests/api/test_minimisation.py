"""Minimisation (issue 18, defect 3): learner routes give the NCY and an age band, not the birth date, unless an
officer asks for one learner with a purpose (audited); homes leave the service rounded to 100 m."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.minimise import age_band, age_on_31_august, minimise_result, rounded
from planner.domain.models import Learner, Point

V1 = "/api/v1"
Service = Any


def _create(service: Service) -> str:
    base = f"{V1}/instances/{service.instance_id}/learners"
    learner = {"id": "M-1", "birth_date": "2013-09-01", "primary_need": "ASD",
               "home": {"easting": 431249.9, "northing": 433350}, "locality_id": "N"}
    assert service.call("POST", base, "officer", json=learner).status_code == 201
    return base


def test_learner_routes_give_ncy_and_age_band_not_the_birth_date(service: Service) -> None:
    base = _create(service)
    listed = service.call("GET", base, "officer", params={"limit": 500}).json()["items"]
    assert len(listed) == 5
    assert all(item["birth_date"] is None for item in listed)
    mine = next(item for item in listed if item["id"] == "M-1")
    # born 1 September 2013: 12 on 31 August 2026, Year 8 in 2026/27 (NCY set by age on 31 August)
    assert (mine["ncy"], mine["age_band"]) == (8, "11-15")
    assert mine["home"] == {"easting": 431200, "northing": 433400}  # 431249.9 -> 431200; 433350 -> 433400
    one = service.call("GET", f"{base}/M-1", "officer").json()
    assert one["birth_date"] is None and one["age_band"] == "11-15"
    assert "2013-09-01" not in service.call("GET", base, "officer").text


def test_the_birth_date_needs_a_stated_purpose_which_is_audited(service: Service) -> None:
    base = _create(service)
    asked = service.call("GET", f"{base}/M-1", "officer", params={"purpose": "EHCP annual review"})
    assert asked.status_code == 200 and asked.json()["birth_date"] == "2013-09-01"
    assert asked.json()["home"] == {"easting": 431200, "northing": 433400}  # never to the metre
    assert service.call("GET", f"{base}/M-1", "officer", params={"purpose": "x"}).status_code == 422
    events = service.call("GET", f"{V1}/audit", "admin", params={"resource_id": "M-1", "action": "read"}).json()
    assert [(e["purpose"], e["learner_count"], e["channel"]) for e in events["items"]] == [
        ("EHCP annual review", 1, "api")]


def test_age_bands_follow_the_dfe_groups() -> None:
    assert [age_band(a) for a in (0, 4, 5, 10, 11, 15, 16, 19, 20, 25, 26, -1, None)] == [
        "under 5", "under 5", "5-10", "5-10", "11-15", "11-15", "16-19", "16-19", "20-25", "20-25", None, None, None]
    home = Point(easting=1, northing=1)
    by_ncy = Learner(id="a", ncy=0, primary_need="ASD", home=home)
    assert age_on_31_august(by_ncy, 2026) == 4  # Reception: 4 on 31 August
    born = Learner(id="b", birth_date=date(2014, 8, 31), primary_need="ASD", home=home)
    assert age_on_31_august(born, 2026) == 12  # a birthday on 31 August counts


def test_rounding_is_to_100_metres_half_up() -> None:
    assert [rounded(v) for v in (0, 49.99, 50, 149.5, 431250, 799_999)] == [0, 0, 100, 100, 431300, 800_000]
    result = {"cases": [{"learner_id": "a", "location": {"easting": 431251.0, "northing": 433349.0}}], "x": 1}
    assert minimise_result("transitions", result) == {
        "cases": [{"learner_id": "a", "location": {"easting": 431300, "northing": 433300}}], "x": 1}
    assert minimise_result("placement", {"decisions": []}) == {"decisions": []}
