"""Shared database fixtures for every test folder.

Use them by name in any test (no import needed):

- `database_url` (str): a fresh, empty database, parametrised over
    * `sqlite`: a SQLite file in the test's tmp_path;
    * `postgresql` (marked `postgres`): a new schema with a unique name on the server at env `TEST_POSTGRES_URL`
      (default `postgresql+psycopg://postgres@127.0.0.1:5432/test`); the URL carries
      `options=-csearch_path=<schema>`, so every connection made from it (SQLAlchemy engines, `create_app`,
      Alembic) sees only that schema. The schema is dropped after the test. Unique names make this safe under
      pytest-xdist.
  When PostgreSQL does not answer, the postgresql variant is skipped locally but FAILS when env CI is "true"
  (CI must prove both databases). Run one side only with `-m postgres` / `-m "not postgres"` or `-k sqlite`.
- `engine`: an `api.db.make_engine(database_url)` engine already migrated to head (`api.migrate.upgrade_to_head`),
  disposed after the test.
- `session`: a `sqlmodel.Session` on `engine` (closed after the test; commit yourself when you need to).
- `sqlite_url` / `sqlite_engine`: the SQLite side only, for tests that do not need to prove PostgreSQL.
- `postgres_url` / `postgres_engine`: the PostgreSQL side only (mark such tests `@pytest.mark.postgres`).
- `demo` / `county` / `demo_builder`: the demo councils built once per session (`scenarios.demo.build_demo`).
- `history_instance` / `history_factory`: a council whose history follows known rates (tests/forecast/history.py).
- `tiny_instance`: a small `planner.domain.models.Instance` using every field of every model (`build_tiny_instance`).

Tests that start the API can pass `database_url` to their app factory (or set DATABASE_URL to it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_server_url() -> str:
    from api.settings import normalise_database_url

    return normalise_database_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL))


@pytest.fixture(scope="session")
def _postgres_admin_engine() -> Iterator[Engine]:
    """One connection pool to the PostgreSQL server for creating and dropping test schemas."""
    engine = create_engine(_postgres_server_url(), pool_pre_ping=True, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        engine.dispose()
        message = f"PostgreSQL at {make_url(_postgres_server_url()).render_as_string()} is not answering: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


def _sqlite_file_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'placeplan-test.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return _sqlite_file_url(tmp_path)


@contextmanager
def _fresh_postgres_schema(admin: Engine) -> Iterator[str]:
    """A URL whose connections see only a new, uniquely named schema (dropped afterwards)."""
    schema = f"test_{uuid.uuid4().hex[:20]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(_postgres_server_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield _sqlite_file_url(tmp_path)
        return
    admin: Engine = request.getfixturevalue("_postgres_admin_engine")
    with _fresh_postgres_schema(admin) as url:
        yield url


@pytest.fixture
def postgres_url(_postgres_admin_engine: Engine) -> Iterator[str]:
    """The PostgreSQL side only (mark the test `postgres`)."""
    with _fresh_postgres_schema(_postgres_admin_engine) as url:
        yield url


def _migrated_engine(url: str) -> Engine:
    from api.db import make_engine
    from api.migrate import upgrade_to_head

    engine = make_engine(url)
    upgrade_to_head(engine)
    return engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = _migrated_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = _migrated_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = _migrated_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session



def build_tiny_instance() -> Any:
    """A small instance that uses every field of every domain model (for store, CLI and API tests).

    Two in-area localities and one out of area; a mainstream primary hosting an ASD resourced provision, a
    special school with phase caps, an SEMH special, a PRU, an out-of-area independent special, a proposed
    special and an FE college; learners covering every field (a sibling pair, transfers with requests, a pinned
    placement, flags, birth dates and NCYs); two outreach teams and two forecasts.
    """
    from planner.domain.codes import Need, Phase, SettingKind, SettingStatus
    from planner.domain.models import Instance, Learner, Locality, NeedForecast, OutreachTeam, Point, Setting

    localities = (
        Locality(id="L-N", name="North", centroid=Point(easting=451_000.5, northing=301_000.25)),
        Locality(id="L-S", name="South", centroid=Point(easting=452_500.0, northing=290_000.0)),
        Locality(id="OOA", name="Neighbouring county", centroid=Point(easting=480_000, northing=310_000),
                 in_area=False),
    )
    settings = (
        Setting(id="100001", name="Northvale Primary", kind=SettingKind.MAINSTREAM, ncy_min=0, ncy_max=6,
                capacity=420, cost_per_place=0, location=Point(easting=451_200.1, northing=301_100.7),
                locality_id="L-N", urn=100001),
        Setting(id="100001-RP", name="Northvale Primary ASD base", kind=SettingKind.RESOURCED_PROVISION,
                designations=frozenset({Need.ASD}), ncy_min=0, ncy_max=6, capacity=12, cost_per_place=21_000,
                location=Point(easting=451_200.1, northing=301_100.7), locality_id="L-N",
                host_setting_id="100001", urn=100001),
        Setting(id="100002", name="Riverside Special School", kind=SettingKind.SPECIAL,
                designations=frozenset({Need.SLD, Need.PMLD, Need.ASD}), ncy_min=0, ncy_max=14, capacity=150,
                capacity_by_phase={Phase.PRIMARY: 70, Phase.SECONDARY: 60}, cost_per_place=26_500,
                location=Point(easting=452_000, northing=295_000), locality_id="L-S", urn=100002),
        Setting(id="100003", name="Oakfield SEMH Academy", kind=SettingKind.SEMH_SPECIAL,
                designations=frozenset({Need.SEMH}), ncy_min=7, ncy_max=11, capacity=60, cost_per_place=31_000,
                location=Point(easting=453_000, northing=292_000), locality_id="L-S",
                status=SettingStatus.CLOSING, closes_year=2028),
        Setting(id="100004", name="Northvale PRU", kind=SettingKind.PRU_AP, ncy_min=5, ncy_max=11, capacity=40,
                cost_per_place=18_000, location=Point(easting=451_900, northing=299_000), locality_id="L-N"),
        Setting(id="200001", name="Hillcrest Independent School", kind=SettingKind.INDEPENDENT_SPECIAL,
                designations=frozenset({Need.ASD, Need.SEMH}), ncy_min=3, ncy_max=13, capacity=80,
                cost_per_place=65_000, location=Point(easting=481_000, northing=309_000), locality_id="OOA",
                in_area=False),
        Setting(id="P-001", name="New ASD free school", kind=SettingKind.SPECIAL,
                designations=frozenset({Need.ASD}), ncy_min=7, ncy_max=14, capacity=100, cost_per_place=27_000,
                location=Point(easting=450_000, northing=298_000), locality_id="L-N",
                status=SettingStatus.PROPOSED, opens_year=2027),
        Setting(id="130001", name="Northvale College", kind=SettingKind.FE_COLLEGE, ncy_min=12, ncy_max=20,
                capacity=300, cost_per_place=9_000, location=Point(easting=451_500, northing=300_500),
                locality_id="L-N"),
    )
    learners = (
        Learner(id="LRN-0001", birth_date=date(2019, 8, 31), primary_need=Need.ASD, secondary_need=Need.SLCN,
                home=Point(easting=451_300.125, northing=301_050.5), locality_id="L-N",
                current_setting_id="100001-RP", plan_start=date(2024, 3, 1), setting_start=date(2024, 9, 4)),
        Learner(id="LRN-0002", ncy=6, primary_need=Need.SLD, home=Point(easting=452_100, northing=295_500),
                locality_id="L-S", current_setting_id="100002", requested_setting_ids=("100002", "P-001"),
                sibling_group="SIB-1", needs_transport=True, max_journey_minutes=45),
        Learner(id="LRN-0003", ncy=3, primary_need=Need.PMLD, home=Point(easting=452_100, northing=295_500),
                locality_id="L-S", current_setting_id="100002", sibling_group="SIB-1", needs_transport=True),
        Learner(id="LRN-0004", ncy=9, birth_date=date(2012, 9, 1), primary_need=Need.SEMH,
                home=Point(easting=453_500, northing=291_000), locality_id="L-S", current_setting_id="100004",
                excluded=True, suspensions=3, looked_after=True),
        Learner(id="LRN-0005", ncy=8, primary_need=Need.SEMH, home=Point(easting=451_000, northing=302_000),
                locality_id="L-N", current_setting_id="100001", at_risk_of_exclusion=True, suspensions=1),
        Learner(id="LRN-0006", ncy=11, primary_need=Need.ASD, home=Point(easting=482_000, northing=308_000),
                locality_id="OOA", current_setting_id="200001", requested_setting_ids=("130001",),
                pinned_setting_id="130001"),
        Learner(id="LRN-0007", ncy=-1, primary_need=Need.HI, home=Point(easting=450_500, northing=300_000),
                locality_id="L-N"),
        Learner(id="LRN-0008", ncy=15, primary_need=Need.MLD, secondary_need=Need.PD,
                home=Point(easting=451_600, northing=300_400), locality_id=None, current_setting_id="130001",
                plan_start=date(2015, 1, 10), plan_end=date(2026, 7, 20)),
    )
    teams = (
        OutreachTeam(id="T-ASD", name="Autism outreach", specialisms=frozenset({Need.ASD, Need.SLCN}),
                     hours_per_week=74.5, locality_ids=frozenset({"L-N", "L-S"}),
                     base=Point(easting=451_000, northing=300_000)),
        OutreachTeam(id="T-SEN", name="Sensory support", specialisms=frozenset({Need.HI, Need.VI, Need.MSI}),
                     hours_per_week=37.0),
    )
    forecasts = (
        NeedForecast(academic_year=2027, need=Need.ASD, phase=Phase.SECONDARY, locality_id="L-N",
                     p10=10.0, p50=12.5, p90=16.25),
        NeedForecast(academic_year=2027, need=Need.SEMH, phase=Phase.SECONDARY, locality_id="L-S",
                     p10=4.0, p50=5.0, p90=7.0),
    )
    return Instance(name="Tiny council", base_year=2026, localities=localities, settings=settings,
                    learners=learners, teams=teams, forecasts=forecasts,
                    metadata={"generator": "tests", "seed": 1, "notes": ["every field"]})


@pytest.fixture
def tiny_instance() -> Any:
    """See build_tiny_instance."""
    return build_tiny_instance()


@lru_cache(maxsize=8)
def cached_demo(preset: str = "demo", seed: int = 2026) -> Any:
    """Instances are immutable, so tests can share one build per (preset, seed)."""
    from scenarios.demo import build_demo

    return build_demo(preset, seed)


@pytest.fixture(scope="session")
def demo() -> Any:
    return cached_demo("demo", 2026)


@pytest.fixture(scope="session")
def county() -> Any:
    return cached_demo("county", 2026)


@pytest.fixture(scope="session")
def demo_builder() -> Any:
    """build_demo with a per-session cache, for tests that need several seeds."""
    return cached_demo


@pytest.fixture(scope="session")
def history_factory() -> Any:
    """build_history_instance (tests/forecast/history.py): a council whose history follows the rates given."""
    from tests.forecast.history import build_history_instance

    return build_history_instance


@pytest.fixture(scope="session")
def history_instance(history_factory: Any) -> Any:
    return history_factory()
