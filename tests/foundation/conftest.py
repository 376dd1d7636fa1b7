"""Fixtures for the foundation tests: the demo council built once per session, and the fixture files folder."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pytest

from planner.domain import Instance
from scenarios.demo import build_demo

DATA = Path(__file__).resolve().parent.parent / "data" / "foundation"


@lru_cache(maxsize=8)
def cached_demo(preset: str = "demo", seed: int = 2026) -> Instance:
    """Instances are immutable, so tests can share one build per (preset, seed)."""
    return build_demo(preset, seed)


@pytest.fixture(scope="session")
def demo() -> Instance:
    return cached_demo("demo", 2026)


@pytest.fixture(scope="session")
def county() -> Instance:
    return cached_demo("county", 2026)


@pytest.fixture(scope="session")
def demo_builder() -> Callable[[str, int], Instance]:
    """build_demo with a per-session cache, for tests that need several seeds."""
    return cached_demo


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
