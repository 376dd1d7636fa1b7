"""CLI test helpers: a fresh `placeplan` app, a wide terminal, and the database chosen by the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

DATA = Path(__file__).resolve().parents[1] / "data" / "cli"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tmp PLACEPLAN_DATA_DIR with DATABASE_URL unset: the CLI uses <tmp>/placeplan.db (SQLite)."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("PLACEPLAN_DATA_DIR", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return folder


@pytest.fixture
def cli_database(request: pytest.FixtureRequest, database_url: str, data_dir: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI pointed at a fresh database on each side: SQLite via PLACEPLAN_DATA_DIR, PostgreSQL via DATABASE_URL.

    Yields the SQLAlchemy URL the CLI will use.
    """
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{(data_dir / 'placeplan.db').resolve()}"
    else:
        monkeypatch.setenv("DATABASE_URL", database_url)
        yield database_url


@pytest.fixture
def app() -> typer.Typer:
    from api.cli.main import build_app

    return build_app()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli_data() -> Path:
    return DATA
