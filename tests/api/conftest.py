"""Fixtures for the service tests: an app on the shared `engine` fixture (SQLite and PostgreSQL), one API key per
role, a small stored instance, and a test-only slow run kind executed in threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
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
from planner.domain.models import Instance, Learner, Locality, OutreachTeam, Point, Setting
from planner.solving.progress import RunCancelled

ROLES = ("officer", "commissioner", "planner", "admin")


def build_small_instance() -> Instance:
    """Two localities, three settings, four learners (a sibling pair), one team: every reference resolvable."""
    north = Point(easting=430000, northing=434000)
    south = Point(easting=432000, northing=428000)
    return Instance(
        name="Testshire",
        base_year=2026,
        localities=(Locality(id="N", name="North", centroid=north), Locality(id="S", name="South", centroid=south)),
        settings=(
            Setting(id="100001", name="North Primary", kind="mainstream", ncy_min=0, ncy_max=6, capacity=420,
                    location=north, locality_id="N", urn=100001),
            Setting(id="100002", name="South Special", kind="special", designations=frozenset({"ASD", "SLD"}),
                    ncy_min=0, ncy_max=14, capacity=80, cost_per_place=24000, location=south, locality_id="S"),
            Setting(id="100003", name="Vale SEMH", kind="semh_special", designations=frozenset({"SEMH"}),
                    ncy_min=5, ncy_max=11, capacity=40, cost_per_place=30000, location=south, locality_id="S"),
        ),
        learners=(
            Learner(id="L-1", ncy=3, primary_need="ASD", home=north, locality_id="N", current_setting_id="100001"),
            Learner(id="L-2", ncy=6, primary_need="SEMH", home=south, locality_id="S",
                    requested_setting_ids=("100003",), sibling_group="G1"),
            Learner(id="L-3", ncy=4, primary_need="SLD", home=south, locality_id="S", sibling_group="G1",
                    current_setting_id="100002"),
            Learner(id="L-4", ncy=8, primary_need="MLD", home=north, locality_id="N"),
        ),
        teams=(OutreachTeam(id="T1", name="Autism outreach", specialisms=frozenset({"ASD"}), hours_per_week=37.5,
                            locality_ids=frozenset({"N"})),),
    )


def sleep_run(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    """A cancellable stand-in solve: `seconds` of sleeping in 20 ms steps."""
    seconds = float(parameters.get("seconds", 0.2))
    steps = max(1, int(seconds / 0.02))
    for step in range(steps):
        if progress.should_stop():
            raise RunCancelled()
        time.sleep(seconds / steps)
        progress.report((step + 1) / steps, f"step {step + 1} of {steps}")
    return {"status": "optimal", "statistics": {"wall_seconds": seconds, "objective": len(instance.learners)},
            "learners": [learner.id for learner in instance.learners]}


def failing_run(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    raise ValueError("parameters.weight: must be positive")


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

    def wait_for(self, run_id: str, role: str = "admin", timeout: float = 20.0,
                 until: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        until = until or (lambda r: r["status"] not in ("queued", "running"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body: dict[str, Any] = self.call("GET", f"/api/v1/runs/{run_id}", role).json()
            if until(body):
                return body
            time.sleep(0.02)
        raise AssertionError(f"run {run_id} did not reach the expected state in {timeout}s: {body}")


def make_service(engine: Engine, **settings: Any) -> Service:
    with Session(engine) as session:
        instance_id = store.save_instance(session, build_small_instance(), "test")
        keys = {role: create_user(session, f"user-{role}", Role(role),
                                  councils=() if role == "admin" else (instance_id,))[1] for role in ROLES}
        session.commit()
    app = create_app(
        ServiceSettings(**settings),
        engine,
        migrate=False,
        job_settings=JobSettings(run_executor="thread", progress_interval_seconds=0.0, cancel_poll_seconds=0.0),
        extra_run_kinds={"sleep": sleep_run, "fail": failing_run, "officer_only": sleep_run},
        extra_run_kind_roles={"officer_only": (Role.OFFICER,)},
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
    """The service on SQLite only (for tests that do not need to prove PostgreSQL)."""
    svc = make_service(sqlite_engine)
    with svc.client:
        yield svc


@pytest.fixture
def service_factory() -> Callable[..., Service]:
    """make_service(engine, **ServiceSettings fields) for tests that need non-default limits."""
    return make_service


@pytest.fixture
def small_instance() -> Instance:
    return build_small_instance()
