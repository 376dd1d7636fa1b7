"""Request dependencies: the database session. The engine lives on `app.state.engine` (set by create_app).

Use ``SessionDep`` in a route signature to get a SQLModel session for the request; it is closed when the request
ends. Commit explicitly when you change something (``session.commit()``); nothing is committed for you.
``ReadSessionDep`` is for routes that only read (at most one audit row written): autocommit on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool


def get_engine(request: Request) -> Engine:
    """The application's engine (one per app, created or given to create_app)."""
    engine: Engine = request.app.state.engine
    return engine


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one request; rolled back (closed) if the route fails before committing.

    Async on purpose: a sync generator dependency costs two extra thread-pool hops per request (enter and exit),
    and creating a Session does no I/O (it connects on first use, in the route's thread). At the end, a session
    that still holds a connection (the route read without committing, or failed) is closed in the thread pool,
    since that rolls back on the database; one that holds none (committed, or never used) is closed in place.
    """
    session = Session(get_engine(request), expire_on_commit=False)
    try:
        yield session
    finally:
        await _close(session)


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A session for a route that only reads (and writes at most one audit row): on PostgreSQL it runs in
    autocommit (`api.db.read_only_engine`: no BEGIN and ROLLBACK round trips); elsewhere as `get_session`."""
    session = Session(request.app.state.read_engine, expire_on_commit=False)
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: Session) -> None:
    """Close a request's session: in the thread pool if it still holds a connection (closing rolls back on the
    database), in place if not."""
    if session.in_transaction():
        await run_in_threadpool(session.close)
    else:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
EngineDep = Annotated[Engine, Depends(get_engine)]
