"""Exports of the forecast and sufficiency: the SCAP-style specialist place forecast and the XLSX workbook.

SCAP (the DfE school capacity collection) asks for specialist place forecasts 5 years ahead for primary and 7 for
secondary, against capacity = special schools + SEN units + resourced provision (alternative provision and
independent places excluded). Demand here is the forecast p50 (the median of the runs' totals) of learners in
specialist kinds.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from planner.domain.codes import Phase, SettingKind
from planner.domain.models import Instance, Setting
from planner.forecast.rates import PHASES
from planner.forecast.simulation import ForecastResult
from planner.io.cells import SafeDictWriter, append_row
from planner.sufficiency import COSTED, RECONCILED, SufficiencyResult, is_out_of_area

SCAP_YEARS: dict[Phase, int] = {Phase.PRIMARY: 5, Phase.SECONDARY: 7}
SCAP_KINDS = (SettingKind.SPECIAL, SettingKind.SEMH_SPECIAL, SettingKind.SEN_UNIT, SettingKind.RESOURCED_PROVISION)


def scap_capacity(setting: Setting, phase: Phase) -> float:
    """Places a setting counts for a phase: its phase cap, else its places shared by the NCYs it takes."""
    if phase not in setting.phases:
        return 0.0
    if phase in setting.capacity_by_phase:
        return float(setting.capacity_by_phase[phase])
    low, high = {Phase.PRIMARY: (0, 6), Phase.SECONDARY: (7, 11)}.get(phase, (0, -1))
    overlap = max(0, min(high, setting.ncy_max) - max(low, setting.ncy_min) + 1)
    return setting.capacity * overlap / (setting.ncy_max - setting.ncy_min + 1)


def scap_rows(instance: Instance, result: ForecastResult, quantile: float = 0.5) -> list[dict[str, Any]]:
    """Primary 5 years, secondary 7 years (as far as the forecast reaches): demand vs SCAP capacity.

    Demand of a phase and year is the `quantile` over runs of the runs' phase totals (summed over needs and
    localities within each run), never the sum of the cells' quantiles (which overstates an upper quantile).
    """
    by_phase = result.total_quantile(quantile, "specialist", keep=(1,))  # year, phase
    rows = []
    for phase, horizon in SCAP_YEARS.items():
        p = PHASES.index(phase)
        for y, year in enumerate(result.years[:horizon]):
            capacity = sum(scap_capacity(s, phase) for s in instance.settings
                           if s.kind in SCAP_KINDS and not is_out_of_area(s, instance) and s.is_open_in(year))
            demand = float(by_phase[y, p])
            rows.append({"academic_year": year, "phase": phase.value, "forecast_specialist_learners": round(demand),
                         "specialist_places": round(capacity), "surplus_or_deficit": round(capacity - demand)})
    return rows


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _sheet(wb: Workbook, title: str, rows: list[dict[str, Any]], first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    assert ws is not None
    ws.title = title
    if not rows:
        append_row(ws, ["(no rows)"])
        return
    headers = list(rows[0])
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, [row.get(h) for h in headers])
    ws.freeze_panes = "A2"


def scap_workbook(instance: Instance, result: ForecastResult) -> bytes:
    wb = Workbook()
    _sheet(wb, "SCAP specialist places", scap_rows(instance, result), first=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _group(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        key = tuple(r[k] for k in keys)
        agg = out.setdefault(key, {**{k: r[k] for k in keys}, **{k: 0 for k in RECONCILED + COSTED}})
        for k in RECONCILED + COSTED:
            agg[k] += r[k]
    return [out[k] for k in sorted(out)]


def sufficiency_workbook(instance: Instance, forecast_result: ForecastResult, result: SufficiencyResult) -> bytes:
    """One sheet per view (totals, by need, by locality, by phase, every cell, spare places, forecast, SCAP) and
    the assumptions used."""
    wb = Workbook()
    _sheet(wb, "Totals", result.totals_by_year(), first=True)
    _sheet(wb, "By need", _group(result.rows, ("academic_year", "need")))
    _sheet(wb, "By locality", _group(result.rows, ("academic_year", "locality_id")))
    _sheet(wb, "By phase", _group(result.rows, ("academic_year", "phase", "pool")))
    _sheet(wb, "Cells", result.rows)
    _sheet(wb, "Spare places", result.spare)
    _sheet(wb, "Forecast", forecast_result.table())
    _sheet(wb, "SCAP", scap_rows(instance, forecast_result))
    params = result.parameters
    assumptions: list[dict[str, Any]] = [
        {"assumption": "council", "value": instance.name},
        {"assumption": "base academic year", "value": instance.base_year},
        {"assumption": "demand quantile", "value": params.quantile},
        {"assumption": "demand rounding", "value": "per cell, round half up to whole learners"},
        {"assumption": "demand definition", "value": "learners forecast in specialist setting kinds (resourced "
                                                     "provision, SEN unit, special, SEMH special, independent "
                                                     "special, specialist post-16) or in alternative provision"},
        {"assumption": "Monte Carlo runs", "value": forecast_result.runs},
        {"assumption": "seed", "value": forecast_result.parameters.seed},
        {"assumption": "journey origin", "value": "locality centroid"},
        {"assumption": "travel mode", "value": params.travel.mode.value},
        {"assumption": "out-of-area journey limit (minutes)", "value": params.out_of_area_journey_limit_minutes
         if params.out_of_area_journey_limit_minutes is not None else "none"},
    ]
    for phase, minutes in params.journey_limit_minutes.items():
        assumptions.append({"assumption": f"journey limit {phase.value} (minutes)", "value": minutes})
    for name, value in params.weights.model_dump().items():
        assumptions.append({"assumption": f"weight {name}", "value": value})
    fp = forecast_result.parameters
    for name in ("joiner_scale", "joiner_growth_per_year", "growth_cap"):
        assumptions.append({"assumption": f"forecast {name}", "value": getattr(fp, name)})
    for need, scale in fp.joiner_scale_by_need.items():
        assumptions.append({"assumption": f"forecast joiner scale {need.value}", "value": scale})
    for shift in fp.move_shifts:
        assumptions.append({"assumption": "move shift", "value": shift.model_dump_json()})
    for name, value in forecast_result.provenance.items():
        assumptions.append({"assumption": f"rates {name}", "value": str(value)})
    assumptions.append({"assumption": "national defaults", "value": "scenarios/data/sen2_trend.yaml: DfE SEN2 2025"})
    leave = forecast_result.rates.leave
    assumptions.append({"assumption": "leave probability by NCY (-2..20)",
                        "value": ", ".join(f"{x:.3f}" for x in np.asarray(leave))})
    _sheet(wb, "Assumptions", assumptions)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
