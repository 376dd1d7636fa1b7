"""Localities for a council that has none on file: derived from where learners live, or built from a council's list.

Deriving (`derive_localities`):

- When learners carry LSOA codes (at least half of them do), the LSOAs are grouped: each LSOA sits at the mean of
  its learners' homes, weighted by how many there are, and a deterministic k-means (`planner.areas.clustering`)
  groups them. Each locality's `area_codes` are its LSOAs, so every home in one of them belongs to it.
- Otherwise the homes and the in-area settings themselves are clustered the same way.
- The count defaults to about one locality per 400 learners on the current caseload, between 3 and 10.
- Localities are numbered LOC-01.. from north to south (then west to east), centred on the mean of their homes (of
  their settings when they have no homes) and named after their largest mainstream school: "Area around <name>".

Assigning (`assign_to_localities`, also used after deriving): a learner whose LSOA is one of a locality's area codes
belongs to it; any other learner to the nearest locality centre; in-area settings to the nearest in-area centre;
out-of-area settings to no locality. `build_localities` turns a council's own list (a centre, or only area codes)
into localities; `apply_localities` makes the new instance, keeping teams, forecasts and journey times consistent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from planner.areas.clustering import Clustering, ClusterPoint, kmeans
from planner.areas.teams import current_caseload, mean_point, remap_team_localities
from planner.domain.codes import SettingKind
from planner.domain.models import Instance, Learner, Locality, Point, Setting

LEARNERS_PER_LOCALITY = 400  # about the caseload of one SEND locality team's patch
DEFAULT_MIN_LOCALITIES = 3
DEFAULT_MAX_LOCALITIES = 10
MAX_LOCALITIES = 50  # a count asked for explicitly may go beyond the default range, up to this
LSOA_SHARE = 0.5  # the LSOA method needs at least this share of learners to carry an LSOA code
NAME_LENGTH = 120  # Locality.name's limit
NAME_PREFIX = "Area around "


@dataclass(frozen=True)
class LocalitySpec:
    """A locality as a council gives it: a centre, or only area codes (its centre then comes from the homes)."""

    id: str
    name: str
    centre: Point | None = None
    area_codes: frozenset[str] = frozenset()
    in_area: bool = True


@dataclass(frozen=True)
class DerivedLocalities:
    """New localities with the instance's learners and settings assigned to them, and how that was done."""

    localities: tuple[Locality, ...]
    learners: tuple[Learner, ...]
    settings: tuple[Setting, ...]
    message: str

    def counts(self) -> dict[str, tuple[int, int]]:
        """(learners, settings) per locality id, in locality order."""
        counts = {loc.id: [0, 0] for loc in self.localities}
        for learner in self.learners:
            if learner.locality_id in counts:
                counts[learner.locality_id][0] += 1
        for setting in self.settings:
            if setting.locality_id in counts:
                counts[setting.locality_id][1] += 1
        return {loc_id: (pair[0], pair[1]) for loc_id, pair in counts.items()}


class LocalityBuildError(ValueError):
    """Localities that cannot be built as given; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class _Cluster:
    """One group found by the clustering: the homes and in-area settings in it, and its LSOAs (LSOA method)."""

    centre: Point
    homes: list[Point] = field(default_factory=list)
    settings: list[Point] = field(default_factory=list)
    area_codes: set[str] = field(default_factory=set)

    @property
    def centroid(self) -> Point:
        # The mean of its homes; of its settings when it has no homes; the cluster centre as a last resort
        return mean_point(self.homes) or mean_point(self.settings) or self.centre


# --------------------------------------------------------------------------------------------------------------
# How many localities


def default_locality_count(instance: Instance) -> int:
    """About one locality per 400 learners on the current caseload, at least 3 and at most 10."""
    wanted = round(current_caseload(instance) / LEARNERS_PER_LOCALITY)
    return max(DEFAULT_MIN_LOCALITIES, min(DEFAULT_MAX_LOCALITIES, wanted))


def _checked_count(count: int | None, instance: Instance) -> tuple[int, str]:
    """The count to use and how it was chosen; ValueError when an explicit count is out of range."""
    if count is None:
        return default_locality_count(instance), (
            f"default count: one per {LEARNERS_PER_LOCALITY} learners on the caseload, "
            f"{DEFAULT_MIN_LOCALITIES} to {DEFAULT_MAX_LOCALITIES}")
    if not 1 <= count <= MAX_LOCALITIES:
        raise ValueError(f"the number of localities must be from 1 to {MAX_LOCALITIES}, got {count}")
    return count, f"count asked for: {count}"


# --------------------------------------------------------------------------------------------------------------
# Clustering: LSOAs, or homes and settings


def uses_lsoas(instance: Instance) -> bool:
    """Whether the LSOA method applies: at least half the learners carry an LSOA code."""
    with_lsoa = sum(1 for learner in instance.learners if learner.lsoa)
    return with_lsoa > 0 and with_lsoa >= LSOA_SHARE * len(instance.learners)


def _lsoa_homes(instance: Instance) -> dict[str, list[Point]]:
    homes: dict[str, list[Point]] = {}
    for learner in instance.learners:
        if learner.lsoa:
            homes.setdefault(learner.lsoa, []).append(learner.home)
    return homes


def _lsoa_clusters(instance: Instance, count: int) -> tuple[list[_Cluster], Clustering, str]:
    """LSOAs grouped by k-means of their home centroids, each weighted by its number of homes."""
    homes = _lsoa_homes(instance)
    points: list[ClusterPoint] = []
    for code, places in homes.items():
        centre = mean_point(places)
        assert centre is not None
        points.append(ClusterPoint(id=code, easting=centre.easting, northing=centre.northing, weight=len(places)))
    clustering = kmeans(points, count)
    clusters = [_Cluster(centre=Point(easting=x, northing=y)) for x, y in clustering.centres]
    for point, label in zip(points, clustering.labels, strict=True):
        clusters[label].area_codes.add(point.id)
        clusters[label].homes.extend(homes[point.id])
    with_lsoa = sum(len(places) for places in homes.values())
    method = (f"derived from the LSOA of each home: {len(points):,} LSOA(s) holding {with_lsoa:,} of "
              f"{len(instance.learners):,} learners' homes grouped by k-means of the LSOAs' home centroids")
    return clusters, clustering, method


def _spatial_clusters(instance: Instance, count: int) -> tuple[list[_Cluster], Clustering, str]:
    """Homes and in-area settings grouped by k-means of their locations (learners carry no LSOA codes)."""
    in_area = [s for s in instance.settings if s.in_area]
    points = [ClusterPoint(id=f"learner:{x.id}", easting=x.home.easting, northing=x.home.northing)
              for x in instance.learners]
    points += [ClusterPoint(id=f"setting:{s.id}", easting=s.location.easting, northing=s.location.northing)
               for s in in_area]
    if not points:
        raise ValueError("nothing to derive localities from: the instance has no learners and no in-area settings")
    clustering = kmeans(points, count)
    clusters = [_Cluster(centre=Point(easting=x, northing=y)) for x, y in clustering.centres]
    for index, label in enumerate(clustering.labels):
        if index < len(instance.learners):
            clusters[label].homes.append(instance.learners[index].home)
        else:
            clusters[label].settings.append(in_area[index - len(instance.learners)].location)
    method = (f"derived from home locations (learners carry no LSOA codes): {len(instance.learners):,} home(s) and "
              f"{len(in_area):,} in-area setting(s) grouped by k-means")
    return clusters, clustering, method


# --------------------------------------------------------------------------------------------------------------
# Deriving


def derive_localities(instance: Instance, count: int | None = None) -> DerivedLocalities:
    """New localities for an instance, with its learners and settings assigned to them (see the module docstring).

    Deterministic: the same instance and count give the same localities and assignment. Raises ValueError when an
    explicit count is out of range or there is nothing to cluster.
    """
    wanted, count_note = _checked_count(count, instance)
    if uses_lsoas(instance):
        clusters, clustering, method = _lsoa_clusters(instance, wanted)
    else:
        clusters, clustering, method = _spatial_clusters(instance, wanted)
    # Numbered from north to south, then west to east: a stable order a reader can follow on a map
    clusters.sort(key=lambda c: (-round(c.centroid.northing, 3), round(c.centroid.easting, 3)))
    localities = tuple(
        Locality(id=f"LOC-{number:02d}", name=f"Locality {number:02d}", centroid=cluster.centroid,
                 area_codes=frozenset(cluster.area_codes))
        for number, cluster in enumerate(clusters, start=1)
    )
    assigned = assign_to_localities(instance, localities)
    named = _named(assigned.localities, assigned.settings)
    convergence = "converged" if clustering.converged else "stopped at the iteration cap"
    fewer = f"; only {len(localities)} distinct group(s) could be formed" if len(localities) < wanted else ""
    message = (f"{len(localities)} localities {method} (farthest-point start, {clustering.iterations} iteration(s), "
               f"{convergence}; {count_note}{fewer}). {assigned.message}")
    return DerivedLocalities(named, assigned.learners, assigned.settings, message)


def _largest(settings: Iterable[Setting]) -> Setting | None:
    """The setting with the most places (ties: the lowest id)."""
    return min(settings, key=lambda s: (-s.capacity, s.id), default=None)


def _named(localities: Sequence[Locality], settings: Sequence[Setting]) -> tuple[Locality, ...]:
    """Each locality named after its largest in-area mainstream school (any in-area setting failing that)."""
    members: dict[str, list[Setting]] = {loc.id: [] for loc in localities}
    for setting in settings:
        if setting.in_area and setting.locality_id in members:
            members[setting.locality_id].append(setting)
    named: list[Locality] = []
    used: set[str] = set()
    for loc in localities:
        own = members[loc.id]
        anchor = _largest(s for s in own if s.kind is SettingKind.MAINSTREAM) or _largest(own)
        name = (NAME_PREFIX + anchor.name)[:NAME_LENGTH] if anchor else loc.name
        if name in used:  # two schools of the same name: the id tells the localities apart
            suffix = f" ({loc.id})"
            name = name[:NAME_LENGTH - len(suffix)] + suffix
        used.add(name)
        named.append(loc.model_copy(update={"name": name}))
    return tuple(named)


# --------------------------------------------------------------------------------------------------------------
# Assigning


def _nearest(point: Point, localities: Sequence[Locality]) -> Locality:
    """The locality whose centre is nearest (ties: the first in order)."""
    return min(enumerate(localities), key=lambda pair: (point.distance_km(pair[1].centroid), pair[0]))[1]


def _code_index(localities: Sequence[Locality]) -> dict[str, str]:
    """Area code -> locality id (a code listed by two localities belongs to the first)."""
    index: dict[str, str] = {}
    for loc in localities:
        for code in sorted(loc.area_codes):
            index.setdefault(code.upper(), loc.id)
    return index


def assign_to_localities(instance: Instance, localities: Sequence[Locality]) -> DerivedLocalities:
    """The instance's learners and settings assigned to `localities` (their order breaks ties).

    Learners by the LSOA of their home when a locality lists it (learners carry no ward or postcode district, so
    those codes match nothing here), else by the nearest centre; in-area settings by the nearest in-area centre;
    out-of-area settings to none. Raises ValueError when `localities` is empty.
    """
    if not localities:
        raise ValueError("no localities to assign learners and settings to")
    codes = _code_index(localities)
    learners: list[Learner] = []
    by_code = 0
    for learner in instance.learners:
        locality_id = codes.get(learner.lsoa.upper()) if learner.lsoa else None
        by_code += locality_id is not None
        if locality_id is None:
            locality_id = _nearest(learner.home, localities).id
        learners.append(learner.model_copy(update={"locality_id": locality_id}))
    own = [loc for loc in localities if loc.in_area] or list(localities)
    settings: list[Setting] = []
    for setting in instance.settings:
        # Out-of-area settings (neighbouring authorities', independent ones elsewhere) belong to no locality
        locality_id = _nearest(setting.location, own).id if setting.in_area else None
        settings.append(setting.model_copy(update={"locality_id": locality_id}))
    out_of_area = sum(1 for s in settings if s.locality_id is None)
    message = (f"{by_code:,} learner(s) assigned by the LSOA of their home, {len(learners) - by_code:,} by the "
               f"nearest locality centre; {len(settings) - out_of_area:,} in-area setting(s) by the nearest centre, "
               f"{out_of_area} out-of-area setting(s) in no locality.")
    return DerivedLocalities(tuple(localities), tuple(learners), tuple(settings), message)


# --------------------------------------------------------------------------------------------------------------
# A council's own list


def build_localities(instance: Instance, specs: Sequence[LocalitySpec]) -> tuple[Locality, ...]:
    """Localities from a council's list; one given only by area codes is centred on the homes in those codes.

    Raises LocalityBuildError naming every locality that cannot be built (no centre and no home in its codes, a
    repeated id, an area code claimed twice).
    """
    problems: list[str] = []
    homes = {code.upper(): places for code, places in _lsoa_homes(instance).items()}
    seen_ids: set[str] = set()
    claimed: dict[str, str] = {}
    built: list[Locality] = []
    for spec in specs:
        if spec.id in seen_ids:
            problems.append(f"locality {spec.id}: the id is given more than once")
        seen_ids.add(spec.id)
        for code in sorted(spec.area_codes):
            if claimed.setdefault(code.upper(), spec.id) != spec.id:
                problems.append(f"locality {spec.id}: area code {code} is already {claimed[code.upper()]}'s")
        centre = spec.centre or mean_point([p for code in sorted(spec.area_codes) for p in homes.get(code.upper(), [])])
        if centre is None:
            problems.append(f"locality {spec.id}: no learner's home is in its area codes, so it has no centre "
                            "(give easting and northing)")
            continue
        built.append(Locality(id=spec.id, name=spec.name, centroid=centre, in_area=spec.in_area,
                              area_codes=spec.area_codes))
    if problems:
        raise LocalityBuildError(problems)
    return tuple(built)


# --------------------------------------------------------------------------------------------------------------
# The new instance


def apply_localities(instance: Instance, derived: DerivedLocalities) -> Instance:
    """The instance with the new localities, learners and settings, and everything that refers to localities fixed.

    Teams' patches follow the new localities (`remap_team_localities`); stored forecasts and journey times from
    localities that no longer exist are dropped (they described areas that are gone). Raises
    InstanceIntegrityError when the result does not fit together.
    """
    new_ids = {loc.id for loc in derived.localities}
    old_ids = {loc.id for loc in instance.localities}
    teams, _ = remap_team_localities(instance.teams, old_ids, new_ids)
    forecasts = tuple(f for f in instance.forecasts if f.locality_id in new_ids)
    # Journey times from a locality that is gone (not a learner or team of the same id) go with it
    gone = old_ids - new_ids - set(instance.learner_by_id) - set(instance.team_by_id)
    travel = tuple(t for t in instance.travel_times if t.origin_id not in gone)
    return instance.replace(localities=derived.localities, learners=derived.learners, settings=derived.settings,
                            teams=teams, forecasts=forecasts, travel_times=travel,
                            metadata={**instance.metadata, "localities": derived.message})
