"""API keys, roles and the one way a route declares who may call it.

Roles
-----
- ``officer``: learner-level records (read/write), placement and transition runs.
- ``commissioner``: aggregates (settings, localities, sufficiency, forecasts), scenarios; never learner-level.
- ``planner``: scenarios and expansion runs (and the aggregates they need).
- ``admin``: everything, in every council (``admin`` is added to every route's roles automatically).

Councils (scoping)
------------------
A non-admin user is a member of one or more councils (stored instances) with a role in each
(``council_memberships``; ``placeplan users add NAME --role R --council C`` / ``users grant``). The route-level
check passes when the caller holds an allowed role in *some* council; the council check then applies the role the
caller holds in *the* council the request touches (``api.scoping``): a council the caller is not a member of is
answered 404, exactly as if it did not exist (so ids of other councils' data are never confirmed); a member whose
role there is not allowed gets 403. Routes with ``{instance_id}`` in the path are checked here, by the same
dependency ``allow()`` adds; routes that reach a council through a run, scenario or body field call
``api.scoping`` (``load_run_for`` does for runs).

Keys look like ``pp_<key id>_<secret>``; only a salted SHA-256 of the secret is stored. Clients send
``Authorization: Bearer <key>``. No key or a bad key -> 401 problem; a valid key with the wrong role -> 403 problem.

How a capability router declares its roles and gets a session (follow this exactly)
----------------------------------------------------------------------------------
::

    from typing import Annotated
    from fastapi import APIRouter, Depends, Request
    from api.auth import Principal, Role, allow, require_roles
    from api.audit import record_audit
    from api.deps import SessionDep

    router = APIRouter(tags=["placement"])          # create_app mounts it under /api/v1

    # 1. Every route passes **allow(...) with the roles that may call it. This adds the auth dependency (401/403)
    #    AND writes "x-roles" into the OpenAPI operation, which the role-matrix test reads.
    @router.get("/placements/{run_id}/learners", **allow(Role.OFFICER))
    def learner_recommendations(run_id: str, session: SessionDep) -> ...:
        ...

    # 2. Need the caller (e.g. to audit)? Also take the principal; FastAPI runs the check once per request.
    Officer = Annotated[Principal, Depends(require_roles(Role.OFFICER))]

    @router.get("/learners/{learner_id}/recommendation", **allow(Role.OFFICER))
    def one(learner_id: str, session: SessionDep, principal: Officer, request: Request) -> ...:
        # 3. Any read or change of a learner-level record writes an audit event (no names/postcodes/birth dates);
        #    a read or export says how many learners it emitted (tests/api/test_audit_enumeration.py checks every
        #    officer-only GET for it). Learner fields leave minimised: api.minimise (no birth date, homes 100 m).
        record_audit(session, principal, request, action="read", resource_type="learner", resource_id=learner_id,
                     learner_count=1)
        session.commit()
        ...

Rules: learner-level data (anything per learner) -> ``allow(Role.OFFICER)`` only; aggregates ->
``allow(Role.COMMISSIONER, Role.PLANNER, Role.OFFICER)`` as fits; scenario/expansion -> ``allow(Role.PLANNER, ...)``.
``allow()`` with no roles means admin only; ``public()`` (health only) means no key. Listing routes list only the
caller's councils (``api.scoping.councils_with``). Errors: raise
``api.problems.ProblemError(status, title, detail)`` (or HTTPException) and create_app renders RFC 9457
problem+json. Reading a solve run's result: use ``api.jobs.load_run_for(session, principal, run_id)``, which
checks the run's council and the run kind's roles (e.g. a commissioner may not read a placement run) and audits
the access.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from api.problems import ProblemError
from api.service_tables import ApiKeyRow, MembershipRow, UserRow, utc_now

KEY_PREFIX = "pp"
ROLES_EXTENSION = "x-roles"
PUBLIC = "public"


class Role(StrEnum):
    """Who the caller is, for access decisions."""

    OFFICER = "officer"
    COMMISSIONER = "commissioner"
    PLANNER = "planner"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user and the key used. Carries no learner data."""

    user_id: int
    user_name: str
    role: Role
    key_id: str
    councils: tuple[tuple[int, Role], ...] = ()  # (instance id, role there); admins need none

    def role_in(self, instance_id: int | None) -> Role | None:
        """The caller's role in a council: admin everywhere; None when not a member (or no council)."""
        if self.role == Role.ADMIN:
            return Role.ADMIN
        if instance_id is None:
            return None
        return next((role for council, role in self.councils if council == instance_id), None)

    def holds_any(self, roles: Iterable[Role]) -> bool:
        """Whether the caller holds one of `roles` anywhere (admin, their own role, or in a council)."""
        wanted = set(roles)
        return self.role in wanted or self.role == Role.ADMIN or any(r in wanted for _, r in self.councils)


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `placeplan users add NAME --role ROLE`, sent as `Authorization: Bearer <key>`.",
)


def hash_secret(secret: str, salt: str) -> str:
    """Salted SHA-256 of a key's secret (the secret is 256 random bits, so a slow KDF adds nothing)."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def parse_key(key: str) -> tuple[str, str] | None:
    """Split ``pp_<key id>_<secret>`` into (key id, secret); None when the shape is wrong."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def create_user(session: Session, name: str, role: Role | str,
                councils: Iterable[int] = (), granted_by: str | None = None) -> tuple[UserRow, str]:
    """Create a user with a new key, a member of `councils` (instance ids) with `role` in each; returns the user and
    the key, which is never stored or shown again. Admins act on every council and take no memberships."""
    existing = session.exec(select(UserRow).where(UserRow.name == name)).first()
    if existing is not None:
        raise ValueError(f"a user named {name!r} already exists")
    user = UserRow(name=name, role=Role(role).value)
    session.add(user)
    session.flush()
    for instance_id in councils:
        grant_membership(session, user, instance_id, Role(role), granted_by)
    key = issue_key(session, user)
    return user, key


def grant_membership(session: Session, user: UserRow, instance_id: int, role: Role | str,
                     granted_by: str | None = None) -> MembershipRow:
    """Make `user` a member of a council with `role` there (replacing any role they had there)."""
    assert user.id is not None
    if Role(role) == Role.ADMIN or user.role == Role.ADMIN.value:
        raise ValueError("admins act on every council: they take no council membership")
    row = session.get(MembershipRow, (user.id, instance_id))
    if row is None:
        row = MembershipRow(user_id=user.id, instance_id=instance_id, role=Role(role).value, granted_by=granted_by)
    else:
        row.role, row.granted_by, row.granted_at = Role(role).value, granted_by, utc_now()
    session.add(row)
    session.flush()
    return row


def remove_membership(session: Session, user: UserRow, instance_id: int) -> bool:
    """Take a council away from a user; False when they were not a member."""
    row = session.get(MembershipRow, (user.id, instance_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def memberships_of(session: Session, user_id: int) -> tuple[tuple[int, Role], ...]:
    """A user's councils and roles, by instance id."""
    rows = session.exec(select(MembershipRow).where(MembershipRow.user_id == user_id)
                        .order_by(MembershipRow.instance_id)).all()  # type: ignore[arg-type]
    return tuple((row.instance_id, Role(row.role)) for row in rows)


def issue_key(session: Session, user: UserRow) -> str:
    """Add a new key for a user and return it in full (the only time it exists in clear)."""
    assert user.id is not None
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    session.add(ApiKeyRow(id=key_id, user_id=user.id, salt=salt, secret_hash=hash_secret(secret, salt)))
    session.flush()
    return f"{KEY_PREFIX}_{key_id}_{secret}"


@dataclass(frozen=True)
class KeyRecord:
    """What checking a key needs from the database: its salted hash and the principal it stands for.

    ``principal`` is None when the key is revoked or its user is inactive or gone (such a key is always refused).
    """

    salt: str
    secret_hash: str
    principal: Principal | None


def lookup_key(session: Session, key_id: str) -> KeyRecord | None:
    """The stored record for a key id (None when there is no such key): two primary-key reads and the user's
    memberships, no writes."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        return None
    user = session.get(UserRow, row.user_id)
    principal = None
    if row.revoked_at is None and user is not None and user.active and user.id is not None:
        councils = memberships_of(session, user.id) if user.role != Role.ADMIN.value else ()
        principal = Principal(user_id=user.id, user_name=user.name, role=Role(user.role), key_id=row.id,
                              councils=councils)
    return KeyRecord(salt=row.salt, secret_hash=row.secret_hash, principal=principal)


def check_secret(record: KeyRecord | None, secret: str) -> Principal | None:
    """The principal when the secret matches the record's hash and the key is usable, else None."""
    if record is None or record.principal is None:
        return None
    if not hmac.compare_digest(record.secret_hash, hash_secret(secret, record.salt)):
        return None
    return record.principal


def authenticate_key(session: Session, key: str) -> Principal | None:
    """The principal for a key, or None when the key is malformed, unknown, revoked or its user is inactive."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    key_id, secret = parsed
    return check_secret(lookup_key(session, key_id), secret)


@dataclass
class KeyCache:
    """Key id -> stored key record for `ttl_seconds`, so a request does not read the database to authenticate.

    Held on ``app.state.key_cache`` (one per app). Only records that exist are cached (unknown key ids always go
    to the database), and the secret is still checked against the salted hash on every request, so a cached
    record never lets a wrong secret in. Trade-off: a key revoked (or a user deactivated or given another role)
    by *another process*, e.g. ``placeplan users revoke``, keeps working here for at most ``ttl_seconds``;
    ``revoke_key(..., cache=...)`` in this process takes effect at once. ``ttl_seconds <= 0`` turns caching off.
    """

    ttl_seconds: float = 5.0
    max_entries: int = 10_000
    _entries: dict[str, tuple[float, KeyRecord]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key_id: str) -> KeyRecord | None:
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self.forget(key_id)
            return None
        return entry[1]

    def put(self, key_id: str, record: KeyRecord) -> None:
        if self.ttl_seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.max_entries:  # bounded: drop what has expired, else start afresh
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries = {}
            self._entries[key_id] = (now + self.ttl_seconds, record)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._entries.pop(key_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}


def revoke_key(session: Session, key_id: str, cache: KeyCache | None = None) -> bool:
    """Mark a key revoked (and drop it from `cache`, so this process refuses it at once); False when unknown."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        return False
    if row.revoked_at is None:  # revoking twice keeps the first time
        row.revoked_at = utc_now()
        session.add(row)
    if cache is not None:
        cache.forget(key_id)
    return True


def rotate_key(session: Session, key_id: str, cache: KeyCache | None = None) -> str | None:
    """A new key for the user of `key_id`, whose old key is revoked in the same transaction; None when unknown."""
    row = session.get(ApiKeyRow, key_id)
    user = session.get(UserRow, row.user_id) if row is not None else None
    if row is None or user is None:
        return None
    revoke_key(session, key_id, cache)
    return issue_key(session, user)


def _unauthorised(detail: str) -> ProblemError:
    return ProblemError(401, "Not authenticated", detail, headers={"WWW-Authenticate": "Bearer"})


def _lookup_in_new_session(engine: Engine, key_id: str) -> KeyRecord | None:
    with Session(engine) as session:
        return lookup_key(session, key_id)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from the bearer key (401 problem when missing or invalid).

    Async on purpose: with the key in `app.state.key_cache` it costs one SHA-256 and no thread hop; only a cache
    miss reads the database (in the thread pool, in a session of its own).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorised("send an API key as 'Authorization: Bearer <key>'")
    parsed = parse_key(credentials.credentials)
    if parsed is None:
        raise _unauthorised("the API key is not valid (unknown, revoked or malformed)")
    key_id, secret = parsed
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    record = cache.get(key_id) if cache is not None else None
    if record is None:
        record = await run_in_threadpool(_lookup_in_new_session, request.app.state.engine, key_id)
        if record is not None and cache is not None:
            cache.put(key_id, record)
    principal = check_secret(record, secret)
    if principal is None:
        raise _unauthorised("the API key is not valid (unknown, revoked or malformed)")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def normalise_roles(roles: Iterable[Role | str]) -> tuple[Role, ...]:
    """The roles as a sorted tuple that always includes admin."""
    return tuple(sorted({Role(r) for r in roles} | {Role.ADMIN}, key=lambda r: list(Role).index(r)))


def require_roles(*roles: Role | str) -> Callable[[Principal, Request], Awaitable[Principal]]:
    """A dependency returning the caller when their role is one of `roles` (admin always allowed), else 403."""
    allowed = normalise_roles(roles)

    async def dependency(principal: CurrentPrincipal, request: Request) -> Principal:  # no I/O: no thread hop
        if not principal.holds_any(allowed):
            raise ProblemError(
                403,
                "Forbidden",
                f"role {principal.role.value!r} may not call this route (allowed: {', '.join(allowed)})",
            )
        instance_id = _path_instance_id(request)
        if instance_id is not None:
            check_council_role(principal, instance_id, allowed)
        return principal

    dependency.__name__ = "require_" + "_".join(r.value for r in allowed)
    return dependency


MAX_INSTANCE_ID = 2_147_483_647  # the routes' InstanceId bound (api.routes._common.MAX_DB_INT)


def _path_instance_id(request: Request) -> int | None:
    """The `{instance_id}` of the route's path when it is a valid id; None otherwise, so that the route's own
    validation answers (422), the same for every caller."""
    raw = str(request.path_params.get("instance_id", ""))
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_INSTANCE_ID else None


def not_found_council(instance_id: int) -> ProblemError:
    """The answer for a council the caller is not a member of: the same 404 as for an id that does not exist."""
    return ProblemError(404, "Not Found", f"no instance with id {instance_id}")


def check_council_role(principal: Principal, instance_id: int | None, roles: Iterable[Role | str]) -> Role:
    """The caller's role in a council when it is one of `roles` (admin always): 404 not a member, else 403."""
    allowed = normalise_roles(roles)
    role = principal.role_in(instance_id)
    if role is None:
        if instance_id is None:  # the data belongs to no council any more (its instance was deleted): admins only
            raise ProblemError(403, "Forbidden", "only admins may use records whose council has been deleted")
        raise not_found_council(instance_id)
    if role not in allowed:
        raise ProblemError(403, "Forbidden", f"your role in instance {instance_id} is {role.value!r}, which may not "
                           f"call this route (allowed: {', '.join(allowed)})")
    return role


def allow(*roles: Role | str) -> dict[str, Any]:
    """Route decorator keywords: the role check plus the ``x-roles`` OpenAPI extension the role-matrix test reads."""
    allowed = normalise_roles(roles)
    return {
        "dependencies": [Depends(require_roles(*allowed))],
        "openapi_extra": {ROLES_EXTENSION: [r.value for r in allowed]},
    }


def public() -> dict[str, Any]:
    """Route decorator keywords for a route that needs no key (health only)."""
    return {"openapi_extra": {ROLES_EXTENSION: [PUBLIC]}}


def roles_of_operation(operation: dict[str, Any]) -> list[str] | None:
    """The roles an OpenAPI operation declares (None when it declares none, which the tests treat as a bug)."""
    roles = operation.get(ROLES_EXTENSION)
    return list(roles) if roles is not None else None
