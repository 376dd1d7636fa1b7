"""Read the DfE published SEN2 tables ("Education, health and care plans", explore-education-statistics) into
yearly totals per area: one series per local authority, region and England, for each measure the totals model
forecasts.

Source facts (DfE data guidance, `data-guidance.txt` shipped with the tables):
- `caseload.csv`: EHC plans active at January each year; `time_period` is the academic year (202122 = the January
  2022 census), `geographic_level` is "National", "Regional" or "Local authority", `new_la_code` the 9-character
  ONS code of the LA (e.g. E08000009), `la_name` its name, `region_code` its region;
- the all-plans row is `breakdown_topic` = `breakdown` = "All EHC plans";
- `ehcplans` = total number of EHC plans (measure `all_plans`);
- `special_la_maintained` (LA maintained special schools), `special_academy_free` (special academies and free
  schools), `special_independent` (independent special schools) and `special_non_maintained` (non-maintained
  special schools) sum to `special_total` (measure `special_schools`);
- values "x" (unavailable), "z" (not applicable), "c" (suppressed) and blanks are missing.

Only rows of the census years asked for are parsed: a backtest that fits on years up to Y never reads a value of a
later year (a test poisons the later years and checks the forecast does not change).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

CASELOAD_FILE = "caseload.csv"
ALL_PLANS_BREAKDOWN = "All EHC plans"  # caseload.csv: breakdown_topic and breakdown of the all-plans row
NATIONAL, REGIONAL, LOCAL_AUTHORITY = "National", "Regional", "Local authority"  # caseload.csv: geographic_level
ENGLAND_CODE = "E92000001"  # caseload.csv: country_code of England (national rows have no new_la_code)

# Measure -> the caseload.csv columns summed (data-guidance.txt, caseload.csv variables).
MEASURE_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "all_plans": ("ehcplans",),
    "special_schools": ("special_la_maintained", "special_academy_free", "special_independent",
                        "special_non_maintained"),
})
MEASURES: tuple[str, ...] = tuple(MEASURE_COLUMNS)


def census_year(time_period: str) -> int:
    """`time_period` 202122 (academic year 2021/22) -> 2022, the January census inside it."""
    text = time_period.strip()
    if len(text) != 6 or not text.isdigit():
        raise ValueError(f"time_period {time_period!r}: expected an academic year such as 202122")
    return int(text[:4]) + 1


def time_period_of(year: int) -> str:
    """The census year 2022 -> `time_period` "202122"."""
    return f"{year - 1}{year % 100:02d}"


@dataclass(frozen=True)
class AreaSeries:
    """One area's yearly totals: values[measure][census year]; a missing value is simply absent."""

    code: str
    name: str
    level: str
    region_code: str
    values: Mapping[str, Mapping[int, float]] = field(default_factory=dict)

    def value(self, measure: str, year: int) -> float | None:
        return self.values.get(measure, {}).get(year)


@dataclass(frozen=True)
class PublishedTables:
    """The areas read from one folder of published tables, for the census years asked for."""

    years: tuple[int, ...]
    local_authorities: tuple[AreaSeries, ...]
    national: AreaSeries | None
    regions: Mapping[str, AreaSeries]

    def la(self, code: str) -> AreaSeries:
        for area in self.local_authorities:
            if area.code == code:
                return area
        known = ", ".join(a.code for a in self.local_authorities[:8])
        raise KeyError(f"LA {code!r} is not in the tables (new_la_code; e.g. {known})")


def _number(text: str | None) -> float | None:
    """A published cell as a number; "x", "z", "c", blanks and anything else not numeric are missing."""
    if text is None:
        return None
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _measure_value(row: Mapping[str, str], columns: tuple[str, ...]) -> float | None:
    parts = [_number(row.get(c)) for c in columns]
    return None if any(p is None for p in parts) else float(sum(p for p in parts if p is not None))


def _area_key(row: Mapping[str, str]) -> tuple[str, str, str, str] | None:
    """(level, code, name, region code) of an all-plans row, None for other rows."""
    if row.get("breakdown_topic") != ALL_PLANS_BREAKDOWN or row.get("breakdown") != ALL_PLANS_BREAKDOWN:
        return None
    level = row.get("geographic_level", "")
    region = row.get("region_code", "") or ""
    if level == LOCAL_AUTHORITY:
        return level, row.get("new_la_code", ""), row.get("la_name", ""), region
    if level == REGIONAL:
        return level, region, row.get("region_name", ""), region
    if level == NATIONAL:
        return level, row.get("country_code", "") or ENGLAND_CODE, row.get("country_name", "England"), ""
    return None


def read_caseload(folder: Path, years: Iterable[int]) -> PublishedTables:
    """Yearly totals of every area in `folder`/caseload.csv for the census `years` only."""
    wanted = {time_period_of(y): y for y in years}
    path = Path(folder) / CASELOAD_FILE
    if not path.is_file():
        raise ValueError(f"{path}: not found (expected the DfE EHC plans tables: caseload.csv, newplans.csv, ...)")
    found: dict[tuple[str, str], tuple[str, str, dict[str, dict[int, float]]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"time_period", "geographic_level", "breakdown_topic", "breakdown"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            year = wanted.get(row.get("time_period", "").strip())
            key = _area_key(row) if year is not None else None
            if key is None or year is None or not key[1]:
                continue  # another year or breakdown: its values are never parsed
            level, code, name, region = key
            _, _, values = found.setdefault((level, code), (name, region, {m: {} for m in MEASURES}))
            for measure, columns in MEASURE_COLUMNS.items():
                value = _measure_value(row, columns)
                if value is not None:
                    values[measure][year] = value
    areas = {key: AreaSeries(code=key[1], name=name, level=key[0], region_code=region,
                             values=MappingProxyType({m: MappingProxyType(v) for m, v in values.items()}))
             for key, (name, region, values) in found.items()}
    las = tuple(sorted((a for a in areas.values() if a.level == LOCAL_AUTHORITY), key=lambda a: a.code))
    national = next((a for a in areas.values() if a.level == NATIONAL), None)
    regions = MappingProxyType({a.code: a for a in areas.values() if a.level == REGIONAL})
    return PublishedTables(years=tuple(sorted(wanted.values())), local_authorities=las, national=national,
                           regions=regions)


def restrict(tables: PublishedTables, years: Iterable[int]) -> PublishedTables:
    """The same areas with only the values of `years` (what a fit on those years may see)."""
    keep = set(years)

    def cut(area: AreaSeries) -> AreaSeries:
        values = {m: MappingProxyType({y: v for y, v in by_year.items() if y in keep})
                  for m, by_year in area.values.items()}
        return AreaSeries(code=area.code, name=area.name, level=area.level, region_code=area.region_code,
                          values=MappingProxyType(values))

    return PublishedTables(years=tuple(sorted(keep & set(tables.years))),
                           local_authorities=tuple(cut(a) for a in tables.local_authorities),
                           national=cut(tables.national) if tables.national is not None else None,
                           regions=MappingProxyType({k: cut(a) for k, a in tables.regions.items()}))


def tables_from_areas(areas: Iterable[Mapping[str, object]]) -> PublishedTables:
    """Tables from JSON-like areas: {"code", "name", "level" ("Local authority" or "National"), "values":
    {measure: {census year: total}}}, e.g. a run's parameters (the totals a client read from caseload.csv)."""
    series: list[AreaSeries] = []
    for area in areas:
        raw = area.get("values")
        if not isinstance(raw, Mapping):
            raise ValueError(f"area {area.get('code')!r}: values must map measure -> {{year: total}}")
        values = {}
        for measure, by_year in raw.items():
            if measure not in MEASURE_COLUMNS or not isinstance(by_year, Mapping):
                raise ValueError(f"area {area.get('code')!r}: unknown measure {measure!r} (expected "
                                 f"{', '.join(MEASURES)})")
            values[measure] = MappingProxyType({int(y): float(v) for y, v in by_year.items()
                                                if v is not None and float(v) >= 0})
        series.append(AreaSeries(code=str(area.get("code", "")), name=str(area.get("name", "")),
                                 level=str(area.get("level", LOCAL_AUTHORITY)), region_code="",
                                 values=MappingProxyType(values)))
    years = sorted({y for a in series for v in a.values.values() for y in v})
    return PublishedTables(years=tuple(years),
                           local_authorities=tuple(sorted((a for a in series if a.level == LOCAL_AUTHORITY),
                                                          key=lambda a: a.code)),
                           national=next((a for a in series if a.level == NATIONAL), None),
                           regions=MappingProxyType({}))


def available_years(folder: Path) -> tuple[int, ...]:
    """The census years present in `folder`/caseload.csv (reads only the `time_period` column)."""
    path = Path(folder) / CASELOAD_FILE
    if not path.is_file():
        raise ValueError(f"{path}: not found (expected the DfE EHC plans tables: caseload.csv, newplans.csv, ...)")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        periods = {row.get("time_period", "").strip() for row in csv.DictReader(handle)}
    return tuple(sorted(census_year(p) for p in periods if p))
