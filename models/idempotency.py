"""Idempotency keys: a retried mutation is answered once, never done twice.

A mutation that carries a key claims it by inserting a row, unique per caller and
key, in the same write transaction as its work. So the claim commits exactly when
the work commits: a rolled-back attempt leaves no claim, and a concurrent duplicate
waits on the unique row (PostgreSQL) or on the write lock (SQLite) and then finds
the key taken instead of doing the work again. The answer is stored as JSON right
after the commit, for repeats to replay. A mutation that wrote nothing (refused,
or a dry run) keeps its answer too, in a transaction of its own.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, Text, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from models.naming import NAMING_CONVENTION  # noqa: F401 names this module's constraints

# Clients may retry for a day; keys older than this are forgotten.
KEEP_KEYS_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (
        Index("uq_idempotency_key_scope_key", "scope", "key", unique=True),
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Whose key: "user:<id>", or "token:<hash>" for a learner accepting a link.
    scope: str = Field(max_length=80)
    key: str = Field(max_length=MAX_KEY_LENGTH)
    operation: str = Field(max_length=64)
    # SHA-256 of the operation and its input, to tell a repeat from a reuse.
    request_hash: str = Field(max_length=64)
    # The payload as JSON; empty between the work's commit and the answer's.
    response: str | None = Field(default=None, sa_type=Text)
    created_at: datetime


class IdempotencyKeyTaken(Exception):
    """Another request with the same key committed its work first."""


@dataclass
class Claim:
    """A key the current mutation means to claim with its first write."""

    scope: str
    key: str
    operation: str
    request_hash: str
    created_at: datetime
    claimed_id: int | None = None
    # Set once the transaction holding the claim has committed.
    committed: bool = False


# The claim of the mutation running in this task, picked up by Database.write().
current_claim: ContextVar[Claim | None] = ContextVar("current_claim", default=None)


async def insert_claim(session: AsyncSession, claim: Claim) -> None:
    """Claim the key inside ``session``'s transaction, or raise if it is taken.

    ON CONFLICT DO NOTHING leaves the transaction usable; on PostgreSQL it waits
    for a concurrent claim of the same key to commit or roll back before deciding.
    """
    claimed = await _insert(session, claim, response=None)
    if claimed is None:
        raise IdempotencyKeyTaken
    claim.claimed_id = claimed


async def insert_answered(session: AsyncSession, claim: Claim, response: str) -> None:
    """Keep the answer of a mutation that wrote nothing (a refusal, a dry run).

    If a concurrent request claimed the key in the meantime, its answer is kept.
    """
    await _insert(session, claim, response=response)


async def _insert(
    session: AsyncSession, claim: Claim, *, response: str | None
) -> int | None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(IdempotencyKey)
        .values(
            scope=claim.scope,
            key=claim.key,
            operation=claim.operation,
            request_hash=claim.request_hash,
            response=response,
            created_at=claim.created_at,
        )
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(col(IdempotencyKey.id))
    )
    claimed: int | None = (await session.execute(statement)).scalar_one_or_none()
    return claimed


async def find(session: AsyncSession, scope: str, key: str) -> IdempotencyKey | None:
    return (
        await session.execute(
            select(IdempotencyKey).where(
                col(IdempotencyKey.scope) == scope, col(IdempotencyKey.key) == key
            )
        )
    ).scalar_one_or_none()


async def store_response(session: AsyncSession, claimed_id: int, response: str) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(col(IdempotencyKey.id) == claimed_id)
        .values(response=response)
    )


async def forget_expired(session: AsyncSession, now: datetime) -> int:
    """Delete keys older than :data:`KEEP_KEYS_FOR`; returns how many."""
    result = await session.execute(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.created_at) < now - KEEP_KEYS_FOR
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
