"""Request and response models for the service routes: the Base -> Create -> Update -> Public ladder.

Public models are built from table rows here (and only here), so a change to a table shows up in one place.
Every schema carries an example (`json_schema_extra`), which the OpenAPI document shows and schemathesis uses.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.domain.codes import Arrangement, Need, ProvisionType, SettingKind, SettingStatus, Sex
from planner.domain.models import Identifier, Instance, Ncy, Point

T = TypeVar("T")

# Ids are stored as 32-bit integers (api.tables); anything larger is refused with 422 before the database sees it.
MAX_DB_INT = 2_147_483_647
MAX_PLACES = 100_000  # places at one setting: far above any school in England (the largest have under 5,000)
PhaseCap = Annotated[int, Field(ge=0, le=MAX_PLACES)]

POINT_EXAMPLE = {"easting": 431200.0, "northing": 433800.0}


# Free-form solver parameters and scenario edits are checked by their solver's own models (each bounds its
# numbers); before that, no number in them may be beyond these (a 10^18 sent there crashed a run: issue 18).
MAX_FREE_FORM_NUMBER = 1e12
MAX_TIME_LIMIT_SECONDS = 3600  # the solvers' own bound (e.g. planner.placement.params): runs are jobs, not requests


def bounded_numbers(value: Any, where: str = "") -> Any:
    """`value` unchanged; ValueError naming the path of any number beyond MAX_FREE_FORM_NUMBER (or not finite)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not abs(value) <= MAX_FREE_FORM_NUMBER:
            raise ValueError(f"{where or 'value'}: numbers must be within +/-{MAX_FREE_FORM_NUMBER:g}")
    elif isinstance(value, dict):
        for key, item in value.items():
            bounded_numbers(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            bounded_numbers(item, f"{where}[{index}]")
    return value


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total matching the filters, and the paging used."""

    items: list[T]
    total: int = Field(ge=0, description="Items matching the filters, over all pages (also in X-Total-Count)")
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)

    model_config = _examples({"items": [], "total": 0, "limit": 50, "offset": 0})


# ----------------------------------------------------------------------------------------------------------------
# Health


class HealthPublic(BaseModel):
    status: Literal["ok"]
    database: str = Field(description="Database dialect in use (sqlite or postgresql)")
    version: str

    model_config = _examples({"status": "ok", "database": "sqlite", "version": "0.1.0"})


# ----------------------------------------------------------------------------------------------------------------
# Instances


class InstanceCreate(BaseModel):
    """A whole instance (localities, settings, learners, teams, forecasts) to store."""

    instance: Instance
    source: str = Field(default="api", max_length=500, description="Where the data came from")

    model_config = _examples({
        "source": "api",
        "instance": {
            "name": "Example council", "base_year": 2026,
            "localities": [{"id": "L1", "name": "North", "centroid": POINT_EXAMPLE}],
            "settings": [], "learners": [], "teams": [], "forecasts": [],
        },
    })


class InstancePublic(BaseModel):
    """A stored instance with its record counts."""

    id: int
    name: str
    base_year: int
    source: str
    created_at: datetime
    localities: int
    settings: int
    learners: int
    teams: int
    forecasts: int

    model_config = _examples({
        "id": 1, "name": "Northvale", "base_year": 2026, "source": "demo:demo:2026",
        "created_at": "2026-09-01T09:00:00Z", "localities": 8, "settings": 180, "learners": 3500, "teams": 6,
        "forecasts": 0,
    })


# ----------------------------------------------------------------------------------------------------------------
# Localities and teams (read-only here; they change with the instance)


class LocalityPublic(BaseModel):
    id: str
    name: str
    centroid: Point
    in_area: bool

    model_config = _examples({"id": "L1", "name": "Northvale Central", "centroid": POINT_EXAMPLE, "in_area": True})


class TeamPublic(BaseModel):
    id: str
    name: str
    specialisms: list[Need]
    hours_per_week: float
    locality_ids: list[str]
    base: Point | None

    model_config = _examples({
        "id": "T-ASD", "name": "Autism outreach", "specialisms": ["ASD"], "hours_per_week": 74.0,
        "locality_ids": ["L1", "L2"], "base": POINT_EXAMPLE,
    })


# ----------------------------------------------------------------------------------------------------------------
# Settings


SETTING_EXAMPLE: dict[str, Any] = {
    "id": "140123", "name": "Riverside Special School", "kind": "special", "designations": ["ASD", "SLD"],
    "ncy_min": 0, "ncy_max": 14, "capacity": 120, "capacity_by_phase": {}, "cost_per_place": 24000,
    "location": POINT_EXAMPLE, "locality_id": "L1", "in_area": True, "status": "open", "opens_year": None,
    "closes_year": None, "host_setting_id": None, "urn": 140123,
}


class SettingBase(BaseModel):
    """Fields of a setting that can be written (see planner.domain.models.Setting for the meaning of each)."""

    name: str = Field(min_length=1, max_length=200)
    kind: SettingKind
    designations: list[Need] = Field(default_factory=list)
    ncy_min: Ncy
    ncy_max: Ncy
    capacity: int = Field(ge=0, le=100_000)
    capacity_by_phase: dict[str, PhaseCap] = Field(default_factory=dict)
    cost_per_place: int = Field(default=0, ge=0, le=10_000_000)
    location: Point
    locality_id: str | None = None
    in_area: bool = True
    status: SettingStatus = SettingStatus.OPEN
    opens_year: int | None = Field(default=None, ge=2000, le=2100)
    closes_year: int | None = Field(default=None, ge=2000, le=2100)
    host_setting_id: str | None = None
    urn: int | None = Field(default=None, ge=100000, le=999999)


class SettingCreate(SettingBase):
    id: Identifier

    model_config = _examples(SETTING_EXAMPLE)


class SettingUpdate(BaseModel):
    """Any subset of a setting's writable fields."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: SettingKind | None = None
    designations: list[Need] | None = None
    ncy_min: Ncy | None = None
    ncy_max: Ncy | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    capacity_by_phase: dict[str, PhaseCap] | None = None
    cost_per_place: int | None = Field(default=None, ge=0, le=10_000_000)
    location: Point | None = None
    locality_id: str | None = None
    in_area: bool | None = None
    status: SettingStatus | None = None
    opens_year: int | None = Field(default=None, ge=2000, le=2100)
    closes_year: int | None = Field(default=None, ge=2000, le=2100)
    host_setting_id: str | None = None

    model_config = _examples({"capacity": 130, "cost_per_place": 25000})


class SettingPublic(SettingBase):
    id: str
    name: str
    urn: int | None = None

    model_config = _examples(SETTING_EXAMPLE)


# ----------------------------------------------------------------------------------------------------------------
# Learners (learner-level: officers and admins only)


LEARNER_EXAMPLE: dict[str, Any] = {
    "id": "NV-000123", "ncy": 6, "birth_date": None, "primary_need": "ASD", "secondary_need": "SLCN",
    "home": POINT_EXAMPLE, "locality_id": "L1", "current_setting_id": "140123", "requested_setting_ids": [],
    "pinned_setting_id": None, "sibling_group": None, "looked_after": False, "excluded": False,
    "at_risk_of_exclusion": False, "suspensions": 0, "needs_transport": True, "max_journey_minutes": None,
    "plan_start": "2022-03-01", "plan_end": None, "setting_start": "2021-09-01",
}


class LearnerBase(BaseModel):
    """Fields of a learner that can be written (pseudonymous; see planner.domain.models.Learner)."""

    ncy: Ncy | None = None
    birth_date: date | None = None
    primary_need: Need
    secondary_need: Need | None = None
    home: Point
    locality_id: str | None = None
    current_setting_id: str | None = None
    requested_setting_ids: list[str] = Field(default_factory=list, max_length=20)
    pinned_setting_id: str | None = None
    sibling_group: str | None = Field(default=None, max_length=64)
    looked_after: bool = False
    excluded: bool = False
    at_risk_of_exclusion: bool = False
    suspensions: int = Field(default=0, ge=0, le=1000)
    needs_transport: bool = False
    max_journey_minutes: int | None = Field(default=None, gt=0, le=600)
    plan_start: date | None = None
    plan_end: date | None = None
    setting_start: date | None = None
    last_review: date | None = None
    sex: Sex | None = None
    arrangement: Arrangement | None = Field(default=None, description="SEN2 SENsetting when no setting is named")
    provision_type: ProvisionType | None = Field(
        default=None, description="The plan's type of provision (section I); none: the current setting's")
    acceptable_types: list[ProvisionType] = Field(
        default_factory=list, max_length=len(ProvisionType), description="Other types the officer accepts")
    needs_residential: bool = False


class LearnerCreate(LearnerBase):
    id: Identifier

    model_config = _examples(LEARNER_EXAMPLE)


class LearnerUpdate(BaseModel):
    """Any subset of a learner's writable fields."""

    ncy: Ncy | None = None
    birth_date: date | None = None
    primary_need: Need | None = None
    secondary_need: Need | None = None
    home: Point | None = None
    locality_id: str | None = None
    current_setting_id: str | None = None
    requested_setting_ids: list[str] | None = Field(default=None, max_length=20)
    pinned_setting_id: str | None = None
    sibling_group: str | None = Field(default=None, max_length=64)
    looked_after: bool | None = None
    excluded: bool | None = None
    at_risk_of_exclusion: bool | None = None
    suspensions: int | None = Field(default=None, ge=0, le=1000)
    needs_transport: bool | None = None
    max_journey_minutes: int | None = Field(default=None, gt=0, le=600)
    plan_start: date | None = None
    plan_end: date | None = None
    setting_start: date | None = None
    last_review: date | None = None
    sex: Sex | None = None
    arrangement: Arrangement | None = None
    provision_type: ProvisionType | None = None
    acceptable_types: list[ProvisionType] | None = Field(default=None, max_length=len(ProvisionType))
    needs_residential: bool | None = None

    model_config = _examples({"current_setting_id": "140123", "needs_transport": True})


class LearnerPublic(LearnerBase):
    """A learner as the API returns it (api.minimise): the base-year NCY and an age band, never the birth date
    (null) unless an officer asks for one learner with `?purpose=`; the home rounded to 100 m."""

    id: str
    age_band: str | None = Field(default=None, description="DfE EHC plan statistics age group on 31 August of the "
                                                           "base year: under 5, 5-10, 11-15, 16-19, 20-25")

    model_config = _examples({**LEARNER_EXAMPLE, "home": {"easting": 430100, "northing": 433900},
                              "age_band": "5-10"})


# ----------------------------------------------------------------------------------------------------------------
# Scenarios


class ScenarioBase(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    edits: list[dict[str, Any]] = Field(
        default_factory=list, max_length=500,
        description="Ordered what-if edits (scenarios.what_if format); a child's edits apply after its parent's",
    )

    @field_validator("edits")
    @classmethod
    def _bounded(cls, edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return bounded_numbers(edits)  # type: ignore[no-any-return]


SCENARIO_EXAMPLE: dict[str, Any] = {
    "name": "Expand Riverside by 20 from 2027",
    "description": "Twenty more ASD places at Riverside from September 2027",
    "base_instance_id": 1, "parent_scenario_id": None,
    "edits": [{"op": "expand_places", "setting_id": "140123", "places": 20, "from_year": 2027}],
}


class ScenarioCreate(ScenarioBase):
    base_instance_id: int = Field(ge=1, le=MAX_DB_INT)
    parent_scenario_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT,
                                           description="Lineage: the scenario this refines")

    model_config = _examples(SCENARIO_EXAMPLE)


class ScenarioUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    edits: list[dict[str, Any]] | None = Field(default=None, max_length=500)

    @field_validator("edits")
    @classmethod
    def _bounded(cls, edits: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        return bounded_numbers(edits)  # type: ignore[no-any-return]

    model_config = _examples({"description": "Revised after the capital bid"})


class ScenarioPublic(ScenarioBase):
    """A stored scenario, or (listed with `catalogue=true`) the baseline or a shipped scenario that fits the council."""

    id: int | None = Field(description="Stored scenarios only; null for the baseline and shipped scenarios")
    key: str = Field(default="", description="'baseline', 'shipped:<name>' or the stored scenario's id")
    source: Literal["stored", "shipped", "baseline"] = "stored"
    editable: bool = Field(default=True, description="Stored scenarios can be edited and deleted; the others not")
    base_instance_id: int
    parent_scenario_id: int | None
    lineage: list[str] = Field(default_factory=list, description="Names, root first, ending with this scenario")
    version: int | str = Field(default=1, description="Rises with every change to the edits (shipped: a digest)")
    run_target: dict[str, Any] = Field(default_factory=dict,
                                       description="What POST /runs takes to run it: scenario_id, or instance_id "
                                                   "(and parameters.scenario for a shipped one)")
    created_at: datetime | None
    created_by: str | None
    updated_at: datetime | None = None
    problem: str | None = Field(default=None, description="Why it no longer fits the council's data as stored now "
                                "(an edit names a setting or locality a later import removed); null when it fits")
    resolved_edits: list[dict[str, Any]] | None = Field(
        default=None, description="Shipped scenarios: their lineage's edits (parents' first) as resolved on this "
                                  "council's settings and localities (docs/scenarios.md); null otherwise")

    model_config = _examples({**SCENARIO_EXAMPLE, "id": 3, "key": "3", "source": "stored", "editable": True,
                              "lineage": ["Expand Riverside by 20 from 2027"], "version": 1,
                              "run_target": {"scenario_id": 3}, "created_at": "2026-10-01T10:00:00Z",
                              "created_by": "j.smith", "updated_at": None})


# ----------------------------------------------------------------------------------------------------------------
# Runs


class RunCreate(BaseModel):
    """A solve to run: its kind, what it solves (a stored instance or a scenario) and the solver's parameters."""

    kind: str = Field(min_length=1, max_length=32, description="placement, sufficiency, forecast, scenario, ...")
    instance_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    scenario_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Validated by the solver; see its docs")

    model_config = _examples({"kind": "placement", "instance_id": 1, "parameters": {"time_limit_seconds": 30}})

    @field_validator("parameters")
    @classmethod
    def _bounded(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        limit = parameters.get("time_limit_seconds")
        if isinstance(limit, int | float) and not isinstance(limit, bool) and limit > MAX_TIME_LIMIT_SECONDS:
            raise ValueError(f"time_limit_seconds: at most {MAX_TIME_LIMIT_SECONDS} seconds")
        return bounded_numbers(parameters)  # type: ignore[no-any-return]

    @model_validator(mode="after")
    def _one_target(self) -> RunCreate:
        if (self.instance_id is None) == (self.scenario_id is None):
            raise ValueError("give exactly one of instance_id or scenario_id")
        return self


RUN_EXAMPLE: dict[str, Any] = {
    "id": "5f0c3c1e9b7a4c2e8d1f0a9b8c7d6e5f", "kind": "placement", "status": "running", "instance_id": 1,
    "scenario_id": None, "parameters": {"time_limit_seconds": 30}, "progress": 0.4,
    "message": "placing learners", "statistics": {}, "error": None, "created_at": "2026-10-01T10:00:00Z",
    "started_at": "2026-10-01T10:00:01Z", "finished_at": None, "created_by": "j.smith", "resubmitted_from": None,
}


class RunSummary(BaseModel):
    """A run without its result (list views)."""

    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
    instance_id: int | None
    scenario_id: int | None
    parameters: dict[str, Any]
    progress: float = Field(ge=0, le=1)
    message: str
    statistics: dict[str, Any]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str | None
    resubmitted_from: str | None
    scenario_name: str | None = Field(default=None, description="The scenario the run is of, as named when it ran "
                                      "('baseline' for a scenario run on the council's data)")
    scenario_lineage: list[dict[str, Any]] | None = Field(
        default=None, description="Root first: {id, name, version, source} of each scenario it builds on, as it ran")
    stale: bool = Field(default=False, description="A scenario in its lineage has been edited or deleted since")
    stale_reason: str | None = None

    model_config = _examples(RUN_EXAMPLE)


class RunPublic(RunSummary):
    """A run with its result (null until it has succeeded)."""

    result: dict[str, Any] | None

    model_config = _examples({**RUN_EXAMPLE, "result": None})


# ----------------------------------------------------------------------------------------------------------------
# Demo and audit


class DemoCreate(BaseModel):
    preset: Literal["demo", "county"] = Field(default="demo", description="demo: ~3,500 learners; county: ~20,000")
    seed: int = Field(default=2026, ge=0, le=2**31 - 1)

    model_config = _examples({"preset": "demo", "seed": 2026})


class DemoPublic(BaseModel):
    instance: InstancePublic
    created: bool = Field(description="False when this preset and seed were already stored (nothing rebuilt)")

    model_config = _examples({"instance": InstancePublic.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                              "created": True})


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    key_id: str | None
    role: str | None
    action: str
    resource_type: str
    resource_id: str | None
    instance_id: str | None
    method: str | None
    path: str | None
    client_host: str | None
    learner_count: int | None = Field(default=None, description="Learners whose records the read or export emitted")
    purpose: str | None = Field(default=None, description="Why, when stated (e.g. ?purpose= on a birth-date read)")
    channel: str | None = Field(default=None, description="api, or cli (user_name is then the OS user)")

    model_config = _examples({
        "id": 42, "at": "2026-10-01T10:00:00Z", "user_id": 3, "user_name": "j.smith", "key_id": "7c0ecd57149b",
        "role": "officer", "action": "read", "resource_type": "learner", "resource_id": "NV-000123",
        "instance_id": "1", "method": "GET", "path": "/api/v1/instances/1/learners/NV-000123",
        "client_host": "10.0.0.5", "learner_count": 1, "purpose": "annual review", "channel": "api",
    })
