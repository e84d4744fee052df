"""Alembic's entry point: runs the revisions on the connection it is given.

``models.migrations`` passes a connection in; the ``alembic`` command line instead
connects to DATABASE_URL (the same default as the server).
"""

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import models  # noqa: F401 registers every table on the metadata
from resolvers.settings import Settings

target_metadata = SQLModel.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite alters a table by copying it; batch mode writes that for us.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


def url_from_environment() -> str:
    return os.environ.get("DATABASE_URL", Settings.database_url)


if context.is_offline_mode():
    context.configure(
        url=url_from_environment(), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
elif (given := context.config.attributes.get("connection")) is not None:
    run_on(given)
else:
    asyncio.run(run_from_url(url_from_environment()))
