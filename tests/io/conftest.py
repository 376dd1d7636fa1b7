"""Fixtures for the importer tests: the folder of small council files they read."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "io"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
