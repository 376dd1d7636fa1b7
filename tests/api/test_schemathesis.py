"""Runs scripts/schemathesis.sh (>= 1,000 generated requests against a live server; fails on any 5xx or schema
violation) so CI runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors_or_schema_violations() -> None:
    result = subprocess.run(["bash", str(ROOT / "scripts" / "schemathesis.sh")], cwd=ROOT, capture_output=True,
                            text=True, timeout=1200)
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    assert "0 answered 5xx" in result.stdout, tail
