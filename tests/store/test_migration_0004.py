"""Revision 0004_council_scoping on a database with data (SQLite and PostgreSQL): nothing that worked stops
working. Existing non-admin users become members of every instance with their role; owners come from
`created_by`; a run's council is its instance or its scenario's base instance; downgrade removes it all."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.db import make_engine
from api.migrate import alembic_config

USERS = "INSERT INTO users (id, name, role, active, created_at) VALUES "
NOW = "'2026-01-01 00:00:00'"


def _migrate(engine: Engine, revision: str, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _seed(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(text(f"{USERS}(1, 'o', 'officer', true, {NOW}), (2, 'p', 'planner', true, {NOW}), "
                       f"(3, 'a', 'admin', true, {NOW})"))
        for instance_id in (1, 2):
            c.execute(text(f"INSERT INTO instances (id, name, base_year, source, created_at, metadata) VALUES "
                           f"({instance_id}, 'C{instance_id}', 2026, 't', {NOW}, '{{}}')"))
        c.execute(text(f"INSERT INTO scenarios (id, name, description, base_instance_id, edits, created_at, "
                       f"created_by) VALUES (7, 's', '', 2, '[]', {NOW}, 'p'), (8, 't', '', 1, '[]', {NOW}, 'gone')"))
        for run_id, instance, scenario, by in (("r1", "1", "NULL", "o"), ("r2", "NULL", "7", "p")):
            c.execute(text(f"INSERT INTO runs (id, kind, status, instance_id, scenario_id, parameters, progress, "
                           f"message, statistics, created_at, created_by) VALUES ('{run_id}', 'sleep', 'succeeded', "
                           f"{instance}, {scenario}, '{{}}', 1, '', '{{}}', {NOW}, '{by}')"))


def test_upgrade_keeps_a_single_council_install_working_and_downgrades(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _migrate(engine, "0003_real_council")
        _seed(engine)
        _migrate(engine, "0004_council_scoping")
        with engine.connect() as c:
            members = c.execute(text("SELECT user_id, instance_id, role FROM council_memberships "
                                     "ORDER BY user_id, instance_id")).all()
            scenarios = c.execute(text("SELECT id, owner_user_id, owner_role FROM scenarios ORDER BY id")).all()
            runs = c.execute(text("SELECT id, council_id, owner_user_id, owner_role FROM runs ORDER BY id")).all()
        assert [tuple(m) for m in members] == [(1, 1, "officer"), (1, 2, "officer"), (2, 1, "planner"),
                                               (2, 2, "planner")]  # the admin needs none
        assert [tuple(s) for s in scenarios] == [(7, 2, "planner"), (8, None, None)]  # 'gone': admins only
        assert [tuple(r) for r in runs] == [("r1", 1, 1, "officer"), ("r2", 2, 2, "planner")]
        _migrate(engine, "0003_real_council", down=True)
        with engine.connect() as c:
            tables = {row[0] for row in c.execute(text(
                "SELECT name FROM sqlite_master WHERE type='table'" if engine.dialect.name == "sqlite" else
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"))}
        assert "council_memberships" not in tables and "runs" in tables
    finally:
        engine.dispose()
