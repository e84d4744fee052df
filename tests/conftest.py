"""Fixtures: a fresh database per test, the schema, an HTTP client, factories.

The database under test is SQLite in a temporary file, or with ``--backend
postgresql`` (or TEST_BACKEND=postgresql) a throwaway PostgreSQL server that the
session starts itself, its schema made by the migrations. TEST_DATABASE_URL names
another database instead. Every test gets empty tables.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import SQLModel

from models import Clock, Database
from models import clock as service_clock
from models.migrations import upgrade
from resolvers.context import Services
from resolvers.mail import MemoryMailer
from resolvers.settings import Settings
from server import create_app
from tests.factories import Factory
from tests.postgres import PostgresServer, start_postgres
from tests.smtp_sink import SmtpSink

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("TEST_BACKEND", "sqlite"),
        help="the database the suite runs against (default: TEST_BACKEND or sqlite)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backend: {config.getoption('--backend')}"


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def postgres(backend: str) -> Iterator[PostgresServer | None]:
    """The session's PostgreSQL server, when the suite runs against PostgreSQL."""
    if backend != "postgresql" or os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    server = start_postgres()
    try:
        server.psql("CREATE DATABASE licence_test")
        asyncio.run(upgrade(server.url("licence_test")))
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_url(tmp_path: Path, postgres: PostgresServer | None) -> str:
    if postgres is not None:
        return postgres.url("licence_test")
    return (
        os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path}/test.db"
    )


@pytest.fixture
async def db(
    database_url: str, postgres: PostgresServer | None
) -> AsyncIterator[Database]:
    database = Database(database_url)
    if postgres is None:
        async with database.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.run_sync(SQLModel.metadata.create_all)
    else:
        await _empty_postgres(database)
    yield database
    await database.dispose()


async def _empty_postgres(database: Database) -> None:
    """Empty every table; remake the schema if an earlier test broke it."""
    tables = ", ".join(SQLModel.metadata.tables)
    try:
        # The schema stays from the migrations; emptying the tables is much faster
        # than making them again for every test.
        async with database.engine.begin() as connection:
            await connection.execute(
                text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            )
    except ProgrammingError:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await upgrade(database.url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=TEST_SECRET)


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def services(db: Database, settings: Settings, mailer: MemoryMailer) -> Services:
    return Services(db=db, settings=settings, mailer=mailer)


@pytest.fixture
def factory(services: Services) -> Factory:
    return Factory(services)


@pytest.fixture
async def client(
    db: Database, settings: Settings, mailer: MemoryMailer
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, mailer=mailer, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The service's clock, stopped at a fixed instant; tests move it on by hand."""
    service_clock.set(datetime(2030, 1, 6, 9, 0, tzinfo=UTC))
    yield service_clock
    service_clock.release()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1, not yet started."""
    sink = SmtpSink()
    yield sink
    sink.stop()
