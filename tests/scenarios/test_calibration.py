"""Calibration: quota rounding and the fitted need x age x placement table reproduce the published margins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.domain.codes import Need
from scenarios.calibration import (
    PLACEMENT_CATEGORIES,
    largest_remainder,
    load_national_figures,
    national_calibration,
)


def test_largest_remainder_known_case() -> None:
    # Quotas 3.5, 3.5, 3.0 of 10: the tie for the last seat goes to the first.
    assert largest_remainder([35, 35, 30], 10).tolist() == [4, 3, 3]
    assert largest_remainder([1, 1, 1], 0).tolist() == [0, 0, 0]


@given(st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=15).filter(lambda w: sum(w) > 0.01),
       st.integers(min_value=0, max_value=50_000))
def test_largest_remainder_sums_and_stays_within_one(weights: list[float], total: int) -> None:
    counts = largest_remainder(weights, total)
    exact = np.array(weights) / sum(weights) * total
    assert counts.sum() == total
    assert np.all(np.abs(counts - exact) < 1.0 + 1e-9)


def test_largest_remainder_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        largest_remainder([0, 0], 5)
    with pytest.raises(ValueError):
        largest_remainder([1, -1], 5)


def test_shipped_figures_carry_their_source() -> None:
    figures = load_national_figures()
    assert "OGL" in figures["source"] and figures["time_period"] == 202425
    assert figures["total_plans"] == 638_745
    assert sum(figures["need_counts"].values()) + 4_870 == 638_745  # plus 'need unknown'


def test_fitted_table_reproduces_published_margins() -> None:
    cal = national_calibration()
    shares = np.array([cal.need_share[n] for n in cal.needs])
    joint = cal.placement_given_ncy_need * (cal.ncy_given_need * shares[:, None]).T[:, :, None]
    # Placement by age, as published.
    by_age = joint.sum(axis=1) / joint.sum(axis=(1, 2))[:, None]
    assert np.abs(by_age - cal.placement_share_by_ncy).max() < 0.005
    # Placement by need, as published (SLD mostly special, SPLD mostly mainstream).
    by_need = joint.sum(axis=0) / joint.sum(axis=(0, 2))[:, None]
    special = PLACEMENT_CATEGORIES.index("special")
    mainstream = PLACEMENT_CATEGORIES.index("mainstream")
    need = {n: i for i, n in enumerate(cal.needs)}
    assert by_need[need[Need.SLD], special] > 0.5 and by_need[need[Need.SPLD], mainstream] > 0.5
    figures = load_national_figures()["placement_counts_by_need"]["SLD"]
    published = figures["special"] / sum(figures.values())
    assert by_need[need[Need.SLD], special] == pytest.approx(published, abs=0.01)
    # Probabilities are probabilities.
    assert np.allclose(cal.placement_given_ncy_need.sum(axis=2), 1.0)
    assert np.allclose(cal.ncy_given_need.sum(axis=1), 1.0)
    assert sum(cal.need_share.values()) == pytest.approx(1.0)
