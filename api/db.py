"""Database engine and sessions. SQLite file by default, PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from api.settings import ServiceSettings, get_settings


def make_engine(url: str | None = None, settings: ServiceSettings | None = None) -> Engine:
    """An engine for a URL (default: the configured one). SQLite gets foreign keys and a busy timeout."""
    resolved = url or (settings or get_settings()).resolved_database_url()
    # Enough pooled connections for every request thread plus the auth look-ups, so connections are reused rather
    # than opened and closed per request once the pool's default 5 are busy.
    pool_size = (settings or get_settings()).request_threads + 4
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=pool_size)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(resolved, pool_pre_ping=True, pool_size=pool_size)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: nothing half-written."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
