"""Placement list exports: CSV and XLSX, one row per learner (pseudonymous id, never a name)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.domain.models import Instance
from planner.io.cells import frame_csv, frames_xlsx, safe_frame
from planner.placement.plan import PlacementDecision, PlacementPlan

NOT_MET = "not met"
NOTHING_REQUESTED = "nothing requested"
COLUMNS = ["learner_id", "setting_id", "setting_name", "preference_met", "travel_minutes", "pinned", "step_down",
           "reason"]


def placement_rows(instance: Instance, plan: PlacementPlan) -> pd.DataFrame:
    rows = []
    for d in plan.decisions:
        name = instance.setting_by_id[d.setting_id].name if d.setting_id else ""
        refused = "; ".join(
            f"choice {r.rank} {r.setting_id}: {r.outcome.value}" + (f" [{r.ground.value}]" if r.ground else "")
            + (f" ({r.detail})" if r.detail else "")
            for r in d.requests if r.outcome.value != "NAMED")
        reason = d.reason + (f"; {refused}" if refused else "")
        rows.append({"learner_id": d.learner_id, "setting_id": d.setting_id or "", "setting_name": name,
                     "preference_met": preference_met(d), "travel_minutes": d.travel_minutes,
                     "pinned": d.pinned, "step_down": d.step_down,
                     "reason": ("STEP DOWN from specialist to mainstream: review; " if d.step_down else "") + reason})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    # Whole minutes, blank for unplaced learners (a float column would print "12.0").
    frame["travel_minutes"] = frame["travel_minutes"].astype("Int64")
    # A cell that starts like a formula is shown as text in a spreadsheet (CSV/formula injection).
    return safe_frame(frame)


def preference_met(decision: PlacementDecision) -> int | str:
    """The choice rank named, "not met" when the family requested settings and none is named, "nothing requested"
    when they requested none (a blank cell could mean either)."""
    if decision.preference_rank:
        return decision.preference_rank
    return NOT_MET if decision.requests else NOTHING_REQUESTED


def write_placements(instance: Instance, plan: PlacementPlan, path: Path) -> Path:
    """Write CSV or XLSX by the file's suffix; ValueError for any other suffix."""
    frame = placement_rows(instance, plan)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_text(frame_csv(frame), encoding="utf-8")
    elif suffix == ".xlsx":
        path.write_bytes(frames_xlsx({"placements": (frame, False)}))
    else:
        raise ValueError(f"--out must end in .csv or .xlsx, got {path.name!r}")
    return path
