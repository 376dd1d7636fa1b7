"""CLI commands for this capability (see api/cli/main.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add this capability's commands; filled in by the capability's issue."""
    return None
