"""Learner writes check the changed record and what it references, never the whole instance (issue 18, item 5:
a PATCH loaded and validated all 20,000 county learners, 1.3 s each), with the same integrity rules as before."""

from __future__ import annotations

from typing import Any

import pytest

from api import store

from .conftest import Service


@pytest.fixture
def no_whole_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the whole instance fails: the write path must not need it."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a learner write loaded the whole instance")

    monkeypatch.setattr(store, "load_instance", refuse)


def _learners(service: Service) -> str:
    return f"/api/v1/instances/{service.instance_id}/learners"


def test_patch_and_post_do_not_load_the_instance(service: Service, no_whole_instance: None) -> None:
    patched = service.call("PATCH", f"{_learners(service)}/L-4", "officer",
                           json={"current_setting_id": "100002", "requested_setting_ids": ["100003", "100001"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["requested_setting_ids"] == ["100003", "100001"]
    created = service.call("POST", _learners(service), "officer", json={
        "id": "L-5", "ncy": 2, "primary_need": "ASD", "home": {"easting": 430000, "northing": 434000},
        "locality_id": "N", "sibling_group": "G1"})
    assert created.status_code == 201, created.text
    assert service.call("GET", f"{_learners(service)}/L-5", "officer").json()["sibling_group"] == "G1"


@pytest.mark.parametrize("change,field", [
    ({"current_setting_id": "999999"}, "current_setting_id"),
    ({"pinned_setting_id": "999999"}, "pinned_setting_id"),
    ({"requested_setting_ids": ["100001", "999999"]}, "requested_setting_ids[2]"),
    ({"requested_setting_ids": ["100001", "100001"]}, "requested_setting_ids"),
    ({"locality_id": "NOWHERE"}, "locality_id"),
    ({"ncy": None, "birth_date": "1990-01-01"}, "birth_date"),
    ({"sibling_group": "ALONE"}, "sibling_group"),
    ({"arrangement": "EHE"}, "arrangement"),
])
def test_patch_keeps_every_learner_rule(service: Service, no_whole_instance: None, change: dict[str, Any],
                                        field: str) -> None:
    url = f"{_learners(service)}/L-1"
    before = service.call("GET", url, "officer").json()
    response = service.call("PATCH", url, "officer", json=change)
    assert response.status_code == 422, response.text
    assert [e["loc"][-1] for e in response.json()["errors"]] == [field]
    assert service.call("GET", url, "officer").json() == before


def test_leaving_a_sibling_alone_is_refused(service: Service, no_whole_instance: None) -> None:
    response = service.call("PATCH", f"{_learners(service)}/L-2", "officer", json={"sibling_group": None})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-2:] == ["L-3", "sibling_group"]


def test_post_refuses_bad_references_and_duplicates(service: Service, no_whole_instance: None) -> None:
    body = {"id": "L-9", "ncy": 2, "primary_need": "ASD", "home": {"easting": 430000, "northing": 434000},
            "current_setting_id": "999999"}
    assert service.call("POST", _learners(service), "officer", json=body).status_code == 422
    duplicate = {**body, "id": "L-1", "current_setting_id": None}
    assert service.call("POST", _learners(service), "officer", json=duplicate).status_code == 409


def test_delete_checks_the_learner_not_the_instance(service: Service, no_whole_instance: None) -> None:
    """DELETE refuses to leave a sibling alone (409, nothing deleted), and takes the learner's own journey times
    with it (a locality's journey times stay)."""
    from sqlmodel import Session, select

    from api.tables import TravelTimeRow

    refused = service.call("DELETE", f"{_learners(service)}/L-2", "officer")
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["loc"][-2:] == ["L-3", "sibling_group"]
    assert service.call("GET", f"{_learners(service)}/L-2", "officer").status_code == 200
    with Session(service.engine) as session:
        session.add(TravelTimeRow(instance_id=service.instance_id, origin_id="L-1", destination_id="100001",
                                  minutes=12.0))
        session.add(TravelTimeRow(instance_id=service.instance_id, origin_id="N", destination_id="100001",
                                  minutes=9.0))
        session.commit()
    assert service.call("DELETE", f"{_learners(service)}/L-1", "officer").status_code == 204
    assert service.call("GET", f"{_learners(service)}/L-1", "officer").status_code == 404
    with Session(service.engine) as session:
        origins = sorted(row.origin_id for row in session.exec(
            select(TravelTimeRow).where(TravelTimeRow.instance_id == service.instance_id)))
    assert origins == ["N"]
    assert service.call("DELETE", f"{_learners(service)}/L-1", "officer").status_code == 404
