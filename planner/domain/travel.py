"""Journey times between homes and settings.

When the council has no travel matrix we estimate minutes from the straight-line distance between British National
Grid points: minutes = fixed_minutes + km x detour_factor / speed_kmh x 60. The car default reproduces the fit in
DOMAIN.md on 11,047 modelled road journeys (car minutes ~ 10.8 + 0.95 x straight-line km; median absolute error
2.6 min). Every figure is a setting the user can override. A matrix (CSV `origin_id,destination_id,minutes`)
replaces the estimate wherever it has a pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from planner.domain.codes import Phase
from planner.domain.models import Instance, Point

# Journey limits each way, in minutes, by phase of the learner. DfE guidance calls 45 minutes best practice for
# primary; 75 minutes for secondary is a widely used local standard, not statute. Both are settings every solver
# takes as a parameter (and a learner's own limit overrides them); this read-only table is only their default.
DEFAULT_JOURNEY_LIMITS: Mapping[Phase, int] = MappingProxyType({
    Phase.EARLY_YEARS: 45,
    Phase.PRIMARY: 45,
    Phase.SECONDARY: 75,
    Phase.POST16: 75,
    Phase.POST19: 75,
})


def complete_journey_limits(given: Mapping[Phase, int]) -> dict[Phase, int]:
    """The default limits overridden by `given`, every phase present; ValueError naming a limit that is not > 0."""
    merged = dict(DEFAULT_JOURNEY_LIMITS)
    merged.update(given)
    for phase, minutes in merged.items():
        if minutes <= 0:
            raise ValueError(f"journey limit for {phase.value} must be > 0 minutes, got {minutes}")
    return merged


class TravelMode(StrEnum):
    CAR = "car"  # car or taxi, door to door
    MINIBUS = "minibus"  # shared SEN transport with pick-ups on the way
    PUBLIC_TRANSPORT = "public_transport"
    WALKING = "walking"


class TravelProfile(BaseModel):
    """How one mode turns straight-line kilometres into minutes."""

    model_config = ConfigDict(frozen=True)

    fixed_minutes: float = Field(ge=0, description="Minutes spent whatever the distance (access, parking, waiting)")
    detour_factor: float = Field(ge=1, description="Road or path distance per straight-line km")
    speed_kmh: float = Field(gt=0, description="Average speed along the route")

    def minutes(self, km: float) -> float:
        return self.fixed_minutes + km * self.detour_factor / self.speed_kmh * 60.0


# Defaults, documented in the README. Car: 10.8 fixed + 0.95 min/km (the DOMAIN.md fit: detour 1.3 at an effective
# 82.1 km/h). Minibus: longer fixed time and slower for pick-ups. Public transport: walk and wait, then bus speeds.
# Walking: 4.8 km/h along paths 1.3 times the straight line.
DEFAULT_PROFILES: dict[TravelMode, TravelProfile] = {
    TravelMode.CAR: TravelProfile(fixed_minutes=10.8, detour_factor=1.3, speed_kmh=82.1),
    TravelMode.MINIBUS: TravelProfile(fixed_minutes=15.0, detour_factor=1.35, speed_kmh=60.0),
    TravelMode.PUBLIC_TRANSPORT: TravelProfile(fixed_minutes=15.0, detour_factor=1.4, speed_kmh=30.0),
    TravelMode.WALKING: TravelProfile(fixed_minutes=0.0, detour_factor=1.3, speed_kmh=4.8),
}


class TravelModel(BaseModel):
    """Estimates journey minutes by mode, with an optional matrix of known journeys that takes precedence."""

    model_config = ConfigDict(frozen=True)

    mode: TravelMode = TravelMode.CAR
    profiles: dict[TravelMode, TravelProfile] = Field(default_factory=lambda: dict(DEFAULT_PROFILES))
    matrix: Mapping[tuple[str, str], float] = Field(
        default_factory=dict, description="Known minutes by (origin_id, destination_id)"
    )

    @property
    def profile(self) -> TravelProfile:
        return self.profiles[self.mode]

    def minutes(self, origin: Point, destination: Point, origin_id: str | None = None,
                destination_id: str | None = None) -> float:
        """Minutes for one journey: the matrix value if the pair is known, else the estimate."""
        if origin_id is not None and destination_id is not None:
            known = self.matrix.get((origin_id, destination_id))
            if known is not None:
                return float(known)
        return self.profile.minutes(origin.distance_km(destination))

    def minutes_matrix(self, origins: NDArray[np.float64], destinations: NDArray[np.float64],
                       origin_ids: list[str] | None = None,
                       destination_ids: list[str] | None = None) -> NDArray[np.float64]:
        """Minutes for every origin x destination pair; arrays of shape (n, 2) in grid metres.

        Vectorised for county-scale instances; matrix entries override the estimates where both ids are given.
        """
        # hypot on two 2-D differences: no (n, m, 2) intermediate, so 20,000 x 300 stays fast and small.
        km = np.hypot(origins[:, 0:1] - destinations[None, :, 0], origins[:, 1:2] - destinations[None, :, 1])
        km /= 1000.0
        p = self.profile
        result = km * (p.detour_factor / p.speed_kmh * 60.0)
        result += p.fixed_minutes
        if self.matrix and origin_ids is not None and destination_ids is not None:
            row = {o: i for i, o in enumerate(origin_ids)}
            col = {d: j for j, d in enumerate(destination_ids)}
            for (o, d), value in self.matrix.items():
                if o in row and d in col:
                    result[row[o], col[d]] = value
        return result


def travel_model_for(instance: Instance, model: TravelModel) -> TravelModel:
    """`model` with the instance's known journey times added; pairs the model already holds take precedence."""
    if not instance.travel_times:
        return model
    return model.model_copy(update={"matrix": {**instance.travel_matrix, **model.matrix}})


def points_array(points: list[Point]) -> NDArray[np.float64]:
    """Stack points into an (n, 2) array of easting, northing."""
    return np.array([[p.easting, p.northing] for p in points], dtype=np.float64).reshape(-1, 2)
