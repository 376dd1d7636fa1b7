"""Areas of a council: localities (district patches) and outreach teams, derived when a council's files lack them.

A council that imports its own GIAS extract and caseload has no localities and no outreach teams, yet the forecast,
the sufficiency model and transition planning all work by locality and team. This package builds them:

- `planner.areas.clustering`: a deterministic weighted k-means (farthest-point start, fixed iteration cap, ties
  broken by id), the only clustering used;
- `planner.areas.localities`: `derive_localities` groups the LSOAs of learners' homes (or, without LSOAs, the homes
  and in-area settings themselves) into localities named after their largest mainstream school;
  `assign_to_localities` puts learners and settings into given localities (by area code, else nearest centre);
  `build_localities` turns localities given by a council (a centre, or only area codes) into domain localities;
  `apply_localities` makes the new instance (teams, forecasts and journey times kept consistent);
- `planner.areas.teams`: `default_teams`, a sensible set of six outreach teams with hours scaled to the caseload.

Imports only `planner.domain` (a solver-layer package: `planner.io` and the CLI build on it).
"""

from planner.areas.localities import (
    DerivedLocalities,
    LocalityBuildError,
    LocalitySpec,
    apply_localities,
    assign_to_localities,
    build_localities,
    default_locality_count,
    derive_localities,
)
from planner.areas.teams import default_teams

__all__ = [
    "DerivedLocalities",
    "LocalityBuildError",
    "LocalitySpec",
    "apply_localities",
    "assign_to_localities",
    "build_localities",
    "default_locality_count",
    "default_teams",
    "derive_localities",
]
