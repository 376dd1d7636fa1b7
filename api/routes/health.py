"""GET /api/v1/health: liveness and database reachability, no key needed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from sqlalchemy import text

from api.auth import public
from api.deps import SessionDep
from api.schemas import HealthPublic

router = APIRouter(tags=["health"])


def _package_version() -> str:
    try:
        return version("placeplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


# Read once: importlib.metadata parses the package's METADATA file on every call (most of a health check's cost).
PACKAGE_VERSION = _package_version()


@router.get("/health", response_model=HealthPublic, **public())
def health(session: SessionDep) -> HealthPublic:
    """The service is up and its database answers."""
    session.execute(text("SELECT 1"))
    bind = session.get_bind()
    return HealthPublic(status="ok", database=bind.dialect.name, version=PACKAGE_VERSION)
