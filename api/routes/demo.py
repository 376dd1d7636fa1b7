"""POST /api/v1/demo: build the fictional demo council (scenarios.demo.build_demo) and store it (admin).

Idempotent per preset and seed: asking again returns the stored instance without rebuilding. The demo preset
takes a few seconds; the county preset longer (the request timeout does not apply to this route).
"""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import APIRouter, Request, Response
from sqlmodel import col, select

from api import store
from api.audit import record_audit
from api.auth import CurrentPrincipal, allow
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes.instances import instance_public
from api.schemas import DemoCreate, DemoPublic
from api.tables import InstanceRow

router = APIRouter(tags=["demo"])
LONG_RUNNING_PATHS = ("/api/v1/demo",)


@router.post("/demo", response_model=DemoPublic, status_code=201,
             responses={200: {"model": DemoPublic, "description": "Already stored: nothing rebuilt"}}, **allow())
def create_demo(body: DemoCreate, session: SessionDep, principal: CurrentPrincipal, request: Request,
                response: Response) -> DemoPublic:
    source = f"demo:{body.preset}:{body.seed}"
    existing = session.exec(select(InstanceRow.id).where(col(InstanceRow.source) == source)
                            .order_by(col(InstanceRow.id).desc())).first()
    if existing is not None:
        response.status_code = 200
        return DemoPublic(instance=instance_public(session, existing), created=False)
    if importlib.util.find_spec("scenarios.demo") is None:
        raise ProblemError(422, "Demo unavailable", "the demo generator (scenarios.demo) is not installed",
                           type_slug="demo-unavailable")
    build_demo = importlib.import_module("scenarios.demo").build_demo
    instance = build_demo(body.preset, body.seed)
    instance_id = store.save_instance(session, instance, source)
    record_audit(session, principal, request, action="create", resource_type="instance",
                 resource_id=str(instance_id), instance_id=str(instance_id))
    session.commit()
    response.headers["Location"] = f"/api/v1/instances/{instance_id}"
    return DemoPublic(instance=instance_public(session, instance_id), created=True)
