"""Creating and correcting an instance's localities and outreach teams (reading them: `api.routes.instances`).

- `POST /instances/{id}/localities/derive` derives localities from where learners live (`planner.areas`) and
  assigns learners and settings to them; `PATCH /instances/{id}/localities/{locality_id}` renames one. Localities
  are planning aggregates: planners and commissioners (and admins).
- `POST /instances/{id}/teams/default` replaces the outreach teams with the default set, hours scaled to the
  caseload; `PATCH /instances/{id}/teams/{team_id}` changes a team's hours or name. Team capacity is an aggregate
  that commissioners commission and officers schedule transition support against: commissioners and officers.

Every change is checked as a whole instance, audited, and written in one transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import update
from sqlmodel import col, select

from api import store
from api.audit import record_audit
from api.auth import CurrentPrincipal, Role, allow
from api.deps import SessionDep
from api.problems import ProblemError
from api.routes._common import InstanceId, RecordId, checked_replace, instance_row, integrity_problem, load
from api.schemas import LocalityPublic, TeamPublic
from api.tables import LocalityRow, TeamRow
from planner import areas
from planner.areas.localities import MAX_LOCALITIES, NAME_LENGTH
from planner.areas.teams import REFERENCE_CASELOAD, current_caseload
from planner.domain.models import Instance, InstanceIntegrityError, Locality, OutreachTeam

router = APIRouter(tags=["localities and teams"])
LOCALITY_WRITERS = (Role.PLANNER, Role.COMMISSIONER)
TEAM_WRITERS = (Role.COMMISSIONER, Role.OFFICER)
MAX_HOURS = 10_000.0  # a whole county's service is a few hundred hours a week; more is a typing error


def _storable(text: str) -> str:
    """Names must be text both databases can hold (PostgreSQL refuses NUL) and not only spaces."""
    if "\x00" in text:
        raise ValueError("must not contain the NUL character")
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH), AfterValidator(_storable)]


class LocalityRename(BaseModel):
    """A locality's new name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Northvale Central"}]})

    name: Name


class DeriveLocalities(BaseModel):
    """How many localities to derive (default: about one per 400 learners, 3 to 10)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"count": 6}, {}]})

    count: int | None = Field(default=None, ge=1, le=MAX_LOCALITIES)


class TeamUpdate(BaseModel):
    """Any of a team's hours per week and name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"hours_per_week": 74.0}]})

    hours_per_week: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    name: Name | None = None


class LocalitySummary(LocalityPublic):
    """A locality with its area codes and how many learners and settings are in it."""

    area_codes: list[str]
    learners: int = Field(ge=0)
    settings: int = Field(ge=0)


class LocalitiesDerived(BaseModel):
    """The localities now stored and how they were derived."""

    message: str
    items: list[LocalitySummary]


class TeamsDefaulted(BaseModel):
    """The outreach teams now stored and how their hours were set."""

    message: str
    items: list[TeamPublic]


def _team_public(team: OutreachTeam) -> TeamPublic:
    return TeamPublic(id=team.id, name=team.name, specialisms=sorted(team.specialisms),
                      hours_per_week=team.hours_per_week, locality_ids=sorted(team.locality_ids), base=team.base)


def _summaries(instance: Instance) -> list[LocalitySummary]:
    learners = {loc.id: 0 for loc in instance.localities}
    settings = dict(learners)
    for learner in instance.learners:
        if learner.locality_id in learners:
            learners[learner.locality_id] += 1
    for setting in instance.settings:
        if setting.locality_id in settings:
            settings[setting.locality_id] += 1
    return [LocalitySummary(id=loc.id, name=loc.name, centroid=loc.centroid, in_area=loc.in_area,
                            area_codes=sorted(loc.area_codes), learners=learners[loc.id], settings=settings[loc.id])
            for loc in instance.localities]


def _overwrite(session: SessionDep, instance_id: int, instance: Instance) -> None:
    """Store the changed instance in place (same id and source: its scenarios and runs still point at it)."""
    source = instance_row(session, instance_id).source
    try:
        store.overwrite_instance(session, instance_id, instance, source)
    except store.UnstorableText as error:
        raise ProblemError(422, "Validation failed", str(error), type_slug="validation-failed") from None


# --------------------------------------------------------------------------------------------------------------
# Localities


@router.post("/instances/{instance_id}/localities/derive", response_model=LocalitiesDerived,
             **allow(*LOCALITY_WRITERS))
def derive_localities_route(instance_id: InstanceId, body: DeriveLocalities, session: SessionDep,
                      principal: CurrentPrincipal, request: Request) -> LocalitiesDerived:
    """Replace the localities with ones derived from where learners live; learners and settings are reassigned."""
    instance = load(session, instance_id)
    try:
        derived = areas.derive_localities(instance, body.count)
    except ValueError as error:  # nothing to cluster (no learners and no in-area settings)
        raise ProblemError(422, "Cannot derive localities", str(error), type_slug="validation-failed") from None
    try:
        changed = areas.apply_localities(instance, derived)
    except InstanceIntegrityError as error:
        raise integrity_problem(error) from None
    _overwrite(session, instance_id, changed)
    record_audit(session, principal, request, action="derive", resource_type="localities",
                 instance_id=str(instance_id))
    session.commit()
    return LocalitiesDerived(message=derived.message, items=_summaries(changed))


def _locality_row(session: SessionDep, instance_id: int, locality_id: str) -> LocalityRow:
    instance_row(session, instance_id)
    row = session.exec(select(LocalityRow).where(col(LocalityRow.instance_id) == instance_id,
                                                 col(LocalityRow.locality_id) == locality_id)).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no locality {locality_id!r} in instance {instance_id}")
    return row


@router.patch("/instances/{instance_id}/localities/{locality_id}", response_model=LocalityPublic,
              **allow(*LOCALITY_WRITERS))
def rename_locality(instance_id: InstanceId, locality_id: RecordId, body: LocalityRename, session: SessionDep,
                    principal: CurrentPrincipal, request: Request) -> LocalityPublic:
    """Rename a locality (nothing else refers to a name, so only the one row changes)."""
    current = store.locality_from_row(_locality_row(session, instance_id, locality_id))
    renamed = Locality.model_validate({**current.model_dump(), "name": body.name})
    session.execute(update(LocalityRow).where(col(LocalityRow.instance_id) == instance_id,
                                              col(LocalityRow.locality_id) == locality_id).values(name=renamed.name))
    record_audit(session, principal, request, action="update", resource_type="locality", resource_id=locality_id,
                 instance_id=str(instance_id))
    session.commit()
    return LocalityPublic.model_validate(renamed.model_dump())


# --------------------------------------------------------------------------------------------------------------
# Teams


@router.post("/instances/{instance_id}/teams/default", response_model=TeamsDefaulted, **allow(*TEAM_WRITERS))
def default_teams_route(instance_id: InstanceId, session: SessionDep, principal: CurrentPrincipal,
                  request: Request) -> TeamsDefaulted:
    """Replace the outreach teams with the default six, hours scaled to the caseload, covering every locality."""
    instance = load(session, instance_id)
    changed = checked_replace(instance, teams=areas.default_teams(instance))
    _overwrite(session, instance_id, changed)
    record_audit(session, principal, request, action="replace", resource_type="teams", instance_id=str(instance_id))
    session.commit()
    message = (f"{len(changed.teams)} default teams replacing {len(instance.teams)}: hours scaled to "
               f"{current_caseload(instance):,} learners with a current plan (the demo council's hours per "
               f"{REFERENCE_CASELOAD:,}), based at the centre of the in-area settings, covering every locality")
    return TeamsDefaulted(message=message, items=[_team_public(t) for t in changed.teams])


@router.patch("/instances/{instance_id}/teams/{team_id}", response_model=TeamPublic, **allow(*TEAM_WRITERS))
def update_team(instance_id: InstanceId, team_id: RecordId, body: TeamUpdate, session: SessionDep,
                principal: CurrentPrincipal, request: Request) -> TeamPublic:
    """Change a team's hours per week or name."""
    instance_row(session, instance_id)
    row = session.exec(select(TeamRow).where(col(TeamRow.instance_id) == instance_id,
                                             col(TeamRow.team_id) == team_id)).first()
    if row is None:
        raise ProblemError(404, "Not Found", f"no team {team_id!r} in instance {instance_id}")
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    # model_validate re-runs the domain rules (model_copy would not)
    team = OutreachTeam.model_validate({**store.team_from_row(row).model_dump(), **changes})
    session.execute(update(TeamRow).where(col(TeamRow.instance_id) == instance_id, col(TeamRow.team_id) == team_id)
                    .values(name=team.name, hours_per_week=team.hours_per_week))
    record_audit(session, principal, request, action="update", resource_type="team", resource_id=team_id,
                 instance_id=str(instance_id))
    session.commit()
    return _team_public(team)
