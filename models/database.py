"""Engine, sessions and transactions.

Reads and writes take different paths. A read session sees one consistent snapshot
for the whole request. A write transaction on SQLite starts with ``BEGIN IMMEDIATE``,
taking the database's write lock before it reads anything, so two writers never
interleave their checks; on PostgreSQL the licence rules rely on conditional
updates and row locks instead, and serialization or deadlock failures are retried.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import SQLModel

from models import idempotency
from models.clock import clock

logger = logging.getLogger(__name__)

# SQLSTATEs that PostgreSQL documents as safe to retry: serialization_failure and
# deadlock_detected.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
WRITE_ATTEMPTS = 5

T = TypeVar("T")


def utcnow() -> datetime:
    """The current time, in UTC. Every timestamp the service stores is UTC."""
    return clock.now()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched."""
    return cast(CursorResult[Any], result).rowcount


class RetryableConflict(Exception):
    """A write lost a race that running it again from the start resolves."""


def _is_retryable(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(
        error.orig, "pgcode", None
    )
    # SQLite gives up waiting for the write lock after its busy timeout; under a
    # burst from several processes another wait is the right answer.
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(error.orig)


class SharedReadSession(AsyncSession):
    """The request's read session, safe to share between concurrent resolvers.

    GraphQL resolves sibling fields concurrently (`{ a: organisations {...}
    b: organisations {...} }`), and one AsyncSession must never run two statements
    at once: SQLAlchemy refuses, and asyncpg cannot on one connection. Statements
    take turns; dataloaders still batch, since they wait before they read.
    ``scalars`` needs no turn of its own: it runs through ``execute``, and taking
    the lock twice would wait forever.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().get(*args, **kwargs)


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 10,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options |= {
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_pre_ping": True,
            }
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._read_sessions = async_sessionmaker(
            self.engine, class_=SharedReadSession, expire_on_commit=False
        )
        self._write_sessions = async_sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"),
            class_=AsyncSession,
            expire_on_commit=False,
        )

    def read_session(self) -> AsyncSession:
        return self._read_sessions()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed on success, rolled back on any error.

        When the running mutation carries an idempotency key, its first write
        transaction also claims the key, so the claim commits with the work or not
        at all (see :mod:`models.idempotency`).
        """
        claim = idempotency.current_claim.get()
        if claim is not None and claim.committed:
            claim = None
        async with self._write_sessions() as session:
            async with session.begin():
                if claim is not None:
                    await idempotency.insert_claim(session, claim)
                yield session
            if claim is not None:
                claim.committed = True

    async def run_write(
        self, work: Callable[[AsyncSession], Awaitable[T]], *, retry_on_integrity: bool
    ) -> T:
        """Run ``work`` in a write transaction, retrying lost races a few times.

        ``retry_on_integrity`` retries unique-constraint violations too: a batch
        that checked for existing rows under READ COMMITTED can collide with a
        concurrent insert, and the next attempt sees that row and answers from it.
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                async with self.write() as session:
                    return await work(session)
            except IntegrityError:
                if not retry_on_integrity or attempt == WRITE_ATTEMPTS:
                    raise
                logger.info("write_retry reason=integrity attempt=%s", attempt)
            except RetryableConflict:
                if attempt == WRITE_ATTEMPTS:
                    raise
                logger.info("write_retry reason=conflict attempt=%s", attempt)
            except DBAPIError as error:
                if not _is_retryable(error) or attempt == WRITE_ATTEMPTS:
                    raise
                logger.info("write_retry reason=serialization attempt=%s", attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def create_all(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling would issue a plain BEGIN lazily; taking it
    # over lets write sessions say BEGIN IMMEDIATE.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
