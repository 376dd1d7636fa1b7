"""Alembic environment for placeplan: targets SQLModel.metadata with every table module imported.

Run it through `api.migrate.upgrade_to_head(engine)` (tests, `create_app`, `placeplan db upgrade`), which passes
its own connection in `config.attributes["connection"]`; the alembic command line also works with
`sqlalchemy.url` set, or with the URL the service settings resolve (DATABASE_URL or the SQLite file).
SQLite runs in batch mode (it cannot ALTER most things in place).
"""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import api.tables  # noqa: F401  (registers the foundation tables on SQLModel.metadata)


def _import_optional_table_module(name: str) -> None:
    """Import a table module that another engineer may not have written yet; only its own absence is ignored."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise


_import_optional_table_module("api.service_tables")

target_metadata = SQLModel.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`)."""
    context.configure(
        url=_configured_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _configured_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from api.settings import ServiceSettings

    return ServiceSettings().resolved_database_url()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from api.db import make_engine

    engine = make_engine(_configured_url())
    try:
        with engine.begin() as own_connection:
            _configure_and_run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
