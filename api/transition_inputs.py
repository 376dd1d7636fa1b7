"""What a transitions run reads besides its instance: the receiving settings the latest placement run proposed.

A transition's receiving setting is the pinned (agreed) placement; else the setting the council's latest finished
placement run proposed for the learner; else, only when there is no run at all, the family's first request
(planner.transitions.cases.receiving_setting). The CLI (`placeplan transitions plan --placement-run`) and the API's
transitions runs (`api.jobs.load_run_input`) both read the placement run here, so both give the same answer.

API parameters: `placement_settings` given explicitly are used as they are; `placement_run_id` names a run to use
(it must be a finished placement run of the same instance or scenario), `"none"` uses no run; otherwise the latest
finished placement run of the same instance (or scenario) is used. The result records the run's id and, per case,
where its receiving setting came from (`receiving_source`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.tables import RunRow, RunStatus

NO_RUN = "none"


class PlacementRunNotFound(ValueError):
    """A named placement run that is not a finished placement run of this instance or scenario."""


def placement_proposals(session: Session, instance_id: int | None, scenario_id: int | None = None,
                        run_id: str = "latest") -> tuple[dict[str, str], str | None]:
    """(learner id -> proposed setting id, the run's id) from the latest (or the named) finished placement run of
    the instance (or scenario); ({}, None) when there is none. A named run that is not found raises."""
    query = select(RunRow).where(RunRow.kind == "placement", RunRow.status == RunStatus.SUCCEEDED.value)
    if instance_id is not None:
        query = query.where(RunRow.instance_id == instance_id)
    else:
        query = query.where(RunRow.scenario_id == scenario_id)
    if run_id != "latest":
        query = query.where(RunRow.id == run_id)
    row = session.exec(query.order_by(col(RunRow.created_at).desc(), col(RunRow.id))).first()
    if row is None or not isinstance(row.result, dict):
        if run_id != "latest":
            raise PlacementRunNotFound(f"parameters.placement_run_id: no finished placement run {run_id!r} for "
                                       "this instance")
        return {}, None
    decisions = row.result.get("decisions") or []
    return {str(d["learner_id"]): str(d["setting_id"]) for d in decisions
            if isinstance(d, dict) and d.get("learner_id") and d.get("setting_id")}, row.id


def with_placement_proposals(session: Session, run: RunRow, parameters: dict[str, Any]) -> dict[str, Any]:
    """A transitions run's parameters with the receiving settings of its placement run (see the module docstring)."""
    if "placement_settings" in parameters:
        return parameters
    wanted = parameters.get("placement_run_id") or "latest"
    if wanted == NO_RUN:
        return {k: v for k, v in parameters.items() if k != "placement_run_id"}
    settings, found = placement_proposals(session, run.instance_id, run.scenario_id, str(wanted))
    if found is None:
        return parameters
    return {**parameters, "placement_settings": settings, "placement_run_id": found}
