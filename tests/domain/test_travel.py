"""Journey-time estimates: the calibrated car default, matrix overrides, and the vectorised path."""

from __future__ import annotations

import numpy as np
import pytest

from planner.domain.models import Point
from planner.domain.travel import DEFAULT_PROFILES, TravelMode, TravelModel, TravelProfile, points_array

ORIGIN = Point(easting=430_000, northing=500_000)


def east(km: float) -> Point:
    return Point(easting=430_000 + km * 1000, northing=500_000)


@pytest.mark.parametrize("km", [0.0, 1.0, 5.0, 10.0, 25.0, 40.0])
def test_car_default_matches_the_fitted_line(km: float) -> None:
    # DOMAIN.md: car minutes ~ 10.8 + 0.95 x straight-line km.
    assert TravelModel().minutes(ORIGIN, east(km)) == pytest.approx(10.8 + 0.95 * km, abs=0.01)


def test_distance_is_euclidean_on_the_grid() -> None:
    assert ORIGIN.distance_km(Point(easting=433_000, northing=504_000)) == pytest.approx(5.0)


def test_modes_order_and_override() -> None:
    km = 8.0
    car = TravelModel(mode=TravelMode.CAR).minutes(ORIGIN, east(km))
    minibus = TravelModel(mode=TravelMode.MINIBUS).minutes(ORIGIN, east(km))
    walking = TravelModel(mode=TravelMode.WALKING).minutes(ORIGIN, east(km))
    assert car < minibus < walking
    assert walking == pytest.approx(km * 1.3 / 4.8 * 60)
    custom = TravelModel(profiles={**DEFAULT_PROFILES, TravelMode.CAR: TravelProfile(fixed_minutes=5, detour_factor=1,
                                                                                      speed_kmh=60)})
    assert custom.minutes(ORIGIN, east(km)) == pytest.approx(13.0)


def test_matrix_overrides_only_the_given_direction() -> None:
    model = TravelModel(matrix={("HOME1", "S1"): 33.0})
    assert model.minutes(ORIGIN, east(1), "HOME1", "S1") == 33.0
    assert model.minutes(ORIGIN, east(1), "S1", "HOME1") == pytest.approx(10.8 + 0.95, abs=0.01)
    assert model.minutes(ORIGIN, east(1)) == pytest.approx(10.8 + 0.95, abs=0.01)


def test_vectorised_equals_scalar_with_overrides() -> None:
    rng = np.random.default_rng(7)
    homes = [Point(easting=float(e), northing=float(n)) for e, n in rng.uniform(400_000, 460_000, size=(30, 2))]
    schools = [Point(easting=float(e), northing=float(n)) for e, n in rng.uniform(400_000, 460_000, size=(12, 2))]
    home_ids = [f"H{i}" for i in range(len(homes))]
    school_ids = [f"S{j}" for j in range(len(schools))]
    model = TravelModel(mode=TravelMode.MINIBUS, matrix={("H3", "S5"): 99.0, ("H0", "S0"): 1.5, ("X", "S1"): 7.0})
    grid = model.minutes_matrix(points_array(homes), points_array(schools), home_ids, school_ids)
    assert grid.shape == (30, 12)
    for i, home in enumerate(homes):
        for j, school in enumerate(schools):
            assert grid[i, j] == pytest.approx(model.minutes(home, school, home_ids[i], school_ids[j]))
    assert grid[3, 5] == 99.0 and grid[0, 0] == 1.5


def test_points_array_shape() -> None:
    assert points_array([]).shape == (0, 2)
    assert points_array([ORIGIN]).tolist() == [[430_000.0, 500_000.0]]
