"""Alembic migrations, applied from code by ``python server.py migrate`` and tests.

The revisions live in ``migrations/`` at the top of the repository. Each command
runs on one connection of an engine made for it, on SQLite or PostgreSQL alike.
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import models  # noqa: F401 registers every table on the metadata

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class UnmigratedDatabase(Exception):
    """The database has the service's tables but no record of its migrations."""


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``, creating it from nothing."""

    def run(sync: Connection) -> None:
        tables = set(inspect(sync).get_table_names())
        if "alembic_version" not in tables and tables & set(SQLModel.metadata.tables):
            # Made by create_all before migrations existed: running the first
            # revision on it would fail half-way, so say what to do instead.
            raise UnmigratedDatabase(
                "this database was created without migrations; recreate it, or"
                " compare it with the first revision and run `alembic stamp`"
            )
        command.upgrade(alembic_config(sync), revision)

    await _run(url, run)


async def downgrade(url: str, revision: str = "base") -> None:
    await _run(url, lambda sync: command.downgrade(alembic_config(sync), revision))


async def differences(url: str, metadata: MetaData | None = None) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    found: list[Any] = []

    def compare(sync: Connection) -> None:
        context = MigrationContext.configure(
            sync, opts={"compare_type": True, "compare_server_default": True}
        )
        found.extend(compare_metadata(context, metadata or SQLModel.metadata))

    await _run(url, compare)
    return found


async def _run(url: str, work: Any) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(work)
    finally:
        await engine.dispose()
