"""`placeplan users add NAME --role ROLE` (prints the new API key once) and `placeplan users list`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from api.auth import Role, create_user
from api.service_tables import ApiKeyRow, UserRow


def _engine():  # type: ignore[no-untyped-def]
    from api.db import make_engine
    from api.migrate import upgrade_to_head

    engine = make_engine()
    upgrade_to_head(engine)
    return engine


def register(app: typer.Typer, bench: typer.Typer) -> None:
    users = typer.Typer(help="API users and their keys (roles: officer, commissioner, planner, admin).",
                        no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    def add(
        name: str = typer.Argument(..., help="Staff or system name (not a learner's)"),
        role: Role = typer.Option(..., "--role", help="officer | commissioner | planner | admin"),
    ) -> None:
        """Create a user and print their API key. The key is shown this once and stored only as a hash."""
        console = Console()
        engine = _engine()
        try:
            with Session(engine) as session:
                try:
                    user, key = create_user(session, name, role)
                except ValueError as error:
                    console.print(f"[red]error:[/red] {error}")
                    raise typer.Exit(code=1) from None
                session.commit()
                console.print(f"created user [bold]{user.name}[/bold] (id {user.id}, role {user.role})")
                console.print("API key (shown once; send it as 'Authorization: Bearer <key>'):")
                typer.echo(key)
        finally:
            engine.dispose()

    @users.command("list")
    def list_users() -> None:
        """Users, their roles and how many active keys they hold (keys themselves are never shown)."""
        engine = _engine()
        try:
            with Session(engine) as session:
                table = Table("id", "name", "role", "active", "keys", "created")
                for user in session.exec(select(UserRow).order_by(col(UserRow.id))).all():
                    keys = session.exec(select(ApiKeyRow).where(col(ApiKeyRow.user_id) == user.id,
                                                                col(ApiKeyRow.revoked_at).is_(None))).all()
                    table.add_row(str(user.id), user.name, user.role, "yes" if user.active else "no",
                                  str(len(keys)), user.created_at.strftime("%Y-%m-%d %H:%M"))
                Console().print(table)
        finally:
            engine.dispose()
