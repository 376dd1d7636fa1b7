"""Schema migrations run from code: `upgrade_to_head(engine_or_url)` brings a database to the latest revision.

The Alembic configuration is built here (no alembic.ini needed): the scripts live in `api/migrations`, shipped as
package data. The engine's own connection is handed to `env.py`, so tests and `create_app` migrate exactly the
database (and, on PostgreSQL, the search_path schema) they will use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at the shipped migration scripts (optionally with a database URL)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # '%' is ConfigParser's interpolation character (URL-encoded passwords and options contain it).
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision id among the shipped scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the foundation revision always exists
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine_or_url: Engine | str) -> None:
    """Apply every migration the database has not had yet (idempotent; safe to call at every start-up)."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        config = alembic_config()
        with _migration_lock(engine), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


# pg_advisory_lock's key for migrations: any constant no other code uses ("placeplan" in ASCII, as an integer).
MIGRATION_LOCK_KEY = int.from_bytes(b"placepln", "big") >> 1


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time per database: service processes started together (uvicorn --workers) would otherwise
    both create the same tables. PostgreSQL: a session advisory lock; an SQLite file: an exclusive lock on a file
    beside it; an in-memory database has one user."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl  # POSIX: the service runs on Linux

    with open(f"{database}-migrate.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
