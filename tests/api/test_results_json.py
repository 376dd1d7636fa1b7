"""A run's stored result is plain JSON that every client can parse (the dashboard's JSON.parse included)."""

from __future__ import annotations

import json
import math

from api.jobs import _json_safe


def test_non_finite_numbers_are_stored_as_null() -> None:
    # An expansion run's marginal value with no proven bound had a re-solve gap of Infinity; Python wrote it as the
    # bare token Infinity, which JSON.parse refuses, and the optimiser page never showed its result.
    stored = _json_safe({"resolve_gap": math.inf, "bounds": [-math.inf, math.nan, 2.5], "status": "feasible"})
    assert stored == {"resolve_gap": None, "bounds": [None, None, 2.5], "status": "feasible"}
    json.dumps(stored, allow_nan=False)  # strict JSON: raises on any Infinity or NaN left
