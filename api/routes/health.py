"""GET /api/v1/health: liveness and database reachability, no key needed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from sqlalchemy import text

from api.auth import public
from api.deps import SessionDep
from api.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, **public())
def health(session: SessionDep) -> HealthPublic:
    """The service is up and its database answers."""
    session.execute(text("SELECT 1"))
    try:
        package_version = version("placeplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        package_version = "unknown"
    bind = session.get_bind()
    return HealthPublic(status="ok", database=bind.dialect.name, version=package_version)
