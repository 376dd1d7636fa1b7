"""Outreach teams for a council that has none on file: a sensible default set, and keeping teams' patches valid.

`default_teams` gives the six specialist teams most English councils run (autism, SEMH, sensory, learning
difficulties, early years, post-16 and preparing for adulthood). Their hours follow the demo council's ratios
(hours per week per 3,500 learners with a plan, `scenarios.demo._team_specs`, where the transition benchmark
schedules every case on time) scaled to this council's current caseload; each is based at the centre of the
council's own settings and covers every locality. A council then corrects hours and names to its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from planner.domain.codes import Need
from planner.domain.models import Instance, OutreachTeam, Point

# The demo council's caseload, the denominator of the hours below.
REFERENCE_CASELOAD = 3_500

# (id suffix, name, specialisms, hours per week for a caseload of REFERENCE_CASELOAD): the demo council's teams.
DEFAULT_TEAM_SPECS: tuple[tuple[str, str, frozenset[Need], float], ...] = (
    ("AUT", "Autism Outreach Team", frozenset({Need.ASD, Need.SLCN}), 180.0),
    ("SEMH", "SEMH Outreach Team", frozenset({Need.SEMH}), 150.0),
    ("SENS", "Sensory Support Service (hearing, vision, multi-sensory)", frozenset({Need.HI, Need.VI, Need.MSI}),
     75.0),
    ("LD", "Learning Difficulties Outreach Team", frozenset({Need.MLD, Need.SLD, Need.PMLD, Need.SPLD, Need.DS}),
     90.0),
    ("EY", "Early Years SEND Team", frozenset(Need), 70.0),
    ("PFA", "Post-16 and Preparing for Adulthood Team", frozenset(Need), 55.0),
)


def current_caseload(instance: Instance) -> int:
    """Learners whose plan has not ceased (records with a `plan_end` are history, not caseload)."""
    return sum(1 for learner in instance.learners if learner.plan_end is None)


def mean_point(points: Sequence[Point]) -> Point | None:
    """The mean of some points to the nearest metre (None when there are none)."""
    if not points:
        return None
    # Rounded to the metre: finer than any home or school location, and readable in listings
    return Point(easting=round(sum(p.easting for p in points) / len(points)),
                 northing=round(sum(p.northing for p in points) / len(points)))


def team_base(instance: Instance) -> Point | None:
    """Where default teams travel from: the centre of the in-area settings, else of the homes, else nowhere."""
    in_area = [s.location for s in instance.settings if s.in_area]
    return mean_point(in_area) or mean_point([learner.home for learner in instance.learners])


def default_teams(instance: Instance) -> tuple[OutreachTeam, ...]:
    """The default outreach teams for an instance: hours scaled to its caseload, covering all its localities."""
    scale = current_caseload(instance) / REFERENCE_CASELOAD
    base = team_base(instance)
    localities = frozenset(loc.id for loc in instance.localities)
    return tuple(
        # Hours in proportion to the caseload, to a tenth of an hour (what a rota can express)
        OutreachTeam(id=f"T-{code}", name=name, specialisms=needs, hours_per_week=round(hours * scale, 1),
                     locality_ids=localities, base=base)
        for code, name, needs, hours in DEFAULT_TEAM_SPECS
    )


def remap_team_localities(teams: Iterable[OutreachTeam], old_ids: Collection[str],
                          new_ids: Collection[str]) -> tuple[tuple[OutreachTeam, ...], list[str]]:
    """Teams' patches after the localities change from `old_ids` to `new_ids`, and a note per team changed.

    A team covering every old locality covers every new one; otherwise it keeps the localities that still exist,
    and one left with none covers them all (a team with no patch could take no case).
    """
    old, new = frozenset(old_ids), frozenset(new_ids)
    kept: list[OutreachTeam] = []
    notes: list[str] = []
    for team in teams:
        if not team.locality_ids:  # empty = every locality, whatever they are
            kept.append(team)
            continue
        remaining = team.locality_ids & new
        if (old and old <= team.locality_ids) or not remaining:
            remaining = new
        if remaining != team.locality_ids:
            notes.append(f"team {team.id} now covers {len(remaining)} localit{'y' if len(remaining) == 1 else 'ies'}")
        kept.append(team.model_copy(update={"locality_ids": remaining}))
    return tuple(kept), notes
