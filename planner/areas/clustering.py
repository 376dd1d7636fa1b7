"""A deterministic weighted k-means for grouping places (homes, settings, LSOA centroids) into localities.

Same points in, same clusters out, whatever order the points come in: the points are sorted by id first, the start is
farthest-point (no random seed), the iterations are capped, and every tie is broken the same way (by id when
choosing a start, by the lower cluster index when a point is as near to two centres). Coordinates are British
National Grid metres, so squared Euclidean distance is the right measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MAX_ITERATIONS = 100  # Lloyd's iterations converge in tens of steps on council-sized data; the cap bounds the time

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ClusterPoint:
    """One thing to cluster: an id (for ordering and ties), a location and a weight (e.g. homes in an LSOA)."""

    id: str
    easting: float
    northing: float
    weight: float = 1.0


@dataclass(frozen=True)
class Clustering:
    """The cluster of each point (in the order given; clusters numbered 0.. with none empty) and their centres."""

    labels: tuple[int, ...]
    centres: tuple[tuple[float, float], ...]
    iterations: int
    converged: bool


def distinct_locations(points: Sequence[ClusterPoint]) -> int:
    """How many different places the points are at (k-means cannot make more non-empty clusters than this)."""
    return len({(p.easting, p.northing) for p in points})


def _farthest_point_start(xy: FloatArray, weights: FloatArray, count: int) -> FloatArray:
    """`count` starting centres: the point farthest from the weighted mean, then each time the point farthest
    from the centres chosen so far. Points are sorted by id, and argmax takes the first maximum: ties go by id."""
    mean = (xy * weights[:, None]).sum(axis=0) / weights.sum()
    chosen = [int(np.argmax(((xy - mean) ** 2).sum(axis=1)))]
    nearest = ((xy - xy[chosen[0]]) ** 2).sum(axis=1)
    while len(chosen) < count:
        chosen.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, ((xy - xy[chosen[-1]]) ** 2).sum(axis=1))
    return xy[chosen].copy()


def _nearest(xy: FloatArray, centres: FloatArray) -> IntArray:
    """Index of the nearest centre for each point; argmin takes the first minimum, so ties go to the lower index."""
    distances = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(distances, axis=1).astype(np.int64)


def _weighted_means(xy: FloatArray, weights: FloatArray, labels: IntArray, centres: FloatArray) -> FloatArray:
    """Each cluster's weighted mean; a cluster left empty keeps its centre (it may win points back)."""
    k = len(centres)
    total = np.bincount(labels, weights=weights, minlength=k)
    east = np.bincount(labels, weights=weights * xy[:, 0], minlength=k)
    north = np.bincount(labels, weights=weights * xy[:, 1], minlength=k)
    updated = centres.copy()
    filled = total > 0
    updated[filled, 0] = east[filled] / total[filled]
    updated[filled, 1] = north[filled] / total[filled]
    return updated


def kmeans(points: Sequence[ClusterPoint], count: int, max_iterations: int = MAX_ITERATIONS) -> Clustering:
    """Group points into at most `count` clusters (fewer when there are fewer distinct places, or one empties).

    Raises ValueError when there are no points, `count` is below 1 or a weight is not positive.
    """
    if not points:
        raise ValueError("there is nothing to cluster (no points)")
    if count < 1:
        raise ValueError(f"the number of clusters must be at least 1, got {count}")
    if any(p.weight <= 0 for p in points):
        raise ValueError("every point's weight must be positive")
    order = sorted(range(len(points)), key=lambda i: points[i].id)
    xy = np.array([(points[i].easting, points[i].northing) for i in order], dtype=np.float64)
    weights = np.array([points[i].weight for i in order], dtype=np.float64)
    centres = _farthest_point_start(xy, weights, min(count, distinct_locations(points)))
    labels = _nearest(xy, centres)
    iterations, converged = 0, False
    while iterations < max_iterations:
        iterations += 1
        centres = _weighted_means(xy, weights, labels, centres)
        updated = _nearest(xy, centres)
        if np.array_equal(updated, labels):
            converged = True
            break
        labels = updated
    return _compacted(order, labels, centres, iterations, converged)


def _compacted(order: list[int], labels: IntArray, centres: FloatArray, iterations: int,
               converged: bool) -> Clustering:
    """Labels back in the caller's order, clusters renumbered 0.. in order of first use (empty ones dropped)."""
    renumber: dict[int, int] = {}
    for label in labels.tolist():
        renumber.setdefault(int(label), len(renumber))
    given = [0] * len(order)
    for position, original in enumerate(order):
        given[original] = renumber[int(labels[position])]
    kept = sorted(renumber, key=renumber.__getitem__)
    return Clustering(
        labels=tuple(given),
        centres=tuple((float(centres[c, 0]), float(centres[c, 1])) for c in kept),
        iterations=iterations,
        converged=converged,
    )
