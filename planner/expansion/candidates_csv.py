"""The council's own candidate projects from a CSV: what it could build, at what size, cost and earliest year.

One row per (project, size): rows sharing an `id` are the size options of one project, each with its own capital
cost. Columns (header names, any case; docs/expansion.md):
`id`, `setting` (an existing setting to expand; blank for a new setting), `name`, `kind` (a setting kind; default
the expanded setting's), `locality` (a locality id; default the expanded setting's), `places` (whole places, > 0),
`need` (needs the places are for, separated by `;`; default the expanded setting's designations), `phase` (phases,
separated by `;`; default the expanded setting's age range), `capital_cost` (GBP for this size), `earliest_year`
(first academic year it could open), `lead_time_years` (optional, default 1), `annual_cost_per_place` (optional).
Every error names the file, the row (as a spreadsheet numbers it: the header is row 1) and the field.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.domain.codes import PHASE_NCY_RANGES, Need, Phase, SettingKind
from planner.domain.models import Instance
from planner.expansion.programme import CandidateProject

REQUIRED = ("places", "capital_cost", "earliest_year")
KNOWN = ("id", "setting", "name", "kind", "locality", "places", "need", "phase", "capital_cost", "earliest_year",
         "lead_time_years", "annual_cost_per_place")


class CandidateFileError(ValueError):
    """A bad candidate projects file: the message names the file, the row and the field."""

    def __init__(self, source: str, row: int | None, field: str, message: str) -> None:
        where = f"{source}: row {row}" if row is not None else source
        super().__init__(f"{where}: {field}: {message}")


def read_candidates_csv(path: Path | str, instance: Instance) -> list[CandidateProject]:
    """Read a candidate projects CSV against the instance its settings and localities belong to."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CandidateFileError(str(path), None, "file", f"cannot read it ({error.strerror or error})") from None
    return parse_candidates_csv(text, instance, source=path.name)


def parse_candidates_csv(text: str, instance: Instance, source: str = "candidates.csv") -> list[CandidateProject]:
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        optional = ", ".join(n for n in KNOWN if n not in REQUIRED)
        raise CandidateFileError(source, 1, missing[0],
                                 f"missing column (the header needs {', '.join(REQUIRED)}; optional: {optional})")
    unknown = [name for name in header if name not in KNOWN]
    if unknown:
        raise CandidateFileError(source, 1, unknown[0], f"unknown column (known: {', '.join(KNOWN)})")
    options: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue
        parsed = _parse_row(row, number, instance, source)
        options.setdefault(parsed["id"], []).append((number, parsed))
    if not options:
        raise CandidateFileError(source, None, "rows", "no candidate projects in the file")
    return [_candidate(project_id, rows, source) for project_id, rows in options.items()]


def _number(row: dict[str, str], field: str, number: int, source: str, kind: type = float,
            default: Any = None) -> Any:
    value = row.get(field, "")
    if value == "":
        if default is None:
            raise CandidateFileError(source, number, field, "missing value")
        return default
    try:
        parsed = kind(value.replace(",", "").replace("£", ""))
    except ValueError:
        raise CandidateFileError(source, number, field, f"{value!r} is not a number") from None
    if parsed < 0 or (field == "places" and parsed <= 0):
        raise CandidateFileError(source, number, field, f"{value!r} must be {'> 0' if field == 'places' else '>= 0'}")
    return parsed


def _codes(row: dict[str, str], field: str, number: int, source: str, enum: Any) -> list[Any]:
    values = [part.strip() for part in row.get(field, "").replace(",", ";").split(";") if part.strip()]
    try:
        return [enum(value) for value in values]
    except ValueError as error:
        allowed = ", ".join(member.value for member in enum)
        raise CandidateFileError(source, number, field, f"{error.args[0]} (expected one of {allowed})") from None


def _parse_row(row: dict[str, str], number: int, instance: Instance, source: str) -> dict[str, Any]:
    """One row's fields, with the expanded setting's kind, needs, ages and locality as defaults."""
    setting_id = row.get("setting", "")
    setting = instance.setting_by_id.get(setting_id) if setting_id else None
    if setting_id and setting is None:
        raise CandidateFileError(source, number, "setting", f"unknown setting {setting_id!r}")
    kinds = _codes(row, "kind", number, source, SettingKind)
    kind = kinds[0] if kinds else (setting.kind if setting else None)
    if kind is None:
        raise CandidateFileError(source, number, "kind", "missing value (needed for a new setting)")
    needs = _codes(row, "need", number, source, Need)
    designations = frozenset(needs) if needs else (setting.designated_needs if setting else frozenset())
    if not designations:
        raise CandidateFileError(source, number, "need", "missing value (needed for a new setting)")
    phases: list[Phase] = _codes(row, "phase", number, source, Phase)
    if phases:
        ncy_min = min(PHASE_NCY_RANGES[p][0] for p in phases)
        ncy_max = max(PHASE_NCY_RANGES[p][1] for p in phases)
    elif setting is not None:
        ncy_min, ncy_max = setting.ncy_min, setting.ncy_max
    else:
        raise CandidateFileError(source, number, "phase", "missing value (needed for a new setting)")
    locality = row.get("locality", "") or (setting.locality_id if setting else None)
    if locality and locality not in instance.locality_by_id:
        raise CandidateFileError(source, number, "locality", f"unknown locality {locality!r}")
    if not locality and setting is None:
        raise CandidateFileError(source, number, "locality", "missing value (needed for a new setting)")
    project_id = row.get("id", "") or (f"EXP-{setting_id}" if setting_id else f"CSV-{number}")
    return {
        "id": project_id[:64], "name": row.get("name", "") or (f"Expand {setting.name}" if setting else project_id),
        "kind": kind, "designations": designations, "ncy_min": ncy_min, "ncy_max": ncy_max,
        "locality_id": locality or None, "location": setting.location if setting else None,
        "expands_setting_id": setting.id if setting else None,
        "places": _number(row, "places", number, source, int),
        "capital": _number(row, "capital_cost", number, source),
        "earliest_year": _number(row, "earliest_year", number, source, int),
        "lead_time_years": _number(row, "lead_time_years", number, source, int, default=1),
        "annual_cost_per_place": _number(row, "annual_cost_per_place", number, source, default=-1.0),
    }


def _candidate(project_id: str, rows: list[tuple[int, dict[str, Any]]], source: str) -> CandidateProject:
    """Rows sharing an id are one project's size options: everything but places and capital must agree."""
    first_number, first = rows[0]
    for number, other in rows[1:]:
        for field in ("kind", "designations", "ncy_min", "ncy_max", "locality_id", "expands_setting_id",
                      "earliest_year", "lead_time_years"):
            if other[field] != first[field]:
                raise CandidateFileError(source, number, field, f"differs from row {first_number} of project "
                                         f"{project_id!r} (rows sharing an id are size options of one project)")
        if other["places"] in [r["places"] for _, r in rows if r is not other and _ < number]:
            raise CandidateFileError(source, number, "places", f"size {other['places']} given twice for {project_id!r}")
    sizes = {r["places"]: r["capital"] for _, r in rows}
    cost = first["annual_cost_per_place"]
    try:
        return CandidateProject(
            id=project_id, name=first["name"], kind=first["kind"], designations=first["designations"],
            ncy_min=first["ncy_min"], ncy_max=first["ncy_max"], locality_id=first["locality_id"],
            location=first["location"], expands_setting_id=first["expands_setting_id"],
            place_steps=tuple(sorted(sizes)), capital_fixed=0.0, capital_per_place=0.0,
            capital_by_size=sizes, earliest_year=first["earliest_year"], lead_time_years=first["lead_time_years"],
            annual_cost_per_place=None if cost < 0 else cost)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(p) for p in problem["loc"]) or "row"
        raise CandidateFileError(source, first_number, field, problem["msg"].removeprefix("Value error, ")) from None
