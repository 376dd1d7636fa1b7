"""Routes for this capability under /api/v1; filled in by the capability's issue."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
