"""Lost races inside the database are retried, a bounded number of times."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import Database, Organisation
from tests.factories import Factory

WAIT_SECONDS = 20


async def test_a_deadlock_victim_is_run_again_and_both_writes_land(
    db: Database, factory: Factory
) -> None:
    if db.is_sqlite:
        pytest.skip(
            "SQLite writers take the one write lock before they read (BEGIN "
            "IMMEDIATE), so they never hold locks in turn and cannot deadlock"
        )
    first = await factory.scene(licences=1)
    second = await factory.scene(licences=1, staff=first.staff)
    attempts: list[str] = []
    both_hold_one = asyncio.Barrier(2)

    async def rename(session: AsyncSession, organisation_id: int, name: str) -> None:
        await session.execute(
            update(Organisation)
            .where(col(Organisation.id) == organisation_id)
            .values(name=name)
        )

    def crosswise(
        name: str, one: int, other: int
    ) -> Callable[[AsyncSession], Awaitable[None]]:
        async def work(session: AsyncSession) -> None:
            attempts.append(name)
            await rename(session, one, name)
            if attempts.count(name) == 1:
                # Only the first attempts meet, each holding the row the other wants.
                await asyncio.wait_for(both_hold_one.wait(), WAIT_SECONDS)
            await rename(session, other, name)

        return work

    await asyncio.gather(
        db.run_write(
            crosswise("a", first.organisation_id, second.organisation_id),
            retry_on_integrity=False,
        ),
        db.run_write(
            crosswise("b", second.organisation_id, first.organisation_id),
            retry_on_integrity=False,
        ),
    )

    # PostgreSQL aborted one of the two with deadlock_detected; it ran again.
    assert sorted(attempts) in (["a", "a", "b"], ["a", "b", "b"])
    async with db.read_session() as session:
        one = await session.get(Organisation, first.organisation_id)
        two = await session.get(Organisation, second.organisation_id)
    assert one is not None
    assert two is not None
    assert one.name == two.name
