"""Runs scripts/schemathesis.sh in a short form (examples and fuzzing phases, random and real ids, >= 500
requests against a live SQLite server; fails on any 5xx or schema violation) so CI runs it. The full run (every
phase, 20 examples per operation, SQLite and PostgreSQL) is `scripts/schemathesis.sh 20 sqlite|postgres`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors_or_schema_violations() -> None:
    env = {**os.environ, "FUZZ_PHASES": "examples,fuzzing", "MIN_REQUESTS": "500"}
    result = subprocess.run(["bash", str(ROOT / "scripts" / "schemathesis.sh"), "5", "sqlite"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1200)
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    assert "0 answered 5xx" in result.stdout, tail
