"""Seeding for scripts/schemathesis.sh: real records to fuzz, and an OpenAPI document that points at them.

    python scripts/fuzz_seed.py prepare                    -> prints an admin key (database from DATABASE_URL)
    python scripts/fuzz_seed.py runs BASE_URL KEY OUT.json -> real-id OpenAPI document at OUT.json

`prepare` stores the demo council (3,500 learners) and an admin key. `runs` (with the server up) makes a scenario,
solve runs of every kind (placement, transitions, forecast, sufficiency, scenario, expansion) and a download, then
writes the service's OpenAPI document with each id path parameter restricted (`enum`) to ids that exist: instance,
learners, settings, localities, teams, the scenario and runs of the kind each route reads. Schemathesis then spends
its examples, coverage and fuzzing phases on existing records (bodies, queries and other fields still random),
not only on random ids that answer 404. Destructive routes that would remove the seeded records for the rest of
the run (DELETE an instance, a key) are left out of that document; the random-id pass still covers them.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import httpx

SOLVE_KINDS = {
    "placement": {"time_limit_seconds": 10},
    "transitions": {"time_limit_seconds": 10, "year": 2027},
    "forecast": {"runs": 50, "horizon_years": 3},
    "sufficiency": {"forecast": {"runs": 50, "horizon_years": 3}},
    "expansion": {"candidate_count": 10, "horizon_years": 3, "solve": {"time_limit_seconds": 10}},
}
RUN_PATHS = {"/api/v1/placements/": "placement", "/api/v1/transitions/": "transitions",
             "/api/v1/expansion-runs/": "expansion", "/api/v1/runs/{run_id}/download": "download"}
LEFT_OUT = {("delete", "/api/v1/instances/{instance_id}"), ("delete", "/api/v1/keys/{key_id}"),
            ("post", "/api/v1/demo")}


def prepare() -> None:
    from sqlmodel import Session

    from api import store
    from api.auth import Role, create_user
    from api.db import make_engine
    from api.migrate import upgrade_to_head
    from scenarios.demo import build_demo

    engine = make_engine()
    upgrade_to_head(engine)
    with Session(engine) as session:
        key = create_user(session, "schemathesis", Role.ADMIN)[1]
        store.save_instance(session, build_demo("demo", 2026), "demo:demo:2026")
        session.commit()
    engine.dispose()
    print(key)


def _ids(client: httpx.Client, path: str, limit: int, **filters: str) -> list[str]:
    return [str(item["id"]) for item in client.get(path, params={"limit": limit, **filters}).json()["items"]]


def _seed_runs(client: httpx.Client, instance_id: int) -> tuple[int, dict[str, list[str]]]:
    scenario = client.post("/api/v1/scenarios", json={"name": "fuzz scenario", "base_instance_id": instance_id})
    scenario_id = int(scenario.json()["id"])
    runs: dict[str, list[str]] = {}
    for kind, parameters in SOLVE_KINDS.items():
        response = client.post("/api/v1/runs", json={"kind": kind, "instance_id": instance_id,
                                                     "parameters": parameters})
        runs.setdefault(kind, []).append(response.json()["id"])
    response = client.post("/api/v1/runs", json={"kind": "scenario", "scenario_id": scenario_id,
                                                 "parameters": {"runs": 50}})
    runs.setdefault("scenario", []).append(response.json()["id"])
    client.get(f"/api/v1/instances/{instance_id}/forecast/scap.csv", params={"runs": 20})
    deadline = time.monotonic() + 300
    pending = [run_id for ids in runs.values() for run_id in ids]
    while pending and time.monotonic() < deadline:
        pending = [r for r in pending if client.get(f"/api/v1/runs/{r}").json()["status"] in ("queued", "running")]
        time.sleep(1)
    runs["download"] = _ids(client, "/api/v1/runs", 5, kind="download")
    statuses = {kind: [client.get(f"/api/v1/runs/{r}").json()["status"] for r in ids] for kind, ids in runs.items()}
    print(f"seeded runs: {statuses}", file=sys.stderr)
    return scenario_id, runs


def _restrict(document: dict[str, Any], values: dict[str, list[Any]], runs: dict[str, list[str]]) -> None:
    """Each id path parameter may only take ids that exist (run ids: runs of the kind the route reads)."""
    every_run = [run_id for ids in runs.values() for run_id in ids]
    for path, item in document["paths"].items():
        for method in [m for m in item if (m, path) in LEFT_OUT]:
            del item[method]
        kind = next((k for prefix, k in RUN_PATHS.items() if path.startswith(prefix)), None)
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") != "path":
                    continue
                name = parameter["name"]
                allowed = (runs.get(kind, []) if kind else every_run) if name == "run_id" else values.get(name)
                if allowed:
                    parameter["schema"] = {**parameter["schema"], "enum": allowed}
                    parameter["example"] = allowed[0]
    document["paths"] = {path: item for path, item in document["paths"].items() if item}


def real_id_document(base: str, key: str, out: str) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        instance_id = int(client.get("/api/v1/instances").json()["items"][0]["id"])
        prefix = f"/api/v1/instances/{instance_id}"
        scenario_id, runs = _seed_runs(client, instance_id)
        values: dict[str, list[Any]] = {
            "instance_id": [instance_id], "scenario_id": [scenario_id],
            "learner_id": _ids(client, f"{prefix}/learners", 200),
            "setting_id": _ids(client, f"{prefix}/settings", 100),
            "locality_id": _ids(client, f"{prefix}/localities", 50),
            "team_id": _ids(client, f"{prefix}/teams", 20),
            "fmt": ["png", "svg"],
        }
        document = client.get("/openapi.json").json()
    _restrict(document, values, runs)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare()
    else:
        real_id_document(sys.argv[2], sys.argv[3], sys.argv[4])
