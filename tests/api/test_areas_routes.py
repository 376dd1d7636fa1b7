"""Deriving and renaming localities, default and changed outreach teams through the API: roles, 404s, effects."""

from __future__ import annotations

from typing import Any

import pytest

Service = Any  # the `service` fixture (tests/api/conftest.py): the small instance has localities N, S and team T1


def _path(service: Service, tail: str) -> str:
    return f"/api/v1/instances/{service.instance_id}/{tail}"


def test_derive_localities_reassigns_learners_settings_and_teams(service: Service) -> None:
    response = service.call("POST", _path(service, "localities/derive"), "planner", json={"count": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "derived from home locations" in body["message"]
    assert [item["id"] for item in body["items"]] == ["LOC-01", "LOC-02"]
    assert sum(item["learners"] for item in body["items"]) == 4
    assert sum(item["settings"] for item in body["items"]) == 3
    assert all(item["name"].startswith("Area around ") for item in body["items"])
    listed = service.call("GET", _path(service, "localities"), "commissioner").json()
    assert [item["id"] for item in listed["items"]] == ["LOC-01", "LOC-02"]
    learners = service.call("GET", _path(service, "learners"), "officer").json()["items"]
    assert {x["locality_id"] for x in learners} == {"LOC-01", "LOC-02"}
    team = service.call("GET", _path(service, "teams/T1"), "officer").json()
    assert team["locality_ids"] == ["LOC-01", "LOC-02"]  # its locality N is gone: it covers the new ones
    audit = service.call("GET", "/api/v1/audit", "admin", params={"resource_type": "localities"}).json()
    assert [(e["action"], e["instance_id"]) for e in audit["items"]] == [("derive", str(service.instance_id))]


def test_derive_with_the_default_count_and_bad_counts(service: Service) -> None:
    body = service.call("POST", _path(service, "localities/derive"), "commissioner", json={}).json()
    assert "default count" in body["message"]
    # 4 learners and 3 settings at 2 distinct places: the default 3 localities cannot all be formed
    assert len(body["items"]) == 2 and "only 2 distinct group(s)" in body["message"]
    for count in (0, 51, "two"):
        response = service.call("POST", _path(service, "localities/derive"), "planner", json={"count": count})
        assert response.status_code == 422, count
    assert service.call("POST", _path(service, "localities/derive"), "planner",
                        json={"count": 2, "other": 1}).status_code == 422


def test_rename_a_locality(service: Service) -> None:
    response = service.call("PATCH", _path(service, "localities/N"), "commissioner", json={"name": "North patch"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "North patch"
    assert service.call("GET", _path(service, "localities/N"), "officer").json()["name"] == "North patch"
    for bad in ("", "   ", "x" * 121, "a\x00b"):
        assert service.call("PATCH", _path(service, "localities/N"), "planner",
                            json={"name": bad}).status_code == 422, bad
    assert service.call("GET", _path(service, "localities/N"), "officer").json()["name"] == "North patch"
    audit = service.call("GET", "/api/v1/audit", "admin", params={"resource_type": "locality"}).json()
    assert [(e["action"], e["resource_id"]) for e in audit["items"]] == [("update", "N")]


def test_default_teams_replace_the_teams(service: Service) -> None:
    response = service.call("POST", _path(service, "teams/default"), "commissioner")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "replacing 1" in body["message"]
    assert [t["id"] for t in body["items"]] == ["T-AUT", "T-SEMH", "T-SENS", "T-LD", "T-EY", "T-PFA"]
    # 4 learners with a plan: the demo's 180 hours per 3,500, to a tenth of an hour
    assert body["items"][0]["hours_per_week"] == round(180 * 4 / 3_500, 1)
    assert all(t["locality_ids"] == ["N", "S"] for t in body["items"])
    listed = service.call("GET", _path(service, "teams"), "planner").json()
    assert [t["id"] for t in listed["items"]] == [t["id"] for t in body["items"]]
    assert service.call("POST", _path(service, "teams/default"), "officer").status_code == 200


def test_change_a_teams_hours_and_name(service: Service) -> None:
    response = service.call("PATCH", _path(service, "teams/T1"), "officer",
                            json={"hours_per_week": 20.5, "name": "Autism team"})
    assert response.status_code == 200, response.text
    assert (response.json()["hours_per_week"], response.json()["name"]) == (20.5, "Autism team")
    team = service.call("GET", _path(service, "teams/T1"), "planner").json()
    assert (team["hours_per_week"], team["name"], team["locality_ids"]) == (20.5, "Autism team", ["N"])
    assert service.call("PATCH", _path(service, "teams/T1"), "commissioner",
                        json={"hours_per_week": 30}).json()["name"] == "Autism team"
    for bad in ({"hours_per_week": -1}, {"hours_per_week": 1e9}, {"name": ""}, {"colour": "red"}):
        assert service.call("PATCH", _path(service, "teams/T1"), "officer", json=bad).status_code == 422, bad
    assert service.call("GET", _path(service, "teams/T1"), "planner").json()["hours_per_week"] == 30


@pytest.mark.parametrize(("method", "tail", "body", "allowed", "refused"), [
    ("POST", "localities/derive", {"count": 2}, "planner", "officer"),
    ("PATCH", "localities/N", {"name": "X"}, "commissioner", "officer"),
    ("POST", "teams/default", None, "officer", "planner"),
    ("PATCH", "teams/T1", {"hours_per_week": 1}, "commissioner", "planner"),
])
def test_roles_and_not_found(sqlite_service: Service, method: str, tail: str, body: dict[str, Any] | None,
                             allowed: str, refused: str) -> None:
    service = sqlite_service
    assert service.call(method, _path(service, tail), None, json=body).status_code == 401
    refusal = service.call(method, _path(service, tail), refused, json=body)
    assert refusal.status_code == 403 and refusal.headers["content-type"].startswith("application/problem+json")
    missing = service.call(method, f"/api/v1/instances/999999/{tail}", allowed, json=body)
    assert missing.status_code == 404 and "no instance with id 999999" in missing.json()["detail"]
    if method == "PATCH":
        unknown = service.call(method, _path(service, tail.rsplit("/", 1)[0] + "/NOPE"), allowed, json=body)
        assert unknown.status_code == 404 and "'NOPE'" in unknown.json()["detail"]
    assert service.call(method, _path(service, tail), "admin", json=body).status_code == 200
