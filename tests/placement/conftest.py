"""Small hand-made instances for the placement tests (no shared data read at run time)."""

from __future__ import annotations

from typing import Any

from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance, Learner, Point, Setting

BASE_YEAR = 2026
HOME = Point(easting=400_000, northing=300_000)


def near(km: float = 0.0) -> Point:
    return Point(easting=400_000 + km * 1000, northing=300_000)


def setting(sid: str, kind: SettingKind = SettingKind.MAINSTREAM, capacity: int = 5, ncy: tuple[int, int] = (0, 6),
            km: float = 1.0, designations: tuple[Need, ...] = (), **extra: Any) -> Setting:
    return Setting(id=sid, name=f"Setting {sid}", kind=kind, designations=frozenset(designations), ncy_min=ncy[0],
                   ncy_max=ncy[1], capacity=capacity, location=near(km), **extra)


def learner(lid: str, need: Need = Need.ASD, ncy: int = -1, **extra: Any) -> Learner:
    """A learner who moves into Reception (NCY 0) in the round year 2027 unless ncy says otherwise."""
    extra.setdefault("home", HOME)
    return Learner(id=lid, ncy=ncy, primary_need=need, **extra)


def instance(settings: list[Setting], learners: list[Learner]) -> Instance:
    return Instance(name="test", base_year=BASE_YEAR, settings=tuple(settings), learners=tuple(learners))
