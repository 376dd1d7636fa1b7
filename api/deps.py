"""Request dependencies: the database session. The engine lives on `app.state.engine` (set by create_app).

Use ``SessionDep`` in a route signature to get a SQLModel session for the request; it is closed when the request
ends. Commit explicitly when you change something (``session.commit()``); nothing is committed for you.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session


def get_engine(request: Request) -> Engine:
    """The application's engine (one per app, created or given to create_app)."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request; rolled back if the route fails before committing."""
    with Session(get_engine(request), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
EngineDep = Annotated[Engine, Depends(get_engine)]
