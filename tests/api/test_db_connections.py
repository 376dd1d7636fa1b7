"""PostgreSQL connections as the service uses them (issue 18, load): read-only routes send no BEGIN/ROLLBACK, and a
pooled connection is pinged only after it sat idle, and replaced if the server closed it meanwhile."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api import db
from api.tables import InstanceRow

pytestmark = pytest.mark.postgres


def _transaction_status(session: Session) -> psycopg.pq.TransactionStatus:
    dbapi = session.connection().connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    return dbapi.info.transaction_status


def test_read_only_engine_sends_no_begin(postgres_engine: Engine) -> None:
    """After a read, a read-only session's connection is not inside a transaction (autocommit: no BEGIN was sent,
    so there is no ROLLBACK to send either); a normal session's is."""
    with Session(db.read_only_engine(postgres_engine)) as session:
        session.execute(select(InstanceRow.id)).all()
        assert _transaction_status(session) == psycopg.pq.TransactionStatus.IDLE
    with Session(postgres_engine) as session:
        session.execute(select(InstanceRow.id)).all()
        assert _transaction_status(session) == psycopg.pq.TransactionStatus.INTRANS


def test_read_only_engine_commits_its_one_write(postgres_engine: Engine) -> None:
    """A read route's single audit row is committed by its own statement: another connection sees it at once."""
    with Session(db.read_only_engine(postgres_engine)) as session:
        session.execute(text("CREATE TABLE autocommit_probe (x integer)"))
        session.execute(text("INSERT INTO autocommit_probe VALUES (1)"))
        with postgres_engine.connect() as other:
            assert other.execute(text("SELECT count(*) FROM autocommit_probe")).scalar_one() == 1


def test_pooled_connections_are_reset_to_transactions(postgres_engine: Engine) -> None:
    """The read-only engine shares the pool: a connection it used goes back with autocommit off, so a write route
    that takes it next still writes in one transaction (rolled back as a whole on error)."""
    with Session(db.read_only_engine(postgres_engine)) as session:
        session.execute(select(InstanceRow.id)).all()
    with Session(postgres_engine) as session:
        session.execute(select(InstanceRow.id)).all()
        assert _transaction_status(session) == psycopg.pq.TransactionStatus.INTRANS


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine: Engine, pid: int) -> None:
    with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as admin:
        # pg_terminate_backend(pid, timeout) waits (up to 5 s) until the backend has exited (PostgreSQL 14+).
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)


def _age_pool(engine: Engine, seconds: float) -> None:
    """Pretend every pooled connection went back to the pool `seconds` ago."""
    for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
        record.info["checked_in_at"] -= seconds


@pytest.fixture
def one_connection_engine(postgres_url: str) -> Iterator[Engine]:
    """The service's engine with exactly one pooled connection (so the next checkout is that connection)."""
    engine = db.make_engine(postgres_url)
    yield engine
    engine.dispose()


def test_idle_connection_closed_by_the_server_is_replaced(one_connection_engine: Engine) -> None:
    """A connection the server closed while it sat idle (a restart, an idle timeout) is pinged on checkout and
    replaced: the request that takes it does not fail."""
    old_pid = _backend_pid(one_connection_engine)
    _terminate(one_connection_engine, old_pid)
    _age_pool(one_connection_engine, db.PING_AFTER_IDLE_SECONDS + 1)
    assert _backend_pid(one_connection_engine) != old_pid


def test_connection_in_steady_use_is_not_pinged(one_connection_engine: Engine) -> None:
    """A connection used moments ago is handed out without a ping: the round trip is saved, and a server-side close
    shows as an error on first use (SQLAlchemy then invalidates the pool), as without pre-ping."""
    old_pid = _backend_pid(one_connection_engine)
    _terminate(one_connection_engine, old_pid)
    with pytest.raises(OperationalError, match="terminating connection"):
        _backend_pid(one_connection_engine)
    assert _backend_pid(one_connection_engine) != old_pid  # the pool was invalidated: a new connection
