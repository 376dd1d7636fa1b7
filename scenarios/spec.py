"""The scenario format (YAML files in scenarios/data/, the same JSON through the API) and its lineage.

A scenario is a base (a demo/county preset with a seed, or a reference to an imported instance) plus ordered
edits (`scenarios.what_if`). A scenario may name a parent: materialising applies the parent's edits first (and the
grandparent's before those), so a family of options can share a common first phase.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.domain.models import Instance
from scenarios.what_if import ScenarioEditError, materialise, parse_edit


class ScenarioFormatError(ValueError):
    """A scenario document that is not valid: the message names the file (or 'scenario') and the field."""


class ScenarioBase(BaseModel):
    """What the edits apply to: a generated preset, or an imported instance stored by the service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    preset: str | None = Field(default="demo", pattern="^(demo|county)$")
    seed: int = 2026
    instance: str | None = Field(default=None, description="Reference to a stored instance (service id or path)")

    @model_validator(mode="after")
    def _one(self) -> ScenarioBase:
        if self.instance is not None and self.preset not in (None, "demo"):
            raise ValueError("give either preset or instance, not both")
        return self

    @property
    def label(self) -> str:
        return f"instance {self.instance}" if self.instance else f"{self.preset} (seed {self.seed})"


class ScenarioSpec(BaseModel):
    """One scenario: name, description, base, parent (lineage) and ordered edits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    base: ScenarioBase = Field(default_factory=ScenarioBase)
    parent: str | None = None
    edits: list[dict[str, Any]] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Run parameters for this scenario")

    @model_validator(mode="after")
    def _edits_parse(self) -> ScenarioSpec:
        for index, raw in enumerate(self.edits):
            parse_edit(index, raw)  # ScenarioEditError (a ValueError) names the index and field
        if self.parent == self.name:
            raise ValueError(f"scenario {self.name} names itself as its parent")
        return self


def parse_spec(data: Any, source: str = "scenario") -> ScenarioSpec:
    """Validate a scenario document (already loaded from YAML/JSON)."""
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        original = first.get("ctx", {}).get("error")
        if isinstance(original, ScenarioEditError):
            raise original from None  # keeps .index and .field for the API and CLI
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ScenarioFormatError(f"{source}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def load_spec(path: str | Path) -> ScenarioSpec:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScenarioFormatError(f"{file.name}: not valid YAML: {error}") from None
    return parse_spec(data, source=file.name)


def lineage(spec: ScenarioSpec, lookup: Callable[[str], ScenarioSpec]) -> list[ScenarioSpec]:
    """Ancestors first, the scenario last; ScenarioFormatError on an unknown parent or a cycle."""
    chain = [spec]
    seen = {spec.name}
    current = spec
    while current.parent is not None:
        try:
            parent = lookup(current.parent)
        except KeyError:
            raise ScenarioFormatError(f"scenario {current.name}: parent: unknown scenario {current.parent!r}") \
                from None
        if parent.name in seen:
            raise ScenarioFormatError(f"scenario {spec.name}: parent: lineage loops back to {parent.name}")
        if parent.base != spec.base:
            raise ScenarioFormatError(f"scenario {current.name}: parent: {parent.name} has another base "
                                      f"({parent.base.label} vs {spec.base.label})")
        seen.add(parent.name)
        chain.append(parent)
        current = parent
    return list(reversed(chain))


def all_edits(spec: ScenarioSpec, lookup: Callable[[str], ScenarioSpec]) -> list[dict[str, Any]]:
    """The lineage-expanded edit list (a parent's edits first)."""
    return [edit for member in lineage(spec, lookup) for edit in member.edits]


def all_parameters(spec: ScenarioSpec, lookup: Callable[[str], ScenarioSpec]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for member in lineage(spec, lookup):
        merged.update(member.parameters)
    return merged


def materialise_spec(spec: ScenarioSpec, base: Instance, lookup: Callable[[str], ScenarioSpec]
                     ) -> tuple[Instance, dict[str, Any]]:
    """Apply the lineage's edits to the base: the scenario's instance and its run-parameter overrides."""
    instance, overrides = materialise(base, all_edits(spec, lookup))
    metadata = dict(instance.metadata)
    metadata["scenario"] = {"name": spec.name, "lineage": [m.name for m in lineage(spec, lookup)],
                            "base": spec.base.label}
    return instance.replace(metadata=metadata), overrides
