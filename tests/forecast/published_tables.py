"""Tiny DfE-shaped caseload tables for the published-tables tests (same columns and conventions as caseload.csv in
tests/data/sen2-2025: `time_period` 202122 = January 2022, an "All EHC plans" row per area and year)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from planner.forecast.published import time_period_of

REAL_TABLES = Path(__file__).resolve().parents[1] / "data" / "sen2-2025"
COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
           "region_name", "new_la_code", "old_la_code", "la_name", "breakdown_topic", "breakdown", "ehcplans",
           "special_la_maintained", "special_academy_free", "special_independent", "special_non_maintained",
           "special_total")
SPECIAL_SPLIT = (0.5, 0.3, 0.15, 0.05)  # of special_total over the four special-school columns

Values = Mapping[int, tuple[str | float, str | float]]  # census year -> (ehcplans, special_total); "x" = missing


def _row(year: int, level: str, code: str, name: str, all_plans: str | float, special: str | float,
         topic: str = "All EHC plans") -> dict[str, str]:
    if isinstance(special, str):
        parts = [special] * 4
    else:
        shares = [round(special * s) for s in SPECIAL_SPLIT]
        shares[0] += int(special) - sum(shares)
        parts = [str(p) for p in shares]
    return {
        "time_period": time_period_of(year), "time_identifier": "Academic year", "geographic_level": level,
        "country_code": "E92000001", "country_name": "England", "region_code": "E12000002" if code else "",
        "region_name": "North West" if code else "", "new_la_code": code, "old_la_code": "", "la_name": name,
        "breakdown_topic": topic, "breakdown": topic, "ehcplans": str(all_plans),
        "special_la_maintained": parts[0], "special_academy_free": parts[1], "special_independent": parts[2],
        "special_non_maintained": parts[3], "special_total": str(special),
    }


def write_tables(folder: Path, england: Values, las: Mapping[tuple[str, str], Values]) -> Path:
    """caseload.csv with England and the given LAs (code, name) -> {year: (all plans, special schools)}; each
    area also gets a "Sex" breakdown row with nonsense values that must never be read."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for year, (all_plans, special) in sorted(england.items()):
        rows.append(_row(year, "National", "", "", all_plans, special))
    for (code, name), values in las.items():
        for year, (all_plans, special) in sorted(values.items()):
            rows.append(_row(year, "Local authority", code, name, all_plans, special))
            rows.append(_row(year, "Local authority", code, name, 999_999, 999_999, topic="Sex"))
    with (folder / "caseload.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def poison_after(source: Path, target: Path, last_year: int, columns: Sequence[str], factor: float) -> Path:
    """A copy of source/caseload.csv whose `columns` are multiplied by `factor` in every year after last_year."""
    target.mkdir(parents=True, exist_ok=True)
    with (source / "caseload.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        if int(row["time_period"][:4]) + 1 > last_year:
            for column in columns:
                if row[column].isdigit():
                    row[column] = str(int(int(row[column]) * factor) + 17)
    with (target / "caseload.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target
