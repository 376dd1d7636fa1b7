"""Migrations bring an empty database to the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import api.tables
from api.db import make_engine
from api.migrate import current_revision, head_revision, upgrade_to_head

FOUNDATION_TABLES = {
    "instances", "localities", "settings", "learners", "teams", "forecasts", "travel_times", "scenarios", "runs",
}


def _only_foundation(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare api.tables only: other modules' tables (api.service_tables) are checked by their owners."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table_name in FOUNDATION_TABLES


def _foundation_diffs(engine: Engine) -> list[Any]:
    assert {t.name for t in SQLModel.metadata.sorted_tables} >= FOUNDATION_TABLES
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _only_foundation}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def test_the_comparison_would_see_a_difference(engine: Engine) -> None:
    """Guard against a comparison that cannot fail: drop an index and the diff must name it."""
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_learners_instance_need"))
    assert any("ix_learners_instance_need" in str(diff) for diff in _foundation_diffs(engine))


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert _foundation_diffs(engine) == []


def test_migrations_reach_head_and_create_every_table(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert tables >= FOUNDATION_TABLES
    assert "alembic_version" in tables


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade_to_head(engine)
    assert current_revision(engine) == before


def test_upgrade_from_a_url(sqlite_url: str) -> None:
    upgrade_to_head(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_foundation_indexes_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    settings_indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("settings")}
    learner_indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("learners")}
    assert ("instance_id", "kind") in settings_indexes
    assert ("instance_id", "locality_id") in settings_indexes
    assert ("instance_id", "primary_need") in learner_indexes
    assert ("instance_id", "locality_id") in learner_indexes
    cascades = {fk["referred_table"]: fk["options"].get("ondelete") for fk in inspector.get_foreign_keys("learners")}
    assert cascades == {"instances": "CASCADE"}
    assert api.tables.RunRow.__tablename__ == "runs"
