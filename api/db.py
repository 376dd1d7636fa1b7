"""Database engine and sessions. SQLite file by default, PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, exc
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
    engine = create_engine(resolved, pool_size=pool_size)
    _ping_after_idle(engine)
    return engine


# A pooled connection idle for longer than this is pinged before use (a server restart or an idle timeout may have
# closed it); one in steady use is not.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_after_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle in the pool.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip to PostgreSQL per request, which was
    ~6% of a busy server's time (py-spy, the load benchmark). This is the pool-event recipe of SQLAlchemy's
    "Dealing with Disconnects" (raise `DisconnectionError` in a `checkout` handler and the pool replaces the
    connection and retries), applied after `idle_seconds` in the pool. A connection that breaks while in steady use
    is still detected by SQLAlchemy when a statement fails, and the pool is invalidated then.
    """

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("checked_in_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # new, or in steady use
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()  # end the transaction the ping began (no autocommit on pooled connections)
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection idle for {idle_seconds:.0f} s was closed") from error


def read_only_engine(engine: Engine) -> Engine:
    """The engine for routes that only read (and at most write one audit row): on PostgreSQL, autocommit.

    Under PostgreSQL's default READ COMMITTED isolation every statement takes its own snapshot inside a
    transaction too, so a read-only route gains nothing from BEGIN ... ROLLBACK but two round trips (psycopg sends
    each as its own command): autocommit leaves only the route's own statements, each committed on its own (a single
    audit INSERT included). SQLite has no round trips and a transaction there is a snapshot: unchanged.
    Shares the engine's pool; the isolation level is set on checkout and reset on checkin (no round trip).
    """
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


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
