"""Council scoping beyond the path: runs, scenarios, request bodies, listings and owners.

A council is a stored instance. `api.auth.allow()` already checks routes with ``{instance_id}`` in the path; the
routes that reach a council another way call these helpers:

- a run's council is ``runs.council_id`` (its instance, or its scenario's base instance; kept when the scenario is
  deleted, NULL when the instance is: then admins only), a scenario's is its ``base_instance_id``;
- not a member of that council -> 404, exactly as for an id that does not exist (the existence of another
  council's data is never confirmed); a member whose role there is not allowed -> 403;
- listings list only the councils where the caller holds an allowed role (``councils_with``);
- changing or deleting a scenario or a run is for its owner, a user holding the owner's role in that council, or
  an admin (``check_can_change``); a record with no known owner (made before owners were recorded, by a user who
  no longer exists) is for admins only.

UK GDPR Art. 5(1)(f) (integrity and confidentiality) and Art. 25 (data protection by design and by default) are
why a council's officers see only their council's learners.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col

from api.auth import Principal, Role, check_council_role, normalise_roles
from api.problems import ProblemError
from api.tables import RunFacts, ScenarioRow


def councils_with(principal: Principal, roles: Iterable[Role | str]) -> list[int] | None:
    """Instance ids where the caller holds one of `roles`; None means every council (admins)."""
    if principal.role == Role.ADMIN:
        return None
    allowed = normalise_roles(roles)
    return [council for council, role in principal.councils if role in allowed]


def council_condition(column: Any, principal: Principal, roles: Iterable[Role | str]) -> list[Any]:
    """SQL conditions limiting `column` (an instance id column) to the caller's councils with `roles`."""
    councils = councils_with(principal, roles)
    return [] if councils is None else [col(column).in_(councils)]


def scenario_for(session: Session, principal: Principal, scenario_id: int,
                 roles: Iterable[Role | str]) -> ScenarioRow:
    """A scenario in one of the caller's councils where they hold `roles` (404 missing or not a member, 403 role)."""
    row = session.get(ScenarioRow, scenario_id)
    missing = ProblemError(404, "Not Found", f"no scenario with id {scenario_id}")
    if row is None:
        raise missing
    if principal.role_in(row.base_instance_id) is None:
        raise missing
    check_council_role(principal, row.base_instance_id, roles)
    return row


def council_of_run(run: RunFacts) -> int | None:
    """The council a run read: `council_id`, else its instance (rows written before 0004 or by hand)."""
    return run.council_id if run.council_id is not None else run.instance_id


def run_council(principal: Principal, run: RunFacts, roles: Iterable[Role | str]) -> Role:
    """The caller's role in the run's council when allowed for the run's kind (404 not a member, 403 role)."""
    council = council_of_run(run)
    if council is not None and principal.role_in(council) is None:
        raise ProblemError(404, "Not Found", f"no run with id {run.id!r}")
    return check_council_role(principal, council, roles)


def check_can_change(principal: Principal, council_id: int | None, owner_user_id: int | None,
                     owner_role: str | None, what: str) -> None:
    """403 unless the caller is an admin, the owner, or holds the owner's role in the council."""
    if principal.role == Role.ADMIN or (owner_user_id is not None and owner_user_id == principal.user_id):
        return
    role = principal.role_in(council_id)
    if owner_role is not None and role is not None and role.value == owner_role:
        return
    owner = f"its owner's role ({owner_role})" if owner_role else "an admin (its owner is not known)"
    raise ProblemError(403, "Forbidden", f"only {owner} or an admin may change or delete {what}")
