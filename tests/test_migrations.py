"""The migrations make exactly the schema the models describe, on either backend."""

import itertools
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from models import migrations
from tests.postgres import PostgresServer

_databases = itertools.count()


@pytest.fixture
def fresh_url(tmp_path: Path, postgres: PostgresServer | None) -> str:
    """An empty database, apart from the one the rest of the suite uses."""
    if postgres is None:
        return f"sqlite+aiosqlite:///{tmp_path}/migrated.db"
    name = f"migrations_{next(_databases)}"
    postgres.psql(f"DROP DATABASE IF EXISTS {name}")
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_autogenerate_finds_no_difference_after_the_migrations(
    fresh_url: str,
) -> None:
    await migrations.upgrade(fresh_url)

    assert await migrations.differences(fresh_url) == []
    assert await table_names(fresh_url) == set(SQLModel.metadata.tables)


async def test_a_model_change_without_a_migration_is_found(fresh_url: str) -> None:
    await migrations.upgrade(fresh_url)
    changed = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["organisation"].append_column(Column("motto", String(80)))

    found = await migrations.differences(fresh_url, changed)

    assert [(change[0], change[2], change[3].name) for change in found] == [
        ("add_column", "organisation", "motto")
    ]


async def test_downgrade_removes_every_table_and_upgrade_restores_them(
    fresh_url: str,
) -> None:
    await migrations.upgrade(fresh_url)

    await migrations.downgrade(fresh_url, "base")
    assert await table_names(fresh_url) == set()

    await migrations.upgrade(fresh_url)
    assert await migrations.differences(fresh_url) == []


async def test_a_database_made_without_migrations_is_refused_untouched(
    fresh_url: str,
) -> None:
    engine = create_async_engine(fresh_url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    await engine.dispose()

    with pytest.raises(migrations.UnmigratedDatabase):
        await migrations.upgrade(fresh_url)

    assert await table_names(fresh_url) == set(SQLModel.metadata.tables)
