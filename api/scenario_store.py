"""Scenarios as the service keeps them: lineage, what a run records of its scenario, staleness, and edits checked
against the council they are built on.

A run records its scenario's name and lineage when it is queued and again when it starts (`stamp_run`): each member
as `{"id", "name", "version", "source"}`, root first. A stored scenario's `version` rises with every change to its
edits; a shipped scenario's version is a digest of its file's edits and parameters. A run is *stale* when a member
of its lineage has since been edited or deleted (`stale_reasons`); its figures are kept and shown as such.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from api.tables import InstanceRow, LocalityRow, RunFacts, RunRow, ScenarioRow, SettingRow

BASELINE = "baseline"  # the council's data with no edits: the name its runs carry (scenarios.runner too)
MAX_LINEAGE = 50


def lineage_rows(session: Session, scenario: ScenarioRow) -> list[ScenarioRow]:
    """The scenario and its ancestors, root first (a broken or looping chain stops where it breaks)."""
    chain = [scenario]
    seen = {scenario.id}
    while chain[0].parent_scenario_id is not None and len(chain) < MAX_LINEAGE:
        parent = session.get(ScenarioRow, chain[0].parent_scenario_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        chain.insert(0, parent)
    return chain


def stored_snapshot(rows: Sequence[ScenarioRow]) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "version": r.version, "source": "stored"} for r in rows]


def shipped_version(name: str) -> str:
    """A digest of a shipped scenario's own edits and parameters (changes when the product's file changes)."""
    from scenarios.registry import get_scenario

    spec = get_scenario(name)
    body = json.dumps({"edits": spec.edits, "parameters": spec.parameters}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def shipped_snapshot(name: str) -> list[dict[str, Any]]:
    from scenarios.registry import get_scenario
    from scenarios.spec import lineage

    return [{"id": None, "name": m.name, "version": shipped_version(m.name), "source": "shipped"}
            for m in lineage(get_scenario(name), get_scenario)]


def run_snapshot(session: Session, run: RunRow) -> tuple[str | None, list[dict[str, Any]] | None]:
    """The scenario name and lineage a run is of: a stored scenario, a shipped one named in its parameters
    (scenario runs), the baseline (a scenario run on the council's data), or none (other kinds on the data)."""
    if run.scenario_id is not None:
        row = session.get(ScenarioRow, run.scenario_id)
        if row is None:
            return run.scenario_name, run.scenario_lineage
        rows = lineage_rows(session, row)
        return row.name, stored_snapshot(rows)
    shipped = (run.parameters or {}).get("scenario")
    if isinstance(shipped, str):  # a shipped scenario on the council's data (scenario, expansion, sufficiency...)
        try:
            return shipped, shipped_snapshot(shipped)
        except (KeyError, ValueError):
            return shipped, None  # an unknown name: the run fails and says so
    if run.kind == "scenario" and (run.parameters or {}).get("edits"):
        from scenarios.runner import AD_HOC

        return AD_HOC, None  # edits given with the run itself: nothing stored to go stale against
    if run.kind == "scenario":
        return BASELINE, []
    return None, None


def stamp_run(session: Session, run: RunRow) -> None:
    """Record on the run what it is of and the version of the council's data it reads (called when it is queued
    and again when it starts, so the version is the one it read)."""
    run.scenario_name, run.scenario_lineage = run_snapshot(session, run)
    council = session.get(InstanceRow, run.council_id) if run.council_id is not None else None
    run.data_version = council.data_version if council is not None else None


DATA_CHANGED = "the council's data (learners, settings) have changed since this run"


def _data_versions(session: Session, runs: Sequence[RunFacts]) -> dict[int, int]:
    """The current data_version of each council the runs read (those that recorded one)."""
    ids = {r.council_id for r in runs if r.data_version is not None and r.council_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(InstanceRow.id, InstanceRow.data_version).where(col(InstanceRow.id).in_(ids)))
    return {int(i): int(v) for i, v in rows if i is not None}


def stale_reasons(session: Session, runs: Iterable[RunFacts],
                  data_versions: Mapping[int, int] | None = None) -> dict[str, str | None]:
    """Per run id: why its figures no longer describe its scenario (edited or deleted since) or the council's data
    (changed since: a baseline run too), or None. A scenario's change is named before the data's.
    `data_versions` (council id -> current data_version), when the caller has read them already."""
    runs = list(runs)
    ids = {m["id"] for r in runs for m in (r.scenario_lineage or []) if m.get("source") == "stored"}
    current = {row.id: row for row in session.exec(select(ScenarioRow).where(col(ScenarioRow.id).in_(ids)))} \
        if ids else {}
    versions: dict[str, str | None] = {}
    reasons: dict[str, str | None] = {}
    data = dict(data_versions) if data_versions is not None else _data_versions(session, runs)
    for run in runs:
        now_data = data.get(run.council_id or 0)
        reasons[run.id] = DATA_CHANGED if now_data is not None and now_data != run.data_version else None
        for member in run.scenario_lineage or []:
            if member.get("source") == "stored":
                row = current.get(member["id"])
                now: Any = None if row is None else row.version
            else:
                if member["name"] not in versions:
                    try:
                        versions[member["name"]] = shipped_version(member["name"])
                    except (KeyError, ValueError):
                        versions[member["name"]] = None
                now = versions[member["name"]]
            if now is None:
                reasons[run.id] = f"scenario {member['name']!r} has been deleted since this run"
                break
            if now != member["version"]:
                reasons[run.id] = f"scenario {member['name']!r} has been edited since this run"
                break
    return reasons


# ----------------------------------------------------------------------------------------------------------------
# Edits checked against the council


@dataclass(frozen=True)
class CouncilEditProblem:
    """An edit naming something the council does not have: `member` is its scenario's position in the lineage
    (root first), `index` the edit's 0-based position in that scenario's own edits."""

    member: int
    index: int
    field: str
    message: str


@dataclass(frozen=True)
class CouncilRecords:
    """What edits may name: the council's settings and localities and its base year."""

    settings: frozenset[str]
    localities: frozenset[str]
    base_year: int

    @classmethod
    def load(cls, session: Session, instance_id: int) -> CouncilRecords:
        settings = session.exec(select(SettingRow.setting_id).where(col(SettingRow.instance_id) == instance_id))
        localities = session.exec(select(LocalityRow.locality_id)
                                  .where(col(LocalityRow.instance_id) == instance_id))
        instance = session.get(InstanceRow, instance_id)
        return cls(frozenset(settings), frozenset(localities), instance.base_year if instance else 0)


# Edit fields naming a setting that must already exist, per op (scenarios.what_if); change_costs may name a kind.
SETTING_FIELDS = {"expand_places": ("setting_id",), "reduce_places": ("setting_id",),
                  "redesignate": ("setting_id",), "close_setting": ("setting_id",), "change_costs": ("setting_id",),
                  "add_setting": ("host_setting_id",)}
# Year fields that cannot be before the base year (scenarios.what_if.materialise checks the same at run time).
YEAR_FIELDS = {"add_setting": "opens_year", "expand_places": "from_year", "reduce_places": "from_year",
               "close_setting": "year", "shift_placements": "from_year"}


def _edit_problem(edit: dict[str, Any], known: set[str], council: CouncilRecords) -> tuple[str, str] | None:
    op = str(edit.get("op"))
    for field in SETTING_FIELDS.get(op, ()):
        value = edit.get(field)
        if value is not None and str(value) not in known:
            return field, f"setting {value!r} does not exist in this council"
    locality = edit.get("locality_id") if op == "add_setting" else None
    if locality is not None and str(locality) not in council.localities:
        return "locality_id", f"locality {locality!r} does not exist in this council"
    year_field = YEAR_FIELDS.get(op)
    year = edit.get(year_field) if year_field else None
    if year_field and isinstance(year, int) and year < council.base_year:
        return year_field, f"{year_field} {year} is before this council's base year {council.base_year}"
    return None


def council_edit_problem(chain: Sequence[Sequence[dict[str, Any]]], council: CouncilRecords
                         ) -> CouncilEditProblem | None:
    """The first edit in a lineage (each member's own edits, root first) naming a setting or locality the council
    does not have (settings added by earlier edits count), or a year before its base year."""
    known = set(council.settings)
    for member, edits in enumerate(chain):
        for index, edit in enumerate(edits):
            problem = _edit_problem(edit, known, council)
            if problem is not None:
                return CouncilEditProblem(member, index, *problem)
            if edit.get("op") in ("add_setting", "open_where_needed") and edit.get("id"):
                known.add(str(edit["id"]))
            if edit.get("op") == "expand_places" and edit.get("setting_id"):
                known.add(f"{edit['setting_id']}:exp{edit.get('from_year')}")  # the annex id what_if gives it
    return None


# ----------------------------------------------------------------------------------------------------------------
# The baseline and the shipped scenarios, per council


def baseline_entry(instance_id: int) -> dict[str, Any]:
    """The council's data with no edits, as a scenario you can run and compare."""
    return {"id": None, "key": BASELINE, "source": "baseline", "editable": False, "name": BASELINE,
            "description": "The council's data as stored, with no edits: what the others are compared against.",
            "edits": [], "base_instance_id": instance_id, "parent_scenario_id": None, "lineage": [],
            "version": 0, "run_target": {"instance_id": instance_id}, "created_at": None, "created_by": None}


def shipped_fit_reasons(session: Session, instance_id: int, only: str | None = None) -> dict[str, str | None]:
    """Per shipped scenario, None when it applies to this council's data, else why not ('does not fit: no SEMH
    special school ...'): its edits are resolved against the council's own settings, localities and learners
    (scenarios.fitting) and applied, as a run would. `only`: that scenario alone."""
    from api import store
    from scenarios.registry import shipped_fit

    return shipped_fit(store.load_instance(session, instance_id), only)


def shipped_entries(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The shipped scenarios (scenarios/data) that fit this council (as `shipped_fit_reasons`), each with its edits
    as resolved on the council's own settings and localities (`resolved_edits`)."""
    from api import store
    from scenarios.registry import get_scenario, shipped_fit, shipped_resolved
    from scenarios.spec import lineage

    council = store.load_instance(session, instance_id)
    entries = []
    for name, reason in shipped_fit(council).items():
        if reason is not None:
            continue
        spec = get_scenario(name)
        chain = lineage(spec, get_scenario)
        entries.append({
            "id": None, "key": f"shipped:{name}", "source": "shipped", "editable": False, "name": name,
            "description": spec.description.strip(), "edits": list(spec.edits), "base_instance_id": instance_id,
            "parent_scenario_id": None, "lineage": [m.name for m in chain], "version": shipped_version(name),
            "run_target": {"instance_id": instance_id, "parameters": {"scenario": name}},
            "resolved_edits": shipped_resolved(name, council), "created_at": None, "created_by": None})
    return entries


def reserved_names() -> set[str]:
    """Names a stored scenario cannot take: the baseline's and the shipped scenarios' (runs are found by name)."""
    from scenarios.registry import scenario_names

    return {BASELINE, *scenario_names()}
