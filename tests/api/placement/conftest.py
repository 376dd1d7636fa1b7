"""Fixtures for the placement API tests: the service (SQLite and PostgreSQL through the shared `engine` fixture)
with one key per role, runs executed in threads, and a hand-built instance whose optimal placement is known.

The round (academic year 2027/28, NCY 7 transfers) and its proven answer, worked by hand:
- P-1 (MLD) asks for Ashgrove (1 free place): named, choice 1.
- P-2 (MLD) asks for Dale SEMH (not designated for MLD): UNSUITABLE; Ashgrove's one place went to P-1 (whose
  request outranks no request), so Cedar (10 km) beats Elm (15 km) on travel.
- P-4 and P-5 (PMLD) both need Birch Special (1 free place): P-4 lives nearer, so the travel rule places P-4 and
  P-5 is unplaced (ALL_FULL); Birch is the setting that would take P-5 with one more place.
- P-6 (MLD) is pinned to Cedar.
- X-1 (NCY 8 at Cedar) stays, so is not in the round and uses one of Cedar's places.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import store
from api.auth import Role, create_user
from api.jobs import JobSettings
from api.main import create_app
from api.settings import ServiceSettings
from planner.domain.models import Instance, Learner, Locality, Point, Setting
from planner.solving.progress import RunCancelled

ROLES = ("officer", "commissioner", "planner", "admin")
V1 = "/api/v1"


def _at(km_east: float, km_north: float = 0.0) -> Point:
    return Point(easting=430_000 + 1000 * km_east, northing=430_000 + 1000 * km_north)


def build_round_instance() -> Instance:
    """Five settings and seven learners with a known optimal placement (see the module docstring)."""
    settings = (
        Setting(id="S-A", name="Ashgrove Academy", kind="mainstream", ncy_min=7, ncy_max=11, capacity=1,
                location=_at(1), locality_id="N"),
        Setting(id="S-B", name="Birch Special", kind="special", designations=frozenset({"ASD", "PMLD"}),
                ncy_min=7, ncy_max=14, capacity=1, cost_per_place=24_000, location=_at(3), locality_id="N"),
        Setting(id="S-C", name="Cedar High", kind="mainstream", ncy_min=7, ncy_max=11, capacity=5,
                location=_at(10), locality_id="N"),
        Setting(id="S-D", name="Dale SEMH", kind="semh_special", designations=frozenset({"SEMH"}), ncy_min=7,
                ncy_max=11, capacity=10, cost_per_place=30_000, location=_at(2), locality_id="N"),
        Setting(id="S-E", name="Elm Academy", kind="mainstream", ncy_min=7, ncy_max=11, capacity=10,
                location=_at(15), locality_id="N"),
    )
    learners = (
        Learner(id="P-1", ncy=6, primary_need="MLD", home=_at(0), locality_id="N", requested_setting_ids=("S-A",)),
        Learner(id="P-2", ncy=6, primary_need="MLD", home=_at(0.5), locality_id="N",
                requested_setting_ids=("S-D",)),
        Learner(id="P-4", ncy=6, primary_need="PMLD", home=_at(3, 0.5), locality_id="N"),
        Learner(id="P-5", ncy=6, primary_need="PMLD", home=_at(-5), locality_id="N"),
        Learner(id="P-6", ncy=6, primary_need="MLD", home=_at(9), locality_id="N", pinned_setting_id="S-C"),
        Learner(id="X-1", ncy=8, primary_need="MLD", home=_at(9), locality_id="N", current_setting_id="S-C"),
    )
    return Instance(name="Placeshire", base_year=2026,
                    localities=(Locality(id="N", name="North", centroid=_at(0)),),
                    settings=settings, learners=learners)


def sleep_run(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    """A cancellable non-placement run kind (for the 'not a placement run' and 'not finished' cases)."""
    seconds = float(parameters.get("seconds", 0.05))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if progress.should_stop():
            raise RunCancelled()
        time.sleep(0.01)
    return {"status": "optimal", "statistics": {"wall_seconds": seconds}}


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    keys: dict[str, str]
    instance_id: int
    engine: Engine

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}

    def call(self, method: str, path: str, role: str | None, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.headers(role), **kwargs)

    def start(self, body: dict[str, Any], role: str = "officer") -> str:
        response = self.call("POST", f"{V1}/runs", role, json=body)
        assert response.status_code == 202, response.text
        run_id: str = response.json()["id"]
        return run_id

    def wait_for(self, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = self.call("GET", f"{V1}/runs/{run_id}", "admin").json()
            if body["status"] not in ("queued", "running"):
                return body
            time.sleep(0.02)
        raise AssertionError(f"run {run_id} did not finish in {timeout}s: {body}")

    def placement(self, parameters: dict[str, Any] | None = None, **target: Any) -> dict[str, Any]:
        """Start a placement run (on the stored instance unless a target is given) and wait for it."""
        body = {"kind": "placement", "parameters": parameters or {}, **(target or {"instance_id": self.instance_id})}
        run = self.wait_for(self.start(body))
        assert run["status"] == "succeeded", run
        return run


def make_service(engine: Engine) -> Service:
    with Session(engine) as session:
        instance_id = store.save_instance(session, build_round_instance(), "test")
        keys = {role: create_user(session, f"user-{role}", Role(role),
                                  councils=() if role == "admin" else (instance_id,))[1] for role in ROLES}
        session.commit()
    app = create_app(
        ServiceSettings(), engine, migrate=False,
        job_settings=JobSettings(run_executor="thread", progress_interval_seconds=0.0, cancel_poll_seconds=0.0),
        extra_run_kinds={"sleep": sleep_run},
    )
    return Service(app=app, client=TestClient(app), keys=keys, instance_id=instance_id, engine=engine)


@pytest.fixture
def service(engine: Engine) -> Iterator[Service]:
    """The service on SQLite and on PostgreSQL (the shared `engine` fixture is parametrised)."""
    svc = make_service(engine)
    with svc.client:
        yield svc
    assert threading.active_count() < 50


@pytest.fixture
def sqlite_service(sqlite_engine: Engine) -> Iterator[Service]:
    """SQLite only, for tests that do not need to prove PostgreSQL."""
    svc = make_service(sqlite_engine)
    with svc.client:
        yield svc


@pytest.fixture
def placed(service: Service) -> tuple[Service, dict[str, Any]]:
    """The service and a finished placement run on the round instance."""
    return service, service.placement()
