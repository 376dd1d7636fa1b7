"""`placeplan users`: API users, their councils and their keys.

- ``users add NAME --role ROLE [--council NAME_OR_ID ...]`` creates a user, a member of each council with ROLE there,
  and prints their API key once (admins act on every council and take no ``--council``);
- ``users grant USER --council NAME_OR_ID [--role ROLE] [--remove]`` gives (or takes away) a council;
- ``users revoke KEY_ID`` revokes a key; ``users rotate KEY_ID`` issues a new key and revokes the old one;
- ``users list`` shows users, roles, councils and active keys (never a key).

stdout carries only the results: the key (``add``, ``rotate``; ``KEY=$(placeplan users add ...)`` captures just the
key) and the ``list`` table (``--csv PATH|-``). What was done, and errors, go to stderr (api/cli/common.py).

Every change is recorded in the audit trail as the OS user running the command. A running service refuses a
revoked key, and sees a changed membership, once its key cache entry expires (PLACEPLAN_AUTH_CACHE_SECONDS,
default 5 s); a key revoked through the API (`DELETE /api/v1/keys/{key_id}`) is refused at once.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from api import store
from api.audit import cli_user, record_cli_audit
from api.auth import Role, create_user, grant_membership, memberships_of, remove_membership, revoke_key, rotate_key
from api.cli.common import CliError, error_console, fresh_settings, open_database, run_command
from api.cli.tables import CsvOption, show_table
from api.service_tables import ApiKeyRow, UserRow

COUNCIL_HELP = "A council (stored instance) by id or by name (the newest with that name); repeat for several"


def council_id(session: Session, council: str) -> int:
    """An instance id from an id or a name (the newest instance of that name)."""
    if council.isdigit():
        instance_id = int(council)
        store.get_instance_row(session, instance_id)
        return instance_id
    found = store.latest_instance_id(session, council)
    if found is None:
        raise CliError(f"no council (instance) named {council!r}: see `placeplan instances` or import one first")
    return found


def find_user(session: Session, user: str) -> UserRow:
    """A user by name or id."""
    row = session.get(UserRow, int(user)) if user.isdigit() else None
    row = row or session.exec(select(UserRow).where(col(UserRow.name) == user)).first()
    if row is None:
        raise CliError(f"no user {user!r}: see `placeplan users list`")
    return row


def _add(name: str, role: Role, councils: list[str]) -> None:
    notes = error_console()
    if role == Role.ADMIN and councils:
        raise CliError("admins act on every council: give --council for officers, commissioners and planners")
    with open_database(fresh_settings()) as engine, Session(engine) as session:
        ids = [council_id(session, c) for c in councils]
        try:
            user, key = create_user(session, name, role, councils=ids, granted_by=_me())
        except ValueError as error:
            raise CliError(str(error)) from None
        record_cli_audit(session, action="create", resource_type="user", resource_id=str(user.id))
        session.commit()
        where = f" in council(s) {', '.join(map(str, ids))}" if ids else (
            " in every council" if role == Role.ADMIN else " (no council yet: `placeplan users grant`)")
        notes.print(f"created user [bold]{user.name}[/bold] (id {user.id}, role {user.role}{where})", soft_wrap=True)
        notes.print("API key on stdout (shown once; send it as 'Authorization: Bearer <key>')")
        typer.echo(key)


def _grant(user_ref: str, councils: list[str], role: Role | None, remove: bool) -> None:
    notes = error_console()
    with open_database(fresh_settings()) as engine, Session(engine) as session:
        user = find_user(session, user_ref)
        for council in councils:
            instance_id = council_id(session, council)
            if remove:
                if not remove_membership(session, user, instance_id):
                    raise CliError(f"{user.name} is not a member of council {instance_id}")
                record_cli_audit(session, action="delete", resource_type="membership",
                                 resource_id=str(user.id), instance_id=instance_id)
                notes.print(f"{user.name} is no longer a member of council {instance_id}")
                continue
            try:
                row = grant_membership(session, user, instance_id, role or Role(user.role), granted_by=_me())
            except ValueError as error:
                raise CliError(str(error)) from None
            record_cli_audit(session, action="create", resource_type="membership", resource_id=str(user.id),
                             instance_id=instance_id)
            notes.print(f"{user.name} is a member of council {instance_id} as {row.role}")
        session.commit()


def _revoke(key_id: str) -> None:
    with open_database(fresh_settings()) as engine, Session(engine) as session:
        if not revoke_key(session, key_id):
            raise CliError(f"no API key with id {key_id!r} (the key id is the middle of pp_<key id>_<secret>)")
        record_cli_audit(session, action="delete", resource_type="api_key", resource_id=key_id)
        session.commit()
    error_console().print(f"revoked key {key_id}")


def _rotate(key_id: str) -> None:
    with open_database(fresh_settings()) as engine, Session(engine) as session:
        row = session.get(ApiKeyRow, key_id)
        if row is not None and row.revoked_at is not None:
            raise CliError(f"key {key_id} is already revoked: `placeplan users add` or rotate an active key")
        key = rotate_key(session, key_id)
        if key is None:
            raise CliError(f"no API key with id {key_id!r} (the key id is the middle of pp_<key id>_<secret>)")
        record_cli_audit(session, action="rotate", resource_type="api_key", resource_id=key_id)
        session.commit()
    error_console().print(f"revoked key {key_id}; the new API key is on stdout (shown once)")
    typer.echo(key)


def _list(csv_target: str | None) -> None:
    with open_database(fresh_settings()) as engine, Session(engine) as session:
        table = Table("id", "name", "role", "councils (id: role)", "active", "keys", "created")
        for user in session.exec(select(UserRow).order_by(col(UserRow.id))).all():
            assert user.id is not None
            keys = session.exec(select(ApiKeyRow.id).where(col(ApiKeyRow.user_id) == user.id,
                                                           col(ApiKeyRow.revoked_at).is_(None))).all()
            councils = "every council" if user.role == Role.ADMIN.value else ", ".join(
                f"{c}: {r.value}" for c, r in memberships_of(session, user.id)) or "none"
            table.add_row(str(user.id), user.name, user.role, councils, "yes" if user.active else "no",
                          ", ".join(keys) or "none", user.created_at.strftime("%Y-%m-%d %H:%M"))
    show_table(table, csv_target)


def _me() -> str:
    """Who granted a membership from the CLI: the OS user."""
    return f"cli:{cli_user()}"


def register(app: typer.Typer, bench: typer.Typer) -> None:
    users = typer.Typer(help="API users, their councils and their keys (roles: officer, commissioner, planner, "
                             "admin).", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    def add(
        name: str = typer.Argument(..., help="Staff or system name (not a learner's)"),
        role: Role = typer.Option(..., "--role", help="officer | commissioner | planner | admin"),
        council: list[str] = typer.Option([], "--council", help=COUNCIL_HELP),
    ) -> None:
        """Create a user, a member of each --council with --role there, and print their API key (shown this once,
        stored only as a hash)."""
        run_command(Console(), lambda: _add(name, role, council))

    @users.command("grant")
    def grant(
        user: str = typer.Argument(..., help="User name or id"),
        council: list[str] = typer.Option(..., "--council", help=COUNCIL_HELP),
        role: Role | None = typer.Option(None, "--role", help="Role in these councils (default: the user's role)"),
        remove: bool = typer.Option(False, "--remove", help="Take these councils away instead"),
    ) -> None:
        """Make a user a member of councils (or, with --remove, no longer a member)."""
        run_command(Console(), lambda: _grant(user, council, role, remove))

    @users.command("revoke")
    def revoke(key_id: str = typer.Argument(..., help="Key id: the middle part of pp_<key id>_<secret>")) -> None:
        """Revoke an API key: refused from now on (by a running service once its key cache entry expires)."""
        run_command(Console(), lambda: _revoke(key_id))

    @users.command("rotate")
    def rotate(key_id: str = typer.Argument(..., help="Key id: the middle part of pp_<key id>_<secret>")) -> None:
        """Issue a new key for the key's user and revoke the old one; prints the new key once."""
        run_command(Console(), lambda: _rotate(key_id))

    @users.command("list")
    def list_users(csv_target: CsvOption = None) -> None:
        """Users, their roles, councils and active key ids (keys themselves are never shown)."""
        run_command(Console(), lambda: _list(csv_target))
