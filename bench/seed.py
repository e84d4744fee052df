"""The benchmark's data: organisations of a given size, written straight to SQLite.

Going through the service's own rules would take hours for a million learners, so
the rows are written with plain ``executemany`` in large batches, inside one
transaction with the journal off. The figures and the ledger are written to agree
with the rows, as the service itself would have left them.
"""

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables on SQLModel.metadata)

# Fixed timestamps keep every response identical from one run to the next. They are
# written in the text form SQLAlchemy's SQLite DateTime type reads back.
CREATED = "2026-01-05 09:00:00.000000"
EXPIRES = "2026-01-19 09:00:00.000000"
ACCEPTED = "2026-01-06 10:30:00.000000"
BATCH = 50_000


@dataclass(frozen=True)
class SeededOrganisation:
    organisation_id: int
    admin_id: int
    admin_email: str


def schema_fingerprint() -> str:
    """Short hash of the tables' definition: a cached database built for another
    schema is never reused."""
    ddl = "\n".join(
        str(CreateTable(table).compile(dialect=sqlite.dialect()))
        for table in SQLModel.metadata.sorted_tables
    )
    return hashlib.sha256(ddl.encode()).hexdigest()[:12]


def create_schema(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()


def _batches(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def add_organisation(
    connection: sqlite3.Connection,
    name: str,
    learners: int,
    available: int,
) -> SeededOrganisation:
    """An organisation with an admin and ``learners`` accepted invitations."""
    total = learners + available
    cursor = connection.execute(
        "INSERT INTO organisation (name, total, available_to_assign, pending_invite,"
        " in_use, created_at) VALUES (?, ?, ?, 0, ?, ?)",
        (name, total, available, learners, CREATED),
    )
    organisation_id = cursor.lastrowid
    assert organisation_id is not None
    admin_email = f"admin{organisation_id}@bench.example"
    cursor = connection.execute(
        "INSERT INTO app_user (email, role, organisation_id, created_at)"
        " VALUES (?, 'ADMIN', ?, ?)",
        (admin_email, organisation_id, CREATED),
    )
    admin_id = cursor.lastrowid
    assert admin_id is not None

    # Invitation and learner ids are taken in step: learner n accepted invitation
    # first_invitation + n.
    first_invitation = _next_id(connection, "invitation")
    first_learner = _next_id(connection, "learner")
    invitations = (
        (
            first_invitation + n,
            organisation_id,
            f"learner{n}@org{organisation_id}.example",
            "ACCEPTED",
            f"{organisation_id:08x}{n:056x}",
            admin_id,
            CREATED,
            EXPIRES,
            ACCEPTED,
            "SENT",
            CREATED,
        )
        for n in range(learners)
    )
    for batch in _batches(invitations):
        connection.executemany(
            "INSERT INTO invitation (id, organisation_id, email, status, token_hash,"
            " invited_by_id, created_at, expires_at, accepted_at, delivery_status,"
            " last_sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    people = (
        (
            first_learner + n,
            organisation_id,
            f"learner{n}@org{organisation_id}.example",
            f"Learner {n}",
            "ACTIVE",
            first_invitation + n,
            ACCEPTED,
        )
        for n in range(learners)
    )
    for batch in _batches(people):
        connection.executemany(
            "INSERT INTO learner (id, organisation_id, email, name, status,"
            " invitation_id, activated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch,
        )

    # The ledger tells the same story in three aggregate events.
    events = [
        ("ORGANISATION_CREATED", total, total, total, 0, 0),
        ("LEARNERS_INVITED", learners, 0, -learners, learners, 0),
        ("INVITATION_ACCEPTED", learners, 0, 0, -learners, learners),
    ]
    connection.executemany(
        "INSERT INTO licence_event (organisation_id, kind, actor_id, quantity,"
        " total_delta, available_to_assign_delta, pending_invite_delta,"
        " in_use_delta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (organisation_id, kind, admin_id, *figures, CREATED)
            for kind, *figures in events
        ],
    )
    return SeededOrganisation(organisation_id, admin_id, admin_email)


def _next_id(connection: sqlite3.Connection, table: str) -> int:
    query = f"SELECT coalesce(max(id), 0) FROM {table}"  # noqa: S608 (our names)
    (highest,) = connection.execute(query).fetchone()
    return int(highest) + 1


def open_for_loading(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("BEGIN")
    return connection


def finish_loading(connection: sqlite3.Connection) -> None:
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    # The server expects WAL; switching here keeps its first connection cheap.
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
