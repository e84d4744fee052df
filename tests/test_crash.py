"""A server killed with SIGKILL in the middle of a 1,000-email invite leaves nothing.

The test catches the server inside its write transaction, freezes it (SIGSTOP),
proves from outside that the transaction is still open, then kills it (SIGKILL).
On PostgreSQL it waits until the 1,000 invitation rows are inserted but not yet
committed; on SQLite, where uncommitted work is invisible from outside, it kills
the server while it holds the database's write lock, part-way through a
transaction whose length it measured on an uncut run first.
"""

import asyncio
import fcntl
import os
import signal
import struct
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from models import Database, Invitation
from resolvers.licences import Figures
from tests.conftest import TEST_SECRET
from tests.factories import Factory, Scene
from tests.recount import kept, ledger_sum, recount
from tests.servers import RunningServer, serving

INVITE_LEARNERS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) { invitations { id } userErrors { code } }
}
"""

BATCH = 1000
WAIT_SECONDS = 60.0
# SQLite keeps its WAL write lock on this byte of the "-shm" file.
_SQLITE_WRITE_LOCK_BYTE = 120
_FLOCK = "@hhqqi4x"


def sqlite_file(database_url: str) -> Path:
    return Path(database_url.split("///", 1)[-1])


def sqlite_writer(database: Path) -> int | None:
    """The process holding the SQLite database's write lock, if any."""
    shm = Path(f"{database}-shm")
    if not shm.exists():
        return None
    handle = os.open(shm, os.O_RDONLY)
    try:
        query = struct.pack(
            _FLOCK, fcntl.F_WRLCK, os.SEEK_SET, _SQLITE_WRITE_LOCK_BYTE, 1, 0
        )
        answer = fcntl.fcntl(handle, fcntl.F_GETLK, query)
    finally:
        os.close(handle)
    lock_type, _, _, _, pid = struct.unpack(_FLOCK, answer)
    return None if lock_type == fcntl.F_UNLCK else int(pid)


async def wait_for(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.001)


async def invite_batch(server: RunningServer, factory: Factory, scene: Scene) -> Any:
    """Send one 1,000-email invite; returns the response, or the transport error."""
    body = {
        "query": INVITE_LEARNERS,
        "variables": {
            "input": {
                "organisationId": scene.organisation_gid,
                "emails": [f"person{n}@example.com" for n in range(BATCH)],
            }
        },
    }
    headers = {"Authorization": f"Bearer {factory.token_for(scene.admin)}"}
    async with httpx.AsyncClient(timeout=WAIT_SECONDS) as client:
        try:
            return await client.post(
                f"{server.url}/graphql", json=body, headers=headers
            )
        except httpx.TransportError as error:
            return error


async def invitation_count(db: Database, scene: Scene) -> int:
    async with db.read_session() as session:
        count = await session.scalar(
            select(func.count()).where(
                col(Invitation.organisation_id) == scene.organisation_id
            )
        )
    assert count is not None
    return count


async def assert_untouched(db: Database, scene: Scene) -> None:
    figures = await kept(db, scene.organisation_id)
    assert figures == Figures(
        total=BATCH, available_to_assign=BATCH, pending_invite=0, in_use=0
    )
    assert figures == await recount(db, scene.organisation_id)
    assert figures == await ledger_sum(db, scene.organisation_id)
    assert await invitation_count(db, scene) == 0


async def freeze_mid_transaction_postgresql(
    server: RunningServer, database_url: str, scene_id: int
) -> bool:
    """Freeze the server after its INSERT of the batch, before its COMMIT.

    Returns whether the frozen server's transaction is open, its rows inserted;
    False if it committed before the freeze took hold.
    """
    dsn = database_url.replace("postgresql+asyncpg", "postgresql")
    watcher = await asyncpg.connect(dsn)
    try:

        async def inserted() -> bool:
            # After the INSERT, the server is busy turning the returned rows into
            # objects while its connection waits, idle in the transaction.
            state = await watcher.fetchval(
                """
                SELECT state FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND query LIKE 'INSERT INTO invitation%'
                """
            )
            return bool(state == "idle in transaction")

        await wait_for(inserted, "the server's INSERT of the batch")
        server.process.send_signal(signal.SIGSTOP)
        if not await inserted():
            return False
        uncommitted = await watcher.fetchval(
            "SELECT count(*) FROM invitation WHERE organisation_id = $1",
            scene_id,
        )
        assert uncommitted == 0
        return True
    finally:
        await watcher.close()


async def sqlite_lock_hold(database: Path, pid: int) -> float:
    """How long ``pid`` holds the write lock, from first sight to release."""

    async def taken() -> bool:
        return sqlite_writer(database) == pid

    async def released() -> bool:
        return sqlite_writer(database) != pid

    await wait_for(taken, "the server to take the write lock")
    started = time.monotonic()
    await wait_for(released, "the server to release the write lock")
    return time.monotonic() - started


async def freeze_mid_transaction_sqlite(
    server: RunningServer, database: Path, after: float
) -> bool:
    """Freeze the server ``after`` seconds into its write transaction.

    Returns whether the frozen server still holds the write lock, that is, has not
    committed; False if it committed before the freeze took hold.
    """

    async def taken() -> bool:
        return sqlite_writer(database) == server.process.pid

    await wait_for(taken, "the server to take the write lock")
    await asyncio.sleep(after)
    server.process.send_signal(signal.SIGSTOP)
    return await taken()


async def crash_mid_batch(
    db: Database, factory: Factory, database_url: str, folder: Path, scene: Scene
) -> bool:
    """Send the batch, kill the server inside its transaction; False if too late.

    When the server committed before it could be frozen, the test sees the whole
    batch, never part of it, and the caller tries again.
    """
    hold = 0.0
    if db.is_sqlite:
        warm_up = await factory.scene(licences=BATCH, staff=scene.staff)
        with serving(database_url, TEST_SECRET, folder) as server:
            sent = asyncio.create_task(invite_batch(server, factory, warm_up))
            hold = await sqlite_lock_hold(sqlite_file(database_url), server.process.pid)
            assert (await sent).status_code == 200

    with serving(database_url, TEST_SECRET, folder) as server:
        sent = asyncio.create_task(invite_batch(server, factory, scene))
        if db.is_sqlite:
            caught = await freeze_mid_transaction_sqlite(
                server, sqlite_file(database_url), hold / 2
            )
        else:
            caught = await freeze_mid_transaction_postgresql(
                server, database_url, scene.organisation_id
            )
        if caught:
            server.kill()
        else:
            server.process.send_signal(signal.SIGCONT)
        answer = await sent

    if caught:
        assert isinstance(answer, httpx.TransportError)
        assert server.process.returncode == -signal.SIGKILL
    else:
        assert await invitation_count(db, scene) == BATCH
        assert await kept(db, scene.organisation_id) == await recount(
            db, scene.organisation_id
        )
    return caught


async def test_sigkill_in_the_middle_of_a_1000_email_invite_writes_nothing(
    db: Database, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    staff = await factory.staff()
    for _ in range(3):
        scene = await factory.scene(licences=BATCH, staff=staff)
        if await crash_mid_batch(db, factory, database_url, tmp_path, scene):
            break
    else:
        pytest.fail("the server committed every batch before it could be frozen")

    await assert_untouched(db, scene)

    # Nothing half-done stands in the way: the same batch, sent again, goes through.
    with serving(database_url, TEST_SECRET, tmp_path) as server:
        answer = await invite_batch(server, factory, scene)
    assert answer.status_code == 200
    assert answer.json()["data"]["inviteLearners"]["userErrors"] == []
    figures = await kept(db, scene.organisation_id)
    assert figures == Figures(
        total=BATCH, available_to_assign=0, pending_invite=BATCH, in_use=0
    )
    assert figures == await recount(db, scene.organisation_id)
    assert await invitation_count(db, scene) == BATCH
