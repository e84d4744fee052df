"""Fixtures: a fresh database per test, the schema, an HTTP client, factories.

The database under test is SQLite in a temporary file unless TEST_DATABASE_URL
names another (for example a PostgreSQL server); every test gets empty tables.
"""

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import SQLModel

from models import Clock, Database
from models import clock as service_clock
from resolvers.context import Services
from resolvers.mail import MemoryMailer
from resolvers.settings import Settings
from server import create_app
from tests.factories import Factory
from tests.smtp_sink import SmtpSink

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return (
        os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path}/test.db"
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.run_sync(SQLModel.metadata.create_all)
    yield database
    await database.dispose()


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
